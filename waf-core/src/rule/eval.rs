//! Running a rule set against one request.

use super::{Disruptive, RuleSet};
use crate::request::RequestView;
use crate::transform;
use crate::verdict::RuleMatch;

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
        let mut hit = None;
        for target in &rule.targets {
            target.for_each(request, |value| {
                if hit.is_some() {
                    return;
                }
                let transformed = transform::apply_all(&rule.transforms, &value.bytes);
                let found = rule.operator.find(&transformed);
                let matched = match (found, rule.negated) {
                    (Some(part), false) => Some(part.to_vec()),
                    (None, true) => Some(transformed.to_vec()),
                    _ => None,
                };
                if let Some(part) = matched {
                    hit = Some((value.name.into_owned(), part));
                }
            });
            if hit.is_some() {
                break;
            }
        }
        let Some((variable, value)) = hit else {
            continue;
        };
        outcome
            .matches
            .push(RuleMatch::new(rules.source(), rule, variable, &value));
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
