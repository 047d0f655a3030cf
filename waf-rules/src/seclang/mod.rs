//! A ModSecurity SecLang front end: text in, an abstract syntax tree out.
//!
//! [`parse`] reads one file's text. It joins continuation lines (a trailing `\`), skips
//! comments, splits each directive into its arguments with ModSecurity's quoting rules and
//! parses `SecRule` variables, operators and action lists. It never panics on any input;
//! every problem is a [`ParseError`] that names the file and line.

mod actions;
mod error;
mod lexer;
mod variables;

pub use error::ParseError;

use std::sync::Arc;

/// Where a directive starts: file name and 1-based line number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The file name as given to [`parse`].
    pub file: Arc<str>,
    /// The line on which the directive starts, counting from 1.
    pub line: usize,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// A parsed rule file: its directives in order.
#[derive(Debug, Clone, Default)]
pub struct RuleFile {
    /// Every directive with the place it was read from.
    pub directives: Vec<(Location, Directive)>,
}

impl RuleFile {
    /// The `SecRule` directives, in file order.
    pub fn rules(&self) -> impl Iterator<Item = &SecRule> {
        self.directives.iter().filter_map(|(_, d)| match d {
            Directive::Rule(rule) => Some(rule),
            _ => None,
        })
    }
}

/// One directive.
#[derive(Debug, Clone, PartialEq)]
pub enum Directive {
    /// `SecRule VARIABLES OPERATOR [ACTIONS]`.
    Rule(SecRule),
    /// `SecAction ACTIONS`: a rule that always matches.
    Action(Vec<Action>),
    /// `SecMarker NAME`: a target for `skipAfter`.
    Marker(String),
    /// `SecDefaultAction ACTIONS`: the defaults for the rules of one phase.
    DefaultAction(Vec<Action>),
    /// `SecRuleEngine On|Off|DetectionOnly`.
    RuleEngine(EngineMode),
    /// `SecComponentSignature TEXT`: informational only.
    ComponentSignature(String),
}

/// What `SecRuleEngine` selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EngineMode {
    /// Rules run and disruptive actions take effect.
    On,
    /// Rules do not run.
    Off,
    /// Rules run and log, but nothing is blocked.
    DetectionOnly,
}

/// A `SecRule`: where to look, what to look for, what to do.
#[derive(Debug, Clone, PartialEq)]
pub struct SecRule {
    /// The variables (targets) the operator runs against.
    pub variables: Vec<Variable>,
    /// The operator, with its argument.
    pub operator: Operator,
    /// The action list, in order.
    pub actions: Vec<Action>,
}

impl SecRule {
    /// The value of the first action called `name`, if any (`Some("")` for a flag).
    pub fn action(&self, name: &str) -> Option<&str> {
        self.actions
            .iter()
            .find(|a| a.name.eq_ignore_ascii_case(name))
            .map(|a| a.value.as_deref().unwrap_or(""))
    }
}

/// One variable of a rule, e.g. `ARGS`, `!ARGS:id`, `&REQUEST_HEADERS:Host`,
/// `REQUEST_COOKIES:/^sess/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variable {
    /// `&`: the rule tests how many values there are, not the values.
    pub count: bool,
    /// `!`: removes matching members from the rule's other variables.
    pub exclude: bool,
    /// The collection name, upper-cased (`ARGS`, `REQUEST_HEADERS`, `TX`, …).
    pub collection: String,
    /// The member selector after `:`, if any.
    pub selector: Option<Selector>,
}

/// Which members of a collection a variable names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selector {
    /// A member name (matched case-insensitively by the engine).
    Key(String),
    /// A regular expression between slashes, without the slashes.
    Regex(String),
}

/// An operator, e.g. `@rx pattern`, `!@streq x`; a bare string is `@rx`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operator {
    /// `!@…`: the rule matches when the operator does not.
    pub negated: bool,
    /// The operator name without `@`, as written (`rx`, `pmFromFile`, …).
    pub name: String,
    /// Everything after the name and one space.
    pub argument: String,
}

/// One action of an action list, e.g. `id:1001`, `t:lowercase`, `deny`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Action {
    /// The action name, lower-cased.
    pub name: String,
    /// Its value after `:`, with surrounding single quotes removed.
    pub value: Option<String>,
}

/// Parses the SecLang text of one file. `file` names it in errors.
///
/// ```
/// let err = waf_rules::seclang::parse("my.conf", "SecRule ARGS\n").unwrap_err();
/// assert_eq!(err.line(), 1);
/// assert!(err.to_string().starts_with("my.conf:1:"));
/// ```
pub fn parse(file: &str, text: &str) -> Result<RuleFile, ParseError> {
    let file: Arc<str> = Arc::from(file);
    let mut out = RuleFile::default();
    for line in lexer::logical_lines(text) {
        let location = Location {
            file: file.clone(),
            line: line.number,
        };
        let err = |message: String| ParseError::new(location.clone(), message);
        let words = lexer::split_words(&line.text).map_err(err)?;
        let Some((name, args)) = words.split_first() else {
            continue;
        };
        let directive = directive(name, args).map_err(err)?;
        out.directives.push((location, directive));
    }
    Ok(out)
}

fn directive(name: &str, args: &[String]) -> Result<Directive, String> {
    let arity = |min: usize, max: usize| {
        if args.len() < min || args.len() > max {
            Err(format!(
                "{name} takes {} argument(s), found {}",
                if min == max {
                    min.to_string()
                } else {
                    format!("{min} to {max}")
                },
                args.len()
            ))
        } else {
            Ok(())
        }
    };
    match name.to_ascii_lowercase().as_str() {
        "secrule" => {
            arity(2, 3)?;
            Ok(Directive::Rule(SecRule {
                variables: variables::parse(&args[0])?,
                operator: operator(&args[1])?,
                actions: args
                    .get(2)
                    .map(|a| actions::parse(a))
                    .transpose()?
                    .unwrap_or_default(),
            }))
        }
        "secaction" => {
            arity(1, 1)?;
            Ok(Directive::Action(actions::parse(&args[0])?))
        }
        "secdefaultaction" => {
            arity(1, 1)?;
            Ok(Directive::DefaultAction(actions::parse(&args[0])?))
        }
        "secmarker" => {
            arity(1, 1)?;
            Ok(Directive::Marker(args[0].clone()))
        }
        "secruleengine" => {
            arity(1, 1)?;
            let mode = match args[0].to_ascii_lowercase().as_str() {
                "on" => EngineMode::On,
                "off" => EngineMode::Off,
                "detectiononly" => EngineMode::DetectionOnly,
                other => return Err(format!("SecRuleEngine: unknown mode {other:?}")),
            };
            Ok(Directive::RuleEngine(mode))
        }
        "seccomponentsignature" => {
            arity(1, 1)?;
            Ok(Directive::ComponentSignature(args[0].clone()))
        }
        _ => Err(format!("unsupported directive {name}")),
    }
}

fn operator(text: &str) -> Result<Operator, String> {
    let (negated, rest) = match text.strip_prefix('!') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let Some(rest) = rest.strip_prefix('@') else {
        // ModSecurity reads an operator without `@` as a regular expression.
        return Ok(Operator {
            negated,
            name: "rx".into(),
            argument: rest.to_owned(),
        });
    };
    let (name, argument) = match rest.find(|c: char| c.is_ascii_whitespace()) {
        Some(at) => (&rest[..at], &rest[at + 1..]),
        None => (rest, ""),
    };
    if name.is_empty() {
        return Err("operator name missing after '@'".into());
    }
    Ok(Operator {
        negated,
        name: name.to_owned(),
        argument: argument.to_owned(),
    })
}

#[cfg(test)]
mod tests;
