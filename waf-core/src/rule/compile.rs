//! Lowering SecLang (`waf_rules::seclang`) into the IR.

use super::{Disruptive, Phase, Rule, RuleSet, Selector, Severity, Target};
use crate::Error;
use crate::operator::Operator;
use crate::rule::Collection;
use crate::transform::Transform;
use std::sync::Arc;
use waf_rules::seclang::{self, Directive, Location, RuleFile};

pub(super) fn seclang(source: &str, file: &RuleFile) -> Result<RuleSet, Error> {
    let mut rules = Vec::new();
    // The head and links of a chain still open (the last rule read had `chain`).
    let mut chain: Vec<Rule> = Vec::new();
    for (location, directive) in &file.directives {
        let at = |message: String| Error::rule(location, message);
        match directive {
            Directive::Rule(rule) => {
                let (compiled, continues) = compile_rule(rule, !chain.is_empty()).map_err(at)?;
                chain.push(compiled);
                if !continues {
                    rules.extend(close_chain(&mut chain));
                }
            }
            // Informational, or handled by the engine's own configuration.
            Directive::ComponentSignature(_)
            | Directive::RuleEngine(_)
            | Directive::Ignored { .. } => {}
            // `Directive` is #[non_exhaustive]: everything not handled yet is an error.
            _ => {
                return Err(at(format!(
                    "{} is not supported by this engine yet",
                    directive.name()
                )));
            }
        }
    }
    if let Some(head) = chain.first() {
        return Err(Error::new(
            crate::ErrorKind::Rules,
            format!(
                "rule {} ends its file with `chain` but no rule follows",
                head.id
            ),
        ));
    }
    Ok(RuleSet::new(source, rules))
}

/// Folds `[head, link1, link2]` into `head → link1 → link2`.
fn close_chain(chain: &mut Vec<Rule>) -> Option<Rule> {
    let mut next: Option<Box<Rule>> = None;
    while let Some(mut rule) = chain.pop() {
        rule.chain = next;
        next = Some(Box::new(rule));
    }
    next.map(|rule| *rule)
}

/// Compiles one `SecRule`; says whether it opens (or continues) a chain. A chain link
/// (`in_chain`) needs no id and may not have a disruptive action or phase.
fn compile_rule(rule: &seclang::SecRule, in_chain: bool) -> Result<(Rule, bool), String> {
    let mut chained = false;
    let mut id = None;
    let mut phase = Phase::RequestBody;
    let mut message = String::new();
    let mut severity = Severity::Notice;
    let mut tags = Vec::new();
    let mut transforms = Vec::new();
    let mut disruptive = Disruptive::Pass;
    let mut status = None;
    for action in &rule.actions {
        let value = action.value.as_deref().unwrap_or("");
        match action.name.as_str() {
            "id" => {
                id = Some(
                    value
                        .parse::<u32>()
                        .map_err(|_| format!("bad id {value:?}"))?,
                )
            }
            "phase" => {
                phase = match value {
                    "1" | "request" => Phase::RequestHeaders,
                    "2" => Phase::RequestBody,
                    _ => return Err(format!("phase {value:?} is not supported yet")),
                }
            }
            "msg" => message = value.to_owned(),
            "severity" => {
                severity = Severity::parse(value).ok_or(format!("bad severity {value:?}"))?
            }
            "tag" => tags.push(value.to_owned()),
            "t" if value.eq_ignore_ascii_case("none") => transforms.clear(),
            "t" => transforms.push(
                Transform::from_name(value)
                    .ok_or_else(|| format!("unsupported transformation t:{value}"))?,
            ),
            "chain" => chained = true,
            "block" => disruptive = Disruptive::Block,
            "deny" => disruptive = Disruptive::Deny { status: 403 },
            "pass" => disruptive = Disruptive::Pass,
            "status" => {
                status = Some(
                    value
                        .parse::<u16>()
                        .ok()
                        .filter(|s| (100..=599).contains(s))
                        .ok_or_else(|| format!("bad status {value:?}"))?,
                )
            }
            // Metadata that does not change evaluation.
            "rev" | "ver" | "maturity" | "accuracy" | "log" | "nolog" | "auditlog"
            | "noauditlog" | "logdata" => {}
            other => return Err(format!("unsupported action {other:?}")),
        }
    }
    let id = match (id, in_chain) {
        (Some(id), false) => id,
        (None, true) => 0,
        (None, false) => return Err("rule has no id".into()),
        (Some(_), true) => return Err("a chained rule may not have an id".into()),
    };
    if let (Disruptive::Deny { status: s }, Some(given)) = (&mut disruptive, status) {
        *s = given;
    }
    let operator = Operator::compile(&rule.operator.name, &rule.operator.argument)?;
    Ok((
        Rule {
            id,
            phase,
            message: Arc::from(message),
            severity,
            tags: Arc::from(tags),
            targets: targets(&rule.variables)?,
            transforms,
            operator,
            negated: rule.operator.negated,
            disruptive,
            chain: None,
        },
        chained,
    ))
}

/// Compiles variables; `!COLLECTION:member` entries become exclusions on the targets of
/// the same collection.
fn targets(variables: &[seclang::Variable]) -> Result<Vec<Target>, String> {
    let mut targets = Vec::new();
    let mut exclusions = Vec::new();
    for variable in variables {
        let collection = Collection::from_name(&variable.collection)
            .ok_or_else(|| format!("unsupported variable {}", variable.collection))?;
        let selector = variable.selector.as_ref().map(selector).transpose()?;
        if variable.exclude {
            let selector = selector
                .ok_or_else(|| format!("exclusion !{} needs a member", variable.collection))?;
            exclusions.push((collection, selector));
        } else {
            targets.push(Target {
                collection,
                selector: selector.filter(|s| !is_match_all(s)),
                exclusions: Vec::new(),
                count: variable.count,
            });
        }
    }
    for (collection, selector) in exclusions {
        for target in targets.iter_mut().filter(|t| t.collection == collection) {
            target.exclusions.push(selector.clone());
        }
    }
    Ok(targets)
}

/// `XML:/*` selects every node: the XPath subset the foundation supports.
fn is_match_all(selector: &Selector) -> bool {
    matches!(selector, Selector::Name(n) if n == b"/*")
}

fn selector(selector: &seclang::Selector) -> Result<Selector, String> {
    match selector {
        seclang::Selector::Key(key) => Ok(Selector::Name(key.as_bytes().to_vec())),
        seclang::Selector::Regex(pattern) => regex::bytes::RegexBuilder::new(pattern)
            .case_insensitive(true)
            .build()
            .map(Selector::Regex)
            .map_err(|e| format!("bad selector regex /{pattern}/: {e}")),
    }
}

impl Error {
    fn rule(location: &Location, message: String) -> Self {
        Error::new(crate::ErrorKind::Rules, format!("{location}: {message}"))
    }
}
