//! A transaction: one request (and its response) going through the phases of a rule
//! set, with the state the rules keep on the way: `TX` variables, `ctl` changes,
//! matched variables, captures and the transformation cache.

use super::eval::{self, Outcome};
use super::literals::Hits;
use super::target::TimePart;
use super::{AllowScope, Phase, RuleSet};
use crate::request::{BodyProcessor, Field, Limits, RequestView};
use crate::response::ResponseView;
use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Instant, SystemTime, UNIX_EPOCH};
use waf_rules::seclang::{EngineMode, IdRange};

use super::action::TagPattern;

/// One request, and then its response, through a [`RuleSet`].
///
/// [`RuleSet::evaluate`] runs the request phases and drops the transaction; keep one to
/// inspect the response as well:
///
/// ```
/// use std::net::Ipv4Addr;
/// use waf_core::request::{Limits, RawRequest, RequestView};
/// use waf_core::response::ResponseView;
/// use waf_core::rule::{RuleSet, Transaction};
///
/// let rules = RuleSet::from_seclang(
///     "mine",
///     &waf_rules::seclang::parse(
///         "mine.conf",
///         r#"
/// SecResponseBodyAccess On
/// SecRule ARGS:debug "@streq 1" "id:1,phase:1,pass,nolog,setvar:tx.debug=1"
/// SecRule RESPONSE_BODY "@rx stack trace" "id:2,phase:4,chain,deny,status:500"
///     SecRule &TX:debug "@eq 0""#,
///     )?,
/// )?;
/// let request = RequestView::from_raw(
///     RawRequest {
///         method: "GET",
///         uri: "/report",
///         protocol: "HTTP/1.1",
///         headers: vec![],
///         body: Default::default(),
///         client: Ipv4Addr::LOCALHOST.into(),
///     },
///     &Limits::default(),
/// );
/// let mut transaction = Transaction::new(&Limits::default());
/// transaction.run_request(&rules, &request);
/// assert_eq!(transaction.outcome().deny_status, None);
///
/// let response = ResponseView::new(200, "HTTP/1.1", vec![("content-type", "text/plain")], "a stack trace");
/// transaction.run_response(&rules, &request, &response);
/// assert_eq!(transaction.outcome().deny_status, Some(500));
/// assert_eq!(transaction.outcome().matches[0].rule_id, 2);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Transaction {
    pub(super) state: State,
    /// Transformation results by (value address, value length, transformation chain);
    /// `None` when the chain left the value unchanged.
    pub(super) cache: TransformCache,
    /// Which rules' literals each transformed value holds (see `literals`), keyed as
    /// `cache`.
    pub(super) literal_hits: HashMap<(usize, usize, usize), Hits, BuildHasherDefault<KeyHasher>>,
    pub(super) outcome: Outcome,
    /// The request as `ctl:requestBodyProcessor` / `ctl:requestBodyAccess` make phase 2
    /// see it, when they changed it.
    reread: Option<RequestView>,
    limits: Limits,
    /// Phases run so far.
    done: Vec<Phase>,
}

/// The per-transaction transformation cache.
pub(crate) type TransformCache =
    HashMap<(usize, usize, usize), Option<Vec<u8>>, BuildHasherDefault<KeyHasher>>;

/// A multiply-rotate hasher for the transformation cache: its keys are addresses and
/// table indexes the engine picks, never bytes a client sends, so a keyed hash (and its
/// cost, a third of a cache lookup) buys nothing here.
#[derive(Default)]
pub(crate) struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x517c_c1b7_2722_0a95);
    }

    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// What the rules read and write besides the request.
#[derive(Debug)]
pub(crate) struct State {
    pub tx: BTreeMap<String, Vec<u8>>,
    pub env: BTreeMap<String, Vec<u8>>,
    /// `initcol` collections (`ip`, `global`, …), by lower-case name.
    pub stores: HashMap<&'static str, BTreeMap<String, Vec<u8>>>,
    /// `MATCHED_VARS` of the rule being evaluated: name and transformed value.
    pub matched: Vec<(String, Vec<u8>)>,
    pub removed_ids: Vec<IdRange>,
    pub removed_tags: Vec<TagPattern>,
    pub removed_targets: Vec<TargetRemoval>,
    pub engine: Option<EngineMode>,
    pub body_processor: Option<BodyProcessor>,
    pub request_body_access: bool,
    /// `ctl:forceRequestBodyVariable=On`: `REQUEST_BODY` whatever parser read the body.
    pub force_request_body: bool,
    pub response_body_inspected: bool,
    pub allow: Option<AllowScope>,
    /// This transaction's number in the process, for `UNIQUE_ID` (formatted only when
    /// a rule reads it).
    pub serial: u64,
    pub request_line: String,
    pub highest_severity: u8,
    pub started: Instant,
    pub clock: Clock,
}

/// A `ctl:ruleRemoveTarget…` in force.
#[derive(Debug)]
pub(crate) struct TargetRemoval {
    pub rules: RuleSelection,
    pub target: super::TargetSpec,
}

/// The rules a removal applies to.
#[derive(Debug)]
pub(crate) enum RuleSelection {
    Ids(Vec<IdRange>),
    Tag(TagPattern),
}

/// What the rules of one step read.
pub(crate) struct Context<'a> {
    pub request: &'a RequestView,
    pub response: Option<&'a ResponseView>,
    pub state: &'a State,
    /// Phase 2 or later: the body has been read.
    pub body_available: bool,
}

impl<'a> Context<'a> {
    /// `ARGS`: query arguments, and body arguments once the body is read.
    pub fn args(&self) -> impl Iterator<Item = &'a Field> + use<'a> {
        let post: &'a [Field] = if self.body_available {
            &self.request.args_post
        } else {
            &[]
        };
        self.request.args_get.iter().chain(post)
    }
}

impl Transaction {
    /// A transaction that has run no phase yet; `limits` bound the work of reading the
    /// body again when a rule changes its parser (`ctl:requestBodyProcessor`).
    pub fn new(limits: &Limits) -> Self {
        static NEXT_ID: AtomicU64 = AtomicU64::new(1);
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let serial = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        Self {
            state: State {
                tx: BTreeMap::new(),
                env: BTreeMap::new(),
                stores: HashMap::new(),
                matched: Vec::new(),
                removed_ids: Vec::new(),
                removed_tags: Vec::new(),
                removed_targets: Vec::new(),
                engine: None,
                body_processor: None,
                request_body_access: true,
                force_request_body: false,
                response_body_inspected: false,
                allow: None,
                serial,
                request_line: String::new(),
                highest_severity: 255,
                started: Instant::now(),
                clock: Clock {
                    epoch_micros: now.as_micros(),
                },
            },
            // Sized for a typical request through the CRS, so that it rarely grows.
            cache: TransformCache::with_capacity_and_hasher(256, Default::default()),
            literal_hits: HashMap::with_capacity_and_hasher(128, Default::default()),
            outcome: Outcome::default(),
            reread: None,
            limits: limits.clone(),
            done: Vec::new(),
        }
    }

    /// Runs phases 1 and 2 against `request`.
    pub fn run_request(&mut self, rules: &RuleSet, request: &RequestView) {
        self.state.request_line =
            format!("{} {} {}", request.method, request.uri, request.protocol);
        self.state.request_body_access = rules.settings().request_body_access;
        self.run(rules, Phase::RequestHeaders, request, None);
        if self.state.body_processor.is_some() || !self.state.request_body_access {
            self.reread = Some(match self.state.body_processor {
                Some(processor) if self.state.request_body_access => {
                    request.reread_body(processor, &self.limits)
                }
                _ => request.without_body(),
            });
        }
        let reread = self.reread.take();
        self.run(
            rules,
            Phase::RequestBody,
            reread.as_ref().unwrap_or(request),
            None,
        );
        self.reread = reread;
    }

    /// Runs phases 3 and 4 against `response` (phase 4 reads its body when the rule
    /// set's settings inspect its type), after [`Transaction::run_request`].
    pub fn run_response(
        &mut self,
        rules: &RuleSet,
        request: &RequestView,
        response: &ResponseView,
    ) {
        self.state.response_body_inspected = response
            .header("content-type")
            .is_some_and(|t| rules.settings().inspects_response_type(t));
        self.run_after_request(
            rules,
            &[Phase::ResponseHeaders, Phase::ResponseBody],
            request,
            Some(response),
        );
    }

    /// Runs phase 5, after the response (if there was one) has been handled.
    pub fn run_logging(
        &mut self,
        rules: &RuleSet,
        request: &RequestView,
        response: Option<&ResponseView>,
    ) {
        self.run_after_request(rules, &[Phase::Logging], request, response);
    }

    /// Runs `phases` on the request as phase 2 saw it (re-read if a rule asked) and the
    /// response.
    fn run_after_request(
        &mut self,
        rules: &RuleSet,
        phases: &[Phase],
        request: &RequestView,
        response: Option<&ResponseView>,
    ) {
        self.forget_cached_values();
        let reread = self.reread.take();
        let seen = reread.as_ref().unwrap_or(request);
        for &phase in phases {
            self.run(rules, phase, seen, response);
        }
        self.reread = reread;
    }

    /// Empties the caches keyed by value addresses: the response handed to a later
    /// phase may live where bytes of an earlier, dropped one did.
    fn forget_cached_values(&mut self) {
        self.cache.clear();
        self.literal_hits.clear();
    }

    /// The logged matches of the phases run so far, in order.
    pub fn matches(&self) -> &[crate::RuleMatch] {
        &self.outcome.matches
    }

    /// What the phases run so far found.
    pub fn outcome(&self) -> Outcome {
        let mut outcome = self.outcome.clone();
        if let Some(score) = self.tx_number("blocking_inbound_anomaly_score") {
            outcome.anomaly_score = score;
        }
        outcome.anomaly_threshold = self.tx_number("inbound_anomaly_score_threshold");
        outcome.outbound_anomaly_score = self.tx_number("blocking_outbound_anomaly_score");
        outcome.outbound_anomaly_threshold = self.tx_number("outbound_anomaly_score_threshold");
        outcome.engine = self.state.engine;
        outcome
    }

    /// The value of `TX:name`, if set.
    pub fn tx(&self, name: &str) -> Option<&[u8]> {
        self.state
            .tx
            .get(&name.to_ascii_lowercase())
            .map(Vec::as_slice)
    }

    fn tx_number(&self, name: &str) -> Option<u32> {
        let text = std::str::from_utf8(self.tx(name)?).ok()?;
        text.trim()
            .parse::<i64>()
            .ok()
            .map(|n| n.clamp(0, u32::MAX.into()) as u32)
    }

    fn run(
        &mut self,
        rules: &RuleSet,
        phase: Phase,
        request: &RequestView,
        response: Option<&ResponseView>,
    ) {
        if self.done.contains(&phase) {
            return;
        }
        self.done.push(phase);
        let engine = self.state.engine.unwrap_or(rules.settings().engine);
        if engine == EngineMode::Off || self.outcome.deny_status.is_some() {
            return;
        }
        match self.state.allow {
            Some(AllowScope::Transaction) if phase != Phase::Logging => return,
            Some(AllowScope::Request) if phase <= Phase::RequestBody => return,
            Some(AllowScope::Phase) => self.state.allow = None,
            _ => {}
        }
        eval::run_phase(self, rules, phase, request, response);
    }
}

/// The wall clock at the start of a transaction, for the `TIME*` variables.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Clock {
    epoch_micros: u128,
}

impl Clock {
    /// `UNIQUE_ID`: the start time in microseconds and the transaction's serial number,
    /// in hex.
    pub fn unique_id(self, serial: u64) -> String {
        format!("{:x}{serial:08x}", self.epoch_micros)
    }

    pub fn part(self, part: TimePart) -> String {
        let epoch = (self.epoch_micros / 1_000_000) as u64;
        let days = epoch / 86_400;
        let seconds = epoch % 86_400;
        let (hour, minute, second) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
        let (year, month, day) = civil_from_days(days as i64);
        match part {
            TimePart::Clock => format!("{hour:02}:{minute:02}:{second:02}"),
            TimePart::Epoch => epoch.to_string(),
            TimePart::Year => year.to_string(),
            TimePart::Month => month.to_string(),
            TimePart::Day => day.to_string(),
            TimePart::Hour => hour.to_string(),
            TimePart::Minute => minute.to_string(),
            TimePart::Second => second.to_string(),
            // 1970-01-01 was a Thursday.
            TimePart::Weekday => ((days + 4) % 7).to_string(),
        }
    }
}

/// Year, month, day of the proleptic Gregorian calendar for days since 1970-01-01
/// (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calendar() {
        // (days since 1970, date)
        let cases = [
            (0, (1970, 1, 1)),
            (11_016, (2000, 2, 29)),
            (20_778, (2026, 11, 21)),
        ];
        for (days, date) in cases {
            assert_eq!(civil_from_days(days), date, "{days}");
        }
        let clock = Clock {
            epoch_micros: (20_778 * 86_400 + 3723) * 1_000_000,
        };
        assert_eq!(clock.part(TimePart::Clock), "01:02:03");
        assert_eq!(clock.part(TimePart::Weekday), "6");
    }
}
