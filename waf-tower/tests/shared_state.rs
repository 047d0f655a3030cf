//! Shared state between engine instances through a real `redis-server` on loopback:
//! bans that reach every node and expire everywhere, a node that joins late, Redis
//! restarted and connections dropped mid-test, rate limits that hold across nodes, and
//! the fail-open and fail-closed answers while Redis is down.

mod support;

use axum::Router;
use axum::body::Body;
use axum::routing::get;
use http::{Request, StatusCode};
use ipnet::IpNet;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use support::redis_server::{RedisServer, redis_for_test};
use tower::ServiceExt;
use waf_core::decision::{Decision, Origin};
use waf_core::intel::Feed;
use waf_core::request::{Limits, RawRequest, RequestView};
use waf_core::{Config, Reason, SignalSource, Waf};
use waf_tower::shared::{FailMode, Shared, SharedSettings};
use waf_tower::{ClientAddr, WafLayer};

/// Keys of each test apart, whichever Redis they use.
fn prefix(test: &str) -> String {
    static RUN: AtomicU64 = AtomicU64::new(0);
    format!(
        "waf-test:{}:{}:{test}",
        std::process::id(),
        RUN.fetch_add(1, Ordering::Relaxed)
    )
}

fn settings(url: &str, prefix: &str, node: &str) -> SharedSettings {
    SharedSettings {
        prefix: prefix.into(),
        node: Some(node.into()),
        reconnect_min_ms: 20,
        reconnect_max_ms: 200,
        sweep_interval_ms: 20,
        ..SharedSettings::new(url)
    }
}

async fn node(waf: &Waf, url: &str, prefix: &str, name: &str) -> Shared {
    let shared = Shared::start(waf, settings(url, prefix, name));
    assert!(
        shared.wait_connected(Duration::from_secs(5)).await,
        "{name} connects to {url}"
    );
    shared
}

fn request(client: IpAddr, uri: &str) -> RequestView {
    RequestView::from_raw(
        RawRequest {
            method: "GET",
            uri,
            protocol: "HTTP/1.1",
            headers: vec![(b"host", b"shop.example")],
            body: Default::default(),
            client,
        },
        &Limits::default(),
    )
}

fn banned(waf: &Waf, client: IpAddr) -> bool {
    waf.inspect(&request(client, "/")).reason == Reason::Blocklisted
}

/// Polls `done` every millisecond until it holds or `within` passes; how long it took.
async fn until(within: Duration, mut done: impl FnMut() -> bool) -> Option<Duration> {
    let start = Instant::now();
    while start.elapsed() < within {
        if done() {
            return Some(start.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    done().then(|| start.elapsed())
}

const ATTACKER: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(198, 18, 5, 9));

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ban_reaches_every_node_and_expires_everywhere() {
    let Some((_server, url)) = redis_for_test() else {
        return;
    };
    let prefix = prefix("ban");
    let (a, b) = (Waf::default(), Waf::default());
    let _node_a = node(&a, &url, &prefix, "a").await;
    let node_b = node(&b, &url, &prefix, "b").await;
    let b_decisions = b.subscribe();

    let ttl = Duration::from_millis(400);
    a.ban(IpNet::from(ATTACKER), Some(ttl), "active defense");
    let took = until(Duration::from_secs(2), || banned(&b, ATTACKER))
        .await
        .expect("node b enforces node a's ban");
    // Measured, not asserted: `benches/shared.rs` reports the latency.
    eprintln!("ban propagation on loopback: {took:?}");
    match b_decisions.recv_timeout(Duration::from_secs(1)).unwrap() {
        Decision::Ban {
            target,
            ttl: Some(left),
            reason,
            origin: Origin::Shared,
        } => {
            assert_eq!(target, IpNet::from(ATTACKER));
            assert!(left <= ttl && left > ttl / 2, "{left:?}");
            assert_eq!(reason, "a: active defense");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(node_b.stats().decisions_received, 1);

    // The TTL runs out on both nodes, and b's subscribers hear of it.
    until(Duration::from_secs(2), || {
        !banned(&a, ATTACKER) && !banned(&b, ATTACKER)
    })
    .await
    .expect("the ban expires on both nodes");
    let expired = b_decisions.recv_timeout(Duration::from_secs(1)).unwrap();
    assert_eq!(
        expired,
        Decision::Expired {
            target: IpNet::from(ATTACKER)
        }
    );
    // Nor does a node that joins later see it.
    let c = Waf::default();
    let _node_c = node(&c, &url, &prefix, "c").await;
    assert!(c.bans().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_that_joins_late_loads_the_bans_and_follows_unbans() {
    let Some((_server, url)) = redis_for_test() else {
        return;
    };
    let prefix = prefix("late");
    let a = Waf::default();
    let _node_a = node(&a, &url, &prefix, "a").await;
    let range: IpNet = "198.18.64.0/20".parse().unwrap();
    a.ban(range, None, "scanner range");
    a.ban(
        IpNet::from(ATTACKER),
        Some(Duration::from_secs(600)),
        "sqli",
    );
    // Let a's link write them.
    until(Duration::from_secs(2), || {
        _node_a.stats().decisions_sent == 2
    })
    .await
    .expect("node a sends both bans");

    let c = Waf::default();
    let node_c = node(&c, &url, &prefix, "c").await;
    assert_eq!(node_c.stats().bans_loaded, 2);
    assert!(
        banned(&c, "198.18.70.1".parse().unwrap()),
        "inside the range"
    );
    assert!(
        !banned(&c, "198.18.80.1".parse().unwrap()),
        "outside the range"
    );
    let ttl = c
        .bans()
        .into_iter()
        .find(|ban| ban.target == IpNet::from(ATTACKER))
        .and_then(|ban| ban.ttl)
        .expect("the address ban keeps its TTL");
    assert!(ttl > Duration::from_secs(590) && ttl <= Duration::from_secs(600));

    assert!(a.unban(range, "false positive"));
    until(Duration::from_secs(2), || {
        !banned(&c, "198.18.70.1".parse().unwrap())
    })
    .await
    .expect("the unban reaches node c");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_restarted_mid_test_loses_no_ban() {
    let Some(mut server) = RedisServer::start() else {
        return;
    };
    let url = server.url();
    let prefix = prefix("restart");
    let (a, b) = (Waf::default(), Waf::default());
    let node_a = node(&a, &url, &prefix, "a").await;
    let node_b = node(&b, &url, &prefix, "b").await;
    let before: IpNet = "198.18.1.1/32".parse().unwrap();
    a.ban(before, None, "before the restart");
    until(Duration::from_secs(2), || banned(&b, before.addr()))
        .await
        .expect("propagated");

    server.stop();
    until(Duration::from_secs(5), || {
        !node_a.stats().connected && !node_b.stats().connected
    })
    .await
    .expect("both nodes notice Redis is gone");
    // Made while Redis is down: waits in a's outbox; local enforcement goes on.
    let during: IpNet = "198.18.2.2/32".parse().unwrap();
    a.ban(during, None, "during the outage");
    assert!(banned(&a, during.addr()));
    assert!(!banned(&b, during.addr()));

    // Redis comes back empty: the nodes notice it lost its data and seed it again
    // rather than reading the empty set as "everything was unbanned".
    server.restart();
    until(Duration::from_secs(5), || {
        node_a.stats().connected && node_b.stats().connected
    })
    .await
    .expect("both nodes reconnect");
    until(Duration::from_secs(2), || banned(&b, during.addr()))
        .await
        .expect("the ban made during the outage reaches b");
    assert!(banned(&a, before.addr()) && banned(&b, before.addr()));
    let c = Waf::default();
    let _node_c = node(&c, &url, &prefix, "c").await;
    assert!(banned(&c, before.addr()) && banned(&c, during.addr()));
    assert!(node_a.stats().connects >= 2 && node_a.stats().connection_failures >= 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_connection_is_remade_and_lifted_bans_are_reconciled() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let url = server.url();
    let prefix = prefix("drop");
    let (a, b) = (Waf::default(), Waf::default());
    let node_a = node(&a, &url, &prefix, "a").await;
    let node_b = node(&b, &url, &prefix, "b").await;
    let target: IpNet = "198.18.3.3/32".parse().unwrap();
    a.ban(target, None, "x");
    until(Duration::from_secs(2), || banned(&b, target.addr()))
        .await
        .expect("propagated");

    // Kill every client connection: both nodes lose theirs. While b reconnects, the ban
    // is lifted in Redis directly (as an operator would); b must not keep it.
    let connects = node_b.stats().connects;
    server.command(&["CLIENT", "KILL", "TYPE", "pubsub"]);
    server.command(&["CLIENT", "KILL", "TYPE", "normal"]);
    server.command(&["ZREM", &format!("{prefix}:bans"), &target.to_string()]);
    until(Duration::from_secs(5), || {
        node_b.stats().connects > connects
    })
    .await
    .expect("b reconnects");
    until(Duration::from_secs(2), || !banned(&b, target.addr()))
        .await
        .expect("a ban lifted while b was away is lifted on b");

    // And the new connections carry new bans.
    let next: IpNet = "198.18.4.4/32".parse().unwrap();
    until(Duration::from_secs(5), || node_a.stats().connected)
        .await
        .unwrap();
    a.ban(next, None, "after the drop");
    until(Duration::from_secs(2), || banned(&b, next.addr()))
        .await
        .expect("propagated after reconnection");
}

fn limited_config(rate: u32, cooldown: u64) -> Config {
    Config::from_toml(&format!(
        "[[rate_limits]]\nname = \"per-address\"\nrate = {rate}\nburst = {rate}\ncooldown = {cooldown}"
    ))
    .unwrap()
}

fn app(waf: Waf, shared: Shared) -> Router {
    Router::new()
        .route("/", get(|| async { "ok" }))
        .layer(WafLayer::new(waf).shared(shared))
}

async fn status(app: &Router, client: IpAddr) -> (StatusCode, Option<String>) {
    let mut request = Request::get("/").body(Body::empty()).unwrap();
    request
        .extensions_mut()
        .insert(ClientAddr(SocketAddr::new(client, 40000)));
    let response = app.clone().oneshot(request).await.unwrap();
    let retry = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    (response.status(), retry)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_limit_holds_across_two_nodes() {
    let Some((_server, url)) = redis_for_test() else {
        return;
    };
    let prefix = prefix("limit");
    let (a, b) = (
        Waf::builder()
            .config(limited_config(20, 60))
            .build()
            .unwrap(),
        Waf::builder()
            .config(limited_config(20, 60))
            .build()
            .unwrap(),
    );
    let node_a = node(&a, &url, &prefix, "a").await;
    let node_b = node(&b, &url, &prefix, "b").await;
    let (app_a, app_b) = (
        app(a.clone(), node_a.clone()),
        app(b.clone(), node_b.clone()),
    );

    // 60 requests at once, alternating between the nodes: each node alone would let 20
    // through; together they must not let more than the limit's burst of 20.
    let mut allowed = 0;
    let mut refused_with_cooldown = 0;
    for i in 0..60 {
        let app = if i % 2 == 0 { &app_a } else { &app_b };
        match status(app, ATTACKER).await {
            (StatusCode::OK, _) => allowed += 1,
            (StatusCode::TOO_MANY_REQUESTS, Some(retry)) => {
                let seconds: u64 = retry.parse().unwrap();
                assert!((55..=60).contains(&seconds), "{seconds}");
                refused_with_cooldown += 1;
            }
            other => panic!("{other:?}"),
        }
    }
    eprintln!("two nodes let {allowed} of 60 through a limit of 20 (burst 20)");
    assert!((18..=20).contains(&allowed), "{allowed}");
    assert_eq!(allowed + refused_with_cooldown, 60);
    // Another client is not affected, and the local limiters counted nothing.
    assert_eq!(
        status(&app_a, "198.18.9.9".parse().unwrap()).await.0,
        StatusCode::OK
    );
    assert!(a.rate_limiter().is_empty() && b.rate_limiter().is_empty());
    // Batches: far fewer round trips than requests.
    let batches = node_a.stats().limit_batches + node_b.stats().limit_batches;
    assert!(batches < 30, "{batches} batches");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_redis_limits_fail_open_to_local_counting_or_closed_as_configured() {
    // Nothing listens on this port: Redis is down from the start.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("redis://127.0.0.1:{port}/");
    let open = Waf::builder().config(limited_config(5, 0)).build().unwrap();
    let shared_open = Shared::start(&open, settings(&url, &prefix("open"), "open"));
    let app_open = app(open.clone(), shared_open.clone());
    let statuses: Vec<StatusCode> = statuses_in_a_row(&app_open, 8).await;
    assert_eq!(
        statuses.iter().filter(|s| **s == StatusCode::OK).count(),
        5,
        "counted locally: {statuses:?}"
    );
    let stats = shared_open.stats();
    assert!(!stats.connected);
    assert_eq!(stats.limit_fallbacks, 8);

    let closed = Waf::builder().config(limited_config(5, 0)).build().unwrap();
    let shared_closed = Shared::start(
        &closed,
        SharedSettings {
            on_failure: FailMode::Closed,
            ..settings(&url, &prefix("closed"), "closed")
        },
    );
    let app_closed = app(closed, shared_closed.clone());
    let (status, retry) = status(&app_closed, ATTACKER).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(retry.as_deref(), Some("1"));
    assert_eq!(shared_closed.stats().limit_refusals, 1);
    // Bans still work locally without Redis.
    open.ban(IpNet::from(ATTACKER), None, "local");
    assert!(banned(&open, ATTACKER));
}

/// `n` requests from the attacker, one after another.
async fn statuses_in_a_row(app: &Router, n: usize) -> Vec<StatusCode> {
    let mut statuses = Vec::new();
    for _ in 0..n {
        statuses.push(status(app, ATTACKER).await.0);
    }
    statuses
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_feed_loaded_once_is_read_by_every_node() {
    let Some((_server, url)) = redis_for_test() else {
        return;
    };
    let prefix = prefix("feed");
    let (a, b) = (Waf::default(), Waf::default());
    let node_a = node(&a, &url, &prefix, "a").await;
    let node_b = node(&b, &url, &prefix, "b").await;
    let drop_list = "; Spamhaus DROP List\n198.18.128.0/17 ; SBL000001\n";
    assert_eq!(
        node_a
            .publish_feed("drop", drop_list, &Feed::default())
            .await
            .unwrap(),
        1
    );
    let broken = node_a
        .publish_feed("bad", "not-an-address\n", &Feed::default())
        .await;
    assert!(
        broken
            .unwrap_err()
            .to_string()
            .contains("feed bad: feed line 1")
    );

    let intel = node_b.threat_intel().await.unwrap();
    assert_eq!(intel.reputation("198.18.200.1".parse().unwrap()), 1.0);
    assert_eq!(intel.reputation("198.18.1.1".parse().unwrap()), 0.0);
    assert_eq!(intel.name(), "threat_intel");
}
