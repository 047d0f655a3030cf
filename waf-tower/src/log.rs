//! One log line per decision, in the shape operators grep for:
//! `[BLOCK] builtin Rule 100100: SQL Injection: boolean tautology. Score: 0.60`.

use std::net::IpAddr;
use waf_core::{Action, Verdict};

pub(crate) fn decision(
    verdict: &Verdict,
    request_id: &str,
    client: IpAddr,
    method: &str,
    path: &str,
) {
    let tag = match verdict.action {
        Action::Allow => return,
        Action::Deny { .. } => "BLOCK",
        Action::Challenge => "CHALLENGE",
        Action::RateLimit { .. } => "LIMIT",
        Action::Log => "DETECT",
    };
    let (source, rule, message) = match verdict.primary_match() {
        Some(m) => (&*m.source, m.rule_id, &*m.message),
        None => ("score", 0, "weighted score over threshold"),
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
