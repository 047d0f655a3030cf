//! Bans shared between nodes: this node's bans go to Redis, other nodes' bans come
//! back on a channel and are applied here, and a node that connects (or reconnects)
//! loads the whole set, so no ban is lost while Redis or the node was away.

use super::scripts::{BAN, LOAD_BANS, UNBAN};
use super::stats::Counters;
use super::{Core, Ended};
use futures_util::StreamExt;
use ipnet::IpNet;
use redis::aio::MultiplexedConnection;
use serde::{Deserialize, Serialize};
use std::collections::{HashSet, VecDeque};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, watch};
use waf_core::decision::{Decision, Origin};

/// A ban or unban as it travels between nodes (JSON on the decisions channel).
#[derive(Debug, Serialize, Deserialize)]
struct Message {
    /// The node that decided, so that it skips its own messages.
    node: String,
    /// True for a ban, false for an unban.
    ban: bool,
    target: IpNet,
    /// Milliseconds the ban lasts; absent: until unbanned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ttl_ms: Option<u64>,
    reason: String,
}

/// This node's decisions not yet written to Redis, oldest first, each with the time it
/// was made (a ban's TTL runs from then).
#[derive(Debug)]
pub(crate) struct Outbox {
    queued: VecDeque<(Decision, Instant)>,
    cap: usize,
}

impl Outbox {
    pub(crate) fn new(cap: usize) -> Self {
        Self {
            queued: VecDeque::new(),
            cap: cap.max(1),
        }
    }

    /// Queues one of this node's decisions; others (received ones, expiries) are not
    /// shared.
    pub(crate) fn push(&mut self, decision: Decision, counters: &Counters) {
        let shared = matches!(
            decision,
            Decision::Ban {
                origin: Origin::Local,
                ..
            } | Decision::Unban {
                origin: Origin::Local,
                ..
            }
        );
        if !shared {
            return;
        }
        if self.queued.len() == self.cap {
            self.queued.pop_front();
            Counters::bump(&counters.outbox_dropped);
        }
        self.queued.push_back((decision, Instant::now()));
    }

    /// Writes the queued decisions in order; what fails stays queued.
    async fn flush(
        &mut self,
        core: &Core,
        conn: &mut MultiplexedConnection,
    ) -> redis::RedisResult<()> {
        while let Some((decision, made)) = self.queued.front() {
            send(core, conn, decision, made.elapsed()).await?;
            self.queued.pop_front();
            Counters::bump(&core.counters.decisions_sent);
        }
        Ok(())
    }
}

/// Writes one decision made `age` ago. A ban whose TTL ran out meanwhile is not sent.
async fn send(
    core: &Core,
    conn: &mut MultiplexedConnection,
    decision: &Decision,
    age: Duration,
) -> redis::RedisResult<()> {
    let (message, ttl) = match decision {
        Decision::Ban {
            target,
            ttl,
            reason,
            ..
        } => {
            let ttl = match ttl.map(|ttl| ttl.checked_sub(age)) {
                Some(None) => return Ok(()),
                Some(Some(left)) => {
                    Some(u64::try_from(left.as_millis()).unwrap_or(u64::MAX).max(1))
                }
                None => None,
            };
            let message = Message {
                node: core.node.clone(),
                ban: true,
                target: *target,
                ttl_ms: ttl,
                reason: reason.clone(),
            };
            (message, ttl)
        }
        Decision::Unban { target, reason, .. } => (
            Message {
                node: core.node.clone(),
                ban: false,
                target: *target,
                ttl_ms: None,
                reason: reason.clone(),
            },
            None,
        ),
        Decision::Expired { .. } => return Ok(()),
    };
    let json = serde_json::to_string(&message).expect("a message serializes");
    let target = message.target.to_string();
    let (bans, reasons, channel) = (
        core.key("bans"),
        core.key("ban-reasons"),
        core.key("decisions"),
    );
    let call = if message.ban {
        BAN.key(&bans)
            .key(&reasons)
            .arg(&target)
            .arg(ttl.map(|ms| ms.to_string()).unwrap_or_default())
            .arg(format!("{}: {}", message.node, message.reason))
            .arg(&channel)
            .arg(&json)
            .invoke_async::<i64>(conn)
            .await
    } else {
        UNBAN
            .key(&bans)
            .key(&reasons)
            .arg(&target)
            .arg(&channel)
            .arg(&json)
            .invoke_async::<i64>(conn)
            .await
    };
    call.map(drop)
}

/// One connection's life: subscribe, send what waited, load the set, then follow both
/// directions until the connection fails or the node stops.
pub(crate) async fn session(
    core: &Core,
    local: &mut mpsc::UnboundedReceiver<Decision>,
    outbox: &mut Outbox,
    stop: &mut watch::Receiver<()>,
) -> Ended {
    let config = redis::AsyncConnectionConfig::new()
        .set_connection_timeout(Some(
            core.settings.command_timeout().max(Duration::from_secs(1)),
        ))
        .set_response_timeout(Some(
            core.settings.command_timeout().max(Duration::from_secs(1)),
        ));
    let mut conn = match core
        .client
        .get_multiplexed_async_connection_with_config(&config)
        .await
    {
        Ok(conn) => conn,
        Err(error) => return Ended::Failed(error),
    };
    // Subscribed before the set is loaded: a ban made in between arrives twice, never
    // not at all.
    let mut messages = match subscribe(core).await {
        Ok(messages) => messages,
        Err(error) => return Ended::Failed(error),
    };
    while let Ok(decision) = local.try_recv() {
        outbox.push(decision, &core.counters);
    }
    // Taken after the pending decisions were queued: every ban in it was either sent
    // before or is sent now.
    let held = core.waf.bans();
    if let Err(error) = outbox.flush(core, &mut conn).await {
        return Ended::Failed(error);
    }
    let known = match epoch(core, &mut conn).await {
        Ok(known) => known,
        Err(error) => return Ended::Failed(error),
    };
    if !known {
        // Redis is new to this node (its first connection, or Redis lost its data):
        // what this node holds is news to Redis, not bans lifted elsewhere.
        for ban in &held {
            let decision = Decision::Ban {
                target: ban.target,
                ttl: ban.ttl,
                reason: ban.reason.clone(),
                origin: Origin::Local,
            };
            if let Err(error) = send(core, &mut conn, &decision, Duration::ZERO).await {
                return Ended::Failed(error);
            }
        }
    }
    let loaded = match load(core, &mut conn).await {
        Ok(loaded) => loaded,
        Err(error) => return Ended::Failed(error),
    };
    if known {
        // The same Redis as before: a ban it no longer holds was lifted elsewhere
        // while this node was away.
        for ban in held.iter().filter(|ban| !loaded.contains(&ban.target)) {
            core.waf.apply(Decision::Unban {
                target: ban.target,
                reason: "lifted while this node was disconnected".into(),
                origin: Origin::Shared,
            });
        }
    }
    core.connected(conn.clone());

    let mut ping = tokio::time::interval(Duration::from_secs(1));
    loop {
        tokio::select! {
            _ = stop.changed() => return Ended::Stopped,
            message = messages.next() => match message {
                Some(message) => receive(core, &message),
                None => return Ended::Lost("the subscription connection closed".into()),
            },
            decision = local.recv() => {
                let Some(decision) = decision else { return Ended::Stopped };
                outbox.push(decision, &core.counters);
                if let Err(error) = outbox.flush(core, &mut conn).await {
                    return Ended::Lost(error.to_string());
                }
            }
            _ = ping.tick() => {
                // A server that vanished without closing the socket shows up here.
                let ping_cmd = redis::cmd("PING");
                let pong = tokio::time::timeout(
                    Duration::from_secs(1),
                    ping_cmd.query_async::<String>(&mut conn),
                );
                match pong.await {
                    Ok(Ok(_)) => {}
                    Ok(Err(error)) => return Ended::Lost(error.to_string()),
                    Err(_) => return Ended::Lost("PING timed out".into()),
                }
            }
        }
    }
}

/// Whether this Redis holds the state this node last saw: Redis keeps a random epoch,
/// set by the first node to connect, which changes only when Redis loses its data.
async fn epoch(core: &Core, conn: &mut MultiplexedConnection) -> redis::RedisResult<bool> {
    let fresh = format!("{:016x}{:016x}", rand_u64(), rand_u64());
    let (_, current): ((), String) = redis::pipe()
        .cmd("SET")
        .arg(core.key("epoch"))
        .arg(&fresh)
        .arg("NX")
        .cmd("GET")
        .arg(core.key("epoch"))
        .query_async(conn)
        .await?;
    let mut seen = core
        .epoch
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let known = seen.as_deref() == Some(current.as_str());
    if seen.is_some() && !known {
        tracing::warn!(target: "waf", "shared state: Redis lost its data; sending this node's bans again");
    }
    *seen = Some(current);
    Ok(known)
}

/// A random number from the standard library's randomly keyed hasher.
fn rand_u64() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(std::time::SystemTime::now())
}

async fn subscribe(core: &Core) -> redis::RedisResult<redis::aio::PubSubStream> {
    let mut pubsub = core.client.get_async_pubsub().await?;
    pubsub.subscribe(core.key("decisions")).await?;
    Ok(pubsub.into_on_message())
}

/// Applies every live shared ban here; returns their targets.
async fn load(core: &Core, conn: &mut MultiplexedConnection) -> redis::RedisResult<HashSet<IpNet>> {
    let flat: Vec<redis::Value> = LOAD_BANS
        .key(core.key("bans"))
        .key(core.key("ban-reasons"))
        .invoke_async(conn)
        .await?;
    let mut targets = HashSet::new();
    for entry in flat.chunks_exact(3) {
        let (Ok(target), Ok(ttl), Ok(reason)) = (
            redis::from_redis_value_ref::<String>(&entry[0]),
            redis::from_redis_value_ref::<i64>(&entry[1]),
            redis::from_redis_value_ref::<String>(&entry[2]),
        ) else {
            continue;
        };
        let Ok(target) = target.parse::<IpNet>() else {
            tracing::warn!(target: "waf", target, "shared ban set holds a malformed entry; skipped");
            continue;
        };
        let ttl = u64::try_from(ttl).ok().map(Duration::from_millis);
        core.waf.apply(Decision::Ban {
            target,
            ttl,
            reason,
            origin: Origin::Shared,
        });
        targets.insert(target.trunc());
    }
    Counters::add(&core.counters.bans_loaded, targets.len() as u64);
    Ok(targets)
}

/// Applies another node's decision.
fn receive(core: &Core, message: &redis::Msg) {
    let Ok(payload) = message.get_payload::<String>() else {
        return;
    };
    let message: Message = match serde_json::from_str(&payload) {
        Ok(message) => message,
        Err(error) => {
            tracing::warn!(target: "waf", %error, "malformed message on the decisions channel; ignored");
            return;
        }
    };
    if message.node == core.node {
        return;
    }
    Counters::bump(&core.counters.decisions_received);
    let reason = format!("{}: {}", message.node, message.reason);
    core.waf.apply(if message.ban {
        Decision::Ban {
            target: message.target,
            ttl: message.ttl_ms.map(Duration::from_millis),
            reason,
            origin: Origin::Shared,
        }
    } else {
        Decision::Unban {
            target: message.target,
            reason,
            origin: Origin::Shared,
        }
    });
}
