//! Rate limits counted in Redis, across nodes.
//!
//! Redis holds each key's GCRA state ([`TAKE`](super::scripts::TAKE)). A node does not
//! ask Redis for every request: it takes a *batch* of requests that fit and spends
//! them locally until they run out or their time passes (a batch is good for as long
//! as it would take the limit's rate to earn it, so unspent requests cannot pile up
//! into a burst later). A refused client is refused locally until its wait is over.
//! Every request a node lets through was granted by Redis, so nodes together never let
//! a client exceed the limit; what batching costs is precision at the edges: a batch
//! taken by one node cannot be spent by another (`benches/shared.rs` measures both).

use super::Core;
use super::settings::FailMode;
use super::stats::Counters;
use dashmap::DashMap;
use std::time::{Duration, Instant};
use waf_core::ratelimit::{Limited, RateLimitRule};
use waf_core::request::RequestView;

/// What this node holds of one key.
#[derive(Debug, Clone, Copy)]
struct Lease {
    /// Requests granted and not spent yet.
    left: u32,
    /// When they lapse.
    until: Instant,
    /// Refused until then (a cooldown, or the wait until the next request fits).
    refused_until: Option<Instant>,
}

/// The leases of this node, bounded like the engine's own limiter.
#[derive(Debug, Default)]
pub(crate) struct Leases {
    held: DashMap<String, Lease>,
}

/// What the local leases say about one key.
enum Local {
    /// A granted request was spent.
    Spent,
    /// Refused for this long.
    Refused(Duration),
    /// Redis must be asked.
    Ask,
}

impl Leases {
    fn spend(&self, key: &str, now: Instant) -> Local {
        let Some(mut lease) = self.held.get_mut(key) else {
            return Local::Ask;
        };
        if let Some(until) = lease.refused_until {
            if until > now {
                return Local::Refused(until - now);
            }
            lease.refused_until = None;
        }
        if lease.left > 0 && lease.until > now {
            lease.left -= 1;
            return Local::Spent;
        }
        Local::Ask
    }

    fn keep(&self, key: String, lease: Lease, cap: usize, now: Instant) {
        if self.held.len() >= cap && !self.held.contains_key(&key) {
            // Lapsed leases are as good as absent; if that is not enough, all go (each
            // key then asks Redis again, which still holds the truth).
            self.held
                .retain(|_, l| l.until > now || l.refused_until.is_some_and(|t| t > now));
            if self.held.len() >= cap {
                self.held.clear();
            }
        }
        self.held.insert(key, lease);
    }
}

impl Core {
    /// Counts `request` against the engine's rate limits in Redis; the first limit it is
    /// over, if any.
    pub(crate) async fn check_rate_limits(&self, request: &RequestView) -> Option<Limited> {
        let (applicable, max_keys) = self.waf.with_config(|config| {
            let applicable: Vec<(usize, String)> = config
                .rate_limits
                .iter()
                .enumerate()
                .filter_map(|(index, rule)| Some((index, rule.shared_key(request)?)))
                .collect();
            (applicable, config.limiter.max_keys)
        });
        for (index, key) in applicable {
            let now = Instant::now();
            let local = self.leases.spend(&key, now);
            if let Local::Spent = local {
                // The common case: a request of a batch already taken, no copy of the rule.
                continue;
            }
            // A reload since the keys were made may have removed the limit.
            let Some(rule) = self
                .waf
                .with_config(|config| config.rate_limits.get(index).cloned())
            else {
                continue;
            };
            if let Local::Refused(wait) = local {
                return Some(Limited::new(&rule, request, wait, false));
            }
            match self.take(&rule, &key).await {
                Ok((granted, wait, exceeded)) => {
                    Counters::bump(&self.counters.limit_batches);
                    let now = Instant::now();
                    if granted > 0 {
                        let (interval, _) = rule.gcra();
                        let good_for = Duration::from_nanos(interval.saturating_mul(granted));
                        let lease = Lease {
                            left: u32::try_from(granted - 1).unwrap_or(u32::MAX),
                            until: now + good_for,
                            refused_until: None,
                        };
                        self.leases.keep(key, lease, max_keys, now);
                        continue;
                    }
                    let wait = Duration::from_micros(wait);
                    let lease = Lease {
                        left: 0,
                        until: now,
                        refused_until: Some(now + wait),
                    };
                    self.leases.keep(key, lease, max_keys, now);
                    return Some(Limited::new(&rule, request, wait, exceeded));
                }
                Err(error) => {
                    Counters::bump(&self.counters.command_errors);
                    tracing::debug!(target: "waf", %error, "shared rate limit: Redis did not answer");
                    return self.unanswered(request, &rule);
                }
            }
        }
        None
    }

    /// Runs the GCRA script for a batch of requests: `(granted, wait µs, exceeded)`.
    async fn take(&self, rule: &RateLimitRule, key: &str) -> Result<(u64, u64, bool), String> {
        let Some(mut conn) = self.connection() else {
            return Err("not connected".into());
        };
        let (interval, tolerance) = rule.gcra();
        let batch = self
            .settings
            .batch
            .unwrap_or_else(|| rule.burst().div_ceil(10))
            .clamp(1, rule.burst());
        let mut invocation = super::scripts::TAKE.key(self.key(&format!("rl:{key}")));
        invocation
            .arg(interval.div_ceil(1000).max(1))
            .arg(tolerance / 1000)
            .arg(batch)
            .arg(rule.cooldown.saturating_mul(1_000_000));
        let call = invocation.invoke_async::<(u64, u64, u8)>(&mut conn);
        match tokio::time::timeout(self.settings.command_timeout(), call).await {
            Ok(Ok((granted, wait, exceeded))) => Ok((granted, wait, exceeded == 1)),
            Ok(Err(error)) => Err(error.to_string()),
            Err(_) => Err("timed out".into()),
        }
    }

    /// Decides without Redis, as configured.
    fn unanswered(&self, request: &RequestView, rule: &RateLimitRule) -> Option<Limited> {
        match self.settings.on_failure {
            FailMode::Open => {
                Counters::bump(&self.counters.limit_fallbacks);
                self.waf.with_config(|config| {
                    self.fallback.check(
                        &config.rate_limits,
                        config.limiter.max_keys,
                        request,
                        Instant::now(),
                    )
                })
            }
            FailMode::Closed => {
                Counters::bump(&self.counters.limit_refusals);
                Some(Limited {
                    rule: rule.name.clone(),
                    retry_after: Duration::from_secs(1),
                    exceeded: false,
                    message: format!(
                        "IP {} refused: the shared rate limit state is unreachable (fail-closed)",
                        request.client
                    ),
                })
            }
        }
    }
}
