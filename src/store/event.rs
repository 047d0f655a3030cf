//! What the attack store keeps of a transaction, and gives back to queries.

use serde::{Serialize, Serializer};
use std::net::IpAddr;
use std::time::SystemTime;
use waf_tower::audit::Record;

/// One stored attack: a transaction the middleware stopped, or logged in
/// detection-only mode. The same content as an audit record, without its headers and
/// scores' contributions.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    /// When the request arrived (kept to the millisecond; RFC 3339 in JSON).
    #[serde(serialize_with = "serialize_time")]
    pub time: SystemTime,
    /// The request id.
    pub request_id: String,
    /// The client address.
    pub client: IpAddr,
    /// The method.
    pub method: String,
    /// The request target, redacted and cut.
    pub uri: String,
    /// `HTTP/1.1` and the like.
    pub protocol: String,
    /// The status the client got.
    pub status: u16,
    /// `deny`, `challenge`, `rate_limit` or `log`.
    pub action: String,
    /// Why (`score`, `deny_rule`, …).
    pub reason: String,
    /// The weighted score.
    pub score: f64,
    /// The inbound anomaly score.
    pub anomaly_score: u32,
    /// The matched rules, in evaluation order.
    pub rules: Vec<EventRule>,
}

/// One matched rule of an [`Event`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EventRule {
    /// The rule id.
    pub rule_id: u32,
    /// The rule set.
    pub source: String,
    /// The rule's message.
    pub message: String,
    /// `CRITICAL`, `WARNING`, …
    pub severity: String,
    /// The variable that matched.
    pub variable: String,
    /// The matched value, cut, or `[redacted]`.
    pub data: String,
}

impl From<Record> for Event {
    /// Takes over the record's strings: the store makes a record only to keep this.
    fn from(record: Record) -> Self {
        Self {
            time: record.time,
            request_id: record.request_id,
            client: record.client,
            method: record.method,
            uri: record.uri,
            protocol: record.protocol,
            status: record.status,
            action: record.action.to_owned(),
            reason: record.reason.to_owned(),
            score: record.score,
            anomaly_score: record.anomaly_score,
            rules: record
                .matches
                .into_iter()
                .map(|m| EventRule {
                    rule_id: m.rule_id,
                    source: m.source,
                    message: m.message,
                    severity: m.severity.to_owned(),
                    variable: m.variable,
                    data: m.data,
                })
                .collect(),
        }
    }
}

fn serialize_time<S: Serializer>(time: &SystemTime, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&waf_tower::audit::rfc3339(*time))
}
