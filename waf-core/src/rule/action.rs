//! Non-disruptive actions that change the transaction: `setvar`, `ctl`, `initcol`,
//! `setenv`. Compiled once; run by [`Transaction`](super::Transaction) when a rule and
//! its chain match.

use super::MacroText;
use super::target::{Collection, Selector};
use crate::request::BodyProcessor;
use waf_rules::seclang::{self, EngineMode, IdRange, Pattern};

/// One non-disruptive action.
#[derive(Debug, Clone)]
pub enum Effect {
    /// `setvar:tx.name=value`, `=+n`, `=-n`, `setvar:!tx.name`.
    SetVar {
        /// The collection, lower case (`tx`, `ip`, `global`, …).
        collection: String,
        /// The variable name (may hold macros), compared case-insensitively.
        name: MacroText,
        /// What to do.
        op: SetOp,
        /// The operand (may hold macros).
        value: MacroText,
    },
    /// `ctl:…`: changes the engine for the rest of this transaction.
    Ctl(Ctl),
    /// `initcol:ip=%{remote_addr}`: opens a collection. Collections other than `TX`
    /// live for the transaction only: they start empty.
    InitCol {
        /// The collection, lower case.
        collection: String,
        /// Its key.
        key: MacroText,
    },
    /// `setenv:name=value`: sets an `ENV` variable for the rest of the transaction.
    SetEnv {
        /// The variable name.
        name: MacroText,
        /// Its value.
        value: MacroText,
    },
}

/// How `setvar` changes a variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetOp {
    /// `=value`, or no `=` at all (the value is then `1`).
    Assign,
    /// `=+n`: adds n to the number the variable holds (0 when it holds none).
    Add,
    /// `=-n`: subtracts n.
    Subtract,
    /// `!name`: removes the variable.
    Delete,
}

/// The `ctl` actions.
#[derive(Debug, Clone)]
pub enum Ctl {
    /// `ctl:ruleEngine=On|Off|DetectionOnly`.
    RuleEngine(EngineMode),
    /// `ctl:ruleRemoveById=ID|RANGE`: later rules with these ids do not run.
    RemoveById(Vec<IdRange>),
    /// `ctl:ruleRemoveByTag=TAG`: later rules with a matching tag do not run.
    RemoveByTag(TagPattern),
    /// `ctl:ruleRemoveTargetById=ID;VARIABLE`: the rule no longer reads the variable.
    RemoveTargetById(Vec<IdRange>, Vec<TargetSpec>),
    /// `ctl:ruleRemoveTargetByTag=TAG;VARIABLE`.
    RemoveTargetByTag(TagPattern, Vec<TargetSpec>),
    /// `ctl:requestBodyProcessor=URLENCODED|MULTIPART|JSON|XML`: the body is read
    /// with this parser before phase 2.
    RequestBodyProcessor(BodyProcessor),
    /// `ctl:requestBodyAccess=On|Off`: with `Off`, phase 2 sees no body.
    RequestBodyAccess(bool),
    /// `ctl:forceRequestBodyVariable=On|Off`: `REQUEST_BODY` holds the raw body even
    /// when a parser other than the URL-encoded one (or none) read it.
    ForceRequestBodyVariable(bool),
    /// `ctl:auditEngine`, `ctl:auditLogParts`: the engine keeps no audit log of its
    /// own (verdicts carry the matches); accepted and ignored.
    AuditLog,
}

/// A variable a `ctl:ruleRemoveTarget…` takes away: a collection, or one member of it.
pub type TargetSpec = (Collection, Option<Selector>);

/// A tag (or message) selection as `ruleRemoveByTag` takes it: a rule is selected when
/// one of its tags equals the text or, for a regular expression, when the expression
/// matches in it (ModSecurity 2 and 3 differ; see [`seclang::Pattern`]).
#[derive(Debug, Clone)]
pub enum TagPattern {
    /// Plain text.
    Literal(String),
    /// A regular expression, with its text.
    Regex(String, regex::Regex),
}

impl TagPattern {
    /// Compiles a pattern.
    pub fn new(pattern: &Pattern) -> Result<Self, String> {
        match pattern {
            Pattern::Literal(text) => Ok(Self::Literal(text.clone())),
            Pattern::Regex(text) => regex::Regex::new(text)
                .map(|re| Self::Regex(text.clone(), re))
                .map_err(|e| format!("bad pattern {text:?}: {e}")),
        }
    }

    /// Whether `text` (a tag or message) is selected.
    pub fn selects(&self, text: &str) -> bool {
        match self {
            Self::Literal(literal) => literal == text,
            Self::Regex(source, re) => source == text || re.is_match(text),
        }
    }
}

/// Compiles `setvar`'s value.
pub(super) fn setvar(value: &str) -> Result<Effect, String> {
    let (delete, spec) = match value.strip_prefix('!') {
        Some(rest) => (true, rest),
        None => (false, value),
    };
    let (target, op, operand) = match spec.split_once('=') {
        _ if delete => (spec, SetOp::Delete, ""),
        Some((target, rest)) => match rest.as_bytes().first() {
            Some(b'+') => (target, SetOp::Add, &rest[1..]),
            Some(b'-') => (target, SetOp::Subtract, &rest[1..]),
            _ => (target, SetOp::Assign, rest),
        },
        None => (spec, SetOp::Assign, "1"),
    };
    let (collection, name) = target
        .trim()
        .split_once('.')
        .filter(|(c, n)| !c.is_empty() && !n.is_empty())
        .ok_or_else(|| format!("setvar {value:?} needs COLLECTION.NAME"))?;
    // Variable names compare lower case; a constant one is lowered once, here.
    let name = MacroText::parse(name);
    let name = match name.constant() {
        Some(text) => MacroText::parse(&String::from_utf8_lossy(text).to_ascii_lowercase()),
        None => name,
    };
    Ok(Effect::SetVar {
        collection: collection.to_ascii_lowercase(),
        name,
        op,
        value: MacroText::parse(operand),
    })
}

/// Compiles `ctl`'s value.
pub(super) fn ctl(value: &str) -> Result<Effect, String> {
    let (option, argument) = value
        .split_once('=')
        .ok_or_else(|| format!("ctl {value:?} needs OPTION=VALUE"))?;
    let on_off = || match argument.trim().to_ascii_lowercase().as_str() {
        "on" => Ok(true),
        "off" => Ok(false),
        _ => Err(format!("ctl:{option} takes On or Off, not {argument:?}")),
    };
    let ctl = match option.trim().to_ascii_lowercase().as_str() {
        "ruleengine" => Ctl::RuleEngine(match argument.trim().to_ascii_lowercase().as_str() {
            "on" => EngineMode::On,
            "off" => EngineMode::Off,
            "detectiononly" => EngineMode::DetectionOnly,
            _ => {
                return Err(format!(
                    "ctl:ruleEngine takes On, Off or DetectionOnly, not {argument:?}"
                ));
            }
        }),
        "ruleremovebyid" => Ctl::RemoveById(seclang::parse_ids(argument)?),
        "ruleremovebytag" => Ctl::RemoveByTag(TagPattern::new(&Pattern::new(argument.trim()))?),
        "ruleremovetargetbyid" => {
            let (ids, variables) = split_target(argument)?;
            Ctl::RemoveTargetById(seclang::parse_ids(ids)?, variables)
        }
        "ruleremovetargetbytag" => {
            let (tag, variables) = split_target(argument)?;
            Ctl::RemoveTargetByTag(TagPattern::new(&Pattern::new(tag.trim()))?, variables)
        }
        "requestbodyprocessor" => {
            Ctl::RequestBodyProcessor(match argument.trim().to_ascii_uppercase().as_str() {
                "URLENCODED" => BodyProcessor::UrlEncoded,
                "MULTIPART" => BodyProcessor::Multipart,
                "JSON" => BodyProcessor::Json,
                "XML" => BodyProcessor::Xml,
                other => return Err(format!("unknown request body processor {other:?}")),
            })
        }
        "requestbodyaccess" => Ctl::RequestBodyAccess(on_off()?),
        "forcerequestbodyvariable" => Ctl::ForceRequestBodyVariable(on_off()?),
        "auditengine" | "auditlogparts" => Ctl::AuditLog,
        _ => return Err(format!("unsupported ctl option {option:?}")),
    };
    Ok(Effect::Ctl(ctl))
}

/// `920450;ARGS:x` → the ids or tag, and the compiled variable.
fn split_target(argument: &str) -> Result<(&str, Vec<TargetSpec>), String> {
    let (selection, variables) = argument
        .split_once(';')
        .ok_or_else(|| format!("{argument:?} needs RULES;VARIABLE"))?;
    let variables = seclang::parse_variables(variables.trim())?
        .iter()
        .map(|variable| {
            let collection = Collection::from_name(&variable.collection)
                .ok_or_else(|| format!("unsupported variable {}", variable.collection))?;
            let selector = variable
                .selector
                .as_ref()
                .map(super::compile::selector)
                .transpose()?;
            Ok((collection, selector))
        })
        .collect::<Result<_, String>>()?;
    Ok((selection, variables))
}

/// Compiles `initcol`'s value.
pub(super) fn initcol(value: &str) -> Result<Effect, String> {
    let (collection, key) = value
        .split_once('=')
        .ok_or_else(|| format!("initcol {value:?} needs COLLECTION=KEY"))?;
    Ok(Effect::InitCol {
        collection: collection.trim().to_ascii_lowercase(),
        key: MacroText::parse(key),
    })
}

/// Compiles `setenv`'s value.
pub(super) fn setenv(value: &str) -> Result<Effect, String> {
    let (name, value) = value.split_once('=').unwrap_or((value, "1"));
    Ok(Effect::SetEnv {
        name: MacroText::parse(name.trim()),
        value: MacroText::parse(value),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn setvar_forms() {
        // (value, collection, op, operand)
        let cases = [
            ("tx.a=1", "tx", SetOp::Assign, "1"),
            ("tx.a", "tx", SetOp::Assign, "1"),
            ("TX.score=+%{tx.x}", "tx", SetOp::Add, "%{tx.x}"),
            ("tx.score=-5", "tx", SetOp::Subtract, "5"),
            ("!tx.a", "tx", SetOp::Delete, ""),
            ("ip.a=x=y", "ip", SetOp::Assign, "x=y"),
        ];
        for (text, collection_want, op_want, operand) in cases {
            let Effect::SetVar {
                collection,
                op,
                value,
                ..
            } = setvar(text).unwrap()
            else {
                panic!("{text}")
            };
            assert_eq!(
                (collection.as_str(), op, value),
                (collection_want, op_want, MacroText::parse(operand)),
                "{text}"
            );
        }
        assert!(setvar("nodot=1").is_err());
    }

    #[test]
    fn ctl_forms() {
        assert!(matches!(
            ctl("ruleEngine=DetectionOnly").unwrap(),
            Effect::Ctl(Ctl::RuleEngine(EngineMode::DetectionOnly))
        ));
        let Effect::Ctl(Ctl::RemoveTargetById(ids, vars)) =
            ctl("ruleRemoveTargetById=920450;REQUEST_HEADERS:foo").unwrap()
        else {
            panic!()
        };
        assert!(ids[0].contains(920450));
        assert_eq!(vars[0].0, Collection::RequestHeaders);
        assert!(ctl("ruleEngine=maybe").is_err());
        assert!(ctl("nosuch=1").unwrap_err().contains("nosuch"));
    }

    #[test]
    fn tag_patterns_take_equal_text_or_a_regex_match() {
        let literal = TagPattern::new(&Pattern::new("attack-sqli")).unwrap();
        assert!(literal.selects("attack-sqli") && !literal.selects("attack-sqli2"));
        let regex = TagPattern::new(&Pattern::new("OWASP_CRS/.*")).unwrap();
        assert!(regex.selects("OWASP_CRS/ATTACK-SQLI"));
    }
}
