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

/// One transaction through `text`: a form POST of `body` to `uri`.
fn transaction(text: &str, uri: &str, body: &'static str) -> (Vec<u32>, Outcome, Transaction) {
    let set = rules(text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let request = RequestView::from_raw(
        RawRequest {
            method: "POST",
            uri,
            protocol: "HTTP/1.1",
            headers: vec![(b"content-type", b"application/x-www-form-urlencoded")],
            body: bytes::Bytes::from_static(body.as_bytes()),
            client: std::net::Ipv4Addr::LOCALHOST.into(),
        },
        &Limits::default(),
    );
    let mut transaction = Transaction::new(&Limits::default());
    transaction.run_request(&set, &request);
    let outcome = transaction.outcome();
    let ids = outcome.matches.iter().map(|m| m.rule_id).collect();
    (ids, outcome, transaction)
}

/// The engine's transaction semantics, case by case: (what, rules, uri, body, logged
/// ids, deny status, TX variables expected as `name=value`).
#[test]
fn transaction_semantics() {
    type Case = (
        &'static str,
        &'static str,
        &'static str,
        &'static str,
        &'static [u32],
        Option<u16>,
        &'static [&'static str],
    );
    let cases: &[Case] = &[
        (
            "setvar assigns, adds, subtracts and deletes; macros read TX",
            r#"SecAction "id:1,phase:1,pass,nolog,setvar:tx.a=5,setvar:tx.b=%{tx.a}0,setvar:tx.a=+2,setvar:tx.c=1,setvar:!tx.c,setvar:tx.d=-3,setvar:tx.b=-%{tx.a}""#,
            "/",
            "",
            &[],
            None,
            &["a=7", "b=43", "d=-3"],
        ),
        (
            "actions run once per matched value (CRS counts multipart headers so)",
            r#"SecRule ARGS "@rx ^x" "id:2,phase:2,pass,nolog,setvar:tx.n=+1,setvar:'tx.last=%{MATCHED_VAR_NAME}'""#,
            "/?a=x1&b=y",
            "c=x2&d=x3",
            &[],
            None,
            &["n=3", "last=ARGS:d"],
        ),
        (
            "capture fills TX:0-9 for the next link; a link reads what the rule before it set",
            r#"SecRule ARGS:ct "@rx ^(\w+)/(\w+)" "id:3,phase:2,block,capture,setvar:'tx.type=|%{tx.2}|',chain"
    SecRule TX:type "!@within |json|xml|" "setvar:tx.bad=1""#,
            "/?ct=text/plain",
            "",
            &[3],
            None,
            &["0=text/plain", "1=text", "2=plain", "type=|plain|", "bad=1"],
        ),
        (
            "a chain whose last link fails logs nothing but keeps the head's setvar",
            r#"SecRule ARGS:q "@streq a" "id:4,phase:2,deny,setvar:tx.head=1,chain"
    SecRule ARGS:r "@streq b" "setvar:tx.tail=1""#,
            "/?q=a&r=c",
            "",
            &[],
            None,
            &["head=1"],
        ),
        (
            "skipAfter jumps to the marker; skip:1 skips one rule",
            r#"SecRule ARGS:q "@streq go" "id:5,phase:2,pass,nolog,skipAfter:END"
SecRule ARGS:q "@unconditionalMatch" "id:6,phase:2,pass"
SecMarker END
SecAction "id:7,phase:2,pass,skip:1"
SecAction "id:8,phase:2,pass"
SecAction "id:9,phase:2,pass""#,
            "/?q=go",
            "",
            &[7, 9],
            None,
            &[],
        ),
        (
            "block follows SecDefaultAction; status comes with it",
            r#"SecDefaultAction "phase:2,log,deny,status:418"
SecRule ARGS:q "@contains evil" "id:10,phase:2,block"
SecAction "id:11,phase:2,pass""#,
            "/?q=evil",
            "",
            &[10],
            Some(418),
            &[],
        ),
        (
            "ctl:ruleRemoveById and ruleRemoveTargetById act on later rules of the transaction",
            r#"SecAction "id:12,phase:1,pass,nolog,ctl:ruleRemoveById=13,ctl:ruleRemoveTargetById=14;ARGS:skip"
SecRule ARGS "@contains evil" "id:13,phase:2,deny"
SecRule ARGS "@contains evil" "id:14,phase:2,pass,setvar:'tx.seen=%{MATCHED_VAR_NAME}'""#,
            "/?skip=evil&take=evil",
            "",
            &[14],
            None,
            &["seen=ARGS:take"],
        ),
        (
            "ctl:ruleEngine=DetectionOnly: deny is recorded, evaluation goes on",
            r#"SecAction "id:15,phase:1,pass,nolog,ctl:ruleEngine=DetectionOnly"
SecRule ARGS "@contains evil" "id:16,phase:2,deny,status:403"
SecAction "id:17,phase:2,pass""#,
            "/?q=evil",
            "",
            &[16, 17],
            None,
            &[],
        ),
        (
            "SecRuleRemoveById, SecRuleUpdateTargetById and SecRuleUpdateActionById change earlier rules",
            r#"SecRule ARGS "@contains evil" "id:18,phase:2,deny"
SecRule ARGS "@contains evil" "id:19,phase:2,deny"
SecRule ARGS "@contains evil" "id:20,phase:2,pass"
SecRuleRemoveById 18
SecRuleUpdateTargetById 19 "!ARGS:q"
SecRuleUpdateActionById 20 "deny,status:409""#,
            "/?q=evil",
            "",
            &[20],
            Some(409),
            &[],
        ),
        (
            "allow stops the rest of the transaction",
            r#"SecRule REQUEST_FILENAME "@beginsWith /health" "id:21,phase:1,allow,nolog"
SecRule ARGS "@contains evil" "id:22,phase:2,deny""#,
            "/health?q=evil",
            "",
            &[],
            None,
            &[],
        ),
        (
            "phase 1 does not see body arguments; phase 2 does",
            r#"SecRule ARGS:c "@streq 1" "id:23,phase:1,pass"
SecRule ARGS:c "@streq 1" "id:24,phase:2,pass""#,
            "/",
            "c=1",
            &[24],
            None,
            &[],
        ),
        (
            "multiMatch tests the value after every transformation",
            r#"SecRule ARGS:q "@streq A%41" "id:25,phase:2,pass,multiMatch,t:urlDecode,t:lowercase"
SecRule ARGS:q "@streq A%41" "id:26,phase:2,pass,t:urlDecode,t:lowercase""#,
            "/?q=A%2541",
            "",
            &[25],
            None,
            &[],
        ),
        (
            "operator arguments expand macros per transaction",
            r#"SecAction "id:27,phase:1,pass,nolog,setvar:tx.limit=3"
SecRule &ARGS "@gt %{tx.limit}" "id:28,phase:2,pass""#,
            "/?a=1&b=2&c=3&d=4",
            "",
            &[28],
            None,
            &[],
        ),
        (
            "msg and logdata expand in the match; nolog rules are not reported",
            r#"SecRule ARGS:q "@rx (\d+)" "id:29,phase:2,pass,capture,msg:'n=%{TX.1}',logdata:'%{MATCHED_VAR_NAME}'"
SecRule ARGS:q "@rx \d" "id:30,phase:2,pass,nolog""#,
            "/?q=ab12",
            "",
            &[29],
            None,
            &["1=12"],
        ),
    ];
    for (what, text, uri, body, ids, deny, vars) in cases {
        let (matched, outcome, transaction) = transaction(text, uri, body);
        assert_eq!(&matched, ids, "{what}");
        assert_eq!(outcome.deny_status, *deny, "{what}");
        for var in *vars {
            let (name, value) = var.split_once('=').unwrap();
            assert_eq!(
                transaction.tx(name).map(String::from_utf8_lossy).as_deref(),
                Some(value),
                "{what}: TX:{name}"
            );
        }
    }
}

#[test]
fn matches_carry_expanded_messages_and_data() {
    let (_, outcome, _) = transaction(
        r#"SecRule ARGS:q "@rx (\d+)" "id:29,phase:2,pass,capture,msg:'n=%{TX.1}',logdata:'%{MATCHED_VAR_NAME}'""#,
        "/?q=ab12",
        "",
    );
    let m = &outcome.matches[0];
    assert_eq!(&*m.message, "n=12");
    assert_eq!(m.data.as_deref(), Some("ARGS:q"));
}

#[test]
fn detection_only_records_what_would_have_been_denied() {
    let (_, outcome, _) = transaction(
        r#"SecRuleEngine DetectionOnly
SecRule ARGS "@contains evil" "id:1,phase:2,deny,status:406""#,
        "/?q=evil",
        "",
    );
    assert_eq!(outcome.deny_status, None);
    assert_eq!(outcome.would_deny, Some(406));
}

#[test]
fn compile_errors_name_the_directive_and_place() {
    // (rules, what the error says)
    let cases = [
        (
            "SecMarker A\nSecAction \"id:1,skipAfter:A,chain\"\n",
            "ends with `chain`",
        ),
        ("SecDefaultAction \"log,deny\"", "needs a phase"),
        ("SecDefaultAction \"phase:2,block\"", "cannot use `block`"),
        ("SecRuleUpdateActionById 5 \"deny\"", "no rule 5"),
        ("SecAction \"id:1,setvar:novalue\"", "COLLECTION.NAME"),
        ("SecAction \"id:1,ctl:ruleEngine=maybe\"", "ruleEngine"),
        ("SecAction \"id:1,allow:forever\"", "allow takes"),
        ("SecArgumentSeparator ;", "SecArgumentSeparator"),
        ("Include other.conf", "includes are resolved"),
    ];
    for (text, needle) in cases {
        let err = rules(text).unwrap_err();
        assert!(err.message().contains(needle), "{text}: {err}");
        assert!(err.message().starts_with("t.conf:"), "{text}: {err}");
    }
}
