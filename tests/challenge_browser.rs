//! The challenge page in a real headless Chromium: the browser is challenged, its script
//! solves the proof of work, trades it for the pass cookie and reloads, and the
//! application's answer appears; without the cookie the same request is challenged.

mod support;

use axum::Router;
use axum::routing::get;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;
use support::browser::Browser;
use waf::tower::WafLayer;
use waf::tower::challenge::ChallengeSettings;
use waf::{Config, Waf};

/// An app whose engine challenges every request it does not deny, on a runtime of its
/// own (the browser blocks); stopped with the runtime on drop.
fn start() -> (SocketAddr, tokio::runtime::Runtime) {
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let config = Config::from_toml("[scoring]\nchallenge_band = 0.85").expect("a config");
    let waf = Waf::builder().config(config).build().expect("an engine");
    let app = Router::new()
        .route("/", get(|| async { "welcome to the shop" }))
        .layer(WafLayer::new(waf).challenge(ChallengeSettings {
            difficulty: 14,
            ..ChallengeSettings::default()
        }));
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("a loopback port");
    let addr = listener.local_addr().expect("an address");
    let service = app.into_make_service_with_connect_info::<SocketAddr>();
    runtime.spawn(async move { axum::serve(listener, service).await });
    (addr, runtime)
}

#[test]
fn the_browser_solves_the_challenge_and_reaches_the_app() {
    let Some(mut browser) = Browser::launch() else {
        return;
    };
    let (addr, _runtime) = start();
    browser.goto(&format!("http://{addr}/"));
    // The page (not the app) first, then the app once the script has earned its pass.
    browser.wait_for(
        "document.body.innerText.includes('welcome to the shop')",
        Duration::from_secs(30),
    );
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("the target directory")
        .join("screenshots/challenge-passed.png");
    browser.screenshot(&path);

    // The pass is in an HttpOnly cookie: the same fetch passes with it and is
    // challenged without it. (Forged and expired passes: tests in waf-tower.)
    let with = browser.eval("fetch('/').then(r => r.status)");
    assert_eq!(with, serde_json::json!(200));
    let without = browser.eval("fetch('/', {credentials: 'omit'}).then(r => r.status)");
    assert_eq!(without, serde_json::json!(403));
    let cookie = browser.eval("document.cookie.includes('waf_pass')");
    assert_eq!(
        cookie,
        serde_json::json!(false),
        "HttpOnly: out of the script's reach"
    );
}
