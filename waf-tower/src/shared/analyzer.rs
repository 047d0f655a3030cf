//! The out-of-band half of a mirror pipeline: reads request summaries from the mirror
//! stream with a consumer group, inspects each with its own engine, and bans the
//! clients it finds attacking, through the shared ban set, so every node enforces the
//! ban (nodes in [`Mode::Mirror`](waf_core::Mode::Mirror) enforce bans only).
//!
//! Several analyzers in one group share the stream; an analyzer that restarts first
//! finishes the entries it had read but not acknowledged.

use super::Shared;
use super::mirror::{MirroredRequest, unix_micros};
use redis::aio::MultiplexedConnection;
use redis::streams::{StreamReadOptions, StreamReadReply};
use std::net::IpAddr;
use std::time::Duration;
use waf_core::{Action, Reason};

/// How an [`Analyzer`] reads and bans.
#[derive(Debug, Clone)]
pub struct AnalyzerSettings {
    /// The consumer group (`analyzers`).
    pub group: String,
    /// This analyzer's name in the group.
    pub consumer: String,
    /// How long a ban lasts (10 minutes).
    pub ban_ttl: Duration,
    /// The most entries read at once (100).
    pub batch: usize,
    /// How long one read waits for entries (1 s).
    pub block: Duration,
}

impl Default for AnalyzerSettings {
    fn default() -> Self {
        Self {
            group: "analyzers".into(),
            consumer: format!("analyzer-{}", std::process::id()),
            ban_ttl: Duration::from_secs(600),
            batch: 100,
            block: Duration::from_secs(1),
        }
    }
}

/// What one read did.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Analyzed {
    /// Entries read.
    pub read: usize,
    /// Entries that could not be read as requests (acknowledged and skipped).
    pub malformed: usize,
    /// Requests the engine denied.
    pub attacks: usize,
    /// The clients banned, each with the time from mirroring to its ban.
    pub banned: Vec<(IpAddr, Duration)>,
}

/// Reads the mirror stream with a consumer group, inspects each request summary with
/// its own engine and bans the clients it finds attacking through the shared ban set.
/// Analyzers in one group share the stream; one that restarts first finishes the
/// entries it had read but not acknowledged.
#[derive(Debug)]
pub struct Analyzer {
    shared: Shared,
    settings: AnalyzerSettings,
    /// Its own connection: a blocking read holds a connection for its length.
    conn: Option<MultiplexedConnection>,
    /// Whether the entries left pending by an earlier run were taken up.
    resumed: bool,
}

impl Analyzer {
    /// An analyzer banning through `shared` (whose engine inspects the requests).
    pub fn new(shared: &Shared, settings: AnalyzerSettings) -> Self {
        Self {
            shared: shared.clone(),
            settings,
            conn: None,
            resumed: false,
        }
    }

    /// Reads one batch (waiting up to the block time for entries), inspects, bans and
    /// acknowledges it. An error is Redis's; the next call reconnects.
    pub async fn next(&mut self) -> redis::RedisResult<Analyzed> {
        let result = self.read_batch().await;
        if result.is_err() {
            self.conn = None;
        }
        result
    }

    async fn read_batch(&mut self) -> redis::RedisResult<Analyzed> {
        let stream = self.shared.mirror_stream();
        let conn = match &mut self.conn {
            Some(conn) => conn,
            None => {
                let config = redis::AsyncConnectionConfig::new()
                    .set_response_timeout(Some(self.settings.block + Duration::from_secs(5)));
                let mut conn = self
                    .shared
                    .core
                    .client
                    .get_multiplexed_async_connection_with_config(&config)
                    .await?;
                let created: redis::RedisResult<()> = redis::cmd("XGROUP")
                    .arg("CREATE")
                    .arg(&stream)
                    .arg(&self.settings.group)
                    .arg("$")
                    .arg("MKSTREAM")
                    .query_async(&mut conn)
                    .await;
                if let Err(error) = created
                    && error.code() != Some("BUSYGROUP")
                {
                    return Err(error);
                }
                self.conn.insert(conn)
            }
        };
        // First the entries an earlier run read and did not acknowledge, then new ones.
        let from = if self.resumed { ">" } else { "0" };
        let options = StreamReadOptions::default()
            .group(&self.settings.group, &self.settings.consumer)
            .count(self.settings.batch)
            .block(usize::try_from(self.settings.block.as_millis()).unwrap_or(usize::MAX));
        let reply: Option<StreamReadReply> = redis::cmd("XREADGROUP")
            .arg(&options)
            .arg("STREAMS")
            .arg(&stream)
            .arg(from)
            .query_async(conn)
            .await?;
        let entries: Vec<_> = reply
            .into_iter()
            .flat_map(|r| r.keys)
            .flat_map(|k| k.ids)
            .collect();
        if !self.resumed && entries.is_empty() {
            self.resumed = true;
        }
        let mut analyzed = Analyzed {
            read: entries.len(),
            ..Analyzed::default()
        };
        let waf = self.shared.waf();
        let limits = waf.limits();
        let mut ids = Vec::with_capacity(entries.len());
        for entry in &entries {
            ids.push(entry.id.clone());
            let fields = entry
                .map
                .iter()
                .filter_map(|(name, value)| {
                    Some((
                        name.as_str(),
                        redis::from_redis_value_ref::<String>(value).ok()?,
                    ))
                })
                .collect::<Vec<_>>();
            let mirrored = match MirroredRequest::from_fields(
                fields.iter().map(|(n, v)| (*n, v.as_str())),
            ) {
                Ok(mirrored) => mirrored,
                Err(error) => {
                    tracing::warn!(target: "waf", id = entry.id, error, "mirror stream: malformed entry; skipped");
                    analyzed.malformed += 1;
                    continue;
                }
            };
            let verdict = waf.inspect(&mirrored.view(&limits));
            if !matches!(verdict.action, Action::Deny { .. })
                || verdict.reason == Reason::Blocklisted
            {
                continue;
            }
            analyzed.attacks += 1;
            let client = mirrored.request.client;
            let rules = verdict
                .rule_ids()
                .iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(",");
            waf.ban(
                client.into(),
                Some(self.settings.ban_ttl),
                &format!(
                    "analyzer: request {} on {} matched rules {rules}",
                    mirrored.request.id, mirrored.node
                ),
            );
            let lag = Duration::from_micros(unix_micros().saturating_sub(mirrored.mirrored_at_us));
            analyzed.banned.push((client, lag));
        }
        if !ids.is_empty() {
            redis::cmd("XACK")
                .arg(&stream)
                .arg(&self.settings.group)
                .arg(&ids)
                .query_async::<()>(conn)
                .await?;
        }
        Ok(analyzed)
    }
}
