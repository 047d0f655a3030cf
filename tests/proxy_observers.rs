//! `waf-proxy` with `[audit]` and `[store]` in its configuration: the attacks it stops
//! are in the audit log and in the attack store once it has shut down.

use axum::Router;
use axum::routing::get;
use std::net::SocketAddr;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use waf::proxy::Proxy;
use waf::store::{Query, Store};

/// Sends `GET target` over a fresh connection and returns the status.
async fn get_status(addr: SocketAddr, target: &str) -> u16 {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!(
        "GET {target} HTTP/1.1\r\nHost: shop.test\r\nCookie: session=s3cret\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    response[9..12].parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stopped_requests_reach_the_audit_log_and_the_store() {
    let app = Router::new().route("/search", get(|| async { "results" }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let upstream = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let dir = tempfile::tempdir().unwrap();
    let config = format!(
        "[listen]\nhttp = \"127.0.0.1:0\"\nshutdown_grace_ms = 1000\n\
         [upstream]\nurl = \"http://{upstream}\"\n\
         [audit]\npath = \"audit.log\"\nredact_args = [\"password\"]\n\
         [store]\nurl = \"sqlite:events.db\"\nredact_args = [\"password\"]\n"
    );
    std::fs::write(dir.path().join("proxy.toml"), config).unwrap();
    let proxy = Proxy::start(&dir.path().join("proxy.toml")).await.unwrap();
    let addr = proxy.http_addr().unwrap();
    // (target, status)
    let cases = [
        ("/search?q=shoes", 200),
        ("/search?q=1'%20OR%20'1'='1&password=hunter2", 403),
        ("/search?q=%3Cscript%3Ealert(1)%3C/script%3E", 403),
    ];
    for (target, status) in cases {
        assert_eq!(get_status(addr, target).await, status, "{target}");
    }
    // Shutting down closes the observers, which write out what they hold.
    proxy.shutdown().await;

    let audit = std::fs::read_to_string(dir.path().join("audit.log")).unwrap();
    assert!(
        !audit.contains("hunter2") && !audit.contains("s3cret"),
        "{audit}"
    );
    let uris: Vec<String> = audit
        .lines()
        .map(|line| {
            let record: serde_json::Value = serde_json::from_str(line).unwrap();
            record["uri"].as_str().unwrap().to_owned()
        })
        .collect();
    let expected = [
        "/search?q=1'%20OR%20'1'='1&password=[redacted]",
        "/search?q=%3Cscript%3Ealert(1)%3C/script%3E",
    ];
    assert_eq!(uris, expected);

    let url = format!("sqlite:{}", dir.path().join("events.db").display());
    let events = tokio::task::spawn_blocking(move || {
        Store::open_existing(&url)
            .unwrap()
            .query(&Query::default())
            .unwrap()
    })
    .await
    .unwrap();
    let stored: Vec<&str> = events.iter().rev().map(|e| e.uri.as_str()).collect();
    assert_eq!(stored, expected);
}
