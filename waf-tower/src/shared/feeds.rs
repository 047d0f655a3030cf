//! Threat-intelligence feeds kept in Redis: loaded once (by any node, or `waf` tooling),
//! read by every node.
//!
//! A feed is a hash `<prefix>:intel:<name>` with its `text` and its description
//! (`feed`, the JSON of a [`Feed`]); `<prefix>:intel` is the set of feed names.

use super::Shared;
use serde::{Deserialize, Serialize};
use waf_core::intel::{Feed, ThreatIntel};

/// Why a feed could not be shared or read.
#[derive(Debug)]
pub struct FeedError {
    message: String,
}

impl FeedError {
    fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }
}

impl std::fmt::Display for FeedError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for FeedError {}

#[derive(Serialize, Deserialize)]
struct Stored {
    feed: Feed,
    text: String,
}

impl Shared {
    /// Checks the feed `text` and stores it in Redis under `name` (replacing a feed of
    /// that name); returns how many entries it holds. Nodes read it with
    /// [`Shared::threat_intel`].
    pub async fn publish_feed(
        &self,
        name: &str,
        text: &str,
        feed: &Feed,
    ) -> Result<usize, FeedError> {
        let entries = ThreatIntel::default()
            .load(text, feed)
            .map_err(|e| FeedError::new(format!("feed {name}: {e}")))?;
        let stored = serde_json::to_string(&Stored {
            feed: feed.clone(),
            text: text.to_owned(),
        })
        .expect("a feed serializes");
        let mut conn = self.connection()?;
        redis::pipe()
            .atomic()
            .cmd("SET")
            .arg(self.core.key(&format!("intel:{name}")))
            .arg(stored)
            .ignore()
            .cmd("SADD")
            .arg(self.core.key("intel"))
            .arg(name)
            .ignore()
            .query_async::<()>(&mut conn)
            .await
            .map_err(|e| FeedError::new(format!("feed {name}: Redis: {e}")))?;
        Ok(entries)
    }

    /// Every feed stored in Redis, loaded into one reputation source (to hand to
    /// [`WafBuilder::signal_source`](waf_core::WafBuilder::signal_source)).
    pub async fn threat_intel(&self) -> Result<ThreatIntel, FeedError> {
        let mut conn = self.connection()?;
        let names: Vec<String> = redis::cmd("SMEMBERS")
            .arg(self.core.key("intel"))
            .query_async(&mut conn)
            .await
            .map_err(|e| FeedError::new(format!("feeds: Redis: {e}")))?;
        let mut intel = ThreatIntel::default();
        for name in names {
            let stored: Option<String> = redis::cmd("GET")
                .arg(self.core.key(&format!("intel:{name}")))
                .query_async(&mut conn)
                .await
                .map_err(|e| FeedError::new(format!("feed {name}: Redis: {e}")))?;
            let Some(stored) = stored else { continue };
            let stored: Stored = serde_json::from_str(&stored)
                .map_err(|e| FeedError::new(format!("feed {name}: malformed in Redis: {e}")))?;
            intel
                .load(&stored.text, &stored.feed)
                .map_err(|e| FeedError::new(format!("feed {name}: {e}")))?;
        }
        Ok(intel)
    }

    fn connection(&self) -> Result<redis::aio::MultiplexedConnection, FeedError> {
        self.core
            .connection()
            .ok_or_else(|| FeedError::new("not connected to Redis"))
    }
}
