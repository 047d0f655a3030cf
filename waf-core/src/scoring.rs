//! Weighted scoring: from signals to an action.
//!
//! # The arithmetic
//!
//! Every source of evidence reports a *signal* in [0, 1]:
//!
//! - `crs_match`, from the rules: `min(1, anomaly_score / inbound_anomaly_threshold)`,
//!   where `anomaly_score` sums the severity points of the matched `block` rules
//!   (critical 5, error 4, warning 3, notice 2) and the threshold is 5 by default;
//! - `ml_anomaly`, `threat_intel` and plugins' signals, from their own sources.
//!
//! The score is `Σ weight × signal` over the signals present; a signal without a weight
//! counts 0. With the defaults (`crs_match 0.6`, `ml_anomaly 0.4`, `threat_intel 0.3`)
//! the score lies in [0, 1.3].
//!
//! In blocking mode the action is the first that applies:
//!
//! 1. the client is blocklisted: deny;
//! 2. a rule with a `deny` action matched: deny with its status;
//! 3. `rules_decisive` (default true) and `anomaly_score ≥ inbound_anomaly_threshold`:
//!    deny. This keeps the promise that whatever the rules alone would block in
//!    ModSecurity's blocking mode is blocked here, although `0.6 × 1` is under `0.85`;
//! 4. `score ≥ threshold` (0.85): deny;
//! 5. `score ≥ threshold − challenge_band` (0.70 with the default band 0.15): challenge;
//! 6. otherwise allow.
//!
//! For example, one critical rule match and nothing else: `crs_match = 1`,
//! `score = 0.6`, denied by step 3. One warning match (3 points) with an ML signal of
//! 0.9: `crs_match = 0.6`, `score = 0.36 + 0.36 = 0.72`: challenged by step 5.
//!
//! In detection-only mode the same computation runs, and any action other than allow,
//! or any rule match, becomes [`Action::Log`].

use crate::verdict::{Action, Contribution, Reason};
use serde::Deserialize;
use std::collections::BTreeMap;

/// The name of the rules' signal.
pub const RULES_SIGNAL: &str = "crs_match";

/// Scoring settings (the `[scoring]` table of the configuration file).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Scoring {
    /// Weight per signal name.
    pub weights: BTreeMap<String, f64>,
    /// Deny at or above this score.
    pub threshold: f64,
    /// Challenge in `[threshold − challenge_band, threshold)`; 0 turns challenges off.
    pub challenge_band: f64,
    /// The rules' inbound anomaly score at which the rules alone block.
    pub inbound_anomaly_threshold: u32,
    /// Whether the rules alone can block (step 3 above).
    pub rules_decisive: bool,
}

impl Default for Scoring {
    fn default() -> Self {
        Self {
            weights: [
                (RULES_SIGNAL, 0.6),
                ("ml_anomaly", 0.4),
                ("threat_intel", 0.3),
            ]
            .into_iter()
            .map(|(name, weight)| (name.to_owned(), weight))
            .collect(),
            threshold: 0.85,
            challenge_band: 0.15,
            inbound_anomaly_threshold: 5,
            rules_decisive: true,
        }
    }
}

impl Scoring {
    /// Checks that the numbers make sense; the error says which one does not.
    pub fn validate(&self) -> Result<(), String> {
        if let Some((name, w)) = self
            .weights
            .iter()
            .find(|(_, w)| !(w.is_finite() && **w >= 0.0))
        {
            return Err(format!(
                "scoring.weights.{name} must be a number ≥ 0, found {w}"
            ));
        }
        if !(self.threshold.is_finite() && self.threshold > 0.0) {
            return Err(format!(
                "scoring.threshold must be > 0, found {}",
                self.threshold
            ));
        }
        if !(self.challenge_band.is_finite()
            && (0.0..=self.threshold).contains(&self.challenge_band))
        {
            return Err(format!(
                "scoring.challenge_band must be in [0, threshold], found {}",
                self.challenge_band
            ));
        }
        if self.inbound_anomaly_threshold == 0 {
            return Err("scoring.inbound_anomaly_threshold must be ≥ 1".into());
        }
        Ok(())
    }

    /// The rules' signal for an anomaly score.
    ///
    /// `threshold` is the rules' own inbound threshold when they keep one (the CRS's
    /// `tx.inbound_anomaly_score_threshold`), else [`Scoring::inbound_anomaly_threshold`].
    pub fn rules_signal(&self, anomaly_score: u32, threshold: u32) -> f64 {
        (f64::from(anomaly_score) / f64::from(threshold.max(1))).min(1.0)
    }

    /// A contribution for `signal` with its configured weight (0 when not configured).
    pub fn contribution(&self, signal: &str, value: f64) -> Contribution {
        Contribution {
            signal: signal.to_owned(),
            value: if value.is_finite() {
                value.clamp(0.0, 1.0)
            } else {
                0.0
            },
            weight: self.weights.get(signal).copied().unwrap_or(0.0),
        }
    }

    /// Steps 3 to 6 above: the action for a score and anomaly score in blocking mode.
    pub fn decide(
        &self,
        score: f64,
        anomaly_score: u32,
        anomaly_threshold: u32,
        deny_status: u16,
    ) -> (Action, Reason) {
        if self.rules_decisive && anomaly_score >= anomaly_threshold {
            (
                Action::Deny {
                    status: deny_status,
                },
                Reason::AnomalyThreshold,
            )
        } else if score >= self.threshold {
            (
                Action::Deny {
                    status: deny_status,
                },
                Reason::Score,
            )
        } else if self.challenge_band > 0.0 && score >= self.threshold - self.challenge_band {
            (Action::Challenge, Reason::ChallengeBand)
        } else {
            (Action::Allow, Reason::BelowThreshold)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decisions() {
        let s = Scoring::default();
        // (score, anomaly, expected action name)
        let cases = [
            (0.6, 5, "deny"),
            (0.6, 4, "allow"),
            (0.85, 0, "deny"),
            (0.84, 0, "challenge"),
            (0.70, 0, "challenge"),
            (0.69, 0, "allow"),
            (0.0, 0, "allow"),
        ];
        for (score, anomaly, expected) in cases {
            assert_eq!(
                s.decide(score, anomaly, s.inbound_anomaly_threshold, 403)
                    .0
                    .name(),
                expected,
                "{score} {anomaly}"
            );
        }
        let not_decisive = Scoring {
            rules_decisive: false,
            ..Scoring::default()
        };
        assert_eq!(not_decisive.decide(0.6, 50, 5, 403).0, Action::Allow);
    }

    #[test]
    fn signals_and_weights() {
        let s = Scoring::default();
        assert_eq!(s.rules_signal(0, 5), 0.0);
        assert_eq!(s.rules_signal(3, 5), 0.6);
        assert_eq!(s.rules_signal(40, 5), 1.0);
        let c = s.contribution("ml_anomaly", 2.0);
        assert_eq!((c.value, c.weight, c.points()), (1.0, 0.4, 0.4));
        assert_eq!(s.contribution("unknown", 1.0).points(), 0.0);
        assert_eq!(s.contribution("ml_anomaly", f64::NAN).value, 0.0);
    }

    #[test]
    fn validation_names_the_setting() {
        let bad = Scoring {
            threshold: -1.0,
            ..Scoring::default()
        };
        assert!(bad.validate().unwrap_err().contains("scoring.threshold"));
        let mut bad = Scoring::default();
        bad.weights.insert("x".into(), f64::NAN);
        assert!(bad.validate().unwrap_err().contains("scoring.weights.x"));
    }
}
