//! Operators: the test a rule applies to each transformed value (`@rx`, `@pm`, …).
//!
//! One file per operator (numeric comparisons share one), each stating ModSecurity v3's
//! semantics and every deliberate difference; `pcre.rs` reads PCRE patterns for `@rx`,
//! `@rxGlobal` and the `@verify…` operators, and `verify.rs` is the candidate search those
//! share. Operators are compiled once when a rule set loads; matching never backtracks and
//! is linear in the value, so an attacker cannot choose how long it takes, and no operator
//! panics on any bytes. Operators that read a file get its contents from the caller
//! ([`Operator::compile_with_files`]): the compiler does no I/O.

mod begins_with;
mod compare;
mod contains;
mod contains_word;
mod detect;
mod ends_with;
mod ip_match;
mod ip_match_from_file;
mod no_match;
mod pcre;
mod pm;
mod pm_from_file;
mod prefilter;
mod rx;
mod rx_global;
mod streq;
mod strmatch;
mod unconditional_match;
mod validate_byte_range;
mod validate_url_encoding;
mod validate_utf8_encoding;
mod verify;
mod verify_cc;
mod verify_cpf;
mod verify_ssn;
mod verify_svnr;
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
    /// `@rx`: a PCRE regular expression, run without backtracking (see `rx.rs`).
    Rx(rx::Rx),
    /// `@rxGlobal`: `@rx` capturing every match; matches exactly when `@rx` does.
    RxGlobal(rx_global::RxGlobal),
    /// `@pm` and `@pmFromFile`: any of a list of phrases, ASCII case-insensitive.
    Pm(pm::Pm),
    /// `@streq`: equal to the argument.
    StrEq(Vec<u8>),
    /// `@contains`: the argument occurs in the value.
    Contains(contains::Contains),
    /// `@containsWord`: the argument occurs in the value between non-letters.
    ContainsWord(contains_word::ContainsWord),
    /// `@strmatch`: the argument occurs in the value.
    StrMatch(strmatch::StrMatch),
    /// `@beginsWith`.
    BeginsWith(Vec<u8>),
    /// `@endsWith`.
    EndsWith(Vec<u8>),
    /// `@within`: the value occurs in the argument.
    Within(Vec<u8>),
    /// `@eq`, `@ge`, `@gt`, `@le`, `@lt`: integer comparison.
    Compare(Comparison, i64),
    /// `@ipMatch` and `@ipMatchFromFile`: an address in one of a list of networks.
    IpMatch(ip_match::IpMatch),
    /// `@validateByteRange`: a byte outside the allowed ranges.
    ValidateByteRange(validate_byte_range::ValidateByteRange),
    /// `@validateUrlEncoding`: a malformed `%` escape.
    ValidateUrlEncoding,
    /// `@validateUtf8Encoding`: invalid UTF-8.
    ValidateUtf8Encoding,
    /// `@verifyCC` (a credit card number passing the Luhn check), `@verifyCPF` (a
    /// Brazilian CPF number passing its check digits), `@verifySSN` (a plausible US social
    /// security number), `@verifySVNR` (an Austrian social insurance number passing its
    /// check digit).
    Verify(verify::Verify),
    /// `@unconditionalMatch`.
    Unconditional,
    /// `@noMatch`.
    Never,
    /// A detector: `@detectSQLi`, `@detectXSS`, `@detectCmdi`, … (see
    /// `waf_rules::detect`).
    Detect(Kind),
}

/// Operators whose argument ModSecurity expands at match time: `%{…}` there is a macro.
const EXPANDS_MACROS: &[&str] = &[
    "beginswith",
    "contains",
    "containsword",
    "endswith",
    "eq",
    "ge",
    "gt",
    "le",
    "lt",
    "rx",
    "rxglobal",
    "streq",
    "strmatch",
    "within",
];

/// Whether ModSecurity would expand macros in this argument of operator `name`: then it
/// can only be compiled per transaction, after expansion.
pub fn expands_macros(name: &str, argument: &str) -> bool {
    EXPANDS_MACROS.contains(&name.to_ascii_lowercase().as_str()) && has_macro(argument)
}

impl Operator {
    /// Compiles operator `name` (without `@`, any case) with `argument`; the error says
    /// what is wrong.
    ///
    /// Operators that read a file (`@pmFromFile`, `@ipMatchFromFile`) need
    /// [`Operator::compile_with_files`]; here they fail with an error saying so.
    pub fn compile(name: &str, argument: &str) -> Result<Self, String> {
        Self::compile_with_files(name, argument, &|path| {
            Err(format!(
                "cannot read {path:?}: no file loader was given (use Operator::compile_with_files)"
            ))
        })
    }

    /// Compiles operator `name` with `argument`, calling `read` for the contents of the
    /// file an operator names.
    ///
    /// `@pmFromFile`/`@pmf` and `@ipMatchFromFile`/`@ipMatchF` take a path as argument; the
    /// compiler does no I/O itself but hands the path (trimmed, exactly as written) to
    /// `read`, which resolves it (ModSecurity takes a relative path as relative to the
    /// directory of the rule file) and returns the file's bytes, or an error that is passed
    /// on, prefixed with the operator. Other operators never call `read`.
    ///
    /// Arguments are taken literally: a macro (`%{tx.threshold}`) in the argument of an
    /// operator that would expand it at match time is refused ("needs macro expansion").
    pub fn compile_with_files(
        name: &str,
        argument: &str,
        read: &dyn Fn(&str) -> Result<Vec<u8>, String>,
    ) -> Result<Self, String> {
        let lower = name.to_ascii_lowercase();
        if EXPANDS_MACROS.contains(&lower.as_str()) && has_macro(argument) {
            return Err(format!(
                "@{name} {argument:?} needs macro expansion, which this engine does not do"
            ));
        }
        let bytes = || argument.as_bytes().to_vec();
        let file = |what: &str| {
            let path = argument.trim();
            read(path)
                .map_err(|e| format!("@{name} {path:?}: {e}"))
                .and_then(|contents| {
                    match what {
                        "pm" => pm_from_file::compile(&contents).map(Self::Pm),
                        _ => ip_match_from_file::compile(&contents).map(Self::IpMatch),
                    }
                    .map_err(|e| format!("@{name} {path:?}: {e}"))
                })
        };
        let with_name = |e: String| format!("@{name}: {e}");
        Ok(match lower.as_str() {
            // `bad regex "…": why`, as rule errors have always read for the default operator.
            "rx" => Self::Rx(rx::Rx::new(argument)?),
            "rxglobal" => Self::RxGlobal(rx_global::RxGlobal::new(argument).map_err(with_name)?),
            "pm" => Self::Pm(pm::Pm::inline(argument)?),
            "pmfromfile" | "pmf" => file("pm")?,
            "streq" => Self::StrEq(bytes()),
            "contains" => Self::Contains(contains::Contains::new(&bytes()).map_err(with_name)?),
            "containsword" => {
                Self::ContainsWord(contains_word::ContainsWord::new(&bytes()).map_err(with_name)?)
            }
            "strmatch" => Self::StrMatch(strmatch::StrMatch::new(&bytes()).map_err(with_name)?),
            "beginswith" => Self::BeginsWith(bytes()),
            "endswith" => Self::EndsWith(bytes()),
            "within" => Self::Within(bytes()),
            "ipmatch" => Self::IpMatch(ip_match::IpMatch::new(argument)?),
            "ipmatchfromfile" | "ipmatchf" => file("ip")?,
            "validatebyterange" => {
                Self::ValidateByteRange(validate_byte_range::ValidateByteRange::new(argument))
            }
            "validateurlencoding" => Self::ValidateUrlEncoding,
            "validateutf8encoding" => Self::ValidateUtf8Encoding,
            "verifycc" => Self::Verify(verify_cc::new(argument).map_err(with_name)?),
            "verifycpf" => Self::Verify(verify_cpf::new(argument).map_err(with_name)?),
            "verifyssn" => Self::Verify(verify_ssn::new(argument).map_err(with_name)?),
            "verifysvnr" => Self::Verify(verify_svnr::new(argument).map_err(with_name)?),
            "unconditionalmatch" => Self::Unconditional,
            "nomatch" => Self::Never,
            other => match (Comparison::from_name(other), Kind::from_operator(other)) {
                (Some(cmp), _) => Self::Compare(cmp, cmp.parse_argument(argument)),
                (None, Some(kind)) => Self::Detect(kind),
                (None, None) => return Err(format!("unsupported operator @{name}")),
            },
        })
    }

    /// [`Operator::find`], also giving the capture groups when `groups` is given:
    /// group 0 is the matched part, then the pattern's own groups for `@rx` by number
    /// (at most nine, as ModSecurity's `capture` keeps `TX:0`–`TX:9`; empty for a group
    /// that took no part in the match).
    pub fn find_captures<'v>(
        &self,
        value: &'v [u8],
        groups: Option<&mut Vec<&'v [u8]>>,
    ) -> Option<Found<'v>> {
        let Some(groups) = groups else {
            return self.find(value);
        };
        groups.clear();
        if let Self::Rx(rx) | Self::RxGlobal(rx) = self {
            // Most values do not match: the plain search (with its prefilter) decides
            // before any capture slots are allocated.
            rx.find(value)?;
            let mut locations = rx.locations();
            let span = rx.read_at(&mut locations, value, 0)?;
            groups.push(&value[span.clone()]);
            groups.extend(
                rx.numbered_groups(&locations)
                    .take(9)
                    .map(|g| g.map_or(&value[..0], |g| &value[g])),
            );
            return Some(Found::part(&value[span]));
        }
        let found = self.find(value)?;
        if let Cow::Borrowed(part) = found.part {
            groups.push(part);
        }
        Some(found)
    }

    /// Literals, lowercased, one of which (ignoring ASCII case) occurs in every value
    /// this operator matches: what lets a rule set skip rules without running them.
    /// `None` when the operator has no such set (`@pm` phrases are one; `@rx` patterns
    /// have one when the analysis finds a selective one).
    pub fn required_literals(&self) -> Option<&[Vec<u8>]> {
        match self {
            Self::Rx(rx) | Self::RxGlobal(rx) => rx.required_literals(),
            Self::Pm(pm) => Some(pm.phrases()),
            _ => None,
        }
    }

    /// Tests `value`; on a match, says what matched.
    pub fn find<'v>(&self, value: &'v [u8]) -> Option<Found<'v>> {
        let whole = |hit: bool| hit.then(|| Found::part(value));
        match self {
            Self::Rx(rx) | Self::RxGlobal(rx) => rx.find(value).map(Found::part),
            Self::Pm(pm) => pm.find(value).map(Found::part),
            Self::StrEq(arg) => whole(streq::test(value, arg)),
            Self::Contains(op) | Self::StrMatch(op) => op.find(value).map(Found::part),
            Self::ContainsWord(op) => op.find(value).map(Found::part),
            Self::BeginsWith(arg) => whole(begins_with::test(value, arg)),
            Self::EndsWith(arg) => whole(ends_with::test(value, arg)),
            Self::Within(arg) => whole(within::test(value, arg)),
            Self::Compare(cmp, n) => whole(cmp.test(value, *n)),
            Self::IpMatch(set) => whole(set.test(value)),
            Self::ValidateByteRange(op) => op.find(value).map(Found::part),
            Self::ValidateUrlEncoding => validate_url_encoding::find(value).map(Found::part),
            Self::ValidateUtf8Encoding => validate_utf8_encoding::find(value).map(Found::part),
            Self::Verify(op) => op.find(value).map(Found::part),
            Self::Unconditional => Some(Found::part(unconditional_match::find(value))),
            Self::Never => no_match::find(value).map(Found::part),
            Self::Detect(kind) => detect::find(*kind, value),
        }
    }
}

/// Whether `argument` holds a macro, `%{…}`, as ModSecurity's parser sees one (an escaped
/// `\%{` is not).
fn has_macro(argument: &str) -> bool {
    let bytes = argument.as_bytes();
    bytes.windows(2).enumerate().any(|(at, w)| {
        w == b"%{" && (at == 0 || bytes[at - 1] != b'\\') && bytes[at + 2..].contains(&b'}')
    })
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
            ("rxGlobal", r"\d", b"a1", true),
            ("pm", "sqlmap nikto", b"Mozilla sqlMap/1.0", true),
            ("pm", "sqlmap nikto", b"Mozilla", false),
            ("streq", "GET", b"GET", true),
            ("streq", "GET", b"get", false),
            ("contains", "..", b"a/../b", true),
            ("containsWord", "select", b"1 select 2", true),
            ("containsWord", "select", b"selection", false),
            ("strmatch", "abc", b"xabcx", true),
            ("beginsWith", "/admin", b"/admin/x", true),
            ("endsWith", ".php", b"/x.php", true),
            ("endsWith", ".php", b"/x.php5", false),
            ("within", "GET POST", b"POST", true),
            ("within", "GET POST", b"PUT", false),
            ("eq", "0", b"0", true),
            ("eq", "0", b"", true),
            ("eq", "xxx", b"0", true),
            ("gt", "5", b"6", true),
            ("ge", "5", b"5", true),
            ("lt", "5", b"x", true),
            ("le", "-1", b"-2", true),
            ("ipMatch", "127.0.0.1,::1", b"::1", true),
            ("ipMatch", "10.0.0.0/8", b"11.0.0.1", false),
            ("validateByteRange", "32-126", b"ok", false),
            ("validateByteRange", "32-126", b"\x01", true),
            ("validateUrlEncoding", "", b"%zz", true),
            ("validateUtf8Encoding", "", b"\xc3", true),
            ("verifyCC", r"\d{13,16}", b"cc 4556324125126", true),
            ("verifyCPF", r"\d{11}", b"01081751460", true),
            ("verifySSN", r"\d{9}", b"574578065", true),
            ("verifySVNR", r"\d{10}", b"1237010180", true),
            ("unconditionalMatch", "", b"", true),
            ("noMatch", "", b"x", false),
        ];
        for (name, arg, value, expected) in cases {
            let op = Operator::compile(name, arg).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(
                op.find(value).is_some(),
                *expected,
                "@{name} {arg} on {value:?}"
            );
        }
    }

    #[test]
    fn file_operators_read_through_the_loader() {
        let read = |path: &str| match path {
            "words.data" => Ok(b"# comment\nfoo bar\nbaz\n".to_vec()),
            "ips.data" => Ok(b"10.0.0.0/8\n".to_vec()),
            _ => Err("no such file".to_owned()),
        };
        let pm = Operator::compile_with_files("pmFromFile", "words.data", &read).unwrap();
        assert!(pm.find(b"xx FOO BAR").is_some());
        assert!(pm.find(b"foo").is_none());
        let pmf = Operator::compile_with_files("pmf", " words.data ", &read).unwrap();
        assert!(pmf.find(b"baz").is_some());
        let ip = Operator::compile_with_files("ipMatchF", "ips.data", &read).unwrap();
        assert!(ip.find(b"10.1.1.1").is_some());
        let err = Operator::compile_with_files("ipMatchFromFile", "x.data", &read).unwrap_err();
        assert!(
            err.contains("x.data") && err.contains("no such file"),
            "{err}"
        );
        let err = Operator::compile("pmFromFile", "words.data").unwrap_err();
        assert!(err.contains("compile_with_files"), "{err}");
    }

    #[test]
    fn compile_errors_say_what() {
        let cases = [
            ("rx", "(", "bad regex \"(\": missing closing parenthesis"),
            ("rxGlobal", "(", "@rxGlobal: bad regex"),
            ("rx", r"(a)\1", "backreference"),
            ("verifyCC", r"(?<=x)\d+", "lookbehind"),
            ("ipMatch", "10.0.0.0/33", "10.0.0.0/33"),
            ("pm", " ", "phrase"),
            ("ge", "%{tx.threshold}", "macro"),
            ("within", "%{tx.allowed_methods}", "macro"),
            ("bogus", "", "unsupported"),
        ];
        for (name, arg, needle) in cases {
            let err = Operator::compile(name, arg).unwrap_err();
            assert!(err.contains(needle), "{name}: {err}");
        }
        // Not a macro: escaped, unterminated, or an operator that does not expand them.
        assert!(Operator::compile("rx", r"\%{").is_ok());
        assert!(Operator::compile("contains", "%{").is_ok());
        assert!(Operator::compile("pm", "%{x}").is_ok());
    }
}
