//! What the engine decided about a request, and why.

use crate::rule::{Rule, Severity};
use std::sync::Arc;
use std::time::Duration;

/// The longest matched value a [`RuleMatch`] keeps, in bytes. Matched data goes to logs
/// and dashboards; attackers choose it, so it is cut.
pub const MAX_MATCHED_VALUE: usize = 128;

/// What to do with a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Let it through.
    Allow,
    /// Refuse it with this status (403 by default).
    Deny {
        /// The HTTP status to answer with.
        status: u16,
    },
    /// Ask the client to prove it is a browser before letting it through.
    Challenge,
    /// Too many requests: answer 429 with `Retry-After`.
    RateLimit {
        /// How long the client should wait.
        retry_after: Duration,
    },
    /// Something matched, but the engine is in detection-only mode: let it through and
    /// log.
    Log,
}

impl Action {
    /// Every action's [`name`](Self::name), in the order of the variants: what metrics,
    /// logs and reports label actions with.
    pub const NAMES: [&'static str; 5] = ["allow", "deny", "challenge", "rate_limit", "log"];

    /// The action's position in [`NAMES`](Self::NAMES), e.g. to index counters.
    pub fn index(self) -> usize {
        match self {
            Self::Allow => 0,
            Self::Deny { .. } => 1,
            Self::Challenge => 2,
            Self::RateLimit { .. } => 3,
            Self::Log => 4,
        }
    }

    /// `allow`, `deny`, `challenge`, `rate_limit` or `log`.
    ///
    /// ```
    /// use waf_core::Action;
    ///
    /// assert_eq!(Action::Deny { status: 403 }.name(), "deny");
    /// assert_eq!(Action::NAMES[Action::Log.index()], "log");
    /// ```
    pub fn name(self) -> &'static str {
        Self::NAMES[self.index()]
    }

    /// The HTTP status a middleware answers with; `None` when the request goes through.
    pub fn status(self) -> Option<u16> {
        match self {
            Self::Deny { status } => Some(status),
            Self::Challenge => Some(403),
            Self::RateLimit { .. } => Some(429),
            Self::Allow | Self::Log => None,
        }
    }
}

/// One rule that matched.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleMatch {
    /// The rule's id.
    pub rule_id: u32,
    /// The rule set it belongs to (`builtin`, `CRS`, a plugin's name, …).
    pub source: Arc<str>,
    /// The rule's message, macros expanded.
    pub message: Arc<str>,
    /// The rule's `logdata`, macros expanded, if it has one.
    pub data: Option<String>,
    /// The rule's severity.
    pub severity: Severity,
    /// The rule's tags.
    pub tags: Arc<[String]>,
    /// The variable that matched, e.g. `ARGS:id`.
    pub variable: String,
    /// The matched data, lossy UTF-8, cut to [`MAX_MATCHED_VALUE`] bytes.
    pub value: String,
    /// What a detector said about the value, for detector rules.
    pub evidence: Option<Evidence>,
}

/// A detector's explanation of a match.
#[derive(Debug, Clone, PartialEq)]
pub struct Evidence {
    /// How sure the detector is, in [0, 1].
    pub confidence: f64,
    /// The shape it recognised (e.g. SQL token classes).
    pub fingerprint: String,
}

impl RuleMatch {
    pub(crate) fn new(
        source: &str,
        rule: &Rule,
        message: Arc<str>,
        data: Option<String>,
        variable: String,
        value: &[u8],
        evidence: Option<Evidence>,
    ) -> Self {
        Self {
            rule_id: rule.id,
            source: Arc::from(source),
            message,
            data,
            severity: rule.severity,
            tags: rule.tags.clone(),
            variable,
            value: cut(value),
            evidence,
        }
    }
}

impl RuleMatch {
    /// The match recorded for a blocklisted client: rule id 0, source `blocklist`.
    pub(crate) fn blocklist(reason: &str, request: &crate::request::RequestView) -> Self {
        Self {
            rule_id: 0,
            source: Arc::from("blocklist"),
            message: Arc::from(format!("Client is banned: {reason}")),
            data: None,
            severity: Severity::Critical,
            tags: Arc::from(Vec::new()),
            variable: "REMOTE_ADDR".into(),
            value: request.client.to_string(),
            evidence: None,
        }
    }
}

impl RuleMatch {
    /// The notice that explains a signal source's contribution to the score (threat
    /// intelligence, ML): rule id 0, severity notice, no tags.
    pub(crate) fn signal(source: &str, message: String, variable: String, value: String) -> Self {
        Self {
            rule_id: 0,
            source: Arc::from(source),
            message: Arc::from(message),
            data: None,
            severity: Severity::Notice,
            tags: Arc::from(Vec::new()),
            variable,
            value,
            evidence: None,
        }
    }

    /// The match recorded for a rate-limited request: rule id 0, source `ratelimit`,
    /// the limit's name as data.
    pub(crate) fn rate_limit(
        limited: &crate::ratelimit::Limited,
        request: &crate::request::RequestView,
    ) -> Self {
        Self {
            rule_id: 0,
            source: Arc::from("ratelimit"),
            message: Arc::from(limited.message.as_str()),
            data: Some(limited.rule.clone()),
            severity: Severity::Warning,
            tags: Arc::from(Vec::new()),
            variable: "REMOTE_ADDR".into(),
            value: request.client.to_string(),
            evidence: None,
        }
    }
}

/// Lossy UTF-8, at most [`MAX_MATCHED_VALUE`] bytes, cut on a character boundary.
pub(crate) fn cut(value: &[u8]) -> String {
    let text = String::from_utf8_lossy(&value[..value.len().min(MAX_MATCHED_VALUE + 4)]);
    let mut end = text.len().min(MAX_MATCHED_VALUE);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_owned()
}

/// One signal's part in the score.
#[derive(Debug, Clone, PartialEq)]
pub struct Contribution {
    /// The signal's name (`crs_match`, `ml_anomaly`, `threat_intel`, a plugin's name).
    pub signal: String,
    /// The signal's value in [0, 1].
    pub value: f64,
    /// Its configured weight.
    pub weight: f64,
}

impl Contribution {
    /// `weight × value`: what it adds to the score.
    pub fn points(&self) -> f64 {
        self.weight * self.value
    }
}

/// Why the action was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// Nothing reached a limit.
    BelowThreshold,
    /// The weighted score reached the deny threshold.
    Score,
    /// The weighted score fell in the challenge band.
    ChallengeBand,
    /// The rules' inbound anomaly score reached its own threshold (blocking mode).
    AnomalyThreshold,
    /// A rule with a `deny` action matched, or a signal source (a plugin) denied.
    DenyRule,
    /// The client is on the blocklist.
    Blocklisted,
    /// This request took the client over a rate limit (and started its cooldown).
    RateLimited,
    /// The client is cooling down after going over a rate limit.
    CoolingDown,
}

/// The engine's answer for one request.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// What to do.
    pub action: Action,
    /// Why.
    pub reason: Reason,
    /// The weighted score, `Σ weight × signal`.
    pub score: f64,
    /// The rules' inbound anomaly score (sum of severity points).
    pub anomaly_score: u32,
    /// Each signal's part of `score`.
    pub contributions: Vec<Contribution>,
    /// Every match, in evaluation order.
    pub matches: Vec<RuleMatch>,
}

impl Verdict {
    /// The ids of every matched rule, in evaluation order.
    pub fn rule_ids(&self) -> Vec<u32> {
        self.matches.iter().map(|m| m.rule_id).collect()
    }

    /// The match that best explains the action: the first of the highest severity.
    pub fn primary_match(&self) -> Option<&RuleMatch> {
        self.matches.iter().min_by_key(|m| m.severity)
    }
}

#[cfg(test)]
mod tests {
    use super::Action;
    use std::time::Duration;

    #[test]
    fn every_action_has_its_own_name() {
        let actions = [
            Action::Allow,
            Action::Deny { status: 403 },
            Action::Challenge,
            Action::RateLimit {
                retry_after: Duration::from_secs(1),
            },
            Action::Log,
        ];
        let indexes: Vec<usize> = actions.iter().map(|a| a.index()).collect();
        assert_eq!(indexes, [0, 1, 2, 3, 4]);
        let names: Vec<&str> = actions.iter().map(|a| a.name()).collect();
        assert_eq!(names, Action::NAMES);
    }

    #[test]
    fn cut_respects_char_boundaries_and_limit() {
        let long = "é".repeat(200);
        let cut = super::cut(long.as_bytes());
        assert!(cut.len() <= super::MAX_MATCHED_VALUE);
        assert!(cut.chars().all(|c| c == 'é'));
        assert_eq!(super::cut(b"\xff\xfe"), "\u{fffd}\u{fffd}");
    }
}
