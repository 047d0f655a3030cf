//! What the metrics read when they are scraped, from parts that keep counters of their
//! own: the engine (bans in force, rate-limiter size), shared state, and what the
//! application registers (XDP drops, plugins, the ML model). Reading at scrape time
//! costs the request path nothing, and waf-tower needs no dependency on those parts.

use crate::shared::SharedStats;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use std::fmt;
use std::sync::{Arc, PoisonError, RwLock};
use waf_core::Waf;

/// What the kernel dropped: totals since the blocklist's entries were created.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct XdpDrops {
    /// Packets (frames) dropped.
    pub packets: u64,
    /// Their bytes.
    pub bytes: u64,
}

/// One plugin's call counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PluginCounts {
    /// Calls made.
    pub calls: u64,
    /// Calls that failed, whatever the cause (trap, fuel, memory, bad value).
    pub errors: u64,
}

/// A reading taken at scrape time.
type Read<T> = Box<dyn Fn() -> T + Send + Sync>;

/// The registered sources; each is read only when present.
#[derive(Default)]
pub(crate) struct Sources {
    pub(crate) waf: Option<Waf>,
    /// `None` once the shared-state node is gone.
    pub(crate) shared: Option<Read<Option<SharedStats>>>,
    pub(crate) xdp: Option<Read<XdpDrops>>,
    pub(crate) plugins: Option<Read<Vec<(String, PluginCounts)>>>,
    pub(crate) ml_errors: Option<Read<u64>>,
}

/// The sources as a prometheus-client collector, shared with [`Metrics`](super::Metrics)
/// so that sources can be registered after the registry is built.
#[derive(Clone, Default)]
pub(crate) struct ScrapeSources(Arc<RwLock<Sources>>);

impl fmt::Debug for ScrapeSources {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ScrapeSources")
    }
}

impl ScrapeSources {
    /// Changes the registered sources.
    pub(crate) fn update(&self, change: impl FnOnce(&mut Sources)) {
        // The sources are plain options, consistent whatever panicked while they were
        // held.
        change(&mut self.0.write().unwrap_or_else(PoisonError::into_inner));
    }
}

impl Collector for ScrapeSources {
    fn encode(&self, mut encoder: DescriptorEncoder) -> fmt::Result {
        let sources = self.0.read().unwrap_or_else(PoisonError::into_inner);
        if let Some(waf) = &sources.waf {
            engine(&mut encoder, waf)?;
        }
        if let Some(stats) = sources.shared.as_ref().and_then(|read| read()) {
            shared(&mut encoder, &stats)?;
        }
        if let Some(read) = &sources.xdp {
            let drops = read();
            let help = "Packets the XDP blocklist dropped in the kernel";
            counter(&mut encoder, "xdp_dropped_packets", help, drops.packets)?;
            let help = "Bytes of the packets the XDP blocklist dropped";
            counter(&mut encoder, "xdp_dropped_bytes", help, drops.bytes)?;
        }
        if let Some(read) = &sources.plugins {
            let plugins = read();
            let mut calls = encoder.encode_descriptor(
                "plugin_calls",
                "Calls made to each WebAssembly plugin",
                None,
                ConstCounter::new(0u64).metric_type(),
            )?;
            for (name, counts) in &plugins {
                ConstCounter::new(counts.calls)
                    .encode(calls.encode_family(&[("plugin", name.as_str())])?)?;
            }
            let mut errors = encoder.encode_descriptor(
                "plugin_errors",
                "Failed calls of each plugin (trap, fuel, memory limit, bad value)",
                None,
                ConstCounter::new(0u64).metric_type(),
            )?;
            for (name, counts) in &plugins {
                ConstCounter::new(counts.errors)
                    .encode(errors.encode_family(&[("plugin", name.as_str())])?)?;
            }
        }
        if let Some(read) = &sources.ml_errors {
            let help = "ML inferences that failed (the request was scored as no evidence)";
            counter(&mut encoder, "ml_errors", help, read())?;
        }
        Ok(())
    }
}

/// The engine's own state: bans in force and the rate limiter's keys.
fn engine(encoder: &mut DescriptorEncoder, waf: &Waf) -> fmt::Result {
    let help = "Bans in force (addresses and ranges)";
    gauge(encoder, "bans_active", help, len(waf.bans().len()))?;
    let limiter = waf.rate_limiter();
    let help = "Clients (keys) the local rate limiter holds";
    gauge(encoder, "rate_limiter_keys", help, len(limiter.len()))?;
    let help = "Rate-limiter keys evicted before they expired, to stay under max_keys";
    counter(encoder, "rate_limiter_evictions", help, limiter.evictions())
}

/// The shared-state node's connection and counters.
fn shared(encoder: &mut DescriptorEncoder, stats: &SharedStats) -> fmt::Result {
    let help = "Whether the node holds a working connection to Redis (1) or not (0)";
    gauge(encoder, "redis_connected", help, i64::from(stats.connected))?;
    let counters = [
        (
            "redis_connects",
            "Connections to Redis made (the first and every reconnection)",
            stats.connects,
        ),
        (
            "redis_connection_failures",
            "Connections to Redis lost or attempts that failed",
            stats.connection_failures,
        ),
        (
            "redis_command_errors",
            "Redis commands that failed or timed out",
            stats.command_errors,
        ),
        (
            "redis_decisions_sent",
            "This node's bans and unbans written to Redis",
            stats.decisions_sent,
        ),
        (
            "redis_decisions_received",
            "Other nodes' bans and unbans applied here",
            stats.decisions_received,
        ),
        (
            "redis_bans_loaded",
            "Bans loaded from the shared set on (re)connection",
            stats.bans_loaded,
        ),
        (
            "redis_outbox_dropped",
            "Decisions dropped because the outbox was full while Redis was unreachable",
            stats.outbox_dropped,
        ),
        (
            "redis_limit_batches",
            "Rate-limit batches taken from Redis",
            stats.limit_batches,
        ),
        (
            "redis_limit_fallbacks",
            "Rate-limit checks decided locally because Redis could not answer (fail-open)",
            stats.limit_fallbacks,
        ),
        (
            "redis_limit_refusals",
            "Requests refused because Redis could not answer (fail-closed)",
            stats.limit_refusals,
        ),
        (
            "redis_mirrored",
            "Request summaries written to the mirror stream",
            stats.mirrored,
        ),
        (
            "redis_mirror_dropped",
            "Request summaries dropped (the writer was behind, or Redis unreachable)",
            stats.mirror_dropped,
        ),
    ];
    for (name, help, value) in counters {
        counter(encoder, name, help, value)?;
    }
    Ok(())
}

fn counter(encoder: &mut DescriptorEncoder, name: &str, help: &str, value: u64) -> fmt::Result {
    let metric = ConstCounter::new(value);
    metric.encode(encoder.encode_descriptor(name, help, None, metric.metric_type())?)
}

fn gauge(encoder: &mut DescriptorEncoder, name: &str, help: &str, value: i64) -> fmt::Result {
    let metric = ConstGauge::new(value);
    metric.encode(encoder.encode_descriptor(name, help, None, metric.metric_type())?)
}

/// A length as a gauge value (saturating: no map holds 2^63 entries).
fn len(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}
