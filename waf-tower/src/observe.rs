//! Watching what the middleware decides: every inspected request, once its outcome is
//! known, goes to the [`Observer`]s added with [`WafLayer::observe`](crate::WafLayer::observe).
//! Metrics, the audit log, the attack store and the live dashboard are observers.
//!
//! ```
//! use std::sync::Arc;
//! use std::sync::atomic::{AtomicU64, Ordering};
//! use axum::{Router, routing::get};
//! use tower::ServiceExt;
//! use waf_core::{Action, Waf};
//! use waf_tower::WafLayer;
//! use waf_tower::observe::{Observer, Transaction};
//!
//! /// Counts the requests the firewall stopped.
//! #[derive(Default)]
//! struct Stopped(AtomicU64);
//!
//! impl Observer for Stopped {
//!     fn observe(&self, transaction: &Transaction<'_>) {
//!         if transaction.stopped() {
//!             self.0.fetch_add(1, Ordering::Relaxed);
//!         }
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let stopped = Arc::new(Stopped::default());
//! let app = Router::new()
//!     .route("/search", get(|| async { "results" }))
//!     .layer(WafLayer::new(Waf::default()).observe(stopped.clone()));
//!
//! let attack = http::Request::get("/search?q=1'%20OR%20'1'='1").body(axum::body::Body::empty()).unwrap();
//! assert_eq!(app.oneshot(attack).await.unwrap().status(), 403);
//! assert_eq!(stopped.0.load(Ordering::Relaxed), 1);
//! # }
//! ```
//!
//! Observers run on the request path, after the response head is ready and before it is
//! returned: they must be quick and must not block. Anything slow (a database write, a
//! file) belongs on a queue that a thread of the observer's own drains: [`OffPath`].

mod off_path;

pub use off_path::{Job, OffPath};

use std::net::IpAddr;
use std::time::{Duration, SystemTime};
use waf_core::request::RequestView;
use waf_core::{Action, Mode, RuleMatch, Verdict};

/// Sees each inspected transaction once, when its outcome is known.
pub trait Observer: Send + Sync + 'static {
    /// Called once per inspected request; see the [module docs](self) for when.
    fn observe(&self, transaction: &Transaction<'_>);
}

/// One inspected request and what came of it.
///
/// Requests the middleware could not read (an oversize or broken body, answered 413 or
/// 400 before inspection) are not observed.
#[derive(Debug, Clone, Copy)]
pub struct Transaction<'a> {
    /// The request id, as sent in the `x-request-id` header (or the configured one).
    pub request_id: &'a str,
    /// When the request arrived.
    pub time: SystemTime,
    /// The client address (after trusted-proxy headers).
    pub client: IpAddr,
    /// The request as the engine saw it.
    pub request: &'a RequestView,
    /// The verdict on the request (phases 1 and 2).
    pub request_verdict: &'a Verdict,
    /// The verdict on the response (phases 3 and 4); `None` when the request was
    /// stopped and the inner service never answered.
    pub response_verdict: Option<&'a Verdict>,
    /// The status the client got: the middleware's own answer, or the inner service's.
    pub status: u16,
    /// Time spent inspecting, request and response phases together (not the time the
    /// inner service took).
    pub inspection: Duration,
    /// The engine's mode for this request.
    pub mode: Mode,
}

impl Transaction<'_> {
    /// What the middleware did: the response phases' action when they decided anything
    /// other than allow, the request's otherwise.
    pub fn action(&self) -> Action {
        match self.response_verdict {
            Some(response) if response.action != Action::Allow => response.action,
            _ => self.request_verdict.action,
        }
    }

    /// Whether the client got the middleware's answer (a block, rate limit or
    /// challenge) instead of the inner service's.
    pub fn stopped(&self) -> bool {
        matches!(
            self.action(),
            Action::Deny { .. } | Action::Challenge | Action::RateLimit { .. }
        )
    }

    /// Every match of the request and response phases, in evaluation order.
    pub fn matches(&self) -> impl Iterator<Item = &RuleMatch> {
        let response = self.response_verdict.map_or(&[][..], |v| &v.matches[..]);
        self.request_verdict.matches.iter().chain(response)
    }

    /// The verdict that decided: the response's when its action is not allow, the
    /// request's otherwise.
    pub fn deciding_verdict(&self) -> &Verdict {
        match self.response_verdict {
            Some(response) if response.action != Action::Allow => response,
            _ => self.request_verdict,
        }
    }
}
