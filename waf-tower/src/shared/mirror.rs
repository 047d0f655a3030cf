//! The mirror stream: summaries of requests, written by nodes in
//! [`Mode::Mirror`](waf_core::Mode::Mirror) to a Redis stream (`<prefix>:mirror`), read
//! by an analyzer with a consumer group (`examples/analyzer.rs`).
//!
//! Each entry has three fields: `request`, a request line of the project's JSONL format
//! (`shared/formats/requests-jsonl.md`, what `waf scan` reads), `node`, and
//! `mirrored_at_us` (Unix microseconds).
//!
//! Writing never slows a request: summaries go through a bounded queue to one writer
//! task, which sends them in pipelined batches; when the queue is full or Redis is
//! down, summaries are dropped and counted ([`SharedStats::mirror_dropped`]).
//!
//! [`SharedStats::mirror_dropped`]: super::SharedStats::mirror_dropped

use super::stats::Counters;
use super::{Core, Shared};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::{mpsc, watch};
use waf_core::request::{Limits, RecordedRequest, RequestView};

/// A request summary as the mirror stream carries it.
///
/// ```
/// use waf_core::request::Limits;
/// use waf_tower::shared::MirroredRequest;
///
/// let fields = [
///     ("request", r#"{"id":"r-1","method":"GET","uri":"/?q=1","headers":[["Host","a"]],"client_ip":"198.51.100.7"}"#),
///     ("node", "edge-1"),
///     ("mirrored_at_us", "1763700000000000"),
/// ];
/// let mirrored = MirroredRequest::from_fields(fields)?;
/// assert_eq!(mirrored.node, "edge-1");
/// let view = mirrored.view(&Limits::default());
/// assert_eq!(view.args_get[0].value, b"1");
/// assert_eq!(view.client.to_string(), "198.51.100.7");
/// # Ok::<(), String>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct MirroredRequest {
    /// The request, with the id the node answered with (`x-request-id`).
    pub request: RecordedRequest,
    /// The node that mirrored it.
    pub node: String,
    /// When, in Unix microseconds.
    pub mirrored_at_us: u64,
}

impl MirroredRequest {
    /// Reads a stream entry's fields (`request`, `node`, `mirrored_at_us`); the error
    /// names the field that is missing or malformed.
    pub fn from_fields<'a>(
        fields: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self, String> {
        let (mut request, mut node, mut at) = (None, None, None);
        for (name, value) in fields {
            match name {
                "request" => request = Some(RecordedRequest::parse(value.as_bytes())?),
                "node" => node = Some(value.to_owned()),
                "mirrored_at_us" => {
                    at = Some(
                        value
                            .parse()
                            .map_err(|_| format!("mirrored_at_us {value:?} is not a number"))?,
                    );
                }
                _ => {}
            }
        }
        Ok(Self {
            request: request.ok_or("no request field")?,
            node: node.ok_or("no node field")?,
            mirrored_at_us: at.ok_or("no mirrored_at_us field")?,
        })
    }

    /// The request, parsed for the engine under `limits`.
    pub fn view(&self, limits: &Limits) -> RequestView {
        RequestView::from_raw(self.request.raw(), limits)
    }
}

/// Unix time in microseconds.
pub(crate) fn unix_micros() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
}

impl Shared {
    /// Queues a summary of `request` for the mirror stream; never waits.
    pub fn mirror(&self, id: &str, request: &RequestView) {
        let entry = (
            RecordedRequest::from_view(id, request).to_line(),
            unix_micros(),
        );
        if self.core.mirror.try_send(entry).is_err() {
            Counters::bump(&self.core.counters.mirror_dropped);
        }
    }

    /// The name of the mirror stream.
    pub fn mirror_stream(&self) -> String {
        self.core.key("mirror")
    }
}

/// Writes queued summaries to the stream, up to 256 per round trip.
pub(crate) async fn write(
    core: Arc<Core>,
    mut queue: mpsc::Receiver<(String, u64)>,
    mut stop: watch::Receiver<()>,
) {
    let stream = core.key("mirror");
    let mut batch = Vec::with_capacity(256);
    loop {
        tokio::select! {
            _ = stop.changed() => return,
            n = queue.recv_many(&mut batch, 256) => if n == 0 { return },
        }
        let Some(mut conn) = core.connection() else {
            Counters::add(&core.counters.mirror_dropped, batch.len() as u64);
            batch.clear();
            continue;
        };
        let mut pipe = redis::pipe();
        for (line, at) in &batch {
            pipe.cmd("XADD")
                .arg(&stream)
                .arg("MAXLEN")
                .arg("~")
                .arg(core.settings.mirror_stream_len)
                .arg("*")
                .arg("request")
                .arg(line)
                .arg("node")
                .arg(&core.node)
                .arg("mirrored_at_us")
                .arg(at)
                .ignore();
        }
        let sent =
            tokio::time::timeout(Duration::from_secs(1), pipe.query_async::<()>(&mut conn)).await;
        match sent {
            Ok(Ok(())) => Counters::add(&core.counters.mirrored, batch.len() as u64),
            _ => {
                Counters::bump(&core.counters.command_errors);
                Counters::add(&core.counters.mirror_dropped, batch.len() as u64);
            }
        }
        batch.clear();
    }
}
