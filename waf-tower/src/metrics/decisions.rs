//! Bans made, lifted and expired, counted from the engine's decision stream on a thread
//! of their own (the stream is a blocking channel; the core knows no runtime).

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use std::sync::Weak;
use std::sync::mpsc::Receiver;
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
pub(crate) fn follow(decisions: Receiver<Decision>, counters: Weak<DecisionCounters>) {
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
    if let Err(error) = spawned {
        tracing::error!(target: "waf", %error, "metrics: cannot start the thread that counts bans");
    }
}
