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
//!   service error.
//! - Adds an `x-request-id` header to the request and the response.
//! - Takes the client address from the connection (axum's `ConnectInfo`, or a
//!   [`ClientAddr`] extension), and from `Forwarded` / `X-Forwarded-For` only when the
//!   connection comes from a configured trusted proxy.
//! - In detection-only mode it logs and passes everything.
//! - Puts the verdict into the request's extensions (`Arc<waf_core::Verdict>`) for
//!   handlers to read.
//!
//! Decisions are logged through `tracing`, one line each, in the shape
//! `[BLOCK] builtin Rule 100100: SQL Injection: boolean tautology. Score: 0.60`.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod body;
mod client_addr;
mod future;
mod layer;
mod log;
mod response;
mod service;

pub use body::{RequestBody, ResponseBody};
pub use client_addr::{ClientAddr, TrustedProxies};
pub use future::ResponseFuture;
pub use layer::{Oversize, WafLayer};
pub use service::WafService;
