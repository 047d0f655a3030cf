//! One audit record: what a denied or logged transaction was, redacted and cut.

use super::redact::{REDACTED, Redaction};
use crate::observe::Transaction;
use serde::{Serialize, Serializer};
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::SystemTime;
use waf_core::{Action, Mode, Reason};

/// What a record keeps of a transaction: which headers, what is redacted, how long a
/// value may be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordOptions {
    /// Values never written down.
    pub redaction: Redaction,
    /// The request headers copied into each record (lower case), when present.
    pub headers: Vec<String>,
    /// The longest matched value or header value kept, in bytes (128 by default).
    pub max_value: usize,
    /// The longest request target kept, in bytes (2048 by default).
    pub max_uri: usize,
}

impl Default for RecordOptions {
    fn default() -> Self {
        Self {
            redaction: Redaction::default(),
            headers: ["host", "user-agent", "referer", "content-type"]
                .map(String::from)
                .to_vec(),
            max_value: 128,
            max_uri: 2048,
        }
    }
}

/// Whether a transaction is worth a record: the middleware stopped it, or it would
/// have in detection-only mode (action `log`), in the request or the response phases.
pub fn is_notable(transaction: &Transaction<'_>) -> bool {
    transaction.action() != Action::Allow
}

/// One denied or logged transaction, as the audit log writes it (one JSON object per
/// line) and the attack store keeps it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Record {
    /// When the request arrived; written in RFC 3339, UTC, milliseconds.
    #[serde(serialize_with = "serialize_time")]
    pub time: SystemTime,
    /// The request id.
    pub request_id: String,
    /// The client address.
    pub client: IpAddr,
    /// The method.
    pub method: String,
    /// The request target, redacted arguments' values replaced, cut.
    pub uri: String,
    /// `HTTP/1.1` and the like.
    pub protocol: String,
    /// The status the client got.
    pub status: u16,
    /// What the middleware did (`deny`, `challenge`, `rate_limit`, `log`).
    pub action: &'static str,
    /// Why (`score`, `deny_rule`, `anomaly_threshold`, …).
    pub reason: &'static str,
    /// The engine's mode (`block`, `detect`, `mirror`).
    pub mode: &'static str,
    /// Whether the response phases decided.
    pub response_phase: bool,
    /// The deciding verdict's weighted score.
    pub score: f64,
    /// The deciding verdict's inbound anomaly score.
    pub anomaly_score: u32,
    /// Each signal's part of the score.
    pub contributions: Vec<ContributionRecord>,
    /// Every match of the request and response phases, in evaluation order.
    pub matches: Vec<MatchRecord>,
    /// The selected request headers present (lower-case names), redacted and cut.
    pub headers: BTreeMap<String, String>,
}

/// One signal's part of a record's score.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ContributionRecord {
    /// The signal's name.
    pub signal: String,
    /// Its value in [0, 1].
    pub value: f64,
    /// Its weight.
    pub weight: f64,
}

/// One matched rule of a record.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MatchRecord {
    /// The rule id.
    pub rule_id: u32,
    /// The rule set.
    pub source: String,
    /// The rule's message.
    pub message: String,
    /// `CRITICAL`, `WARNING`, …
    pub severity: &'static str,
    /// The rule's tags.
    pub tags: Vec<String>,
    /// The variable that matched, e.g. `ARGS:id`.
    pub variable: String,
    /// The matched value, cut; [`REDACTED`] when the variable is redacted.
    pub data: String,
    /// The rule's `logdata`, cut; [`REDACTED`] when the variable is redacted.
    pub logdata: Option<String>,
}

impl Record {
    /// The record of `transaction`, with `options`' redaction and limits.
    pub fn new(transaction: &Transaction<'_>, options: &RecordOptions) -> Self {
        let request = transaction.request;
        let verdict = transaction.deciding_verdict();
        let redaction = &options.redaction;
        let redacted_or_cut = |variable: &str, value: &str| {
            if redaction.redacts_variable(variable) {
                REDACTED.to_owned()
            } else {
                cut(value, options.max_value).to_owned()
            }
        };
        let matches = transaction
            .matches()
            .map(|m| MatchRecord {
                rule_id: m.rule_id,
                source: m.source.to_string(),
                message: m.message.to_string(),
                severity: m.severity.name(),
                tags: m.tags.to_vec(),
                variable: m.variable.clone(),
                data: redacted_or_cut(&m.variable, &m.value),
                logdata: m.data.as_deref().map(|d| redacted_or_cut(&m.variable, d)),
            })
            .collect();
        let mut headers = BTreeMap::<String, String>::new();
        for field in &request.headers {
            let name = String::from_utf8_lossy(&field.name).to_ascii_lowercase();
            if !options.headers.contains(&name) {
                continue;
            }
            let value = if redaction.redacts_header(&name) {
                REDACTED.to_owned()
            } else {
                cut(&String::from_utf8_lossy(&field.value), options.max_value).to_owned()
            };
            headers
                .entry(name)
                .and_modify(|v| {
                    v.push_str(", ");
                    v.push_str(&value);
                })
                .or_insert(value);
        }
        Self {
            time: transaction.time,
            request_id: transaction.request_id.to_owned(),
            client: transaction.client,
            method: cut(&request.method, options.max_value).to_owned(),
            uri: cut(&redaction.uri(&request.uri), options.max_uri).to_owned(),
            protocol: cut(&request.protocol, options.max_value).to_owned(),
            status: transaction.status,
            action: transaction.action().name(),
            reason: reason_name(verdict.reason),
            mode: mode_name(transaction.mode),
            response_phase: transaction
                .response_verdict
                .is_some_and(|v| v.action != Action::Allow),
            score: verdict.score,
            anomaly_score: verdict.anomaly_score,
            contributions: verdict
                .contributions
                .iter()
                .map(|c| ContributionRecord {
                    signal: c.signal.clone(),
                    value: c.value,
                    weight: c.weight,
                })
                .collect(),
            matches,
            headers,
        }
    }
}

/// `time` in RFC 3339, UTC, with milliseconds: `2026-11-22T03:10:19.123Z`.
pub fn rfc3339(time: SystemTime) -> String {
    let time = time::OffsetDateTime::from(time);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        time.year(),
        u8::from(time.month()),
        time.day(),
        time.hour(),
        time.minute(),
        time.second(),
        time.millisecond()
    )
}

fn serialize_time<S: Serializer>(time: &SystemTime, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&rfc3339(*time))
}

/// `reason` in snake case (the audit log's and the dashboard's word for it).
pub(crate) fn reason_name(reason: Reason) -> &'static str {
    match reason {
        Reason::BelowThreshold => "below_threshold",
        Reason::Score => "score",
        Reason::ChallengeBand => "challenge_band",
        Reason::AnomalyThreshold => "anomaly_threshold",
        Reason::DenyRule => "deny_rule",
        Reason::Blocklisted => "blocklisted",
        Reason::RateLimited => "rate_limited",
        Reason::CoolingDown => "cooling_down",
    }
}

fn mode_name(mode: Mode) -> &'static str {
    match mode {
        Mode::Block => "block",
        Mode::Detect => "detect",
        Mode::Mirror => "mirror",
    }
}

/// At most `max` bytes of `text`, cut on a character boundary.
pub(crate) fn cut(text: &str, max: usize) -> &str {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn times_and_cuts() {
        let cases = [
            (0, "1970-01-01T00:00:00.000Z"),
            (1_795_317_019_123, "2026-11-22T03:10:19.123Z"),
            (951_782_400_000, "2000-02-29T00:00:00.000Z"),
        ];
        for (millis, text) in cases {
            let time = SystemTime::UNIX_EPOCH + Duration::from_millis(millis);
            assert_eq!(rfc3339(time), text);
        }
        assert_eq!(cut("ééé", 3), "é");
        assert_eq!(cut("abc", 10), "abc");
        assert_eq!(cut("abc", 0), "");
    }
}
