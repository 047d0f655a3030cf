//! Banned clients: addresses and ranges, each with an optional expiry.

use ipnet::IpNet;
use std::net::IpAddr;
use std::sync::RwLock;
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
struct Entry {
    target: IpNet,
    expires: Option<Instant>,
    reason: String,
}

/// The set of banned addresses and ranges.
#[derive(Debug, Default)]
pub(crate) struct Blocklist {
    entries: RwLock<Vec<Entry>>,
}

impl Blocklist {
    /// Adds or replaces the ban on `target`.
    pub(crate) fn insert(&self, target: IpNet, ttl: Option<Duration>, reason: &str, now: Instant) {
        let entry = Entry {
            target: target.trunc(),
            expires: ttl.map(|ttl| now + ttl),
            reason: reason.to_owned(),
        };
        let mut entries = self.write();
        entries.retain(|e| e.target != entry.target);
        entries.push(entry);
    }

    /// Removes the ban on exactly `target`; true if there was one.
    pub(crate) fn remove(&self, target: IpNet) -> bool {
        let target = target.trunc();
        let mut entries = self.write();
        let before = entries.len();
        entries.retain(|e| e.target != target);
        entries.len() != before
    }

    /// The reason `client` is banned at `now`, if it is.
    pub(crate) fn lookup(&self, client: IpAddr, now: Instant) -> Option<String> {
        let entries = self
            .entries
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        entries
            .iter()
            .find(|e| e.target.contains(&client) && e.expires.is_none_or(|t| t > now))
            .map(|e| e.reason.clone())
    }

    /// Removes the entries expired at `now` and returns their targets.
    pub(crate) fn take_expired(&self, now: Instant) -> Vec<IpNet> {
        let mut expired = Vec::new();
        self.write().retain(|e| {
            let keep = e.expires.is_none_or(|t| t > now);
            if !keep {
                expired.push(e.target);
            }
            keep
        });
        expired
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Vec<Entry>> {
        // Writers replace whole entries; a poisoned lock holds a consistent list.
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
    }
}
