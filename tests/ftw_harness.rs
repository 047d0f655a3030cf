//! The go-ftw harness (`waf::ftw`) and `waf rules test`: how stage inputs become
//! requests, the emulated `/reflect` backend, override files, an end-to-end run of the
//! real binary on a small rule file and test suite, and a load of every CRS regression
//! test (requests built, engine not run).
//!
//! The CRS comes from `WAF_CRS_DIR`, else `../shared/crs` beside the workspace; without
//! it the CRS test is skipped, unless `CI=true`.

use base64::Engine as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use waf::ftw::backend;
use waf::ftw::request::{self, BuiltRequest};
use waf::ftw::run::Overrides;
use waf::ftw::test_file::{self, Input};

/// The input of a stage, from YAML.
fn input(yaml: &str) -> Input {
    serde_yaml_ng::from_str(yaml).unwrap_or_else(|e| panic!("bad test input {yaml:?}: {e}"))
}

fn build(yaml: &str) -> BuiltRequest {
    request::build(&input(yaml)).unwrap_or_else(|e| panic!("{yaml:?} does not build: {e}"))
}

fn wire(request: &BuiltRequest) -> String {
    String::from_utf8_lossy(&request.wire).into_owned()
}

fn headers(request: &BuiltRequest) -> Vec<(String, String)> {
    request
        .headers
        .iter()
        .map(|(n, v)| {
            (
                String::from_utf8_lossy(n).into_owned(),
                String::from_utf8_lossy(v).into_owned(),
            )
        })
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn fields_become_the_bytes_go_ftw_sends() {
    // (input, exact wire bytes, body the server hands on)
    let cases: &[(&str, &str, &str)] = &[
        // Defaults; the header map is sent sorted; Connection added; no Host added.
        (
            "headers: {User-Agent: t, Accept: '*/*'}",
            "GET / HTTP/1.1\r\nAccept: */*\r\nUser-Agent: t\r\nConnection: close\r\n\r\n",
            "",
        ),
        // A form body is encoded pair by pair; Content-Type and Content-Length added.
        (
            "{method: POST, uri: /p, headers: {Host: h}, data: 'a=b c&d=<x>'}",
            "POST /p HTTP/1.1\r\nHost: h\r\nContent-Type: application/x-www-form-urlencoded\r\n\
             Connection: close\r\nContent-Length: 15\r\n\r\na=b+c&d=%3Cx%3E",
            "a=b+c&d=%3Cx%3E",
        ),
        // Already encoded (a `%`): left alone.
        (
            "{method: POST, data: 'q=%27 x'}",
            "POST / HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded\r\n\
             Connection: close\r\nContent-Length: 7\r\n\r\nq=%27 x",
            "q=%27 x",
        ),
        // Another Content-Type: not encoded.
        (
            "{method: POST, headers: {Content-Type: application/json}, data: '{\"a\": \"<b>\"}'}",
            "POST / HTTP/1.1\r\nContent-Type: application/json\r\nConnection: close\r\n\
             Content-Length: 12\r\n\r\n{\"a\": \"<b>\"}",
            "{\"a\": \"<b>\"}",
        ),
        // `data` as a list of lines (older ftw) is joined with CRLF.
        (
            "{method: POST, headers: {Content-Type: text/plain}, data: [one, two]}",
            "POST / HTTP/1.1\r\nContent-Type: text/plain\r\nConnection: close\r\n\
             Content-Length: 8\r\n\r\none\r\ntwo",
            "one\r\ntwo",
        ),
        // Multipart bodies get CRLF line ends.
        (
            "{method: POST, headers: {Content-Type: 'multipart/form-data; boundary=b'}, \
              data: \"--b\\nx\\n--b--\\n\"}",
            "POST / HTTP/1.1\r\nContent-Type: multipart/form-data; boundary=b\r\n\
             Connection: close\r\nContent-Length: 15\r\n\r\n--b\r\nx\r\n--b--\r\n",
            "--b\r\nx\r\n--b--\r\n",
        ),
        // Without autocompletion the headers are the test's; no length, so no body.
        (
            "{method: POST, headers: {Host: h}, data: 'a=b c', autocomplete_headers: false}",
            "POST / HTTP/1.1\r\nHost: h\r\n\r\na=b c",
            "",
        ),
        // `stop_magic: true` is the old spelling; a declared length frames the body.
        (
            "{method: GET, headers: {Content-Length: 3}, data: 'abcdef', stop_magic: true}",
            "GET / HTTP/1.1\r\nContent-Length: 3\r\n\r\nabcdef",
            "abc",
        ),
        // Methods go-ftw thinks have a body get a Content-Length even when empty.
        (
            "{method: DELETE}",
            "DELETE / HTTP/1.1\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
            "",
        ),
        // Odd request lines are sent as written; an empty version leaves a blank.
        (
            "{method: '     GET', uri: '/a b?c', version: ''}",
            "     GET /a b?c \r\nConnection: close\r\n\r\n",
            "",
        ),
        // Ordered headers keep their order and repeats.
        (
            "ordered_headers: [{name: B, value: 1}, {name: A, value: 2}, {name: B, value: 3}]",
            "GET / HTTP/1.1\r\nB: 1\r\nA: 2\r\nB: 3\r\nConnection: close\r\n\r\n",
            "",
        ),
        // Go templates in data: sprig's repeat.
        (
            "{method: POST, headers: {Content-Type: text/plain}, data: 'x={{ \"ab\" | repeat 3 }}'}",
            "POST / HTTP/1.1\r\nContent-Type: text/plain\r\nConnection: close\r\n\
             Content-Length: 8\r\n\r\nx=ababab",
            "x=ababab",
        ),
        // A base64 body.
        (
            "{method: POST, headers: {Content-Type: text/plain}, encoded_data: 'AP8='}",
            "POST / HTTP/1.1\r\nContent-Type: text/plain\r\nConnection: close\r\n\
             Content-Length: 2\r\n\r\n\0\u{fffd}",
            "\0\u{fffd}",
        ),
    ];
    for (yaml, expected_wire, expected_body) in cases {
        let request = build(yaml);
        assert_eq!(wire(&request), *expected_wire, "wire of {yaml}");
        assert_eq!(
            String::from_utf8_lossy(&request.body),
            *expected_body,
            "body of {yaml}"
        );
        assert_eq!(request.client.to_string(), "127.0.0.1");
    }
}

#[test]
fn request_line_and_headers_reach_the_engine_as_sent() {
    let request = build(
        "{method: '     GET', uri: '/x?a=1', version: HTTP/1.0, \
          headers: {Content-Length: 7, X-Forwarded-For: 10.0.0.1, Empty: ~}}",
    );
    assert_eq!(request.method, "     GET");
    assert_eq!(request.uri, "/x?a=1");
    assert_eq!(request.protocol, "HTTP/1.0");
    assert_eq!(
        headers(&request),
        pairs(&[
            ("Content-Length", "7"),
            ("Empty", ""),
            ("X-Forwarded-For", "10.0.0.1"),
            ("Connection", "close"),
        ])
    );
    // The peer stays go-ftw's, whatever the headers claim.
    assert_eq!(request.client.to_string(), "127.0.0.1");
    assert_eq!(request.path(), "/x");
    assert!(
        request.notes.iter().any(|n| n.contains("only 0 were sent")),
        "{:?}",
        request.notes
    );
}

#[test]
fn encoded_requests_round_trip() {
    let inputs = [
        "{method: POST, uri: '/p?q=1', headers: {Host: h, User-Agent: u}, data: 'a=<b>&c=d'}",
        "{method: PUT, version: HTTP/1.0, headers: {Content-Type: application/json}, data: '[1]'}",
        "{uri: /, headers: {Host: h}}",
    ];
    for yaml in inputs {
        let built = build(yaml);
        let encoded = base64::engine::general_purpose::STANDARD.encode(&built.wire);
        let again = build(&format!("{{encoded_request: '{encoded}'}}"));
        assert_eq!(again.wire, built.wire, "{yaml}");
        assert_eq!(
            (&again.method, &again.uri, &again.protocol),
            (&built.method, &built.uri, &built.protocol),
            "{yaml}"
        );
        assert_eq!(again.headers, built.headers, "{yaml}");
        assert_eq!(again.body, built.body, "{yaml}");
    }
}

#[test]
fn raw_requests_are_read_tolerantly() {
    struct Case {
        raw: &'static [u8],
        line: (&'static str, &'static str, &'static str),
        headers: &'static [(&'static str, &'static str)],
        body: &'static [u8],
    }
    let cases = [
        // Chunked bodies are de-chunked, headers kept.
        Case {
            raw: b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nHi \r\n3\r\nCRS\r\n0\r\n\r\n",
            line: ("POST", "/", "HTTP/1.1"),
            headers: &[("Transfer-Encoding", "chunked")],
            body: b"Hi CRS",
        },
        // Bare LF line ends, an empty header value, leading empty lines.
        Case {
            raw: b"\r\nGET / HTTP/1.0\nHost:\n\n",
            line: ("GET", "/", "HTTP/1.0"),
            headers: &[("Host", "")],
            body: b"",
        },
        // A folded header, a line without a colon, a target with a blank.
        Case {
            raw: b"GET /a b HTTP/1.1\r\nX-A: one\r\n  two\r\nbroken line\r\nContent-Length: 2\r\n\r\nokay",
            line: ("GET", "/a b", "HTTP/1.1"),
            headers: &[("X-A", "one two"), ("broken line", ""), ("Content-Length", "2")],
            body: b"ok",
        },
        // HTTP/0.9 style: no protocol; no end of headers.
        Case {
            raw: b"GET /old\r\nX: y",
            line: ("GET", "/old", ""),
            headers: &[("X", "y")],
            body: b"",
        },
        // Control bytes in a header name are kept.
        Case {
            raw: b"POST /post HTTP/1.1\r\nContent\x7f-Disposition: x\r\nContent-Length: 1\r\n\r\nz",
            line: ("POST", "/post", "HTTP/1.1"),
            headers: &[("Content\x7f-Disposition", "x"), ("Content-Length", "1")],
            body: b"z",
        },
        // Malformed chunks: the body is kept as sent.
        Case {
            raw: b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
            line: ("POST", "/", "HTTP/1.1"),
            headers: &[("Transfer-Encoding", "chunked")],
            body: b"zz\r\n",
        },
    ];
    for case in cases {
        let request = request::parse_raw(case.raw);
        let what = String::from_utf8_lossy(case.raw);
        assert_eq!(
            (
                request.method.as_str(),
                request.uri.as_str(),
                request.protocol.as_str()
            ),
            case.line,
            "{what}"
        );
        assert_eq!(headers(&request), pairs(case.headers), "{what}");
        assert_eq!(&request.body[..], case.body, "{what}");
        assert_eq!(request.wire, case.raw, "{what}");
    }
    // A request line that is not UTF-8 is replaced, with a note.
    let request = request::parse_raw(b"G\xffT / HTTP/1.1\r\n\r\n");
    assert_eq!(request.method, "G\u{fffd}T");
    assert!(request.notes.iter().any(|n| n.contains("not UTF-8")));
}

#[test]
fn unbuildable_stages_say_why() {
    for (yaml, why) in [
        ("encoded_request: '!!!'", "not valid base64"),
        (
            "{encoded_request: 'R0VUIC8=', data: x}",
            "must not be set simultaneously",
        ),
        ("data: '{{ .Payload }}'", "template action"),
        ("data: '{{ \"a\" '", "unclosed template action"),
        ("uris: [/a, /b]", "`uris`"),
        ("save_cookie: true", "save_cookie"),
    ] {
        let error = request::build(&input(yaml)).expect_err(yaml);
        assert!(error.to_string().contains(why), "{yaml}: {error}");
    }
}

#[test]
fn the_reflect_backend_answers_as_described() {
    let reflect = |body: &str| {
        build(&format!(
            "{{method: POST, uri: /reflect, headers: {{Content-Type: application/json}}, data: '{body}'}}"
        ))
    };
    let response = backend::respond(&reflect(
        r#"{"status": 500, "headers": {"x-leak": "1"}, "body": "<html> ORA-00933"}"#,
    ));
    assert_eq!(response.status, 500);
    assert_eq!(
        response.headers,
        pairs(&[
            ("Content-Length", "16"),
            ("Content-Type", "text/html; charset=utf-8"),
            ("X-Leak", "1")
        ])
    );
    assert_eq!(response.body, b"<html> ORA-00933");

    let response = backend::respond(&reflect(r#"{"encodedBody": "c2VjcmV0"}"#));
    assert_eq!((response.status, &response.body[..]), (200, &b"secret"[..]));

    let response = backend::respond(&reflect("not json"));
    assert_eq!(response.status, 400);
    let response = backend::respond(&reflect(r#"{"status": 42}"#));
    assert_eq!(
        (response.status, &response.body[..]),
        (400, &b"Invalid status code: 42"[..])
    );

    // Any other request: 200, empty.
    let response = backend::respond(&build("uri: /reflect"));
    assert_eq!((response.status, response.body.len()), (200, 0));
}

#[test]
fn override_files_name_rules_and_tests() {
    let path = Path::new("overrides.yaml");
    let overrides = Overrides::from_yaml(
        "- {rule_id: 951110, reason: no responses}\n\
         - {test_id: 920100-2, reason: Apache}\n\
         - {rule_id: 920430, test_ids: [5, 8], reason: HTTP/0.9}\n",
        path,
    )
    .expect("valid overrides");
    assert_eq!(overrides.reason(951110, 7), Some("no responses"));
    assert_eq!(overrides.reason(920100, 2), Some("Apache"));
    assert_eq!(overrides.reason(920100, 3), None);
    assert_eq!(overrides.reason(920430, 8), Some("HTTP/0.9"));

    // Upstream's platform override format.
    let upstream = Overrides::from_yaml(
        "version: v0\nmeta: {engine: x}\ntest_overrides:\n  - rule_id: 920100\n    \
         test_ids: [4]\n    reason: '404'\n    output: {status: 404}\n",
        path,
    )
    .expect("upstream format");
    assert_eq!(upstream.reason(920100, 4), Some("404"));

    for (text, why) in [
        ("- {rule_id: 1}", "needs a reason"),
        ("- {test_id: 2, reason: r}", "needs a rule_id"),
        (
            "- {test_id: x-y, reason: r}",
            "neither a number nor RULE-TEST",
        ),
        ("- {rule: 1, reason: r}", "unknown field"),
    ] {
        let error = Overrides::from_yaml(text, path).expect_err(text);
        assert!(error.to_string().contains(why), "{text}: {error}");
    }
}

/// The rules of the end-to-end test: only what the engine supports today.
const RULES: &str = r#"
SecRule ARGS "@rx (?i)<script" "id:1001,phase:2,deny,status:403,msg:'Script tag'"
SecRule REQUEST_HEADERS:User-Agent "@pm nikto sqlmap" "id:1002,phase:1,block,severity:CRITICAL,msg:'Scanner'"
SecRule ARGS "@detectSQLi" "id:1003,phase:2,block,severity:CRITICAL,msg:'SQL injection'"
SecRule REQUEST_METHOD "@rx ^POST$" "id:1004,phase:1,pass,severity:NOTICE,msg:'POST without Content-Type',chain"
    SecRule &REQUEST_HEADERS:Content-Type "@eq 0" "t:none"
SecResponseBodyAccess On
SecRule RESPONSE_BODY "@contains OLE DB Provider" "id:951110,phase:4,pass,msg:'SQL error leak'"
SecRule RESPONSE_STATUS "@streq 503" "id:951111,phase:3,deny,status:502,msg:'Hide 503'"
"#;

const TESTS_1001: &str = r#"
meta: {author: test}
rule_id: 1001
tests:
  - test_id: 1
    desc: script tag in the query
    stages:
      - input: {uri: "/?q=%3Cscript%3E", headers: {Host: localhost}}
        output: {log: {expect_ids: [1001]}}
  - test_id: 2
    desc: benign query
    stages:
      - input: {uri: "/?q=hello", headers: {Host: localhost}}
        output: {log: {no_expect_ids: [1001]}}
  - test_id: 3
    desc: expects a match that cannot happen
    stages:
      - input: {uri: "/?q=hello", headers: {Host: localhost}}
        output: {log: {expect_ids: [1001]}}
  - test_id: 4
    desc: status only
    stages:
      - input: {method: POST, headers: {Host: localhost}, data: "q=<script>"}
        output: {status: 403}
  - test_id: 5
    desc: raw request
    stages:
      - input:
          encoded_request: "R0VUIC8/cT0lM0NzY3JpcHQlM0UgSFRUUC8xLjENCkhvc3Q6IGxvY2FsaG9zdA0KDQo="
        output: {log: {expect_ids: [1001]}}
"#;

const TESTS_1002: &str = r#"
rule_id: 1002
tests:
  - test_id: 1
    stages:
      - input: {headers: {Host: localhost, User-Agent: "Mozilla/5.0 Nikto"}}
        output: {log: {expect_ids: [1002], no_expect_ids: [1001]}}
  - test_id: 2
    desc: known failure, listed in the override file
    stages:
      - input: {headers: {Host: localhost, User-Agent: curl}}
        output: {log: {expect_ids: [1002]}}
"#;

const TESTS_1003: &str = r#"
rule_id: 1003
tests:
  - test_id: 1
    desc: SQL injection in a form body given as lines
    stages:
      - input:
          method: POST
          headers: {Host: localhost, Content-Type: text/plain}
          data: ["ignored", "line"]
        output: {log: {no_expect_ids: [1003]}}
      - input:
          method: POST
          headers: {Host: localhost}
          data: "id=1' OR '1'='1"
        output: {log: {expect_ids: [1003]}, status: 200}
  - test_id: 2
    desc: wrongly expects no SQL injection
    stages:
      - input: {uri: "/?id=1%27%20OR%20%271%27%3D%271", headers: {Host: localhost}}
        output: {log: {no_expect_ids: [1003]}}
"#;

const TESTS_1004: &str = r#"
rule_id: 1004
tests:
  - test_id: 1
    desc: POST without a body has no Content-Type
    stages:
      - input: {method: POST, headers: {Host: localhost}}
        output: {log: {expect_ids: [1004]}}
  - test_id: 2
    desc: a form POST has one
    stages:
      - input: {method: POST, headers: {Host: localhost}, data: "a=b"}
        output: {log: {no_expect_ids: [1004]}}
"#;

/// Response-phase tests: the emulated `/reflect` backend's answer goes through phases
/// 3 and 4; a response rule's `deny` replaces the status the client gets.
const TESTS_951110: &str = r#"
rule_id: 951110
tests:
  - test_id: 1
    stages:
      - input:
          method: POST
          uri: /reflect
          headers: {Host: localhost, Content-Type: application/json}
          data: '{"body": "Microsoft OLE DB Provider for SQL Server", "headers": {"Content-Type": "text/html"}}'
        output: {log: {expect_ids: [951110]}}
  - test_id: 2
    desc: text/html is inspected, image/png is not
    stages:
      - input:
          method: POST
          uri: /reflect
          headers: {Host: localhost, Content-Type: application/json}
          data: '{"body": "Microsoft OLE DB Provider for SQL Server", "headers": {"Content-Type": "image/png"}}'
        output: {log: {expect_ids: [951110]}}
  - test_id: 3
    stages:
      - input:
          method: POST
          uri: /reflect
          headers: {Host: localhost, Content-Type: application/json}
          data: '{"status": 503}'
        output: {status: 502}
"#;

const OVERRIDES: &str = r#"
- test_id: 1002-2
  reason: "curl is no scanner; kept to show overrides"
"#;

/// A scratch directory with the rule file, the tests and the overrides.
struct Suite {
    dir: tempfile::TempDir,
}

impl Suite {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let tests = dir.path().join("tests/nested");
        std::fs::create_dir_all(&tests).expect("test directory");
        for (name, text) in [
            ("1001.yaml", TESTS_1001),
            ("1002.yml", TESTS_1002),
            ("1003.yaml", TESTS_1003),
            ("nested/1004.yaml", TESTS_1004),
            ("951110.yaml", TESTS_951110),
            ("README.md", "not a test file"),
        ] {
            std::fs::write(dir.path().join("tests").join(name), text).expect("test file");
        }
        std::fs::write(dir.path().join("rules.conf"), RULES).expect("rule file");
        std::fs::write(dir.path().join("overrides.yaml"), OVERRIDES).expect("override file");
        Self { dir }
    }

    fn path(&self, name: &str) -> String {
        self.dir.path().join(name).display().to_string()
    }

    fn run(&self, extra: &[&str]) -> Output {
        let mut command = Command::new(env!("CARGO_BIN_EXE_waf"));
        command.args(["rules", "test", &self.path("tests")]);
        command.args(extra);
        command.output().expect("the waf binary runs")
    }
}

fn stdout_lines(output: &Output) -> Vec<String> {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn rules_test_reports_failures_overrides_and_a_summary() {
    let suite = Suite::new();
    let rules = suite.path("rules.conf");
    let overrides = suite.path("overrides.yaml");
    let output = suite.run(&["--rules", &rules, "--overrides", &overrides]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "stderr: {stderr}");
    assert_eq!(
        stdout_lines(&output),
        [
            "1001 3: expected [1001] not matched; matched []",
            "1003 2: unexpected [1003]; matched [1003]",
            "951110 2: expected [951110] not matched; matched []",
            "1002 2: overridden: curl is no scanner; kept to show overrides",
            "10 passed, 3 failed, 1 skipped",
        ],
        "stderr: {stderr}"
    );
    assert!(stderr.contains("3 of 14 tests failed"), "{stderr}");
}

#[test]
fn rules_test_passes_when_the_selected_tests_pass() {
    let suite = Suite::new();
    let rules = suite.path("rules.conf");
    let output = suite.run(&["--rules", &rules, "--filter", "^100[24]-1$", "--verbose"]);
    assert_eq!(output.status.code(), Some(0));
    let lines = stdout_lines(&output);
    assert_eq!(lines.last().map(String::as_str), Some("2 passed, 0 failed"));
    assert!(
        lines.iter().any(|l| l.starts_with("PASS 1002-1")),
        "{lines:#?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("log: ModSecurity: Warning. [id \"1002\"]")),
        "{lines:#?}"
    );

    // A filter that is no regex is a substring.
    let output = suite.run(&["--rules", &rules, "--filter", "1004-("]);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(stdout_lines(&output), ["0 passed, 0 failed"]);
}

#[test]
fn rules_the_engine_cannot_compile_exit_2_with_the_place() {
    let suite = Suite::new();
    let rules = suite.dir.path().join("unsupported.conf");
    std::fs::write(
        &rules,
        "SecRule ARGS \"@rx a\" \"id:1,deny\"\nSecAction \"id:2,pass,exec:/bin/true\"\n",
    )
    .expect("rule file");
    let output = suite.run(&["--rules", &rules.display().to_string()]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!("{}:2:", rules.display())),
        "{stderr}"
    );
    assert!(output.stdout.is_empty());

    // A test directory that does not load is a usage error too.
    let bad = suite.dir.path().join("bad-tests");
    std::fs::create_dir_all(&bad).expect("directory");
    std::fs::write(bad.join("1.yaml"), "tests: [ {").expect("test file");
    let output = Command::new(env!("CARGO_BIN_EXE_waf"))
        .args([
            "rules",
            "test",
            &bad.display().to_string(),
            "--rules",
            "builtin",
        ])
        .output()
        .expect("the waf binary runs");
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("1.yaml"));
}

/// The CRS snapshot's regression suite: this many tests in this many files (README).
const CRS_TESTS: usize = 5082;

#[test]
fn every_crs_regression_test_loads_and_builds() {
    let crs = std::env::var_os("WAF_CRS_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/crs"),
        PathBuf::from,
    );
    let dir = crs.join("tests/regression/tests");
    if !dir.is_dir() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{} is absent; CI=true requires it (set WAF_CRS_DIR)",
            dir.display()
        );
        eprintln!(
            "skipping the CRS load test: {} is absent (set WAF_CRS_DIR)",
            dir.display()
        );
        return;
    }
    let files = test_file::load_dir(&dir).unwrap_or_else(|e| panic!("{e}"));
    let mut tests = 0;
    let mut stages = 0;
    let mut errors = Vec::new();
    for file in &files {
        for test in &file.tests {
            tests += 1;
            for (index, stage) in test.stages.iter().enumerate() {
                stages += 1;
                if let Err(e) = request::build(&stage.input) {
                    errors.push(format!("{} stage {}: {e}", test.id_string(), index + 1));
                }
            }
        }
    }
    println!("{tests} tests, {stages} stages loaded");
    assert!(
        errors.is_empty(),
        "{} stages do not build:\n{}",
        errors.len(),
        errors.join("\n")
    );
    assert_eq!(
        tests, CRS_TESTS,
        "the snapshot's README counts {CRS_TESTS} tests"
    );
}
