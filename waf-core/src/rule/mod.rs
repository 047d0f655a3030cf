//! The evaluation IR: compiled rules, ready to run against a [`RequestView`].
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

mod compile;
mod eval;
mod target;

pub use eval::Outcome;
pub use target::{Collection, Selector, Target, Value};

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

/// What a rule does when it matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disruptive {
    /// `block`: add the severity's anomaly points; the score decides.
    Block,
    /// `deny`: stop and answer with this status.
    Deny {
        /// The HTTP status (`status:` action; 403 by default).
        status: u16,
    },
    /// `pass`: record the match only.
    Pass,
}

/// When a rule runs: ModSecurity's phases 1 (headers) and 2 (body).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Phase {
    /// Request line and headers.
    RequestHeaders = 1,
    /// Request body.
    RequestBody = 2,
}

/// One compiled rule.
#[derive(Debug, Clone)]
pub struct Rule {
    /// The rule id.
    pub id: u32,
    /// The phase it runs in.
    pub phase: Phase,
    /// `msg`.
    pub message: Arc<str>,
    /// `severity` (`Notice` when not given).
    pub severity: Severity,
    /// `tag`s.
    pub tags: Arc<[String]>,
    /// The values it reads.
    pub targets: Vec<Target>,
    /// `t:` transformations, in order.
    pub transforms: Vec<Transform>,
    /// The test.
    pub operator: Operator,
    /// `!@`: the rule matches when the operator does not.
    pub negated: bool,
    /// What happens on a match.
    pub disruptive: Disruptive,
    /// The next rule of a `chain`: this rule matches only if it matches too. Chained
    /// rules carry no id, phase or disruptive action of their own.
    pub chain: Option<Box<Rule>>,
}

/// A compiled rule set: rules in evaluation order, with the name of their source.
#[derive(Debug, Clone)]
pub struct RuleSet {
    source: Arc<str>,
    rules: Vec<Rule>,
}

impl RuleSet {
    /// A rule set from compiled rules; they run in phase order, then in the order given.
    pub fn new(source: &str, mut rules: Vec<Rule>) -> Self {
        rules.sort_by_key(|r| r.phase);
        Self {
            source: Arc::from(source),
            rules,
        }
    }

    /// Compiles a parsed SecLang file. `source` names the rule set in verdicts and logs
    /// (`builtin`, `CRS`, …). Errors name the file, line and problem.
    pub fn from_seclang(
        source: &str,
        file: &waf_rules::seclang::RuleFile,
    ) -> Result<Self, crate::Error> {
        compile::seclang(source, file)
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

    /// The rules in evaluation order.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// Runs every rule against `request`.
    pub fn evaluate(&self, request: &crate::request::RequestView) -> Outcome {
        eval::evaluate(self, request)
    }
}

#[cfg(test)]
mod tests;
