//! `waf`: an embeddable web application firewall for tower services.
//!
//! One dependency for the whole engine: the detection core ([`core`], re-exported at
//! the top for the common names), the rule languages ([`rules`]) and the middleware
//! ([`tower`]).
//!
//! ```
//! use axum::{Router, routing::get};
//! use waf::{Waf, WafLayer};
//!
//! let app: Router = Router::new()
//!     .route("/", get(|| async { "hello" }))
//!     .layer(WafLayer::new(Waf::default()));
//! # drop(app);
//! ```
//!
//! The `waf` binary of this package replays recorded traffic through the engine:
//! `waf scan --input requests.jsonl`.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod crs;
pub mod ftw;

pub use waf_core as core;
pub use waf_core::{Action, Config, Decision, Mode, Verdict, Waf};
pub use waf_rules as rules;
pub use waf_tower as tower;
pub use waf_tower::WafLayer;

/// The README's code, compiled as a doc test so that it stays true.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
