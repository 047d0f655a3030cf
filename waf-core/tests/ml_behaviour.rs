//! Scenario 2 of the seed: credential stuffing (normal syntax, abnormal behaviour). A
//! burst of logins with many user names, mostly failing, from a rotating browser
//! disguise, replayed next to a normal user: the burst is challenged, the user is not.

#![cfg(feature = "ml")]

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use waf_core::ml::behaviour::{Behaviour, BehaviourSettings, SIGNAL, SUGGESTED_WEIGHT};
use waf_core::request::{Limits, RawRequest, RequestView};
use waf_core::response::ResponseView;
use waf_core::{Action, Verdict, Waf};

const AGENTS: [&str; 4] = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/124.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:126.0) Firefox/126.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) Mobile/15E148",
];

fn request(client: &str, method: &str, uri: &str, agent: &str, body: &str) -> RequestView {
    let mut headers: Vec<(&[u8], &[u8])> = vec![
        (b"host", b"shop.example"),
        (b"user-agent", agent.as_bytes()),
    ];
    if !body.is_empty() {
        headers.push((b"content-type", b"application/x-www-form-urlencoded"));
    }
    RequestView::from_raw(
        RawRequest {
            method,
            uri,
            protocol: "HTTP/1.1",
            headers,
            body: body.to_owned().into(),
            client: client.parse().unwrap(),
        },
        &Limits::default(),
    )
}

/// One exchange through the engine: the verdict, and the response status seen by the
/// signal sources (none when the engine stopped the request).
fn exchange(waf: &Waf, request: RequestView, status: u16) -> Verdict {
    let exchange = waf.begin(request);
    let verdict = exchange.request_verdict().clone();
    let response = ResponseView::new(status, "HTTP/1.1", Vec::<(&str, &str)>::new(), "");
    exchange.finish(verdict.action.status().is_none().then_some(&response));
    verdict
}

fn behaviour_signal(verdict: &Verdict) -> f64 {
    verdict
        .contributions
        .iter()
        .find(|c| c.signal == SIGNAL)
        .map_or(0.0, |c| c.value)
}

#[test]
fn credential_stuffing_is_challenged_and_a_normal_user_is_not() {
    let waf = Waf::builder()
        .weight(SIGNAL, SUGGESTED_WEIGHT)
        .signal_source(Arc::new(Behaviour::default()))
        .build()
        .unwrap();
    let user = "198.51.100.20";
    let stuffer = "203.0.113.66";
    let mut user_verdicts = Vec::new();
    let mut stuffer_verdicts = Vec::new();
    for round in 0..30 {
        // The user browses and logs in once, mistyping the password the first time.
        let (uri, body, status) = match round {
            3 => ("/login", "username=alice&password=hunter1", 401),
            4 => ("/login", "username=alice&password=hunter2", 200),
            _ => (["/", "/shop", "/cart", "/item?id=7"][round % 4], "", 200),
        };
        let method = if body.is_empty() { "GET" } else { "POST" };
        user_verdicts.push(exchange(
            &waf,
            request(user, method, uri, AGENTS[0], body),
            status,
        ));
        // The stuffer tries a leaked pair per request; one in ten works.
        let body = format!("username=victim{round}%40mail.example&password=Summer{round}!");
        let status = if round % 10 == 9 { 200 } else { 401 };
        let agent = AGENTS[round % AGENTS.len()];
        stuffer_verdicts.push(exchange(
            &waf,
            request(stuffer, "POST", "/login", agent, &body),
            status,
        ));
    }

    for verdict in &user_verdicts {
        assert_eq!(verdict.action, Action::Allow, "{verdict:?}");
        assert!(behaviour_signal(verdict) < 0.5, "{verdict:?}");
    }
    // The first attempts look like anyone's; the window soon shows the pattern.
    assert_eq!(stuffer_verdicts[0].action, Action::Allow);
    let challenged = stuffer_verdicts
        .iter()
        .filter(|v| v.action == Action::Challenge)
        .count();
    assert!(challenged >= 15, "{challenged} of 30 challenged");
    let last = stuffer_verdicts.last().unwrap();
    assert_eq!(last.action, Action::Challenge);
    assert!(behaviour_signal(last) >= 0.875, "{last:?}");
    assert!(
        last.matches
            .iter()
            .any(|m| m.source.as_ref() == SIGNAL && m.message.contains("user names"))
    );
}

#[test]
fn the_window_forgets_and_memory_stays_bounded() {
    let behaviour = Behaviour::new(BehaviourSettings {
        max_clients: 50,
        ..BehaviourSettings::default()
    });
    let start = Instant::now();
    let client: IpAddr = "203.0.113.66".parse().unwrap();
    let mut last = None;
    for n in 0..40 {
        let body = format!("user=victim{n}&password=x");
        let at = start + Duration::from_millis(100 * n);
        last = Some(behaviour.observe_request_at(
            &request("203.0.113.66", "POST", "/login", AGENTS[0], &body),
            at,
        ));
        behaviour.observe_response_at(client, Some(401), at);
    }
    let busy = last.unwrap();
    assert_eq!(busy.users, 40);
    assert!(busy.failure_ratio > 0.9);
    assert!(busy.score() > 0.85, "{busy:?}");
    // Two minutes later the window (60 s) holds only the new request.
    let later = behaviour.observe_request_at(
        &request("203.0.113.66", "GET", "/", AGENTS[0], ""),
        start + Duration::from_secs(180),
    );
    assert_eq!((later.users, later.failure_ratio), (0, 0.0));
    assert!(later.score() < 0.1, "{later:?}");

    for n in 0..500u32 {
        let address = format!("10.0.{}.{}", n / 256, n % 256);
        behaviour.observe_request_at(&request(&address, "GET", "/", AGENTS[0], ""), start);
    }
    assert!(
        behaviour.clients() <= 50,
        "{} clients kept",
        behaviour.clients()
    );
}
