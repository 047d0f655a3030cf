//! The evaluation IR: compiled rules, ready to run against a [`RequestView`](crate::request::RequestView)
//! and, through a [`Transaction`], its response.
//!
//! Rule languages lower into this IR: [`RuleSet::from_seclang`] compiles a parsed
//! SecLang file (see `waf_rules::seclang`). Parse → AST → compile → execute:
//!
//! ```
//! use std::net::Ipv4Addr;
//! use waf_core::request::{Limits, RawRequest, RequestView};
//! use waf_core::rule::RuleSet;
//!
//! // Parse.
//! let ast = waf_rules::seclang::parse(
//!     "mine.conf",
//!     r#"SecRule ARGS:q "@rx (?i)<script" "id:9001,phase:2,deny,status:403,msg:'XSS'""#,
//! )?;
//! // Compile.
//! let rules = RuleSet::from_seclang("mine", &ast)?;
//! // Execute.
//! let request = RequestView::from_raw(
//!     RawRequest {
//!         method: "GET",
//!         uri: "/search?q=%3CScript%3Ealert(1)",
//!         protocol: "HTTP/1.1",
//!         headers: vec![],
//!         body: Default::default(),
//!         client: Ipv4Addr::LOCALHOST.into(),
//!     },
//!     &Limits::default(),
//! );
//! let outcome = rules.evaluate(&request);
//! assert_eq!(outcome.matches[0].rule_id, 9001);
//! assert_eq!(outcome.matches[0].variable, "ARGS:q");
//! assert_eq!(outcome.deny_status, Some(403));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod action;
mod compile;
mod eval;
mod literals;
mod macros;
mod settings;
mod target;
mod transaction;

pub use action::{Ctl, Effect, SetOp, TagPattern, TargetSpec};
pub use eval::Outcome;
pub use macros::{MacroText, Reference};
pub use settings::Settings;
pub use target::{Collection, Selector, Target, Value};
pub use transaction::Transaction;

use compile::Item;

use crate::operator::Operator;
use crate::transform::Transform;
use std::sync::Arc;

/// How serious a rule says its match is (syslog levels, as ModSecurity uses them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// 0.
    Emergency,
    /// 1.
    Alert,
    /// 2.
    Critical,
    /// 3.
    Error,
    /// 4.
    Warning,
    /// 5.
    Notice,
    /// 6.
    Info,
    /// 7.
    Debug,
}

impl Severity {
    /// Reads `CRITICAL` or `2` and the like.
    pub fn parse(text: &str) -> Option<Self> {
        use Severity::*;
        Some(match text.trim().to_ascii_uppercase().as_str() {
            "EMERGENCY" | "0" => Emergency,
            "ALERT" | "1" => Alert,
            "CRITICAL" | "2" => Critical,
            "ERROR" | "3" => Error,
            "WARNING" | "4" => Warning,
            "NOTICE" | "5" => Notice,
            "INFO" | "6" => Info,
            "DEBUG" | "7" => Debug,
            _ => return None,
        })
    }

    /// The upper-case name.
    pub fn name(self) -> &'static str {
        use Severity::*;
        match self {
            Emergency => "EMERGENCY",
            Alert => "ALERT",
            Critical => "CRITICAL",
            Error => "ERROR",
            Warning => "WARNING",
            Notice => "NOTICE",
            Info => "INFO",
            Debug => "DEBUG",
        }
    }

    /// The inbound anomaly points a scoring rule of this severity adds, with the OWASP
    /// CRS defaults: critical (or worse) 5, error 4, warning 3, notice 2, else 0.
    pub fn anomaly_points(self) -> u32 {
        match self {
            Self::Emergency | Self::Alert | Self::Critical => 5,
            Self::Error => 4,
            Self::Warning => 3,
            Self::Notice => 2,
            Self::Info | Self::Debug => 0,
        }
    }
}

/// What a rule does when it (with its whole chain) matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disruptive {
    /// `pass`: go on with the next rule.
    Pass,
    /// `deny`: stop and answer with this status.
    Deny {
        /// The HTTP status (`status:` action; 403 by default).
        status: u16,
    },
    /// `drop`: stop and close the connection; answered like `deny` where a connection
    /// cannot be dropped.
    Drop {
        /// The status answered instead of dropping.
        status: u16,
    },
    /// `redirect`: stop and send the client elsewhere. The engine's answer is a block
    /// with this status; the target URL is not carried into the verdict.
    Redirect {
        /// 302 unless `status:` says otherwise.
        status: u16,
    },
    /// `allow`, `allow:phase`, `allow:request`: stop inspecting, and let it through.
    Allow(AllowScope),
}

impl Disruptive {
    /// The status answered when this action stops a transaction.
    pub fn status(self) -> Option<u16> {
        match self {
            Self::Deny { status } | Self::Drop { status } | Self::Redirect { status } => {
                Some(status)
            }
            Self::Pass | Self::Allow(_) => None,
        }
    }
}

/// What `allow` lets through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AllowScope {
    /// `allow`: the rest of the transaction (every later rule of phases 1–4).
    Transaction,
    /// `allow:request`: the rest of the request phases (1 and 2).
    Request,
    /// `allow:phase`: the rest of the current phase.
    Phase,
}

/// When a rule runs: ModSecurity's five phases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Phase {
    /// 1: request line and headers.
    RequestHeaders = 1,
    /// 2: request body (`phase:request`).
    RequestBody = 2,
    /// 3: response status and headers.
    ResponseHeaders = 3,
    /// 4: response body (`phase:response`).
    ResponseBody = 4,
    /// 5: logging, after the response is sent (`phase:logging`).
    Logging = 5,
}

impl Phase {
    /// All phases, in order.
    pub const ALL: [Phase; 5] = [
        Phase::RequestHeaders,
        Phase::RequestBody,
        Phase::ResponseHeaders,
        Phase::ResponseBody,
        Phase::Logging,
    ];

    /// Reads the value of a `phase:` action: `1`–`5`, `request`, `response` or
    /// `logging`.
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text.trim().to_ascii_lowercase().as_str() {
            "1" => Self::RequestHeaders,
            "2" | "request" => Self::RequestBody,
            "3" => Self::ResponseHeaders,
            "4" | "response" => Self::ResponseBody,
            "5" | "logging" => Self::Logging,
            _ => return None,
        })
    }

    /// 0 for phase 1, … 4 for phase 5.
    pub fn index(self) -> usize {
        self as usize - 1
    }
}

/// The test of a rule: an operator compiled once, or one whose argument holds macros
/// and is compiled after expansion, per transaction.
#[derive(Debug, Clone)]
pub enum RuleOperator {
    /// Compiled with the rules.
    Compiled(Operator),
    /// `@ge %{tx.inbound_anomaly_score_threshold}` and the like.
    Expanded {
        /// The operator name.
        name: String,
        /// The argument, with its references.
        argument: MacroText,
    },
}

/// One compiled rule.
#[derive(Debug, Clone)]
pub struct Rule {
    /// The rule id (0 for a chain link).
    pub id: u32,
    /// The phase it runs in.
    pub phase: Phase,
    /// `msg`, macros unexpanded (expanded in matches).
    pub message: MacroText,
    /// `logdata`, macros unexpanded.
    pub logdata: Option<MacroText>,
    /// `severity` (`Notice` when not given).
    pub severity: Severity,
    /// `tag`s.
    pub tags: Arc<[String]>,
    /// The values it reads; none for `SecAction`, which always matches.
    pub targets: Vec<Target>,
    /// `t:` transformations, in order.
    pub transforms: Vec<Transform>,
    /// The test.
    pub operator: RuleOperator,
    /// `!@`: the rule matches when the operator does not.
    pub negated: bool,
    /// `block`: the rule adds its severity's anomaly points to the outcome (the
    /// built-in scoring); what it does besides is its phase's default action.
    pub block: bool,
    /// What happens on a match: the rule's own disruptive action, else its phase's
    /// `SecDefaultAction` (`pass` when there is none).
    pub disruptive: Disruptive,
    /// Non-disruptive actions run when the rule and its chain match: `setvar`, `ctl`, …
    pub effects: Vec<Effect>,
    /// `capture`: a matching `@rx` fills `TX:0` … `TX:9`.
    pub capture: bool,
    /// `multiMatch`: the operator runs after every transformation, not only the last.
    pub multi_match: bool,
    /// `log` (the default) or `nolog`: whether a match is reported in the outcome.
    pub log: bool,
    /// `skip:N`: on a match, the next N rules (a chain counts once) do not run.
    pub skip: u32,
    /// `skipAfter:MARKER`: on a match, evaluation goes on after `SecMarker MARKER`.
    pub skip_after: Option<String>,
    /// The next rule of a `chain`: this rule matches only if it matches too. Chained
    /// rules carry no id, phase or disruptive action of their own.
    pub chain: Option<Box<Rule>>,
    /// This rule's transformation chain in [`RuleSet`]'s table, for the per-transaction
    /// cache.
    pub(crate) transform_chain: usize,
    /// Its bit in its chain's literal automaton, when it takes part (see `literals`).
    pub(crate) literal_slot: Option<usize>,
}

/// One step of a phase's program.
#[derive(Debug, Clone)]
pub(crate) enum Step {
    /// Run rule `rule` of [`RuleSet::rules`]; on a match with `skipAfter`, continue at
    /// step `skip_to`.
    Rule { rule: usize, skip_to: usize },
    /// A `SecMarker`: does nothing.
    Marker,
}

/// A compiled rule set: rules in evaluation order, the directives that configure the
/// engine, and the name of their source.
#[derive(Debug, Clone)]
pub struct RuleSet {
    source: Arc<str>,
    rules: Vec<Rule>,
    phases: [Vec<Step>; 5],
    settings: Settings,
    transform_chains: Vec<Vec<Transform>>,
    literals: literals::LiteralIndex,
}

impl RuleSet {
    /// A rule set from compiled rules; they run in phase order, then in the order given.
    pub fn new(source: &str, rules: Vec<Rule>) -> Self {
        compile::assemble(
            source,
            rules.into_iter().map(|r| Item::Rule(Box::new(r))).collect(),
            Settings::default(),
        )
    }

    /// Compiles a parsed SecLang file. `source` names the rule set in verdicts and logs
    /// (`builtin`, `CRS`, …). Errors name the file, line and problem. Operators that
    /// read data files (`@pmFromFile`) need [`RuleSet::from_source`].
    pub fn from_seclang(
        source: &str,
        file: &waf_rules::seclang::RuleFile,
    ) -> Result<Self, crate::Error> {
        compile::seclang(source, file, &|_, path| {
            Err(format!(
                "cannot read {path:?}: rules with data files need RuleSet::from_source"
            ))
        })
    }

    /// Compiles rules loaded with `waf_rules::load` (a file and its includes, or a
    /// whole CRS directory), with their data files.
    pub fn from_source(
        source: &str,
        loaded: &waf_rules::load::RuleSource,
    ) -> Result<Self, crate::Error> {
        compile::seclang(source, &loaded.rules, &|rule_file, path| {
            loaded
                .data_file(rule_file, path)
                .map(|text| text.as_bytes().to_vec())
                .ok_or_else(|| format!("data file {path:?} was not loaded"))
        })
    }

    /// The built-in default rules (see `waf_rules::builtin`).
    pub fn builtin() -> Self {
        // The built-in file is tested to compile; failing here is a build defect.
        Self::from_seclang(waf_rules::builtin::SOURCE, &waf_rules::builtin::parse())
            .expect("the built-in rules compile")
    }

    /// Where the rules come from.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The rules in evaluation order (phase by phase).
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// What the rule files configured besides rules (`SecRuleEngine`, body access and
    /// limits, …).
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Runs the request phases (1 and 2) against `request`.
    pub fn evaluate(&self, request: &crate::request::RequestView) -> Outcome {
        let mut transaction = Transaction::new(&crate::request::Limits::default());
        transaction.run_request(self, request);
        transaction.outcome()
    }

    pub(crate) fn steps(&self, phase: Phase) -> &[Step] {
        &self.phases[phase.index()]
    }

    pub(crate) fn transform_chain(&self, index: usize) -> &[Transform] {
        &self.transform_chains[index]
    }

    pub(crate) fn literal_index(&self) -> &literals::LiteralIndex {
        &self.literals
    }
}

#[cfg(test)]
mod tests;
