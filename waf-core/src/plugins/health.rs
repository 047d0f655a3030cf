//! Counting a plugin's calls and failures, and the cool-down of one that keeps failing.

use super::config::Limits;
use super::instance::Failure;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

/// A plugin's counters since it was first loaded (a reload that keeps its name keeps
/// them).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PluginStats {
    /// Calls made (skipped requests are not calls).
    pub calls: u64,
    /// Calls that failed, whatever the cause.
    pub errors: u64,
    /// Failures that were traps.
    pub traps: u64,
    /// Failures that ran out of fuel.
    pub fuel_exhausted: u64,
    /// Failures that hit the memory limit.
    pub memory_limit_hits: u64,
    /// Failures that were bad values (a score out of range, bad host-call arguments).
    pub bad_values: u64,
    /// Requests the plugin was not called for because it was cooling down.
    pub skipped: u64,
    /// Times it was disabled.
    pub cooldowns: u64,
    /// Until when it is disabled, if it is.
    pub disabled_until: Option<Instant>,
}

/// The live counters behind [`PluginStats`].
#[derive(Debug, Default)]
pub(crate) struct Health {
    calls: AtomicU64,
    errors: AtomicU64,
    traps: AtomicU64,
    fuel_exhausted: AtomicU64,
    memory_limit_hits: AtomicU64,
    bad_values: AtomicU64,
    skipped: AtomicU64,
    cooldowns: AtomicU64,
    breaker: Mutex<Breaker>,
}

/// Consecutive failures and the cool-down they started.
#[derive(Debug, Default)]
struct Breaker {
    consecutive: u32,
    disabled_until: Option<Instant>,
}

impl Health {
    /// Whether the plugin may be called at `now`; counts a skip when not.
    pub fn admit(&self, now: Instant) -> bool {
        let disabled = self
            .breaker()
            .disabled_until
            .is_some_and(|until| now < until);
        if disabled {
            self.skipped.fetch_add(1, Ordering::Relaxed);
        } else {
            self.calls.fetch_add(1, Ordering::Relaxed);
        }
        !disabled
    }

    /// A call succeeded: the failure streak ends.
    pub fn succeeded(&self) {
        let mut breaker = self.breaker();
        breaker.consecutive = 0;
        breaker.disabled_until = None;
    }

    /// A call failed at `now`. After `failures_before_cooldown` failures in a row the
    /// plugin is disabled for the cool-down; the streak is kept, so the first call
    /// after the cool-down disables it again if it fails too.
    pub fn failed(&self, failure: &Failure, limits: &Limits, now: Instant) {
        self.errors.fetch_add(1, Ordering::Relaxed);
        let counter = match failure {
            Failure::Trap(_) => &self.traps,
            Failure::OutOfFuel => &self.fuel_exhausted,
            Failure::MemoryLimit => &self.memory_limit_hits,
            Failure::BadValue(_) => &self.bad_values,
        };
        counter.fetch_add(1, Ordering::Relaxed);
        let mut breaker = self.breaker();
        breaker.consecutive = breaker.consecutive.saturating_add(1);
        if breaker.consecutive >= limits.failures_before_cooldown {
            breaker.disabled_until = Some(now + limits.cooldown());
            self.cooldowns.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// The counters now.
    pub fn stats(&self) -> PluginStats {
        let read = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        PluginStats {
            calls: read(&self.calls),
            errors: read(&self.errors),
            traps: read(&self.traps),
            fuel_exhausted: read(&self.fuel_exhausted),
            memory_limit_hits: read(&self.memory_limit_hits),
            bad_values: read(&self.bad_values),
            skipped: read(&self.skipped),
            cooldowns: read(&self.cooldowns),
            disabled_until: self.breaker().disabled_until,
        }
    }

    fn breaker(&self) -> std::sync::MutexGuard<'_, Breaker> {
        // The breaker's fields are always consistent (plain stores); a panic elsewhere
        // while it was held does not make them wrong.
        self.breaker
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn cool_down_after_a_streak_and_again_after_one_more_failure() {
        let limits = Limits {
            failures_before_cooldown: 2,
            cooldown_secs: 10.0,
            ..Limits::default()
        };
        let health = Health::default();
        let t0 = Instant::now();
        let at = |secs| t0 + Duration::from_secs(secs);
        // (time, call outcome: Some(true) success, Some(false) failure, None skipped)
        let steps = [
            (0, Some(false)),
            (1, Some(true)), // the streak ends
            (2, Some(false)),
            (3, Some(false)), // second in a row: disabled until 13
            (5, None),
            (12, None),
            (13, Some(false)), // cooled down, fails again: disabled until 23
            (14, None),
            (23, Some(true)),
            (24, Some(false)), // the streak starts over
            (25, Some(true)),
        ];
        for (secs, outcome) in steps {
            assert_eq!(health.admit(at(secs)), outcome.is_some(), "at {secs}s");
            match outcome {
                Some(true) => health.succeeded(),
                Some(false) => health.failed(&Failure::OutOfFuel, &limits, at(secs)),
                None => {}
            }
        }
        let stats = health.stats();
        assert_eq!(
            stats,
            PluginStats {
                calls: 8,
                errors: 5,
                fuel_exhausted: 5,
                skipped: 3,
                cooldowns: 2,
                disabled_until: None,
                ..PluginStats::default()
            }
        );
    }
}
