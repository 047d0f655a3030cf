//! One log line per decision, in the shape operators grep for:
//! `[BLOCK] builtin Rule 100100: SQL Injection: boolean tautology. Score: 0.60`.
//!
//! Requests and responses are logged alike; a response line also names the status the
//! inner service answered with (`response_status`).
//!
//! When the ML anomaly model is what decided (its share of the score is the largest, or
//! its match is the primary one), the line says so:
//! `[ML] Anomaly score 0.93 for a query value. Score: 0.71`.
//!
//! A rate limit has a line of its own:
//! `[LIMIT] IP 203.0.113.9 exceeded threshold (100/sec). Cooling down for 60s.`, once
//! when the client goes over; the requests refused during its cooldown are logged at
//! debug level, so that a flood does not flood the log as well.

use std::net::IpAddr;
use waf_core::{Action, Reason, Verdict};

/// The `[LIMIT]` line of a rate-limited verdict, and whether it is worth a warning (the
/// request that went over) rather than a debug line (one refused while cooling down).
fn limit_line(verdict: &Verdict) -> (String, bool) {
    let message = verdict
        .primary_match()
        .map_or("rate limit exceeded", |m| &*m.message);
    (
        format!("[LIMIT] {message}."),
        verdict.reason != Reason::CoolingDown,
    )
}

/// The name of the ML anomaly signal (`waf_core::ml::SIGNAL`, named here because
/// waf-tower builds the core without its `ml` feature): the source of its match and of
/// its contribution.
const ML_SIGNAL: &str = "ml_anomaly";

/// The decision line of a verdict other than a rate limit; `None` for a quiet allow,
/// which is not logged.
fn line(verdict: &Verdict) -> Option<String> {
    let tag = match verdict.action {
        Action::Allow => return None,
        Action::Deny { .. } => "BLOCK",
        Action::Challenge => "CHALLENGE",
        Action::RateLimit { .. } => "LIMIT",
        Action::Log => "DETECT",
    };
    let score = verdict.score;
    if let Some(said) = ml_decided(verdict) {
        return Some(format!("[ML] {said}. Score: {score:.2}"));
    }
    let (source, rule, message) = match verdict.primary_match() {
        Some(m) => (&*m.source, m.rule_id, &*m.message),
        None => ("score", 0, "weighted score over threshold"),
    };
    Some(format!(
        "[{tag}] {source} Rule {rule}: {message}. Score: {score:.2}"
    ))
}

/// What the ML model said, when it is what decided: the largest share of a score that
/// decided the action, or the primary match.
fn ml_decided(verdict: &Verdict) -> Option<String> {
    let by_score = matches!(verdict.reason, Reason::Score | Reason::ChallengeBand);
    let largest = verdict
        .contributions
        .iter()
        .filter(|c| c.points() > 0.0)
        .max_by(|a, b| a.points().total_cmp(&b.points()));
    let ml_share = by_score && largest.is_some_and(|c| c.signal == ML_SIGNAL);
    let ml_primary = verdict
        .primary_match()
        .is_some_and(|m| &*m.source == ML_SIGNAL);
    if !ml_share && !ml_primary {
        return None;
    }
    let explained = verdict.matches.iter().find(|m| &*m.source == ML_SIGNAL);
    Some(match explained {
        // "ML anomaly score 0.93 for a query value": the tag already says ML.
        Some(m) => capitalized(m.message.strip_prefix("ML ").unwrap_or(&m.message)),
        None => {
            let signal = verdict
                .contributions
                .iter()
                .find(|c| c.signal == ML_SIGNAL)
                .map_or(0.0, |c| c.value);
            format!("Anomaly score {signal:.2}")
        }
    })
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}

pub(crate) fn decision(
    verdict: &Verdict,
    request_id: &str,
    client: IpAddr,
    method: &str,
    path: &str,
) {
    if let Action::RateLimit { .. } = verdict.action {
        let (line, warn) = limit_line(verdict);
        if warn {
            tracing::warn!(target: "waf", request_id, %client, method, path, "{line}");
        } else {
            tracing::debug!(target: "waf", request_id, %client, method, path, "{line}");
        }
        return;
    }
    let Some(line) = line(verdict) else {
        return;
    };
    tracing::warn!(
        target: "waf",
        request_id,
        %client,
        method,
        path,
        rules = ?verdict.rule_ids(),
        "{line}"
    );
}

/// The decision on a response (phases 3 and 4) to the request `method` `path`.
pub(crate) fn response_decision(
    verdict: &Verdict,
    request_id: &str,
    client: IpAddr,
    method: &str,
    path: &str,
    response_status: u16,
) {
    let Some(line) = line(verdict) else {
        return;
    };
    tracing::warn!(
        target: "waf",
        request_id,
        %client,
        method,
        path,
        response_status,
        rules = ?verdict.rule_ids(),
        "{line}"
    );
}

/// What the logging phase (5) matched: for debugging only, it decides nothing.
pub(crate) fn logging_phase(verdict: &Verdict, request_id: &str) {
    if !verdict.matches.is_empty() {
        tracing::debug!(
            target: "waf",
            request_id,
            rules = ?verdict.rule_ids(),
            "logging phase matched"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};
    use waf_core::request::{RawRequest, RequestView};
    use waf_core::rule::Severity;
    use waf_core::{Contribution, RuleMatch, Waf};

    /// A match of `source` with `message` and `severity`.
    fn hit(source: &str, rule_id: u32, message: &str, severity: Severity) -> RuleMatch {
        RuleMatch {
            rule_id,
            source: source.into(),
            message: message.into(),
            data: None,
            severity,
            tags: Vec::new().into(),
            variable: "ARGS_GET".into(),
            value: "1' union select".into(),
            evidence: None,
        }
    }

    fn share(signal: &str, value: f64, weight: f64) -> Contribution {
        Contribution {
            signal: signal.into(),
            value,
            weight,
        }
    }

    #[test]
    fn decision_lines_name_what_decided() {
        let sqli = || {
            hit(
                "CRS",
                942100,
                "SQL Injection Attack Detected",
                Severity::Critical,
            )
        };
        let ml = || {
            hit(
                ML_SIGNAL,
                0,
                "ML anomaly score 0.93 for a query value",
                Severity::Notice,
            )
        };
        // (action, reason, score, contributions, matches, line)
        type Case = (
            Action,
            Reason,
            f64,
            Vec<Contribution>,
            Vec<RuleMatch>,
            Option<&'static str>,
        );
        let cases: Vec<Case> = vec![
            (
                Action::Allow,
                Reason::BelowThreshold,
                0.1,
                vec![],
                vec![],
                None,
            ),
            (
                Action::Deny { status: 403 },
                Reason::Score,
                0.95,
                vec![share("crs_match", 1.0, 0.6), share(ML_SIGNAL, 0.9, 0.4)],
                vec![sqli(), ml()],
                Some("[BLOCK] CRS Rule 942100: SQL Injection Attack Detected. Score: 0.95"),
            ),
            (
                Action::Deny { status: 403 },
                Reason::Score,
                0.71,
                vec![
                    share("crs_match", 0.3, 0.6),
                    share(ML_SIGNAL, 0.93, 0.4),
                    share("threat_intel", 0.5, 0.3),
                ],
                vec![ml()],
                Some("[ML] Anomaly score 0.93 for a query value. Score: 0.71"),
            ),
            (
                Action::Log,
                Reason::Score,
                0.71,
                vec![share("crs_match", 0.3, 0.6), share(ML_SIGNAL, 0.93, 0.4)],
                vec![ml()],
                Some("[ML] Anomaly score 0.93 for a query value. Score: 0.71"),
            ),
            (
                // The ML share is the largest, but no ML match explains it (a signal
                // under the explanation threshold): the signal alone.
                Action::Challenge,
                Reason::ChallengeBand,
                0.45,
                vec![share("crs_match", 0.2, 0.6), share(ML_SIGNAL, 0.8, 0.4)],
                vec![],
                Some("[ML] Anomaly score 0.80. Score: 0.45"),
            ),
            (
                // A deny rule decided, not the score, however large the ML share.
                Action::Deny { status: 403 },
                Reason::DenyRule,
                0.5,
                vec![share("crs_match", 0.1, 0.6), share(ML_SIGNAL, 0.9, 0.4)],
                vec![sqli(), ml()],
                Some("[BLOCK] CRS Rule 942100: SQL Injection Attack Detected. Score: 0.50"),
            ),
            (
                Action::Deny { status: 403 },
                Reason::Score,
                0.8,
                vec![],
                vec![],
                Some("[BLOCK] score Rule 0: weighted score over threshold. Score: 0.80"),
            ),
        ];
        for (action, reason, score, contributions, matches, expected) in cases {
            let verdict = Verdict {
                action,
                reason,
                score,
                anomaly_score: 0,
                contributions,
                matches,
            };
            assert_eq!(line(&verdict).as_deref(), expected, "{verdict:?}");
        }
    }

    #[test]
    fn limit_lines_warn_once_per_cooldown() {
        let config = waf_core::Config::from_toml(
            "[[rate_limits]]\nname = \"all\"\nrate = 100\nburst = 100\ncooldown = 60",
        )
        .unwrap();
        let waf = Waf::builder().config(config).build().unwrap();
        let request = RequestView::from_raw(
            RawRequest {
                method: "GET",
                uri: "/",
                protocol: "HTTP/1.1",
                headers: vec![],
                body: Default::default(),
                client: [203, 0, 113, 9].into(),
            },
            &waf.limits(),
        );
        let now = Instant::now();
        for _ in 0..100 {
            assert_eq!(waf.inspect_at(&request, now).action, Action::Allow);
        }
        // (seconds later, line, warning)
        let cases = [
            (
                0,
                "[LIMIT] IP 203.0.113.9 exceeded threshold (100/sec). Cooling down for 60s.",
                true,
            ),
            (
                1,
                "[LIMIT] IP 203.0.113.9 is cooling down (59s left).",
                false,
            ),
        ];
        for (later, text, warn) in cases {
            let verdict = waf.inspect_at(&request, now + Duration::from_secs(later));
            assert!(
                matches!(verdict.action, Action::RateLimit { .. }),
                "{verdict:?}"
            );
            assert_eq!(limit_line(&verdict), (text.to_owned(), warn));
        }
    }
}
