//! A concurrent map with a cap on its keys, for per-client state that attackers can
//! make grow (one key per spoofed or rotated address).
//!
//! Every value knows when it becomes as good as absent ([`Expiring::expires`]: a rate
//! limiter's key whose bucket is full again, an offender whose window closed). When a
//! new key finds the map full, one thread sweeps: it drops what has expired (nothing is
//! lost), and if that is not enough, evicts the entries closest to expiring (the
//! stalest) down to nine tenths of the cap, so that sweeps stay rare and their cost
//! spreads over many insertions. Forced evictions are counted. A new key that still
//! finds no room (another thread is sweeping) is decided on fresh state and not kept:
//! the cap is never exceeded.

use dashmap::DashMap;
use dashmap::mapref::entry::Entry;
use std::hash::Hash;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

/// State that becomes as good as absent at some time.
pub(crate) trait Expiring {
    /// When (nanoseconds on the owner's clock) the value stops mattering.
    fn expires(&self) -> u64;
}

/// How many values a sweep reads to estimate the staleness threshold of an eviction.
const SAMPLE: usize = 4096;

#[derive(Debug)]
pub(crate) struct BoundedMap<K: Eq + Hash, V> {
    map: DashMap<K, V>,
    /// Keys held, plus slots reserved by insertions under way.
    len: AtomicUsize,
    evictions: AtomicU64,
    sweeping: AtomicBool,
}

impl<K: Eq + Hash, V> Default for BoundedMap<K, V> {
    fn default() -> Self {
        Self {
            map: DashMap::new(),
            len: AtomicUsize::new(0),
            evictions: AtomicU64::new(0),
            sweeping: AtomicBool::new(false),
        }
    }
}

impl<K: Eq + Hash, V: Expiring> BoundedMap<K, V> {
    /// Runs `f` on the value of `key` (a `fresh` one for a new key), holding at most
    /// `cap` keys; `now` is on the clock of [`Expiring::expires`].
    pub(crate) fn update<R>(
        &self,
        key: K,
        cap: usize,
        now: u64,
        fresh: impl FnOnce() -> V,
        f: impl FnOnce(&mut V) -> R,
    ) -> R {
        if let Some(mut value) = self.map.get_mut(&key) {
            return f(&mut value);
        }
        if !self.reserve(cap) {
            self.make_room(cap, now);
            if !self.reserve(cap) {
                return f(&mut fresh());
            }
        }
        match self.map.entry(key) {
            Entry::Occupied(mut e) => {
                // Another thread inserted the key meanwhile; the slot is not needed.
                self.len.fetch_sub(1, Ordering::Relaxed);
                f(e.get_mut())
            }
            Entry::Vacant(e) => f(&mut e.insert(fresh())),
        }
    }

    /// Takes a slot for a new key if there is one under `cap`.
    fn reserve(&self, cap: usize) -> bool {
        self.len
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                (n < cap).then_some(n + 1)
            })
            .is_ok()
    }

    fn make_room(&self, cap: usize, now: u64) {
        if self.sweeping.swap(true, Ordering::Acquire) {
            return;
        }
        self.retain(|v| v.expires() > now);
        // Below the cap even when a tenth of it rounds to nothing.
        let target = (cap - cap / 10).min(cap.saturating_sub(1));
        let len = self.map.len();
        if len > target {
            // The map iterates in hash order, unrelated to staleness: its first values
            // are a fair sample of all.
            let mut sample: Vec<u64> = self.map.iter().take(SAMPLE).map(|e| e.expires()).collect();
            sample.sort_unstable();
            let share = (len - target) as f64 / len as f64;
            let at = (share * sample.len() as f64).ceil() as usize;
            if let Some(&threshold) = sample.get(at.max(1) - 1) {
                let evicted = self.retain(|v| v.expires() > threshold);
                self.evictions.fetch_add(evicted as u64, Ordering::Relaxed);
            }
        }
        self.sweeping.store(false, Ordering::Release);
    }

    /// Keeps the values `keep` takes; returns how many were dropped.
    fn retain(&self, mut keep: impl FnMut(&V) -> bool) -> usize {
        let mut removed = 0;
        self.map.retain(|_, v| {
            let kept = keep(v);
            removed += usize::from(!kept);
            kept
        });
        self.len.fetch_sub(removed, Ordering::Relaxed);
        removed
    }

    /// Forgets every key.
    pub(crate) fn clear(&self) {
        self.retain(|_| false);
    }

    /// How many keys it holds.
    pub(crate) fn len(&self) -> usize {
        self.map.len()
    }

    /// How many keys were evicted before they expired, to make room.
    pub(crate) fn evictions(&self) -> u64 {
        self.evictions.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    impl Expiring for u64 {
        fn expires(&self) -> u64 {
            *self
        }
    }

    #[test]
    fn expired_go_first_then_the_stalest() {
        let map = BoundedMap::<u32, u64>::default();
        // 100 keys expiring at 1..=100; the cap is 100.
        for key in 1..=100u32 {
            map.update(key, 100, 0, || u64::from(key), |_| ());
        }
        assert_eq!(map.len(), 100);
        // At time 50, keys 1..=50 have expired: making room costs no eviction.
        map.update(1000, 100, 50, || 1000, |_| ());
        assert_eq!((map.len(), map.evictions()), (51, 0));
        for key in 2000..2049u32 {
            map.update(key, 100, 50, || u64::from(key), |_| ());
        }
        assert_eq!(map.len(), 100);
        // Full of live keys: the stalest (51, 52, …) are evicted down to 90.
        map.update(5000, 100, 50, || 5000, |_| ());
        assert!(map.len() <= 91, "{}", map.len());
        assert!(map.evictions() >= 10);
        let mut seen = false;
        map.update(51, 100, 50, || 0, |v| seen = *v == 51);
        assert!(!seen, "the stalest key was evicted");
        map.clear();
        assert_eq!(map.len(), 0);
    }

    #[test]
    fn a_cap_of_one_holds() {
        let map = BoundedMap::<u32, u64>::default();
        for key in 0..10u32 {
            map.update(key, 1, 0, || 99, |_| ());
            assert!(map.len() <= 1);
        }
        assert!(map.evictions() >= 9);
    }
}
