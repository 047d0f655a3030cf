//! Running go-ftw tests against an engine.
//!
//! Each stage's request is built ([`request::build`]) and inspected ([`Waf::begin`]);
//! the emulated backend's answer ([`backend::respond`]) goes through the response and
//! logging phases; then the stage is checked against what all phases matched:
//!
//! * every id of `log.expect_ids` must be among the ids of the verdict's matches, and
//!   none of `log.no_expect_ids`;
//! * `log.match_regex` / `log.no_match_regex` are matched against an emulated log: one
//!   line per match in the style of ModSecurity's error log,
//!   `ModSecurity: Warning. [id "942100"] [msg "…"] [data "…"] [severity "CRITICAL"]
//!   [tag "…"]`, with the rule's expanded `msg` and `logdata` (else `Matched Data: …
//!   found within ARGS:x: …`), so that the common `no_match_regex: \[id "\d+"\]`
//!   ("nothing matched") and `found within ARGS:x` patterns work; patterns about other
//!   log text (body parser errors) fail;
//! * `status`, when the stage expects nothing of the log, is compared with the status
//!   the client would get: the middleware's ([`waf_core::Action::status`]) when the
//!   engine stops the request or its response, else the emulated backend's ([`backend::respond`]: 200, or what a
//!   `/reflect` request asks for), or 400 when the web server in front of the WAF
//!   refuses the request itself ([`frontend`]);
//! * `isolated` means exactly one distinct rule matched.
//!
//! A test passes when all its stages do. Tests listed in an [`Overrides`] file still run,
//! but count as skipped ("overridden") with their reason, whatever their result.

use crate::ftw::backend::{self, BackendResponse};
use crate::ftw::frontend;
use crate::ftw::report::{Outcome, Report, StageResult, TestResult};
use crate::ftw::request::{self, BuiltRequest};
use crate::ftw::test_file::{LoadError, Stage, Test, TestFile};
use regex::Regex;
use serde::Deserialize;
use std::path::Path;
use waf_core::request::RequestView;
use waf_core::response::ResponseView;
use waf_core::{RuleMatch, Verdict, Waf};

/// Which tests run and which failures are known.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Only tests whose `RULE-TEST` id this selects run; the others are not counted.
    pub filter: Option<Filter>,
    /// Known failures.
    pub overrides: Overrides,
}

/// A selection of tests by their `RULE-TEST` id (`920100-2`).
#[derive(Debug, Clone)]
pub enum Filter {
    /// Ids this regex finds a match in.
    Regex(Regex),
    /// Ids containing this text (for a filter that is not a valid regex).
    Substring(String),
}

impl Filter {
    /// A regex when `text` is one, else a substring.
    pub fn new(text: &str) -> Self {
        match Regex::new(text) {
            Ok(regex) => Self::Regex(regex),
            Err(_) => Self::Substring(text.to_owned()),
        }
    }

    /// Whether the test with go-ftw id `id` (`920100-2`) is selected.
    pub fn selects(&self, id: &str) -> bool {
        match self {
            Self::Regex(regex) => regex.is_match(id),
            Self::Substring(text) => id.contains(text.as_str()),
        }
    }
}

/// Known failures: tests reported as "overridden" (skipped, with a reason) instead of
/// failed.
///
/// The file is YAML, a list of entries:
///
/// ```yaml
/// - rule_id: 951110          # every test of rule 951110
///   reason: "response inspection not implemented"
/// - test_id: 920100-2        # one test, as RULE-TEST
///   reason: "Apache answers 400 before the WAF runs"
/// - rule_id: 920430
///   test_ids: [5, 8]         # or test_id: 5
///   reason: "…"
/// ```
///
/// Upstream's platform override files (a map whose `test_overrides` list has entries of
/// `rule_id`, `test_ids`, `reason` and `output`) are read too; their `output`
/// replacement expectations are not applied: the tests are reported as overridden.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    entries: Vec<Override>,
}

/// One override entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Override {
    /// The rule whose tests it covers.
    pub rule_id: u32,
    /// The tests covered; empty for all of the rule's tests.
    pub test_ids: Vec<u32>,
    /// Why the tests are known to fail.
    pub reason: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOverride {
    #[serde(default)]
    rule_id: Option<u32>,
    #[serde(default)]
    test_id: Option<TestIdSpec>,
    #[serde(default)]
    test_ids: Option<Vec<u32>>,
    #[serde(default)]
    reason: Option<String>,
    /// Upstream's replacement expectations: accepted, not applied.
    #[serde(default, rename = "output")]
    _output: Option<serde::de::IgnoredAny>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum TestIdSpec {
    Number(u32),
    Full(String),
}

impl Overrides {
    /// The overrides in `text`; `path` names the file in errors.
    pub fn from_yaml(text: &str, path: &Path) -> Result<Self, LoadError> {
        let error = |message: String| LoadError {
            path: path.to_owned(),
            message,
        };
        let value: serde_yaml_ng::Value =
            serde_yaml_ng::from_str(text).map_err(|e| error(e.to_string()))?;
        let list = match value {
            serde_yaml_ng::Value::Null => return Ok(Self::default()),
            serde_yaml_ng::Value::Mapping(mut map) => {
                map.remove("test_overrides").ok_or_else(|| {
                    error("expected a list of overrides, or a map with `test_overrides`".into())
                })?
            }
            list => list,
        };
        let raw: Vec<RawOverride> =
            serde_yaml_ng::from_value(list).map_err(|e| error(e.to_string()))?;
        let entries = raw
            .into_iter()
            .enumerate()
            .map(|(index, entry)| {
                resolve(entry).map_err(|m| error(format!("override {}: {m}", index + 1)))
            })
            .collect::<Result<_, _>>()?;
        Ok(Self { entries })
    }

    /// Reads an override file.
    pub fn load(path: &Path) -> Result<Self, LoadError> {
        let text = std::fs::read_to_string(path).map_err(|e| LoadError {
            path: path.to_owned(),
            message: format!("cannot read: {e}"),
        })?;
        Self::from_yaml(&text, path)
    }

    /// The reason test `test_id` of rule `rule_id` is known to fail, if it is.
    pub fn reason(&self, rule_id: u32, test_id: u32) -> Option<&str> {
        self.entries
            .iter()
            .find(|o| {
                o.rule_id == rule_id && (o.test_ids.is_empty() || o.test_ids.contains(&test_id))
            })
            .map(|o| o.reason.as_str())
    }
}

fn resolve(raw: RawOverride) -> Result<Override, String> {
    let reason = raw
        .reason
        .filter(|r| !r.trim().is_empty())
        .ok_or("needs a reason")?;
    let (rule_id, mut test_ids) = match (raw.rule_id, raw.test_id) {
        (rule, Some(TestIdSpec::Full(full))) => {
            let (r, t) = full
                .split_once('-')
                .and_then(|(r, t)| {
                    Some((r.trim().parse::<u32>().ok()?, t.trim().parse::<u32>().ok()?))
                })
                .ok_or_else(|| format!("test_id {full:?} is neither a number nor RULE-TEST"))?;
            if rule.is_some_and(|rule| rule != r) {
                return Err(format!(
                    "test_id {full:?} belongs to another rule than rule_id"
                ));
            }
            (r, vec![t])
        }
        (Some(rule), Some(TestIdSpec::Number(t))) => (rule, vec![t]),
        (Some(rule), None) => (rule, Vec::new()),
        (None, Some(TestIdSpec::Number(t))) => {
            return Err(format!(
                "test_id {t} needs a rule_id (or write it as RULE-TEST)"
            ));
        }
        (None, None) => return Err("needs a rule_id or a test_id".into()),
    };
    if let Some(ids) = raw.test_ids {
        if ids.is_empty() {
            return Err("test_ids is empty; leave it out to cover every test of the rule".into());
        }
        test_ids.extend(ids);
    }
    Ok(Override {
        rule_id,
        test_ids,
        reason,
    })
}

/// Runs every selected test of `files` against `waf`.
pub fn run(waf: &Waf, files: &[TestFile], options: &Options) -> Report {
    let mut tests = Vec::new();
    for file in files {
        for test in &file.tests {
            let id = test.id_string();
            if options.filter.as_ref().is_some_and(|f| !f.selects(&id)) {
                continue;
            }
            tests.push(run_test(waf, file, test, &options.overrides));
        }
    }
    Report { tests }
}

fn run_test(waf: &Waf, file: &TestFile, test: &Test, overrides: &Overrides) -> TestResult {
    let stages: Vec<StageResult> = test.stages.iter().map(|s| run_stage(waf, s)).collect();
    let passes = stages.iter().all(|s| s.problems.is_empty());
    let outcome = match overrides.reason(test.rule_id, test.test_id) {
        Some(reason) => Outcome::Overridden {
            reason: reason.to_owned(),
            passes,
        },
        None if passes => Outcome::Passed,
        None => Outcome::Failed,
    };
    TestResult {
        file: file.path.clone(),
        rule_id: test.rule_id,
        test_id: test.test_id,
        desc: test.desc.clone(),
        stages,
        outcome,
    }
}

/// Builds, inspects and checks one stage: the request phases, then the emulated
/// backend's response through the response phases, then the logging phase.
pub fn run_stage(waf: &Waf, stage: &Stage) -> StageResult {
    let expected = stage.output.effective_log();
    let mut built = match request::build(&stage.input) {
        Ok(built) => built,
        Err(e) => {
            return StageResult {
                problems: vec![format!("cannot build the request: {e}")],
                request: Err(e),
                matched: Vec::new(),
                status: None,
                response: None,
                log: String::new(),
                reflects: false,
            };
        }
    };
    // The front server answers some requests itself; the WAF never sees those.
    if let Some(reason) = frontend::refusal(&built) {
        built
            .notes
            .push(format!("the front web server answers 400: {reason}"));
        let problems = check(stage, &expected, &[], "", Some(400));
        return StageResult {
            reflects: is_reflect(&built),
            request: Ok(built),
            matched: Vec::new(),
            status: Some(400),
            response: None,
            log: String::new(),
            problems,
        };
    }
    let http09 = frontend::is_http09(&built);
    frontend::hand_on(&mut built);
    let view = RequestView::from_raw(built.raw(), &waf.limits());
    let mut exchange = waf.begin(view);
    let mut verdicts = vec![exchange.request_verdict().clone()];
    let response = backend::respond(&built);
    let response_view = ResponseView::new(
        response.status,
        "HTTP/1.1",
        response.headers.clone(),
        response.body.clone(),
    );
    verdicts.push(exchange.inspect_response(&response_view));
    verdicts.push(exchange.finish(Some(&response_view)));
    let mut matched: Vec<u32> = Vec::new();
    for id in verdicts.iter().flat_map(|v| v.rule_ids()) {
        if !matched.contains(&id) {
            matched.push(id);
        }
    }
    let log: String = verdicts
        .iter()
        .flat_map(|v| &v.matches)
        .map(log_line)
        .collect();
    // An HTTP/0.9 answer is the body alone, which an HTTP/1 client cannot read.
    let status = (!http09).then(|| client_status(&verdicts, &response));
    let problems = check(stage, &expected, &matched, &log, status);
    StageResult {
        reflects: is_reflect(&built),
        request: Ok(built),
        matched,
        status,
        response: Some(response),
        log,
        problems,
    }
}

/// What the client gets: the middleware's answer when the engine stops the request, the
/// backend's otherwise.
fn client_status(verdicts: &[Verdict], response: &BackendResponse) -> u16 {
    verdicts
        .iter()
        .find_map(|v| v.action.status())
        .unwrap_or(response.status)
}

/// Checks a stage's expectations; `status` is `None` when the client reads no HTTP
/// answer at all (an HTTP/0.9 answer has no status line).
fn check(
    stage: &Stage,
    expected: &crate::ftw::test_file::LogExpectation,
    matched: &[u32],
    log: &str,
    status: Option<u16>,
) -> Vec<String> {
    let mut problems = Vec::new();
    let missing: Vec<u32> = expected
        .expect_ids
        .iter()
        .copied()
        .filter(|id| !matched.contains(id))
        .collect();
    if !missing.is_empty() {
        problems.push(format!("expected {} not matched", id_list(&missing)));
    }
    let unexpected: Vec<u32> = expected
        .no_expect_ids
        .iter()
        .copied()
        .filter(|id| matched.contains(id))
        .collect();
    if !unexpected.is_empty() {
        problems.push(format!("unexpected {}", id_list(&unexpected)));
    }
    for (pattern, wanted) in [
        (&expected.match_regex, true),
        (&expected.no_match_regex, false),
    ] {
        let Some(pattern) = pattern else { continue };
        match Regex::new(pattern) {
            Ok(regex) if regex.is_match(log) != wanted => problems.push(if wanted {
                format!("log does not match /{pattern}/")
            } else {
                format!("log matches /{pattern}/")
            }),
            Ok(_) => {}
            Err(e) => problems.push(format!("/{pattern}/ is not a valid regex: {e}")),
        }
    }
    let output = &stage.output;
    if output.isolated == Some(true) {
        if expected.expect_ids.len() != 1 {
            problems.push("`isolated` needs exactly one id in expect_ids".into());
        } else if matched.len() != 1 {
            problems.push(format!("isolated, but {} rules matched", matched.len()));
        }
    }
    let expects_error = output.expect_error == Some(true);
    match (
        status,
        output.status.as_ref().filter(|_| expected.is_empty()),
    ) {
        (Some(status), Some(want)) if !want.accepts(status) => {
            problems.push(format!("expected status {want}, got {status}"))
        }
        (None, Some(want)) if !expects_error => problems.push(format!(
            "expected status {want}, but the answer has no status line"
        )),
        _ => {}
    }
    if let (true, Some(status)) = (expects_error, status) {
        problems.push(format!(
            "expects the connection to fail (expect_error), but the client got status {status}"
        ));
    }
    if output.response_contains.is_some() {
        problems.push(
            "checks the response text (response_contains), which the harness does not emulate"
                .into(),
        );
    }
    problems
}

/// `[1, 2]`.
pub fn id_list(ids: &[u32]) -> String {
    let ids: Vec<String> = ids.iter().map(u32::to_string).collect();
    format!("[{}]", ids.join(", "))
}

/// One ModSecurity-style error-log line for `m`, ending in a line break.
fn log_line(m: &RuleMatch) -> String {
    // As ModSecurity escapes log text: quotes and backslashes escaped, control
    // characters as `\xHH`, so that one match stays one line.
    let quote = |text: &str| {
        let mut out = String::with_capacity(text.len());
        for c in text.chars() {
            match c {
                '\\' => out.push_str("\\\\"),
                '"' => out.push_str("\\\""),
                c if c.is_ascii_control() => out.push_str(&format!("\\x{:02x}", c as u32)),
                c => out.push(c),
            }
        }
        out
    };
    let data = m.data.clone().unwrap_or_else(|| {
        format!(
            "Matched Data: {} found within {}: {}",
            m.value, m.variable, m.value
        )
    });
    let mut line = format!(
        "ModSecurity: Warning. [id \"{}\"] [msg \"{}\"] [data \"{}\"] [severity \"{}\"]",
        m.rule_id,
        quote(&m.message),
        quote(&data),
        m.severity.name(),
    );
    for tag in m.tags.iter() {
        line.push_str(&format!(" [tag \"{}\"]", quote(tag)));
    }
    line.push('\n');
    line
}

/// Whether a built request goes to the `/reflect` endpoint.
fn is_reflect(request: &BuiltRequest) -> bool {
    matches!(request.path(), "/reflect" | "/reflect/")
}
