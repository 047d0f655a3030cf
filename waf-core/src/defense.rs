//! Active defense: a client whose requests keep being denied, or whose scores add up,
//! within a window is banned, for longer each time it comes back.
//!
//! [`Waf`](crate::Waf) feeds every verdict of blocking mode in; a ban goes through
//! [`Waf::ban`](crate::Waf::ban), so it reaches the blocklist and the decision stream
//! like a manual one. Offenders are remembered in a map capped at
//! [`ActiveDefense::max_clients`]; clients that are never denied and never score are
//! not remembered at all.
//!
//! ```
//! let config = waf_core::Config::from_toml(r#"
//!     [active_defense]
//!     enabled = true
//!     max_denials = 5     # denied requests …
//!     max_score = 3.0     # … or summed scores …
//!     window = 60         # … within 60 s
//!     ban = 600           # first ban 10 minutes, then 20, 40, …
//!     max_ban = 86400     # … up to a day
//! "#)?;
//! assert_eq!(config.active_defense.forget, 86400);
//! # Ok::<(), waf_core::Error>(())
//! ```

use crate::bounded::{BoundedMap, Expiring};
use serde::Deserialize;
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// Active defense settings (the `[active_defense]` table).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ActiveDefense {
    /// Whether clients are banned automatically (default false).
    pub enabled: bool,
    /// Denied requests within `window` that earn a ban (10).
    pub max_denials: u32,
    /// Summed weighted scores within `window` that earn a ban (5.0); 0 turns this
    /// trigger off.
    pub max_score: f64,
    /// The window, in seconds (60).
    pub window: u64,
    /// The first ban, in seconds (600); each further ban doubles it.
    pub ban: u64,
    /// The longest ban, in seconds (86400).
    pub max_ban: u64,
    /// Seconds after its last ban that a client's record is forgotten (86400): its
    /// next ban starts again from `ban`.
    pub forget: u64,
    /// The most clients remembered at once (100,000); the stalest are evicted.
    pub max_clients: usize,
}

impl Default for ActiveDefense {
    fn default() -> Self {
        Self {
            enabled: false,
            max_denials: 10,
            max_score: 5.0,
            window: 60,
            ban: 600,
            max_ban: 86400,
            forget: 86400,
            max_clients: 100_000,
        }
    }
}

/// The longest duration accepted, a year: times are kept in 64-bit nanoseconds.
const MAX_SECONDS: u64 = 365 * 24 * 3600;

impl ActiveDefense {
    /// Checks the values; the error names the setting.
    pub(crate) fn validate(&self) -> Result<(), String> {
        let at = "active_defense";
        if self.max_denials == 0 {
            return Err(format!("{at}.max_denials must be ≥ 1"));
        }
        if !(self.max_score.is_finite() && self.max_score >= 0.0) {
            return Err(format!(
                "{at}.max_score must be ≥ 0, found {}",
                self.max_score
            ));
        }
        for (name, value) in [
            ("window", self.window),
            ("ban", self.ban),
            ("max_ban", self.max_ban),
            ("forget", self.forget),
        ] {
            if !(1..=MAX_SECONDS).contains(&value) {
                return Err(format!(
                    "{at}.{name} must be 1-{MAX_SECONDS} seconds, found {value}"
                ));
            }
        }
        if self.max_ban < self.ban {
            return Err(format!("{at}.max_ban must be ≥ ban"));
        }
        if self.max_clients == 0 {
            return Err(format!("{at}.max_clients must be ≥ 1"));
        }
        Ok(())
    }
}

/// A ban earned by a client.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Ban {
    pub(crate) ttl: Duration,
    pub(crate) reason: String,
}

#[derive(Debug, Default)]
struct Offender {
    /// All times in ns since the tracker's epoch.
    window_start: u64,
    window_end: u64,
    denials: u32,
    score: f64,
    /// Bans so far (until forgotten).
    bans: u32,
    forget_at: u64,
}

impl Expiring for Offender {
    fn expires(&self) -> u64 {
        self.window_end.max(self.forget_at)
    }
}

/// The offenders' records.
#[derive(Debug)]
pub(crate) struct Tracker {
    epoch: Instant,
    offenders: BoundedMap<IpAddr, Offender>,
}

impl Default for Tracker {
    fn default() -> Self {
        let now = Instant::now();
        Self {
            // Room for callers whose clocks were read a little before.
            epoch: now.checked_sub(Duration::from_secs(3600)).unwrap_or(now),
            offenders: BoundedMap::default(),
        }
    }
}

const SECOND: u64 = 1_000_000_000;

impl Tracker {
    /// Records a verdict on `client` at `now` (`denied`, with weighted `score`); the
    /// ban it earns, if any.
    pub(crate) fn observe(
        &self,
        settings: &ActiveDefense,
        client: IpAddr,
        denied: bool,
        score: f64,
        now: Instant,
    ) -> Option<Ban> {
        // Clean requests leave no trace: a flood of them costs no memory here.
        if !settings.enabled || !(denied || score > 0.0) {
            return None;
        }
        let t =
            u64::try_from(now.saturating_duration_since(self.epoch).as_nanos()).unwrap_or(u64::MAX);
        let window = settings.window * SECOND;
        self.offenders
            .update(client, settings.max_clients, t, Offender::default, |o| {
                if t >= o.window_end {
                    o.window_start = t;
                    o.window_end = t.saturating_add(window);
                    o.denials = 0;
                    o.score = 0.0;
                }
                if t >= o.forget_at {
                    o.bans = 0;
                }
                o.denials += u32::from(denied);
                o.score += score;
                let why = if o.denials >= settings.max_denials {
                    format!("{} denied requests", o.denials)
                } else if settings.max_score > 0.0 && o.score >= settings.max_score {
                    format!("score {:.2}", o.score)
                } else {
                    return None;
                };
                let seconds = (t - o.window_start).div_ceil(SECOND);
                o.bans = o.bans.saturating_add(1);
                let ttl = settings
                    .ban
                    .saturating_mul(1u64.checked_shl(o.bans - 1).unwrap_or(u64::MAX))
                    .min(settings.max_ban);
                o.forget_at = t.saturating_add(settings.forget * SECOND);
                // The next window starts afresh after the ban.
                o.window_end = t;
                Some(Ban {
                    ttl: Duration::from_secs(ttl),
                    reason: format!(
                        "active defense: {why} in {seconds}s (ban {} for this client)",
                        o.bans
                    ),
                })
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLIENT: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(203, 0, 113, 9));

    fn settings() -> ActiveDefense {
        ActiveDefense {
            enabled: true,
            max_denials: 3,
            max_score: 2.0,
            window: 10,
            ban: 60,
            max_ban: 200,
            forget: 1000,
            ..ActiveDefense::default()
        }
    }

    #[test]
    fn denials_or_scores_within_the_window_earn_growing_bans() {
        let tracker = Tracker::default();
        let settings = settings();
        let start = Instant::now();
        // (seconds since start, denied, score, ban earned in seconds)
        let steps: &[(u64, bool, f64, Option<u64>)] = &[
            (0, false, 0.0, None), // clean
            (0, true, 0.6, None),
            (5, true, 0.6, None),
            (11, true, 0.6, None), // the window restarted at 11
            (12, true, 0.1, None),
            (13, true, 0.1, Some(60)), // three denials within 10 s
            (14, false, 0.9, None),
            (15, false, 0.9, None),
            (16, false, 0.3, Some(120)), // summed score 2.1, second ban
            (20, true, 0.0, None),
            (20, true, 0.0, None),
            (20, true, 0.0, Some(200)), // third ban: 240, capped at 200
            (2000, true, 1.0, None),
            (2000, true, 1.0, Some(60)), // forgotten after 1000 s
        ];
        for &(second, denied, score, ban) in steps {
            let got = tracker.observe(
                &settings,
                CLIENT,
                denied,
                score,
                start + Duration::from_secs(second),
            );
            assert_eq!(got.map(|b| b.ttl.as_secs()), ban, "at {second}s");
        }
    }

    #[test]
    fn disabled_or_clean_leaves_no_trace() {
        let tracker = Tracker::default();
        let now = Instant::now();
        let off = ActiveDefense::default();
        for _ in 0..100 {
            assert_eq!(tracker.observe(&off, CLIENT, true, 1.0, now), None);
            assert_eq!(tracker.observe(&settings(), CLIENT, false, 0.0, now), None);
        }
        assert_eq!(tracker.offenders.len(), 0);
    }

    #[test]
    fn reasons_say_why() {
        let tracker = Tracker::default();
        let now = Instant::now();
        let settings = settings();
        let mut ban = None;
        for second in 0..3 {
            ban = tracker.observe(
                &settings,
                CLIENT,
                true,
                0.0,
                now + Duration::from_secs(second),
            );
        }
        assert_eq!(
            ban.unwrap().reason,
            "active defense: 3 denied requests in 2s (ban 1 for this client)"
        );
    }
}
