//! A plugin's TOML configuration: limits, failure behaviour and its own settings.

use super::error::{PluginError, PluginErrorKind};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::time::Duration;

/// A plugin's configuration file.
///
/// ```toml
/// weight = 1.0          # scales the plugin's score within the `plugins` signal
/// raw_body = false      # send the raw body too, not only the parsed values
/// module = "x.wasm"     # for `load_dir`: the module file, default `<name>.wasm`
///
/// [limits]
/// fuel = 1_000_000      # instructions (roughly) per call
/// memory_pages = 16     # 64 KiB pages the module may hold
/// fail = "open"         # or "closed": what a failed call means for the request
/// failures_before_cooldown = 5
/// cooldown_secs = 30
///
/// [config]              # the plugin's own settings, read with `waf.config`
/// header = "x-debug"
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct PluginConfig {
    /// Multiplies the plugin's score (0..=1 after clamping).
    pub weight: f64,
    /// Whether the raw body is sent.
    pub raw_body: bool,
    /// The module file name for the directory loader.
    pub module: Option<String>,
    /// Resource limits and failure behaviour.
    pub limits: Limits,
    /// The plugin's own settings, as the `waf.config` host function returns them.
    pub settings: BTreeMap<String, String>,
}

/// What a failed call means for the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FailMode {
    /// Let it through as if the plugin had said nothing.
    Open,
    /// Deny it.
    Closed,
}

/// Per-call limits and the failure policy.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Fuel per call: about one unit per executed instruction.
    pub fuel: u64,
    /// The most 64 KiB pages the module's memory may have.
    pub memory_pages: u32,
    /// What a failed call means for the request.
    pub fail: FailMode,
    /// Consecutive failures after which the plugin is disabled.
    pub failures_before_cooldown: u32,
    /// How long a disabled plugin stays disabled, in seconds.
    pub cooldown_secs: f64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            fuel: 1_000_000,
            memory_pages: 16,
            fail: FailMode::Open,
            failures_before_cooldown: 5,
            cooldown_secs: 30.0,
        }
    }
}

impl Limits {
    /// The cool-down as a duration.
    pub fn cooldown(&self) -> Duration {
        Duration::from_secs_f64(self.cooldown_secs)
    }
}

/// The file as written; `[config]` values are any TOML.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default = "one")]
    weight: f64,
    #[serde(default)]
    raw_body: bool,
    module: Option<String>,
    #[serde(default)]
    limits: Limits,
    #[serde(default)]
    config: BTreeMap<String, toml::Value>,
}

fn one() -> f64 {
    1.0
}

/// The largest memory a plugin may ask for: 4 GiB, the whole 32-bit address space.
const MAX_PAGES: u32 = 65_536;

impl PluginConfig {
    /// Parses and checks `text`; errors name the plugin and the key.
    pub fn from_toml(plugin: &str, text: &str) -> Result<Self, PluginError> {
        let error = |message: String| PluginError::new(PluginErrorKind::Config, plugin, message);
        let file: File = toml::from_str(text).map_err(|e| error(e.to_string()))?;
        if !(file.weight.is_finite() && file.weight >= 0.0) {
            return Err(error(format!(
                "weight must be a number ≥ 0, found {}",
                file.weight
            )));
        }
        let limits = &file.limits;
        if limits.fuel == 0 {
            return Err(error("limits.fuel must be ≥ 1".into()));
        }
        if !(1..=MAX_PAGES).contains(&limits.memory_pages) {
            return Err(error(format!(
                "limits.memory_pages must be in 1..={MAX_PAGES}, found {}",
                limits.memory_pages
            )));
        }
        if limits.failures_before_cooldown == 0 {
            return Err(error("limits.failures_before_cooldown must be ≥ 1".into()));
        }
        // Up to a day: a longer cool-down is a disabled plugin, which is what removing
        // it from the directory says better.
        if !(limits.cooldown_secs.is_finite() && (0.0..=86_400.0).contains(&limits.cooldown_secs)) {
            return Err(error(format!(
                "limits.cooldown_secs must be in [0, 86400], found {}",
                limits.cooldown_secs
            )));
        }
        let settings = file
            .config
            .into_iter()
            .map(|(key, value)| setting(&value).map(|text| (key.clone(), text)).ok_or(key))
            .collect::<Result<_, _>>()
            .map_err(|key| {
                error(format!(
                    "config.{key}: tables and arrays of non-strings cannot be passed to a plugin"
                ))
            })?;
        Ok(Self {
            weight: file.weight,
            raw_body: file.raw_body,
            module: file.module,
            limits: file.limits,
            settings,
        })
    }
}

/// A setting as the plugin reads it: strings verbatim, numbers, booleans and dates as
/// TOML writes them, arrays of strings one per line.
fn setting(value: &toml::Value) -> Option<String> {
    match value {
        toml::Value::String(text) => Some(text.clone()),
        toml::Value::Array(items) => items
            .iter()
            .map(|item| item.as_str())
            .collect::<Option<Vec<_>>>()
            .map(|lines| lines.join("\n")),
        toml::Value::Table(_) => None,
        scalar => Some(scalar.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_settings() {
        let config = PluginConfig::from_toml(
            "p",
            "[config]\nheader = \"x-a\"\nlist = [\"a\", \"b\"]\nmax = 3\non = true\n",
        )
        .unwrap();
        assert_eq!(config.limits, Limits::default());
        assert_eq!(config.weight, 1.0);
        let settings: Vec<(&str, &str)> = config
            .settings
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(
            settings,
            [
                ("header", "x-a"),
                ("list", "a\nb"),
                ("max", "3"),
                ("on", "true")
            ]
        );
    }

    #[test]
    fn refusals_name_the_key() {
        let cases = [
            ("weight = -1.0", "weight must be a number ≥ 0"),
            ("[limits]\nfuel = 0", "limits.fuel"),
            ("[limits]\nmemory_pages = 0", "limits.memory_pages"),
            ("[limits]\nmemory_pages = 70000", "limits.memory_pages"),
            (
                "[limits]\nfailures_before_cooldown = 0",
                "limits.failures_before_cooldown",
            ),
            ("[limits]\ncooldown_secs = -1.0", "limits.cooldown_secs"),
            (
                "[limits]\nfail = \"sideways\"",
                "unknown variant `sideways`",
            ),
            ("[limits]\nfuell = 3", "unknown field `fuell`"),
            ("[config]\nnested = { a = 1 }", "config.nested"),
            ("[config]\nnumbers = [1, 2]", "config.numbers"),
            ("weight = ", "TOML parse error at line 1"),
        ];
        for (text, expected) in cases {
            let error = PluginConfig::from_toml("p", text).unwrap_err();
            assert_eq!(error.kind(), PluginErrorKind::Config, "{text}");
            assert!(error.message().contains(expected), "{text}: {error}");
        }
    }
}
