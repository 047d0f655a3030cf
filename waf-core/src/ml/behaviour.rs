//! The `ml_behaviour` signal: what a client does over a sliding window, for attacks
//! whose requests are each normal (credential stuffing: valid syntax, many user names,
//! mostly failures, often a rotating browser disguise).
//!
//! Per client address the window keeps its last [`BehaviourSettings::max_events`]
//! requests and response outcomes; clients are held in a map capped at
//! [`BehaviourSettings::max_clients`] (the stalest evicted first), so memory is bounded
//! whatever the number of addresses. From the window come five features, each turned
//! into a part in [0, 1] by an explicit ramp, and combined as a noisy-OR
//! (`1 − Π(1 − part)`): one strong sign is enough to be noticed, two make a high score.
//!
//! | feature | ramp (0 → full) | full part |
//! | --- | --- | --- |
//! | distinct user names | 2 → 10 | 0.7 |
//! | failure ratio of the responses (≥ 5 seen) | 0.3 → 0.8 | 0.7 |
//! | requests per minute | 60 → 300 | 0.5 |
//! | header-set changes | 1 → 8 | 0.5 |
//! | distinct paths | 30 → 120 | 0.3 |
//!
//! A burst that tries ten user names and mostly fails scores `1 − 0.3 × 0.3 = 0.91`.
//! With the weight [`SUGGESTED_WEIGHT`] (0.8) that is 0.73 points: in the default
//! challenge band `[0.70, 0.85)`, so the engine answers `Challenge`, and never denies on
//! behaviour alone. A failure is a response status of 401, 403 or 429; responses reach
//! the window through [`SignalSource::observe_response`].

use crate::bounded::{BoundedMap, Expiring};
use crate::request::RequestView;
use crate::{Assessment, SignalSource};
use std::collections::VecDeque;
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// The signal's name: its weight is `scoring.weights.ml_behaviour` (none by default;
/// see [`SUGGESTED_WEIGHT`]).
pub const SIGNAL: &str = "ml_behaviour";

/// A weight that puts a high behaviour score in the default challenge band and keeps
/// every behaviour score under the deny threshold.
pub const SUGGESTED_WEIGHT: f64 = 0.8;

/// From this signal on, the verdict lists a match with the window's features.
const EXPLAIN_FROM: f64 = 0.5;

/// Argument names that carry a user name (compared lower-case, as substrings).
const USER_ARGS: [&str; 4] = ["user", "login", "email", "account"];

/// The window's sizes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BehaviourSettings {
    /// How far back the window looks.
    pub window: Duration,
    /// Requests (and responses) kept per client.
    pub max_events: usize,
    /// Clients tracked at once.
    pub max_clients: usize,
}

impl Default for BehaviourSettings {
    fn default() -> Self {
        Self {
            window: Duration::from_secs(60),
            max_events: 128,
            max_clients: 100_000,
        }
    }
}

/// One client's recent requests and response outcomes.
#[derive(Debug, Default)]
struct Window {
    requests: VecDeque<Seen>,
    /// (when, whether it failed)
    responses: VecDeque<(u64, bool)>,
    /// Nanoseconds at which everything in the window is stale.
    expires: u64,
}

/// What the window keeps of a request: hashes only.
#[derive(Debug, Clone, Copy)]
struct Seen {
    at: u64,
    path: u64,
    user: Option<u64>,
    header_set: u64,
}

impl Expiring for Window {
    fn expires(&self) -> u64 {
        self.expires
    }
}

/// The features of one client's window.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WindowFeatures {
    /// Requests per minute over the window.
    pub rate_per_minute: f64,
    /// Distinct paths.
    pub paths: usize,
    /// Distinct user names.
    pub users: usize,
    /// Failed responses among those seen (0 until five are seen).
    pub failure_ratio: f64,
    /// Times the set of header names (or the User-Agent) differed from the previous
    /// request's.
    pub header_changes: usize,
}

impl WindowFeatures {
    /// The behaviour score in [0, 1] (the ramps of the [module docs](self)).
    pub fn score(&self) -> f64 {
        let ramp = |x: f64, from: f64, to: f64| ((x - from) / (to - from)).clamp(0.0, 1.0);
        let parts = [
            0.7 * ramp(self.users as f64, 2.0, 10.0),
            0.7 * ramp(self.failure_ratio, 0.3, 0.8),
            0.5 * ramp(self.rate_per_minute, 60.0, 300.0),
            0.5 * ramp(self.header_changes as f64, 1.0, 8.0),
            0.3 * ramp(self.paths as f64, 30.0, 120.0),
        ];
        1.0 - parts.iter().map(|p| 1.0 - p).product::<f64>()
    }
}

/// Per-client behaviour as a [`SignalSource`]; see the [module docs](self).
///
/// ```
/// use std::sync::Arc;
/// use waf_core::ml::behaviour::{Behaviour, SIGNAL, SUGGESTED_WEIGHT};
/// use waf_core::Waf;
///
/// let waf = Waf::builder()
///     .weight(SIGNAL, SUGGESTED_WEIGHT)
///     .signal_source(Arc::new(Behaviour::default()))
///     .build()?;
/// # Ok::<(), waf_core::Error>(())
/// ```
#[derive(Debug)]
pub struct Behaviour {
    settings: BehaviourSettings,
    clients: BoundedMap<IpAddr, Window>,
    epoch: Instant,
}

impl Default for Behaviour {
    fn default() -> Self {
        Self::new(BehaviourSettings::default())
    }
}

impl Behaviour {
    /// Tracks clients with these sizes.
    pub fn new(settings: BehaviourSettings) -> Self {
        Self {
            settings,
            clients: BoundedMap::default(),
            epoch: Instant::now(),
        }
    }

    /// Clients tracked now.
    pub fn clients(&self) -> usize {
        self.clients.len()
    }

    /// Records `request` as seen at `now` and returns its client's window features.
    pub fn observe_request_at(&self, request: &RequestView, now: Instant) -> WindowFeatures {
        let at = self.nanos(now);
        let seen = Seen {
            at,
            path: hash(&request.path_decoded),
            user: user_name(request).map(hash),
            header_set: header_set(request),
        };
        self.update(request.client, at, |window| {
            window.requests.push_back(seen);
            if window.requests.len() > self.settings.max_events {
                window.requests.pop_front();
            }
            features(window, self.settings.window)
        })
    }

    /// Records the response status (`None`: no response, the request was stopped) of
    /// a request of `client` at `now`.
    pub fn observe_response_at(&self, client: IpAddr, status: Option<u16>, now: Instant) {
        let Some(status) = status else { return };
        let at = self.nanos(now);
        self.update(client, at, |window| {
            window
                .responses
                .push_back((at, matches!(status, 401 | 403 | 429)));
            if window.responses.len() > self.settings.max_events {
                window.responses.pop_front();
            }
        });
    }

    fn update<R>(&self, client: IpAddr, at: u64, f: impl FnOnce(&mut Window) -> R) -> R {
        let span = u64::try_from(self.settings.window.as_nanos()).unwrap_or(u64::MAX);
        self.clients.update(
            client,
            self.settings.max_clients,
            at,
            Window::default,
            |window| {
                let start = at.saturating_sub(span);
                while window.requests.front().is_some_and(|s| s.at < start) {
                    window.requests.pop_front();
                }
                while window.responses.front().is_some_and(|r| r.0 < start) {
                    window.responses.pop_front();
                }
                window.expires = window.expires.max(at.saturating_add(span));
                f(window)
            },
        )
    }

    fn nanos(&self, now: Instant) -> u64 {
        u64::try_from(now.saturating_duration_since(self.epoch).as_nanos()).unwrap_or(u64::MAX)
    }
}

impl SignalSource for Behaviour {
    fn name(&self) -> &str {
        SIGNAL
    }

    fn assess(&self, request: &RequestView) -> Assessment {
        let features = self.observe_request_at(request, Instant::now());
        let signal = features.score();
        super::assessment(SIGNAL, signal, EXPLAIN_FROM, || {
            (
                format!(
                    "Client behaviour {signal:.2}: {} user names, {:.0}% failures, {:.0} requests/min, {} header-set changes, {} paths",
                    features.users,
                    features.failure_ratio * 100.0,
                    features.rate_per_minute,
                    features.header_changes,
                    features.paths,
                ),
                "REMOTE_ADDR",
                request.client.to_string(),
            )
        })
    }

    fn observe_response(&self, request: &RequestView, status: Option<u16>) {
        self.observe_response_at(request.client, status, Instant::now());
    }
}

fn features(window: &Window, span: Duration) -> WindowFeatures {
    let distinct = |mut keys: Vec<u64>| {
        keys.sort_unstable();
        keys.dedup();
        keys.len()
    };
    let requests = &window.requests;
    let failures = window.responses.iter().filter(|r| r.1).count();
    let failure_ratio = if window.responses.len() >= 5 {
        failures as f64 / window.responses.len() as f64
    } else {
        0.0
    };
    // The rate over the time the window actually covers, at least ten seconds, so that
    // two quick requests are not read as a flood.
    let covered = match (requests.front(), requests.back()) {
        (Some(first), Some(last)) => Duration::from_nanos(last.at - first.at),
        _ => Duration::ZERO,
    };
    let minutes = covered.max(Duration::from_secs(10)).min(span).as_secs_f64() / 60.0;
    WindowFeatures {
        rate_per_minute: requests.len() as f64 / minutes,
        paths: distinct(requests.iter().map(|s| s.path).collect()),
        users: distinct(requests.iter().filter_map(|s| s.user).collect()),
        failure_ratio,
        header_changes: requests
            .iter()
            .zip(requests.iter().skip(1))
            .filter(|(a, b)| a.header_set != b.header_set)
            .count(),
    }
}

/// The value of the first argument whose name says it holds a user name.
fn user_name(request: &RequestView) -> Option<&[u8]> {
    request
        .args()
        .find(|arg| {
            let name = arg.name_lossy().to_ascii_lowercase();
            !arg.value.is_empty() && USER_ARGS.iter().any(|u| name.contains(u))
        })
        .map(|arg| &arg.value[..])
}

/// The header names in order, and the User-Agent: what a rotating disguise changes.
fn header_set(request: &RequestView) -> u64 {
    let mut hasher = DefaultHasher::new();
    for header in &request.headers {
        header.name.to_ascii_lowercase().hash(&mut hasher);
    }
    request.header("user-agent").hash(&mut hasher);
    hasher.finish()
}

fn hash(bytes: &[u8]) -> u64 {
    let mut hasher = DefaultHasher::new();
    bytes.hash(&mut hasher);
    hasher.finish()
}
