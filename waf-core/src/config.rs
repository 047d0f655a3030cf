//! Engine configuration, from TOML or from the builder.
//!
//! ```
//! let config = waf_core::Config::from_toml(r#"
//!     mode = "detect"
//!     [scoring]
//!     threshold = 0.9
//!     [scoring.weights]
//!     crs_match = 0.7
//!     [limits]
//!     max_args = 500
//! "#)?;
//! assert_eq!(config.mode, waf_core::Mode::Detect);
//! assert_eq!(config.scoring.weights["crs_match"], 0.7);
//! assert_eq!(config.scoring.challenge_band, 0.15); // defaults fill the rest
//! assert_eq!(config.limits.max_args, 500);
//! # Ok::<(), waf_core::Error>(())
//! ```

use crate::defense::ActiveDefense;
use crate::ratelimit::{LimiterSettings, RateLimitRule};
use crate::request::Limits;
use crate::scoring::Scoring;
use crate::{Error, ErrorKind};
use serde::Deserialize;

/// Whether verdicts are enforced.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Deny, challenge and rate-limit as decided.
    #[default]
    Block,
    /// Detection only: decide and log, but let everything through.
    Detect,
    /// Detection only, but bans are enforced: the inline half of an out-of-band
    /// pipeline, where an analyzer elsewhere inspects copies of the traffic and bans
    /// the clients it finds attacking (see `waf_tower::shared`).
    Mirror,
}

/// Everything the engine is configured with.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Blocking or detection only.
    pub mode: Mode,
    /// The status of a deny that no rule chose (403).
    pub deny_status: u16,
    /// Weights and thresholds.
    pub scoring: Scoring,
    /// Request parsing limits.
    pub limits: Limits,
    /// Rate limits (`[[rate_limits]]` tables), all checked; the first a request is
    /// over decides.
    pub rate_limits: Vec<RateLimitRule>,
    /// Settings of the rate limiter as a whole.
    pub limiter: LimiterSettings,
    /// Banning clients that keep being denied.
    pub active_defense: ActiveDefense,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            mode: Mode::Block,
            deny_status: 403,
            scoring: Scoring::default(),
            limits: Limits::default(),
            rate_limits: Vec::new(),
            limiter: LimiterSettings::default(),
            active_defense: ActiveDefense::default(),
        }
    }
}

impl Config {
    /// Reads a configuration from TOML text; missing settings take their defaults. The
    /// error names the setting (and line) that is wrong.
    pub fn from_toml(text: &str) -> Result<Self, Error> {
        let config: Self =
            toml::from_str(text).map_err(|e| Error::new(ErrorKind::Config, e.to_string()))?;
        config.validate()?;
        Ok(config)
    }

    /// Checks the values; the error names the setting.
    pub fn validate(&self) -> Result<(), Error> {
        let fail = |m: String| Err(Error::new(ErrorKind::Config, m));
        if !(400..=599).contains(&self.deny_status) {
            return fail(format!(
                "deny_status must be 400-599, found {}",
                self.deny_status
            ));
        }
        if self.limits.max_depth == 0 {
            return fail("limits.max_depth must be ≥ 1".into());
        }
        if self.limiter.max_keys == 0 {
            return fail("limiter.max_keys must be ≥ 1".into());
        }
        for (index, rule) in self.rate_limits.iter().enumerate() {
            rule.validate(index).or_else(fail)?;
            if self.rate_limits[..index]
                .iter()
                .any(|r| r.name == rule.name)
            {
                return fail(format!(
                    "rate_limits[{index}]: name {:?} is used twice",
                    rule.name
                ));
            }
        }
        self.active_defense.validate().or_else(fail)?;
        self.scoring.validate().or_else(fail)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_setting() {
        let cases = [
            ("mode = \"loud\"", "mode"),
            ("deny_status = 200", "deny_status"),
            ("[scoring]\nthreshold = 0", "scoring.threshold"),
            ("[limits]\nmax_depth = 0", "limits.max_depth"),
            ("typo = 1", "typo"),
            ("[scoring]\nchallenge_band = 2.0", "challenge_band"),
        ];
        for (text, needle) in cases {
            let err = Config::from_toml(text).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Config);
            assert!(err.message().contains(needle), "{text}: {err}");
        }
    }

    #[test]
    fn empty_text_is_the_default() {
        assert_eq!(Config::from_toml("").unwrap(), Config::default());
    }
}
