//! The challenge page over real HTTP on loopback: a challenged client gets the page,
//! solves its puzzle (here in Rust, as the page's script does in a browser), trades the
//! solution for a pass cookie, and gets through with it; forged, expired and other
//! clients' passes are refused, and a pass never lifts a deny.

use axum::Router;
use axum::routing::get;
use sha2::{Digest, Sha256};
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use waf_core::{Config, Waf};
use waf_tower::challenge::ChallengeSettings;
use waf_tower::{TrustedProxies, WafLayer};

/// An app whose engine challenges every request it does not deny (challenge band as
/// wide as the threshold), believing `X-Forwarded-For` from loopback.
async fn serve(pass_ttl: Duration) -> SocketAddr {
    let config = Config::from_toml("[scoring]\nchallenge_band = 0.85").unwrap();
    let waf = Waf::builder().config(config).build().unwrap();
    let app = Router::new()
        .route("/search", get(|| async { "results" }))
        .layer(
            WafLayer::new(waf)
                .trusted_proxies(TrustedProxies::new(["127.0.0.1/32".parse().unwrap()]))
                .challenge(ChallengeSettings {
                    difficulty: 12,
                    pass_ttl,
                    ..ChallengeSettings::default()
                }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let service = app.into_make_service_with_connect_info::<SocketAddr>();
        axum::serve(listener, service).await.unwrap();
    });
    addr
}

struct Reply {
    status: u16,
    head: String,
    body: String,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().find_map(|line| {
            let (n, v) = line.split_once(':')?;
            n.eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }
}

/// One HTTP/1.1 request on a fresh connection.
async fn send(
    node: SocketAddr,
    method: &str,
    target: &str,
    client: IpAddr,
    extra: &str,
    body: &str,
) -> Reply {
    let mut stream = tokio::net::TcpStream::connect(node).await.unwrap();
    let request = format!(
        "{method} {target} HTTP/1.1\r\nHost: shop.example\r\nX-Forwarded-For: {client}\r\n{extra}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    let text = String::from_utf8_lossy(&response).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
    Reply {
        status,
        head: head.to_owned(),
        body: body.to_owned(),
    }
}

/// The puzzle a challenge page carries: seed, time issued, difficulty and path.
fn puzzle(page: &str) -> (String, u64, u32, String) {
    let json = page
        .split("var puzzle = ")
        .nth(1)
        .and_then(|rest| rest.split(";\n").next())
        .unwrap_or_else(|| panic!("no puzzle in {page}"));
    let p: serde_json::Value = serde_json::from_str(json).unwrap();
    (
        p["seed"].as_str().unwrap().to_owned(),
        p["issued"].as_u64().unwrap(),
        p["difficulty"].as_u64().unwrap() as u32,
        p["path"].as_str().unwrap().to_owned(),
    )
}

fn leading_zero_bits(digest: &[u8]) -> u32 {
    let mut bits = 0;
    for byte in digest {
        bits += byte.leading_zeros();
        if *byte != 0 {
            break;
        }
    }
    bits
}

/// Solves the page's puzzle and posts the answer; the pass cookie (`name=value`).
async fn earn_pass(node: SocketAddr, client: IpAddr) -> String {
    let page = send(node, "GET", "/search?q=shoes", client, "", "").await;
    assert_eq!(page.status, 403);
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    let (seed, issued, difficulty, path) = puzzle(&page.body);
    assert_eq!(difficulty, 12);
    let nonce = (0u64..)
        .find(|n| leading_zero_bits(&Sha256::digest(format!("{seed}:{n}"))) >= difficulty)
        .unwrap();
    let answer = send(
        node,
        "POST",
        &path,
        client,
        "Content-Type: application/x-www-form-urlencoded\r\n",
        &format!("seed={seed}&issued={issued}&nonce={nonce}"),
    )
    .await;
    assert_eq!(answer.status, 204, "{}", answer.body);
    let cookie = answer.header("set-cookie").expect("a pass cookie");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    cookie.split(';').next().unwrap().to_owned()
}

#[tokio::test]
async fn a_solved_challenge_lets_its_client_through_until_the_pass_expires() {
    let node = serve(Duration::from_secs(3600)).await;
    let client: IpAddr = "198.18.40.1".parse().unwrap();
    let neighbour: IpAddr = "198.18.40.2".parse().unwrap();
    let pass = earn_pass(node, client).await;
    let (name, value) = pass.split_once('=').unwrap();
    let (expiry, code) = value.split_once('.').unwrap();
    let flipped = format!(
        "{}{}",
        &code[..code.len() - 1],
        if code.ends_with('0') { '1' } else { '0' }
    );
    let later = expiry.parse::<u64>().unwrap() + 86_400;

    // (client, cookie, status, what the client sees)
    let cases = [
        (client, pass.clone(), 200, "results"),
        (neighbour, pass.clone(), 403, "Checking your browser"),
        (
            client,
            format!("{name}={expiry}.{flipped}"),
            403,
            "Checking your browser",
        ),
        (
            client,
            format!("{name}={later}.{code}"),
            403,
            "Checking your browser",
        ),
        (
            client,
            format!("{name}=garbage"),
            403,
            "Checking your browser",
        ),
    ];
    for (who, cookie, status, body) in cases {
        let reply = send(
            node,
            "GET",
            "/search?q=shoes",
            who,
            &format!("Cookie: {cookie}\r\n"),
            "",
        )
        .await;
        assert_eq!(reply.status, status, "{cookie} from {who}: {}", reply.body);
        assert!(
            reply.body.contains(body),
            "{cookie} from {who}: {}",
            reply.body
        );
    }

    // A pass never lifts a deny.
    let attack = send(
        node,
        "GET",
        "/search?q=1%27%20OR%20%271%27%3D%271",
        client,
        &format!("Cookie: {pass}\r\n"),
        "",
    )
    .await;
    assert_eq!(attack.status, 403);
    assert!(attack.body.contains("Request blocked"), "{}", attack.body);
}

#[tokio::test]
async fn expired_passes_and_wrong_answers_are_refused() {
    let node = serve(Duration::from_secs(1)).await;
    let client: IpAddr = "198.18.40.3".parse().unwrap();
    let pass = earn_pass(node, client).await;
    let with_pass = format!("Cookie: {pass}\r\n");
    let fresh = send(node, "GET", "/search?q=shoes", client, &with_pass, "").await;
    assert_eq!(fresh.status, 200);
    // The pass holds for one second (whole seconds): two later it has expired.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let expired = send(node, "GET", "/search?q=shoes", client, &with_pass, "").await;
    assert_eq!(expired.status, 403);
    assert!(expired.body.contains("Checking your browser"));

    let page = send(node, "GET", "/search?q=shoes", client, "", "").await;
    let (seed, issued, _, path) = puzzle(&page.body);
    // (form, refusal)
    let cases = [
        (format!("seed={seed}&issued={issued}"), "malformed"),
        (
            format!("seed={}&issued={issued}&nonce=1", "a".repeat(32)),
            "not issued to this client",
        ),
        (
            format!("seed={seed}&issued={}&nonce=1", issued + 1),
            "not issued to this client",
        ),
        ("x".repeat(5000), "malformed"),
    ];
    for (form, refusal) in cases {
        let reply = send(node, "POST", &path, client, "", &form).await;
        assert_eq!(reply.status, 403, "{form}");
        assert!(reply.body.contains(refusal), "{form}: {}", reply.body);
        assert_eq!(reply.header("set-cookie"), None);
    }
}
