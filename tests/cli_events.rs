//! `waf events` on a SQLite attack store filled by the real store: filters, the table,
//! JSON lines, and errors that name what is wrong.

mod support;

use std::process::{Command, Output};
use std::time::{Duration, SystemTime};
use support::store::observe;
use waf::Waf;
use waf::store::AttackStore;

fn waf_events(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_waf"))
        .arg("events")
        .args(args)
        .output()
        .unwrap()
}

/// A store with three attacks (ids `a1`…`a3`, an hour apart, the newest two hours ago)
/// and one benign request.
fn filled_store(url: &str) -> u32 {
    let store = AttackStore::open(url).unwrap();
    let waf = Waf::default();
    let now = SystemTime::now();
    let hours_ago = |h: u64| now - Duration::from_secs(h * 3600);
    // (id, target, client, time)
    let requests = [
        (
            "a1",
            "/search?q=1'%20OR%20'1'='1",
            "192.0.2.1",
            hours_ago(4),
        ),
        (
            "a2",
            "/search?q=%3Cscript%3Ealert(1)%3C/script%3E",
            "192.0.2.2",
            hours_ago(3),
        ),
        (
            "a3",
            "/search?q=1'%20OR%20'1'='1",
            "198.51.100.9",
            hours_ago(2),
        ),
        ("b1", "/search?q=shoes", "192.0.2.1", hours_ago(1)),
    ];
    let mut sqli = 0;
    for (id, uri, client, time) in requests {
        let rule = observe(&store, &waf, id, uri, client, time);
        if id == "a1" {
            sqli = rule.expect("the SQLi matched a rule");
        }
    }
    store.flush();
    assert_eq!(store.stored(), 3);
    sqli
}

#[test]
fn filters_select_events_newest_first() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("events.db").display());
    let sqli = filled_store(&url).to_string();
    // (arguments, expected request ids)
    let cases: [(Vec<&str>, &[&str]); 7] = [
        (vec![], &["a3", "a2", "a1"]),
        (vec!["--since", "210m"], &["a3", "a2"]),
        (vec!["--until", "150m"], &["a2", "a1"]),
        (vec!["--client", "192.0.2.0/24"], &["a2", "a1"]),
        (vec!["--client", "198.51.100.9"], &["a3"]),
        (vec!["--rule", &sqli], &["a3", "a1"]),
        (vec!["--limit", "1"], &["a3"]),
    ];
    for (args, expected) in cases {
        let output = waf_events(&[&["--db", &url, "--json"], &args[..]].concat());
        assert!(output.status.success(), "{args:?}: {output:?}");
        let ids: Vec<String> = String::from_utf8(output.stdout)
            .unwrap()
            .lines()
            .map(|line| {
                let event: serde_json::Value = serde_json::from_str(line).unwrap();
                event["request_id"].as_str().unwrap().to_owned()
            })
            .collect();
        assert_eq!(ids, expected, "{args:?}");
    }
}

#[test]
fn the_table_has_aligned_columns() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.db");
    let sqli = filled_store(path.to_str().unwrap());
    // A plain path works as well as sqlite:PATH.
    let output = waf_events(&["--db", path.to_str().unwrap()]);
    assert!(output.status.success(), "{output:?}");
    let text = String::from_utf8(output.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "{text}");
    assert!(lines[0].starts_with("TIME"), "{text}");
    let request_column = lines[0].find("REQUEST").unwrap();
    let rules_column = lines[0].find("RULES").unwrap();
    for line in &lines[1..] {
        assert_eq!(
            line[request_column..].split(' ').next(),
            Some("GET"),
            "{text}"
        );
        assert!(line.contains(" deny "), "{line}");
        assert!(line.contains(" 403 "), "{line}");
    }
    assert!(
        lines[1][rules_column..].starts_with(&sqli.to_string()),
        "{text}"
    );
    assert!(lines[1].contains("198.51.100.9"), "{text}");
    assert!(
        lines[1].ends_with("GET /search?q=1'%20OR%20'1'='1 HTTP/1.1"),
        "{text}"
    );
}

#[test]
fn errors_name_what_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("events.db").display());
    let missing = format!(
        "sqlite:{}",
        dir.path().join("no/such/dir/events.db").display()
    );
    // (arguments, part of the error)
    let cases = [
        (
            vec!["--db", &url, "--since", "yesterday"],
            "bad --since \"yesterday\"",
        ),
        (
            vec!["--db", &url, "--until", "2026-13-01T00:00:00Z"],
            "bad --until",
        ),
        (
            vec!["--db", &url, "--client", "192.0.2.0/33"],
            "bad --client \"192.0.2.0/33\"",
        ),
        (vec!["--db", &missing], "cannot open SQLite database"),
        (vec!["--db", &url], "no such file"),
        (
            vec!["--db", "redis://127.0.0.1/"],
            "cannot open attack store \"redis://127.0.0.1/\"",
        ),
    ];
    for (args, message) in cases {
        let output = waf_events(&args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert!(stderr.contains(message), "{args:?}: {stderr}");
    }
}

#[test]
fn every_option_has_help() {
    let output = waf_events(&["--help"]);
    assert!(output.status.success());
    let help = String::from_utf8(output.stdout).unwrap();
    for option in [
        "--db", "--since", "--until", "--client", "--rule", "--limit", "--json",
    ] {
        let line = help
            .lines()
            .find(|l| l.trim_start().starts_with(option))
            .unwrap_or_else(|| panic!("{option} in {help}"));
        assert!(
            line.trim().len() > option.len() + 8,
            "{option} has no help: {line}"
        );
    }
}
