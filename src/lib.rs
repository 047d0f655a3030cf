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
pub mod proxy;
pub mod store;

pub use waf_core as core;
pub use waf_core::{Action, Config, Decision, Mode, Verdict, Waf};
pub use waf_rules as rules;
pub use waf_tower as tower;
pub use waf_tower::WafLayer;

/// The README's code, compiled as a doc test so that it stays true.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;

#[cfg(test)]
mod tests {
    /// The README's configuration example is a valid configuration.
    #[test]
    fn readme_configuration_parses() {
        let readme = include_str!("../README.md");
        let start = readme
            .find("```toml\n")
            .expect("the README has a TOML example")
            + "```toml\n".len();
        let end = start + readme[start..].find("```").expect("the example ends");
        let config = crate::Config::from_toml(&readme[start..end])
            .unwrap_or_else(|e| panic!("README configuration: {e}"));
        assert_eq!(config.rate_limits.len(), 1);
    }
}
