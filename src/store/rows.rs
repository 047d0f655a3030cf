//! Rows read back from either backend, turned into [`Event`]s.

use super::{Event, EventRule, StoreError};
use std::time::{Duration, UNIX_EPOCH};

/// An event row as stored, before its values are checked.
#[derive(Debug)]
pub(crate) struct EventRow {
    pub time_ms: i64,
    pub request_id: String,
    pub client: String,
    pub method: String,
    pub uri: String,
    pub protocol: String,
    pub status: i64,
    pub action: String,
    pub reason: String,
    pub score: f64,
    pub anomaly_score: i64,
}

/// The events of `events` (id, row), each with its rules from `rules` (event id, rule,
/// in position order), in the order of `events`.
pub(crate) fn assemble(
    events: Vec<(i64, EventRow)>,
    rules: Vec<(i64, EventRule)>,
) -> Result<Vec<Event>, StoreError> {
    let mut by_event = std::collections::HashMap::<i64, Vec<EventRule>>::new();
    for (id, rule) in rules {
        by_event.entry(id).or_default().push(rule);
    }
    events
        .into_iter()
        .map(|(id, row)| {
            let bad =
                |what: &str| StoreError::new(format!("event {id} has a bad {what} in the store"));
            Ok(Event {
                time: UNIX_EPOCH
                    + Duration::from_millis(row.time_ms.try_into().map_err(|_| bad("time"))?),
                request_id: row.request_id,
                client: row.client.parse().map_err(|_| bad("client address"))?,
                method: row.method,
                uri: row.uri,
                protocol: row.protocol,
                status: row.status.try_into().map_err(|_| bad("status"))?,
                action: row.action,
                reason: row.reason,
                score: row.score,
                anomaly_score: row
                    .anomaly_score
                    .try_into()
                    .map_err(|_| bad("anomaly score"))?,
                rules: by_event.remove(&id).unwrap_or_default(),
            })
        })
        .collect()
}
