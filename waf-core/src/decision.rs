//! The decision stream: every ban and unban the engine makes, for whoever enforces or
//! shares them (the XDP blocklist, Redis, dashboards).
//!
//! Subscribers get a plain [`std::sync::mpsc::Receiver`]; the core runs no tasks and
//! knows no runtime. An async subscriber reads it from a blocking task. A subscriber
//! that hangs up is dropped on the next publish.
//!
//! ```
//! use std::time::Duration;
//! use waf_core::decision::{Decision, Origin};
//! use waf_core::Waf;
//!
//! let waf = Waf::default();
//! let decisions = waf.subscribe();
//! let net = "203.0.113.9/32".parse().unwrap();
//! waf.ban(net, Some(Duration::from_secs(60)), "manual");
//! match decisions.try_recv().unwrap() {
//!     Decision::Ban { target, ttl, reason, origin } => {
//!         assert_eq!(target, net);
//!         assert_eq!(ttl, Some(Duration::from_secs(60)));
//!         assert_eq!(reason, "manual");
//!         assert_eq!(origin, Origin::Local);
//!     }
//!     other => panic!("{other:?}"),
//! }
//! ```

use ipnet::IpNet;
use std::sync::Mutex;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::time::Duration;

/// A change to the set of banned clients.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Refuse `target` (an address as a /32 or /128, or a range).
    Ban {
        /// Who.
        target: IpNet,
        /// For how long; `None` until unbanned.
        ttl: Option<Duration>,
        /// Why, in words.
        reason: String,
        /// Where the decision was made.
        origin: Origin,
    },
    /// Let `target` in again before its ban runs out.
    Unban {
        /// Who.
        target: IpNet,
        /// Why, in words.
        reason: String,
        /// Where the decision was made.
        origin: Origin,
    },
    /// The ban on `target` ran out ([`Waf::sweep_expired`](crate::Waf::sweep_expired)).
    /// Every holder of the ban sees it run out on its own clock, so this is never
    /// shared between nodes.
    Expired {
        /// Who.
        target: IpNet,
    },
}

impl Decision {
    /// The address or range the decision is about.
    pub fn target(&self) -> IpNet {
        match self {
            Self::Ban { target, .. } | Self::Unban { target, .. } | Self::Expired { target } => {
                *target
            }
        }
    }
}

/// Where a ban or unban was decided: what keeps a node that shares its decisions from
/// sending back those it received.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// By this engine (active defense) or through its API ([`Waf::ban`](crate::Waf::ban)).
    Local,
    /// By another node, received through shared state ([`Waf::apply`](crate::Waf::apply)).
    Shared,
}

/// The subscribers of the stream.
#[derive(Debug, Default)]
pub(crate) struct DecisionStream {
    subscribers: Mutex<Vec<Sender<Decision>>>,
}

impl DecisionStream {
    pub(crate) fn subscribe(&self) -> Receiver<Decision> {
        let (tx, rx) = channel();
        self.lock().push(tx);
        rx
    }

    pub(crate) fn publish(&self, decision: Decision) {
        self.lock()
            .retain(|subscriber| subscriber.send(decision.clone()).is_ok());
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Sender<Decision>>> {
        // A panic while holding this lock cannot leave the list inconsistent (push and
        // retain are the only writers), so a poisoned lock is still usable.
        self.subscribers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
