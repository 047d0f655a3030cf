//! Keeps the kernel blocklist equal to the engine's ban set.
//!
//! At start the current bans ([`Waf::bans`]) are written and the pinned entries left
//! from an earlier run are reconciled with them; then a thread follows the decision
//! stream ([`Waf::subscribe`]): a ban inserts, an unban or expiry removes. Bans shared
//! by other nodes arrive on the same stream, so nothing here knows where they came
//! from. The thread also calls [`Waf::sweep_expired`] on a timer, which is what makes
//! expiries appear on the stream at all.
//!
//! The stream is a std channel, so the follower is a plain thread, not an async task:
//! it works with or without a runtime.

use crate::blocklist::{Blocklist, Entry};
use crate::error::Error;
use ipnet::IpNet;
use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use waf_core::Waf;
use waf_core::decision::Decision;

/// The reason given to the engine for a ban taken back from the pinned maps.
pub const RESTORED_REASON: &str = "restored from the XDP blocklist";

/// How the follower behaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncOptions {
    /// How often expired bans are swept out of the engine (and so out of the kernel).
    /// The kernel stops applying an expired entry on its own at the exact time; the
    /// sweep only frees its slot and tells the other subscribers.
    pub sweep_interval: Duration,
    /// What to do with live pinned entries the engine does not hold at start (left by
    /// an earlier run): `true` bans them in the engine again for the time they have
    /// left, so a restart keeps the blocklist; `false` removes them, so the engine's
    /// set is the only truth.
    pub adopt_pinned: bool,
}

impl Default for SyncOptions {
    /// A sweep every second; pinned entries adopted.
    fn default() -> Self {
        Self {
            sweep_interval: Duration::from_secs(1),
            adopt_pinned: true,
        }
    }
}

/// The running follower; stopped by [`stop`](Self::stop) or when dropped.
#[derive(Debug)]
pub struct SyncTask {
    stop: Arc<AtomicBool>,
    errors: Arc<AtomicU64>,
    thread: Option<JoinHandle<()>>,
}

impl SyncTask {
    /// Map updates that failed since the start (each is also logged as a warning).
    pub fn errors(&self) -> u64 {
        self.errors.load(Ordering::Relaxed)
    }

    /// Stops following the stream; the kernel blocklist stays as it is.
    pub fn stop(mut self) {
        self.halt();
    }

    fn halt(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            // A panic in the follower has been reported by the panic hook already.
            let _ = thread.join();
        }
    }
}

impl Drop for SyncTask {
    fn drop(&mut self) {
        self.halt();
    }
}

/// How long the follower waits for a decision before looking at the stop flag and the
/// sweep timer again: the longest a [`SyncTask::stop`] takes.
const POLL: Duration = Duration::from_millis(50);

/// Loads `waf`'s current bans into `blocklist`, reconciles the entries pinned there
/// before (see [`SyncOptions::adopt_pinned`]), and starts following the decision
/// stream.
pub fn sync(waf: &Waf, blocklist: Blocklist, options: SyncOptions) -> Result<SyncTask, Error> {
    // Subscribe before reading the set: a decision made in between is then both in
    // the set and on the stream, and applying it twice does no harm. The other order
    // could miss it.
    let decisions = waf.subscribe();
    reconcile(waf, &blocklist, options.adopt_pinned)?;

    let stop = Arc::new(AtomicBool::new(false));
    let errors = Arc::new(AtomicU64::new(0));
    let follower = Follower {
        waf: waf.clone(),
        blocklist,
        decisions,
        sweep_interval: options.sweep_interval,
        stop: Arc::clone(&stop),
        errors: Arc::clone(&errors),
    };
    let thread = std::thread::Builder::new()
        .name("waf-xdp-sync".into())
        .spawn(move || follower.run())
        .map_err(Error::Thread)?;
    Ok(SyncTask {
        stop,
        errors,
        thread: Some(thread),
    })
}

/// Brings the kernel blocklist in line with the engine's bans at start.
fn reconcile(waf: &Waf, blocklist: &Blocklist, adopt_pinned: bool) -> Result<(), Error> {
    let bans = waf.bans();
    let held: HashSet<IpNet> = bans.iter().map(|ban| ban.target.trunc()).collect();
    for Entry {
        target, expires_in, ..
    } in blocklist.entries()?
    {
        if held.contains(&target) {
            continue;
        }
        match expires_in {
            // Still live: the engine bans it again, which comes back on the stream
            // and re-inserts it with its counters kept.
            Some(left) if adopt_pinned && left.is_zero() => {
                blocklist.remove(target)?;
            }
            left if adopt_pinned => waf.ban(target, left, RESTORED_REASON),
            _ => {
                blocklist.remove(target)?;
            }
        }
    }
    for ban in bans {
        blocklist.insert(ban.target, ban.ttl)?;
    }
    Ok(())
}

/// The follower thread's state.
struct Follower {
    waf: Waf,
    blocklist: Blocklist,
    decisions: Receiver<Decision>,
    sweep_interval: Duration,
    stop: Arc<AtomicBool>,
    errors: Arc<AtomicU64>,
}

impl Follower {
    fn run(self) {
        let mut next_sweep = Instant::now() + self.sweep_interval;
        while !self.stop.load(Ordering::Relaxed) {
            let wait = next_sweep
                .saturating_duration_since(Instant::now())
                .min(POLL);
            match self.decisions.recv_timeout(wait) {
                Ok(decision) => self.apply(&decision),
                Err(RecvTimeoutError::Timeout) => {}
                // The engine is gone: nothing will change any more.
                Err(RecvTimeoutError::Disconnected) => return,
            }
            if Instant::now() >= next_sweep {
                // Expiries come back through the stream, on the next turns.
                self.waf.sweep_expired();
                next_sweep = Instant::now() + self.sweep_interval;
            }
        }
    }

    fn apply(&self, decision: &Decision) {
        let result = match decision {
            Decision::Ban { target, ttl, .. } => self.blocklist.insert(*target, *ttl),
            Decision::Unban { target, .. } | Decision::Expired { target } => {
                self.blocklist.remove(*target).map(drop)
            }
        };
        if let Err(error) = result {
            self.errors.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(target: "waf_xdp", %error, ?decision, "kernel blocklist not updated");
        }
    }
}
