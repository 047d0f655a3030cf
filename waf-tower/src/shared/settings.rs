//! What a node needs to know to share state through Redis.

use serde::Deserialize;
use std::time::Duration;

/// What happens to a request whose answer needs Redis while Redis cannot be reached.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FailMode {
    /// Decide locally: rate limits are counted by this node alone until Redis is back.
    #[default]
    Open,
    /// Refuse requests that a shared rate limit applies to (429, `Retry-After: 1`).
    Closed,
}

/// The `[shared]` table of a node's configuration.
///
/// ```
/// let settings: waf_tower::shared::SharedSettings = toml::from_str(r#"
///     url = "redis://127.0.0.1:6379/"
///     node = "edge-1"
///     on_failure = "closed"
/// "#)?;
/// assert_eq!(settings.prefix, "waf");
/// # Ok::<(), toml::de::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SharedSettings {
    /// Where Redis is (`redis://host:port/db`, `rediss://` for TLS, `redis+unix://`).
    pub url: String,
    /// The first part of every key and channel name, so that several deployments can
    /// share one Redis (`waf`).
    pub prefix: String,
    /// This node's name in shared decisions and logs; default: host name and process id.
    pub node: Option<String>,
    /// Open (default) or closed; see [`FailMode`].
    pub on_failure: FailMode,
    /// The longest a request waits on one Redis command, in milliseconds (50).
    pub command_timeout_ms: u64,
    /// The first wait before reconnecting, in milliseconds (100); doubled after each
    /// failed attempt.
    pub reconnect_min_ms: u64,
    /// The longest wait between reconnection attempts, in milliseconds (5000).
    pub reconnect_max_ms: u64,
    /// How many requests of one rate-limit key a node takes from Redis at once; they are
    /// then counted locally. Default: a tenth of the limit's burst, at least 1. Larger
    /// batches mean fewer round trips and a coarser split between nodes.
    pub batch: Option<u32>,
    /// How many mirrored request summaries the stream keeps (100,000; older ones are
    /// trimmed).
    pub mirror_stream_len: usize,
    /// How many decisions made while Redis was unreachable are kept to be sent when it is
    /// back (100,000; beyond that the oldest are dropped and counted).
    pub outbox_len: usize,
    /// How often expired bans are swept from the local blocklist, in milliseconds (1000).
    pub sweep_interval_ms: u64,
}

impl Default for SharedSettings {
    fn default() -> Self {
        Self {
            url: "redis://127.0.0.1:6379/".into(),
            prefix: "waf".into(),
            node: None,
            on_failure: FailMode::Open,
            command_timeout_ms: 50,
            reconnect_min_ms: 100,
            reconnect_max_ms: 5000,
            batch: None,
            mirror_stream_len: 100_000,
            outbox_len: 100_000,
            sweep_interval_ms: 1000,
        }
    }
}

impl SharedSettings {
    /// The default settings for Redis at `url`.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            ..Self::default()
        }
    }

    pub(crate) fn command_timeout(&self) -> Duration {
        Duration::from_millis(self.command_timeout_ms.max(1))
    }

    pub(crate) fn node_name(&self) -> String {
        self.node.clone().unwrap_or_else(|| {
            let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
                .map(|h| h.trim().to_owned())
                .ok()
                .filter(|h| !h.is_empty())
                .unwrap_or_else(|| "node".into());
            format!("{host}-{}", std::process::id())
        })
    }

    /// The name of a key or channel under the prefix.
    pub(crate) fn key(&self, name: &str) -> String {
        format!("{}:{name}", self.prefix)
    }
}
