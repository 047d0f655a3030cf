//! One loaded plugin: its configuration, compiled module and health.

use super::abi::{ABI_VERSION, MAX_SCORE};
use super::config::{FailMode, PluginConfig};
use super::error::{PluginError, PluginErrorKind};
use super::health::{Health, PluginStats};
use super::instance;
use super::module::Compiled;
use crate::rule::Severity;
use crate::verdict::RuleMatch;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

/// A plugin ready to run: compiled once, instantiated afresh for every request.
pub struct Plugin {
    name: Arc<str>,
    config: PluginConfig,
    settings: Arc<BTreeMap<String, String>>,
    compiled: Compiled,
    pub(super) health: Arc<Health>,
}

impl std::fmt::Debug for Plugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plugin")
            .field("name", &self.name)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// What one plugin said about one request.
#[derive(Debug, Default)]
pub(super) struct Said {
    /// Its weighted score in [0, 1].
    pub signal: f64,
    pub matches: Vec<RuleMatch>,
    pub deny: bool,
}

impl Plugin {
    /// Compiles `wasm` (a binary module) with the configuration `toml`, checks the
    /// exports and calls `waf_abi_version` once. Errors name the plugin and say what
    /// is wrong; [`load_dir`](super::load_dir) adds the file.
    ///
    /// ```
    /// use waf_core::plugins::{Plugin, PluginErrorKind};
    ///
    /// // `(module)` in binary: valid WebAssembly, but no ABI exports.
    /// let empty = b"\0asm\x01\0\0\0";
    /// let error = Plugin::from_bytes("empty", empty, "").unwrap_err();
    /// assert_eq!(error.kind(), PluginErrorKind::Abi);
    /// assert_eq!(error.to_string(), "plugin `empty`: missing export `memory` (the module's linear memory)");
    /// ```
    pub fn from_bytes(name: &str, wasm: &[u8], toml: &str) -> Result<Self, PluginError> {
        let config = PluginConfig::from_toml(name, toml)?;
        let compiled = Compiled::new(name, wasm)?;
        let plugin = Self {
            name: Arc::from(name),
            settings: Arc::new(config.settings.clone()),
            config,
            compiled,
            health: Arc::default(),
        };
        let abi = |message: String| PluginError::new(PluginErrorKind::Abi, name, message);
        match instance::abi_version(
            &plugin.compiled,
            &plugin.name,
            &plugin.settings,
            &plugin.config.limits,
        ) {
            Ok(ABI_VERSION) => Ok(plugin),
            Ok(other) => Err(abi(format!(
                "waf_abi_version returned {other}; this host speaks ABI version {ABI_VERSION}"
            ))),
            Err(failure) => Err(abi(format!("waf_abi_version failed: {failure}"))),
        }
    }

    /// The plugin's name: the `source` of its matches.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its configuration.
    pub fn config(&self) -> &PluginConfig {
        &self.config
    }

    /// Its counters.
    pub fn stats(&self) -> PluginStats {
        self.health.stats()
    }

    /// Runs the plugin on an encoded request at `now`, failures contained.
    pub(super) fn run(&self, encoded: &[u8], now: Instant) -> Said {
        let limits = &self.config.limits;
        if !self.health.admit(now) {
            return self.failed("disabled after repeated failures (cooling down)");
        }
        match instance::inspect(&self.compiled, &self.name, &self.settings, limits, encoded) {
            Ok(output) => {
                self.health.succeeded();
                let value = format!("{}/{MAX_SCORE}", output.score);
                Said {
                    signal: (f64::from(output.score) / f64::from(MAX_SCORE) * self.config.weight)
                        .min(1.0),
                    deny: output.reports.iter().any(|report| report.deny),
                    matches: output
                        .reports
                        .into_iter()
                        .map(|report| {
                            let severity = if report.deny {
                                Severity::Critical
                            } else {
                                Severity::Warning
                            };
                            self.rule_match(report.rule_id, report.message, severity, &value)
                        })
                        .collect(),
                }
            }
            Err(failure) => {
                self.health.failed(&failure, limits, now);
                self.failed(&failure.to_string())
            }
        }
    }

    /// What a failed or skipped call means: nothing (fail open), or a deny with rule
    /// id 0 that says why (fail closed).
    fn failed(&self, why: &str) -> Said {
        match self.config.limits.fail {
            FailMode::Open => Said::default(),
            FailMode::Closed => Said {
                signal: 0.0,
                matches: vec![self.rule_match(
                    0,
                    format!("Plugin {} failed (fail closed): {why}", self.name),
                    Severity::Critical,
                    "",
                )],
                deny: true,
            },
        }
    }

    fn rule_match(
        &self,
        rule_id: u32,
        message: String,
        severity: Severity,
        value: &str,
    ) -> RuleMatch {
        RuleMatch {
            rule_id,
            source: Arc::clone(&self.name),
            message: Arc::from(message),
            data: None,
            severity,
            tags: Arc::from(vec!["plugin".to_owned()]),
            variable: format!("PLUGIN:{}", self.name),
            value: value.to_owned(),
            evidence: None,
        }
    }
}
