//! One log line per decision, in the shape operators grep for:
//! `[BLOCK] builtin Rule 100100: SQL Injection: boolean tautology. Score: 0.60`.
//!
//! Requests and responses are logged alike; a response line also names the status the
//! inner service answered with (`response_status`).
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

/// The parts of a decision line: tag, rule source, rule id and message; `None` for a
/// quiet allow, which is not logged.
fn line(verdict: &Verdict) -> Option<(&'static str, &str, u32, &str)> {
    let tag = match verdict.action {
        Action::Allow => return None,
        Action::Deny { .. } => "BLOCK",
        Action::Challenge => "CHALLENGE",
        Action::RateLimit { .. } => "LIMIT",
        Action::Log => "DETECT",
    };
    let (source, rule, message) = match verdict.primary_match() {
        Some(m) => (&*m.source, m.rule_id, &*m.message),
        None => ("score", 0, "weighted score over threshold"),
    };
    Some((tag, source, rule, message))
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
    let Some((tag, source, rule, message)) = line(verdict) else {
        return;
    };
    tracing::warn!(
        target: "waf",
        request_id,
        %client,
        method,
        path,
        rules = ?verdict.rule_ids(),
        "[{tag}] {source} Rule {rule}: {message}. Score: {:.2}",
        verdict.score
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
    let Some((tag, source, rule, message)) = line(verdict) else {
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
        "[{tag}] {source} Rule {rule}: {message}. Score: {:.2}",
        verdict.score
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
    use waf_core::Waf;
    use waf_core::request::{RawRequest, RequestView};

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
