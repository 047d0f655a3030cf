//! `WafLayer` in front of an axum router, driven in process with `oneshot`.
//! (Real sockets are exercised by the demo's end-to-end test in the workspace root.)

use axum::body::{Body, Bytes};
use axum::extract::ConnectInfo;
use axum::routing::{get, post};
use axum::{Extension, Router};
use http::{Request, StatusCode};
use http_body_util::BodyExt;
use std::net::SocketAddr;
use std::sync::Arc;
use tower::ServiceExt;
use waf_core::{Mode, Verdict, Waf};
use waf_tower::{Oversize, TrustedProxies, WafLayer};

fn app(layer: WafLayer) -> Router {
    Router::new()
        .route("/echo", post(|body: Bytes| async move { body }))
        .route(
            "/verdict",
            get(|Extension(v): Extension<Arc<Verdict>>| async move {
                format!(
                    "{} {:?} {}",
                    v.action.name(),
                    v.rule_ids(),
                    v.matches.first().map_or("-".into(), |m| m.value.clone())
                )
            }),
        )
        .route("/search", get(|| async { "results" }))
        .layer(layer)
}

async fn send(app: &Router, request: Request<Body>) -> (StatusCode, http::HeaderMap, String) {
    let response = app.clone().oneshot(request).await.unwrap();
    let (parts, body) = response.into_parts();
    let body = body.collect().await.unwrap().to_bytes();
    (
        parts.status,
        parts.headers,
        String::from_utf8_lossy(&body).into_owned(),
    )
}

#[tokio::test]
async fn allowed_bodies_reach_the_handler_unchanged() {
    let app = app(WafLayer::new(Waf::default()));
    let body = "name=ann&note=hello+world".repeat(100);
    let request = Request::post("/echo")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(body.clone()))
        .unwrap();
    let (status, headers, echoed) = send(&app, request).await;
    assert_eq!(status, 200);
    assert_eq!(echoed, body);
    assert_eq!(headers["x-request-id"].len(), 16);
}

#[tokio::test]
async fn attacks_in_query_and_body_are_denied_with_a_page() {
    let app = app(WafLayer::new(Waf::default()));
    let cases = [
        Request::get("/search?q=%3Cscript%3Ealert(1)%3C/script%3E")
            .body(Body::empty())
            .unwrap(),
        Request::post("/echo")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from("id=1%27+OR+%271%27%3D%271"))
            .unwrap(),
        Request::get("/search")
            .header("user-agent", "sqlmap/1.7")
            .body(Body::empty())
            .unwrap(),
    ];
    for request in cases {
        let uri = request.uri().clone();
        let (status, headers, page) = send(&app, request).await;
        assert_eq!(status, 403, "{uri}");
        assert!(
            page.contains(headers["x-request-id"].to_str().unwrap()),
            "page names the request id"
        );
    }
}

#[tokio::test]
async fn oversize_bodies_are_refused_or_prefix_inspected() {
    let big = "a=b&".repeat(300); // 1,200 bytes
    let reject = app(WafLayer::new(Waf::default()).body_limit(1000));
    // Declared length over the limit: refused before reading.
    let request = Request::post("/echo")
        .body(Body::from(big.clone()))
        .unwrap();
    assert_eq!(send(&reject, request).await.0, 413);
    // Streamed without a length: refused once the limit is passed.
    let stream = Body::from_stream(futures_stream(vec![big.clone()]));
    assert_eq!(
        send(&reject, Request::post("/echo").body(stream).unwrap())
            .await
            .0,
        413
    );

    let prefix = app(WafLayer::new(Waf::default())
        .body_limit(1000)
        .oversize(Oversize::InspectPrefix));
    // The whole body is forwarded.
    let chunks = vec!["x=1&".repeat(200), "y=2&".repeat(200)];
    let stream = Body::from_stream(futures_stream(chunks.clone()));
    let (status, _, echoed) = send(&prefix, Request::post("/echo").body(stream).unwrap()).await;
    assert_eq!((status, echoed), (StatusCode::OK, chunks.concat()));
    // An attack in the inspected prefix is still caught.
    let attack = format!("q=%3Cscript%3E&{big}");
    let request = Request::post("/echo")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(attack))
        .unwrap();
    assert_eq!(send(&prefix, request).await.0, 403);
}

#[tokio::test]
async fn detection_only_passes_and_handlers_see_the_verdict() {
    let waf = Waf::builder().mode(Mode::Detect).build().unwrap();
    let app = app(WafLayer::new(waf.clone()));
    let request = Request::get("/verdict?q=1%27%20OR%20%271%27=%271")
        .body(Body::empty())
        .unwrap();
    let (status, _, text) = send(&app, request).await;
    assert_eq!(status, 200);
    assert!(text.starts_with("log [100100"), "{text}");

    // Switching the shared engine to blocking mode applies to the running layer.
    waf.set_mode(Mode::Block);
    let request = Request::get("/verdict?q=1%27%20OR%20%271%27=%271")
        .body(Body::empty())
        .unwrap();
    assert_eq!(send(&app, request).await.0, 403);
}

#[tokio::test]
async fn client_address_comes_from_the_connection_or_trusted_proxies() {
    let waf = Waf::default();
    waf.ban("198.51.100.7/32".parse().unwrap(), None, "test");
    let proxied = app(WafLayer::new(waf.clone())
        .trusted_proxies(TrustedProxies::new(["10.0.0.0/8".parse().unwrap()])));
    let request = |peer: &str, xff: &str| {
        let mut r = Request::get("/search")
            .header("x-forwarded-for", xff)
            .body(Body::empty())
            .unwrap();
        r.extensions_mut()
            .insert(ConnectInfo(peer.parse::<SocketAddr>().unwrap()));
        r
    };
    // From the trusted proxy, the banned client behind it is refused.
    assert_eq!(
        send(&proxied, request("10.0.0.5:4000", "198.51.100.7"))
            .await
            .0,
        403
    );
    // The same header from an untrusted peer is ignored.
    assert_eq!(
        send(&proxied, request("203.0.113.1:4000", "198.51.100.7"))
            .await
            .0,
        200
    );
    // The banned client connecting directly is refused, whatever it claims.
    assert_eq!(
        send(&proxied, request("198.51.100.7:4000", "203.0.113.50"))
            .await
            .0,
        403
    );
}

fn futures_stream(
    chunks: Vec<String>,
) -> impl futures_core::Stream<Item = Result<Bytes, std::io::Error>> {
    Chunks(chunks.into_iter().map(Bytes::from).collect())
}

/// A minimal stream of chunks (no extra crate needed).
struct Chunks(std::collections::VecDeque<Bytes>);

impl futures_core::Stream for Chunks {
    type Item = Result<Bytes, std::io::Error>;
    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        std::task::Poll::Ready(self.0.pop_front().map(Ok))
    }
}
