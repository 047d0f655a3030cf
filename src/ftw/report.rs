//! The outcome of a run, and its text.
//!
//! [`Report::render`] writes, in order: with `verbose`, one line per test (`PASS`,
//! `FAIL` or `OVERRIDDEN`, its `RULE-TEST` id and description) and the details of each
//! stage; one line per failed stage,
//!
//! ```text
//! 920100 2: expected [920100] not matched; matched [920170]
//! 920100 3: stage 2: unexpected [920100]; matched [920100, 949110]
//! ```
//!
//! one line per overridden test with its reason, and last the summary,
//! `N passed, M failed` followed by `, K skipped` when tests were overridden.

use crate::ftw::backend::BackendResponse;
use crate::ftw::request::{BuildError, BuiltRequest};
use crate::ftw::run::id_list;
use std::fmt::Write as _;
use std::path::PathBuf;

/// Every test that ran, in file and test order.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// The tests.
    pub tests: Vec<TestResult>,
}

/// One test's outcome.
#[derive(Debug, Clone)]
pub struct TestResult {
    /// The file it came from.
    pub file: PathBuf,
    /// The rule it is about.
    pub rule_id: u32,
    /// Its id within the rule.
    pub test_id: u32,
    /// Its description.
    pub desc: Option<String>,
    /// One result per stage.
    pub stages: Vec<StageResult>,
    /// Passed, failed or overridden.
    pub outcome: Outcome,
}

/// How a test ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Every stage met its expectations.
    Passed,
    /// Some stage did not.
    Failed,
    /// Listed as a known failure: counted as skipped.
    Overridden {
        /// The override's reason.
        reason: String,
        /// Whether the test passed all the same (then the override can go).
        passes: bool,
    },
}

/// One stage's outcome.
#[derive(Debug, Clone)]
pub struct StageResult {
    /// The request, or why it could not be built.
    pub request: Result<BuiltRequest, BuildError>,
    /// The ids of the rules that matched, each once, in evaluation order.
    pub matched: Vec<u32>,
    /// The status the client would get (none when the request could not be built).
    pub status: Option<u16>,
    /// What the emulated backend answers the request: what the response phases
    /// inspect.
    pub response: Option<BackendResponse>,
    /// The emulated WAF log (see [`crate::ftw::run`]).
    pub log: String,
    /// Unmet expectations; empty when the stage passed.
    pub problems: Vec<String>,
    /// The request goes to `/reflect`: the backend answers what it describes.
    pub reflects: bool,
}

impl Report {
    /// Tests that passed.
    pub fn passed(&self) -> usize {
        self.count(|o| *o == Outcome::Passed)
    }

    /// Tests that failed (overridden ones not counted).
    pub fn failed(&self) -> usize {
        self.count(|o| *o == Outcome::Failed)
    }

    /// Tests overridden as known failures.
    pub fn skipped(&self) -> usize {
        self.count(|o| matches!(o, Outcome::Overridden { .. }))
    }

    fn count(&self, which: impl Fn(&Outcome) -> bool) -> usize {
        self.tests.iter().filter(|t| which(&t.outcome)).count()
    }

    /// `N passed, M failed`, with `, K skipped` when tests were overridden.
    pub fn summary_line(&self) -> String {
        let mut line = format!("{} passed, {} failed", self.passed(), self.failed());
        if self.skipped() > 0 {
            line.push_str(&format!(", {} skipped", self.skipped()));
        }
        line
    }

    /// One line per failed stage of the failed tests.
    pub fn failure_lines(&self) -> Vec<String> {
        self.tests
            .iter()
            .filter(|t| t.outcome == Outcome::Failed)
            .flat_map(TestResult::problem_lines)
            .collect()
    }

    /// One line per overridden test: `RULE TEST: overridden: REASON`.
    pub fn overridden_lines(&self) -> Vec<String> {
        self.tests
            .iter()
            .filter_map(|t| match &t.outcome {
                Outcome::Overridden { reason, passes } => Some(format!(
                    "{} {}: overridden: {reason}{}",
                    t.rule_id,
                    t.test_id,
                    if *passes {
                        " (it passes now: the override can go)"
                    } else {
                        ""
                    }
                )),
                _ => None,
            })
            .collect()
    }

    /// The whole report; the summary line is the last line.
    pub fn render(&self, verbose: bool) -> String {
        let mut out = String::new();
        if verbose {
            for test in &self.tests {
                test.write_details(&mut out);
            }
        }
        for line in self.failure_lines().iter().chain(&self.overridden_lines()) {
            out.push_str(line);
            out.push('\n');
        }
        out.push_str(&self.summary_line());
        out.push('\n');
        out
    }
}

impl TestResult {
    /// `RULE-TEST`.
    pub fn id_string(&self) -> String {
        format!("{}-{}", self.rule_id, self.test_id)
    }

    /// One line per stage with problems.
    fn problem_lines(&self) -> Vec<String> {
        let several = self.stages.len() > 1;
        self.stages
            .iter()
            .enumerate()
            .filter(|(_, s)| !s.problems.is_empty())
            .map(|(index, stage)| {
                let mut line = format!("{} {}: ", self.rule_id, self.test_id);
                if several {
                    line.push_str(&format!("stage {}: ", index + 1));
                }
                line.push_str(&stage.problems.join(", "));
                line.push_str(&format!("; matched {}", id_list(&stage.matched)));
                line
            })
            .collect()
    }

    fn write_details(&self, out: &mut String) {
        let label = match self.outcome {
            Outcome::Passed => "PASS",
            Outcome::Failed => "FAIL",
            Outcome::Overridden { .. } => "OVERRIDDEN",
        };
        // `write!` to a `String` cannot fail.
        let _ = write!(out, "{label} {}", self.id_string());
        if let Some(desc) = self
            .desc
            .as_deref()
            .map(str::trim)
            .filter(|d| !d.is_empty())
        {
            let first = desc.lines().next().unwrap_or_default();
            let _ = write!(out, " {first}");
        }
        let _ = writeln!(out, "  ({})", self.file.display());
        for (index, stage) in self.stages.iter().enumerate() {
            let _ = write!(out, "  stage {}: ", index + 1);
            match &stage.request {
                Ok(request) => {
                    let _ = write!(
                        out,
                        "{} {} {} ({} body bytes)",
                        request.method,
                        request.uri,
                        request.protocol,
                        request.body.len()
                    );
                }
                Err(e) => {
                    let _ = write!(out, "request not built: {e}");
                }
            }
            if let Some(status) = stage.status {
                let _ = write!(out, " -> status {status}");
            }
            let _ = writeln!(out, ", matched {}", id_list(&stage.matched));
            if let Ok(request) = &stage.request {
                for note in &request.notes {
                    let _ = writeln!(out, "    note: {note}");
                }
            }
            for line in stage.log.lines() {
                let _ = writeln!(out, "    log: {line}");
            }
            if let Some(response) = stage.response.as_ref().filter(|_| stage.reflects) {
                let _ = writeln!(
                    out,
                    "    backend response: {} with {} headers, {} body bytes",
                    response.status,
                    response.headers.len(),
                    response.body.len()
                );
            }
            for problem in &stage.problems {
                let _ = writeln!(out, "    problem: {problem}");
            }
        }
    }
}
