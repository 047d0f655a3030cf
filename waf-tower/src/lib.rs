//! The `waf` engine as tower middleware: [`WafLayer`] and [`WafService`].
//!
//! Wrap any `tower::Service<http::Request<B>>` (an axum `Router`, a hyper service through
//! `hyper_util`'s adapter, a tonic server) and every request is inspected before it
//! reaches it:
//!
//! ```
//! use axum::{Router, routing::get};
//! use tower::ServiceExt;
//! use waf_core::Waf;
//! use waf_tower::WafLayer;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let app = Router::new()
//!     .route("/search", get(|| async { "results" }))
//!     .layer(WafLayer::new(Waf::default()));
//!
//! let benign = http::Request::get("/search?q=shoes").body(axum::body::Body::empty()).unwrap();
//! assert_eq!(app.clone().oneshot(benign).await.unwrap().status(), 200);
//!
//! let attack = http::Request::get("/search?q=1'%20OR%20'1'='1").body(axum::body::Body::empty()).unwrap();
//! let response = app.oneshot(attack).await.unwrap();
//! assert_eq!(response.status(), 403);
//! assert!(response.headers().contains_key("x-request-id"));
//! # }
//! ```
//!
//! # What it does
//!
//! - Buffers the request body up to a limit (1 MiB by default) and hands the same bytes
//!   on. A larger body is refused with 413, or its first part is inspected and the whole
//!   body still forwarded, as configured ([`Oversize`]).
//! - Answers a deny with 403 (or the rule's status), a rate limit with 429 and
//!   `Retry-After`, a challenge with a challenge page. A block is a response, never a
//!   service error. A gRPC call (`Content-Type: application/grpc…`) gets a gRPC status
//!   instead of a page: HTTP 200 with no body and `grpc-status` 7 `PERMISSION_DENIED`
//!   (deny, challenge) or 8 `RESOURCE_EXHAUSTED` (rate limit), with a `grpc-message`.
//! - Adds an `x-request-id` header to the request and the response.
//! - Takes the client address from the connection (axum's `ConnectInfo`, or a
//!   [`ClientAddr`] extension), and from `Forwarded` / `X-Forwarded-For` only when the
//!   connection comes from a configured trusted proxy.
//! - In detection-only mode it logs and passes everything.
//! - Puts the verdict into the request's extensions (`Arc<waf_core::Verdict>`) for
//!   handlers to read.
//! - Inspects the inner service's response (phases 3 and 4) and replaces it with a block
//!   page when a response rule denies; the response verdict is left in the final
//!   response's extensions (`Arc<waf_core::Verdict>`). See
//!   [Response inspection](#response-inspection).
//!
//! Decisions are logged through `tracing`, one line each, in the shape
//! `[BLOCK] builtin Rule 100100: SQL Injection: boolean tautology. Score: 0.60`
//! (`[LIMIT] …` for a rate limit, `[ML] …` when the ML anomaly model decided).
//!
//! Prometheus metrics (requests by action, rule hits, inspection latency, bans, top
//! attacking clients, Redis, XDP, plugin and ML errors) come from
//! [`metrics::Metrics`], an [observer](observe) of the layer that also serves
//! `GET /metrics`.
//!
//! # Response inspection
//!
//! After the inner service answers, its status and headers go through the rules'
//! response phases (3 and 4). The body is read only when the rules ask for it
//! (`SecResponseBodyAccess On` and a `Content-Type` listed in
//! `SecResponseBodyMimeType`): then up to [`WafLayer::response_body_limit`] bytes
//! (1 MiB unless set, and no more than `SecResponseBodyLimit`) are buffered and
//! inspected. A longer body has its first part inspected and is then sent on whole,
//! still streaming; other bodies stream through without being buffered at all.
//!
//! A response rule that denies replaces the response with the same block page a request
//! block gets (the rule's status, 403 unless it says otherwise); nothing of the inner
//! response reaches the client. In detection-only mode the response passes and the
//! match is logged. Either way the response verdict, holding the matches of the response
//! phases only, is in the final response's extensions as `Arc<waf_core::Verdict>`, for
//! outer layers (access logs, metrics) to read:
//!
//! ```
//! use axum::{Router, routing::get};
//! use std::sync::Arc;
//! use tower::ServiceExt;
//! use waf_core::rule::RuleSet;
//! use waf_core::{Action, Verdict, Waf};
//! use waf_tower::WafLayer;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let rules = r#"
//! SecResponseBodyAccess On
//! SecResponseBodyMimeType text/html
//! SecRule RESPONSE_BODY "@contains ORA-00933" "id:950001,phase:4,deny,msg:'SQL error leak'"
//! "#;
//! let rules = RuleSet::from_seclang("mine", &waf_rules::seclang::parse("mine.conf", rules)?)?;
//! let app = Router::new()
//!     .route("/", get(|| async { axum::response::Html("ORA-00933: SQL command not properly ended") }))
//!     // Inspect at most the first 64 KiB of each HTML response.
//!     .layer(WafLayer::new(Waf::builder().rules(rules).build()?).response_body_limit(64 * 1024));
//!
//! let response = app.oneshot(http::Request::get("/").body(axum::body::Body::empty())?).await?;
//! assert_eq!(response.status(), 403);
//! let verdict = response.extensions().get::<Arc<Verdict>>().unwrap();
//! assert_eq!(verdict.action, Action::Deny { status: 403 });
//! assert_eq!(verdict.rule_ids(), [950001]);
//! # Ok(())
//! # }
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod audit;
mod body;
pub mod challenge;
mod client_addr;
#[cfg(feature = "axum")]
pub mod dashboard;
mod future;
mod grpc;
mod layer;
mod log;
pub mod metrics;
pub mod observe;
mod response;
mod service;
pub mod shared;

pub use body::{RequestBody, ResponseBody};
pub use client_addr::{ClientAddr, TrustedProxies};
pub use future::ResponseFuture;
pub use layer::{Oversize, WafLayer};
pub use service::WafService;
