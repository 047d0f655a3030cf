//! State shared between nodes through Redis: bans, rate limits, threat-intelligence
//! feeds, and the mirror stream of an out-of-band pipeline.
//!
//! ```no_run
//! use axum::{Router, routing::get};
//! use waf_core::Waf;
//! use waf_tower::WafLayer;
//! use waf_tower::shared::{Shared, SharedSettings};
//!
//! #[tokio::main]
//! async fn main() -> std::io::Result<()> {
//!     let waf = Waf::default();
//!     // Follows Redis in the background: the node starts, and keeps serving, while
//!     // Redis is down, and catches up when it comes back.
//!     let shared = Shared::start(&waf, SharedSettings::new("redis://127.0.0.1:6379/"));
//!     let app = Router::new()
//!         .route("/", get(|| async { "hello" }))
//!         .layer(WafLayer::new(waf).shared(shared));
//!     let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
//!     let service = app.into_make_service_with_connect_info::<std::net::SocketAddr>();
//!     axum::serve(listener, service).await
//! }
//! ```
//!
//! What each part does:
//!
//! - **Bans.** Every ban and unban this node's engine makes (active defense, or
//!   [`Waf::ban`]) is written to a sorted set in Redis and published; every other node
//!   applies it within milliseconds, so its kernel blocklist and decision-stream
//!   subscribers follow too. A node that connects or reconnects first subscribes, then
//!   sends the decisions it made while disconnected, then loads the whole set (and lifts
//!   bans lifted meanwhile). TTLs are kept by every node and by Redis.
//! - **Rate limits** ([`WafLayer::shared`](crate::WafLayer::shared)). The engine's
//!   `[[rate_limits]]` are counted in Redis by an atomic GCRA script per key. A node
//!   takes a batch of requests at a time and counts them locally, so a request waits on
//!   Redis once per batch, and a refused client is refused locally for its cooldown.
//! - **Feeds** ([`Shared::publish_feed`], [`Shared::threat_intel`]): a feed is loaded
//!   into Redis once and every node reads it from there.
//! - **Mirror** ([`Shared::mirror`]): in [`Mode::Mirror`](waf_core::Mode::Mirror) the
//!   layer writes a summary of each request to a Redis stream, where an analyzer reads
//!   them with a consumer group and bans attackers (`examples/analyzer.rs`).
//!
//! When Redis cannot be reached, bans keep working locally and wait in an outbox, rate
//! limits fail open (counted by this node alone) or closed ([`FailMode`]), the node
//! reconnects with exponential backoff, and [`Shared::stats`] and the `waf` log target
//! say so.

mod analyzer;
mod bans;
mod feeds;
mod limiter;
mod mirror;
mod scripts;
mod settings;
mod stats;

pub use analyzer::{Analyzed, Analyzer, AnalyzerSettings};
pub use feeds::FeedError;
pub use mirror::MirroredRequest;
pub use settings::{FailMode, SharedSettings};
pub use stats::SharedStats;

use arc_swap::ArcSwapOption;
use bans::Outbox;
use limiter::Leases;
use redis::aio::MultiplexedConnection;
use stats::Counters;
use std::sync::Arc;
use std::sync::mpsc::RecvTimeoutError;
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use waf_core::Waf;
use waf_core::decision::Decision;
use waf_core::ratelimit::RateLimiter;

/// A node's link to the shared state: cheap to clone; the background tasks stop when
/// the last clone is dropped.
#[derive(Debug, Clone)]
pub struct Shared {
    core: Arc<Core>,
    /// Dropped with the last clone, which tells the tasks to stop.
    _stop: Arc<watch::Sender<()>>,
}

/// What the tasks and the request path share.
#[derive(Debug)]
pub(crate) struct Core {
    settings: SharedSettings,
    node: String,
    client: redis::Client,
    waf: Waf,
    /// The working connection; `None` while disconnected, so that requests do not wait
    /// on a connection known to be down.
    conn: ArcSwapOption<MultiplexedConnection>,
    counters: Counters,
    leases: Leases,
    /// Counts rate limits while Redis cannot (fail-open).
    fallback: RateLimiter,
    /// The epoch of the Redis this node last loaded from (see `bans::epoch`).
    epoch: std::sync::Mutex<Option<String>>,
    /// Summaries waiting for the mirror writer.
    mirror: mpsc::Sender<(String, u64)>,
}

/// How a connection's life ended.
#[derive(Debug)]
pub(crate) enum Ended {
    /// The node is shutting down.
    Stopped,
    /// No connection could be made.
    Failed(redis::RedisError),
    /// A working connection was lost.
    Lost(String),
}

impl Shared {
    /// Starts sharing `waf`'s state through Redis: spawns the background tasks on the
    /// current Tokio runtime and returns at once, whether Redis is up or not.
    ///
    /// # Panics
    ///
    /// Outside a Tokio runtime.
    pub fn start(waf: &Waf, settings: SharedSettings) -> Self {
        let client = redis::Client::open(settings.url.as_str()).unwrap_or_else(|error| {
            // A malformed URL is a configuration error that cannot heal: report it and
            // run as if Redis were down (local state keeps working).
            tracing::error!(target: "waf", url = settings.url, %error, "shared state: bad Redis URL");
            redis::Client::open("redis://127.0.0.1:1/").expect("a valid fallback URL")
        });
        let (mirror_tx, mirror_rx) = mpsc::channel(4096);
        let core = Arc::new(Core {
            node: settings.node_name(),
            client,
            waf: waf.clone(),
            conn: ArcSwapOption::empty(),
            counters: Counters::default(),
            leases: Leases::default(),
            fallback: RateLimiter::default(),
            epoch: std::sync::Mutex::new(None),
            mirror: mirror_tx,
            settings,
        });
        let (stop_tx, stop_rx) = watch::channel(());
        let (local_tx, local_rx) = mpsc::unbounded_channel();
        forward_decisions(waf.subscribe(), local_tx);
        tokio::spawn(link(core.clone(), local_rx, stop_rx.clone()));
        tokio::spawn(sweep(core.clone(), stop_rx.clone()));
        tokio::spawn(mirror::write(core.clone(), mirror_rx, stop_rx));
        Self {
            core,
            _stop: Arc::new(stop_tx),
        }
    }

    /// This node's name in shared decisions.
    pub fn node(&self) -> &str {
        &self.core.node
    }

    /// The counters: connection state, decisions sent and received, fallbacks, …
    pub fn stats(&self) -> SharedStats {
        self.core.counters.snapshot()
    }

    /// Reads [`stats`](Self::stats) without keeping the node alive: `None` once its
    /// last clone is dropped (for metrics read at scrape time).
    pub(crate) fn stats_reader(&self) -> impl Fn() -> Option<SharedStats> + Send + Sync + 'static {
        let core = Arc::downgrade(&self.core);
        move || core.upgrade().map(|core| core.counters.snapshot())
    }

    /// Waits until the node is connected (the shared ban set loaded), at most `timeout`;
    /// true if it is.
    pub async fn wait_connected(&self, timeout: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        while !self.stats().connected {
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        true
    }

    /// Counts `request` against the engine's rate limits in Redis (see the module docs);
    /// the first limit it is over, if any. What [`WafLayer::shared`](crate::WafLayer::shared)
    /// calls before [`Waf::begin_counted`].
    pub async fn check_rate_limits(
        &self,
        request: &waf_core::request::RequestView,
    ) -> Option<waf_core::ratelimit::Limited> {
        self.core.check_rate_limits(request).await
    }

    /// The engine this node shares.
    pub fn waf(&self) -> &Waf {
        &self.core.waf
    }
}

impl Core {
    fn key(&self, name: &str) -> String {
        self.settings.key(name)
    }

    fn connected(&self, conn: MultiplexedConnection) {
        self.conn.store(Some(Arc::new(conn)));
        self.counters
            .connected
            .store(true, std::sync::atomic::Ordering::Relaxed);
        Counters::bump(&self.counters.connects);
        tracing::info!(target: "waf", node = self.node, url = self.settings.url, "shared state: connected to Redis");
    }

    fn disconnected(&self) {
        self.conn.store(None);
        self.counters
            .connected
            .store(false, std::sync::atomic::Ordering::Relaxed);
        Counters::bump(&self.counters.connection_failures);
    }

    /// The working connection, if there is one.
    fn connection(&self) -> Option<MultiplexedConnection> {
        self.conn.load().as_deref().cloned()
    }
}

/// Keeps a connection to Redis, reconnecting with exponential backoff.
async fn link(
    core: Arc<Core>,
    mut local: mpsc::UnboundedReceiver<Decision>,
    mut stop: watch::Receiver<()>,
) {
    let settings = &core.settings;
    let mut outbox = Outbox::new(settings.outbox_len);
    let min = Duration::from_millis(settings.reconnect_min_ms.max(1));
    let max = Duration::from_millis(settings.reconnect_max_ms).max(min);
    let mut backoff = min;
    loop {
        match bans::session(&core, &mut local, &mut outbox, &mut stop).await {
            Ended::Stopped => return,
            Ended::Lost(error) => {
                tracing::warn!(target: "waf", %error, "shared state: lost the connection to Redis; reconnecting");
                backoff = min;
            }
            Ended::Failed(error) => {
                tracing::warn!(target: "waf", %error, retry_in_ms = backoff.as_millis() as u64, "shared state: cannot reach Redis");
            }
        }
        core.disconnected();
        // Decisions made while waiting go to the outbox.
        let wait = tokio::time::sleep(backoff);
        tokio::pin!(wait);
        loop {
            tokio::select! {
                _ = &mut wait => break,
                _ = stop.changed() => return,
                decision = local.recv() => match decision {
                    Some(decision) => outbox.push(decision, &core.counters),
                    None => return,
                },
            }
        }
        backoff = (backoff * 2).min(max);
    }
}

/// Sweeps expired bans, so that subscribers (the kernel blocklist) hear of them.
async fn sweep(core: Arc<Core>, mut stop: watch::Receiver<()>) {
    let mut tick = tokio::time::interval(Duration::from_millis(
        core.settings.sweep_interval_ms.max(10),
    ));
    loop {
        tokio::select! {
            _ = tick.tick() => { core.waf.sweep_expired(); }
            _ = stop.changed() => return,
        }
    }
}

/// Moves the engine's decisions (a blocking channel) onto the link task's channel, from
/// a thread of its own, which ends when the link task does.
fn forward_decisions(
    decisions: std::sync::mpsc::Receiver<Decision>,
    local: mpsc::UnboundedSender<Decision>,
) {
    std::thread::Builder::new()
        .name("waf-shared-decisions".into())
        .spawn(move || {
            loop {
                match decisions.recv_timeout(Duration::from_millis(250)) {
                    Ok(decision) => {
                        if local.send(decision).is_err() {
                            return;
                        }
                    }
                    Err(RecvTimeoutError::Timeout) if local.is_closed() => return,
                    Err(RecvTimeoutError::Timeout) => {}
                    Err(RecvTimeoutError::Disconnected) => return,
                }
            }
        })
        .expect("a thread can be spawned");
}
