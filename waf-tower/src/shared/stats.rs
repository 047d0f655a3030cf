//! Counters of the shared state's health, for metrics and tests.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

macro_rules! counters {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {
        /// A snapshot of the counters ([`Shared::stats`](super::Shared::stats)). All
        /// count since the node started.
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
        pub struct SharedStats {
            /// Whether the node holds a working connection to Redis now.
            pub connected: bool,
            $($(#[$doc])* pub $name: u64,)*
        }

        #[derive(Debug, Default)]
        pub(crate) struct Counters {
            pub(crate) connected: AtomicBool,
            $(pub(crate) $name: AtomicU64,)*
        }

        impl Counters {
            pub(crate) fn snapshot(&self) -> SharedStats {
                SharedStats {
                    connected: self.connected.load(Ordering::Relaxed),
                    $($name: self.$name.load(Ordering::Relaxed),)*
                }
            }
        }
    };
}

counters! {
    /// Connections made (the first and every reconnection).
    connects,
    /// Connections lost or attempts that failed.
    connection_failures,
    /// Redis commands that failed or timed out.
    command_errors,
    /// This node's bans and unbans written to Redis.
    decisions_sent,
    /// Other nodes' bans and unbans applied here.
    decisions_received,
    /// Bans loaded from the shared set on (re)connection.
    bans_loaded,
    /// Decisions dropped because the outbox was full while Redis was unreachable.
    outbox_dropped,
    /// Rate-limit batches taken from Redis.
    limit_batches,
    /// Rate-limit checks decided locally because Redis could not answer (fail-open).
    limit_fallbacks,
    /// Requests refused because Redis could not answer (fail-closed).
    limit_refusals,
    /// Request summaries written to the mirror stream.
    mirrored,
    /// Request summaries dropped (the writer was behind, or Redis unreachable).
    mirror_dropped,
}

impl Counters {
    pub(crate) fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    pub(crate) fn bump(counter: &AtomicU64) {
        Self::add(counter, 1);
    }
}
