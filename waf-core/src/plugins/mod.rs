//! WebAssembly detection plugins: custom logic without rebuilding the engine.
//!
//! A plugin is a WebAssembly module following a small ABI ([`abi`], version
//! [`abi::ABI_VERSION`]) and a TOML configuration ([`PluginConfig`]). The host hands it
//! the request's method, path, query, headers, arguments, cookies and parsed body
//! values (the raw body on request); it answers with a score contribution and may
//! report matches that explain it or deny the request outright.
//!
//! Plugins run in the `wasmi` interpreter, compiled once and instantiated afresh for
//! every request, with fuel (a bound on the instructions executed) and a memory limit
//! per call. A trap, exhausted fuel, a memory limit hit or a bad value is contained:
//! the request gets the plugin's fail-open or fail-closed behaviour, its counters
//! ([`PluginStats`]) rise, and a plugin that keeps failing is disabled for a cool-down.
//!
//! [`Plugin::from_bytes`] builds a plugin without I/O; [`load_dir`] reads a directory
//! of them (the only part of this module that touches files). [`Plugins`] holds the
//! set in force as a [`SignalSource`](crate::SignalSource), replaced by
//! [`Plugins::reload`]. `docs/plugins.md` documents the ABI for plugin authors.

pub mod abi;
mod config;
mod error;
mod health;
mod host;
mod instance;
mod load;
mod module;
mod plugin;
mod source;

pub use config::{FailMode, Limits, PluginConfig};
pub use error::{PluginError, PluginErrorKind};
pub use health::PluginStats;
pub use host::{MAX_LOG_LINES, MAX_MESSAGE, MAX_REPORTS};
pub use load::load_dir;
pub use plugin::Plugin;
pub use source::{Plugins, SIGNAL};
