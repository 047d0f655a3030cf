//! Which events a query asks for, and the SQL that finds them (the same for SQLite and
//! MySQL).

use ipnet::IpNet;
use std::net::IpAddr;
use std::time::{SystemTime, UNIX_EPOCH};

/// Which events to find: all of the given conditions hold. Newest first.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use waf::store::Query;
///
/// let query = Query {
///     since: Some(SystemTime::now() - Duration::from_secs(3600)),
///     client: Some("203.0.113.0/24".parse().unwrap()),
///     rule: Some(942100),
///     ..Query::default()
/// };
/// assert_eq!(query.limit, 100);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    /// Events at or after this time.
    pub since: Option<SystemTime>,
    /// Events before this time.
    pub until: Option<SystemTime>,
    /// Events from a client in this network (a single address is a /32 or /128;
    /// an IPv4 network also matches IPv4-mapped IPv6 clients).
    pub client: Option<IpNet>,
    /// Events where this rule matched.
    pub rule: Option<u32>,
    /// At most this many events (100 by default).
    pub limit: usize,
}

impl Default for Query {
    fn default() -> Self {
        Self {
            since: None,
            until: None,
            client: None,
            rule: None,
            limit: 100,
        }
    }
}

/// Reads a client filter: an address (`192.0.2.7`) or a network (`192.0.2.0/24`).
pub fn parse_client(text: &str) -> Option<IpNet> {
    let text = text.trim();
    text.parse::<IpNet>()
        .ok()
        .or_else(|| text.parse::<IpAddr>().ok().map(IpNet::from))
}

/// A bound value of a statement.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Param {
    Int(i64),
    Float(f64),
    Text(String),
    Bytes(Vec<u8>),
}

/// Milliseconds since the Unix epoch (0 for earlier times).
pub(crate) fn millis(time: SystemTime) -> i64 {
    time.duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// The 16-byte key an address is indexed by: IPv4 as IPv4-mapped IPv6, so that one
/// byte range covers a network of either family.
pub(crate) fn client_key(address: IpAddr) -> Vec<u8> {
    match address {
        IpAddr::V4(v4) => v4.to_ipv6_mapped().octets().to_vec(),
        IpAddr::V6(v6) => v6.octets().to_vec(),
    }
}

/// The columns of an event row, in the order the backends read them.
pub(crate) const EVENT_COLUMNS: &str = "id, time_ms, request_id, client, method, uri, \
     protocol, status, action, reason, score, anomaly_score";

/// The statement finding the events of `query`, newest first, and its parameters.
pub(crate) fn events_sql(query: &Query) -> (String, Vec<Param>) {
    let mut sql = format!("SELECT {EVENT_COLUMNS} FROM waf_events WHERE 1 = 1");
    let mut params = Vec::new();
    if let Some(since) = query.since {
        sql.push_str(" AND time_ms >= ?");
        params.push(Param::Int(millis(since)));
    }
    if let Some(until) = query.until {
        sql.push_str(" AND time_ms < ?");
        params.push(Param::Int(millis(until)));
    }
    if let Some(net) = query.client {
        sql.push_str(" AND client_key BETWEEN ? AND ?");
        params.push(Param::Bytes(client_key(net.network())));
        params.push(Param::Bytes(client_key(net.broadcast())));
    }
    if let Some(rule) = query.rule {
        sql.push_str(" AND id IN (SELECT event_id FROM waf_event_rules WHERE rule_id = ?)");
        params.push(Param::Int(rule.into()));
    }
    sql.push_str(&format!(
        " ORDER BY time_ms DESC, id DESC LIMIT {}",
        query.limit
    ));
    (sql, params)
}

/// The statement reading the rules of `events` events, by event and position.
pub(crate) fn rules_sql(events: usize) -> String {
    let marks = vec!["?"; events].join(", ");
    format!(
        "SELECT event_id, rule_id, source, message, severity, variable, data \
         FROM waf_event_rules WHERE event_id IN ({marks}) ORDER BY event_id, position"
    )
}

/// Inserts one event; the backend reads the new id back.
pub(crate) const INSERT_EVENT: &str = "INSERT INTO waf_events (time_ms, request_id, client, \
     client_key, method, uri, protocol, status, action, reason, score, anomaly_score) \
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

/// Inserts one matched rule.
pub(crate) const INSERT_RULE: &str = "INSERT INTO waf_event_rules (event_id, position, \
     rule_id, source, message, severity, variable, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)";

/// The parameters of [`INSERT_EVENT`] for `event`.
pub(crate) fn event_params(event: &super::Event) -> Vec<Param> {
    vec![
        Param::Int(millis(event.time)),
        Param::Text(event.request_id.clone()),
        Param::Text(event.client.to_string()),
        Param::Bytes(client_key(event.client)),
        Param::Text(event.method.clone()),
        Param::Text(event.uri.clone()),
        Param::Text(event.protocol.clone()),
        Param::Int(event.status.into()),
        Param::Text(event.action.clone()),
        Param::Text(event.reason.clone()),
        Param::Float(event.score),
        Param::Int(event.anomaly_score.into()),
    ]
}

/// The parameters of [`INSERT_RULE`] for the `position`th rule of event `id`.
pub(crate) fn rule_params(id: i64, position: usize, rule: &super::EventRule) -> Vec<Param> {
    vec![
        Param::Int(id),
        Param::Int(i64::try_from(position).unwrap_or(i64::MAX)),
        Param::Int(rule.rule_id.into()),
        Param::Text(rule.source.clone()),
        Param::Text(rule.message.clone()),
        Param::Text(rule.severity.clone()),
        Param::Text(rule.variable.clone()),
        Param::Text(rule.data.clone()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_filters() {
        // (text, network)
        let cases = [
            ("192.0.2.7", Some("192.0.2.7/32")),
            (" 192.0.2.0/24 ", Some("192.0.2.0/24")),
            ("2001:db8::1", Some("2001:db8::1/128")),
            ("2001:db8::/32", Some("2001:db8::/32")),
            ("192.0.2.0/33", None),
            ("example.com", None),
            ("", None),
        ];
        for (text, net) in cases {
            assert_eq!(
                parse_client(text),
                net.map(|n| n.parse().unwrap()),
                "{text}"
            );
        }
        let key = client_key("192.0.2.7".parse().unwrap());
        assert_eq!(key[10..], [0xff, 0xff, 192, 0, 2, 7]);
    }
}
