//! The attack store: every transaction the middleware stopped (or logged in
//! detection-only mode) kept in a database, to be queried later (`waf events`).
//!
//! SQLite is the embedded default; MySQL and MariaDB are used when the URL says so:
//!
//! | URL | Database |
//! |---|---|
//! | `sqlite:/var/lib/waf/events.db`, or a plain path | a SQLite file, created if missing |
//! | `mysql://user:password@127.0.0.1:3306/waf` | a MySQL or MariaDB database |
//!
//! The schema (tables `waf_events` and `waf_event_rules`, indexed by time, client and
//! rule) is created on open.
//!
//! ```
//! use std::sync::Arc;
//! use axum::{Router, routing::get};
//! use tower::ServiceExt;
//! use waf::store::{AttackStore, Query};
//! use waf::{Waf, WafLayer};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let dir = tempfile::tempdir()?;
//! # let url = format!("sqlite:{}", dir.path().join("events.db").display());
//! let store = Arc::new(AttackStore::open(&url)?);
//! let app = Router::new()
//!     .route("/search", get(|| async { "results" }))
//!     .layer(WafLayer::new(Waf::default()).observe(store.clone()));
//!
//! let attack = http::Request::get("/search?q=1'%20OR%20'1'='1").body(axum::body::Body::empty())?;
//! assert_eq!(app.oneshot(attack).await?.status(), 403);
//!
//! store.flush();
//! let events = store.query(&Query::default())?;
//! assert_eq!(events.len(), 1);
//! assert_eq!(events[0].uri, "/search?q=1'%20OR%20'1'='1");
//! assert_eq!(events[0].action, "deny");
//! # Ok(())
//! # }
//! ```
//!
//! Events are written by a thread of the store's own, fed by a bounded queue, in
//! batches of one transaction each: the request never waits for the database. A full
//! queue drops the event and counts it ([`AttackStore::dropped`]); a batch the database
//! refuses (after one reconnection) is counted too ([`AttackStore::failed`]); both are
//! reported with `tracing` warnings. Matched data is redacted as in the
//! [audit log](waf_tower::audit).

mod event;
mod mysql;
mod query;
mod rows;
mod sqlite;
mod writer;

pub use event::{Event, EventRule};
pub use query::{Query, parse_client};

use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use waf_tower::audit::{Record, RecordOptions, is_notable};
use waf_tower::observe::{Observer, OffPath, Transaction};
use writer::Counters;

/// Why the store could not open, write or read; the message names the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreError(String);

impl StoreError {
    fn new(message: String) -> Self {
        Self(message)
    }
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for StoreError {}

/// A connection to an attack store database, to write and query events directly (the
/// [`AttackStore`] observer keeps its own).
///
/// ```
/// use waf::store::{Query, Store};
///
/// # fn main() -> Result<(), waf::store::StoreError> {
/// # let dir = tempfile::tempdir().unwrap();
/// # let url = format!("sqlite:{}", dir.path().join("events.db").display());
/// let mut store = Store::open(&url)?;
/// assert!(store.query(&Query::default())?.is_empty());
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct Store(Backend);

#[derive(Debug)]
enum Backend {
    Sqlite(sqlite::Sqlite),
    Mysql(mysql::Mysql),
}

impl Store {
    /// Opens the database of `url` (see the [module docs](self)), creating the schema.
    ///
    /// # Errors
    /// When the URL is not understood, or the database cannot be opened or reached.
    pub fn open(url: &str) -> Result<Self, StoreError> {
        Self::open_with(url, true)
    }

    /// Opens the existing database of `url`: like [`open`](Self::open), but a SQLite
    /// file that does not exist is an error rather than created (for readers, where a
    /// mistyped path should not look like an empty store).
    ///
    /// # Errors
    /// As [`open`](Self::open), and when the SQLite file does not exist.
    pub fn open_existing(url: &str) -> Result<Self, StoreError> {
        Self::open_with(url, false)
    }

    fn open_with(url: &str, create: bool) -> Result<Self, StoreError> {
        let backend = if url.starts_with("mysql://") || url.starts_with("mariadb://") {
            let url = url
                .strip_prefix("mariadb")
                .map_or(url.to_owned(), |rest| format!("mysql{rest}"));
            Backend::Mysql(mysql::Mysql::open(&url)?)
        } else {
            let path = url
                .strip_prefix("sqlite://")
                .or_else(|| url.strip_prefix("sqlite:"))
                .unwrap_or(url);
            if path.is_empty() || path.contains("://") {
                return Err(StoreError::new(format!(
                    "cannot open attack store {url:?}: expected sqlite:PATH, a path, or mysql://USER:PASSWORD@HOST:PORT/DATABASE"
                )));
            }
            Backend::Sqlite(sqlite::Sqlite::open(Path::new(path), create)?)
        };
        Ok(Self(backend))
    }

    /// Stores `events`, all or none.
    ///
    /// # Errors
    /// When the database refuses them.
    pub fn insert(&mut self, events: &[Event]) -> Result<(), StoreError> {
        match &mut self.0 {
            Backend::Sqlite(db) => db.insert(events),
            Backend::Mysql(db) => db.insert(events),
        }
    }

    /// The events `query` asks for, newest first.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub fn query(&mut self, query: &Query) -> Result<Vec<Event>, StoreError> {
        match &mut self.0 {
            Backend::Sqlite(db) => db.query(query),
            Backend::Mysql(db) => db.query(query),
        }
    }
}

/// The settings of an [`AttackStore`], made by [`AttackStore::builder`] and started
/// with [`start`](Self::start).
#[derive(Debug, Clone)]
pub struct StoreConfig {
    url: String,
    queue: usize,
    batch: usize,
    record: RecordOptions,
}

impl StoreConfig {
    /// How many events may wait for the writer thread (10 000 by default); more are
    /// dropped and counted.
    pub fn queue(mut self, events: usize) -> Self {
        self.queue = events.max(1);
        self
    }

    /// The most events inserted in one transaction (256 by default).
    pub fn batch(mut self, events: usize) -> Self {
        self.batch = events.max(1);
        self
    }

    /// Also redacts the header `name` in matched data.
    pub fn redact_header(mut self, name: impl AsRef<str>) -> Self {
        self.record.redaction = self.record.redaction.header(name);
        self
    }

    /// Also redacts the argument `name`, in matched data and in the request target.
    pub fn redact_arg(mut self, name: impl AsRef<str>) -> Self {
        self.record.redaction = self.record.redaction.arg(name);
        self
    }

    /// The longest matched value kept, in bytes (128 by default).
    pub fn max_value(mut self, bytes: usize) -> Self {
        self.record.max_value = bytes;
        self
    }

    /// The longest request target kept, in bytes (2048 by default).
    pub fn max_uri(mut self, bytes: usize) -> Self {
        self.record.max_uri = bytes;
        self
    }

    /// Opens the database (twice: one connection for the writer thread, one for
    /// [`AttackStore::query`]) and starts the writer thread.
    ///
    /// # Errors
    /// When the database cannot be opened, or the thread cannot start.
    pub fn start(self) -> Result<AttackStore, StoreError> {
        let writer_store = Store::open(&self.url)?;
        let reader = Store::open(&self.url)?;
        let counters = Arc::new(Counters::default());
        let writer = OffPath::start("waf-store", self.queue, {
            let counters = counters.clone();
            let (url, batch) = (self.url.clone(), self.batch);
            move |queue| writer::run(queue, writer_store, url, batch, counters)
        })
        .map_err(|e| StoreError::new(format!("cannot start the attack store thread: {e}")))?;
        Ok(AttackStore {
            record: self.record,
            writer,
            counters,
            reader: Mutex::new(reader),
        })
    }
}

/// The attack store observer; add it with [`WafLayer::observe`](crate::WafLayer::observe).
/// See the [module docs](self).
#[derive(Debug)]
pub struct AttackStore {
    record: RecordOptions,
    writer: OffPath<Box<Event>>,
    counters: Arc<Counters>,
    reader: Mutex<Store>,
}

impl AttackStore {
    /// Opens the store at `url` with the default settings.
    ///
    /// # Errors
    /// See [`StoreConfig::start`].
    pub fn open(url: &str) -> Result<Self, StoreError> {
        Self::builder(url).start()
    }

    /// The settings for a store at `url`, to adjust before [`StoreConfig::start`].
    pub fn builder(url: &str) -> StoreConfig {
        StoreConfig {
            url: url.to_owned(),
            queue: 10_000,
            batch: 256,
            record: RecordOptions {
                headers: Vec::new(),
                ..RecordOptions::default()
            },
        }
    }

    /// The events `query` asks for, newest first (events still queued are not seen:
    /// [`flush`](Self::flush) first to see them).
    ///
    /// # Errors
    /// When the database cannot be read.
    pub fn query(&self, query: &Query) -> Result<Vec<Event>, StoreError> {
        self.reader
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .query(query)
    }

    /// Waits until every event queued before this call is stored (or counted as
    /// failed). It blocks: call it at shutdown or in tests, never on the request path.
    pub fn flush(&self) {
        self.writer.flush();
    }

    /// How many events were stored.
    pub fn stored(&self) -> u64 {
        self.counters.stored.load(Ordering::Relaxed)
    }

    /// How many events were dropped because the queue was full.
    pub fn dropped(&self) -> u64 {
        self.counters.dropped.load(Ordering::Relaxed)
    }

    /// How many events the database refused (lost).
    pub fn failed(&self) -> u64 {
        self.counters.failed.load(Ordering::Relaxed)
    }
}

impl Observer for AttackStore {
    fn observe(&self, transaction: &Transaction<'_>) {
        if !is_notable(transaction) {
            return;
        }
        let event = Box::new(Event::from(Record::new(transaction, &self.record)));
        if !self.writer.offer(event) {
            self.counters.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }
}

impl Drop for AttackStore {
    fn drop(&mut self) {
        // The writer, dropped after this, stores what is queued.
        let dropped = self.dropped();
        if dropped > 0 {
            tracing::warn!(target: "waf::store", dropped, "attack store closed: {dropped} events were dropped");
        }
    }
}
