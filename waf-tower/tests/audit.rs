//! The audit log behind a real `WafLayer`, served over loopback HTTP: which
//! transactions get a record, what a record holds, and what it never holds.

use axum::Router;
use axum::routing::{get, post};
use serde_json::Value;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use waf_core::{Config, Mode, Waf};
use waf_tower::WafLayer;
use waf_tower::audit::AuditLog;

/// Serves `layer` in front of a small app on a loopback port.
async fn serve(layer: WafLayer) -> SocketAddr {
    let app = Router::new()
        .route("/search", get(|| async { "results" }))
        .route("/login", post(|| async { "welcome" }))
        .layer(layer);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap();
    });
    addr
}

/// Sends one raw HTTP/1.1 request (`headers` each ending in CRLF) and returns the
/// status.
async fn send(addr: SocketAddr, line: &str, headers: &str, body: &str) -> u16 {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!(
        "{line} HTTP/1.1\r\nHost: shop.test\r\nUser-Agent: audit-test\r\n{headers}\
         Connection: close\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    response[9..12].parse().unwrap()
}

fn records(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).expect("each line is a JSON object"))
        .collect()
}

const SECRET: &str = "hunter2";

#[tokio::test]
async fn denied_requests_are_recorded_with_secrets_redacted() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.log");
    let audit = Arc::new(
        AuditLog::file(&path)
            .redact_arg("password")
            .headers(["user-agent", "authorization", "cookie"])
            .start()
            .unwrap(),
    );
    let addr = serve(WafLayer::new(Waf::default()).observe(audit.clone())).await;

    // (request line, headers, body, status, expected record: uri, and the variable of
    // a match whose data is redacted)
    let cases = [
        ("GET /search?q=shoes", "", "", 200, None),
        (
            "GET /search?q=1'%20OR%20'1'='1&password=hunter2",
            "",
            "",
            403,
            Some(("/search?q=1'%20OR%20'1'='1&password=[redacted]", None)),
        ),
        (
            "POST /login",
            "Content-Type: application/x-www-form-urlencoded\r\n",
            "user=ann&password=hunter2'%20OR%20'1'%3D'1",
            403,
            Some(("/login", Some("ARGS:password"))),
        ),
        (
            "GET /search?q=ok",
            "Cookie: session=hunter2' OR '1'='1\r\nAuthorization: Basic hunter2\r\n",
            "",
            403,
            Some(("/search?q=ok", Some("REQUEST_COOKIES:session"))),
        ),
    ];
    let mut expected = Vec::new();
    for (line, headers, body, status, record) in cases {
        assert_eq!(send(addr, line, headers, body).await, status, "{line}");
        if let Some(record) = record {
            expected.push((status, record));
        }
    }
    audit.flush();

    let text = std::fs::read_to_string(&path).unwrap();
    assert!(!text.contains(SECRET), "a secret was written: {text}");
    let found = records(&path);
    assert_eq!(found.len(), expected.len(), "{text}");
    for (record, (status, (uri, redacted))) in found.iter().zip(expected) {
        assert_eq!(record["uri"], uri);
        assert_eq!(record["status"], status);
        assert_eq!(record["action"], "deny");
        assert_eq!(record["client"], "127.0.0.1");
        assert_eq!(record["protocol"], "HTTP/1.1");
        assert_eq!(record["headers"]["user-agent"], "audit-test");
        assert_eq!(record["request_id"].as_str().unwrap().len(), 16);
        let time = record["time"].as_str().unwrap();
        assert!(time.ends_with('Z') && time.len() == 24, "{time}");
        assert!(record["score"].as_f64().unwrap() > 0.0);
        let matches = record["matches"].as_array().unwrap();
        assert!(!matches.is_empty());
        for m in matches {
            assert!(m["rule_id"].is_u64() && m["message"].is_string() && m["severity"].is_string());
        }
        if let Some(variable) = redacted {
            let m = matches
                .iter()
                .find(|m| m["variable"] == variable)
                .unwrap_or_else(|| panic!("a match on {variable}: {record}"));
            assert_eq!(m["data"], "[redacted]");
        }
    }
    let last = &found[found.len() - 1]["headers"];
    assert_eq!(last["cookie"], "[redacted]");
    assert_eq!(last["authorization"], "[redacted]");
    assert_eq!(audit.dropped(), 0);
    assert_eq!(audit.write_errors(), 0);
}

#[tokio::test]
async fn detection_only_matches_are_recorded_as_log() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.log");
    let audit = Arc::new(AuditLog::file(&path).start().unwrap());
    let config = Config {
        mode: Mode::Detect,
        ..Config::default()
    };
    let waf = Waf::builder().config(config).build().unwrap();
    let addr = serve(WafLayer::new(waf).observe(audit.clone())).await;
    let attack = "GET /search?q=%3Cscript%3Ealert(1)%3C/script%3E";
    assert_eq!(send(addr, attack, "", "").await, 200);
    assert_eq!(send(addr, "GET /search?q=shoes", "", "").await, 200);
    audit.flush();
    let found = records(&path);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0]["action"], "log");
    assert_eq!(found[0]["mode"], "detect");
    assert_eq!(found[0]["status"], 200);
}
