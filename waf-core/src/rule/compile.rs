//! Lowering SecLang (`waf_rules::seclang`) into the IR.
//!
//! Directives are read in order. Rules are kept as written until the end, because
//! `SecRuleRemove…` and `SecRuleUpdate…` directives change rules defined before them;
//! then every remaining rule is compiled with the `SecDefaultAction` of its phase that
//! was in force where it was defined, and the phases' programs are laid out with their
//! markers.

use super::action::{self, TagPattern};
use super::literals::LiteralIndex;
use super::{
    AllowScope, Disruptive, MacroText, Phase, Rule, RuleOperator, RuleSet, Selector, Settings,
    Severity, Step, Target,
};
use crate::Error;
use crate::operator::{self, Operator};
use crate::rule::Collection;
use crate::transform::Transform;
use std::collections::HashMap;
use std::sync::Arc;
use waf_rules::seclang::{self, Directive, Location, OnOff, Pattern, RuleFile, SecRule};

/// A compiled rule or a marker, in file order.
pub(crate) enum Item {
    Rule(Box<Rule>),
    Marker(String),
}

/// Reads a data file named by an operator of a rule in the given rule file.
pub(super) type ReadData<'a> = dyn Fn(&str, &str) -> Result<Vec<u8>, String> + 'a;

/// The defaults `SecDefaultAction` gives the rules of one phase.
#[derive(Debug, Clone)]
struct PhaseDefault {
    disruptive: Disruptive,
    transforms: Vec<Transform>,
    log: bool,
}

impl Default for PhaseDefault {
    fn default() -> Self {
        // ModSecurity's own default: "phase:2,log,auditlog,pass".
        Self {
            disruptive: Disruptive::Pass,
            transforms: Vec::new(),
            log: true,
        }
    }
}

type Defaults = Arc<[PhaseDefault; 5]>;

/// A rule as written (a chain's rules), waiting for the end of the file.
struct Pending {
    location: Location,
    links: Vec<SecRule>,
    defaults: Defaults,
    removed: bool,
}

enum PendingItem {
    Rule(Pending),
    Marker(String),
}

impl Pending {
    fn head(&self) -> &SecRule {
        &self.links[0]
    }

    fn id(&self) -> Option<u32> {
        self.head().action("id")?.trim().parse().ok()
    }

    fn tags(&self) -> impl Iterator<Item = &str> {
        self.head()
            .actions
            .iter()
            .filter(|a| a.name == "tag")
            .filter_map(|a| a.value.as_deref())
    }

    fn is_open(&self) -> bool {
        self.links
            .last()
            .is_some_and(|link| link.actions.iter().any(|a| a.name == "chain"))
    }
}

pub(super) fn seclang(
    source: &str,
    file: &RuleFile,
    read: &ReadData<'_>,
) -> Result<RuleSet, Error> {
    let mut items: Vec<PendingItem> = Vec::new();
    let mut settings = Settings::default();
    let mut defaults: Defaults = Arc::default();
    for (location, directive) in &file.directives {
        let at = |message: String| Error::rule(location, message);
        let open_chain = match items.last_mut() {
            Some(PendingItem::Rule(pending)) if pending.is_open() => Some(pending),
            _ => None,
        };
        if let Some(pending) = open_chain {
            match directive {
                Directive::Rule(rule) => {
                    pending.links.push(rule.clone());
                    continue;
                }
                other => {
                    return Err(at(format!(
                        "rule {} ends with `chain` but {} follows instead of a SecRule",
                        pending.id().unwrap_or(0),
                        other.name()
                    )));
                }
            }
        }
        match directive {
            Directive::Rule(rule) => items.push(PendingItem::Rule(Pending {
                location: location.clone(),
                links: vec![rule.clone()],
                defaults: defaults.clone(),
                removed: false,
            })),
            Directive::Action(actions) => items.push(PendingItem::Rule(Pending {
                location: location.clone(),
                links: vec![SecRule {
                    variables: Vec::new(),
                    operator: seclang::Operator {
                        negated: false,
                        name: "unconditionalMatch".into(),
                        argument: String::new(),
                    },
                    actions: actions.clone(),
                }],
                defaults: defaults.clone(),
                removed: false,
            })),
            Directive::Marker(name) => items.push(PendingItem::Marker(name.clone())),
            Directive::DefaultAction(actions) => {
                let (phase, default) = phase_default(actions).map_err(at)?;
                let mut next = (*defaults).clone();
                next[phase.index()] = default;
                defaults = Arc::new(next);
            }
            Directive::RuleEngine(mode) => settings.engine = *mode,
            Directive::RequestBodyAccess(on) => settings.request_body_access = on.is_on(),
            Directive::ResponseBodyAccess(on) => settings.response_body_access = on.is_on(),
            Directive::ResponseBodyMimeType(types) => settings
                .response_body_mime_types
                .extend(types.iter().map(|t| t.to_ascii_lowercase())),
            Directive::ResponseBodyMimeTypesClear => settings.response_body_mime_types.clear(),
            Directive::RequestBodyLimit(n) => settings.request_body_limit = Some(*n),
            Directive::RequestBodyNoFilesLimit(n) => {
                settings.request_body_no_files_limit = Some(*n)
            }
            Directive::RequestBodyLimitAction(a) => settings.request_body_limit_action = *a,
            Directive::ResponseBodyLimit(n) => settings.response_body_limit = Some(*n),
            Directive::ResponseBodyLimitAction(a) => settings.response_body_limit_action = *a,
            Directive::RequestBodyJsonDepthLimit(n) => settings.json_depth_limit = Some(*n),
            Directive::ArgumentsLimit(n) => settings.arguments_limit = Some(*n),
            Directive::UploadFileLimit(n) => settings.upload_file_limit = Some(*n),
            // Informational, or tuning that a non-backtracking engine without
            // persistent storage has no use for.
            Directive::ComponentSignature(_)
            | Directive::Ignored { .. }
            | Directive::PcreMatchLimit(_)
            | Directive::PcreMatchLimitRecursion(_)
            | Directive::RequestBodyInMemoryLimit(_)
            | Directive::CollectionTimeout(_)
            | Directive::WebAppId(_)
            | Directive::CookieFormat(_)
            | Directive::UnicodeMapFile { .. }
            | Directive::UnicodeCodePage(_)
            | Directive::XmlExternalEntity(OnOff::Off) => {}
            Directive::ArgumentSeparator(b'&') => {}
            Directive::ArgumentSeparator(other) => {
                return Err(at(format!(
                    "SecArgumentSeparator {:?} is not supported: arguments are split at `&`",
                    *other as char
                )));
            }
            Directive::XmlExternalEntity(OnOff::On) => {
                return Err(at(
                    "SecXmlExternalEntity On is not supported: external entities are never loaded"
                        .into(),
                ));
            }
            Directive::Include { path, .. } => {
                return Err(at(format!(
                    "Include {path:?}: includes are resolved when loading files \
                     (waf_rules::load), not here"
                )));
            }
            Directive::RuleRemoveById(ranges) => {
                for pending in rules_mut(&mut items) {
                    if pending
                        .id()
                        .is_some_and(|id| ranges.iter().any(|r| r.contains(id)))
                    {
                        pending.removed = true;
                    }
                }
            }
            Directive::RuleRemoveByTag(patterns) | Directive::RuleRemoveByMsg(patterns) => {
                let by_tag = matches!(directive, Directive::RuleRemoveByTag(_));
                let patterns = compile_patterns(patterns).map_err(at)?;
                for pending in rules_mut(&mut items) {
                    let selected = if by_tag {
                        pending
                            .tags()
                            .any(|tag| patterns.iter().any(|p| p.selects(tag)))
                    } else {
                        let msg = pending.head().action("msg").unwrap_or("");
                        patterns.iter().any(|p| p.selects(msg))
                    };
                    pending.removed |= selected;
                }
            }
            Directive::RuleUpdateTargetById {
                ids,
                targets,
                replaced,
            } => {
                for pending in rules_mut(&mut items) {
                    if pending
                        .id()
                        .is_some_and(|id| ids.iter().any(|r| r.contains(id)))
                    {
                        update_targets(&mut pending.links[0], targets, replaced.as_deref());
                    }
                }
            }
            Directive::RuleUpdateTargetByTag {
                tag: pattern,
                targets,
                replaced,
            }
            | Directive::RuleUpdateTargetByMsg {
                msg: pattern,
                targets,
                replaced,
            } => {
                let by_tag = matches!(directive, Directive::RuleUpdateTargetByTag { .. });
                let pattern = TagPattern::new(pattern).map_err(at)?;
                for pending in rules_mut(&mut items) {
                    let selected = if by_tag {
                        pending.tags().any(|tag| pattern.selects(tag))
                    } else {
                        pattern.selects(pending.head().action("msg").unwrap_or(""))
                    };
                    if selected {
                        update_targets(&mut pending.links[0], targets, replaced.as_deref());
                    }
                }
            }
            Directive::RuleUpdateActionById {
                id,
                chain_offset,
                actions,
            } => {
                let pending = rules_mut(&mut items)
                    .find(|p| p.id() == Some(*id))
                    .ok_or_else(|| at(format!("no rule {id} defined before to update")))?;
                let offset = chain_offset.unwrap_or(1).max(1) as usize - 1;
                let link = pending.links.get_mut(offset).ok_or_else(|| {
                    at(format!(
                        "rule {id} has no chained rule number {}",
                        offset + 1
                    ))
                })?;
                update_actions(link, actions);
            }
            // `Directive` is #[non_exhaustive]: a directive added later is an error
            // until the engine learns it.
            _ => {
                return Err(at(format!(
                    "{} is not supported by this engine",
                    directive.name()
                )));
            }
        }
    }
    if let Some(PendingItem::Rule(pending)) = items.last()
        && pending.is_open()
    {
        return Err(Error::rule(
            &pending.location,
            format!(
                "rule {} ends with `chain` but no rule follows",
                pending.id().unwrap_or(0)
            ),
        ));
    }
    let mut compiled = Vec::with_capacity(items.len());
    for item in items {
        match item {
            PendingItem::Marker(name) => compiled.push(Item::Marker(name)),
            PendingItem::Rule(pending) if pending.removed => {}
            PendingItem::Rule(pending) => {
                let rule = compile_chain(&pending, read)
                    .map_err(|message| Error::rule(&pending.location, message))?;
                compiled.push(Item::Rule(Box::new(rule)));
            }
        }
    }
    Ok(assemble(source, compiled, settings))
}

fn rules_mut(items: &mut [PendingItem]) -> impl Iterator<Item = &mut Pending> {
    items.iter_mut().filter_map(|item| match item {
        PendingItem::Rule(pending) => Some(pending),
        PendingItem::Marker(_) => None,
    })
}

fn compile_patterns(patterns: &[Pattern]) -> Result<Vec<TagPattern>, String> {
    patterns.iter().map(TagPattern::new).collect()
}

/// `SecRuleUpdateTarget…`: adds targets (or exclusions), or replaces some.
fn update_targets(
    rule: &mut SecRule,
    targets: &[seclang::Variable],
    replaced: Option<&[seclang::Variable]>,
) {
    if let Some(replaced) = replaced {
        rule.variables.retain(|v| !replaced.contains(v));
    }
    for target in targets {
        if !rule.variables.contains(target) {
            rule.variables.push(target.clone());
        }
    }
}

/// `SecRuleUpdateActionById`: single-valued actions (the disruptive action, `msg`,
/// `severity`, …) replace the rule's; the others (`t:`, `tag`, `setvar`, …) are added.
fn update_actions(rule: &mut SecRule, actions: &[seclang::Action]) {
    const DISRUPTIVE: [&str; 6] = ["block", "deny", "pass", "drop", "allow", "redirect"];
    const SINGLE: [&str; 12] = [
        "phase",
        "msg",
        "logdata",
        "severity",
        "status",
        "ver",
        "rev",
        "maturity",
        "accuracy",
        "skip",
        "skipafter",
        "capture",
    ];
    for action in actions {
        let name = action.name.as_str();
        if DISRUPTIVE.contains(&name) {
            rule.actions
                .retain(|a| !DISRUPTIVE.contains(&a.name.as_str()));
        } else if SINGLE.contains(&name) {
            rule.actions.retain(|a| a.name != name);
        }
        rule.actions.push(action.clone());
    }
}

/// Reads a `SecDefaultAction`: its phase and what it gives the rules of that phase.
fn phase_default(actions: &[seclang::Action]) -> Result<(Phase, PhaseDefault), String> {
    let mut phase = None;
    let mut default = PhaseDefault::default();
    let mut status = None;
    for action in actions {
        let value = action.value.as_deref().unwrap_or("");
        match action.name.as_str() {
            "phase" => phase = Some(Phase::parse(value).ok_or(format!("bad phase {value:?}"))?),
            "log" | "auditlog" => default.log = true,
            "nolog" => default.log = false,
            "noauditlog" => {}
            "t" => push_transform(&mut default.transforms, value)?,
            "status" => status = Some(parse_status(value)?),
            name => match disruptive(name, value)? {
                Some(Chosen::Action(action)) => default.disruptive = action,
                Some(Chosen::Block) => {
                    return Err(
                        "SecDefaultAction cannot use `block`: it defines what block does".into(),
                    );
                }
                None => return Err(format!("SecDefaultAction does not support {name:?}")),
            },
        }
    }
    let phase = phase.ok_or("SecDefaultAction needs a phase")?;
    default.disruptive = with_status(default.disruptive, status);
    Ok((phase, default))
}

/// A rule's own disruptive action.
#[derive(Clone, Copy)]
enum Chosen {
    /// `block`: whatever its phase's `SecDefaultAction` does.
    Block,
    /// Any other.
    Action(Disruptive),
}

/// The disruptive action called `name`; `None` when `name` is not disruptive.
fn disruptive(name: &str, value: &str) -> Result<Option<Chosen>, String> {
    Ok(Some(Chosen::Action(match name {
        "block" => return Ok(Some(Chosen::Block)),
        "pass" => Disruptive::Pass,
        "deny" => Disruptive::Deny { status: 403 },
        "drop" => Disruptive::Drop { status: 403 },
        "redirect" => {
            if value.trim().is_empty() {
                return Err("redirect needs a URL".into());
            }
            Disruptive::Redirect { status: 302 }
        }
        "allow" => Disruptive::Allow(match value.trim().to_ascii_lowercase().as_str() {
            "" => AllowScope::Transaction,
            "request" => AllowScope::Request,
            "phase" => AllowScope::Phase,
            other => return Err(format!("allow takes phase or request, not {other:?}")),
        }),
        _ => return Ok(None),
    })))
}

/// Applies a `status:` action to the disruptive action it belongs to.
fn with_status(disruptive: Disruptive, status: Option<u16>) -> Disruptive {
    match (disruptive, status) {
        (Disruptive::Deny { .. }, Some(status)) => Disruptive::Deny { status },
        (Disruptive::Drop { .. }, Some(status)) => Disruptive::Drop { status },
        (Disruptive::Redirect { .. }, Some(status)) => Disruptive::Redirect { status },
        (other, _) => other,
    }
}

fn parse_status(value: &str) -> Result<u16, String> {
    value
        .trim()
        .parse::<u16>()
        .ok()
        .filter(|s| (100..=599).contains(s))
        .ok_or_else(|| format!("bad status {value:?}"))
}

fn push_transform(transforms: &mut Vec<Transform>, name: &str) -> Result<(), String> {
    if name.trim().eq_ignore_ascii_case("none") {
        transforms.clear();
    } else {
        transforms.push(
            Transform::from_name(name.trim())
                .ok_or_else(|| format!("unsupported transformation t:{name}"))?,
        );
    }
    Ok(())
}

/// Compiles a chain: its head with the defaults of its phase, then its links.
fn compile_chain(pending: &Pending, read: &ReadData<'_>) -> Result<Rule, String> {
    let file = &pending.location.file;
    let mut head = compile_rule(pending.head(), None, &pending.defaults, file, read)?;
    let mut links = Vec::new();
    for (index, link) in pending.links.iter().enumerate().skip(1) {
        links.push(
            compile_rule(link, Some(head.phase), &pending.defaults, file, read)
                .map_err(|e| format!("chained rule {index}: {e}"))?,
        );
    }
    let mut next: Option<Box<Rule>> = None;
    while let Some(mut link) = links.pop() {
        link.chain = next;
        next = Some(Box::new(link));
    }
    head.chain = next;
    Ok(head)
}

/// Compiles one rule; `link_of` is the phase of the chain it continues, if it is a link.
fn compile_rule(
    rule: &SecRule,
    link_of: Option<Phase>,
    defaults: &[PhaseDefault; 5],
    file: &str,
    read: &ReadData<'_>,
) -> Result<Rule, String> {
    let phase = match rule.action("phase") {
        Some(value) => Phase::parse(value).ok_or_else(|| format!("bad phase {value:?}"))?,
        None => link_of.unwrap_or(Phase::RequestBody),
    };
    let default = &defaults[phase.index()];
    let mut id = None;
    let mut message = MacroText::parse("");
    let mut logdata = None;
    let mut severity = Severity::Notice;
    let mut tags = Vec::new();
    let mut transforms = if link_of.is_none() {
        default.transforms.clone()
    } else {
        Vec::new()
    };
    let mut chosen: Option<Chosen> = None;
    let mut status = None;
    let mut effects = Vec::new();
    let mut capture = false;
    let mut multi_match = false;
    let mut log = None;
    let mut skip = 0;
    let mut skip_after = None;
    for action in &rule.actions {
        let value = action.value.as_deref().unwrap_or("");
        match action.name.as_str() {
            "id" => {
                id = Some(
                    value
                        .trim()
                        .parse::<u32>()
                        .map_err(|_| format!("bad id {value:?}"))?,
                )
            }
            "phase" | "chain" => {}
            "msg" => message = MacroText::parse(value),
            "logdata" => logdata = Some(MacroText::parse(value)),
            "severity" => {
                severity = Severity::parse(value).ok_or(format!("bad severity {value:?}"))?
            }
            "tag" => tags.push(value.to_owned()),
            "t" => push_transform(&mut transforms, value)?,
            "status" => status = Some(parse_status(value)?),
            "capture" => capture = true,
            "multimatch" => multi_match = true,
            "log" => log = Some(true),
            "nolog" => log = Some(false),
            "skip" => {
                skip = value
                    .trim()
                    .parse::<u32>()
                    .ok()
                    .filter(|&n| n > 0)
                    .ok_or_else(|| format!("bad skip {value:?}"))?
            }
            "skipafter" => skip_after = Some(value.trim().to_owned()),
            "setvar" => effects.push(action::setvar(value)?),
            "ctl" => effects.push(action::ctl(value)?),
            "initcol" => effects.push(action::initcol(value)?),
            "setenv" => effects.push(action::setenv(value)?),
            // Collections other than TX live for one transaction here, so an expiry
            // has nothing to act on; audit logging and metadata do not change
            // evaluation.
            "expirevar" | "auditlog" | "noauditlog" | "rev" | "ver" | "maturity" | "accuracy" => {}
            name => match disruptive(name, value)? {
                Some(action) => chosen = Some(action),
                None => return Err(format!("unsupported action {name:?}")),
            },
        }
    }
    let id = match (id, link_of) {
        (Some(id), None) => id,
        (None, Some(_)) => 0,
        (None, None) => return Err("rule has no id".into()),
        (Some(_), Some(_)) => return Err("a chained rule may not have an id".into()),
    };
    if link_of.is_some() && chosen.is_some() {
        return Err("a chained rule may not have a disruptive action".into());
    }
    let block = matches!(chosen, Some(Chosen::Block));
    let disruptive = match chosen {
        Some(Chosen::Action(action)) => with_status(action, status),
        // `block`, or nothing: what the phase's SecDefaultAction says.
        Some(Chosen::Block) | None if link_of.is_none() => with_status(default.disruptive, status),
        _ => Disruptive::Pass,
    };
    let name = &rule.operator.name;
    let argument = &rule.operator.argument;
    let operator = if operator::expands_macros(name, argument) {
        RuleOperator::Expanded {
            name: name.clone(),
            argument: MacroText::parse(argument),
        }
    } else {
        RuleOperator::Compiled(Operator::compile_with_files(name, argument, &|path| {
            read(file, path)
        })?)
    };
    Ok(Rule {
        id,
        phase,
        message,
        logdata,
        severity,
        tags: Arc::from(tags),
        targets: targets(&rule.variables)?,
        transforms,
        operator,
        negated: rule.operator.negated,
        block,
        disruptive,
        effects,
        capture,
        multi_match,
        log: log.unwrap_or(default.log),
        skip,
        skip_after,
        chain: None,
        transform_chain: 0,
        literal_slot: None,
    })
}

/// Lays out the phases' programs: rules by phase in file order, every marker in every
/// phase, `skipAfter` resolved to the step after its marker.
pub(super) fn assemble(source: &str, items: Vec<Item>, settings: Settings) -> RuleSet {
    let mut chains: Vec<Vec<Transform>> = Vec::new();
    let mut chain_index: HashMap<Vec<Transform>, usize> = HashMap::new();
    let mut intern = |rule: &mut Rule| {
        let mut link = Some(rule);
        while let Some(rule) = link {
            let next = chain_index.len();
            rule.transform_chain =
                *chain_index
                    .entry(rule.transforms.clone())
                    .or_insert_with(|| {
                        chains.push(rule.transforms.clone());
                        next
                    });
            link = rule.chain.as_deref_mut();
        }
    };
    let mut by_phase: [Vec<Item>; 5] = Default::default();
    for item in items {
        match item {
            Item::Rule(mut rule) => {
                intern(&mut rule);
                let phase = rule.phase.index();
                by_phase[phase].push(Item::Rule(rule));
            }
            Item::Marker(name) => {
                for phase in &mut by_phase {
                    phase.push(Item::Marker(name.clone()));
                }
            }
        }
    }
    let mut rules = Vec::new();
    let mut phases: [Vec<Step>; 5] = Default::default();
    for (phase, items) in by_phase.into_iter().enumerate() {
        let markers: Vec<Option<String>> = items
            .iter()
            .map(|item| match item {
                Item::Marker(name) => Some(name.clone()),
                Item::Rule(_) => None,
            })
            .collect();
        for (at, item) in items.into_iter().enumerate() {
            match item {
                Item::Marker(_) => phases[phase].push(Step::Marker),
                Item::Rule(rule) => {
                    let skip_to = rule.skip_after.as_ref().map_or(at + 1, |name| {
                        markers[at..]
                            .iter()
                            .position(|m| m.as_deref() == Some(name.as_str()))
                            .map_or(markers.len(), |offset| at + offset + 1)
                    });
                    phases[phase].push(Step::Rule {
                        rule: rules.len(),
                        skip_to,
                    });
                    rules.push(*rule);
                }
            }
        }
    }
    let literals = LiteralIndex::build(rules.iter_mut(), chains.len());
    RuleSet {
        source: Arc::from(source),
        rules,
        phases,
        settings,
        transform_chains: chains,
        literals,
    }
}

/// Compiles variables; `!COLLECTION:member` entries become exclusions on the targets of
/// the same collection.
fn targets(variables: &[seclang::Variable]) -> Result<Vec<Target>, String> {
    let mut targets = Vec::new();
    let mut exclusions = Vec::new();
    for variable in variables {
        let collection = Collection::from_name(&variable.collection)
            .ok_or_else(|| format!("unsupported variable {}", variable.collection))?;
        let mut selector = variable.selector.as_ref().map(selector).transpose()?;
        // Variable collections keep their names lower case; so do their selectors, for
        // a direct lookup.
        if let (
            Collection::Tx | Collection::Env | Collection::Stored(_),
            Some(Selector::Name(name)),
        ) = (collection, &mut selector)
        {
            name.make_ascii_lowercase();
        }
        if variable.exclude {
            let selector = selector
                .ok_or_else(|| format!("exclusion !{} needs a member", variable.collection))?;
            exclusions.push((collection, selector));
        } else {
            targets.push(Target {
                collection,
                selector,
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

pub(super) fn selector(selector: &seclang::Selector) -> Result<Selector, String> {
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
