//! Banned clients: addresses and ranges, each with an optional expiry.
//!
//! A lookup is one hash probe per prefix length in use (see the `prefix` module), under
//! a read lock: well under a microsecond with a hundred thousand entries
//! (`cargo bench --bench limits`), whatever their number.

use crate::prefix::PrefixMap;
use ipnet::IpNet;
use std::net::IpAddr;
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
struct Entry {
    expires: Option<Instant>,
    reason: Arc<str>,
}

impl Entry {
    fn live(&self, now: Instant) -> bool {
        self.expires.is_none_or(|t| t > now)
    }
}

/// A ban in force.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ban {
    /// The address (as a /32 or /128) or range.
    pub target: IpNet,
    /// The time it has left; `None`: until unbanned.
    pub ttl: Option<Duration>,
    /// Why, in words.
    pub reason: String,
}

/// The set of banned addresses and ranges (IPv4 and IPv6), each with an optional
/// expiry. [`Waf`](crate::Waf) holds one and announces its changes on the decision
/// stream; it is public for embedders that keep their own and for benchmarks.
#[derive(Debug, Default)]
pub struct Blocklist {
    entries: RwLock<PrefixMap<Entry>>,
}

impl Blocklist {
    /// Adds or replaces the ban on `target` (host bits ignored), expiring `ttl` after
    /// `now` (`None`: never).
    pub fn insert(&self, target: IpNet, ttl: Option<Duration>, reason: &str, now: Instant) {
        let entry = Entry {
            expires: ttl.and_then(|ttl| now.checked_add(ttl)),
            reason: Arc::from(reason),
        };
        self.write().insert(target.trunc(), entry);
    }

    /// Removes the ban on exactly `target`; true if there was one.
    pub fn remove(&self, target: IpNet) -> bool {
        self.write().remove(target.trunc()).is_some()
    }

    /// The reason `client` is banned at `now`, if it is: the most specific live ban
    /// holding it.
    pub fn lookup(&self, client: IpAddr, now: Instant) -> Option<Arc<str>> {
        self.read()
            .find(client, |e| e.live(now))
            .map(|e| e.reason.clone())
    }

    /// The live bans at `now`, in no particular order.
    pub fn entries(&self, now: Instant) -> Vec<Ban> {
        let mut bans = Vec::new();
        self.read().for_each(|target, e| {
            if e.live(now) {
                bans.push(Ban {
                    target,
                    ttl: e.expires.map(|t| t.saturating_duration_since(now)),
                    reason: e.reason.to_string(),
                });
            }
        });
        bans
    }

    /// Removes the entries expired at `now` and returns their targets.
    pub fn take_expired(&self, now: Instant) -> Vec<IpNet> {
        let mut expired = Vec::new();
        self.write().retain(|target, e| {
            let keep = e.live(now);
            if !keep {
                expired.push(target);
            }
            keep
        });
        expired
    }

    /// How many bans it holds, expired ones not yet taken included.
    pub fn len(&self) -> usize {
        self.read().len()
    }

    /// Whether it holds no ban.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    // Writers replace whole entries; a poisoned lock holds a consistent table.
    fn read(&self) -> RwLockReadGuard<'_, PrefixMap<Entry>> {
        self.entries
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, PrefixMap<Entry>> {
        self.entries
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_ttls_and_removal() {
        let list = Blocklist::default();
        let now = Instant::now();
        list.insert("198.18.0.0/24".parse().unwrap(), None, "range", now);
        list.insert(
            "2001:db8::1/128".parse().unwrap(),
            Some(Duration::from_secs(5)),
            "v6",
            now,
        );
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert_eq!(
            list.lookup(ip("198.18.0.77"), now).as_deref(),
            Some("range")
        );
        assert_eq!(list.lookup(ip("198.18.1.1"), now), None);
        assert_eq!(list.lookup(ip("2001:db8::1"), now).as_deref(), Some("v6"));
        let later = now + Duration::from_secs(6);
        assert_eq!(list.lookup(ip("2001:db8::1"), later), None);
        assert_eq!(
            list.take_expired(later),
            vec!["2001:db8::1/128".parse::<IpNet>().unwrap()]
        );
        assert!(
            list.remove("198.18.0.9/24".parse().unwrap()),
            "range is truncated on insert and removal"
        );
        assert_eq!(list.lookup(ip("198.18.0.77"), later), None);
        assert!(list.is_empty());
    }

    #[test]
    fn an_expired_ban_uncovers_a_live_wider_one() {
        let list = Blocklist::default();
        let now = Instant::now();
        let ttl = Some(Duration::from_secs(5));
        list.insert("192.0.2.0/24".parse().unwrap(), None, "wide", now);
        list.insert("192.0.2.1/32".parse().unwrap(), ttl, "narrow", now);
        list.insert("192.0.2.1/32".parse().unwrap(), ttl, "replaced", now);
        assert_eq!(list.len(), 2);
        let client = "::ffff:192.0.2.1".parse().unwrap();
        assert_eq!(list.lookup(client, now).as_deref(), Some("replaced"));
        let later = now + Duration::from_secs(5);
        assert_eq!(list.lookup(client, later).as_deref(), Some("wide"));
    }
}
