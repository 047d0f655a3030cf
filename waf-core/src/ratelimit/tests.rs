use super::*;
use crate::Config;
use crate::request::{Limits, RawRequest};

fn request(method: &str, uri: &str, client: IpAddr, api_key: Option<&str>) -> RequestView {
    let mut headers: Vec<(&[u8], &[u8])> = vec![(b"host", b"example.test")];
    if let Some(key) = api_key {
        headers.push((b"x-api-key", key.as_bytes()));
    }
    RequestView::from_raw(
        RawRequest {
            method,
            uri,
            protocol: "HTTP/1.1",
            headers,
            body: Default::default(),
            client,
        },
        &Limits::default(),
    )
}

fn rules(toml: &str) -> Vec<RateLimitRule> {
    Config::from_toml(toml).unwrap().rate_limits
}

const SEED: &str = r#"
[[rate_limits]]
name = "per-address"
rate = 100
burst = 100
cooldown = 60
"#;

const CLIENT: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(203, 0, 113, 9));

#[test]
fn seed_scenario_101_requests_in_a_second_then_60s_cooldown() {
    let rules = rules(SEED);
    let limiter = RateLimiter::default();
    let start = Instant::now();
    let get = request("GET", "/", CLIENT, None);
    let at = |ms: u64| start + Duration::from_millis(ms);
    // 100 requests within the first 10 ms: the burst; the 101st, still within them, is
    // one too many.
    for i in 0..100 {
        assert_eq!(
            limiter.check(&rules, 10, &get, at(i / 10)),
            None,
            "request {i}"
        );
    }
    let limited = limiter.check(&rules, 10, &get, at(9)).unwrap();
    assert_eq!(
        limited,
        Limited {
            rule: "per-address".into(),
            retry_after: Duration::from_secs(60),
            exceeded: true,
            message: "IP 203.0.113.9 exceeded threshold (100/sec). Cooling down for 60s".into(),
        }
    );
    // During the cooldown every request is refused, however slowly it comes.
    // (ms since start, seconds to wait)
    for (ms, wait) in [(1_000, 60), (30_010, 30), (60_008, 1)] {
        let limited = limiter.check(&rules, 10, &get, at(ms)).unwrap();
        assert!(!limited.exceeded);
        assert_eq!(
            limited.retry_after.as_secs_f64().ceil() as u64,
            wait,
            "{ms}"
        );
        assert!(
            limited.message.contains("is cooling down"),
            "{}",
            limited.message
        );
    }
    assert_eq!(limiter.check(&rules, 10, &get, at(60_009)), None);
    // Another address has its own budget.
    let other = request("GET", "/", "203.0.113.10".parse().unwrap(), None);
    assert_eq!(limiter.check(&rules, 10, &other, at(10)), None);
}

#[test]
fn gcra_spaces_requests_after_the_burst() {
    let rules = rules("[[rate_limits]]\nname = \"r\"\nrate = 10\nburst = 2");
    let limiter = RateLimiter::default();
    let start = Instant::now();
    let get = request("GET", "/", CLIENT, None);
    // (ms since start, allowed, else the wait in ms)
    let steps = [
        (0, true, 0),
        (0, true, 0),
        (0, false, 100),
        (50, false, 50),
        (100, true, 0),
        (150, false, 50),
        (200, true, 0),
        (1_000, true, 0),
        (1_000, true, 0),
        (1_000, false, 100),
    ];
    for (ms, allowed, wait) in steps {
        let verdict = limiter.check(&rules, 10, &get, start + Duration::from_millis(ms));
        assert_eq!(verdict.is_none(), allowed, "{ms}: {verdict:?}");
        if let Some(limited) = verdict {
            assert_eq!(limited.retry_after, Duration::from_millis(wait), "{ms}");
            assert_eq!(
                limited.message,
                "IP 203.0.113.9 exceeded threshold (10/sec)"
            );
        }
    }
}

#[test]
fn keys_routes_and_methods() {
    let rules = rules(
        r#"
[[rate_limits]]
name = "login"
key = "ip+route"
path = "/login"
methods = ["post"]
rate = 1
burst = 1

[[rate_limits]]
name = "api"
key = "header:X-Api-Key"
path = "/api/*/search"
rate = 1
burst = 1
"#,
    );
    let other: IpAddr = "2001:db8::7".parse().unwrap();
    // (method, uri, client, api key, limited by) — in order, all at one instant.
    let cases = [
        ("POST", "/login", CLIENT, None, None),
        ("POST", "/login", CLIENT, None, Some("login")),
        ("GET", "/login", CLIENT, None, None), // method not limited
        ("POST", "/login/otp", CLIENT, None, None), // its own route
        ("POST", "/login", other, None, None), // its own address
        ("GET", "/api/v1/search", CLIENT, Some("k1"), None),
        ("GET", "/api/v2/search", other, Some("k1"), Some("api")), // same key
        ("GET", "/api/v2/search", other, Some("k2"), None),
        ("GET", "/api/v2/search", other, None, None), // no key: not counted
        ("GET", "/api/v2/searches", CLIENT, Some("k1"), None), // pattern misses
    ];
    let limiter = RateLimiter::default();
    let now = Instant::now();
    for (method, uri, client, key, limited_by) in cases {
        let verdict = limiter.check(&rules, 100, &request(method, uri, client, key), now);
        assert_eq!(
            verdict.map(|l| l.rule),
            limited_by.map(String::from),
            "{method} {uri} {client} {key:?}"
        );
    }
}

#[test]
fn path_patterns() {
    // (pattern, path, matches)
    let cases = [
        ("/", "/anything", true),
        ("/api/", "/api/users", true),
        ("/api/", "/apix", false),
        ("/api/*/search", "/api/v1/search", true),
        ("/api/*/search", "/api/v1/x/search", true),
        ("/api/*/search", "/api/v1/search/x", false),
        ("*.php", "/admin/index.php", true),
        ("*.php", "/admin/index.phpx", false),
        ("/a*b*c", "/abc", true),
        ("/a*b*c", "/acb", false),
        ("/a*a", "/a", false),
    ];
    for (pattern, path, matches) in cases {
        assert_eq!(path_matches(pattern, path), matches, "{pattern} {path}");
    }
}

/// Floods `addresses` distinct addresses (one request each, 100 ns apart, so none
/// expires) through a limiter capped at `cap` keys.
fn flood(addresses: u32, cap: usize) {
    let rules = rules("[[rate_limits]]\nname = \"r\"\nrate = 1");
    let limiter = RateLimiter::default();
    let start = Instant::now();
    let mut view = request("GET", "/", CLIENT, None);
    for i in 0..addresses {
        view.client = IpAddr::V4(std::net::Ipv4Addr::from(0x0a00_0000 + i));
        let now = start + Duration::from_nanos(u64::from(i) * 100);
        assert_eq!(limiter.check(&rules, cap, &view, now), None);
        assert!(limiter.len() <= cap);
    }
    assert!(limiter.len() <= cap, "{} keys", limiter.len());
    assert!(
        limiter.evictions() >= u64::from(addresses) - cap as u64,
        "{} evictions",
        limiter.evictions()
    );
    // The newest address is still remembered: its second request is refused.
    assert!(
        limiter
            .check(&rules, cap, &view, start + Duration::from_secs(1) / 2)
            .is_some()
    );
}

#[test]
fn flood_of_200k_addresses_stays_under_the_cap() {
    flood(200_000, 10_000);
}

#[test]
#[ignore = "10 million requests: ~10 s in a debug build; run with `-- --ignored`"]
fn flood_of_10m_addresses_stays_under_the_cap() {
    flood(10_000_000, 1_000_000);
}

#[test]
fn invalid_limits_name_the_field() {
    let cases = [
        ("rate = 0", "rate"),
        ("rate = 1\nburst = 0", "burst"),
        ("rate = 1\ncooldown = 99999999999", "cooldown"),
        ("rate = 1\npath = \"api\"", "path"),
        ("rate = 1\nmethods = [\"GE T\"]", "methods"),
        ("rate = 1\nkey = \"cookie:x\"", "key"),
        ("rate = 1\nkey = \"header:\"", "key"),
        ("rate = 1\nlimit = 3", "limit"),
    ];
    for (fields, needle) in cases {
        let text = format!("[[rate_limits]]\nname = \"x\"\n{fields}");
        let err = Config::from_toml(&text).unwrap_err();
        assert!(err.message().contains(needle), "{fields}: {err}");
    }
    let err = Config::from_toml("[limiter]\nmax_keys = 0").unwrap_err();
    assert!(err.message().contains("limiter.max_keys"), "{err}");
}
