//! One log line per decision, in the shape operators grep for:
//! `[BLOCK] builtin Rule 100100: SQL Injection: boolean tautology. Score: 0.60`.
//!
//! Requests and responses are logged alike; a response line also names the status the
//! inner service answered with (`response_status`).

use std::net::IpAddr;
use waf_core::{Action, Verdict};

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
