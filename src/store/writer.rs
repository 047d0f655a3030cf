//! The attack store's own thread: takes events off the queue and inserts them in
//! batches, one transaction each.

use super::{Event, Store};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::Receiver;
use waf_tower::observe::Job;

/// Counters shared by the observer and its thread.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub stored: AtomicU64,
    pub dropped: AtomicU64,
    pub failed: AtomicU64,
}

/// Drains `queue` into `store`, `batch` events per transaction at most, until every
/// sender is gone. A failed batch is retried once on a fresh connection (the server
/// may have restarted), then counted as lost.
pub(crate) fn run(
    queue: Receiver<Job<Box<Event>>>,
    mut store: Store,
    url: String,
    batch: usize,
    counters: Arc<Counters>,
) {
    let mut reported_drops = 0;
    let mut events = Vec::with_capacity(batch);
    let mut waiting = Vec::new();
    while let Ok(first) = queue.recv() {
        let mut next = Some(first);
        while let Some(message) = next {
            match message {
                Job::Item(event) => events.push(*event),
                Job::Flush(done) => waiting.push(done),
            }
            next = if events.len() < batch {
                queue.try_recv().ok()
            } else {
                None
            };
        }
        if !events.is_empty() {
            insert(&mut store, &url, &events, &counters);
            events.clear();
        }
        for done in waiting.drain(..) {
            let _ = done.send(());
        }
        let dropped = counters.dropped.load(Ordering::Relaxed);
        if dropped > reported_drops {
            tracing::warn!(
                target: "waf::store",
                dropped,
                "attack store: queue full, {} events dropped ({dropped} in all)",
                dropped - reported_drops
            );
            reported_drops = dropped;
        }
    }
}

fn insert(store: &mut Store, url: &str, events: &[Event], counters: &Counters) {
    let count = events.len() as u64;
    let outcome = store.insert(events).or_else(|first| {
        tracing::warn!(target: "waf::store", "attack store: {first}; reconnecting");
        *store = Store::open(url)?;
        store.insert(events)
    });
    match outcome {
        Ok(()) => {
            counters.stored.fetch_add(count, Ordering::Relaxed);
        }
        Err(error) => {
            let failed = counters.failed.fetch_add(count, Ordering::Relaxed) + count;
            tracing::warn!(
                target: "waf::store",
                failed,
                "attack store: {count} events lost ({failed} in all): {error}"
            );
        }
    }
}
