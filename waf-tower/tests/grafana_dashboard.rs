//! The Grafana dashboard (`deploy/grafana/waf-dashboard.json`) queries only metrics that
//! [`Metrics`] exports: every PromQL expression's metric names are looked up in the
//! exposition of metrics that saw real traffic over loopback HTTP.

mod support;

use axum::Router;
use axum::routing::get;
use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::Arc;
use support::redis_server::RedisServer;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use waf_core::{Config, Waf};
use waf_tower::WafLayer;
use waf_tower::metrics::{CONTENT_TYPE, Metrics, PluginCounts, XdpDrops};
use waf_tower::shared::{Shared, SharedSettings};

const DASHBOARD: &str = include_str!("../../deploy/grafana/waf-dashboard.json");

/// Words of PromQL followed by a parenthesised list of label names, not of expressions.
const LABEL_LIST_KEYWORDS: [&str; 6] = [
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
];

/// Binary-operator and modifier words, which name no metric.
const OPERATOR_KEYWORDS: [&str; 6] = ["and", "or", "unless", "bool", "offset", "atan2"];

/// The metric names a PromQL expression queries: what is left once strings, label
/// matchers (`{…}`), ranges (`[…]`), label lists (`by (…)`), function names, keywords,
/// numbers and dashboard variables are taken out. Histogram series keep their
/// `_bucket`, `_sum` or `_count` suffix: those are the exported sample names.
fn metric_names(expr: &str) -> BTreeSet<String> {
    let chars: Vec<char> = expr.chars().collect();
    let mut names = BTreeSet::new();
    let mut label_list_next = false;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '"' || c == '\'' || c == '`' {
            i = after_string(&chars, i);
        } else if c == '{' || c == '[' || (c == '(' && label_list_next) {
            label_list_next = false;
            let close = match c {
                '{' => '}',
                '[' => ']',
                _ => ')',
            };
            i += 1;
            while i < chars.len() && chars[i] != close {
                i = if chars[i] == '"' {
                    after_string(&chars, i)
                } else {
                    i + 1
                };
            }
            i += 1;
        } else if c.is_ascii_digit() || c == '.' || c == '$' {
            // A number (0.95, 1e-3), a duration (5m) or a variable ($__range).
            i += 1;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || "._".contains(chars[i])) {
                i += 1;
            }
        } else if c.is_ascii_alphabetic() || c == '_' || c == ':' {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || "_:".contains(chars[i])) {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            let rest: String = chars[i..].iter().collect();
            let rest = rest.trim_start();
            // A function's name is followed by its arguments; an aggregation's may be
            // followed by its grouping first (`sum by (le) (…)`).
            let called = rest.starts_with('(')
                || ["by", "without"].iter().any(|grouping| {
                    rest.strip_prefix(grouping)
                        .is_some_and(|after| after.trim_start().starts_with('('))
                });
            if LABEL_LIST_KEYWORDS.contains(&word.as_str()) {
                label_list_next = true;
            } else if OPERATOR_KEYWORDS.contains(&word.as_str()) || called {
                // An operator, a function or an aggregation.
            } else {
                names.insert(word);
            }
        } else {
            i += 1;
        }
    }
    names
}

/// The index after the string literal opened at `start`.
fn after_string(chars: &[char], start: usize) -> usize {
    let quote = chars[start];
    let mut i = start + 1;
    while i < chars.len() && chars[i] != quote {
        i += if chars[i] == '\\' { 2 } else { 1 };
    }
    i + 1
}

/// Every `expr` string in the dashboard, wherever it is nested.
fn expressions(value: &serde_json::Value, found: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, value) in map {
                match value {
                    serde_json::Value::String(expr) if key == "expr" => found.push(expr.clone()),
                    other => expressions(other, found),
                }
            }
        }
        serde_json::Value::Array(values) => values.iter().for_each(|v| expressions(v, found)),
        _ => {}
    }
}

/// The names of the samples in an exposition (not of its `# HELP` / `# TYPE` lines).
fn sample_names(exposition: &str) -> BTreeSet<String> {
    exposition
        .lines()
        .filter(|line| !line.starts_with('#') && !line.is_empty())
        .filter_map(|line| line.split(['{', ' ']).next())
        .map(str::to_owned)
        .collect()
}

#[test]
fn metric_names_are_read_out_of_promql() {
    let cases: [(&str, &[&str]); 8] = [
        ("waf_bans_active", &["waf_bans_active"]),
        (
            "sum by (action) (rate(waf_requests_total[$__rate_interval]))",
            &["waf_requests_total"],
        ),
        (
            r#"sum(rate(waf_requests_total{action=~"deny|challenge, {x}"}[5m])) / sum(rate(waf_requests_total[5m]))"#,
            &["waf_requests_total"],
        ),
        (
            "histogram_quantile(0.95, sum by (le) (rate(waf_inspection_duration_seconds_bucket[5m])))",
            &["waf_inspection_duration_seconds_bucket"],
        ),
        (
            "rate(a_sum[1m]) / rate(a_count[1m]) > bool 0.5 unless b offset 5m",
            &["a_count", "a_sum", "b"],
        ),
        (
            "topk(10, sum without (instance) (increase(waf_rule_hits_total[$__range])))",
            &["waf_rule_hits_total"],
        ),
        ("x * on (job) group_left (node) y", &["x", "y"]),
        (
            "max (waf_redis_connected) by (instance)",
            &["waf_redis_connected"],
        ),
    ];
    for (expr, expected) in cases {
        let expected: BTreeSet<String> = expected.iter().map(|s| s.to_string()).collect();
        assert_eq!(metric_names(expr), expected, "{expr}");
    }
}

/// `GET path` over a fresh loopback connection: status, headers and body as text.
async fn get_text(addr: SocketAddr, path: &str) -> (u16, String, String) {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: shop.example\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    let response = String::from_utf8_lossy(&response).into_owned();
    let (head, body) = response.split_once("\r\n\r\n").unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, head.to_owned(), body.to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_metric_the_dashboard_queries_is_exported() {
    let config = Config::from_toml(
        "[[rate_limits]]\nname = \"login\"\npath = \"/login\"\nrate = 0.01\nburst = 1\ncooldown = 60",
    )
    .unwrap();
    let waf = Waf::builder().config(config).build().unwrap();
    let metrics = Metrics::new();
    metrics.watch(&waf);
    // Shared state on a real Redis when one is installed; otherwise on a loopback port
    // nobody listens on (the node runs disconnected, its metrics are there all the same).
    let redis = RedisServer::start();
    let url = redis
        .as_ref()
        .map_or("redis://127.0.0.1:1/".to_owned(), RedisServer::url);
    let shared = Shared::start(&waf, SharedSettings::new(url));
    metrics.shared(&shared);
    // What an application registers for its kernel blocklist, plugins and ML model.
    metrics.xdp_drops_from(|| XdpDrops {
        packets: 12,
        bytes: 720,
    });
    metrics.plugins_from(|| {
        vec![(
            "geo".to_owned(),
            PluginCounts {
                calls: 3,
                errors: 1,
            },
        )]
    });
    metrics.ml_errors_from(|| 0);

    let app = Router::new()
        .route("/search", get(|| async { "results" }))
        .route("/login", get(|| async { "login form" }))
        .layer(WafLayer::new(waf.clone()).observe(Arc::new(metrics.clone())))
        .merge(metrics.router());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let service = app.into_make_service_with_connect_info::<SocketAddr>();
    let server = tokio::spawn(async move { axum::serve(listener, service).await.unwrap() });

    // (path, status): allowed, an attack blocked, a rate limit, a banned client.
    let traffic = [
        ("/search?q=shoes", 200),
        ("/search?q=1'%20OR%20'1'='1", 403),
        ("/login", 200),
        ("/login", 429),
    ];
    for (path, status) in traffic {
        assert_eq!(get_text(addr, path).await.0, status, "{path}");
    }
    waf.ban(
        "127.0.0.1/32".parse().unwrap(),
        None,
        "test: ban the loopback client",
    );
    assert_eq!(get_text(addr, "/search?q=shoes").await.0, 403);

    let (status, head, exposition) = get_text(addr, "/metrics").await;
    assert_eq!(status, 200);
    assert!(
        head.to_ascii_lowercase()
            .contains(&format!("content-type: {CONTENT_TYPE}")),
        "{head}"
    );
    // The traffic is in it.
    for sample in [
        r#"waf_requests_total{action="allow"} 2"#,
        r#"waf_requests_total{action="deny"} 2"#,
        r#"waf_requests_total{action="rate_limit"} 1"#,
        r#"waf_rate_limit_hits_total{limit="login"} 1"#,
        r#"waf_top_attacking_client_requests{client="127.0.0.1"} 3"#,
        r#"waf_rule_hits_total{rule_id="0",source="blocklist"} 1"#,
        "waf_bans_active 1",
        "waf_inspection_duration_seconds_count 5",
        "waf_xdp_dropped_packets_total 12",
        r#"waf_plugin_errors_total{plugin="geo"} 1"#,
    ] {
        assert!(
            exposition.lines().any(|line| line == sample),
            "{sample} not in\n{exposition}"
        );
    }

    let dashboard: serde_json::Value = serde_json::from_str(DASHBOARD).unwrap();
    let mut exprs = Vec::new();
    expressions(&dashboard, &mut exprs);
    assert!(exprs.len() >= 20, "{exprs:?}");
    let exported = sample_names(&exposition);
    let mut queried = BTreeSet::new();
    for expr in &exprs {
        let names = metric_names(expr);
        assert!(!names.is_empty(), "no metric in {expr}");
        queried.extend(names);
    }
    let missing: Vec<_> = queried.difference(&exported).collect();
    assert!(
        missing.is_empty(),
        "the dashboard queries {missing:?}, not exported:\n{exposition}"
    );
    server.abort();
    drop(shared);
}
