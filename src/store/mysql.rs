//! The server backend: a MySQL or MariaDB database.

use super::query::{self, INSERT_EVENT, INSERT_RULE, Param, Query};
use super::{Event, EventRule, StoreError, rows};
use mysql::prelude::{FromValue, Queryable};
use mysql::{Conn, Opts, Params, Row, TxOpts, Value};

const SCHEMA: [&str; 2] = [
    "CREATE TABLE IF NOT EXISTS waf_events (
        id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
        time_ms BIGINT NOT NULL,
        request_id TEXT NOT NULL,
        client VARCHAR(45) NOT NULL,
        client_key VARBINARY(16) NOT NULL,
        method TEXT NOT NULL,
        uri TEXT NOT NULL,
        protocol TEXT NOT NULL,
        status INT NOT NULL,
        action VARCHAR(16) NOT NULL,
        reason VARCHAR(32) NOT NULL,
        score DOUBLE NOT NULL,
        anomaly_score INT NOT NULL,
        INDEX waf_events_time (time_ms),
        INDEX waf_events_client (client_key, time_ms)
    ) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4",
    "CREATE TABLE IF NOT EXISTS waf_event_rules (
        event_id BIGINT NOT NULL,
        position INT NOT NULL,
        rule_id BIGINT NOT NULL,
        source TEXT NOT NULL,
        message TEXT NOT NULL,
        severity VARCHAR(16) NOT NULL,
        variable TEXT NOT NULL,
        data TEXT NOT NULL,
        PRIMARY KEY (event_id, position),
        INDEX waf_event_rules_rule (rule_id, event_id)
    ) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4",
];

/// A connection to a MySQL or MariaDB store.
#[derive(Debug)]
pub(crate) struct Mysql {
    connection: Conn,
    /// `host:port/database`, for messages: never the password.
    name: String,
}

fn params(params: Vec<Param>) -> Params {
    Params::Positional(
        params
            .into_iter()
            .map(|p| match p {
                Param::Int(n) => Value::Int(n),
                Param::Float(x) => Value::Double(x),
                Param::Text(s) => Value::Bytes(s.into_bytes()),
                Param::Bytes(b) => Value::Bytes(b),
            })
            .collect(),
    )
}

/// Column `index` of `row`, checked.
fn column<T: FromValue>(row: &mut Row, index: usize) -> mysql::Result<T> {
    match row.take_opt::<T, usize>(index) {
        Some(Ok(value)) => Ok(value),
        Some(Err(error)) => Err(mysql::Error::FromValueError(error.0)),
        None => Err(mysql::Error::FromRowError(row.clone())),
    }
}

impl Mysql {
    /// Connects to the database of `url` (`mysql://user:password@host:port/database`)
    /// and creates the schema.
    pub(crate) fn open(url: &str) -> Result<Self, StoreError> {
        let opts =
            Opts::from_url(url).map_err(|e| StoreError::new(format!("bad MySQL URL: {e}")))?;
        let name = format!(
            "{}:{}/{}",
            opts.get_ip_or_hostname(),
            opts.get_tcp_port(),
            opts.get_db_name().unwrap_or("")
        );
        if opts.get_db_name().is_none_or(str::is_empty) {
            return Err(StoreError::new(format!(
                "the MySQL URL names no database ({name}): add /DATABASE"
            )));
        }
        let connect = || -> mysql::Result<Conn> {
            let mut connection = Conn::new(opts.clone())?;
            for statement in SCHEMA {
                connection.query_drop(statement)?;
            }
            Ok(connection)
        };
        let connection = connect()
            .map_err(|e| StoreError::new(format!("cannot open MySQL database {name}: {e}")))?;
        Ok(Self { connection, name })
    }

    fn error(&self, error: mysql::Error) -> StoreError {
        StoreError::new(format!("MySQL database {}: {error}", self.name))
    }

    /// Inserts `events` in one transaction.
    pub(crate) fn insert(&mut self, events: &[Event]) -> Result<(), StoreError> {
        let run = |connection: &mut Conn| -> mysql::Result<()> {
            let mut transaction = connection.start_transaction(TxOpts::default())?;
            for event in events {
                transaction.exec_drop(INSERT_EVENT, params(query::event_params(event)))?;
                let id = transaction
                    .last_insert_id()
                    .and_then(|id| i64::try_from(id).ok())
                    .unwrap_or_default();
                for (position, rule) in event.rules.iter().enumerate() {
                    transaction
                        .exec_drop(INSERT_RULE, params(query::rule_params(id, position, rule)))?;
                }
            }
            transaction.commit()
        };
        run(&mut self.connection).map_err(|e| self.error(e))
    }

    /// The events `query` asks for, newest first.
    pub(crate) fn query(&mut self, query: &Query) -> Result<Vec<Event>, StoreError> {
        let (sql, bound) = query::events_sql(query);
        let read = |connection: &mut Conn| -> mysql::Result<Vec<(i64, rows::EventRow)>> {
            let rows: Vec<Row> = connection.exec(sql, params(bound))?;
            rows.into_iter()
                .map(|mut row| {
                    Ok((
                        column(&mut row, 0)?,
                        rows::EventRow {
                            time_ms: column(&mut row, 1)?,
                            request_id: column(&mut row, 2)?,
                            client: column(&mut row, 3)?,
                            method: column(&mut row, 4)?,
                            uri: column(&mut row, 5)?,
                            protocol: column(&mut row, 6)?,
                            status: column(&mut row, 7)?,
                            action: column(&mut row, 8)?,
                            reason: column(&mut row, 9)?,
                            score: column(&mut row, 10)?,
                            anomaly_score: column(&mut row, 11)?,
                        },
                    ))
                })
                .collect()
        };
        let events = read(&mut self.connection).map_err(|e| self.error(e))?;
        let ids: Vec<Param> = events.iter().map(|(id, _)| Param::Int(*id)).collect();
        let rules = if ids.is_empty() {
            Vec::new()
        } else {
            let sql = query::rules_sql(ids.len());
            let read = |connection: &mut Conn| -> mysql::Result<Vec<(i64, EventRule)>> {
                let rows: Vec<Row> = connection.exec(sql, params(ids))?;
                rows.into_iter()
                    .map(|mut row| {
                        Ok((
                            column(&mut row, 0)?,
                            EventRule {
                                rule_id: column(&mut row, 1)?,
                                source: column(&mut row, 2)?,
                                message: column(&mut row, 3)?,
                                severity: column(&mut row, 4)?,
                                variable: column(&mut row, 5)?,
                                data: column(&mut row, 6)?,
                            },
                        ))
                    })
                    .collect()
            };
            read(&mut self.connection).map_err(|e| self.error(e))?
        };
        rows::assemble(events, rules)
    }
}
