//! Response inspection (phases 3 and 4) by `WafLayer`: an axum router whose handlers
//! answer leaks, odd statuses and headers, large and streamed bodies, driven in process
//! with `oneshot` and, for the streaming cases, over real sockets on loopback.

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::Path;
use axum::response::Response;
use axum::routing::get;
use http::{Request, StatusCode};
use http_body_util::BodyExt;
use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tower::ServiceExt;
use waf_core::rule::RuleSet;
use waf_core::{Action, Mode, Verdict, Waf};
use waf_tower::WafLayer;

const RULES: &str = r#"
SecResponseBodyAccess On
SecResponseBodyMimeType text/html
SecRule RESPONSE_BODY "@contains ORA-00933" "id:950001,phase:4,deny,status:403,msg:'SQL error leak'"
SecRule RESPONSE_STATUS "@streq 599" "id:950002,phase:3,deny,status:502"
SecRule RESPONSE_HEADERS:X-Debug "@streq 1" "id:950003,phase:3,deny"
"#;

const LEAK: &str = "ORA-00933: SQL command not properly ended";

/// How long any one exchange may take before the test fails instead of hanging.
const HANG: Duration = Duration::from_secs(30);

/// The response layer's buffering limit in most tests.
const LIMIT: usize = 1000;

fn waf(extra: &str, mode: Mode) -> Waf {
    let text = format!("{RULES}{extra}");
    let file = waf_rules::seclang::parse("t.conf", &text).unwrap();
    let rules = RuleSet::from_seclang("t", &file).unwrap();
    Waf::builder().rules(rules).mode(mode).build().unwrap()
}

/// A body of `len` bytes of HTML-ish filler.
fn filler(len: usize) -> String {
    "<p>fine</p>\n".repeat(len / 12 + 1)[..len].to_owned()
}

/// What the handler at `/{case}` answers.
fn answer(case: &str) -> Response {
    let big = || filler(5 * 1024 * 1024);
    let (status, content_type, body): (u16, &str, Body) = match case {
        "clean" => (
            200,
            "text/html; charset=utf-8",
            Body::from("<h1>hello</h1>"),
        ),
        "leak" => (500, "text/html", Body::from(format!("<pre>{LEAK}</pre>"))),
        "leak-binary" => (200, "application/octet-stream", Body::from(LEAK)),
        "leak-no-type" => (200, "", Body::from(LEAK)),
        // The leak just past the limit, and so not inspected.
        "leak-late" => (200, "text/html", chunked([filler(LIMIT), LEAK.into()])),
        // The leak inside the inspected prefix of a body over the limit.
        "leak-early" => (200, "text/html", chunked([LEAK.into(), filler(4 * LIMIT)])),
        "big" => (200, "text/html", Body::from(big())),
        "big-chunked" => (200, "text/html", chunked(split(&big(), 64 * 1024))),
        "big-binary" => (200, "application/octet-stream", Body::from(big())),
        "status-599" => (599, "text/html", Body::from("odd")),
        "debug" => (200, "text/plain", Body::from("debugging")),
        _ => (404, "text/plain", Body::from("no such case")),
    };
    let mut response = Response::builder().status(status);
    if !content_type.is_empty() {
        response = response.header("content-type", content_type);
    }
    if case == "debug" {
        response = response.header("x-debug", "1");
    }
    response.body(body).unwrap()
}

fn app(layer: WafLayer) -> Router {
    Router::new()
        .route(
            "/{case}",
            get(|Path(case): Path<String>| async move { answer(&case) }),
        )
        .layer(layer)
}

/// What a client gets: status, headers, body, and the response verdict extension.
struct Got {
    status: StatusCode,
    headers: http::HeaderMap,
    body: Bytes,
    verdict: Option<Arc<Verdict>>,
}

async fn get_case(app: &Router, case: &str) -> Got {
    let request = Request::get(format!("/{case}"))
        .body(Body::empty())
        .unwrap();
    let exchange = async {
        let response = app.clone().oneshot(request).await.unwrap();
        let verdict = response.extensions().get::<Arc<Verdict>>().cloned();
        let (parts, body) = response.into_parts();
        Got {
            status: parts.status,
            headers: parts.headers,
            body: body.collect().await.unwrap().to_bytes(),
            verdict,
        }
    };
    tokio::time::timeout(HANG, exchange)
        .await
        .unwrap_or_else(|_| panic!("/{case} hung"))
}

/// The body the handler sends for `case`, as bytes.
async fn original(case: &str) -> Bytes {
    answer(case).into_body().collect().await.unwrap().to_bytes()
}

#[tokio::test]
async fn responses_are_blocked_or_passed_unchanged() {
    let app = app(WafLayer::new(waf("", Mode::Block)).response_body_limit(LIMIT));
    // (case, status the client sees, the rule that decided, or none)
    let cases: [(&str, u16, Option<u32>); 12] = [
        ("clean", 200, None),
        ("leak", 403, Some(950001)),
        ("leak-binary", 200, None),
        ("leak-no-type", 200, None),
        ("leak-late", 200, None),
        ("leak-early", 403, Some(950001)),
        ("big", 200, None),
        ("big-chunked", 200, None),
        ("big-binary", 200, None),
        ("status-599", 502, Some(950002)),
        ("debug", 403, Some(950003)),
        ("nothing-here", 404, None),
    ];
    for (case, status, rule) in cases {
        let got = get_case(&app, case).await;
        assert_eq!(got.status.as_u16(), status, "{case}");
        assert_eq!(got.headers["x-request-id"].len(), 16, "{case}");
        let verdict = got.verdict.unwrap_or_else(|| panic!("{case}: no verdict"));
        match rule {
            Some(rule) => {
                assert_eq!(
                    verdict.action,
                    Action::Deny { status },
                    "{case}: {verdict:?}"
                );
                assert_eq!(verdict.rule_ids(), [rule], "{case}");
                // The block page, not the inner response: no leak, no inner headers.
                let page = String::from_utf8_lossy(&got.body);
                assert!(page.contains("Request blocked"), "{case}: {page}");
                assert!(!page.contains("ORA-00933"), "{case}");
                assert!(page.contains(got.headers["x-request-id"].to_str().unwrap()));
                assert_eq!(got.headers["content-type"], "text/html; charset=utf-8");
                assert!(!got.headers.contains_key("x-debug"), "{case}");
            }
            None => {
                assert_eq!(verdict.action, Action::Allow, "{case}: {verdict:?}");
                assert!(verdict.matches.is_empty(), "{case}");
                assert!(got.body == original(case).await, "{case}: body changed");
            }
        }
    }
}

#[tokio::test]
async fn the_default_limit_inspects_a_leak_a_few_kilobytes_in() {
    // 1 MiB by default: the leak after 4,000 bytes is inside it.
    let app = app(WafLayer::new(waf("", Mode::Block)));
    assert_eq!(get_case(&app, "leak-early").await.status, 403);
    assert_eq!(get_case(&app, "leak-late").await.status, 403);
    // The 5 MiB body is over it, clean in its first MiB, and arrives whole.
    let got = get_case(&app, "big-chunked").await;
    assert_eq!(got.status, 200);
    assert!(got.body == original("big-chunked").await);
}

#[tokio::test]
async fn the_rules_response_body_limit_caps_the_layers() {
    // SecResponseBodyLimit 500 under a 1 MiB layer limit: the leak after 1,000 bytes is
    // past what the rules inspect.
    let app = app(WafLayer::new(waf(
        "SecResponseBodyLimit 500\n",
        Mode::Block,
    )));
    let got = get_case(&app, "leak-late").await;
    assert_eq!(got.status, 200);
    assert!(got.body == original("leak-late").await);
    assert_eq!(get_case(&app, "leak").await.status, 403);
}

#[tokio::test]
async fn detection_only_passes_responses_with_the_verdict() {
    let app = app(WafLayer::new(waf("", Mode::Detect)).response_body_limit(LIMIT));
    // (case, rule matched)
    let cases = [
        ("leak", 950001),
        ("leak-early", 950001),
        ("status-599", 950002),
        ("debug", 950003),
    ];
    for (case, rule) in cases {
        let got = get_case(&app, case).await;
        let expected = original(case).await;
        assert_eq!(got.status, answer(case).status(), "{case}");
        assert!(got.body == expected, "{case}: body changed");
        let verdict = got.verdict.unwrap();
        assert_eq!(verdict.action, Action::Log, "{case}");
        assert_eq!(verdict.rule_ids(), [rule], "{case}");
    }
    assert_eq!(
        get_case(&app, "clean").await.verdict.unwrap().action,
        Action::Allow
    );
}

#[tokio::test]
async fn blocked_requests_never_reach_the_response_phases() {
    // A request rule in front of the response rules.
    let text = format!("{RULES}SecRule ARGS \"@contains evil\" \"id:1,phase:2,deny\"\n");
    let file = waf_rules::seclang::parse("t.conf", &text).unwrap();
    let waf = Waf::builder()
        .rules(RuleSet::from_seclang("t", &file).unwrap())
        .build()
        .unwrap();
    let app = app(WafLayer::new(waf));
    let request = Request::get("/leak?q=evil").body(Body::empty()).unwrap();
    let response = app.oneshot(request).await.unwrap();
    assert_eq!(response.status(), 403);
    // The request block carries no response verdict: there was no response.
    assert!(response.extensions().get::<Arc<Verdict>>().is_none());
}

#[tokio::test]
async fn bodies_that_are_not_inspected_are_not_buffered() {
    // Bodies that never end: the response head still arrives, so nothing waited for
    // the body, and the first chunk can be read.
    let app = Router::new()
        .route(
            "/{kind}",
            get(|Path(kind): Path<String>| async move {
                let (content_type, first) = match kind.as_str() {
                    // Not an inspected type: passed on as it comes.
                    "binary" => ("application/octet-stream", "first chunk".to_owned()),
                    // Inspected, but over the limit in its first chunk: the prefix is
                    // inspected and the body streams on.
                    _ => ("text/html", filler(2 * LIMIT)),
                };
                Response::builder()
                    .header("content-type", content_type)
                    .body(Body::from_stream(Endless(Some(Bytes::from(first)))))
                    .unwrap()
            }),
        )
        .layer(WafLayer::new(waf("", Mode::Block)).response_body_limit(LIMIT));
    for kind in ["binary", "html"] {
        let request = Request::get(format!("/{kind}"))
            .body(Body::empty())
            .unwrap();
        let exchange = async {
            let response = app.clone().oneshot(request).await.unwrap();
            assert_eq!(response.status(), 200, "{kind}");
            let mut body = response.into_body();
            let frame = body.frame().await.unwrap().unwrap();
            frame.into_data().unwrap()
        };
        let first = tokio::time::timeout(HANG, exchange)
            .await
            .unwrap_or_else(|_| panic!("{kind}: the body was waited for"));
        assert!(!first.is_empty(), "{kind}");
    }
}

#[tokio::test]
async fn a_failing_body_reaches_the_client_as_it_failed() {
    // (content type, whether the body is inspected)
    for content_type in ["text/html", "application/octet-stream"] {
        let app = Router::new()
            .route(
                "/",
                get(move || async move {
                    Response::builder()
                        .header("content-type", content_type)
                        .body(Body::from_stream(Failing(Some(Bytes::from("partial")))))
                        .unwrap()
                }),
            )
            .layer(WafLayer::new(waf("", Mode::Block)));
        let request = Request::get("/").body(Body::empty()).unwrap();
        let response = app.oneshot(request).await.unwrap();
        assert_eq!(response.status(), 200, "{content_type}");
        let mut body = response.into_body();
        let first = body.frame().await.unwrap().unwrap().into_data().unwrap();
        assert_eq!(first, "partial", "{content_type}");
        assert!(body.frame().await.unwrap().is_err(), "{content_type}");
    }
}

#[tokio::test]
async fn over_loopback_bodies_arrive_whole_and_leaks_do_not() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = app(WafLayer::new(waf("", Mode::Block)).response_body_limit(LIMIT));
    let server = tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    // (case, status, whether the body is the handler's)
    let cases = [
        ("big", 200, true),
        ("big-chunked", 200, true),
        ("leak-late", 200, true),
        ("leak", 403, false),
        ("leak-early", 403, false),
        ("status-599", 502, false),
    ];
    for (case, status, unchanged) in cases {
        let (got_status, body) = tokio::time::timeout(HANG, http_get(addr, case))
            .await
            .unwrap_or_else(|_| panic!("/{case} hung"));
        assert_eq!(got_status, status, "{case}");
        if unchanged {
            assert!(body == original(case).await, "{case}: body changed");
        } else {
            assert!(!body.windows(9).any(|w| w == b"ORA-00933"), "{case}");
            assert!(String::from_utf8_lossy(&body).contains("Request blocked"));
        }
    }
    server.abort();
}

/// `GET /{case}` over a fresh connection: the status and the (de-chunked) body.
async fn http_get(addr: std::net::SocketAddr, case: &str) -> (u16, Vec<u8>) {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!("GET /{case} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.unwrap();
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8(raw[..end].to_vec())
        .unwrap()
        .to_ascii_lowercase();
    let body = &raw[end + 4..];
    let status = head[9..12].parse().unwrap();
    let body = if head.contains("transfer-encoding: chunked") {
        dechunk(body)
    } else {
        body.to_vec()
    };
    (status, body)
}

/// The payload of an HTTP/1.1 chunked body.
fn dechunk(mut raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let line = raw.windows(2).position(|w| w == b"\r\n").unwrap();
        let size = std::str::from_utf8(&raw[..line]).unwrap();
        let size = usize::from_str_radix(size.split(';').next().unwrap().trim(), 16).unwrap();
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&raw[line + 2..line + 2 + size]);
        raw = &raw[line + 2 + size + 2..];
    }
}

fn split(text: &str, size: usize) -> Vec<String> {
    text.as_bytes()
        .chunks(size)
        .map(|c| String::from_utf8(c.to_vec()).unwrap())
        .collect()
}

/// A streamed body of these chunks.
fn chunked(chunks: impl IntoIterator<Item = String>) -> Body {
    Body::from_stream(Chunks(chunks.into_iter().map(Bytes::from).collect()))
}

/// A minimal stream of chunks (no extra crate needed).
struct Chunks(VecDeque<Bytes>);

impl futures_core::Stream for Chunks {
    type Item = Result<Bytes, std::io::Error>;
    fn poll_next(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        Poll::Ready(self.0.pop_front().map(Ok))
    }
}

/// One chunk, then nothing ever again (the stream never ends).
struct Endless(Option<Bytes>);

impl futures_core::Stream for Endless {
    type Item = Result<Bytes, std::io::Error>;
    fn poll_next(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        match self.0.take() {
            Some(chunk) => Poll::Ready(Some(Ok(chunk))),
            None => Poll::Pending,
        }
    }
}

/// One chunk, then an error.
struct Failing(Option<Bytes>);

impl futures_core::Stream for Failing {
    type Item = Result<Bytes, std::io::Error>;
    fn poll_next(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        Poll::Ready(Some(match self.0.take() {
            Some(chunk) => Ok(chunk),
            None => Err(std::io::Error::other("upstream went away")),
        }))
    }
}
