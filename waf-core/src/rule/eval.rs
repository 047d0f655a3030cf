//! Running the rules of one phase within a [`Transaction`].

use super::action::{Ctl, Effect, SetOp};
use super::literals;
use super::macros::{MacroText, Reference};
use super::target::{Collection, Selector, Target, Value};
use super::transaction::{Context, RuleSelection, State, TargetRemoval, TransformCache};
use super::{Disruptive, Phase, Rule, RuleOperator, RuleSet, Step, TargetSpec, Transaction};
use crate::operator::Operator;
use crate::request::RequestView;
use crate::response::ResponseView;
use crate::transform;
use crate::verdict::{Evidence, RuleMatch};
use std::borrow::Cow;
use std::sync::Arc;
use waf_rules::seclang::EngineMode;

/// What a rule set found in one transaction so far.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    /// Every logged rule that matched, in evaluation order (`nolog` rules are left out).
    pub matches: Vec<RuleMatch>,
    /// The inbound anomaly score: `TX:blocking_inbound_anomaly_score` when the rules
    /// keep one (the OWASP CRS does), else the severity points of matched `block`
    /// rules.
    pub anomaly_score: u32,
    /// `TX:inbound_anomaly_score_threshold`, when the rules set one.
    pub anomaly_threshold: Option<u32>,
    /// `TX:blocking_outbound_anomaly_score`, when the rules keep one.
    pub outbound_anomaly_score: Option<u32>,
    /// `TX:outbound_anomaly_score_threshold`, when the rules set one.
    pub outbound_anomaly_threshold: Option<u32>,
    /// The status of the disruptive rule that stopped the transaction.
    pub deny_status: Option<u16>,
    /// The phase in which it did.
    pub deny_phase: Option<Phase>,
    /// With the engine in `DetectionOnly`: the status the first disruptive rule would
    /// have answered with.
    pub would_deny: Option<u16>,
    /// The engine mode a rule set with `ctl:ruleEngine`, if one did.
    pub engine: Option<EngineMode>,
}

/// The first value a rule matched.
struct Hit {
    variable: String,
    part: Vec<u8>,
    evidence: Option<Evidence>,
}

/// What every rule of one phase run reads besides the transaction's state.
struct Scope<'a> {
    rules: &'a RuleSet,
    request: &'a RequestView,
    response: Option<&'a ResponseView>,
    /// Phase 2 or later.
    body_available: bool,
}

impl<'a> Scope<'a> {
    fn context<'s>(&self, state: &'s State) -> Context<'s>
    where
        'a: 's,
    {
        Context {
            request: self.request,
            response: self.response,
            state,
            body_available: self.body_available,
        }
    }
}

pub(super) fn run_phase(
    transaction: &mut Transaction,
    rules: &RuleSet,
    phase: Phase,
    request: &RequestView,
    response: Option<&ResponseView>,
) {
    let steps = rules.steps(phase);
    let scope = Scope {
        rules,
        request,
        response,
        body_available: phase >= Phase::RequestBody,
    };
    let mut at = 0;
    while at < steps.len() {
        let Step::Rule {
            rule: index,
            skip_to,
        } = steps[at]
        else {
            at += 1;
            continue;
        };
        let rule = &rules.rules()[index];
        if is_removed(&transaction.state, rule) {
            at += 1;
            continue;
        }
        transaction.state.matched.clear();
        let Some(hit) = match_chain(transaction, &scope, rule) else {
            at += 1;
            continue;
        };
        record(transaction, &scope, rule, hit);
        let engine = transaction.state.engine.unwrap_or(rules.settings().engine);
        match rule.disruptive {
            Disruptive::Pass => {}
            Disruptive::Allow(allowed) if engine == EngineMode::On => {
                transaction.state.allow = Some(allowed);
                return;
            }
            Disruptive::Allow(_) => {}
            other => {
                let status = other.status().unwrap_or(403);
                if engine == EngineMode::On {
                    transaction.outcome.deny_status = Some(status);
                    transaction.outcome.deny_phase = Some(phase);
                    return;
                }
                transaction.outcome.would_deny.get_or_insert(status);
            }
        }
        at = if rule.skip_after.is_some() {
            skip_to
        } else {
            at + 1 + rule.skip as usize
        };
    }
}

/// Whether a `ctl:ruleRemoveById/ByTag` of this transaction took `rule` out.
fn is_removed(state: &State, rule: &Rule) -> bool {
    state
        .removed_ids
        .iter()
        .any(|range| range.contains(rule.id))
        || state
            .removed_tags
            .iter()
            .any(|pattern| rule.tags.iter().any(|tag| pattern.selects(tag)))
}

/// Runs `head` and every link of its chain; the head's first hit when all match.
///
/// As in ModSecurity, each rule's non-disruptive actions (`setvar`, `ctl`, …) run as
/// soon as that rule matches, before the next link is tried: a link may read what the
/// rule before it set (`setvar:tx.content_type=%{tx.0}` then `SecRule
/// TX:content_type …`), and they stay done if a later link does not match.
/// `MATCHED_VARS` then holds what the rule just run matched.
fn match_chain(transaction: &mut Transaction, scope: &Scope<'_>, head: &Rule) -> Option<Hit> {
    let mut first = None;
    let mut link = Some(head);
    while let Some(rule) = link {
        let hit = match_rule(transaction, scope, head, rule)?;
        first.get_or_insert(hit);
        link = rule.chain.as_deref();
    }
    first
}

/// Runs one rule of a chain: every value of every target, through the transformations
/// and the operator. The matches become `MATCHED_VARS` (for the next link and the
/// macros of the actions); `capture` fills `TX:0`–`TX:9`.
fn match_rule(
    transaction: &mut Transaction,
    scope: &Scope<'_>,
    head: &Rule,
    rule: &Rule,
) -> Option<Hit> {
    let Transaction {
        state,
        cache,
        literal_hits,
        ..
    } = transaction;
    let context = scope.context(state);
    let rules = scope.rules;
    let expanded;
    let operator = match &rule.operator {
        RuleOperator::Compiled(operator) => operator,
        RuleOperator::Expanded { name, argument } => {
            let argument = expand(argument, &context, head);
            expanded = Operator::compile(name, &String::from_utf8_lossy(&argument)).ok()?;
            &expanded
        }
    };
    if rule.targets.is_empty() {
        // SecAction: matches once, unconditionally.
        for effect in &rule.effects {
            apply(transaction, scope, head, effect);
        }
        return Some(Hit {
            variable: String::new(),
            part: Vec::new(),
            evidence: None,
        });
    }
    let removed: Vec<&TargetSpec> = state
        .removed_targets
        .iter()
        .filter(|removal| selects(removal, head))
        .map(|removal| &removal.target)
        .collect();
    let mut matched: Vec<(String, Matched)> = Vec::new();
    for target in &rule.targets {
        target.for_each(&context, &removed, |value| {
            let found = if rule.multi_match {
                test_each_step(rule, operator, &value)
            } else {
                let transformed = transformed(cache, rules, rule, &value);
                if let Some(slot) = rule.literal_slot {
                    let chain = rule.transform_chain;
                    let present = if value.stable {
                        let key = (value.bytes.as_ptr() as usize, value.bytes.len(), chain);
                        let hits = literal_hits
                            .entry(key)
                            .or_insert_with(|| rules.literal_index().hits(chain, &transformed));
                        literals::contains(hits, slot)
                    } else {
                        literals::contains(&rules.literal_index().hits(chain, &transformed), slot)
                    };
                    if !present {
                        return;
                    }
                }
                test(rule, operator, &transformed)
            };
            if let Some(found) = found {
                matched.push((value.name(), found));
            }
        });
    }
    // As ModSecurity does, the actions run once per matched value, each seeing its
    // value as MATCHED_VAR and its captures as TX:0–9 (CRS counts multipart part
    // headers this way).
    let mut first = None;
    transaction.state.matched.clear();
    for (name, found) in matched {
        transaction
            .state
            .matched
            .push((name.clone(), found.transformed));
        if rule.capture {
            set_captures(&mut transaction.state, &found.groups);
        }
        for effect in &rule.effects {
            apply(transaction, scope, head, effect);
        }
        first.get_or_insert(Hit {
            variable: name,
            part: found.part,
            evidence: found.evidence,
        });
    }
    first
}

/// `capture`: `TX:0` … `TX:9` from a match's groups; groups that took no part are
/// removed.
fn set_captures(state: &mut State, groups: &[Vec<u8>]) {
    for index in 0..10 {
        let key = index.to_string();
        match groups.get(index) {
            Some(group) => {
                state.tx.insert(key, group.clone());
            }
            None => {
                state.tx.remove(&key);
            }
        }
    }
}

/// What a matching value gave.
struct Matched {
    /// The part the operator found (the whole value for a negated operator).
    part: Vec<u8>,
    /// The value after the transformations: `MATCHED_VAR`.
    transformed: Vec<u8>,
    /// Capture groups, group 0 first.
    groups: Vec<Vec<u8>>,
    evidence: Option<Evidence>,
}

fn test(rule: &Rule, operator: &Operator, value: &[u8]) -> Option<Matched> {
    let mut groups = Vec::new();
    let found = operator.find_captures(value, rule.capture.then_some(&mut groups));
    match (found, rule.negated) {
        (Some(found), false) => Some(Matched {
            part: found.part.into_owned(),
            transformed: value.to_vec(),
            groups: groups.into_iter().map(<[u8]>::to_vec).collect(),
            evidence: found.evidence,
        }),
        (None, true) => Some(Matched {
            part: value.to_vec(),
            transformed: value.to_vec(),
            groups: Vec::new(),
            evidence: None,
        }),
        _ => None,
    }
}

/// `multiMatch`: the operator runs on the value as it is and after each
/// transformation that changed it.
fn test_each_step(rule: &Rule, operator: &Operator, value: &Value<'_>) -> Option<Matched> {
    let mut current: Cow<'_, [u8]> = Cow::Borrowed(&value.bytes);
    if let Some(found) = test(rule, operator, &current) {
        return Some(found);
    }
    for step in &rule.transforms {
        let next = step.apply(&current);
        if let Cow::Owned(next) = next {
            if let Some(found) = test(rule, operator, &next) {
                return Some(found);
            }
            current = Cow::Owned(next);
        }
    }
    None
}

/// The value after the rule's transformations, from the transaction's cache when the
/// same bytes went through the same chain before.
fn transformed<'c>(
    cache: &'c mut TransformCache,
    rules: &RuleSet,
    rule: &Rule,
    value: &'c Value<'_>,
) -> Cow<'c, [u8]> {
    if rule.transforms.is_empty() {
        return Cow::Borrowed(&value.bytes);
    }
    let compute =
        || match transform::apply_all(rules.transform_chain(rule.transform_chain), &value.bytes) {
            Cow::Borrowed(_) => None,
            Cow::Owned(changed) => Some(changed),
        };
    if !value.stable {
        // Bytes computed for this lookup have no lasting address to key on.
        return compute().map_or(Cow::Borrowed(&value.bytes[..]), Cow::Owned);
    }
    let key = (
        value.bytes.as_ptr() as usize,
        value.bytes.len(),
        rule.transform_chain,
    );
    Cow::Borrowed(
        cache
            .entry(key)
            .or_insert_with(compute)
            .as_deref()
            .unwrap_or(&value.bytes),
    )
}

fn selects(removal: &TargetRemoval, rule: &Rule) -> bool {
    match &removal.rules {
        RuleSelection::Ids(ids) => ids.iter().any(|range| range.contains(rule.id)),
        RuleSelection::Tag(pattern) => rule.tags.iter().any(|tag| pattern.selects(tag)),
    }
}

/// Records a match of `rule`: in the outcome when it logs, in the anomaly points when
/// it is a `block` rule.
fn record(transaction: &mut Transaction, scope: &Scope<'_>, rule: &Rule, hit: Hit) {
    if rule.block {
        transaction.outcome.anomaly_score += rule.severity.anomaly_points();
    }
    if !rule.log {
        return;
    }
    let context = scope.context(&transaction.state);
    let message = String::from_utf8_lossy(&expand(&rule.message, &context, rule)).into_owned();
    let data = rule
        .logdata
        .as_ref()
        .map(|logdata| String::from_utf8_lossy(&expand(logdata, &context, rule)).into_owned());
    let severity = rule.severity as u8;
    transaction.state.highest_severity = transaction.state.highest_severity.min(severity);
    transaction.outcome.matches.push(RuleMatch::new(
        scope.rules.source(),
        rule,
        Arc::from(message),
        data,
        hit.variable,
        &hit.part,
        hit.evidence,
    ));
}

/// Runs one non-disruptive action of a matched rule.
fn apply(transaction: &mut Transaction, scope: &Scope<'_>, head: &Rule, effect: &Effect) {
    let context = scope.context(&transaction.state);
    let text =
        |text: &MacroText| String::from_utf8_lossy(&expand(text, &context, head)).into_owned();
    let ctl = match effect {
        Effect::SetVar {
            collection,
            name,
            op,
            value,
        } => {
            // Names are compared lower case; most are constants, compiled lower case.
            let name = expand(name, &context, head);
            let name = String::from_utf8_lossy(&name);
            let name: Cow<'_, str> = if name.bytes().any(|b| b.is_ascii_uppercase()) {
                Cow::Owned(name.to_ascii_lowercase())
            } else {
                name
            };
            let operand = expand(value, &context, head);
            let vars = match collection.as_str() {
                "tx" => &mut transaction.state.tx,
                other => {
                    let Some(store) = store_name(other) else {
                        return;
                    };
                    transaction.state.stores.entry(store).or_default()
                }
            };
            if *op == SetOp::Delete {
                vars.remove(name.as_ref());
                return;
            }
            let slot = match vars.get_mut(name.as_ref()) {
                Some(slot) => slot,
                None => vars.entry(name.into_owned()).or_default(),
            };
            match op {
                SetOp::Assign => {
                    slot.clear();
                    slot.extend_from_slice(&operand);
                }
                SetOp::Add | SetOp::Subtract => {
                    let current = number(slot);
                    let delta = number(&operand);
                    let next = if *op == SetOp::Add {
                        current.saturating_add(delta)
                    } else {
                        current.saturating_sub(delta)
                    };
                    slot.clear();
                    slot.extend_from_slice(next.to_string().as_bytes());
                }
                SetOp::Delete => {}
            }
            return;
        }
        Effect::InitCol { collection, .. } => {
            if let Some(store) = store_name(collection) {
                transaction.state.stores.entry(store).or_default();
            }
            return;
        }
        Effect::SetEnv { name, value } => {
            let (name, value) = (text(name), expand(value, &context, head).into_owned());
            transaction
                .state
                .env
                .insert(name.to_ascii_lowercase(), value);
            return;
        }
        Effect::Ctl(ctl) => ctl,
    };
    let state = &mut transaction.state;
    match ctl {
        Ctl::RuleEngine(mode) => state.engine = Some(*mode),
        Ctl::RemoveById(ids) => state.removed_ids.extend(ids.iter().copied()),
        Ctl::RemoveByTag(pattern) => state.removed_tags.push(pattern.clone()),
        Ctl::RemoveTargetById(ids, targets) => {
            for target in targets {
                state.removed_targets.push(TargetRemoval {
                    rules: RuleSelection::Ids(ids.clone()),
                    target: target.clone(),
                });
            }
        }
        Ctl::RemoveTargetByTag(pattern, targets) => {
            for target in targets {
                state.removed_targets.push(TargetRemoval {
                    rules: RuleSelection::Tag(pattern.clone()),
                    target: target.clone(),
                });
            }
        }
        Ctl::RequestBodyProcessor(processor) => state.body_processor = Some(*processor),
        Ctl::RequestBodyAccess(on) => state.request_body_access = *on,
        Ctl::ForceRequestBodyVariable(on) => state.force_request_body = *on,
        Ctl::AuditLog => {}
    }
}

/// The collections `initcol` and `setvar` may write besides `TX`.
fn store_name(name: &str) -> Option<&'static str> {
    match Collection::from_name(&name.to_ascii_uppercase())? {
        Collection::Stored(store) => Some(store),
        _ => None,
    }
}

/// A variable's value as a number, as ModSecurity reads it: leading digits (with a
/// sign), else 0.
fn number(bytes: &[u8]) -> i64 {
    let text = String::from_utf8_lossy(bytes);
    let text = text.trim();
    let end = text
        .char_indices()
        .find(|&(i, c)| !(c.is_ascii_digit() || (i == 0 && (c == '-' || c == '+'))))
        .map_or(text.len(), |(i, _)| i);
    text[..end].parse().unwrap_or(0)
}

/// Expands the macros of `text` in `context`; `%{RULE.…}` reads `rule`.
fn expand<'t>(text: &'t MacroText, context: &Context<'_>, rule: &Rule) -> Cow<'t, [u8]> {
    text.expand(&mut |reference| resolve(reference, context, rule))
}

fn resolve(reference: &Reference, context: &Context<'_>, rule: &Rule) -> Option<Vec<u8>> {
    if reference.collection == "RULE" {
        return match reference.member.as_deref()? {
            "id" => Some(rule.id.to_string().into_bytes()),
            "msg" => rule.message.constant().map(<[u8]>::to_vec),
            "severity" => Some((rule.severity as u8).to_string().into_bytes()),
            "phase" => Some((rule.phase as u8).to_string().into_bytes()),
            _ => None,
        };
    }
    if reference.collection == "TX" {
        // The common case (CRS scores and limits), without building a target.
        return context.state.tx.get(reference.member.as_deref()?).cloned();
    }
    let target = Target {
        collection: Collection::from_name(&reference.collection)?,
        selector: reference
            .member
            .as_ref()
            .map(|member| Selector::Name(member.as_bytes().to_vec())),
        exclusions: Vec::new(),
        count: false,
    };
    let mut value = None;
    target.for_each(context, &[], |v| {
        value.get_or_insert_with(|| v.bytes.into_owned());
    });
    value
}
