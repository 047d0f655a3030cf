//! The live dashboard in a real headless Chromium: an app behind `WafLayer` with the
//! dashboard observing it, both served on loopback; traffic from several clients (told
//! apart by `X-Forwarded-For` from the trusted 127.0.0.1) shows up on the page, and the
//! page's own controls ban a client and switch detection-only mode, which the app's
//! answers then follow.

mod support;

use axum::Router;
use axum::routing::get;
use serde_json::Value;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use support::browser::Browser;
use waf::Waf;
use waf::tower::dashboard::{Dashboard, DashboardSettings};
use waf::tower::{TrustedProxies, WafLayer};

const TOKEN: &str = "test-token-0123456789abcdef";
/// How long the page may take to show a change.
const SHOWN: Duration = Duration::from_secs(15);
/// `q=1' OR '1'='1`, percent-encoded.
const SQLI: &str = "/search?q=1%27%20OR%20%271%27%3D%271";
const ATTACKER: &str = "198.18.30.5";
const BENIGN: &str = "198.18.30.9";
const TESTER: &str = "198.18.30.7";

/// The app and the dashboard on two loopback ports, on a runtime of their own (the
/// browser and the HTTP client of the test block); stopped with the runtime on drop.
struct Servers {
    app: SocketAddr,
    admin: SocketAddr,
    waf: Waf,
    _runtime: tokio::runtime::Runtime,
}

fn start() -> Servers {
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let waf = Waf::default();
    let dashboard =
        Dashboard::new(waf.clone(), DashboardSettings::new(TOKEN)).expect("a valid token");
    let proxies = TrustedProxies::new(["127.0.0.1/32".parse().expect("a range")]);
    let app = Router::new()
        .route("/", get(|| async { "home" }))
        .route("/search", get(|| async { "results" }))
        .layer(
            WafLayer::new(waf.clone())
                .trusted_proxies(proxies)
                .observe(Arc::new(dashboard.clone())),
        );
    let admin = Router::new().nest("/waf-admin", dashboard.router());
    let serve = |router: Router| {
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("a loopback port");
        let addr = listener.local_addr().expect("an address");
        let service = router.into_make_service_with_connect_info::<SocketAddr>();
        runtime.spawn(async move { axum::serve(listener, service).await });
        addr
    };
    Servers {
        app: serve(app),
        admin: serve(admin),
        waf,
        _runtime: runtime,
    }
}

/// One HTTP/1.1 exchange: the status and the body.
fn exchange(addr: SocketAddr, request: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).expect("connects");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("a timeout");
    stream.write_all(request.as_bytes()).expect("sent");
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).expect("an answer");
    let answer = String::from_utf8_lossy(&answer);
    let status = answer
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP answer: {answer}"));
    let body = answer.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    (status, body.to_owned())
}

/// `GET path` from `client` through the app (the test's connection is the trusted proxy).
fn visit(servers: &Servers, client: &str, path: &str) -> u16 {
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: app\r\nX-Forwarded-For: {client}\r\nConnection: close\r\n\r\n"
    );
    exchange(servers.app, &request).0
}

/// A request to the dashboard with extra header lines.
fn admin(servers: &Servers, method: &str, path: &str, headers: &str, body: &str) -> (u16, String) {
    let request = format!(
        "{method} /waf-admin{path} HTTP/1.1\r\nHost: admin\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    exchange(servers.admin, &request)
}

/// `target/screenshots/`, beside the tests' temporary directory.
fn screenshot_path() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("the target directory")
        .join("screenshots/dashboard.png")
}

#[test]
fn without_the_token_every_route_is_refused_and_bad_input_is_a_400() {
    let servers = start();
    let bearer = format!("Authorization: Bearer {TOKEN}\r\n");
    let json = "Content-Type: application/json\r\n";
    for (method, path) in [
        ("GET", ""),
        ("GET", "?token=wrong-token-0123456789ab"),
        ("GET", "/events"),
        ("GET", "/api/state"),
        ("POST", "/api/ban"),
        ("GET", "/nowhere"),
    ] {
        let (status, _) = admin(&servers, method, path, json, r#"{"target":"10.0.0.1"}"#);
        assert_eq!(status, 401, "{method} {path}");
    }
    let wrong = format!("Authorization: Bearer {TOKEN}x\r\n");
    assert_eq!(admin(&servers, "GET", "/api/state", &wrong, "").0, 401);
    // The token in a query authorises the page only.
    let query = format!("/api/state?token={TOKEN}");
    assert_eq!(admin(&servers, "GET", &query, "", "").0, 401);

    let (status, state) = admin(&servers, "GET", "/api/state", &bearer, "");
    assert_eq!(status, 200);
    let state: Value = serde_json::from_str(&state).expect("JSON state");
    assert_eq!(state["mode"], "block");
    assert_eq!(state["requests"], 0);

    let headers = format!("{bearer}{json}");
    for (path, body) in [
        ("/api/ban", "{not json"),
        ("/api/ban", r#"{"target":"300.1.2.3"}"#),
        ("/api/ban", r#"{"target":"10.0.0.1","ttl_secs":0}"#),
        ("/api/ban", r#"{"target":"10.0.0.1","ttl_secs":-5}"#),
        ("/api/unban", r#"{"target":["10.0.0.1"]}"#),
        ("/api/mode", r#"{"mode":"off"}"#),
    ] {
        let (status, message) = admin(&servers, "POST", path, &headers, body);
        assert_eq!(status, 400, "{path} {body}: {message}");
        assert!(!message.trim().is_empty());
    }
    let form = "Content-Type: application/x-www-form-urlencoded\r\n";
    let (status, _) = admin(
        &servers,
        "POST",
        "/api/ban",
        &format!("{bearer}{form}"),
        "target=10.0.0.1",
    );
    assert_eq!(status, 415);
    assert!(servers.waf.bans().is_empty());

    let (status, _) = admin(
        &servers,
        "POST",
        "/api/ban",
        &headers,
        r#"{"target":"203.0.113.0/24","ttl_secs":600}"#,
    );
    assert_eq!(status, 200);
    assert_eq!(servers.waf.bans()[0].target.to_string(), "203.0.113.0/24");
}

#[test]
fn the_page_shows_traffic_and_its_controls_ban_and_switch_modes() {
    let servers = start();
    let Some(mut browser) = Browser::launch() else {
        return;
    };
    browser.goto(&format!("http://{}/waf-admin?token={TOKEN}", servers.admin));
    let text = |id: &str| format!("document.getElementById('{id}').textContent");
    browser.wait_for(&format!("{} === 'live'", text("connection")), SHOWN);
    assert_eq!(browser.eval(&text("requests")), "0");
    assert_eq!(browser.eval(&text("blocked")), "0");
    assert_eq!(browser.eval(&text("mode")), "mode: block");
    // The token left the address bar; the cookie keeps the page authorised.
    assert_eq!(browser.eval("location.search"), "");

    for _ in 0..3 {
        assert_eq!(visit(&servers, BENIGN, "/search?q=shoes"), 200);
    }
    for _ in 0..2 {
        assert_eq!(visit(&servers, ATTACKER, SQLI), 403);
    }
    browser.wait_for(
        &format!(
            "{} === '5' && {} === '2'",
            text("requests"),
            text("blocked")
        ),
        SHOWN,
    );
    let events = browser.eval(
        "[...document.querySelectorAll('#events tr')].map(r => [...r.cells].map(c => c.textContent))",
    );
    let events = events.as_array().expect("rows");
    assert_eq!(events.len(), 2, "{events:?}");
    for row in events {
        assert_eq!(row[1], ATTACKER);
        assert_eq!(row[2], "GET");
        assert_eq!(row[3], SQLI);
        assert_eq!(row[4], "deny");
        assert_eq!(row[5], "403");
        assert!(
            row[6].as_str().is_some_and(|r| r.contains("SQL")),
            "{row:?}"
        );
    }
    let top_client = browser.eval("document.querySelector('#top-clients tr').cells[0].textContent");
    assert_eq!(top_client, BENIGN);
    browser.wait_for(
        "document.querySelector('#top-rules tr').cells.length === 3",
        SHOWN,
    );

    // Ban the attacker with the page's form.
    browser.type_text("#ban-target", ATTACKER);
    browser.click("#ban-button");
    browser.wait_for(
        &format!("{}.includes('{ATTACKER}/32')", text("bans")),
        SHOWN,
    );
    assert_eq!(browser.eval(&text("message")), format!("Banned {ATTACKER}"));
    assert_eq!(visit(&servers, ATTACKER, "/"), 403);
    assert_eq!(visit(&servers, BENIGN, "/"), 200);
    let bans = servers.waf.bans();
    assert_eq!(bans.len(), 1);
    assert_eq!(bans[0].target.to_string(), format!("{ATTACKER}/32"));
    assert_eq!(bans[0].ttl, None);

    // Detection only: an attack from another client passes, and is listed as logged.
    browser.click("#detect-only");
    browser.wait_for(&format!("{} === 'mode: detect'", text("mode")), SHOWN);
    assert_eq!(visit(&servers, TESTER, SQLI), 200);
    browser.wait_for(
        &format!(
            "[...document.querySelectorAll('#events tr')].some(r => r.cells[1].textContent === '{TESTER}' && r.cells[4].textContent === 'log' && r.cells[5].textContent === '200')"
        ),
        SHOWN,
    );
    browser.click("#detect-only");
    browser.wait_for(&format!("{} === 'mode: block'", text("mode")), SHOWN);
    assert_eq!(visit(&servers, TESTER, SQLI), 403);
    browser.wait_for(&format!("{} === '9'", text("requests")), SHOWN);

    let path = screenshot_path();
    browser.screenshot(&path);
    assert!(std::fs::metadata(&path).is_ok_and(|m| m.len() > 10_000));
    eprintln!("screenshot: {}", path.display());

    // Unban with the ban's own button.
    browser.click("#bans button.unban");
    browser.wait_for(&format!("{} === '(0)'", text("bans-total")), SHOWN);
    assert!(servers.waf.bans().is_empty());
    assert_eq!(visit(&servers, ATTACKER, "/"), 200);
}
