//! Runs the transformation cases of the SecRules language tests (the conformance suite taken
//! from ModSecurity's unit tests) against `waf_core::transform`.
//!
//! The suite lives outside the crate: `$WAF_SECRULES_TESTS` (default
//! `../../shared/secrules-language-tests` from this crate), cases in `transformations/*.json`:
//! `name`, `input`, expected `output` and `ret` (1 = the value changed).
//!
//! Strings are read the way the suite's reference runner (libmodsecurity's `test/unit`) reads
//! them, since the expected values were written for it:
//! 1. JSON decoding, then the string ends at its first NUL byte (the runner keeps strings as C
//!    strings, so a JSON `\u0000` ends the value there). One case depends on it: cssDecode's
//!    long case, whose input carries a NUL where ModSecurity's original test had the text
//!    `\0`; its expected output only holds up to that NUL (`css_decode.rs` tests the whole
//!    input with the output ModSecurity really gives);
//! 2. then its `json2bin`: the text `\x` + two letters or digits becomes one byte, repeatedly,
//!    every occurrence of the first such sequence at a time; the digits are read by `sscanf`
//!    `%x`, so `\xag` is 0x0a; a pair that is not hex at all (`\xga`) leaves `sscanf` nothing
//!    to read, and we use 0 there (the runner's value is undefined but the same on both sides
//!    of a case). Then the same for `\u` + four letters or digits, keeping the low byte.
//!
//! `ret` is checked against whether our result differs from the input, where the suite is
//! consistent about it. Some of its `ret` values come from ModSecurity v2, whose
//! transformations report "changed" unconditionally (`cmdLine`, `hexDecode`,
//! `removeComments`, ...): a case whose `ret` says the opposite of its own input and output
//! is checked on the output only, with a note. Every result must also borrow its input
//! exactly when it leaves it unchanged.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use waf_core::transform::Transform;

mod secrules_common;
use secrules_common::{runner_bytes, suite_dir};

/// The transformations CRS uses (`grep -ho 't:[a-zA-Z0-9]*' rules/*.conf`), lower case.
const CRS_USES: &[&str] = &[
    "base64decode",
    "cmdline",
    "compresswhitespace",
    "cssdecode",
    "escapeseqdecode",
    "hexencode",
    "htmlentitydecode",
    "jsdecode",
    "length",
    "lowercase",
    "normalizepath",
    "normalisepath",
    "normalizepathwin",
    "normalisepathwin",
    "removecommentschar",
    "removenulls",
    "removewhitespace",
    "replacecomments",
    "sha1",
    "urldecodeuni",
    "utf8tounicode",
];

/// Names the suite spells differently from SecLang: `cmd_line` is the name of ModSecurity's
/// implementation class, which its unit-test runner looks up; rules say `t:cmdLine`.
const SUITE_ALIASES: &[(&str, &str)] = &[("cmd_line", "cmdLine")];

/// Transformations deliberately not run, with the reason. Empty: all are implemented.
const SKIPPED: &[(&str, &str)] = &[];

struct Case {
    file: String,
    name: String,
    input: Vec<u8>,
    output: Vec<u8>,
    ret: Option<i64>,
    truncated: bool,
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
            if case["type"] != "tfn" {
                continue;
            }
            let field = |key: &str| case[key].as_str().unwrap_or_default();
            let (input, cut_in) = runner_bytes(field("input"));
            let (output, cut_out) = runner_bytes(field("output"));
            cases.push(Case {
                file: file.clone(),
                name: field("name").to_owned(),
                input,
                output,
                ret: case["ret"].as_i64(),
                truncated: cut_in || cut_out,
            });
        }
    }
    cases
}

fn show(bytes: &[u8]) -> String {
    format!("\"{}\"", bytes.escape_ascii())
}

#[test]
fn secrules_transformations() {
    let dir = suite_dir().join("transformations");
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
    assert!(
        !cases.is_empty(),
        "no transformation cases in {}",
        dir.display()
    );

    let (mut passed, mut failed, mut skipped) = (0usize, 0usize, 0usize);
    let mut crs_failures = Vec::new();
    let mut noted: BTreeSet<String> = BTreeSet::new();
    let mut truncated = 0usize;
    for case in &cases {
        let name = SUITE_ALIASES
            .iter()
            .find(|(alias, _)| *alias == case.name)
            .map_or(case.name.as_str(), |(_, real)| real);
        if let Some((_, reason)) = SKIPPED.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)) {
            if noted.insert(format!("skip {name}")) {
                println!("skipped {name}: {reason}");
            }
            skipped += 1;
            continue;
        }
        truncated += usize::from(case.truncated);
        let crs = CRS_USES.contains(&name.to_ascii_lowercase().as_str());
        let fail = |why: String, crs_failures: &mut Vec<String>| {
            let line = format!("{}: {} ({})", case.name, why, case.file);
            println!("{line}");
            if crs {
                crs_failures.push(line);
            }
        };
        let Some(transform) = Transform::from_name(name) else {
            fail(
                format!("unknown transformation; input {}", show(&case.input)),
                &mut crs_failures,
            );
            failed += 1;
            continue;
        };
        let got = transform.apply(&case.input);
        let got_changed = matches!(got, Cow::Owned(_));
        let mut problems = Vec::new();
        if *got != *case.output {
            problems.push(format!(
                "{} -> {}, expected {}",
                show(&case.input),
                show(&got),
                show(&case.output)
            ));
        }
        if got_changed && *got == *case.input {
            problems.push(format!("{}: copied although unchanged", show(&case.input)));
        }
        let suite_changed = case.output != case.input;
        if let Some(ret) = case.ret {
            if (ret == 1) != suite_changed {
                if noted.insert(format!("ret {name}")) {
                    println!(
                        "note {name}: the suite's ret={ret} contradicts its own input/output \
                         (ModSecurity v2's changed flag); checking the output only"
                    );
                }
            } else if (ret == 1) != got_changed {
                problems.push(format!(
                    "{}: ret {}, expected {ret}",
                    show(&case.input),
                    u8::from(got_changed)
                ));
            }
        }
        if problems.is_empty() {
            passed += 1;
        } else {
            fail(problems.join("; "), &mut crs_failures);
            failed += 1;
        }
    }
    if truncated > 0 {
        println!(
            "note: {truncated} case(s) carry a NUL byte in the JSON and were read up to it, \
             as the reference runner reads them"
        );
    }
    println!("{passed} passed, {failed} failed, {skipped} skipped");
    assert!(
        crs_failures.is_empty(),
        "{} case(s) of transformations CRS uses failed:\n{}",
        crs_failures.len(),
        crs_failures.join("\n")
    );
    assert_eq!(failed, 0, "{failed} transformation case(s) failed");
}

#[test]
fn json2bin_reads_like_the_reference_runner() {
    assert_eq!(runner_bytes(r"a\x41\x41\u0042").0, b"aAAB");
    assert_eq!(runner_bytes(r"\xag\xga\x0a").0, b"\n\0\n");
    // A replacement can form a new sequence, which the next round decodes.
    assert_eq!(runner_bytes(r"\u1141\x5cx41").0, b"AA");
    assert_eq!(runner_bytes(r"\u0x41").0, b"A");
    assert_eq!(runner_bytes("ab\u{0}cd"), (b"ab".to_vec(), true));
    assert_eq!(runner_bytes("\u{e9}").0, "\u{e9}".as_bytes());
}
