//! Prometheus metrics: what the firewall decided, why, how long it took, and the state
//! of its bans, rate limiter, shared state, kernel blocklist, plugins and ML model.
//!
//! [`Metrics`] is an [`Observer`]: add it to a [`WafLayer`](crate::WafLayer) and serve
//! its exposition ([`Metrics::encode`], or [`Metrics::router`] for `GET /metrics`).
//!
//! ```
//! use std::sync::Arc;
//! use axum::{Router, body::Body, routing::get};
//! use http_body_util::BodyExt;
//! use tower::ServiceExt;
//! use waf_core::Waf;
//! use waf_tower::WafLayer;
//! use waf_tower::metrics::Metrics;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let waf = Waf::default();
//! let metrics = Metrics::new();
//! // Bans made and in force, the rate limiter's size: read from the engine.
//! metrics.watch(&waf);
//! let app = Router::new()
//!     .route("/search", get(|| async { "results" }))
//!     .layer(WafLayer::new(waf).observe(Arc::new(metrics.clone())))
//!     // Merged after the layer: scrapes are not inspected, nor counted.
//!     .merge(metrics.router());
//!
//! let attack = http::Request::get("/search?q=1'%20OR%20'1'='1").body(Body::empty()).unwrap();
//! assert_eq!(app.clone().oneshot(attack).await.unwrap().status(), 403);
//!
//! let scrape = app.oneshot(http::Request::get("/metrics").body(Body::empty()).unwrap()).await.unwrap();
//! let text = String::from_utf8(scrape.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap();
//! assert!(text.contains(r#"waf_requests_total{action="deny"} 1"#));
//! assert!(text.contains("waf_inspection_duration_seconds_bucket"));
//! # }
//! ```
//!
//! # What is exported
//!
//! Counted on the request path (by [`Observer::observe`]):
//!
//! | metric | labels | meaning |
//! | --- | --- | --- |
//! | `waf_requests_total` | `action` | inspected requests by what was done: `allow`, `log`, `deny`, `challenge`, `rate_limit` |
//! | `waf_rule_hits_total` | `rule_id`, `source` | matches per rule (`source`: `CRS`, `builtin`, `blocklist`, `ml_anomaly`, a plugin…) |
//! | `waf_tag_hits_total` | `tag` | matches per rule tag (`attack-sqli`, …) |
//! | `waf_rate_limit_hits_total` | `limit` | requests refused by each `[[rate_limits]]` entry |
//! | `waf_inspection_duration_seconds` | | histogram of the time spent inspecting a request and its response |
//! | `waf_top_attacking_client_requests` | `client` | the clients with most requests acted on (not allowed), estimated in bounded memory: at most [`TOP_CLIENTS`] series |
//!
//! From the decision stream ([`Metrics::watch`]): `waf_ban_decisions_total{decision,
//! origin}` (`ban`, `unban`, `expired`; `local`, `shared`). Read from the engine when
//! scraped: `waf_bans_active`, `waf_rate_limiter_keys`, `waf_rate_limiter_evictions_total`.
//!
//! Read when scraped, once registered: shared state ([`Metrics::shared`]:
//! `waf_redis_connected` and `waf_redis_*_total`, one per [`SharedStats`] counter),
//! the kernel blocklist ([`Metrics::xdp_drops_from`]:
//! `waf_xdp_dropped_packets_total`, `waf_xdp_dropped_bytes_total`), plugins
//! ([`Metrics::plugins_from`]: `waf_plugin_calls_total{plugin}`,
//! `waf_plugin_errors_total{plugin}`) and the ML model ([`Metrics::ml_errors_from`]:
//! `waf_ml_errors_total`).
//!
//! Labels hold rule ids, sources, tags and limit names, bounded by the rule set and the
//! configuration; never request data. Client addresses appear only in the bounded
//! top-clients family.
//!
//! [`SharedStats`]: crate::shared::SharedStats

mod decisions;
#[cfg(feature = "axum")]
mod http;
mod sources;
mod top;

pub use sources::{PluginCounts, XdpDrops};

use crate::observe::{Observer, Transaction};
use crate::shared::Shared;
use decisions::DecisionCounters;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use sources::ScrapeSources;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use top::TopClients;
use waf_core::{Action, Waf};

/// How many attacking clients `waf_top_attacking_client_requests` holds.
pub const TOP_CLIENTS: usize = 20;

/// The `Content-Type` of [`Metrics::encode`]'s text: OpenMetrics, which Prometheus reads.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The firewall's metrics: an [`Observer`] for [`WafLayer`](crate::WafLayer), and the
/// registry it counts into. Cheap to clone; clones share the counters. See the
/// [module docs](self).
#[derive(Clone)]
pub struct Metrics {
    inner: Arc<Inner>,
}

struct Inner {
    registry: Registry,
    requests: Family<ActionLabels, Counter>,
    rule_hits: Family<RuleLabels, Counter>,
    tag_hits: Family<TagLabels, Counter>,
    rate_limit_hits: Family<LimitLabels, Counter>,
    inspection: Histogram,
    decisions: Arc<DecisionCounters>,
    top_clients: TopClientsCollector,
    sources: ScrapeSources,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ActionLabels {
    action: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RuleLabels {
    rule_id: u32,
    source: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TagLabels {
    tag: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct LimitLabels {
    limit: String,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Metrics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Metrics {
    /// Empty metrics, every request counter at zero.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("waf");
        let requests = Family::<ActionLabels, Counter>::default();
        for action in Action::NAMES {
            requests.get_or_create_owned(&ActionLabels { action });
        }
        registry.register(
            "requests",
            "Inspected requests by the action taken",
            requests.clone(),
        );
        let rule_hits = Family::<RuleLabels, Counter>::default();
        registry.register(
            "rule_hits",
            "Matches per rule id and rule source",
            rule_hits.clone(),
        );
        let tag_hits = Family::<TagLabels, Counter>::default();
        registry.register("tag_hits", "Matches per rule tag", tag_hits.clone());
        let rate_limit_hits = Family::<LimitLabels, Counter>::default();
        registry.register(
            "rate_limit_hits",
            "Requests refused by a rate limit, per limit",
            rate_limit_hits.clone(),
        );
        // 5 µs to 160 ms: an inspection takes tens of microseconds to a few milliseconds.
        let inspection = Histogram::new(exponential_buckets(5e-6, 2.0, 16));
        registry.register(
            "inspection_duration_seconds",
            "Time spent inspecting a request and its response",
            inspection.clone(),
        );
        let decisions = Arc::new(DecisionCounters::default());
        for labels in decisions::all_labels() {
            decisions.get_or_create_owned(&labels);
        }
        registry.register(
            "ban_decisions",
            "Bans made, lifted (unban) and expired, by where they were decided",
            (*decisions).clone(),
        );
        let top_clients = TopClientsCollector(Arc::new(Mutex::new(TopClients::new(TOP_CLIENTS))));
        registry.register_collector(Box::new(top_clients.clone()));
        let sources = ScrapeSources::default();
        registry.register_collector(Box::new(sources.clone()));
        Self {
            inner: Arc::new(Inner {
                registry,
                requests,
                rule_hits,
                tag_hits,
                rate_limit_hits,
                inspection,
                decisions,
                top_clients,
                sources,
            }),
        }
    }

    /// Follows `waf`: counts its bans, unbans and expiries (`waf_ban_decisions_total`,
    /// on a thread that ends with the engine or with these metrics), and reads the bans
    /// in force and the rate limiter's size when scraped. Call it once per engine.
    pub fn watch(&self, waf: &Waf) {
        // Detached: the thread ends with the engine or with these metrics.
        decisions::follow(waf.subscribe(), Arc::downgrade(&self.inner.decisions));
        let waf = waf.clone();
        self.inner.sources.update(|sources| sources.waf = Some(waf));
    }

    /// Reads `shared`'s connection state and counters when scraped (`waf_redis_*`),
    /// without keeping its background tasks alive: once its last clone is dropped the
    /// metrics disappear.
    pub fn shared(&self, shared: &Shared) {
        let read = shared.stats_reader();
        self.inner
            .sources
            .update(|sources| sources.shared = Some(Box::new(read)));
    }

    /// Reads the kernel blocklist's drop totals with `read` when scraped
    /// (`waf_xdp_dropped_packets_total`, `waf_xdp_dropped_bytes_total`). `read` runs on
    /// the scraping task: it should be quick (a map walk is).
    pub fn xdp_drops_from(&self, read: impl Fn() -> XdpDrops + Send + Sync + 'static) {
        self.inner
            .sources
            .update(|sources| sources.xdp = Some(Box::new(read)));
    }

    /// Reads each plugin's counters with `read` when scraped
    /// (`waf_plugin_calls_total{plugin}`, `waf_plugin_errors_total{plugin}`), e.g. from
    /// `waf_core::plugins::PluginSource::stats`.
    pub fn plugins_from(
        &self,
        read: impl Fn() -> Vec<(String, PluginCounts)> + Send + Sync + 'static,
    ) {
        self.inner
            .sources
            .update(|sources| sources.plugins = Some(Box::new(read)));
    }

    /// Reads the ML model's failed inferences with `read` when scraped
    /// (`waf_ml_errors_total`), e.g. from `waf_core::ml::AnomalyScorer::errors`.
    pub fn ml_errors_from(&self, read: impl Fn() -> u64 + Send + Sync + 'static) {
        self.inner
            .sources
            .update(|sources| sources.ml_errors = Some(Box::new(read)));
    }

    /// The text exposition (OpenMetrics, served as [`CONTENT_TYPE`]).
    pub fn encode(&self) -> String {
        let mut text = String::new();
        if let Err(error) =
            prometheus_client::encoding::text::encode(&mut text, &self.inner.registry)
        {
            // Writing to a String does not fail; a collector could, and then the scrape
            // shows what was written before it.
            tracing::error!(target: "waf", %error, "metrics: encoding failed");
        }
        text
    }
}

impl Observer for Metrics {
    fn observe(&self, transaction: &Transaction<'_>) {
        let inner = &*self.inner;
        let action = transaction.action();
        inner
            .requests
            .get_or_create(&ActionLabels {
                action: action.name(),
            })
            .inc();
        inner
            .inspection
            .observe(transaction.inspection.as_secs_f64());
        for hit in transaction.matches() {
            inner
                .rule_hits
                .get_or_create(&RuleLabels {
                    rule_id: hit.rule_id,
                    source: hit.source.to_string(),
                })
                .inc();
            for tag in hit.tags.iter() {
                inner
                    .tag_hits
                    .get_or_create(&TagLabels { tag: tag.clone() })
                    .inc();
            }
        }
        if let Action::RateLimit { .. } = action {
            let limit = transaction
                .matches()
                .find(|hit| &*hit.source == "ratelimit")
                .and_then(|hit| hit.data.clone())
                .unwrap_or_else(|| "unnamed".to_owned());
            inner
                .rate_limit_hits
                .get_or_create(&LimitLabels { limit })
                .inc();
        }
        if action != Action::Allow {
            inner.top_clients.lock().count(transaction.client);
        }
    }
}

/// The top attacking clients as a gauge family, written when scraped.
#[derive(Debug, Clone)]
struct TopClientsCollector(Arc<Mutex<TopClients>>);

impl TopClientsCollector {
    fn lock(&self) -> std::sync::MutexGuard<'_, TopClients> {
        // Counting is one field update at a time: a panic elsewhere leaves it usable.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Collector for TopClientsCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> fmt::Result {
        let ranked = self.lock().ranked();
        let mut family = encoder.encode_descriptor(
            "top_attacking_client_requests",
            "Requests acted on (not allowed) of the clients that made most, estimated (space-saving; may overcount a client by what it took over)",
            None,
            ConstGauge::new(0i64).metric_type(),
        )?;
        for counted in ranked {
            let client = counted.client.to_string();
            let count = i64::try_from(counted.count).unwrap_or(i64::MAX);
            ConstGauge::new(count).encode(family.encode_family(&[("client", client.as_str())])?)?;
        }
        Ok(())
    }
}
