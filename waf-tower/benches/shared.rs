//! Shared state through a real `redis-server` on loopback (started by the benchmark):
//!
//! - `limiter/batched`: a rate-limit decision kept in Redis, with the default batches
//!   (a round trip every tenth of the burst); `limiter/every_request`: batch 1, a round
//!   trip per request: the latency Redis adds.
//! - `ban_propagation`: from `Waf::ban` on one node to the ban applied on another.
//! - `attack_to_ban`: the mirror pipeline end to end: an attack passes a node in mirror
//!   mode, the analyzer reads it from the stream and bans the client, and the node's
//!   engine has the ban.
//!
//! Before the groups it prints how far over a limit two nodes let a client go when it
//! sends at three times the rate for two seconds, alternating between the nodes.
//!
//! `cargo bench -p waf-tower --bench shared` (needs `redis-server`).

// The tests' helper; the benchmark uses a part of it.
#[allow(dead_code)]
#[path = "../tests/support/redis_server.rs"]
mod redis_server;

use criterion::{Criterion, criterion_group, criterion_main};
use ipnet::IpNet;
use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};
use tokio::runtime::Runtime;
use waf_core::decision::Decision;
use waf_core::request::{Limits, RawRequest, RequestView};
use waf_core::{Config, Mode, Waf};
use waf_tower::shared::{Analyzer, AnalyzerSettings, Shared, SharedSettings};

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

/// Distinct addresses in 198.18.0.0/15, one per call.
fn address(n: u32) -> IpAddr {
    IpAddr::V4(Ipv4Addr::from(0xC612_0000 | (n & 0x1_FFFF)))
}

fn settings(url: &str, node: &str, batch: Option<u32>) -> SharedSettings {
    SharedSettings {
        node: Some(node.into()),
        batch,
        ..SharedSettings::new(url)
    }
}

fn limited(rate: u32) -> Waf {
    let toml = format!("[[rate_limits]]\nname = \"per-address\"\nrate = {rate}\nburst = {rate}");
    Waf::builder()
        .config(Config::from_toml(&toml).unwrap())
        .build()
        .unwrap()
}

async fn start(waf: &Waf, url: &str, node: &str, batch: Option<u32>) -> Shared {
    let shared = Shared::start(waf, settings(url, node, batch));
    assert!(shared.wait_connected(Duration::from_secs(5)).await);
    shared
}

/// Prints how many requests two nodes let through against how many the limit allows.
fn overshoot(rt: &Runtime, url: &str) {
    rt.block_on(async {
        let rate = 100;
        let (a, b) = (limited(rate), limited(rate));
        let node_a = start(&a, url, "over-a", None).await;
        let node_b = start(&b, url, "over-b", None).await;
        let client = address(99_999);
        let (seconds, offered_rate) = (2.0, 3 * rate);
        let interval = Duration::from_secs_f64(1.0 / f64::from(offered_rate));
        let start = Instant::now();
        let mut allowed = 0u32;
        let mut sent = 0u32;
        while start.elapsed() < Duration::from_secs_f64(seconds) {
            let node = if sent.is_multiple_of(2) {
                &node_a
            } else {
                &node_b
            };
            if node
                .check_rate_limits(&request(client, "/"))
                .await
                .is_none()
            {
                allowed += 1;
            }
            sent += 1;
            tokio::time::sleep_until((start + interval * sent).into()).await;
        }
        let elapsed = start.elapsed().as_secs_f64();
        let budget = f64::from(rate) + f64::from(rate) * elapsed;
        println!(
            "overshoot: two nodes, {sent} requests at {offered_rate}/s for {elapsed:.2} s against \
             {rate}/s burst {rate}: {allowed} allowed, budget {budget:.0} ({:+.1}%)",
            (f64::from(allowed) / budget - 1.0) * 100.0
        );
    });
}

fn benches(c: &mut Criterion) {
    let Some(server) = redis_server::RedisServer::start() else {
        return;
    };
    let url = server.url();
    let rt = Runtime::new().unwrap();
    // Not under `cargo test`, which runs each benchmark once as a check.
    if std::env::args().any(|arg| arg == "--bench") {
        overshoot(&rt, &url);
    }

    let mut group = c.benchmark_group("shared");
    for (name, batch) in [
        ("limiter/batched", None),
        ("limiter/every_request", Some(1)),
    ] {
        let waf = limited(1_000_000);
        let shared = rt.block_on(start(&waf, &url, name, batch));
        let view = request(address(1), "/");
        group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                rt.block_on(async {
                    let start = Instant::now();
                    for _ in 0..iters {
                        assert!(shared.check_rate_limits(&view).await.is_none());
                    }
                    start.elapsed()
                })
            });
        });
    }

    let (a, b) = (Waf::default(), Waf::default());
    let _node_a = rt.block_on(start(&a, &url, "prop-a", None));
    let _node_b = rt.block_on(start(&b, &url, "prop-b", None));
    let arrived = b.subscribe();
    let mut n = 0;
    group.bench_function("ban_propagation", |bench| {
        bench.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                n += 1;
                let target = IpNet::from(address(n));
                let start = Instant::now();
                a.ban(target, Some(Duration::from_secs(30)), "bench");
                while arrived.recv().map(|d| d.target()) != Ok(target) {}
                total += start.elapsed();
            }
            total
        });
    });

    let node = Waf::builder().mode(Mode::Mirror).build().unwrap();
    let node_shared = rt.block_on(start(&node, &url, "mirror-node", None));
    let engine = Waf::default();
    let analyzer_shared = rt.block_on(start(&engine, &url, "analyzer", None));
    let mut analyzer = Analyzer::new(
        &analyzer_shared,
        AnalyzerSettings {
            block: Duration::from_millis(100),
            ..AnalyzerSettings::default()
        },
    );
    rt.block_on(analyzer.next()).unwrap(); // creates the group
    let analyzing = rt.spawn(async move {
        loop {
            if analyzer.next().await.is_err() {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    });
    let banned = node.subscribe();
    group.bench_function("attack_to_ban", |bench| {
        bench.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                n += 1;
                let attacker = address(n);
                let start = Instant::now();
                let attack = request(attacker, "/search?q=1%27%20OR%20%271%27%3D%271");
                node_shared.mirror("bench", &attack);
                loop {
                    match banned.recv() {
                        Ok(Decision::Ban { target, .. }) if target == IpNet::from(attacker) => {
                            break;
                        }
                        Ok(_) => {}
                        Err(error) => panic!("{error}"),
                    }
                }
                total += start.elapsed();
            }
            total
        });
    });
    group.finish();
    analyzing.abort();
}

criterion_group!(shared, benches);
criterion_main!(shared);
