//! The kernel's blocklist: the two LPM tries the XDP program reads, edited from user
//! space. A [`Blocklist`] is a cheap handle; clones share the same maps.

use crate::clock;
use crate::error::Error;
use crate::key::{self, BanValue, RawBan};
use aya::maps::lpm_trie::LpmTrie;
use aya::maps::{Map, MapData, MapError};
use ipnet::IpNet;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

/// Flags of `bpf_map_update_elem`: create only, or replace only.
const BPF_NOEXIST: u64 = 1;
const BPF_EXIST: u64 = 2;

/// One entry of the kernel blocklist and what it dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The banned address (as a /32 or /128) or range.
    pub target: IpNet,
    /// Frames dropped because of this entry since it was first inserted (kept across
    /// re-bans and restarts while the entry stays in the map).
    pub packets: u64,
    /// Their bytes, link-layer headers included.
    pub bytes: u64,
    /// Time left before the kernel stops applying it; `None`: no time limit. Zero for
    /// an entry that ran out and has not been removed yet.
    pub expires_in: Option<Duration>,
}

/// The IPv4 and IPv6 tries.
#[derive(Debug)]
struct Tries {
    v4: LpmTrie<MapData, [u8; 4], RawBan>,
    v6: LpmTrie<MapData, [u8; 16], RawBan>,
}

/// Handle on the kernel blocklist of an attached program
/// ([`XdpGuard::blocklist`](crate::XdpGuard::blocklist)).
#[derive(Debug, Clone)]
pub struct Blocklist {
    tries: Arc<Mutex<Tries>>,
}

impl Blocklist {
    /// Wraps the program's two maps.
    pub(crate) fn new(v4: Map, v6: Map) -> Result<Self, Error> {
        let tries = Tries {
            v4: LpmTrie::try_from(v4)?,
            v6: LpmTrie::try_from(v6)?,
        };
        Ok(Self {
            tries: Arc::new(Mutex::new(tries)),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Tries> {
        // The maps live in the kernel; a panic while the lock was held cannot have
        // left the handles themselves half-changed.
        self.tries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Bans `target` for `ttl` (`None`: until removed). An entry already there keeps
    /// its counters and takes the new expiry.
    pub fn insert(&self, target: IpNet, ttl: Option<Duration>) -> Result<(), Error> {
        let expires_ns = clock::expiry_ns(ttl);
        let mut tries = self.lock();
        match target.trunc() {
            IpNet::V4(net) => upsert(&mut tries.v4, &key::key_v4(net), expires_ns),
            IpNet::V6(net) => upsert(&mut tries.v6, &key::key_v6(net), expires_ns),
        }
    }

    /// Removes the entry for exactly `target` (not a covering or covered range). True
    /// if it was there.
    pub fn remove(&self, target: IpNet) -> Result<bool, Error> {
        let mut tries = self.lock();
        let removed = match target.trunc() {
            IpNet::V4(net) => tries.v4.remove(&key::key_v4(net)),
            IpNet::V6(net) => tries.v6.remove(&key::key_v6(net)),
        };
        match removed {
            Ok(()) => Ok(true),
            Err(error) if is_not_found(&error) => Ok(false),
            Err(error) => Err(error.into()),
        }
    }

    /// The entry for exactly `target`, with its counters.
    pub fn get(&self, target: IpNet) -> Result<Option<Entry>, Error> {
        let target = target.trunc();
        Ok(self
            .entries()?
            .into_iter()
            .find(|entry| entry.target == target))
    }

    /// Every entry with its drop counters: the per-entry figures of the kernel side.
    pub fn entries(&self) -> Result<Vec<Entry>, Error> {
        let tries = self.lock();
        let mut entries = Vec::new();
        for item in tries.v4.iter() {
            let (key, value) = item?;
            entries.extend(key::net_v4(&key).map(|net| entry(net, value)));
        }
        for item in tries.v6.iter() {
            let (key, value) = item?;
            entries.extend(key::net_v6(&key).map(|net| entry(net, value)));
        }
        Ok(entries)
    }

    /// Removes every entry. Returns how many there were.
    pub fn clear(&self) -> Result<usize, Error> {
        let entries = self.entries()?;
        for entry in &entries {
            self.remove(entry.target)?;
        }
        Ok(entries.len())
    }
}

fn entry(target: IpNet, value: RawBan) -> Entry {
    let value = BanValue::from(value);
    Entry {
        target,
        packets: value.packets,
        bytes: value.bytes,
        expires_in: clock::remaining(value.expires_ns),
    }
}

/// Creates the entry, or changes the expiry of the one there while keeping its
/// counters. The LPM lookup answers with the longest prefix *up to* the key's length,
/// so only once the exact key is known to exist (the create failed) does a lookup
/// with that key read that entry and not a covering range.
fn upsert<K: aya::Pod>(
    trie: &mut LpmTrie<MapData, K, RawBan>,
    key: &aya::maps::lpm_trie::Key<K>,
    expires_ns: u64,
) -> Result<(), Error> {
    let fresh = BanValue {
        expires_ns,
        ..BanValue::default()
    };
    match trie.insert(key, RawBan::from(fresh), BPF_NOEXIST) {
        Ok(()) => return Ok(()),
        Err(error) if is_exists(&error) => {}
        Err(error) => return Err(error.into()),
    }
    // Drops counted between this read and the write below are lost: a handful of
    // frames at most, in exchange for not needing a lock shared with the kernel.
    let mut value = BanValue::from(trie.get(key, 0)?);
    value.expires_ns = expires_ns;
    trie.insert(key, RawBan::from(value), BPF_EXIST)?;
    Ok(())
}

fn errno(error: &MapError) -> Option<i32> {
    match error {
        MapError::SyscallError(error) => error.io_error.raw_os_error(),
        _ => None,
    }
}

fn is_not_found(error: &MapError) -> bool {
    matches!(error, MapError::KeyNotFound) || errno(error) == Some(nix::libc::ENOENT)
}

fn is_exists(error: &MapError) -> bool {
    errno(error) == Some(nix::libc::EEXIST)
}
