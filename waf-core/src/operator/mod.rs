//! Operators: the test a rule applies to each transformed value (`@rx`, `@pm`, …).
//!
//! One file per operator (numeric comparisons share one). Operators are compiled once
//! when a rule set loads; matching never backtracks, so an attacker cannot choose how
//! long it takes.

mod begins_with;
mod compare;
mod contains;
mod detect;
mod ends_with;
mod pm;
mod rx;
mod within;

pub use compare::Comparison;

use crate::verdict::Evidence;
use std::borrow::Cow;
use waf_rules::detect::Kind;

/// What an operator found in a value.
#[derive(Debug, Clone, PartialEq)]
pub struct Found<'v> {
    /// The part of the value that matched (the whole value for operators that do not
    /// locate a part).
    pub part: Cow<'v, [u8]>,
    /// A detector's confidence and fingerprint, for detector operators.
    pub evidence: Option<Evidence>,
}

impl<'v> Found<'v> {
    fn part(part: &'v [u8]) -> Self {
        Self {
            part: Cow::Borrowed(part),
            evidence: None,
        }
    }
}

/// A compiled operator.
#[derive(Debug, Clone)]
pub enum Operator {
    /// `@rx`: a regular expression (no backtracking; see [`regex`]).
    Rx(rx::Rx),
    /// `@pm`: any of a list of phrases, case-insensitive.
    Pm(pm::Pm),
    /// `@streq`: equal to the argument.
    StrEq(Vec<u8>),
    /// `@contains`: the argument occurs in the value.
    Contains(Vec<u8>),
    /// `@beginsWith`.
    BeginsWith(Vec<u8>),
    /// `@endsWith`.
    EndsWith(Vec<u8>),
    /// `@within`: the value occurs in the argument.
    Within(Vec<u8>),
    /// `@eq`, `@ge`, `@gt`, `@le`, `@lt`: integer comparison.
    Compare(Comparison, i64),
    /// `@unconditionalMatch`.
    Unconditional,
    /// `@noMatch`.
    Never,
    /// A detector: `@detectSQLi`, `@detectXSS`, `@detectCmdi`, … (see
    /// `waf_rules::detect`).
    Detect(Kind),
}

impl Operator {
    /// Compiles operator `name` with `argument`; the error says what is wrong.
    pub fn compile(name: &str, argument: &str) -> Result<Self, String> {
        let bytes = || argument.as_bytes().to_vec();
        Ok(match name.to_ascii_lowercase().as_str() {
            "rx" => Self::Rx(rx::Rx::new(argument)?),
            "pm" => Self::Pm(pm::Pm::new(argument.split_ascii_whitespace())?),
            "streq" => Self::StrEq(bytes()),
            "contains" => Self::Contains(bytes()),
            "beginswith" => Self::BeginsWith(bytes()),
            "endswith" => Self::EndsWith(bytes()),
            "within" => Self::Within(bytes()),
            "unconditionalmatch" => Self::Unconditional,
            "nomatch" => Self::Never,
            other => match (Comparison::from_name(other), Kind::from_operator(other)) {
                (Some(cmp), _) => Self::Compare(cmp, compare::parse_number(argument)?),
                (None, Some(kind)) => Self::Detect(kind),
                (None, None) => return Err(format!("unsupported operator @{name}")),
            },
        })
    }

    /// Tests `value`; on a match, says what matched.
    pub fn find<'v>(&self, value: &'v [u8]) -> Option<Found<'v>> {
        let whole = |hit: bool| hit.then(|| Found::part(value));
        match self {
            Self::Rx(rx) => rx.find(value).map(Found::part),
            Self::Pm(pm) => pm.find(value).map(Found::part),
            Self::StrEq(arg) => whole(value == arg.as_slice()),
            Self::Contains(arg) => contains::find(value, arg).map(Found::part),
            Self::BeginsWith(arg) => whole(begins_with::test(value, arg)),
            Self::EndsWith(arg) => whole(ends_with::test(value, arg)),
            Self::Within(arg) => whole(within::test(value, arg)),
            Self::Compare(cmp, n) => whole(cmp.test(value, *n)),
            Self::Unconditional => Some(Found::part(value)),
            Self::Never => None,
            Self::Detect(kind) => detect::find(*kind, value),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Operator;

    #[test]
    fn table() {
        // (operator, argument, value, matches)
        let cases: &[(&str, &str, &[u8], bool)] = &[
            ("rx", r"(?i)union\s+select", b"1 UNION  SELECT", true),
            ("rx", r"^\d+$", b"12a", false),
            ("rx", r"\xff", b"a\xffb", true),
            ("pm", "sqlmap nikto", b"Mozilla sqlMap/1.0", true),
            ("pm", "sqlmap nikto", b"Mozilla", false),
            ("streq", "GET", b"GET", true),
            ("streq", "GET", b"get", false),
            ("contains", "..", b"a/../b", true),
            ("beginsWith", "/admin", b"/admin/x", true),
            ("endsWith", ".php", b"/x.php", true),
            ("endsWith", ".php", b"/x.php5", false),
            ("within", "GET POST", b"POST", true),
            ("within", "GET POST", b"PUT", false),
            ("eq", "0", b"0", true),
            ("eq", "0", b"", true),
            ("gt", "5", b"6", true),
            ("ge", "5", b"5", true),
            ("lt", "5", b"x", true),
            ("le", "-1", b"-2", true),
            ("unconditionalMatch", "", b"", true),
            ("noMatch", "", b"x", false),
        ];
        for (name, arg, value, expected) in cases {
            let op = Operator::compile(name, arg).unwrap();
            assert_eq!(
                op.find(value).is_some(),
                *expected,
                "@{name} {arg} on {value:?}"
            );
        }
    }

    #[test]
    fn compile_errors_say_what() {
        let cases = [
            ("rx", "(", "regex"),
            ("gt", "x", "number"),
            ("bogus", "", "unsupported"),
        ];
        for (name, arg, needle) in cases {
            let err = Operator::compile(name, arg).unwrap_err();
            assert!(err.contains(needle), "{name}: {err}");
        }
    }
}
