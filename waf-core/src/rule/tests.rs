use super::*;
use crate::request::{Limits, RawRequest, RequestView};

fn rules(text: &str) -> Result<RuleSet, crate::Error> {
    RuleSet::from_seclang("t", &waf_rules::seclang::parse("t.conf", text)?)
}

type Headers = Vec<(&'static [u8], &'static [u8])>;

fn request(uri: &str, headers: Headers) -> RequestView {
    RequestView::from_raw(
        RawRequest {
            method: "POST",
            uri,
            protocol: "HTTP/1.1",
            headers,
            body: Default::default(),
            client: std::net::Ipv4Addr::LOCALHOST.into(),
        },
        &Limits::default(),
    )
}

#[test]
fn chains_match_only_when_every_link_does() {
    let set = rules(
        r#"
SecRule &REQUEST_HEADERS:Transfer-Encoding "@gt 0" "id:10,phase:1,block,severity:CRITICAL,msg:'CL and TE',chain"
    SecRule &REQUEST_HEADERS:Content-Length "@gt 0" "chain"
    SecRule REQUEST_METHOD "@streq POST"
"#,
    )
    .unwrap();
    // (headers, matches)
    let cases: Vec<(Headers, bool)> = vec![
        (
            vec![
                (b"transfer-encoding", b"chunked"),
                (b"content-length", b"4"),
            ],
            true,
        ),
        (vec![(b"transfer-encoding", b"chunked")], false),
        (vec![(b"content-length", b"4")], false),
        (vec![], false),
    ];
    for (headers, expected) in cases {
        let outcome = set.evaluate(&request("/", headers.clone()));
        assert_eq!(outcome.matches.len() == 1, expected, "{headers:?}");
        if expected {
            assert_eq!(outcome.matches[0].rule_id, 10);
            assert_eq!(outcome.matches[0].variable, "&REQUEST_HEADERS");
            assert_eq!(outcome.anomaly_score, 5);
        }
    }
}

#[test]
fn chain_errors_name_the_place() {
    let cases = [
        ("SecRule ARGS \"@rx a\" \"id:1,chain\"", "no rule follows"),
        (
            "SecRule ARGS \"@rx a\" \"id:1,chain\"\nSecRule ARGS \"@rx b\" \"id:2\"",
            "may not have an id",
        ),
        (
            "SecRule ARGS \"@rx a\" \"phase:2\"",
            "t.conf:1: rule has no id",
        ),
        ("SecRule ARGS \"@rx (\" \"id:1\"", "t.conf:1: bad regex"),
        (
            "SecRule NOPE \"@rx a\" \"id:1\"",
            "unsupported variable NOPE",
        ),
        (
            "SecRule ARGS \"@rx a\" \"id:1,t:rot13\"",
            "unsupported transformation t:rot13",
        ),
        (
            "SecRule ARGS \"@rx a\" \"id:1,exec:/bin/true\"",
            "unsupported action \"exec\"",
        ),
        ("SecRule ARGS \"@rx a\" \"id:1,chain\"", "ends with `chain`"),
    ];
    for (text, needle) in cases {
        let err = rules(text).unwrap_err();
        assert!(err.message().contains(needle), "{text}: {err}");
    }
}

#[test]
fn exclusions_and_regex_selectors() {
    let set = rules(
        r#"SecRule ARGS|!ARGS:safe|REQUEST_HEADERS:/^x-/ "@contains evil" "id:20,phase:2,block,severity:CRITICAL""#,
    )
    .unwrap();
    let hit = |uri: &str, headers: Headers| {
        set.evaluate(&request(uri, headers))
            .matches
            .first()
            .map(|m| m.variable.clone())
    };
    assert_eq!(hit("/?a=evil", vec![]).as_deref(), Some("ARGS:a"));
    assert_eq!(hit("/?safe=evil", vec![]), None);
    assert_eq!(
        hit("/?SAFE=evil", vec![]),
        None,
        "names compare case-insensitively"
    );
    assert_eq!(
        hit("/", vec![(b"X-Thing", b"evil")]).as_deref(),
        Some("REQUEST_HEADERS:X-Thing")
    );
    assert_eq!(hit("/", vec![(b"Referer", b"evil")]), None);
}

#[test]
fn detector_operators_carry_evidence() {
    let set =
        rules(r#"SecRule ARGS "@detectSQLi" "id:30,phase:2,block,severity:CRITICAL""#).unwrap();
    let outcome = set.evaluate(&request("/?id=1%27%20OR%20%271%27%3D%271", vec![]));
    let m = &outcome.matches[0];
    let evidence = m.evidence.as_ref().expect("detector evidence");
    assert!((0.5..=1.0).contains(&evidence.confidence));
    assert!(!evidence.fingerprint.is_empty());
    assert!(rules(r#"SecRule ARGS "@detectXSS" "id:31""#).is_ok());
}
