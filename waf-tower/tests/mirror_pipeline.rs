//! The out-of-band pipeline over real HTTP on loopback: two nodes in mirror mode pass
//! an attack through and mirror it to a Redis stream, an analyzer reads it with a
//! consumer group and bans the attacker, and both nodes then refuse the attacker.

mod support;

use axum::Router;
use axum::routing::get;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};
use support::redis_server::redis_for_test;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use waf_core::{Mode, Waf};
use waf_tower::shared::{Analyzer, AnalyzerSettings, Shared, SharedSettings};
use waf_tower::{TrustedProxies, WafLayer};

fn settings(url: &str, prefix: &str, node: &str) -> SharedSettings {
    SharedSettings {
        prefix: prefix.into(),
        node: Some(node.into()),
        reconnect_min_ms: 20,
        ..SharedSettings::new(url)
    }
}

/// A node: an axum app behind `WafLayer` in mirror mode, served on loopback, believing
/// `X-Forwarded-For` from loopback so that tests can speak for many clients.
async fn serve_node(url: &str, prefix: &str, name: &str) -> (SocketAddr, Shared) {
    let waf = Waf::builder().mode(Mode::Mirror).build().unwrap();
    let shared = Shared::start(&waf, settings(url, prefix, name));
    assert!(shared.wait_connected(Duration::from_secs(5)).await);
    let app = Router::new()
        .route("/search", get(|| async { "results" }))
        .layer(
            WafLayer::new(waf)
                .shared(shared.clone())
                .trusted_proxies(TrustedProxies::new(["127.0.0.1/32".parse().unwrap()])),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let service = app.into_make_service_with_connect_info::<SocketAddr>();
        axum::serve(listener, service).await.unwrap();
    });
    (addr, shared)
}

/// One HTTP/1.1 request on a fresh connection; the response's status.
async fn http_get(node: SocketAddr, target: &str, client: IpAddr) -> u16 {
    let mut stream = tokio::net::TcpStream::connect(node).await.unwrap();
    let request = format!(
        "GET {target} HTTP/1.1\r\nHost: shop.example\r\nX-Forwarded-For: {client}\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    let head = String::from_utf8_lossy(&response[..response.len().min(12)]).into_owned();
    head.strip_prefix("HTTP/1.1 ")
        .and_then(|rest| rest.get(..3)?.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP response: {head:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mirrored_attacks_are_banned_by_the_analyzer_on_every_node() {
    let Some((_server, url)) = redis_for_test() else {
        return;
    };
    let prefix = format!("waf-test:{}:pipeline", std::process::id());
    let (node_a, shared_a) = serve_node(&url, &prefix, "a").await;
    let (node_b, _shared_b) = serve_node(&url, &prefix, "b").await;

    // The analyzer: its own engine (blocking mode), banning through the shared set.
    let engine = Waf::default();
    let analyzer_shared = Shared::start(&engine, settings(&url, &prefix, "analyzer"));
    assert!(analyzer_shared.wait_connected(Duration::from_secs(5)).await);
    let mut analyzer = Analyzer::new(
        &analyzer_shared,
        AnalyzerSettings {
            consumer: "analyzer-1".into(),
            ban_ttl: Duration::from_secs(60),
            block: Duration::from_millis(100),
            ..AnalyzerSettings::default()
        },
    );
    // Creates the group before anything is mirrored.
    assert_eq!(analyzer.next().await.unwrap().read, 0);
    let analyzing = tokio::spawn(async move {
        let mut seen = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline
            && seen
                .iter()
                .map(|a: &waf_tower::shared::Analyzed| a.read)
                .sum::<usize>()
                < 3
        {
            seen.push(analyzer.next().await.unwrap());
        }
        seen
    });

    let attacker: IpAddr = "198.18.20.1".parse().unwrap();
    let visitor: IpAddr = "198.18.20.2".parse().unwrap();
    assert_eq!(http_get(node_a, "/search?q=shoes", visitor).await, 200);
    let sent = Instant::now();
    // Mirror mode: the attack itself passes (detection only) …
    assert_eq!(
        http_get(node_a, "/search?q=1%27%20OR%20%271%27%3D%271", attacker).await,
        200
    );
    assert_eq!(http_get(node_b, "/search?q=boots", visitor).await, 200);
    // … and once the analyzer has banned the attacker, every node refuses it.
    let mut refused_after = None;
    while sent.elapsed() < Duration::from_secs(10) {
        if http_get(node_b, "/search?q=shoes", attacker).await == 403 {
            refused_after = Some(sent.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let refused_after = refused_after.expect("node b refuses the attacker");
    eprintln!("attack to ban on another node, end to end: {refused_after:?}");
    assert_eq!(http_get(node_a, "/search?q=shoes", attacker).await, 403);
    assert_eq!(http_get(node_a, "/search?q=shoes", visitor).await, 200);

    let analyzed = analyzing.await.unwrap();
    let read: usize = analyzed.iter().map(|a| a.read).sum();
    let banned: Vec<IpAddr> = analyzed
        .iter()
        .flat_map(|a| a.banned.iter().map(|b| b.0))
        .collect();
    // The attacker's benign polls that reached node b before the ban landed
    // were mirrored too, so the analyzer may have read more than the three
    // requests sent before the attack was banned.
    assert!(read >= 3, "{analyzed:?}");
    assert_eq!(banned, [attacker]);
    assert!(shared_a.stats().mirrored >= 2);
}
