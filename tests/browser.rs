//! The live dashboard and the challenge page in one real headless Chromium.
//!
//! Dashboard: an app behind `WafLayer` with the dashboard observing it, both served on
//! loopback; traffic from several clients (told apart by `X-Forwarded-For` from the
//! trusted 127.0.0.1) shows up on the page, and the page's own controls ban a client
//! and switch detection-only mode, which the app's answers then follow.
//!
//! Challenge: the same browser is challenged by another app, its script solves the
//! proof of work, trades it for the HttpOnly pass cookie and reloads into the app; the
//! pass with its signature or its expiry altered, and the real pass once it has
//! expired, are refused.

mod support;

use axum::Router;
use axum::routing::get;
use serde_json::Value;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use support::browser::Browser;
use waf::tower::challenge::ChallengeSettings;
use waf::tower::dashboard::{Dashboard, DashboardSettings};
use waf::tower::{TrustedProxies, WafLayer};
use waf::{Config, Waf};

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
    Servers {
        app: serve(&runtime, app),
        admin: serve(&runtime, admin),
        waf,
        _runtime: runtime,
    }
}

/// Serves `router` on a free loopback port on `runtime`; returns the port's address.
fn serve(runtime: &tokio::runtime::Runtime, router: Router) -> SocketAddr {
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("a loopback port");
    let addr = listener.local_addr().expect("an address");
    let service = router.into_make_service_with_connect_info::<SocketAddr>();
    runtime.spawn(async move { axum::serve(listener, service).await });
    addr
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

/// `target/screenshots/NAME`, beside the tests' temporary directory.
fn screenshot_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("the target directory")
        .join("screenshots")
        .join(name)
}

/// Saves a screenshot of the page to `target/screenshots/NAME` and checks that it holds
/// more than `min_bytes` (a blank page compresses to less).
fn keep_screenshot(browser: &mut Browser, name: &str, min_bytes: u64) {
    let path = screenshot_path(name);
    browser.screenshot(&path);
    assert!(std::fs::metadata(&path).is_ok_and(|m| m.len() > min_bytes));
    eprintln!("screenshot: {}", path.display());
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

/// One Chromium for both pages: the dashboard first, then the challenge.
#[test]
fn in_chromium_the_dashboard_steers_the_app_and_a_solved_challenge_lets_the_browser_in() {
    let Some(mut browser) = Browser::launch() else {
        return;
    };
    the_dashboard_shows_traffic_and_its_controls_ban_and_switch_modes(&mut browser);
    the_browser_solves_the_challenge_and_altered_or_expired_passes_are_refused(&mut browser);
}

fn the_dashboard_shows_traffic_and_its_controls_ban_and_switch_modes(browser: &mut Browser) {
    let servers = start();
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

    keep_screenshot(browser, "dashboard.png", 10_000);

    // Unban with the ban's own button.
    browser.click("#bans button.unban");
    browser.wait_for(&format!("{} === '(0)'", text("bans-total")), SHOWN);
    assert!(servers.waf.bans().is_empty());
    assert_eq!(visit(&servers, ATTACKER, "/"), 200);
}

/// How long the challenge app's passes hold: long enough for the checks made with a
/// fresh pass, short enough to wait out.
const PASS_TTL: Duration = Duration::from_secs(8);

/// An app whose engine challenges every request it does not deny, on a runtime of its
/// own; stopped with the runtime on drop.
fn start_challenged_app() -> (SocketAddr, tokio::runtime::Runtime) {
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let config = Config::from_toml("[scoring]\nchallenge_band = 0.85").expect("a config");
    let waf = Waf::builder().config(config).build().expect("an engine");
    let app = Router::new()
        .route("/", get(|| async { "welcome to the shop" }))
        .layer(WafLayer::new(waf).challenge(ChallengeSettings {
            difficulty: 14,
            pass_ttl: PASS_TTL,
            ..ChallengeSettings::default()
        }));
    (serve(&runtime, app), runtime)
}

fn the_browser_solves_the_challenge_and_altered_or_expired_passes_are_refused(
    browser: &mut Browser,
) {
    let (addr, _runtime) = start_challenged_app();
    let url = format!("http://{addr}/");
    browser.goto(&url);
    // The page (not the app) first, then the app once the script has earned its pass.
    browser.wait_for(
        "document.body.innerText.includes('welcome to the shop')",
        Duration::from_secs(30),
    );
    let status = |browser: &mut Browser| browser.eval("fetch('/').then(r => r.status)");

    // The pass is in an HttpOnly cookie: the same fetch passes with it and is
    // challenged without it.
    assert_eq!(status(browser), 200);
    let without = browser.eval("fetch('/', {credentials: 'omit'}).then(r => r.status)");
    assert_eq!(without, 403);
    assert_eq!(
        browser.eval("document.cookie.includes('waf_pass')"),
        false,
        "HttpOnly: out of the script's reach"
    );

    // `expiry.signature`: a changed signature, and a later expiry under the real
    // signature, are challenged; the real pass, put back, passes again.
    let pass = browser
        .cookie("waf_pass")
        .expect("the browser holds a pass");
    let (expiry, signature) = pass.split_once('.').expect("expiry.signature");
    let expiry: u64 = expiry.parse().expect("the expiry is a number");
    let flipped = if signature.ends_with('0') { '1' } else { '0' };
    let forged_signature = format!("{expiry}.{}{flipped}", &signature[..signature.len() - 1]);
    let forged_expiry = format!("{}.{signature}", expiry + 3600);
    for forged in [&forged_signature, &forged_expiry] {
        browser.set_cookie(&url, "waf_pass", forged);
        assert_eq!(status(browser), 403, "forged pass {forged}");
    }
    browser.set_cookie(&url, "waf_pass", &pass);
    assert_eq!(status(browser), 200);
    keep_screenshot(browser, "challenge-passed.png", 0);

    // Past its expiry the pass (still sent: the browser's copy no longer expires) is
    // challenged.
    let unix_now = || {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("after 1970")
            .as_secs()
    };
    while unix_now() <= expiry {
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(browser.cookie("waf_pass").as_deref(), Some(pass.as_str()));
    assert_eq!(status(browser), 403, "expired pass");

    // Challenged again, the browser earns a new pass.
    browser.goto(&url);
    browser.wait_for(
        "document.body.innerText.includes('welcome to the shop')",
        Duration::from_secs(30),
    );
    assert_ne!(browser.cookie("waf_pass"), Some(pass));
}
