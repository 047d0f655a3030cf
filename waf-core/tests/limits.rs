//! Rate limits, bans, active defense and threat intelligence through `Waf::inspect`.

use ipnet::IpNet;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use waf_core::decision::Origin;
use waf_core::intel::{Feed, ThreatIntel};
use waf_core::request::{RawRequest, RequestView};
use waf_core::{Action, Config, Decision, Mode, Reason, Waf};

const CLIENT: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(203, 0, 113, 9));
const SQLI: &str = "/api/user?id=1%27%20OR%20%271%27%3D%271";

fn request(waf: &Waf, uri: &str) -> RequestView {
    RequestView::from_raw(
        RawRequest {
            method: "GET",
            uri,
            protocol: "HTTP/1.1",
            headers: vec![(b"host", b"example.test"), (b"user-agent", b"Mozilla/5.0")],
            body: Default::default(),
            client: CLIENT,
        },
        &waf.limits(),
    )
}

fn waf(toml: &str) -> Waf {
    Waf::builder()
        .config(Config::from_toml(toml).unwrap())
        .build()
        .unwrap()
}

const TWO_PER_SECOND: &str = "[[rate_limits]]\nname = \"all\"\nrate = 2\ncooldown = 60\n";

#[test]
fn blocklist_then_rate_limit_then_rules() {
    let waf = waf(TWO_PER_SECOND);
    let now = Instant::now();
    let at = |uri| waf.inspect_at(&request(&waf, uri), now);
    // (uri, action name, reason)
    let steps = [
        ("/", "allow", Reason::BelowThreshold),
        (SQLI, "deny", Reason::AnomalyThreshold),
        // Over the limit: limited before the rules run, attack or not.
        (SQLI, "rate_limit", Reason::RateLimited),
        ("/", "rate_limit", Reason::CoolingDown),
    ];
    for (uri, action, reason) in steps {
        let verdict = at(uri);
        assert_eq!(
            (verdict.action.name(), verdict.reason),
            (action, reason),
            "{uri}"
        );
    }
    let verdict = at("/");
    assert_eq!(verdict.matches[0].source.as_ref(), "ratelimit");
    assert_eq!(verdict.matches[0].data.as_deref(), Some("all"));
    assert_eq!(
        verdict.action,
        Action::RateLimit {
            retry_after: Duration::from_secs(60)
        }
    );
    // A ban comes before the limit.
    waf.ban(IpNet::from(CLIENT), None, "manual");
    assert_eq!(at("/").reason, Reason::Blocklisted);
}

#[test]
fn detection_mode_logs_instead_of_limiting() {
    let waf = waf(&format!("mode = \"detect\"\n{TWO_PER_SECOND}"));
    let now = Instant::now();
    let verdicts: Vec<_> = (0..4)
        .map(|_| waf.inspect_at(&request(&waf, "/"), now))
        .map(|v| (v.action, v.reason))
        .collect();
    assert_eq!(
        verdicts,
        [
            (Action::Allow, Reason::BelowThreshold),
            (Action::Allow, Reason::BelowThreshold),
            (Action::Log, Reason::RateLimited),
            (Action::Log, Reason::CoolingDown),
        ]
    );
}

#[test]
fn new_limits_start_from_fresh_state() {
    let waf = waf(TWO_PER_SECOND);
    let now = Instant::now();
    for _ in 0..3 {
        waf.inspect_at(&request(&waf, "/"), now);
    }
    assert_eq!(waf.rate_limiter().len(), 1);
    waf.set_mode(Mode::Block);
    assert_eq!(
        waf.rate_limiter().len(),
        1,
        "unchanged limits keep their state"
    );
    waf.reload_config(Config::from_toml(&TWO_PER_SECOND.replace("rate = 2", "rate = 5")).unwrap())
        .unwrap();
    assert!(waf.rate_limiter().is_empty());
    assert_eq!(
        waf.inspect_at(&request(&waf, "/"), now).action,
        Action::Allow
    );
}

const DEFENSE: &str =
    "[active_defense]\nenabled = true\nmax_denials = 3\nmax_score = 0\nwindow = 10\nban = 60\n";

#[test]
fn repeated_denials_earn_a_ban_on_the_decision_stream() {
    let waf = waf(DEFENSE);
    let decisions = waf.subscribe();
    let now = Instant::now();
    for second in 0..3 {
        let verdict = waf.inspect_at(&request(&waf, SQLI), now + Duration::from_secs(second));
        assert_eq!(verdict.reason, Reason::AnomalyThreshold);
    }
    match decisions.try_recv().unwrap() {
        Decision::Ban {
            target,
            ttl,
            reason,
            origin: Origin::Local,
        } => {
            assert_eq!(target, IpNet::from(CLIENT));
            assert_eq!(ttl, Some(Duration::from_secs(60)));
            assert!(
                reason.starts_with("active defense: 3 denied requests"),
                "{reason}"
            );
        }
        other => panic!("{other:?}"),
    }
    let later = |seconds| waf.inspect_at(&request(&waf, "/"), now + Duration::from_secs(seconds));
    assert_eq!(later(3).reason, Reason::Blocklisted);
    assert_eq!(later(63).reason, Reason::BelowThreshold, "the ban expired");
}

#[test]
fn detection_mode_never_bans() {
    let waf = waf(&format!("mode = \"detect\"\n{DEFENSE}"));
    let decisions = waf.subscribe();
    let now = Instant::now();
    for _ in 0..10 {
        assert_eq!(
            waf.inspect_at(&request(&waf, SQLI), now).action,
            Action::Log
        );
    }
    assert!(decisions.try_recv().is_err());
}

#[test]
fn threat_intel_weighs_in_the_score() {
    let mut intel = ThreatIntel::default();
    intel
        .load("; DROP\n203.0.113.0/24 ; SBL1\n", &Feed::default())
        .unwrap();
    let waf = Waf::builder()
        .signal_source(Arc::new(intel))
        .build()
        .unwrap();
    let verdict = waf.inspect(&request(&waf, "/"));
    let intel = verdict
        .contributions
        .iter()
        .find(|c| c.signal == "threat_intel")
        .unwrap();
    assert_eq!((intel.value, intel.weight), (1.0, 0.3));
    assert_eq!(
        verdict.action,
        Action::Allow,
        "reputation alone does not deny"
    );
    assert_eq!(verdict.matches[0].source.as_ref(), "threat_intel");
}
