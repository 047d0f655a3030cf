//! The embedded backend: a SQLite file.

use super::query::{self, INSERT_EVENT, INSERT_RULE, Param, Query};
use super::{Event, EventRule, StoreError, rows};
use rusqlite::types::Value;
use rusqlite::{Connection, params_from_iter};
use std::path::Path;
use std::time::Duration;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS waf_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    time_ms INTEGER NOT NULL,
    request_id TEXT NOT NULL,
    client TEXT NOT NULL,
    client_key BLOB NOT NULL,
    method TEXT NOT NULL,
    uri TEXT NOT NULL,
    protocol TEXT NOT NULL,
    status INTEGER NOT NULL,
    action TEXT NOT NULL,
    reason TEXT NOT NULL,
    score REAL NOT NULL,
    anomaly_score INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS waf_events_time ON waf_events (time_ms);
CREATE INDEX IF NOT EXISTS waf_events_client ON waf_events (client_key, time_ms);
CREATE TABLE IF NOT EXISTS waf_event_rules (
    event_id INTEGER NOT NULL REFERENCES waf_events (id),
    position INTEGER NOT NULL,
    rule_id INTEGER NOT NULL,
    source TEXT NOT NULL,
    message TEXT NOT NULL,
    severity TEXT NOT NULL,
    variable TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (event_id, position)
);
CREATE INDEX IF NOT EXISTS waf_event_rules_rule ON waf_event_rules (rule_id, event_id);
";

/// A connection to a SQLite store.
#[derive(Debug)]
pub(crate) struct Sqlite(Connection);

fn error(path: &Path, error: rusqlite::Error) -> StoreError {
    StoreError::new(format!("SQLite database {}: {error}", path.display()))
}

fn value(param: Param) -> Value {
    match param {
        Param::Int(n) => Value::Integer(n),
        Param::Float(x) => Value::Real(x),
        Param::Text(s) => Value::Text(s),
        Param::Bytes(b) => Value::Blob(b),
    }
}

impl Sqlite {
    /// Opens the database at `path` (creating it when `create`) and its schema.
    pub(crate) fn open(path: &Path, create: bool) -> Result<Self, StoreError> {
        if !create && !path.exists() {
            return Err(StoreError::new(format!(
                "cannot open SQLite database {}: no such file",
                path.display()
            )));
        }
        let open = || -> rusqlite::Result<Connection> {
            let connection = Connection::open(path)?;
            // Writer and readers may be different connections (the observer's thread,
            // `waf events`): write-ahead logging lets them work side by side.
            connection.busy_timeout(Duration::from_secs(5))?;
            connection.pragma_update(None, "journal_mode", "WAL")?;
            connection.execute_batch(SCHEMA)?;
            Ok(connection)
        };
        open().map(Self).map_err(|e| {
            StoreError::new(format!(
                "cannot open SQLite database {}: {e}",
                path.display()
            ))
        })
    }

    /// Inserts `events` in one transaction.
    pub(crate) fn insert(&mut self, events: &[Event]) -> Result<(), StoreError> {
        let path = self.path();
        let run = |connection: &mut Connection| -> rusqlite::Result<()> {
            let transaction = connection.transaction()?;
            {
                let mut insert_event = transaction.prepare_cached(INSERT_EVENT)?;
                let mut insert_rule = transaction.prepare_cached(INSERT_RULE)?;
                for event in events {
                    let params = query::event_params(event).into_iter().map(value);
                    insert_event.execute(params_from_iter(params))?;
                    let id = transaction.last_insert_rowid();
                    for (position, rule) in event.rules.iter().enumerate() {
                        let params = query::rule_params(id, position, rule)
                            .into_iter()
                            .map(value);
                        insert_rule.execute(params_from_iter(params))?;
                    }
                }
            }
            transaction.commit()
        };
        run(&mut self.0).map_err(|e| error(&path, e))
    }

    /// The events `query` asks for, newest first.
    pub(crate) fn query(&mut self, query: &Query) -> Result<Vec<Event>, StoreError> {
        let path = self.path();
        let (sql, params) = query::events_sql(query);
        let read = || -> rusqlite::Result<Vec<(i64, rows::EventRow)>> {
            let mut statement = self.0.prepare(&sql)?;
            let rows =
                statement.query_map(params_from_iter(params.into_iter().map(value)), |row| {
                    Ok((
                        row.get(0)?,
                        rows::EventRow {
                            time_ms: row.get(1)?,
                            request_id: row.get(2)?,
                            client: row.get(3)?,
                            method: row.get(4)?,
                            uri: row.get(5)?,
                            protocol: row.get(6)?,
                            status: row.get(7)?,
                            action: row.get(8)?,
                            reason: row.get(9)?,
                            score: row.get(10)?,
                            anomaly_score: row.get(11)?,
                        },
                    ))
                })?;
            rows.collect()
        };
        let events = read().map_err(|e| error(&path, e))?;
        let ids: Vec<i64> = events.iter().map(|(id, _)| *id).collect();
        let rules = if ids.is_empty() {
            Vec::new()
        } else {
            let read = || -> rusqlite::Result<Vec<(i64, EventRule)>> {
                let mut statement = self.0.prepare(&query::rules_sql(ids.len()))?;
                let rows = statement.query_map(params_from_iter(&ids), |row| {
                    Ok((
                        row.get(0)?,
                        EventRule {
                            rule_id: row.get(1)?,
                            source: row.get(2)?,
                            message: row.get(3)?,
                            severity: row.get(4)?,
                            variable: row.get(5)?,
                            data: row.get(6)?,
                        },
                    ))
                })?;
                rows.collect()
            };
            read().map_err(|e| error(&path, e))?
        };
        rows::assemble(events, rules)
    }

    fn path(&self) -> std::path::PathBuf {
        self.0.path().unwrap_or_default().into()
    }
}
