//! The audit log: one JSON object per line for every transaction the middleware
//! stopped, or would have stopped in detection-only mode (action `log`), request or
//! response phase.
//!
//! ```
//! use std::sync::Arc;
//! use axum::{Router, routing::get};
//! use tower::ServiceExt;
//! use waf_core::Waf;
//! use waf_tower::WafLayer;
//! use waf_tower::audit::AuditLog;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> std::io::Result<()> {
//! # let dir = tempfile::tempdir()?;
//! # let path = dir.path().join("audit.log");
//! let audit = Arc::new(
//!     AuditLog::file(&path)
//!         .max_file_size(100 * 1024 * 1024)
//!         .keep(5)
//!         .redact_arg("password")
//!         .start()?,
//! );
//! let app = Router::new()
//!     .route("/search", get(|| async { "results" }))
//!     .layer(WafLayer::new(Waf::default()).observe(audit.clone()));
//!
//! let attack = http::Request::get("/search?q=1'%20OR%20'1'='1&password=hunter2")
//!     .body(axum::body::Body::empty())
//!     .unwrap();
//! assert_eq!(app.oneshot(attack).await.unwrap().status(), 403);
//!
//! audit.flush();
//! let line = std::fs::read_to_string(&path)?;
//! let record: serde_json::Value = serde_json::from_str(line.trim_end()).unwrap();
//! assert_eq!(record["action"], "deny");
//! assert_eq!(record["uri"], "/search?q=1'%20OR%20'1'='1&password=[redacted]");
//! # Ok(())
//! # }
//! ```
//!
//! A record holds the time (RFC 3339, UTC), request id, client, method, request target,
//! protocol, status, action, reason, mode, scores and their contributions, every
//! matched rule (id, source, message, severity, tags, variable, matched data cut to
//! [`RecordOptions::max_value`]) and the selected request headers; see [`Record`].
//!
//! Values are redacted ([`Redaction`]): the `Cookie`, `Authorization`,
//! `Proxy-Authorization` and `Set-Cookie` headers and every cookie by default, plus the
//! headers and arguments configured, both where they are copied (headers, the query of
//! the request target) and where a rule matched them (`ARGS:password`).
//!
//! Records are written by a thread of the log's own, fed by a bounded queue: the
//! request never waits for the disk. When the queue is full the record is dropped and
//! counted ([`AuditLog::dropped`]) and the thread says so in a warning; write errors are
//! counted ([`AuditLog::write_errors`]) and warned about. Dropping the log writes out
//! what is queued.

mod record;
mod redact;
mod rotate;
mod writer;

pub(crate) use record::reason_name;
pub use record::{ContributionRecord, MatchRecord, Record, RecordOptions, is_notable, rfc3339};
pub use redact::{REDACTED, Redaction};

use crate::observe::{Observer, OffPath, Transaction};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use writer::{Counters, Sink};

/// Where the audit log goes.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Output {
    Stdout,
    File {
        path: PathBuf,
        max_bytes: u64,
        keep: usize,
    },
}

/// The settings of an [`AuditLog`], made by [`AuditLog::file`] or [`AuditLog::stdout`]
/// and started with [`start`](Self::start).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditConfig {
    output: Output,
    queue: usize,
    record: RecordOptions,
}

impl AuditConfig {
    fn new(output: Output) -> Self {
        Self {
            output,
            queue: 10_000,
            record: RecordOptions::default(),
        }
    }

    /// The size past which the file is rotated (100 MiB by default). No effect on
    /// stdout.
    pub fn max_file_size(mut self, bytes: u64) -> Self {
        if let Output::File { max_bytes, .. } = &mut self.output {
            *max_bytes = bytes;
        }
        self
    }

    /// How many rotated files to keep (`audit.log.1` … `audit.log.N`; 5 by default, 0
    /// keeps none). No effect on stdout.
    pub fn keep(mut self, files: usize) -> Self {
        if let Output::File { keep, .. } = &mut self.output {
            *keep = files;
        }
        self
    }

    /// How many records may wait for the writer thread (10 000 by default); more are
    /// dropped and counted.
    pub fn queue(mut self, records: usize) -> Self {
        self.queue = records.max(1);
        self
    }

    /// Also redacts the header `name` (see [`Redaction::header`]).
    pub fn redact_header(mut self, name: impl AsRef<str>) -> Self {
        self.record.redaction = self.record.redaction.header(name);
        self
    }

    /// Also redacts the argument `name` (see [`Redaction::arg`]).
    pub fn redact_arg(mut self, name: impl AsRef<str>) -> Self {
        self.record.redaction = self.record.redaction.arg(name);
        self
    }

    /// The request headers copied into each record, replacing the default `Host`,
    /// `User-Agent`, `Referer` and `Content-Type`. Redacted ones are written as
    /// [`REDACTED`].
    pub fn headers<I: IntoIterator<Item = S>, S: AsRef<str>>(mut self, names: I) -> Self {
        self.record.headers = names
            .into_iter()
            .map(|n| n.as_ref().to_ascii_lowercase())
            .collect();
        self
    }

    /// The longest matched value or header value written, in bytes (128 by default).
    pub fn max_value(mut self, bytes: usize) -> Self {
        self.record.max_value = bytes;
        self
    }

    /// The longest request target written, in bytes (2048 by default).
    pub fn max_uri(mut self, bytes: usize) -> Self {
        self.record.max_uri = bytes;
        self
    }

    /// Opens the output and starts the writer thread.
    ///
    /// # Errors
    /// When the file cannot be opened for appending, or the thread cannot start.
    pub fn start(self) -> std::io::Result<AuditLog> {
        let sink =
            match &self.output {
                Output::Stdout => Sink::Stdout,
                Output::File {
                    path,
                    max_bytes,
                    keep,
                } => Sink::File(rotate::RotatingFile::open(path, *max_bytes, *keep).map_err(
                    |e| std::io::Error::new(e.kind(), format!("{}: {e}", path.display())),
                )?),
            };
        let counters = Arc::new(Counters::default());
        let writer = OffPath::start("waf-audit", self.queue, {
            let counters = counters.clone();
            move |queue| writer::run(queue, sink, counters)
        })?;
        Ok(AuditLog {
            record: self.record,
            writer,
            counters,
        })
    }
}

/// The audit log observer; add it with [`WafLayer::observe`](crate::WafLayer::observe).
/// See the [module docs](self).
#[derive(Debug)]
pub struct AuditLog {
    record: RecordOptions,
    writer: OffPath<Box<Record>>,
    counters: Arc<Counters>,
}

impl AuditLog {
    /// An audit log written to the file `path`, rotated at 100 MiB keeping 5 old files
    /// unless set otherwise.
    pub fn file(path: impl AsRef<Path>) -> AuditConfig {
        AuditConfig::new(Output::File {
            path: path.as_ref().to_owned(),
            max_bytes: 100 * 1024 * 1024,
            keep: 5,
        })
    }

    /// An audit log written to standard output.
    pub fn stdout() -> AuditConfig {
        AuditConfig::new(Output::Stdout)
    }

    /// How many records were dropped because the queue was full.
    pub fn dropped(&self) -> u64 {
        self.counters.dropped.load(Ordering::Relaxed)
    }

    /// How many records could not be written (or flushes failed).
    pub fn write_errors(&self) -> u64 {
        self.counters.errors.load(Ordering::Relaxed)
    }

    /// How many records were written.
    pub fn written(&self) -> u64 {
        self.counters.written.load(Ordering::Relaxed)
    }

    /// Waits until every record queued before this call is written and flushed. It
    /// blocks: call it at shutdown or in tests, never on the request path.
    pub fn flush(&self) {
        self.writer.flush();
    }
}

impl Observer for AuditLog {
    fn observe(&self, transaction: &Transaction<'_>) {
        if !is_notable(transaction) {
            return;
        }
        let record = Box::new(Record::new(transaction, &self.record));
        if !self.writer.offer(record) {
            self.counters.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }
}

impl Drop for AuditLog {
    fn drop(&mut self) {
        // The writer, dropped after this, writes out what is queued.
        let dropped = self.dropped();
        if dropped > 0 {
            tracing::warn!(target: "waf::audit", dropped, "audit log closed: {dropped} records were dropped");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, SystemTime};
    use waf_core::request::{RawRequest, RequestView};
    use waf_core::{Mode, Waf};

    /// Shows `audit` `n` copies of a denied transaction.
    fn observe_attacks(audit: &AuditLog, n: usize) {
        let waf = Waf::default();
        let request = RequestView::from_raw(
            RawRequest {
                method: "GET",
                uri: "/?q=1'%20OR%20'1'='1",
                protocol: "HTTP/1.1",
                headers: vec![],
                body: Default::default(),
                client: [192, 0, 2, 1].into(),
            },
            &waf.limits(),
        );
        let verdict = waf.inspect(&request);
        let transaction = Transaction {
            request_id: "0123456789abcdef",
            time: SystemTime::UNIX_EPOCH,
            client: request.client,
            request: &request,
            request_verdict: &verdict,
            response_verdict: None,
            status: 403,
            inspection: Duration::ZERO,
            mode: Mode::Block,
        };
        assert!(is_notable(&transaction));
        for _ in 0..n {
            audit.observe(&transaction);
        }
    }

    #[test]
    fn a_full_queue_drops_and_counts_and_loses_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.log");
        let audit = AuditLog::file(&path).queue(1).start().unwrap();
        observe_attacks(&audit, 2000);
        audit.flush();
        assert_eq!(audit.written() + audit.dropped(), 2000);
        let lines = std::fs::read_to_string(&path).unwrap().lines().count() as u64;
        assert_eq!(lines, audit.written());
        assert_eq!(audit.write_errors(), 0);
    }

    #[test]
    fn write_errors_are_counted() {
        // Every write to /dev/full fails with "no space left on device". The size
        // limit is never reached, so the device is never rotated.
        let audit = AuditLog::file("/dev/full")
            .max_file_size(u64::MAX)
            .start()
            .unwrap();
        observe_attacks(&audit, 3);
        audit.flush();
        assert!(audit.write_errors() > 0);
        assert_eq!(audit.dropped(), 0);
    }

    #[test]
    fn an_unopenable_file_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("missing").join("audit.log");
        let error = AuditLog::file(&path).start().unwrap_err();
        assert!(error.to_string().contains("missing/audit.log"), "{error}");
    }
}
