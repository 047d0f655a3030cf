//! Runs the operator cases of the SecRules language tests (the conformance suite taken from
//! ModSecurity's unit tests) against `waf_core::operator`.
//!
//! The suite lives outside the crate: `$WAF_SECRULES_TESTS` (default
//! `../../shared/secrules-language-tests` from this crate), cases in `operators/*.json`:
//! `name`, `param`, `input` and the expected `ret` (1 = the operator matches). Each case
//! compiles `Operator::compile_with_files(name, param, …)` and checks that `find(input)`
//! finds something exactly when `ret` is 1; where a case lists `re_groups` (`@rx`,
//! `@rxGlobal`), the matched part must also be its first group (the whole match).
//!
//! Strings are read the way the suite's reference runner (libmodsecurity's `test/unit`)
//! reads them, since the expected values were written for it:
//! 1. the input: JSON decoding, then the string ends at its first NUL byte (the runner keeps
//!    strings as C strings), then its `json2bin`: the text `\x` + two letters or digits
//!    becomes one byte, repeatedly, every occurrence of the first such sequence at a time;
//!    the digits are read by `sscanf` `%x` (`\xag` is 0x0a; a pair that is not hex at all
//!    gives 0 here, the runner's value being undefined); then the same for `\u` + four
//!    letters or digits, keeping the low byte. Text such as `\0` stays as it is;
//! 2. the param: JSON decoding, up to its first NUL; no `json2bin`.
//!
//! Files named by a param (`@pmFromFile`) are given as ModSecurity's source tree has them
//! (`test-cases/secrules-language-tests/operators/op/…`); the loader reads the part after
//! `secrules-language-tests/` from the suite directory.
//!
//! A param the compiler refuses counts as "no match": the reference runner ignores the
//! operator's `init` error and evaluates it anyway, and a rule ModSecurity cannot load
//! never matches (one case: `@ipMatch 10.0.0.0/100`). A note names every such case.
//!
//! `detectSQLi.json`/`detectXSS.json` describe libinjection's verdicts; this engine's
//! detectors (`waf_rules::detect`) deliberately differ in places, so those cases are run
//! and reported as an informational group that does not fail the test.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use waf_core::operator::Operator;

mod secrules_common;
use secrules_common::{c_string, runner_bytes, suite_dir};

/// The operators CRS uses (`grep -ho '"!\?@[a-zA-Z]*' rules/*.conf`), lower case; a
/// failure of one of these is reported separately.
const CRS_USES: &[&str] = &[
    "beginswith",
    "contains",
    "endswith",
    "eq",
    "ge",
    "gt",
    "ipmatch",
    "lt",
    "pm",
    "pmfromfile",
    "rx",
    "streq",
    "unconditionalmatch",
    "validatebyterange",
    "validateurlencoding",
    "validateutf8encoding",
    "within",
];

/// Operators whose cases describe another implementation's verdicts: run, reported, never
/// failing.
const INFORMATIONAL: &[&str] = &["detectsqli", "detectxss"];

/// Operators deliberately not run, with the reason.
const SKIPPED: &[(&str, &str)] = &[(
    "geolookup",
    "needs a GeoIP database (the cases name the resource \"geoip\"), which the engine does \
     not ship",
)];

/// Whether a param holds a macro (`%{…}`), which the operator compiler does not expand.
fn has_macro(param: &str) -> bool {
    param
        .split_once("%{")
        .is_some_and(|(_, rest)| rest.contains('}'))
}

/// Reads a data file a param names, from the suite directory.
fn suite_file(suite: &Path, path: &str) -> Result<Vec<u8>, String> {
    let relative = path
        .split_once("secrules-language-tests/")
        .map_or(path, |(_, rest)| rest);
    let full = suite.join(relative);
    std::fs::read(&full).map_err(|e| format!("{}: {e}", full.display()))
}

struct Case {
    file: String,
    name: String,
    param: String,
    input: Vec<u8>,
    ret: i64,
    /// The expected whole match, where the case lists capture groups.
    whole_match: Option<Vec<u8>>,
}

fn load(dir: &Path) -> Vec<Case> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    let mut cases = Vec::new();
    for path in files {
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
        let json: serde_json::Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("parsing {}: {e}", path.display()));
        let file = path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        for case in json.as_array().into_iter().flatten() {
            if case["type"] != "op" {
                continue;
            }
            let field = |key: &str| case[key].as_str().unwrap_or_default();
            cases.push(Case {
                file: file.clone(),
                name: field("name").to_owned(),
                param: c_string(field("param")).to_owned(),
                input: runner_bytes(field("input")).0,
                ret: case["ret"].as_i64().unwrap_or(-1),
                whole_match: case["re_groups"][0].as_str().map(|s| runner_bytes(s).0),
            });
        }
    }
    cases
}

fn show(bytes: &[u8]) -> String {
    let text = bytes.escape_ascii().to_string();
    match text.char_indices().nth(80) {
        Some((cut, _)) => format!("\"{}\"… ({} bytes)", &text[..cut], bytes.len()),
        None => format!("\"{text}\""),
    }
}

#[test]
fn secrules_operators() {
    let suite = suite_dir();
    let dir = suite.join("operators");
    if !dir.is_dir() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "the SecRules language tests are missing: {} (set WAF_SECRULES_TESTS)",
            dir.display()
        );
        println!(
            "skipping: the SecRules language tests are not at {} (set WAF_SECRULES_TESTS)",
            dir.display()
        );
        return;
    }
    let cases = load(&dir);
    assert!(!cases.is_empty(), "no operator cases in {}", dir.display());
    let read = |path: &str| suite_file(&suite, path);

    let (mut passed, mut failed, mut skipped) = (0usize, 0usize, 0usize);
    let (mut informational, mut agree) = (0usize, 0usize);
    let mut crs_failures = Vec::new();
    let mut noted: BTreeSet<String> = BTreeSet::new();
    for case in &cases {
        let name = case.name.as_str();
        let lower = name.to_ascii_lowercase();
        let what = format!("@{name} {:?} on {}", case.param, show(&case.input));
        if let Some((_, reason)) = SKIPPED.iter().find(|(n, _)| *n == lower) {
            if noted.insert(format!("skip {lower}")) {
                println!("skipped {name}: {reason}");
            }
            skipped += 1;
            continue;
        }
        if has_macro(&case.param) {
            if noted.insert(format!("macro {lower}")) {
                println!("skipped {name} cases with a macro in the param: needs macro expansion");
            }
            skipped += 1;
            continue;
        }
        let compiled = Operator::compile_with_files(name, &case.param, &read);
        if INFORMATIONAL.contains(&lower.as_str()) {
            informational += 1;
            let got = compiled.map(|op| op.find(&case.input).is_some());
            if got.as_ref().is_ok_and(|&got| got == (case.ret == 1)) {
                agree += 1;
            } else {
                println!(
                    "note: {what}: libinjection says {}, we say {got:?} ({})",
                    case.ret, case.file
                );
            }
            continue;
        }
        let problem = match compiled {
            Err(e) if case.ret == 0 => {
                println!(
                    "note: {what}: refused at compile time ({e}); the reference runner ignores \
                     the init error and finds no match"
                );
                None
            }
            Err(e) => Some(format!("does not compile: {e}")),
            Ok(op) => {
                let found = op.find(&case.input);
                if found.is_some() != (case.ret == 1) {
                    Some(format!(
                        "expected ret {}, got {}",
                        case.ret,
                        u8::from(found.is_some())
                    ))
                } else if let (Some(found), Some(whole)) = (&found, &case.whole_match)
                    && **whole != *found.part
                {
                    Some(format!(
                        "matched {}, expected the match {}",
                        show(&found.part),
                        show(whole)
                    ))
                } else {
                    None
                }
            }
        };
        match problem {
            None => passed += 1,
            Some(problem) => {
                let line = format!("{what}: {problem} ({})", case.file);
                println!("{line}");
                if CRS_USES.contains(&lower.as_str()) {
                    crs_failures.push(line);
                }
                failed += 1;
            }
        }
    }
    println!("detectSQLi/detectXSS (informational): {agree} of {informational} agree");
    println!("{passed} passed, {failed} failed, {skipped} skipped");
    assert!(
        crs_failures.is_empty(),
        "{} case(s) of operators CRS uses failed:\n{}",
        crs_failures.len(),
        crs_failures.join("\n")
    );
    assert_eq!(failed, 0, "{failed} operator case(s) failed");
}

#[test]
fn strings_are_read_like_the_reference_runner() {
    assert_eq!(runner_bytes(r"a\x41\x41\u0042").0, b"aAAB");
    assert_eq!(runner_bytes(r"\xag\xga\x0a").0, b"\n\0\n");
    assert_eq!(runner_bytes(r"\0\xe4").0, b"\\0\xe4");
    assert_eq!(runner_bytes("ab\u{0}cd").0, b"ab");
    assert_eq!(runner_bytes("\u{e9}").0, "\u{e9}".as_bytes());
    assert_eq!(c_string("x\u{0}y"), "x");
    assert!(has_macro("%{tx.x}") && !has_macro("%{") && !has_macro("50%"));
}
