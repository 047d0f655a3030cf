//! The clock the kernel program reads (`bpf_ktime_get_ns`: CLOCK_MONOTONIC), so that
//! an expiry written by user space means the same instant to both sides, and keeps
//! meaning it across a restart of user space (the clock runs from boot).

use nix::time::{ClockId, clock_gettime};
use std::time::Duration;

/// Now, in CLOCK_MONOTONIC nanoseconds.
pub(crate) fn now_ns() -> u64 {
    // CLOCK_MONOTONIC always exists on Linux: clock_gettime can only fail for an
    // invalid clock id.
    let now = clock_gettime(ClockId::CLOCK_MONOTONIC).expect("CLOCK_MONOTONIC is readable");
    let nanos = u64::try_from(now.tv_sec()).unwrap_or(0) * 1_000_000_000;
    nanos + u64::try_from(now.tv_nsec()).unwrap_or(0)
}

/// The expiry to store for a ban lasting `ttl` from now: 0 (the kernel's "never") for
/// `None`, otherwise a non-zero instant.
pub(crate) fn expiry_ns(ttl: Option<Duration>) -> u64 {
    match ttl {
        None => 0,
        Some(ttl) => {
            let ttl = u64::try_from(ttl.as_nanos()).unwrap_or(u64::MAX);
            now_ns().saturating_add(ttl).max(1)
        }
    }
}

/// The time left until `expires_ns`; `None` for a ban without a time limit, zero for
/// one that ran out.
pub(crate) fn remaining(expires_ns: u64) -> Option<Duration> {
    (expires_ns != 0).then(|| Duration::from_nanos(expires_ns.saturating_sub(now_ns())))
}
