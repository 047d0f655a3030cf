//! `waf scan` end to end: the real binary, temporary files, the JSONL contract of
//! `shared/formats/requests-jsonl.md`.

use base64::Engine as _;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The SQL injection every test uses; the built-in rule 100100 denies it.
const SQLI_URI: &str = "/api/user?id=1%27%20OR%20%271%27%3D%271";

/// The `waf` binary, run from the workspace root like a user would.
fn waf() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_waf"));
    command.current_dir(env!("CARGO_MANIFEST_DIR"));
    command
}

/// Runs `waf` with `args` to completion.
fn run(args: &[&str]) -> Output {
    waf().args(args).output().expect("the waf binary runs")
}

/// Writes `text` to `name` in `dir` and returns the path as a string for arguments.
fn write_file(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("temporary file is writable");
    path.to_str().expect("temporary paths are UTF-8").to_owned()
}

/// The verdict lines of `stdout`, each parsed.
fn verdicts(stdout: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{line:?}: {e}")))
        .collect()
}

/// stderr with runs of whitespace collapsed, so summary checks ignore column alignment.
fn squeezed_stderr(output: &Output) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr);
    stderr.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A request line with `id` and `uri`, plus extra JSON fields (`, "k": v` pieces).
fn request(id: &str, uri: &str, extra: &str) -> String {
    format!(r#"{{"id": "{id}", "method": "GET", "uri": "{uri}"{extra}}}"#)
}

/// What one input line must produce.
enum Expect {
    /// A verdict line with this id, action, status and (if given) this rule among its ids.
    Verdict {
        id: &'static str,
        action: &'static str,
        status: Option<u64>,
        rule: Option<u64>,
    },
    /// A stderr report `line N: …` containing this text, and no verdict.
    Malformed(&'static str),
    /// Nothing at all: blank lines are skipped silently.
    Nothing,
}

#[test]
fn scans_valid_lines_and_reports_malformed_ones() {
    let b64 = |text: &str| base64::engine::general_purpose::STANDARD.encode(text);
    let form = r#", "headers": [["Content-Type", "application/x-www-form-urlencoded"]]"#;
    let cases: Vec<(String, Expect)> = vec![
        (
            request(
                "benign",
                "/products?page=2",
                r#", "headers": [["Host", "shop.example"]]"#,
            ),
            Expect::Verdict {
                id: "benign",
                action: "allow",
                status: None,
                rule: None,
            },
        ),
        (
            request("sqli", SQLI_URI, ""),
            Expect::Verdict {
                id: "sqli",
                action: "deny",
                status: Some(403),
                rule: Some(100100),
            },
        ),
        (
            // The base64 body reaches the engine decoded, and wins over `body`.
            request(
                "b64-sqli",
                "/login",
                &format!(
                    r#"{form}, "body": "id=2", "body_b64": "{}""#,
                    b64("id=1' OR '1'='1")
                ),
            ),
            Expect::Verdict {
                id: "b64-sqli",
                action: "deny",
                status: Some(403),
                rule: Some(100100),
            },
        ),
        (
            r#"{"id": "broken", "method": "#.to_owned(),
            Expect::Malformed("invalid JSON"),
        ),
        (
            r#"{"id": "no-uri", "method": "GET"}"#.to_owned(),
            Expect::Malformed("uri"),
        ),
        (
            request("bad-b64", "/", r#", "body_b64": "%%%""#),
            Expect::Malformed("base64"),
        ),
        ("   ".to_owned(), Expect::Nothing),
        (
            request("bad-ip", "/", r#", "client_ip": "10.0.0""#),
            Expect::Malformed("client_ip"),
        ),
        ("[1, 2]".to_owned(), Expect::Malformed("JSON object")),
        (
            // Ground truth and unknown fields are ignored; the engine never sees them.
            request(
                "labelled",
                "/",
                r#", "label": "attack", "class": "sqli", "extra": {"a": [1]}, "client_ip": "2001:db8::1""#,
            ),
            Expect::Verdict {
                id: "labelled",
                action: "allow",
                status: None,
                rule: None,
            },
        ),
        (
            request(
                "b64-wins",
                "/login",
                &format!(
                    r#"{form}, "body": "id=1' OR '1'='1", "body_b64": "{}""#,
                    b64("id=2")
                ),
            ),
            Expect::Verdict {
                id: "b64-wins",
                action: "allow",
                status: None,
                rule: None,
            },
        ),
    ];
    let dir = tempfile::tempdir().expect("temporary directory");
    let input: String = cases.iter().map(|(line, _)| format!("{line}\n")).collect();
    let input = write_file(dir.path(), "requests.jsonl", &input);

    let output = run(&["scan", "--input", &input]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        output.status.code(),
        Some(0),
        "malformed lines are not fatal: {stderr}"
    );
    let mut verdicts = verdicts(&output.stdout).into_iter();
    let mut expected_requests = 0;
    for (number, (line, expect)) in (1..).zip(&cases) {
        let prefix = format!("line {number}:");
        match expect {
            Expect::Verdict {
                id,
                action,
                status,
                rule,
            } => {
                expected_requests += 1;
                let verdict = verdicts
                    .next()
                    .unwrap_or_else(|| panic!("no verdict for {line}"));
                assert_eq!(verdict["id"], *id, "verdicts come in input order");
                assert_eq!(verdict["action"], *action, "{verdict}");
                assert_eq!(verdict["status"].as_u64(), *status, "{verdict}");
                let rule_ids = verdict["rule_ids"].as_array().expect("rule_ids is a list");
                if let Some(rule) = rule {
                    assert!(rule_ids.contains(&Value::from(*rule)), "{verdict}");
                } else {
                    assert!(rule_ids.is_empty(), "{verdict}");
                }
                assert!(!stderr.contains(&prefix), "{stderr}");
            }
            Expect::Malformed(what) => {
                let report = stderr
                    .lines()
                    .find(|l| l.starts_with(&prefix))
                    .unwrap_or_else(|| panic!("no `{prefix}` report in {stderr}"));
                assert!(report.contains(what), "{report:?} should mention {what:?}");
            }
            Expect::Nothing => assert!(!stderr.contains(&prefix), "{stderr}"),
        }
    }
    assert!(verdicts.next().is_none(), "one verdict per valid request");
    assert!(!stderr.contains("panicked"), "{stderr}");

    let summary = squeezed_stderr(&output);
    let malformed = cases
        .iter()
        .filter(|(_, e)| matches!(e, Expect::Malformed(_)))
        .count();
    for needle in [
        "scan summary:".to_owned(),
        "allow 3".to_owned(),
        "deny 2".to_owned(),
        "challenge 0".to_owned(),
        "rate_limit 0".to_owned(),
        "log 0".to_owned(),
        format!("total {expected_requests} requests"),
        format!("malformed {malformed} lines skipped"),
        "elapsed_us median".to_owned(),
        "p99".to_owned(),
    ] {
        assert!(
            summary.contains(&needle),
            "summary lacks {needle:?}: {stderr}"
        );
    }
}

#[test]
fn mode_and_config_decide_enforcement() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let input = write_file(
        dir.path(),
        "sqli.jsonl",
        &(request("sqli", SQLI_URI, "") + "\n"),
    );
    let detect = write_file(dir.path(), "detect.toml", "mode = \"detect\"\n");
    let status_406 = write_file(dir.path(), "406.toml", "deny_status = 406\n");
    let cases: [(&[&str], &str, Option<u64>); 5] = [
        (&[], "deny", Some(403)),
        (&["--mode", "detect"], "log", None),
        (&["--config", &detect], "log", None),
        (&["--config", &detect, "--mode", "block"], "deny", Some(403)),
        (&["--config", &status_406], "deny", Some(406)),
    ];
    for (extra, action, status) in cases {
        let mut args = vec!["scan", "--input", &input];
        args.extend_from_slice(extra);
        let output = run(&args);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{extra:?}: {}",
            squeezed_stderr(&output)
        );
        let verdicts = verdicts(&output.stdout);
        assert_eq!(verdicts.len(), 1, "{extra:?}");
        let verdict = &verdicts[0];
        assert_eq!(verdict["action"], action, "{extra:?}: {verdict}");
        assert_eq!(
            verdict.get("status").and_then(Value::as_u64),
            status,
            "{extra:?}: {verdict}"
        );
        assert!(
            verdict["rule_ids"]
                .as_array()
                .is_some_and(|ids| ids.contains(&Value::from(100100)))
        );
    }
}

#[test]
fn refuses_bad_invocations_with_exit_2() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let input = write_file(dir.path(), "one.jsonl", &(request("a", "/", "") + "\n"));
    let bad_config = write_file(dir.path(), "bad.toml", "mode = \"loud\"\n");
    let missing = dir.path().join("missing.jsonl");
    let missing = missing.to_str().expect("UTF-8 path");
    let no_dir_output = dir.path().join("no/such/dir/v.jsonl");
    let no_dir_output = no_dir_output.to_str().expect("UTF-8 path");
    let no_crs = dir.path().join("no-crs-here");
    let no_crs = no_crs.to_str().expect("UTF-8 path");
    let cases: [(&[&str], &str); 10] = [
        (
            &[
                "scan",
                "--input",
                &input,
                "--rules",
                "crs",
                "--crs-dir",
                no_crs,
            ],
            no_crs,
        ),
        (
            &[
                "scan",
                "--input",
                &input,
                "--rules",
                "crs",
                "--paranoia",
                "5",
            ],
            "--paranoia",
        ),
        (
            &["scan", "--input", &input, "--paranoia", "5"],
            "--paranoia",
        ),
        (
            &["scan", "--input", &input, "--paranoia", "0"],
            "--paranoia",
        ),
        (&["scan", "--input", missing], missing),
        (
            &["scan", "--input", dir.path().to_str().expect("UTF-8 path")],
            "cannot read input",
        ),
        (
            &["scan", "--input", &input, "--config", &bad_config],
            &bad_config,
        ),
        (&["scan", "--input", &input, "--config", missing], missing),
        (&["scan", "--input", &input, "--mode", "loud"], "--mode"),
        (
            &["scan", "--input", &input, "--output", no_dir_output],
            no_dir_output,
        ),
    ];
    for (args, message) in cases {
        let output = run(args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains(message),
            "{args:?}: {stderr:?} should contain {message:?}"
        );
        assert!(output.stdout.is_empty(), "{args:?}: no verdicts");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
    let output = run(&["scan"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--input"));
}

#[test]
fn crs_options_are_accepted_with_the_builtin_rules() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let input = write_file(dir.path(), "one.jsonl", &(request("a", "/", "") + "\n"));
    for paranoia in ["1", "4"] {
        let output = run(&[
            "scan",
            "--input",
            &input,
            "--paranoia",
            paranoia,
            "--crs-dir",
            "/x",
        ]);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{}",
            squeezed_stderr(&output)
        );
        assert_eq!(verdicts(&output.stdout).len(), 1);
    }
}

#[test]
fn output_file_receives_the_verdicts() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let lines = [request("a", "/", ""), request("b", SQLI_URI, "")].join("\n");
    let input = write_file(dir.path(), "two.jsonl", &lines); // no final line break
    let verdict_path = dir.path().join("verdicts.jsonl");
    let output = run(&[
        "scan",
        "--input",
        &input,
        "--output",
        verdict_path.to_str().expect("UTF-8"),
    ]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        squeezed_stderr(&output)
    );
    assert!(output.stdout.is_empty(), "verdicts go to the file only");
    let written = std::fs::read(&verdict_path).expect("output file exists");
    let ids: Vec<Value> = verdicts(&written)
        .into_iter()
        .map(|v| v["id"].clone())
        .collect();
    assert_eq!(ids, ["a", "b"]);
}

#[test]
fn broken_pipe_stops_cleanly_with_exit_1() {
    let dir = tempfile::tempdir().expect("temporary directory");
    // Far more verdicts than a pipe buffer holds, so writing must hit the closed pipe.
    let line = request("benign", "/products?page=2", "") + "\n";
    let input = write_file(dir.path(), "many.jsonl", &line.repeat(5_000));
    let mut child = waf()
        .args(["scan", "--input", &input])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the waf binary runs");
    drop(child.stdout.take()); // the reader goes away, like `waf scan … | head -0`
    let output = child.wait_with_output().expect("waf finishes");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("cannot write verdicts to standard output"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn help_describes_the_tool_and_scan() {
    let cases: [(&[&str], &[&str]); 2] = [
        (
            &["--help"],
            &[
                "Command-line tool of the waf web application firewall",
                "scan",
            ],
        ),
        (
            &["scan", "--help"],
            &[
                "--input",
                "--output",
                "--rules",
                "--crs-dir",
                "--paranoia",
                "--mode",
                "--config",
                "Exit status",
            ],
        ),
    ];
    for (args, needles) in cases {
        let output = run(args);
        assert_eq!(output.status.code(), Some(0), "{args:?}");
        let help = String::from_utf8_lossy(&output.stdout);
        for needle in needles {
            assert!(
                help.contains(needle),
                "{args:?} help lacks {needle:?}:\n{help}"
            );
        }
    }
}

/// `leaf` in the directory `$var` names, else in `../shared/<shared>` beside the
/// workspace, if it exists. The shared data is not part of the repository: when it is
/// absent the test is skipped with a notice, except under `CI=true`, which requires it.
fn shared_data(test: &str, var: &str, shared: &str, leaf: &str) -> Option<PathBuf> {
    let dir = std::env::var_os(var).map_or_else(
        || {
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../shared")
                .join(shared)
        },
        PathBuf::from,
    );
    let path = dir.join(leaf);
    if path.exists() {
        return Some(path);
    }
    let message = format!("{} is absent (set {var})", path.display());
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "{message}; CI=true requires it"
    );
    eprintln!("skipping {test}: {message}");
    None
}

/// `--rules crs` runs the OWASP CRS at the default paranoia 1: its own anomaly
/// threshold denies attacks through rule 949110, benign traffic passes untouched, and
/// the load report goes to stderr.
#[test]
fn crs_rules_deny_attacks_with_their_rule_ids() {
    let Some(crs) = shared_data(
        "crs_rules_deny_attacks_with_their_rule_ids",
        "WAF_CRS_DIR",
        "crs",
        "",
    ) else {
        return;
    };
    let crs = crs.to_str().expect("UTF-8 path");
    // A browser's headers: without them CRS's protocol rules (920xxx) would score too.
    let headers = r#", "headers": [["Host", "shop.example"], ["User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"], ["Accept", "text/html"]]"#;
    // id, URI, action, and the CRS family (rule id / 1000) that must have matched.
    let cases = [
        ("benign", "/products?page=2&sort=price", "allow", None),
        ("sqli", SQLI_URI, "deny", Some(942)),
        (
            "xss",
            "/search?q=%3Cscript%3Ealert(document.cookie)%3C%2Fscript%3E",
            "deny",
            Some(941),
        ),
        (
            "traversal",
            "/download?file=..%2F..%2F..%2F..%2Fetc%2Fpasswd",
            "deny",
            Some(930),
        ),
    ];
    let dir = tempfile::tempdir().expect("temporary directory");
    let input: String = cases
        .iter()
        .map(|(id, uri, _, _)| request(id, uri, headers) + "\n")
        .collect();
    let input = write_file(dir.path(), "crs.jsonl", &input);

    let output = run(&[
        "scan",
        "--input",
        &input,
        "--rules",
        "crs",
        "--crs-dir",
        crs,
    ]);
    let stderr = squeezed_stderr(&output);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    for needle in [
        "CRS from",
        "rules (phase 1:",
        "paranoia 1;",
        "deny 3",
        "allow 1",
    ] {
        assert!(stderr.contains(needle), "stderr lacks {needle:?}: {stderr}");
    }
    let verdicts = verdicts(&output.stdout);
    assert_eq!(verdicts.len(), cases.len(), "{stderr}");
    for ((id, _, action, family), verdict) in cases.iter().zip(&verdicts) {
        assert_eq!(verdict["id"], *id);
        assert_eq!(verdict["action"], *action, "{verdict}");
        let rule_ids: Vec<u64> = verdict["rule_ids"]
            .as_array()
            .expect("rule_ids is a list")
            .iter()
            .map(|id| id.as_u64().expect("numeric CRS rule ids"))
            .collect();
        match family {
            Some(family) => {
                assert_eq!(verdict["status"].as_u64(), Some(403), "{verdict}");
                // The detection itself, and the CRS's blocking evaluation that decided.
                assert!(
                    rule_ids.iter().any(|rule| rule / 1000 == *family),
                    "no {family}xxx rule in {verdict}"
                );
                assert!(rule_ids.contains(&949110), "{verdict}");
            }
            None => assert!(rule_ids.is_empty(), "{verdict}"),
        }
    }
}

/// The acceptance check: every line of the public dev-benign corpus gets exactly one
/// well-formed verdict line, in order.
#[test]
fn dev_benign_corpus_gets_one_verdict_per_line() {
    let Some(corpus) = shared_data(
        "dev_benign_corpus_gets_one_verdict_per_line",
        "WAF_CORPUS_DIR",
        "corpus",
        "dev-benign.jsonl",
    ) else {
        return;
    };
    let input = std::fs::read_to_string(&corpus).expect("corpus is readable");
    let input_ids: Vec<Value> = input
        .lines()
        .map(|line| {
            let request: Value = serde_json::from_str(line).expect("corpus lines are JSON");
            request["id"].clone()
        })
        .collect();

    let output = run(&["scan", "--input", corpus.to_str().expect("UTF-8 path")]);
    let summary = squeezed_stderr(&output);
    assert_eq!(output.status.code(), Some(0), "{summary}");
    assert!(summary.contains("malformed 0 lines skipped"), "{summary}");
    let stdout = String::from_utf8(output.stdout).expect("verdicts are UTF-8");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines.len(),
        input_ids.len(),
        "one verdict per input line (4,181 for the dev set)"
    );
    for (line, input_id) in lines.iter().zip(&input_ids) {
        let verdict: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{line}: {e}"));
        assert_eq!(&verdict["id"], input_id, "input order is kept");
        let action = verdict["action"]
            .as_str()
            .unwrap_or_else(|| panic!("action in {line}"));
        assert!(
            ["allow", "deny", "challenge", "rate_limit", "log"].contains(&action),
            "{line}"
        );
        let has_status = verdict.get("status").is_some_and(Value::is_u64);
        assert_eq!(
            has_status,
            !matches!(action, "allow" | "log"),
            "status in {line}"
        );
        assert!(verdict["score"].is_number(), "score in {line}");
        assert!(
            verdict["rule_ids"]
                .as_array()
                .is_some_and(|ids| ids.iter().all(Value::is_u64)),
            "{line}"
        );
        assert!(
            verdict["elapsed_us"].as_f64().is_some_and(|us| us >= 0.0),
            "elapsed_us in {line}"
        );
    }
}
