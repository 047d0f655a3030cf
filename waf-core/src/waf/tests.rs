use super::*;
use crate::request::RawRequest;
use std::net::{IpAddr, Ipv4Addr};

fn request(uri: &str, client: IpAddr) -> RequestView {
    RequestView::from_raw(
        RawRequest {
            method: "GET",
            uri,
            protocol: "HTTP/1.1",
            headers: vec![(b"host", b"example.test"), (b"user-agent", b"Mozilla/5.0")],
            body: Default::default(),
            client,
        },
        &Limits::default(),
    )
}

const CLIENT: IpAddr = IpAddr::V4(Ipv4Addr::new(198, 18, 0, 10));

/// A signal source with a fixed answer, standing in for ML or threat intelligence.
struct Fixed(&'static str, f64);

impl SignalSource for Fixed {
    fn name(&self) -> &str {
        self.0
    }
    fn assess(&self, _: &RequestView) -> Assessment {
        Assessment {
            signal: self.1,
            matches: Vec::new(),
            ..Assessment::default()
        }
    }
}

#[test]
fn waf_is_send_sync_and_clone() {
    fn check<T: Send + Sync + Clone + 'static>() {}
    check::<Waf>();
}

#[test]
fn benign_is_allowed_attacks_are_denied() {
    let waf = Waf::default();
    // (uri, expected action, expected first rule id)
    let cases = [
        ("/search?q=blue+shoes&page=2", "allow", None),
        ("/api/user?id=1'%20OR%20'1'='1", "deny", Some(100100)),
        (
            "/?q=1%20UNION%20ALL%20SELECT%20password%20FROM%20users",
            "deny",
            Some(100100),
        ),
        (
            "/?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E",
            "deny",
            Some(100200),
        ),
        (
            "/download?file=..%2F..%2F..%2Fetc%2Fpasswd",
            "deny",
            Some(100300),
        ),
        (
            "/ping?host=127.0.0.1%3Bcat%20%2Fetc%2Fhosts",
            "deny",
            Some(100400),
        ),
        ("/ping?host=127.0.0.1%3Bwhoami", "deny", Some(100400)),
        ("/.env", "deny", Some(100710)),
    ];
    for (uri, action, first) in cases {
        let verdict = waf.inspect(&request(uri, CLIENT));
        assert_eq!(verdict.action.name(), action, "{uri}: {verdict:?}");
        assert_eq!(verdict.rule_ids().first().copied(), first, "{uri}");
    }
}

#[test]
fn weighted_score_adds_signals_and_challenges_in_the_band() {
    // No rule matches; ML 0.9 × 0.4 + threat intel 1 × 0.3 = 0.66: below the band.
    let waf = Waf::builder()
        .signal_source(Arc::new(Fixed("ml_anomaly", 0.9)))
        .signal_source(Arc::new(Fixed("threat_intel", 1.0)))
        .build()
        .unwrap();
    let verdict = waf.inspect(&request("/search?q=shoes", CLIENT));
    assert!((verdict.score - 0.66).abs() < 1e-9, "{}", verdict.score);
    assert_eq!(verdict.action, Action::Allow);
    let names: Vec<_> = verdict
        .contributions
        .iter()
        .map(|c| c.signal.as_str())
        .collect();
    assert_eq!(names, ["crs_match", "ml_anomaly", "threat_intel"]);

    // A warning-level rule (a body that is not the JSON it claims: 3 points →
    // crs_match 0.6 → 0.36) plus the same signals: 1.02, over the threshold although
    // the rules alone would not block.
    let broken_json = RequestView::from_raw(
        RawRequest {
            method: "POST",
            uri: "/api/cart",
            protocol: "HTTP/1.1",
            headers: vec![(b"content-type", b"application/json")],
            body: bytes::Bytes::from_static(b"{\"qty\": 2,"),
            client: CLIENT,
        },
        &Limits::default(),
    );
    let verdict = waf.inspect(&broken_json);
    assert_eq!(verdict.rule_ids(), [100650]);
    assert_eq!(verdict.anomaly_score, 3);
    assert!((verdict.score - 1.02).abs() < 1e-9, "{}", verdict.score);
    assert_eq!(
        (verdict.action, verdict.reason),
        (Action::Deny { status: 403 }, Reason::Score)
    );

    // ML alone at 0.9 with ml weight 2.0: 1.8 → deny; with weight 0.85 → 0.765 → challenge.
    let challenged = Waf::builder()
        .weight("ml_anomaly", 0.85)
        .signal_source(Arc::new(Fixed("ml_anomaly", 0.9)))
        .build()
        .unwrap();
    let verdict = challenged.inspect(&request("/search?q=shoes", CLIENT));
    assert_eq!(
        (verdict.action, verdict.reason),
        (Action::Challenge, Reason::ChallengeBand)
    );
}

#[test]
fn detection_only_logs_and_lets_through() {
    let waf = Waf::builder().mode(Mode::Detect).build().unwrap();
    let attack = waf.inspect(&request("/api/user?id=1'%20OR%20'1'='1", CLIENT));
    assert_eq!(attack.action, Action::Log);
    assert_eq!(
        attack.reason,
        Reason::AnomalyThreshold,
        "the would-be reason is kept"
    );
    assert_eq!(
        waf.inspect(&request("/search?q=ok", CLIENT)).action,
        Action::Allow
    );
    waf.set_mode(Mode::Block);
    assert_eq!(
        waf.inspect(&request("/api/user?id=1'%20OR%20'1'='1", CLIENT))
            .action,
        Action::Deny { status: 403 }
    );
}

#[test]
fn rules_swap_atomically_while_requests_are_inspected() {
    let waf = Waf::default();
    let deny_all = RuleSet::from_seclang(
        "test",
        &waf_rules::seclang::parse(
            "t.conf",
            r#"SecRule REQUEST_METHOD "@streq GET" "id:1,phase:1,deny,status:451,msg:'all'""#,
        )
        .unwrap(),
    )
    .unwrap();
    let builtin = RuleSet::builtin();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let inspector = {
        let (waf, stop) = (waf.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut seen = std::collections::BTreeSet::new();
            let view = request("/search?q=shoes", CLIENT);
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                seen.insert(waf.inspect(&view).action.status());
            }
            seen
        })
    };
    for i in 0..200 {
        waf.reload_rules(if i % 2 == 0 {
            deny_all.clone()
        } else {
            builtin.clone()
        });
    }
    waf.reload_rules(deny_all);
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let seen = inspector.join().unwrap();
    // Every inspection saw one whole rule set: allow (builtin) or 451 (deny_all).
    assert!(
        seen.iter().all(|s| matches!(s, None | Some(451))),
        "{seen:?}"
    );
    assert_eq!(
        waf.inspect(&request("/", CLIENT)).action,
        Action::Deny { status: 451 }
    );
}

#[test]
fn bans_unbans_and_expiry_reach_subscribers() {
    let waf = Waf::default();
    let decisions = waf.subscribe();
    let range: IpNet = "198.18.0.0/24".parse().unwrap();
    waf.ban(range, Some(Duration::from_millis(30)), "test");
    let verdict = waf.inspect(&request("/search?q=ok", CLIENT));
    assert_eq!(
        (verdict.action, verdict.reason),
        (Action::Deny { status: 403 }, Reason::Blocklisted)
    );
    assert_eq!(verdict.matches[0].value, "198.18.0.10");
    let outside = IpAddr::V4(Ipv4Addr::new(198, 18, 1, 10));
    assert_eq!(
        waf.inspect(&request("/search?q=ok", outside)).action,
        Action::Allow
    );

    std::thread::sleep(Duration::from_millis(40));
    assert_eq!(
        waf.inspect(&request("/search?q=ok", CLIENT)).action,
        Action::Allow
    );
    assert_eq!(waf.sweep_expired(), 1);
    let got: Vec<_> = decisions.try_iter().collect();
    assert_eq!(
        got,
        [
            Decision::Ban {
                target: range,
                ttl: Some(Duration::from_millis(30)),
                reason: "test".into(),
                origin: Origin::Local,
            },
            Decision::Expired { target: range },
        ]
    );

    let single: IpNet = "2001:db8::7/128".parse().unwrap();
    waf.ban(single, None, "manual");
    assert!(waf.unban(single, "manual"));
    assert!(
        !waf.unban(single, "manual"),
        "a second unban changes nothing"
    );
    assert_eq!(decisions.try_iter().count(), 2);
}

#[test]
fn a_hung_up_subscriber_is_dropped() {
    let waf = Waf::default();
    drop(waf.subscribe());
    let live = waf.subscribe();
    waf.ban("198.18.0.1/32".parse().unwrap(), None, "x");
    assert!(live.try_recv().is_ok());
}

#[test]
fn a_shared_limiter_answer_replaces_the_local_count() {
    let config =
        Config::from_toml("[[rate_limits]]\nname = \"all\"\nrate = 1\ncooldown = 60").unwrap();
    let rule = config.rate_limits[0].clone();
    let waf = Waf::builder().config(config).build().unwrap();
    let view = || request("/search?q=ok", CLIENT);

    // Counted elsewhere and allowed: the local limiter does not count it.
    for _ in 0..3 {
        let exchange = waf.begin_counted(view(), None);
        assert_eq!(exchange.request_verdict().action, Action::Allow);
    }
    assert!(waf.rate_limiter().is_empty());

    let limited = Limited::new(&rule, &view(), Duration::from_secs(60), true);
    let exchange = waf.begin_counted(view(), Some(limited));
    let verdict = exchange.request_verdict();
    assert_eq!(
        verdict.action,
        Action::RateLimit {
            retry_after: Duration::from_secs(60)
        }
    );
    assert_eq!(verdict.reason, Reason::RateLimited);

    // A ban still comes first.
    waf.ban(IpNet::from(CLIENT), None, "manual");
    let exchange = waf.begin_counted(view(), None);
    assert_eq!(exchange.request_verdict().reason, Reason::Blocklisted);
}

#[test]
fn applied_decisions_keep_their_origin_and_unknown_unbans_are_quiet() {
    let waf = Waf::default();
    let decisions = waf.subscribe();
    let target: IpNet = "198.18.7.0/24".parse().unwrap();
    let unban = Decision::Unban {
        target,
        reason: "node-2: manual".into(),
        origin: Origin::Shared,
    };
    assert!(!waf.apply(unban.clone()), "nothing to unban");
    assert!(decisions.try_recv().is_err());
    assert!(waf.apply(Decision::Ban {
        target: "198.18.7.9/24".parse().unwrap(),
        ttl: None,
        reason: "node-2".into(),
        origin: Origin::Shared,
    }));
    assert_eq!(
        waf.bans(),
        [crate::Ban {
            target,
            ttl: None,
            reason: "node-2".into()
        }]
    );
    assert_eq!(
        decisions.try_recv().unwrap().target(),
        target,
        "host bits cut"
    );
    assert!(waf.apply(unban.clone()));
    assert_eq!(decisions.try_recv().unwrap(), unban);
    assert!(waf.bans().is_empty());
}

#[test]
fn mirror_mode_logs_attacks_but_enforces_bans() {
    let waf = Waf::builder().mode(Mode::Mirror).build().unwrap();
    let attack = request("/search?q=1%27%20OR%20%271%27%3D%271", CLIENT);
    let verdict = waf.inspect(&attack);
    assert_eq!(verdict.action, Action::Log);
    assert!(waf.bans().is_empty(), "no active defense in mirror mode");
    waf.ban(IpNet::from(CLIENT), None, "analyzer");
    let verdict = waf.inspect(&request("/", CLIENT));
    assert_eq!(verdict.action, Action::Deny { status: 403 });
    assert_eq!(verdict.reason, Reason::Blocklisted);
}
