//! The probabilities of values already scored, by location and exact bytes.
//!
//! The model scores each value on its own, so a value's probability never depends on
//! the rest of the request: the same `User-Agent`, `Accept` or session cookie on the
//! next request gets the same number without features or inference. Real traffic
//! repeats most header values; the parameters that change are scored as before.
//!
//! Bounded: values longer than [`MAX_CACHED_VALUE`] are not kept, and a shard that
//! reaches its share of the capacity is emptied before the next insert. A flood of
//! distinct values (an attacker's, say) only keeps the cache cold; it cannot grow it or
//! change a score. Keys are hashed with a per-process random key, so nobody can aim
//! collisions at a shard, and a hit compares the stored bytes.

use super::features::Location;
use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::{Mutex, PoisonError};

/// The longest value whose probability is kept, in bytes.
pub const MAX_CACHED_VALUE: usize = 256;
/// Locks, so that concurrent requests rarely wait on each other.
const SHARDS: usize = 16;

/// A value scored earlier and its probability.
struct Entry {
    location: Location,
    value: Box<[u8]>,
    probability: f32,
}

/// See the [module docs](self).
pub(crate) struct ValueCache {
    shards: Box<[Mutex<HashMap<u64, Entry>>]>,
    per_shard: usize,
    hasher: RandomState,
}

impl ValueCache {
    /// A cache of at most about `capacity` values; 0 keeps none.
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
            per_shard: capacity.div_ceil(SHARDS),
            hasher: RandomState::new(),
        }
    }

    /// The probability kept for `value` at `location`, if any.
    pub(crate) fn get(&self, location: Location, value: &[u8]) -> Option<f32> {
        let (shard, key) = self.slot(location, value)?;
        let shard = shard.lock().unwrap_or_else(PoisonError::into_inner);
        shard
            .get(&key)
            .filter(|e| e.location == location && *e.value == *value)
            .map(|e| e.probability)
    }

    /// Keeps `probability` for `value` at `location` (a colliding entry is replaced).
    pub(crate) fn insert(&self, location: Location, value: &[u8], probability: f32) {
        let Some((shard, key)) = self.slot(location, value) else {
            return;
        };
        let mut shard = shard.lock().unwrap_or_else(PoisonError::into_inner);
        if shard.len() >= self.per_shard {
            shard.clear();
        }
        shard.insert(
            key,
            Entry {
                location,
                value: value.into(),
                probability,
            },
        );
    }

    /// How many values are kept.
    pub(crate) fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.lock().unwrap_or_else(PoisonError::into_inner).len())
            .sum()
    }

    /// The shard and key of a value worth keeping; `None` for a value too long, or when
    /// the cache keeps nothing.
    fn slot(&self, location: Location, value: &[u8]) -> Option<(&Mutex<HashMap<u64, Entry>>, u64)> {
        if self.per_shard == 0 || value.len() > MAX_CACHED_VALUE {
            return None;
        }
        let key = self.hasher.hash_one((location.index(), value));
        let shard = &self.shards[(key % SHARDS as u64) as usize];
        Some((shard, key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_exact_values_per_location_and_stays_bounded() {
        let cache = ValueCache::new(32);
        cache.insert(Location::Header, b"text/html", 0.25);
        assert_eq!(cache.get(Location::Header, b"text/html"), Some(0.25));
        assert_eq!(cache.get(Location::Query, b"text/html"), None);
        assert_eq!(cache.get(Location::Header, b"text/htm"), None);

        let long = vec![b'a'; MAX_CACHED_VALUE + 1];
        cache.insert(Location::Header, &long, 0.5);
        assert_eq!(cache.get(Location::Header, &long), None);

        for i in 0..10_000u32 {
            cache.insert(Location::Query, &i.to_le_bytes(), 0.1);
        }
        assert!(cache.len() <= 32, "{} kept", cache.len());

        let none = ValueCache::new(0);
        none.insert(Location::Header, b"text/html", 0.25);
        assert_eq!(none.get(Location::Header, b"text/html"), None);
        assert_eq!(none.len(), 0);
    }
}
