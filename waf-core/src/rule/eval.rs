//! Running a rule set against one request.

use super::{Disruptive, Rule, RuleSet};
use crate::request::RequestView;
use crate::transform;
use crate::verdict::{Evidence, RuleMatch};

/// What a rule set found in one request.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    /// Every rule that matched, in evaluation order.
    pub matches: Vec<RuleMatch>,
    /// The inbound anomaly score: the sum of the severity points of matched `block`
    /// rules.
    pub anomaly_score: u32,
    /// The status of the first matched `deny` rule; evaluation stops there.
    pub deny_status: Option<u16>,
}

pub(super) fn evaluate(rules: &RuleSet, request: &RequestView) -> Outcome {
    let mut outcome = Outcome::default();
    for rule in rules.rules() {
        let Some(hit) = first_hit(rule, request) else {
            continue;
        };
        if !chain_matches(rule, request) {
            continue;
        }
        outcome.matches.push(RuleMatch::new(
            rules.source(),
            rule,
            hit.variable,
            &hit.part,
            hit.evidence,
        ));
        match rule.disruptive {
            Disruptive::Block => outcome.anomaly_score += rule.severity.anomaly_points(),
            Disruptive::Deny { status } => {
                outcome.deny_status = Some(status);
                break;
            }
            Disruptive::Pass => {}
        }
    }
    outcome
}

/// The first value on which `rule`'s own test succeeds.
struct Hit {
    variable: String,
    part: Vec<u8>,
    evidence: Option<Evidence>,
}

fn first_hit(rule: &Rule, request: &RequestView) -> Option<Hit> {
    let mut hit = None;
    for target in &rule.targets {
        target.for_each(request, |value| {
            if hit.is_some() {
                return;
            }
            let transformed = transform::apply_all(&rule.transforms, &value.bytes);
            hit = match (rule.operator.find(&transformed), rule.negated) {
                (Some(found), false) => Some(Hit {
                    variable: value.name(),
                    part: found.part.into_owned(),
                    evidence: found.evidence,
                }),
                (None, true) => Some(Hit {
                    variable: value.name(),
                    part: transformed.into_owned(),
                    evidence: None,
                }),
                _ => None,
            };
        });
        if hit.is_some() {
            break;
        }
    }
    hit
}

/// Whether every link chained after `rule` matches too.
fn chain_matches(rule: &Rule, request: &RequestView) -> bool {
    let mut link = rule.chain.as_deref();
    while let Some(rule) = link {
        if first_hit(rule, request).is_none() {
            return false;
        }
        link = rule.chain.as_deref();
    }
    true
}
