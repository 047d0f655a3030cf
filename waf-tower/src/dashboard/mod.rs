//! A live dashboard: request and block rates, recent events, top rules and clients,
//! bans and mode, pushed to a browser page, with controls to ban, unban and switch
//! detection-only mode. Feature `axum`.
//!
//! [`Dashboard`] is an [`Observer`]: add it to the [`WafLayer`](crate::WafLayer) and
//! serve [`Dashboard::router`] beside the app (e.g. nested under `/waf-admin`) or on a
//! port of its own. Every route wants the token of the [`DashboardSettings`]: API
//! clients send `Authorization: Bearer TOKEN`; a browser opens `/?token=TOKEN` once,
//! which sets an `HttpOnly`, `SameSite=Strict` cookie for the page's own requests.
//!
//! ```
//! use std::sync::Arc;
//! use axum::{Router, body::Body, routing::get};
//! use tower::ServiceExt;
//! use waf_core::Waf;
//! use waf_tower::WafLayer;
//! use waf_tower::dashboard::{Dashboard, DashboardSettings};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let waf = Waf::default();
//! let dashboard = Dashboard::new(waf.clone(), DashboardSettings::new("correct-horse-battery-staple"))?;
//! let app = Router::new()
//!     .route("/", get(|| async { "hello" }))
//!     .layer(WafLayer::new(waf).observe(Arc::new(dashboard.clone())))
//!     .nest("/waf-admin", dashboard.router());
//!
//! let anonymous = http::Request::get("/waf-admin/api/state").body(Body::empty())?;
//! assert_eq!(app.clone().oneshot(anonymous).await?.status(), 401);
//!
//! let operator = http::Request::get("/waf-admin/api/state")
//!     .header("authorization", "Bearer correct-horse-battery-staple")
//!     .body(Body::empty())?;
//! assert_eq!(app.oneshot(operator).await?.status(), 200);
//! # Ok(())
//! # }
//! ```
//!
//! The dashboard routes sit outside the layer in this example: the operator's requests
//! are neither inspected nor counted. The state is this process's only (bans made here
//! still reach other nodes through [`Shared`](crate::shared::Shared), as any ban does).

mod live;
mod routes;

use crate::observe::{Observer, Transaction};
use live::Live;
use serde::{Deserialize, Serialize};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::SystemTime;
use tokio::sync::Notify;
use waf_core::{Mode, Waf};

/// How many rules and clients are counted (the page shows the top few of them).
const TALLY: usize = 256;
/// How many bans a snapshot lists.
const BANS_SHOWN: usize = 100;

/// The dashboard's settings, e.g. a `[dashboard]` table of a configuration file.
///
/// ```
/// use waf_tower::dashboard::DashboardSettings;
///
/// let settings: DashboardSettings = toml::from_str(r#"
///     token = "correct-horse-battery-staple"
///     history_secs = 120
/// "#).unwrap();
/// assert_eq!(settings.events, 100);
/// ```
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DashboardSettings {
    /// The secret every request must carry: at least 16 characters, each a letter, a
    /// digit or one of `-._~` (so that it travels unchanged in a URL and a cookie).
    pub token: String,
    /// How many seconds of per-second counts the page draws (60; 1 to 3600).
    pub history_secs: usize,
    /// How many recent events are kept (100; at most 10 000).
    pub events: usize,
    /// How many rules and clients the top lists show (10; at most 100).
    pub top: usize,
}

impl DashboardSettings {
    /// The defaults with `token`.
    pub fn new(token: impl Into<String>) -> Self {
        Self {
            token: token.into(),
            ..Self::default()
        }
    }

    /// Checks the token as [`Dashboard::new`] does, e.g. when a configuration is
    /// checked before anything starts.
    ///
    /// ```
    /// use waf_tower::dashboard::DashboardSettings;
    ///
    /// assert!(DashboardSettings::new("correct-horse-battery-staple").validate().is_ok());
    /// assert!(DashboardSettings::new("hunter2").validate().is_err());
    /// assert!(DashboardSettings::new("with spaces and;semicolons").validate().is_err());
    /// ```
    pub fn validate(&self) -> Result<(), InvalidToken> {
        let token_ok = self.token.len() >= 16
            && self
                .token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
        if token_ok { Ok(()) } else { Err(InvalidToken) }
    }
}

impl Default for DashboardSettings {
    /// No token (which [`Dashboard::new`] refuses), 60 s of history, 100 events, top 10.
    fn default() -> Self {
        Self {
            token: String::new(),
            history_secs: 60,
            events: 100,
            top: 10,
        }
    }
}

impl std::fmt::Debug for DashboardSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DashboardSettings")
            .field("token", &"<redacted>")
            .field("history_secs", &self.history_secs)
            .field("events", &self.events)
            .field("top", &self.top)
            .finish()
    }
}

/// The token of [`DashboardSettings`] is too short or has characters it may not have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidToken;

impl std::fmt::Display for InvalidToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(
            "the dashboard token must be at least 16 characters, each a letter, a digit or one of -._~",
        )
    }
}

impl std::error::Error for InvalidToken {}

/// The live dashboard: an [`Observer`] keeping bounded live state, and its web page and
/// API ([`Dashboard::router`]). Clones share the state. See the [module docs](self).
#[derive(Clone)]
pub struct Dashboard {
    inner: Arc<Inner>,
}

struct Inner {
    waf: Waf,
    token: String,
    live: Mutex<Live>,
    /// Woken when something changed, for the event streams.
    changed: Notify,
}

impl std::fmt::Debug for Dashboard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dashboard").finish_non_exhaustive()
    }
}

impl Dashboard {
    /// A dashboard for `waf` (the engine its controls act on: the one the layer runs).
    /// Out-of-range sizes in `settings` are brought into range.
    pub fn new(waf: Waf, settings: DashboardSettings) -> Result<Self, InvalidToken> {
        settings.validate()?;
        let top = settings.top.min(100);
        let live = Live::new(
            settings.history_secs.clamp(1, 3600),
            settings.events.min(10_000),
            TALLY,
            top,
        );
        Ok(Self {
            inner: Arc::new(Inner {
                waf,
                token: settings.token,
                live: Mutex::new(live),
                changed: Notify::new(),
            }),
        })
    }

    /// The page and its API, to serve beside the app or on a port of its own; see
    /// `docs/dashboard.md` for the routes.
    pub fn router(&self) -> axum::Router {
        routes::router(self.clone())
    }

    /// The state as the page gets it, as JSON.
    fn snapshot(&self) -> Vec<u8> {
        let counts = self
            .inner
            .live
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .snapshot(SystemTime::now());
        let waf = &self.inner.waf;
        let mut bans: Vec<BanView> = waf
            .bans()
            .into_iter()
            .map(|ban| BanView {
                target: ban.target.to_string(),
                ttl_secs: ban.ttl.map(|ttl| ttl.as_secs()),
                reason: ban.reason,
            })
            .collect();
        let bans_total = bans.len();
        bans.sort_by(|a, b| a.target.cmp(&b.target));
        bans.truncate(BANS_SHOWN);
        let state = State {
            mode: mode_name(waf.with_config(|c| c.mode)),
            bans,
            bans_total,
            counts,
        };
        serde_json::to_vec(&state).unwrap_or_default()
    }

    /// Wakes the event streams.
    fn changed(&self) {
        self.inner.changed.notify_waiters();
    }
}

impl Observer for Dashboard {
    fn observe(&self, transaction: &Transaction<'_>) {
        let event = live::event(transaction);
        self.inner
            .live
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .record(transaction, event);
        self.changed();
    }
}

/// The snapshot the page and `GET /api/state` get.
#[derive(Serialize)]
struct State {
    mode: &'static str,
    bans: Vec<BanView>,
    bans_total: usize,
    #[serde(flatten)]
    counts: live::Counts,
}

#[derive(Serialize)]
struct BanView {
    target: String,
    ttl_secs: Option<u64>,
    reason: String,
}

fn mode_name(mode: Mode) -> &'static str {
    match mode {
        Mode::Block => "block",
        Mode::Detect => "detect",
        Mode::Mirror => "mirror",
    }
}
