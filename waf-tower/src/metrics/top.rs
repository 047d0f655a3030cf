//! The clients that attack most, counted in bounded memory: client addresses are chosen
//! by the clients, so an exact count per address would grow without limit under a
//! spoofed or distributed flood.
//!
//! This is the space-saving algorithm: it holds `capacity` counters. A client already
//! held has its counter raised; a new one, when all counters are taken, replaces the
//! client with the smallest count and starts from that count plus one. Every client that
//! made more than `total / capacity` of the counted requests is held, and a held
//! client's count is over its true count by at most the count it took over.

use std::net::IpAddr;

/// One held client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Counted {
    /// The client.
    pub(crate) client: IpAddr,
    /// Its estimated count: at least its true count.
    pub(crate) count: u64,
}

/// At most `capacity` clients with their estimated counts.
#[derive(Debug)]
pub(crate) struct TopClients {
    capacity: usize,
    held: Vec<Counted>,
}

impl TopClients {
    /// Holds at most `capacity` clients (at least one).
    pub(crate) fn new(capacity: usize) -> Self {
        let capacity = capacity.max(1);
        Self {
            capacity,
            held: Vec::with_capacity(capacity),
        }
    }

    /// Counts one request of `client`.
    pub(crate) fn count(&mut self, client: IpAddr) {
        // A linear scan: the capacity is a few dozen, a map would cost more than it saves.
        if let Some(held) = self.held.iter_mut().find(|held| held.client == client) {
            held.count += 1;
        } else if self.held.len() < self.capacity {
            self.held.push(Counted { client, count: 1 });
        } else if let Some(smallest) = self.held.iter_mut().min_by_key(|held| held.count) {
            *smallest = Counted {
                client,
                count: smallest.count + 1,
            };
        }
    }

    /// The held clients, most requests first.
    pub(crate) fn ranked(&self) -> Vec<Counted> {
        let mut ranked = self.held.clone();
        ranked.sort_by(|a, b| b.count.cmp(&a.count).then(a.client.cmp(&b.client)));
        ranked
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(last: u8) -> IpAddr {
        IpAddr::from([203, 0, 113, last])
    }

    #[test]
    fn heavy_clients_are_kept_through_a_spray_of_one_off_clients() {
        let mut top = TopClients::new(8);
        // Two heavy attackers between 1,000 addresses seen once each: each heavy one
        // makes more than a capacity's share of the 4,000 requests, so it is held.
        for round in 0..1000u32 {
            top.count(ip(1));
            top.count(ip(1));
            top.count(ip(2));
            let [_, _, high, low] = round.to_be_bytes();
            top.count(IpAddr::from([198, 51, high, low]));
        }
        let ranked = top.ranked();
        assert_eq!(ranked.len(), 8);
        assert_eq!(ranked[0].client, ip(1));
        assert_eq!(ranked[1].client, ip(2));
        assert!(ranked[0].count >= 2000);
        assert!(ranked[1].count >= 1000);
    }

    #[test]
    fn counts_are_exact_while_under_capacity() {
        // (requests by client, expected counts most first)
        type Case = (&'static [u8], &'static [(u8, u64)]);
        let cases: [Case; 3] = [
            (&[], &[]),
            (&[1], &[(1, 1)]),
            (&[3, 1, 3, 2, 3, 1], &[(3, 3), (1, 2), (2, 1)]),
        ];
        for (requests, expected) in cases {
            let mut top = TopClients::new(3);
            for &last in requests {
                top.count(ip(last));
            }
            let expected: Vec<_> = expected
                .iter()
                .map(|&(last, count)| Counted {
                    client: ip(last),
                    count,
                })
                .collect();
            assert_eq!(top.ranked(), expected, "{requests:?}");
        }
    }
}
