//! The pure detection core of the `waf` engine.
//!
//! No I/O, no async, no global state: a [`RequestView`](request::RequestView) goes in,
//! a [`Verdict`] comes out. Around that sit the pieces every deployment shares:
//! compiled rules ([`rule`]), [`transform`]ations and [`operator`]s, weighted
//! [`scoring`], a [`blocklist`], [`ratelimit`]s, [`defense`] against repeat offenders,
//! threat [`intel`]ligence and the [`decision`] stream of bans and unbans.
//!
//! ```
//! use std::net::Ipv4Addr;
//! use waf_core::request::RequestView;
//! use waf_core::{Action, Waf};
//!
//! let waf = Waf::default();
//! let (parts, ()) = http::Request::get("/search?q=%3Cscript%3Ealert(1)%3C/script%3E")
//!     .body(())
//!     .unwrap()
//!     .into_parts();
//! let view = RequestView::from_parts(&parts, Default::default(), Ipv4Addr::LOCALHOST.into(), &waf.limits());
//! let verdict = waf.inspect(&view);
//! assert_eq!(verdict.action, Action::Deny { status: 403 });
//! println!("{} score {:.2}: {:?}", verdict.action.name(), verdict.score, verdict.rule_ids());
//! ```
//!
//! # Promises
//!
//! Building a request view and inspecting it never panics, whatever the bytes: a request
//! that cannot be parsed becomes facts that rules test. Matching never backtracks, so
//! the time an inspection takes is bounded by the size of the request, not chosen by it.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod blocklist;
mod bounded;
mod config;
pub mod decision;
pub mod defense;
mod error;
pub mod intel;
#[cfg(feature = "ml")]
pub mod ml;
pub mod operator;
#[cfg(feature = "plugins")]
pub mod plugins;
mod prefix;
pub mod ratelimit;
pub mod request;
pub mod response;
pub mod rule;
pub mod scoring;
pub mod transform;
mod verdict;
mod waf;

pub use blocklist::Ban;
pub use config::{Config, Mode};
pub use decision::Decision;
pub use error::{Error, ErrorKind};
pub use verdict::{Action, Contribution, Evidence, MAX_MATCHED_VALUE, Reason, RuleMatch, Verdict};
pub use waf::{Assessment, Exchange, SignalSource, Waf, WafBuilder};
