//! The management commands end to end, through the real binary: `waf rules check` on
//! broken and sound rule sets, and `waf ban` / `waf bans` / `waf unban` against a real
//! `redis-server`, seen by a node that shares the state.

#[path = "../waf-tower/tests/support/redis_server.rs"]
#[allow(dead_code)]
mod redis_server;

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};
use waf_core::Waf;
use waf_tower::shared::{Shared, SharedSettings};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_waf"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .output()
        .expect("the waf binary runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

#[test]
fn rules_check_reports_every_problem_with_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "10-good.conf",
        "SecRule ARGS \"@rx select\" \"id:10,phase:2,deny\"\n",
    );
    write(
        d,
        "20-bad.conf",
        "SecRuleEngine On\n\
         SecBogusDirective x\n\
         SecRule ARGS \"@rx a\" \"id:21,phase:2,deny\"\n\
         SecRule ARGS \"@rx b\" \"id:22,phase:2,deny\" surplus\n",
    );
    write(d, "30-bad.conf", "\n\nSecRule ARGS\n");
    write(d, "notes.txt", "not a rule file");
    let output = run(&["rules", "check", d.to_str().unwrap()]);
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{out}{}", stderr(&output));
    let problems: Vec<&str> = out.lines().collect();
    let places: Vec<String> = problems
        .iter()
        .map(|p| {
            let file = Path::new(p.split(':').next().unwrap());
            let line = p.split(':').nth(1).unwrap();
            format!("{}:{line}", file.file_name().unwrap().to_str().unwrap())
        })
        .collect();
    assert_eq!(
        places,
        ["20-bad.conf:2", "20-bad.conf:4", "30-bad.conf:3"],
        "{out}"
    );
    assert!(
        stderr(&output).contains("3 problems"),
        "{}",
        stderr(&output)
    );

    // Once every file parses, what the compiler refuses: each directive reported.
    let compile = tempfile::tempdir().unwrap();
    write(
        compile.path(),
        "rules.conf",
        "SecRule ARGS \"@rx ok\" \"id:1,phase:2,deny\"\n\
         SecRule ARGS \"@noSuchOperator x\" \"id:2,phase:2,deny\"\n\
         SecRule ARGS \"@rx (\" \"id:3,phase:2,deny\"\n\
         SecRule ARGS \"@rx b\" \"id:4,phase:2,bogusaction\"\n",
    );
    let output = run(&["rules", "check", compile.path().to_str().unwrap()]);
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{out}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "{out}");
    assert!(lines[0].contains("rules.conf:2: "), "{out}");
    assert!(lines[1].contains("rules.conf:3: "), "{out}");
    assert!(lines[2].contains("rules.conf:4: "), "{out}");

    // A file that does not exist is a usage error.
    let output = run(&["rules", "check", "/nonexistent/rules.conf"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("cannot read /nonexistent/rules.conf"));
}

#[test]
fn rules_check_passes_the_crs() {
    let crs = std::env::var("WAF_CRS_DIR").unwrap_or_else(|_| "../shared/crs".into());
    let output = run(&["rules", "check", &crs]);
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{out}{}", stderr(&output));
    assert!(out.starts_with("ok: "), "{out}");
    let rules: usize = out["ok: ".len()..]
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(rules > 500, "{out}");
}

#[test]
fn bans_made_on_the_command_line_reach_a_node() {
    let (_server, url) = match std::env::var("WAF_TEST_REDIS_URL") {
        Ok(url) if !url.is_empty() => (None, url),
        _ => match redis_server::RedisServer::start() {
            Some(server) => {
                let url = server.url();
                (Some(server), url)
            }
            None => return,
        },
    };
    let prefix = format!("waf-test:{}:cli", std::process::id());
    let redis = ["--redis", url.as_str(), "--prefix", prefix.as_str()];
    let cli = |args: &[&str]| run(&[args, &redis[..]].concat());

    // A node of the deployment, following the shared set.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let node = Waf::default();
    let shared = runtime.block_on(async {
        let shared = Shared::start(
            &node,
            SharedSettings {
                prefix: prefix.clone(),
                ..SharedSettings::new(url.clone())
            },
        );
        assert!(shared.wait_connected(Duration::from_secs(5)).await);
        shared
    });
    let node_bans = || {
        let mut bans: Vec<String> = node.bans().iter().map(|b| b.target.to_string()).collect();
        bans.sort();
        bans
    };
    let eventually = |want: &[&str]| {
        let deadline = Instant::now() + Duration::from_secs(5);
        while node_bans() != want && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(node_bans(), want);
    };

    let output = cli(&["ban", "198.18.50.7", "--ttl", "10m", "--reason", "scanner"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(stdout(&output), "banned 198.18.50.7/32 for 10m: scanner\n");
    let output = cli(&["ban", "198.18.60.0/24"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    eventually(&["198.18.50.7/32", "198.18.60.0/24"]);

    let output = cli(&["bans", "--json"]);
    let listed: Vec<serde_json::Value> = stdout(&output)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(listed.len(), 2, "{}", stdout(&output));
    assert_eq!(listed[0]["target"], "198.18.50.7/32");
    // Nodes log who banned: the command's own node name comes first.
    let reason = listed[0]["reason"].as_str().unwrap();
    assert!(
        reason.starts_with("waf-cli-") && reason.ends_with(": scanner"),
        "{reason}"
    );
    let ttl = listed[0]["ttl_seconds"].as_u64().unwrap();
    assert!((590..=600).contains(&ttl), "{ttl}");
    assert_eq!(listed[1]["ttl_seconds"], serde_json::Value::Null);
    let table = stdout(&cli(&["bans"]));
    assert!(table.starts_with("TARGET"), "{table}");
    assert!(table.contains("198.18.60.0/24") && table.contains("banned with waf ban"));

    let output = cli(&["unban", "198.18.50.7"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    eventually(&["198.18.60.0/24"]);
    let output = cli(&["unban", "198.18.50.7"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("no ban on 198.18.50.7/32"));

    // Errors in plain words.
    let output = run(&["ban", "not-an-ip"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("neither an IP address nor a CIDR range"));
    let output = run(&[
        "bans",
        "--redis",
        "redis://127.0.0.1:1/",
        "--timeout",
        "300ms",
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("cannot reach Redis at redis://127.0.0.1:1/"));
    drop(shared);
}

#[test]
fn every_command_has_help() {
    let commands: &[&[&str]] = &[
        &[],
        &["scan"],
        &["detect"],
        &["score"],
        &["rules"],
        &["rules", "check"],
        &["rules", "test"],
        &["ban"],
        &["unban"],
        &["bans"],
        &["stats"],
        &["events"],
    ];
    for command in commands {
        let output = run(&[command, &["--help"][..]].concat());
        assert_eq!(output.status.code(), Some(0), "{command:?}");
        let help = stdout(&output);
        assert!(help.contains("Usage: waf"), "{command:?}: {help}");
        assert!(help.lines().count() > 3, "{command:?}: {help}");
    }
}
