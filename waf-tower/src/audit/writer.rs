//! The audit log's own thread: takes records off the queue, writes them out, and
//! reports drops and write errors.

use super::record::Record;
use super::rotate::RotatingFile;
use crate::observe::Job;
use std::io::{self, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::Receiver;

/// Where the lines go.
#[derive(Debug)]
pub(crate) enum Sink {
    Stdout,
    File(RotatingFile),
}

impl Sink {
    fn write_line(&mut self, line: &[u8]) -> io::Result<()> {
        match self {
            Self::Stdout => io::stdout().lock().write_all(line),
            Self::File(file) => file.write_line(line),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Self::Stdout => io::stdout().lock().flush(),
            Self::File(file) => file.flush(),
        }
    }
}

/// Counters shared by the observer and its thread.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub written: AtomicU64,
    pub dropped: AtomicU64,
    pub errors: AtomicU64,
}

impl Counters {
    fn error(&self, what: &str, error: &dyn std::fmt::Display) {
        let errors = self.errors.fetch_add(1, Ordering::Relaxed) + 1;
        // Every error counts; the log hears of the 1st, 2nd, 4th, 8th…, so a full
        // disk does not flood it.
        if errors.is_power_of_two() {
            tracing::warn!(target: "waf::audit", errors, "audit log: cannot {what}: {error}");
        }
    }
}

/// Drains `queue` into `sink` until every sender is gone, then flushes.
pub(crate) fn run(queue: Receiver<Job<Box<Record>>>, mut sink: Sink, counters: Arc<Counters>) {
    let mut reported_drops = 0;
    while let Ok(first) = queue.recv() {
        let mut next = Some(first);
        while let Some(message) = next {
            match message {
                Job::Item(record) => write(&mut sink, &record, &counters),
                Job::Flush(done) => {
                    flush(&mut sink, &counters);
                    let _ = done.send(());
                }
            }
            next = queue.try_recv().ok();
        }
        flush(&mut sink, &counters);
        let dropped = counters.dropped.load(Ordering::Relaxed);
        if dropped > reported_drops {
            tracing::warn!(
                target: "waf::audit",
                dropped,
                "audit log: queue full, {} records dropped ({dropped} in all)",
                dropped - reported_drops
            );
            reported_drops = dropped;
        }
    }
    flush(&mut sink, &counters);
}

fn write(sink: &mut Sink, record: &Record, counters: &Counters) {
    let mut line = match serde_json::to_vec(record) {
        Ok(line) => line,
        Err(error) => return counters.error("encode a record", &error),
    };
    line.push(b'\n');
    match sink.write_line(&line) {
        Ok(()) => {
            counters.written.fetch_add(1, Ordering::Relaxed);
        }
        Err(error) => counters.error("write", &error),
    }
}

fn flush(sink: &mut Sink, counters: &Counters) {
    if let Err(error) = sink.flush() {
        counters.error("flush", &error);
    }
}
