//! Rate limits: GCRA per key, keyed by client address, address and route, or a header
//! such as an API key, for requests matching a route pattern and methods.
//!
//! The generic cell rate algorithm keeps one time per key, the *theoretical arrival
//! time* (TAT): a request at `t` is allowed when `TAT − t ≤ τ` and moves TAT to
//! `max(TAT, t) + T`, where `T = 1/rate` is the emission interval and
//! `τ = (burst − 1) × T` the tolerance. A fresh key may send `burst` requests at once,
//! then one every `T`. A key over its limit is refused for `cooldown` seconds, whatever
//! it sends meanwhile.
//!
//! Time is passed in ([`RateLimiter::check`] takes an [`Instant`]), so tests and
//! replays decide on recorded time, and the keys are held in a
//! concurrent map with a cap (see [`LimiterSettings::max_keys`]).
//!
//! ```
//! let config = waf_core::Config::from_toml(r#"
//!     [[rate_limits]]
//!     name = "per-address"
//!     key = "ip"
//!     rate = 100      # per second
//!     burst = 100
//!     cooldown = 60   # seconds
//!
//!     [[rate_limits]]
//!     name = "login"
//!     key = "ip+route"
//!     path = "/login"
//!     methods = ["POST"]
//!     rate = 1
//!     burst = 5
//!
//!     [[rate_limits]]
//!     name = "api-keys"
//!     key = "header:X-Api-Key"
//!     path = "/api/*/search"
//!     rate = 10
//! "#)?;
//! assert_eq!(config.rate_limits.len(), 3);
//! assert_eq!(config.limiter.max_keys, 1_000_000);
//! # Ok::<(), waf_core::Error>(())
//! ```

use crate::bounded::{BoundedMap, Expiring};
use crate::request::RequestView;
use serde::Deserialize;
use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// What a rate limit counts requests by.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub enum LimitKey {
    /// The client address (`"ip"`).
    #[default]
    Ip,
    /// The client address and the request's path (`"ip+route"`): each route its own
    /// budget.
    IpRoute,
    /// The value of a header (`"header:X-Api-Key"`), whatever the address; requests
    /// without the header are not counted by this limit.
    Header(String),
}

impl TryFrom<String> for LimitKey {
    type Error = String;

    fn try_from(text: String) -> Result<Self, String> {
        match text.as_str() {
            "ip" => Ok(Self::Ip),
            "ip+route" => Ok(Self::IpRoute),
            _ => match text.strip_prefix("header:") {
                Some(name)
                    if !name.is_empty()
                        && name
                            .bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b"-_".contains(&b)) =>
                {
                    Ok(Self::Header(name.to_owned()))
                }
                _ => Err(format!(
                    "key must be \"ip\", \"ip+route\" or \"header:NAME\", found {text:?}"
                )),
            },
        }
    }
}

/// One rate limit (a `[[rate_limits]]` table of the configuration).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimitRule {
    /// Its name, in logs.
    pub name: String,
    /// What requests are counted by (default `"ip"`).
    #[serde(default)]
    pub key: LimitKey,
    /// The paths it applies to: a prefix (`/api/`), or a pattern where `*` stands for
    /// any run of characters, `/` included (`/api/*/search`). Default `/`: every path.
    #[serde(default = "root")]
    pub path: String,
    /// The methods it applies to (`["POST"]`); empty (the default): all.
    #[serde(default)]
    pub methods: Vec<String>,
    /// Sustained requests per second.
    pub rate: f64,
    /// Requests a fresh key may send at once; default: `rate`, rounded up.
    #[serde(default)]
    pub burst: Option<u32>,
    /// Seconds a key over the limit is refused for; 0 (the default): only until the
    /// next request would fit.
    #[serde(default)]
    pub cooldown: u64,
}

fn root() -> String {
    "/".into()
}

/// The longest cooldown accepted, a year: times are kept in 64-bit nanoseconds.
const MAX_COOLDOWN: u64 = 365 * 24 * 3600;

impl RateLimitRule {
    /// Checks the values; the error names the limit and the field.
    pub(crate) fn validate(&self, index: usize) -> Result<(), String> {
        let at = format!("rate_limits[{index}] ({:?})", self.name);
        if self.name.is_empty() {
            return Err(format!("{at}: name must not be empty"));
        }
        if !(self.rate.is_finite() && self.rate >= 1e-6 && self.rate <= 1e9) {
            return Err(format!(
                "{at}: rate must be in [0.000001, 1e9] per second, found {}",
                self.rate
            ));
        }
        if self.burst == Some(0) {
            return Err(format!("{at}: burst must be ≥ 1"));
        }
        if self.cooldown > MAX_COOLDOWN {
            return Err(format!("{at}: cooldown must be ≤ {MAX_COOLDOWN} seconds"));
        }
        if !self.path.starts_with('/') && !self.path.starts_with('*') {
            return Err(format!(
                "{at}: path must start with / or *, found {:?}",
                self.path
            ));
        }
        if let Some(m) = self
            .methods
            .iter()
            .find(|m| m.is_empty() || !m.bytes().all(|b| b.is_ascii_alphabetic()))
        {
            return Err(format!("{at}: methods must be method names, found {m:?}"));
        }
        Ok(())
    }

    /// Whether the limit counts a request with this method and path.
    pub fn applies(&self, method: &str, path: &str) -> bool {
        (self.methods.is_empty() || self.methods.iter().any(|m| m.eq_ignore_ascii_case(method)))
            && path_matches(&self.path, path)
    }

    /// `(T, τ)` in nanoseconds: the emission interval and the tolerance.
    pub fn gcra(&self) -> (u64, u64) {
        let interval = ((1e9 / self.rate).round() as u64).max(1);
        (
            interval,
            interval.saturating_mul(u64::from(self.burst() - 1)),
        )
    }

    /// Requests a fresh key may send at once.
    pub fn burst(&self) -> u32 {
        self.burst.unwrap_or(self.rate.ceil() as u32).max(1)
    }

    /// The key `request` is counted under, the same on every node (for limits kept in
    /// shared state): the limit's name and the client address, the address and a digest
    /// of the path, or a digest of the header's value; `None` when the limit does not
    /// count the request (another method or path, or no such header).
    ///
    /// ```
    /// use waf_core::Config;
    /// use waf_core::request::{Limits, RawRequest, RequestView};
    ///
    /// let config = Config::from_toml("[[rate_limits]]\nname = \"api\"\npath = \"/api/\"\nrate = 5")?;
    /// let request = |uri| RequestView::from_raw(
    ///     RawRequest { method: "GET", uri, protocol: "HTTP/1.1", headers: vec![], body: Default::default(), client: [203, 0, 113, 9].into() },
    ///     &Limits::default(),
    /// );
    /// let limit = &config.rate_limits[0];
    /// assert_eq!(limit.shared_key(&request("/api/items")).as_deref(), Some("api:ip:203.0.113.9"));
    /// assert_eq!(limit.shared_key(&request("/about")), None);
    /// # Ok::<(), waf_core::Error>(())
    /// ```
    pub fn shared_key(&self, request: &RequestView) -> Option<String> {
        if !self.applies(&request.method, &request.path) {
            return None;
        }
        // Digests keep keys short whatever clients send; SHA-1 is stable across builds
        // and machines, unlike the std hasher.
        let digest = |bytes: &[u8]| {
            use sha1::Digest;
            let hash = sha1::Sha1::digest(bytes);
            hash[..8]
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
        };
        Some(match &self.key {
            LimitKey::Ip => format!("{}:ip:{}", self.name, request.client),
            LimitKey::IpRoute => format!(
                "{}:route:{}:{}",
                self.name,
                request.client,
                digest(request.path.as_bytes())
            ),
            LimitKey::Header(name) => {
                format!("{}:header:{}", self.name, digest(request.header(name)?))
            }
        })
    }
}

/// Whether `path` matches `pattern`: a prefix, or with `*`, a whole-path pattern.
/// Each literal piece is matched at its leftmost place after the previous one, which is
/// exact for `*`-only patterns and linear in the path: nothing backtracks.
fn path_matches(pattern: &str, path: &str) -> bool {
    let mut pieces = pattern.split('*');
    let first = pieces.next().unwrap_or_default();
    let Some(mut rest) = path.strip_prefix(first) else {
        return false;
    };
    let Some(last) = pieces.next_back() else {
        return true; // no `*`: a prefix
    };
    for piece in pieces {
        match rest.find(piece) {
            Some(at) => rest = &rest[at + piece.len()..],
            None => return false,
        }
    }
    rest.ends_with(last)
}

/// Settings of the limiter as a whole (the `[limiter]` table).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LimiterSettings {
    /// The most keys held at once (1,000,000): a flood from more addresses evicts the
    /// stalest keys instead of growing memory.
    pub max_keys: usize,
}

impl Default for LimiterSettings {
    fn default() -> Self {
        Self {
            max_keys: 1_000_000,
        }
    }
}

/// A refused request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limited {
    /// The limit's name.
    pub rule: String,
    /// How long the client should wait.
    pub retry_after: Duration,
    /// True for the request that went over the limit (and started the cooldown);
    /// false for one refused during a cooldown.
    pub exceeded: bool,
    /// In words: `IP 203.0.113.9 exceeded threshold (100/sec). Cooling down for 60s`.
    pub message: String,
}

impl Limited {
    /// `request` refused by `rule` for `retry_after`; `exceeded`: this request went
    /// over the limit (rather than arriving during a cooldown).
    pub fn new(
        rule: &RateLimitRule,
        request: &RequestView,
        retry_after: Duration,
        exceeded: bool,
    ) -> Self {
        let wait = u64::try_from(retry_after.as_nanos()).unwrap_or(u64::MAX);
        Self {
            rule: rule.name.clone(),
            retry_after,
            exceeded,
            message: message(rule, request, wait, exceeded),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Subject {
    Addr(IpAddr),
    // Paths and header values are hashed (keyed SipHash): keys stay small whatever
    // clients send.
    Route(IpAddr, u64),
    Header(u64),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Key {
    /// The limit's index in the configuration.
    rule: usize,
    subject: Subject,
}

#[derive(Debug, Default)]
struct Cell {
    /// Theoretical arrival time, ns since the limiter's epoch.
    tat: u64,
    /// Refused until then, ns since the epoch.
    cooldown_until: u64,
}

impl Expiring for Cell {
    fn expires(&self) -> u64 {
        self.tat.max(self.cooldown_until)
    }
}

/// The state of every rate-limited key. [`Waf`](crate::Waf) holds one; public for
/// embedders and benchmarks.
///
/// ```
/// use std::time::{Duration, Instant};
/// use waf_core::Config;
/// use waf_core::ratelimit::RateLimiter;
/// use waf_core::request::{Limits, RawRequest, RequestView};
///
/// let config = Config::from_toml("[[rate_limits]]\nname = \"all\"\nrate = 2\ncooldown = 60")?;
/// let request = RequestView::from_raw(
///     RawRequest { method: "GET", uri: "/", protocol: "HTTP/1.1", headers: vec![], body: Default::default(), client: [203, 0, 113, 9].into() },
///     &Limits::default(),
/// );
/// let limiter = RateLimiter::default();
/// let now = Instant::now();
/// let check = |at| limiter.check(&config.rate_limits, config.limiter.max_keys, &request, at);
/// assert!(check(now).is_none() && check(now).is_none()); // the burst of 2
/// let limited = check(now).unwrap();
/// assert_eq!(limited.message, "IP 203.0.113.9 exceeded threshold (2/sec). Cooling down for 60s");
/// assert_eq!(check(now + Duration::from_secs(59)).unwrap().retry_after, Duration::from_secs(1));
/// assert!(check(now + Duration::from_secs(60)).is_none());
/// # Ok::<(), waf_core::Error>(())
/// ```
#[derive(Debug)]
pub struct RateLimiter {
    epoch: Instant,
    hasher: RandomState,
    cells: BoundedMap<Key, Cell>,
}

impl Default for RateLimiter {
    fn default() -> Self {
        // Times before the epoch count as the epoch; an hour back leaves room for
        // callers whose clocks were read a little before the limiter was made.
        let now = Instant::now();
        Self {
            epoch: now.checked_sub(Duration::from_secs(3600)).unwrap_or(now),
            hasher: RandomState::new(),
            cells: BoundedMap::default(),
        }
    }
}

impl RateLimiter {
    /// Counts `request` against every limit of `rules` that applies to it, at `now`,
    /// holding at most `max_keys` keys; the first limit it is over, if any.
    pub fn check(
        &self,
        rules: &[RateLimitRule],
        max_keys: usize,
        request: &RequestView,
        now: Instant,
    ) -> Option<Limited> {
        let t =
            u64::try_from(now.saturating_duration_since(self.epoch).as_nanos()).unwrap_or(u64::MAX);
        rules.iter().enumerate().find_map(|(index, rule)| {
            if !rule.applies(&request.method, &request.path) {
                return None;
            }
            let subject = match &rule.key {
                LimitKey::Ip => Subject::Addr(request.client),
                LimitKey::IpRoute => {
                    Subject::Route(request.client, self.hasher.hash_one(&request.path))
                }
                LimitKey::Header(name) => {
                    Subject::Header(self.hasher.hash_one(request.header(name)?))
                }
            };
            let (interval, tolerance) = rule.gcra();
            let cooldown = rule.cooldown.saturating_mul(1_000_000_000);
            let wait = self.cells.update(
                Key {
                    rule: index,
                    subject,
                },
                max_keys,
                t,
                Cell::default,
                |cell| {
                    if cell.cooldown_until > t {
                        return Some((cell.cooldown_until - t, false));
                    }
                    let tat = cell.tat.max(t);
                    if tat - t > tolerance {
                        if cooldown == 0 {
                            return Some((tat - t - tolerance, true));
                        }
                        cell.cooldown_until = t.saturating_add(cooldown);
                        return Some((cooldown, true));
                    }
                    cell.tat = tat.saturating_add(interval);
                    None
                },
            )?;
            let (wait, exceeded) = wait;
            Some(Limited::new(
                rule,
                request,
                Duration::from_nanos(wait),
                exceeded,
            ))
        })
    }

    /// Forgets every key (after the limits changed: keys name limits by position).
    pub fn clear(&self) {
        self.cells.clear();
    }

    /// How many keys it holds.
    pub fn len(&self) -> usize {
        self.cells.len()
    }

    /// Whether it holds no key.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many keys were evicted before they expired to keep under `max_keys`.
    pub fn evictions(&self) -> u64 {
        self.cells.evictions()
    }
}

fn message(rule: &RateLimitRule, request: &RequestView, wait: u64, exceeded: bool) -> String {
    let who = match &rule.key {
        LimitKey::Ip => format!("IP {}", request.client),
        // The path is the client's: cut, so that a log line stays a line.
        LimitKey::IpRoute => format!(
            "IP {} on {}",
            request.client,
            request.path.chars().take(100).collect::<String>()
        ),
        LimitKey::Header(name) => format!("{name} of IP {}", request.client),
    };
    let seconds = wait.div_ceil(1_000_000_000);
    match (exceeded, rule.cooldown) {
        (true, 0) => format!("{who} exceeded threshold ({}/sec)", rule.rate),
        (true, cooldown) => format!(
            "{who} exceeded threshold ({}/sec). Cooling down for {cooldown}s",
            rule.rate
        ),
        (false, _) => format!("{who} is cooling down ({seconds}s left)"),
    }
}

#[cfg(test)]
mod tests;
