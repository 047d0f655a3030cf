//! `waf-proxy` with `[admin]` and `[challenge]`: the admin listener serves the metrics
//! of the traffic the proxy saw and, with a token file, the live dashboard, whose bans
//! the proxy enforces; a challenge pass earned before a reload still holds after it
//! (the secret comes from `secret_file`).

use axum::Router;
use axum::routing::get;
use sha2::{Digest, Sha256};
use std::net::SocketAddr;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use waf::proxy::Proxy;

/// The dashboard's token, in the proxy's `[admin] token_file`.
const TOKEN: &str = "operator-token-0123456789";

/// One request over a fresh connection: status, head and body.
async fn send(addr: SocketAddr, request: &str) -> (u16, String, String) {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    let text = String::from_utf8_lossy(&response).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    (
        head[9..12].parse().unwrap(),
        head.to_owned(),
        body.to_owned(),
    )
}

fn get_request(target: &str, cookie: &str) -> String {
    format!("GET {target} HTTP/1.1\r\nHost: shop.test\r\n{cookie}Connection: close\r\n\r\n")
}

/// Solves the puzzle of a challenge page and returns the pass cookie (`name=value`).
async fn earn_pass(addr: SocketAddr, page: &str) -> String {
    let json = page
        .split("var puzzle = ")
        .nth(1)
        .and_then(|rest| rest.split(";\n").next())
        .unwrap();
    let puzzle: serde_json::Value = serde_json::from_str(json).unwrap();
    let seed = puzzle["seed"].as_str().unwrap();
    let difficulty = puzzle["difficulty"].as_u64().unwrap() as u32;
    let zero_bits = |digest: &[u8]| {
        let first = u32::from_be_bytes(digest[..4].try_into().unwrap());
        first.leading_zeros()
    };
    let nonce = (0u64..)
        .find(|n| zero_bits(&Sha256::digest(format!("{seed}:{n}"))) >= difficulty)
        .unwrap();
    let form = format!("seed={seed}&issued={}&nonce={nonce}", puzzle["issued"]);
    let request = format!(
        "POST {} HTTP/1.1\r\nHost: shop.test\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{form}",
        puzzle["path"].as_str().unwrap(),
        form.len()
    );
    let (status, head, body) = send(addr, &request).await;
    assert_eq!(status, 204, "{body}");
    let cookie = head
        .lines()
        .find_map(|l| l.strip_prefix("set-cookie: "))
        .expect("a pass cookie");
    cookie.split(';').next().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_metrics_and_challenge_passes_across_reloads() {
    let app = Router::new().route("/search", get(|| async { "results" }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let upstream = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let dir = tempfile::tempdir().unwrap();
    // Every request that is not denied is challenged.
    std::fs::write(
        dir.path().join("waf.toml"),
        "[scoring]\nchallenge_band = 0.85\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("challenge-secret"),
        "a secret of more than sixteen bytes\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("dashboard-token"), format!("{TOKEN}\n")).unwrap();
    let config = format!(
        "waf_config = \"waf.toml\"\n\
         [listen]\nhttp = \"127.0.0.1:0\"\nshutdown_grace_ms = 1000\n\
         [upstream]\nurl = \"http://{upstream}\"\n\
         [challenge]\nsecret_file = \"challenge-secret\"\ndifficulty = 10\n\
         [admin]\nlisten = \"127.0.0.1:0\"\ntoken_file = \"dashboard-token\"\n"
    );
    let path = dir.path().join("proxy.toml");
    std::fs::write(&path, config).unwrap();
    let proxy = Proxy::start(&path).await.unwrap();
    let addr = proxy.http_addr().unwrap();
    let admin = proxy.admin_addr().unwrap();

    let (status, _, page) = send(addr, &get_request("/search?q=shoes", "")).await;
    assert_eq!(status, 403);
    let pass = earn_pass(addr, &page).await;
    let with_pass = format!("Cookie: {pass}\r\n");
    let (status, _, body) = send(addr, &get_request("/search?q=shoes", &with_pass)).await;
    assert_eq!((status, body.as_str()), (200, "results"));

    proxy.reload().await.unwrap();
    let (status, _, body) = send(addr, &get_request("/search?q=boots", &with_pass)).await;
    assert_eq!(
        (status, body.as_str()),
        (200, "results"),
        "the pass outlives a reload"
    );
    let (status, _, _) = send(addr, &get_request("/search?q=1'%20OR%20'1'='1", &with_pass)).await;
    assert_eq!(status, 403, "a pass never lifts a deny");

    let (status, head, metrics) = send(admin, &get_request("/metrics", "")).await;
    assert_eq!(status, 200, "{head}");
    // (series, value): the first request challenged, two let through with the pass
    // (logged), one denied.
    let cases = [
        (r#"waf_requests_total{action="challenge"}"#, 1),
        (r#"waf_requests_total{action="log"}"#, 2),
        (r#"waf_requests_total{action="deny"}"#, 1),
    ];
    for (series, value) in cases {
        let line = format!("{series} {value}");
        assert!(metrics.lines().any(|l| l == line), "{line} in\n{metrics}");
    }

    // The dashboard: refused without the token; with it, it counts the same four
    // requests, and a ban made there is enforced by the proxy until it is lifted.
    let (status, _, _) = send(admin, &get_request("/dashboard/api/state", "")).await;
    assert_eq!(status, 401);
    let bearer = format!("Authorization: Bearer {TOKEN}\r\n");
    let (status, _, state) = send(admin, &get_request("/dashboard/api/state", &bearer)).await;
    assert_eq!(status, 200);
    let state: serde_json::Value = serde_json::from_str(&state).unwrap();
    assert_eq!(
        (&state["requests"], &state["blocked"]),
        (&4.into(), &2.into()),
        "{state}"
    );
    let control = |path: &str| {
        let body = r#"{"target":"127.0.0.1"}"#;
        format!(
            "POST /dashboard/api/{path} HTTP/1.1\r\nHost: admin\r\n{bearer}\
             Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
    };
    assert_eq!(send(admin, &control("ban")).await.0, 200);
    let (status, _, _) = send(addr, &get_request("/search?q=boots", &with_pass)).await;
    assert_eq!(status, 403, "banned from the dashboard");
    assert_eq!(send(admin, &control("unban")).await.0, 200);
    let (status, _, _) = send(addr, &get_request("/search?q=boots", &with_pass)).await;
    assert_eq!(status, 200, "unbanned");

    // An open dashboard page (its event stream never ends) does not hold up shutdown
    // past the grace period (1 s here).
    let mut events = tokio::net::TcpStream::connect(admin).await.unwrap();
    let request = get_request("/dashboard/events", &bearer).replace("Connection: close\r\n", "");
    events.write_all(request.as_bytes()).await.unwrap();
    let mut first = [0u8; 64];
    let read = events.read(&mut first).await.unwrap();
    assert!(
        first[..read].starts_with(b"HTTP/1.1 200"),
        "{:?}",
        String::from_utf8_lossy(&first[..read])
    );
    tokio::time::timeout(std::time::Duration::from_secs(10), proxy.shutdown())
        .await
        .expect("shutdown within the grace period despite an open event stream");
}

#[test]
fn bad_challenge_and_admin_settings_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("short"), "too short").unwrap();
    std::fs::write(dir.path().join("spaced"), "a token with spaces in it\n").unwrap();
    let base = "[listen]\nhttp = \"127.0.0.1:0\"\n[upstream]\nurl = \"http://127.0.0.1:1\"\n";
    // (extra configuration, error)
    let cases = [
        (
            "[challenge]\ndifficulty = 0\n",
            "[challenge]: `difficulty` must be 1 to 32 bits, found 0",
        ),
        (
            "[challenge]\nsecret_file = \"short\"\n",
            "holds 9 bytes; use at least 16 random ones",
        ),
        (
            "[challenge]\nsecret_file = \"missing\"\n",
            "[challenge]: cannot read secret_file",
        ),
        ("[admin]\nlisten = \"nowhere\"\n", "invalid socket address"),
        (
            "[admin]\nlisten = \"127.0.0.1:0\"\ntoken_file = \"short\"\n",
            "[admin]: token_file",
        ),
        (
            "[admin]\nlisten = \"127.0.0.1:0\"\ntoken_file = \"spaced\"\n",
            "the dashboard token must be at least 16 characters",
        ),
        (
            "[admin]\nlisten = \"127.0.0.1:0\"\ntoken_file = \"missing\"\n",
            "[admin]: cannot read token_file",
        ),
    ];
    let runtime = tokio::runtime::Runtime::new().unwrap();
    for (extra, error) in cases {
        let path = dir.path().join("proxy.toml");
        std::fs::write(&path, format!("{base}{extra}")).unwrap();
        let got = runtime.block_on(waf::proxy::check(&path)).unwrap_err();
        assert!(got.contains(error), "{extra}: {got}");
    }
}
