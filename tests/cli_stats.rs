//! `waf stats` against a real server on loopback serving the real metrics of a
//! `WafLayer` that saw real traffic; and its plain-words errors.

use axum::Router;
use axum::routing::get;
use std::net::SocketAddr;
use std::process::{Command, Output};
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use waf::core::ml::AnomalyScorer;
use waf::core::{Config, Waf};
use waf::tower::WafLayer;
use waf::tower::metrics::Metrics;

/// Serves `/search` and `/login` behind the firewall, and `/metrics`, on a loopback port.
async fn serve() -> SocketAddr {
    let config = Config::from_toml(
        "[[rate_limits]]\nname = \"login\"\npath = \"/login\"\nrate = 0.01\nburst = 1\ncooldown = 60",
    )
    .unwrap();
    let scorer = AnomalyScorer::embedded().unwrap();
    let waf = Waf::builder()
        .config(config)
        .signal_source(Arc::new(scorer.clone()))
        .build()
        .unwrap();
    let metrics = Metrics::new();
    metrics.watch(&waf);
    metrics.ml_errors_from(move || scorer.errors());
    let app = Router::new()
        .route("/search", get(|| async { "results" }))
        .route("/login", get(|| async { "login form" }))
        .layer(WafLayer::new(waf.clone()).observe(Arc::new(metrics.clone())))
        .merge(metrics.router());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let service = app.into_make_service_with_connect_info::<SocketAddr>();
    tokio::spawn(async move { axum::serve(listener, service).await.unwrap() });
    // (path, status): allowed, an attack blocked, a rate limit.
    for (path, status) in [
        ("/search?q=shoes", 200),
        ("/search?q=boots", 200),
        ("/search?q=1'%20OR%20'1'='1", 403),
        ("/login", 200),
        ("/login", 429),
    ] {
        assert_eq!(status_of(addr, path).await, status, "{path}");
    }
    waf.ban("203.0.113.9/32".parse().unwrap(), None, "test");
    addr
}

/// The status of `GET path` over a fresh loopback connection.
async fn status_of(addr: SocketAddr, path: &str) -> u16 {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: shop.example\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    let response = String::from_utf8_lossy(&response);
    response.split(' ').nth(1).unwrap().parse().unwrap()
}

/// Runs `waf stats ARGS` off the runtime (the server answers it meanwhile).
async fn waf_stats(args: Vec<String>) -> Output {
    tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_waf"))
            .arg("stats")
            .args(args)
            .output()
            .unwrap()
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn summarizes_a_live_metrics_endpoint() {
    let addr = serve().await;
    let url = format!("http://{addr}/metrics");

    let output = waf_stats(vec!["--url".into(), url.clone()]).await;
    assert!(output.status.success(), "{output:?}");
    let text = String::from_utf8(output.stdout).unwrap();
    for line in [
        "requests     5 in all: 3 allow, 1 deny, 0 challenge, 1 rate_limit, 0 log",
        "blocked      40.0% (denied, challenged or rate-limited)",
        "top clients  127.0.0.1 (2 requests)",
        "bans         1 active",
        "redis        not used",
    ] {
        assert!(text.lines().any(|l| l == line), "{line:?} not in\n{text}");
    }
    let rules = text.lines().find(|l| l.starts_with("top rules")).unwrap();
    assert!(rules.contains("builtin 100100 (1 hit)"), "{text}");
    assert!(rules.contains("ratelimit 0 (1 hit)"), "{text}");
    assert!(text.contains("latency      p50 "), "{text}");

    let output = waf_stats(vec!["--url".into(), url.clone(), "--json".into()]).await;
    assert!(output.status.success(), "{output:?}");
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["total"], 5);
    assert_eq!(json["requests"]["deny"], 1);
    assert_eq!(json["requests"]["rate_limit"], 1);
    assert_eq!(json["block_ratio"], 0.4);
    assert_eq!(json["bans_active"], 1);
    assert_eq!(json["top_clients"][0]["client"], "127.0.0.1");
    assert!(
        json["top_rules"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["rule_id"] == "100100")
    );
    let latency = &json["latency_seconds"];
    let (p50, p99) = (
        latency["p50"].as_f64().unwrap(),
        latency["p99"].as_f64().unwrap(),
    );
    assert!(0.0 < p50 && p50 <= p99, "{latency}");
    assert!(json["redis"].is_null());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_are_said_in_plain_words() {
    let addr = serve().await;
    // A loopback port nobody listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    // (url, exit status, what stderr says)
    let cases = [
        (
            format!("http://{closed}/metrics"),
            1,
            "cannot reach http://",
        ),
        (
            format!("http://{addr}/nothing"),
            1,
            "answered 404 Not Found, not metrics",
        ),
        (
            format!("http://{addr}/search?q=shoes"),
            1,
            "not with waf metrics",
        ),
        (format!("https://{addr}/metrics"), 2, "--url: https://"),
        ("not a url".to_owned(), 2, "is not a URL"),
    ];
    for (url, code, says) in cases {
        let output = waf_stats(vec!["--url".into(), url.clone()]).await;
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(code), "{url}: {stderr}");
        assert!(stderr.contains(says), "{url}: {stderr}");
        assert!(output.stdout.is_empty(), "{url}");
    }
}

#[test]
fn every_option_has_help() {
    let output = Command::new(env!("CARGO_BIN_EXE_waf"))
        .args(["stats", "--help"])
        .output()
        .unwrap();
    assert!(output.status.success());
    let help = String::from_utf8(output.stdout).unwrap();
    for option in ["--url <URL>", "--json", "--top <N>"] {
        let line = help
            .lines()
            .find(|l| l.contains(option))
            .unwrap_or_else(|| panic!("{option}\n{help}"));
        assert!(
            line.trim().len() > option.len() + 4,
            "{option} has no help:\n{help}"
        );
    }
}
