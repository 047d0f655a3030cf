//! Addresses and CIDR ranges mapped to values, looked up by client address.
//!
//! One hash map per prefix length that holds entries, keyed by the masked network
//! address. A lookup masks the client address once per length in use, longest first:
//! a table of exact addresses (the usual blocklist and feed) costs one hash lookup, and
//! even a table using every IPv4 length costs 33, never a scan of the entries.

use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use std::collections::HashMap;
use std::net::IpAddr;

/// The networks of one address family, one map per prefix length in use, longest first.
#[derive(Debug)]
struct Family<A, V> {
    lengths: Vec<(u8, HashMap<A, V>)>,
}

impl<A, V> Default for Family<A, V> {
    fn default() -> Self {
        Self {
            lengths: Vec::new(),
        }
    }
}

impl<A: Copy + Eq + std::hash::Hash, V> Family<A, V> {
    fn insert(&mut self, len: u8, network: A, value: V) -> Option<V> {
        let at = match self.lengths.binary_search_by(|(l, _)| len.cmp(l)) {
            Ok(at) => at,
            Err(at) => {
                self.lengths.insert(at, (len, HashMap::new()));
                at
            }
        };
        self.lengths[at].1.insert(network, value)
    }

    fn remove(&mut self, len: u8, network: A) -> Option<V> {
        let at = self.lengths.binary_search_by(|(l, _)| len.cmp(l)).ok()?;
        let removed = self.lengths[at].1.remove(&network);
        if self.lengths[at].1.is_empty() {
            // Keeps lookups from masking for lengths that hold nothing.
            self.lengths.remove(at);
        }
        removed
    }

    fn find(&self, mask: impl Fn(u8) -> A, mut accept: impl FnMut(&V) -> bool) -> Option<&V> {
        self.lengths
            .iter()
            .filter_map(|(len, map)| map.get(&mask(*len)))
            .find(|v| accept(v))
    }

    fn for_each(&self, mut f: impl FnMut(u8, A, &V)) {
        for (len, map) in &self.lengths {
            for (network, v) in map {
                f(*len, *network, v);
            }
        }
    }

    fn retain(&mut self, mut keep: impl FnMut(u8, A, &V) -> bool) -> usize {
        let mut removed = 0;
        for (len, map) in &mut self.lengths {
            let before = map.len();
            map.retain(|network, v| keep(*len, *network, v));
            removed += before - map.len();
        }
        self.lengths.retain(|(_, map)| !map.is_empty());
        removed
    }
}

fn mask_v4(address: u32, len: u8) -> u32 {
    address & u32::MAX.checked_shl(32 - u32::from(len)).unwrap_or(0)
}

fn mask_v6(address: u128, len: u8) -> u128 {
    address & u128::MAX.checked_shl(128 - u32::from(len)).unwrap_or(0)
}

/// Networks (IPv4 and IPv6, any prefix length) mapped to values.
#[derive(Debug)]
pub(crate) struct PrefixMap<V> {
    v4: Family<u32, V>,
    v6: Family<u128, V>,
    len: usize,
}

impl<V> Default for PrefixMap<V> {
    fn default() -> Self {
        Self {
            v4: Family::default(),
            v6: Family::default(),
            len: 0,
        }
    }
}

impl<V> PrefixMap<V> {
    /// Sets the value of `net` (its host bits ignored); returns the value it replaced.
    pub(crate) fn insert(&mut self, net: IpNet, value: V) -> Option<V> {
        let old = match net {
            IpNet::V4(n) => self.v4.insert(
                n.prefix_len(),
                mask_v4(n.addr().into(), n.prefix_len()),
                value,
            ),
            IpNet::V6(n) => self.v6.insert(
                n.prefix_len(),
                mask_v6(n.addr().into(), n.prefix_len()),
                value,
            ),
        };
        if old.is_none() {
            self.len += 1;
        }
        old
    }

    /// Removes exactly `net` (its host bits ignored).
    pub(crate) fn remove(&mut self, net: IpNet) -> Option<V> {
        let old = match net {
            IpNet::V4(n) => self
                .v4
                .remove(n.prefix_len(), mask_v4(n.addr().into(), n.prefix_len())),
            IpNet::V6(n) => self
                .v6
                .remove(n.prefix_len(), mask_v6(n.addr().into(), n.prefix_len())),
        };
        if old.is_some() {
            self.len -= 1;
        }
        old
    }

    /// The value of the most specific network holding `address` that `accept` takes.
    /// An IPv4-mapped IPv6 address (`::ffff:192.0.2.1`, what a dual-stack socket
    /// reports) is also looked up as the IPv4 address it carries.
    pub(crate) fn find(&self, address: IpAddr, mut accept: impl FnMut(&V) -> bool) -> Option<&V> {
        match address {
            IpAddr::V4(a) => self.find_v4(a.into(), accept),
            IpAddr::V6(a) => {
                let bits = u128::from(a);
                self.v6
                    .find(|len| mask_v6(bits, len), &mut accept)
                    .or_else(|| self.find_v4(a.to_ipv4_mapped()?.into(), accept))
            }
        }
    }

    fn find_v4(&self, bits: u32, accept: impl FnMut(&V) -> bool) -> Option<&V> {
        self.v4.find(|len| mask_v4(bits, len), accept)
    }

    /// Calls `f` on every entry.
    pub(crate) fn for_each(&self, mut f: impl FnMut(IpNet, &V)) {
        self.v4
            .for_each(|len, network, v| f(IpNet::V4(Ipv4Net::new_assert(network.into(), len)), v));
        self.v6
            .for_each(|len, network, v| f(IpNet::V6(Ipv6Net::new_assert(network.into(), len)), v));
    }

    /// Keeps the entries `keep` takes; returns how many were removed.
    pub(crate) fn retain(&mut self, mut keep: impl FnMut(IpNet, &V) -> bool) -> usize {
        let mut removed = self
            .v4
            .retain(|len, network, v| keep(IpNet::V4(Ipv4Net::new_assert(network.into(), len)), v));
        removed += self
            .v6
            .retain(|len, network, v| keep(IpNet::V6(Ipv6Net::new_assert(network.into(), len)), v));
        self.len -= removed;
        removed
    }

    /// How many networks it holds.
    pub(crate) fn len(&self) -> usize {
        self.len
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn most_specific_accepted_network_wins() {
        let mut map = PrefixMap::default();
        for (net, value) in [
            ("10.0.0.0/8", 8),
            ("10.1.0.0/16", 16),
            ("10.1.2.3/32", 32),
            ("0.0.0.0/0", 0),
            ("2001:db8::/32", 6),
            ("2001:db8::1/128", 128),
        ] {
            assert_eq!(map.insert(net.parse().unwrap(), value), None);
        }
        assert_eq!(map.len(), 6);
        // (address, value found, value found when 32 and 128 are refused)
        let cases = [
            ("10.1.2.3", Some(32), Some(16)),
            ("10.1.9.9", Some(16), Some(16)),
            ("10.9.9.9", Some(8), Some(8)),
            ("192.0.2.1", Some(0), Some(0)),
            ("::ffff:10.1.2.3", Some(32), Some(16)),
            ("2001:db8::1", Some(128), Some(6)),
            ("2001:db8::2", Some(6), Some(6)),
            ("2001:db9::1", None, None),
        ];
        for (address, all, refusing) in cases {
            let address: IpAddr = address.parse().unwrap();
            assert_eq!(map.find(address, |_| true).copied(), all, "{address}");
            assert_eq!(
                map.find(address, |v| *v != 32 && *v != 128).copied(),
                refusing,
                "{address}"
            );
        }
        assert_eq!(map.remove("10.1.2.99/16".parse().unwrap()), Some(16));
        assert_eq!(map.remove("10.1.0.0/16".parse().unwrap()), None);
        assert_eq!(map.retain(|net, _| net.prefix_len() != 0), 1);
        assert_eq!(map.len(), 4);
        assert_eq!(map.find("192.0.2.1".parse().unwrap(), |_| true), None);
    }
}
