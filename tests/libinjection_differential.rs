//! Differential test of `@detectSQLi` and `@detectXSS` against the reference C
//! libinjection: every value on which they disagree (CRS 941/942 regression tests and
//! the corpus) must be listed, and explained, in
//! `docs/detectors/libinjection-differences.md`; nothing else may be listed there.
//!
//! The comparison itself is `waf-rules/tests/differential/libinjection_diff.py`, run
//! with the Python of `WAF_LIBINJECTION_PYTHON` (a virtual environment with the
//! script's `requirements.txt` installed; `.ci/test` makes one). Without it the test is
//! skipped, unless `CI=true`. The CRS and corpus directories come from `WAF_CRS_DIR`
//! and `WAF_CORPUS_DIR`, else `../shared/crs` and `../shared/corpus` beside the
//! workspace.

use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

const SCRIPT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/waf-rules/tests/differential/libinjection_diff.py"
);
const DOC: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/docs/detectors/libinjection-differences.md"
);
/// The block of the doc where the script puts disagreements no category explains yet.
const UNEXPLAINED: &str = "unexplained";

/// One disagreement: detector, who detects the value, its sources, the value.
type Entry = (String, String, String, String);

/// Prints why `test` is skipped, or fails it under `CI=true`.
fn skip(test: &str, message: &str) {
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "{message}; CI=true requires it"
    );
    eprintln!("skipping {test}: {message}");
}

/// `env`'s directory, else `default` under the workspace's parent; `None` (after
/// [`skip`]) when it is absent.
fn data_dir(test: &str, env: &str, default: &str) -> Option<PathBuf> {
    let dir = std::env::var_os(env).map_or_else(
        || {
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("..")
                .join(default)
        },
        PathBuf::from,
    );
    if !dir.is_dir() {
        skip(test, &format!("{} is absent (set {env})", dir.display()));
        return None;
    }
    Some(dir)
}

/// The disagreements the doc lists, by block name.
fn documented() -> Vec<(String, Entry)> {
    let doc = std::fs::read_to_string(DOC).expect("the differences doc is readable");
    let mut entries = Vec::new();
    let mut block: Option<String> = None;
    for line in doc.lines() {
        match &block {
            None => {
                if let Some(name) = line.strip_prefix("```disagreements ") {
                    block = Some(name.trim().to_owned());
                }
            }
            Some(_) if line == "```" => block = None,
            Some(name) => {
                let mut fields = line.splitn(4, ' ');
                let mut field = || fields.next().unwrap_or_default().to_owned();
                let (detector, who, sources, payload) = (field(), field(), field(), field());
                let payload: String = serde_json::from_str(&payload)
                    .unwrap_or_else(|e| panic!("block {name}: bad line {line:?}: {e}"));
                entries.push((name.clone(), (detector, who, sources, payload)));
            }
        }
    }
    entries
}

/// The disagreements of a fresh comparison, from the script's JSON summary.
fn measured(summary: &Value) -> BTreeSet<Entry> {
    let text = |v: &Value| v.as_str().expect("summary fields are strings").to_owned();
    summary["disagreements"]
        .as_array()
        .expect("the summary lists disagreements")
        .iter()
        .map(|d| {
            let sources: Vec<String> = d["sources"]
                .as_array()
                .expect("sources are a list")
                .iter()
                .map(text)
                .collect();
            (
                text(&d["detector"]),
                text(&d["who"]),
                sources.join(","),
                text(&d["payload"]),
            )
        })
        .collect()
}

/// An entry as the doc writes it.
fn line(entry: &Entry) -> String {
    let (detector, who, sources, payload) = entry;
    let payload = serde_json::to_string(payload).expect("strings serialize");
    format!("{detector} {who} {sources} {payload}")
}

/// At most 20 entries as doc lines, for a failure message.
fn listing<'a>(entries: impl Iterator<Item = &'a Entry>) -> String {
    let lines: Vec<String> = entries.map(line).collect();
    let shown = lines[..lines.len().min(20)].join("\n  ");
    match lines.len() {
        0 => "  (none)".to_owned(),
        n if n > 20 => format!("  {shown}\n  … and {} more", n - 20),
        _ => format!("  {shown}"),
    }
}

#[test]
fn disagreements_with_libinjection_are_the_documented_ones() {
    const TEST: &str = "disagreements_with_libinjection_are_the_documented_ones";
    let Some(python) = std::env::var_os("WAF_LIBINJECTION_PYTHON") else {
        skip(
            TEST,
            "WAF_LIBINJECTION_PYTHON is unset (a Python with \
             waf-rules/tests/differential/requirements.txt installed)",
        );
        return;
    };
    let Some(crs) = data_dir(TEST, "WAF_CRS_DIR", "shared/crs") else {
        return;
    };
    let Some(corpus) = data_dir(TEST, "WAF_CORPUS_DIR", "shared/corpus") else {
        return;
    };
    let out = tempfile::tempdir().expect("a temporary directory");
    let json = out.path().join("summary.json");
    let run = Command::new(&python)
        .arg(SCRIPT)
        .args(["--waf", env!("CARGO_BIN_EXE_waf")])
        .arg("--crs")
        .arg(&crs)
        .arg("--corpus")
        .arg(&corpus)
        .arg("--json")
        .arg(&json)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", python.to_string_lossy()));
    assert!(
        run.status.success(),
        "{SCRIPT} failed ({}):\n{}",
        run.status,
        String::from_utf8_lossy(&run.stderr)
    );
    let summary: Value = serde_json::from_str(
        &std::fs::read_to_string(&json).expect("the script wrote its summary"),
    )
    .expect("the summary is JSON");

    let listed = documented();
    let unexplained: Vec<&Entry> = listed
        .iter()
        .filter(|(block, _)| block == UNEXPLAINED)
        .map(|(_, entry)| entry)
        .collect();
    assert!(
        unexplained.is_empty(),
        "{DOC} lists unexplained disagreements; move each into its category and say why:\n{}",
        listing(unexplained.into_iter())
    );
    let listed: BTreeSet<Entry> = listed.into_iter().map(|(_, entry)| entry).collect();
    let found = measured(&summary);
    assert!(
        listed == found,
        "the disagreements with libinjection changed.\n\
         New (explain them in {DOC}):\n{}\n\
         Gone (remove them):\n{}\n\
         Regenerate the doc's lists with\n  \
         python waf-rules/tests/differential/libinjection_diff.py --waf target/release/waf --write-doc\n\
         then place every new line in the block of its category and explain it.",
        listing(found.difference(&listed)),
        listing(listed.difference(&found))
    );
}
