//! The pure detection core of the `waf` engine.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod request;
