//! The decision stream: every ban and unban the engine makes, for whoever enforces or
//! shares them (the XDP blocklist, Redis, dashboards).
//!
//! Subscribers get a plain [`std::sync::mpsc::Receiver`]; the core runs no tasks and
//! knows no runtime. An async subscriber reads it from a blocking task. A subscriber
//! that hangs up is dropped on the next publish.
//!
//! ```
//! use std::time::Duration;
//! use waf_core::{Decision, Waf};
//!
//! let waf = Waf::default();
//! let decisions = waf.subscribe();
//! let net = "203.0.113.9/32".parse().unwrap();
//! waf.ban(net, Some(Duration::from_secs(60)), "manual");
//! match decisions.try_recv().unwrap() {
//!     Decision::Ban { target, ttl, reason } => {
//!         assert_eq!(target, net);
//!         assert_eq!(ttl, Some(Duration::from_secs(60)));
//!         assert_eq!(reason, "manual");
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
    },
    /// Let `target` in again.
    Unban {
        /// Who.
        target: IpNet,
        /// Why: `expired`, `manual`, …
        reason: String,
    },
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
