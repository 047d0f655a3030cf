//! A thread of an observer's own, fed through a bounded queue: the request path hands
//! work over without waiting, and a full queue refuses it instead of slowing requests.

use std::sync::mpsc::{Receiver, SyncSender, TrySendError};
use std::thread::JoinHandle;

/// What an [`OffPath`] thread receives.
#[derive(Debug)]
pub enum Job<T> {
    /// Work to do.
    Item(T),
    /// Finish everything received before this, then answer.
    Flush(SyncSender<()>),
}

/// A thread running an observer's slow work (a file, a database) off the request path.
/// Dropping it closes the queue and waits for the thread to finish what is queued.
///
/// ```
/// use waf_tower::observe::{Job, OffPath};
///
/// let (written, sink) = std::sync::mpsc::channel();
/// let lines = OffPath::start("lines", 100, move |queue| {
///     for job in queue {
///         match job {
///             Job::Item(line) => written.send(line).unwrap(),
///             Job::Flush(done) => done.send(()).unwrap(),
///         }
///     }
/// })?;
/// assert!(lines.offer("one".to_owned()));
/// lines.flush();
/// assert_eq!(sink.recv().unwrap(), "one");
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct OffPath<T> {
    sender: Option<SyncSender<Job<T>>>,
    thread: Option<JoinHandle<()>>,
}

impl<T: Send + 'static> OffPath<T> {
    /// Starts the thread `name`, running `work` on the receiving end of a queue that
    /// holds `capacity` jobs (at least 1). `work` returns when the queue is closed.
    ///
    /// # Errors
    /// When the thread cannot start.
    pub fn start(
        name: &str,
        capacity: usize,
        work: impl FnOnce(Receiver<Job<T>>) + Send + 'static,
    ) -> std::io::Result<Self> {
        let (sender, queue) = std::sync::mpsc::sync_channel(capacity.max(1));
        let thread = std::thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || work(queue))?;
        Ok(Self {
            sender: Some(sender),
            thread: Some(thread),
        })
    }

    /// Queues `item` without waiting; `false` when the queue is full or the thread has
    /// stopped (the caller counts what it loses).
    pub fn offer(&self, item: T) -> bool {
        match &self.sender {
            Some(sender) => match sender.try_send(Job::Item(item)) {
                Ok(()) => true,
                Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => false,
            },
            None => false,
        }
    }

    /// Waits until the thread has finished every job queued before this call. It
    /// blocks: call it at shutdown or in tests, never on the request path.
    pub fn flush(&self) {
        let (done, wait) = std::sync::mpsc::sync_channel(1);
        if let Some(sender) = &self.sender
            && sender.send(Job::Flush(done)).is_ok()
        {
            let _ = wait.recv();
        }
    }
}

impl<T> Drop for OffPath<T> {
    fn drop(&mut self) {
        // The thread finishes what is queued once the queue has no sender left.
        self.sender.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
