//! Bans made, lifted and expired, counted from the engine's decision stream on a thread
//! of their own (the stream is a blocking channel; the core knows no runtime).

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use std::sync::Weak;
use std::sync::mpsc::Receiver;
use std::thread::JoinHandle;
use waf_core::decision::{Decision, Origin};

/// The labels of `waf_ban_decisions_total`.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct DecisionLabels {
    /// `ban`, `unban` or `expired`.
    decision: &'static str,
    /// `local` or `shared`. An expiry is always local: every node sees its bans run out
    /// on its own clock.
    origin: &'static str,
}

/// The counters, one per kind of decision and origin.
pub(crate) type DecisionCounters = Family<DecisionLabels, Counter>;

/// Every label pair, so that each series is exported (at zero) before its first decision.
pub(crate) fn all_labels() -> impl Iterator<Item = DecisionLabels> {
    [
        ("ban", "local"),
        ("ban", "shared"),
        ("unban", "local"),
        ("unban", "shared"),
        ("expired", "local"),
    ]
    .into_iter()
    .map(|(decision, origin)| DecisionLabels { decision, origin })
}

fn labels(decision: &Decision) -> DecisionLabels {
    let origin = |origin: &Origin| match origin {
        Origin::Local => "local",
        Origin::Shared => "shared",
    };
    match decision {
        Decision::Ban { origin: o, .. } => DecisionLabels {
            decision: "ban",
            origin: origin(o),
        },
        Decision::Unban { origin: o, .. } => DecisionLabels {
            decision: "unban",
            origin: origin(o),
        },
        Decision::Expired { .. } => DecisionLabels {
            decision: "expired",
            origin: "local",
        },
    }
}

/// Counts `decisions` into `counters` until the engine is dropped (the stream ends) or
/// the metrics are (checked at the next decision; the engine then drops the stream).
/// The thread, or `None` if none could be started (logged).
pub(crate) fn follow(
    decisions: Receiver<Decision>,
    counters: Weak<DecisionCounters>,
) -> Option<JoinHandle<()>> {
    let spawned = std::thread::Builder::new()
        .name("waf-metrics-decisions".into())
        .spawn(move || {
            for decision in decisions {
                let Some(counters) = counters.upgrade() else {
                    return;
                };
                counters.get_or_create(&labels(&decision)).inc();
            }
        });
    spawned
        .inspect_err(|error| {
            tracing::error!(target: "waf", %error, "metrics: cannot start the thread that counts bans");
        })
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::Duration;
    use waf_core::Waf;

    fn count(counters: &DecisionCounters, decision: &'static str, origin: &'static str) -> u64 {
        counters
            .get_or_create(&DecisionLabels { decision, origin })
            .get()
    }

    #[test]
    fn counts_every_kind_of_decision_until_the_engine_is_dropped() {
        let waf = Waf::default();
        let counters = Arc::new(DecisionCounters::default());
        let thread = follow(waf.subscribe(), Arc::downgrade(&counters)).unwrap();
        let net = "203.0.113.9/32".parse().unwrap();
        waf.ban(net, None, "local ban");
        waf.unban(net, "local unban");
        waf.apply(Decision::Ban {
            target: "198.51.100.0/24".parse().unwrap(),
            ttl: None,
            reason: "node-2".into(),
            origin: Origin::Shared,
        });
        waf.ban(net, Some(Duration::ZERO), "over at once");
        assert_eq!(waf.sweep_expired(), 1);
        drop(waf);
        // The stream ended with the engine: the thread is done, every decision counted.
        thread.join().unwrap();
        // (decision, origin, count)
        let cases = [
            ("ban", "local", 2),
            ("unban", "local", 1),
            ("ban", "shared", 1),
            ("unban", "shared", 0),
            ("expired", "local", 1),
        ];
        for (decision, origin, expected) in cases {
            assert_eq!(
                count(&counters, decision, origin),
                expected,
                "{decision} {origin}"
            );
        }
    }

    #[test]
    fn stops_at_the_next_decision_once_the_metrics_are_dropped() {
        let waf = Waf::default();
        let counters = Arc::new(DecisionCounters::default());
        let thread = follow(waf.subscribe(), Arc::downgrade(&counters)).unwrap();
        drop(counters);
        waf.ban(
            "203.0.113.9/32".parse().unwrap(),
            None,
            "nobody counts this",
        );
        thread.join().unwrap();
    }
}
