//! What `WafLayer` answers a gRPC call it does not pass on, at every place it answers:
//! request rules, the body limit, response rules. Always HTTP 200, `application/grpc`,
//! the status in the headers and no body (a trailers-only response), never a page.
//! (`tests/grpc.rs` at the workspace root does the same over HTTP/2 with tonic.)

use axum::Router;
use axum::body::Body;
use axum::routing::post;
use http::{Request, Response, StatusCode};
use http_body_util::BodyExt;
use tower::ServiceExt;
use waf_core::Waf;
use waf_core::rule::RuleSet;
use waf_tower::WafLayer;

const RULES: &str = r#"
SecRule REQUEST_HEADERS:X-Customer "@contains attack" "id:1001,phase:1,deny,status:451"
SecRule RESPONSE_HEADERS:X-Leak "@streq 1" "id:1002,phase:3,deny"
"#;

fn app() -> Router {
    let file = waf_rules::seclang::parse("t.conf", RULES).unwrap();
    let waf = Waf::builder()
        .rules(RuleSet::from_seclang("t", &file).unwrap())
        .build()
        .unwrap();
    Router::new()
        .route("/pkg.Service/Method", post(|| async { "fine" }))
        .route(
            "/pkg.Service/Leak",
            post(|| async { ([("x-leak", "1")], "secret") }),
        )
        .layer(WafLayer::new(waf).body_limit(64))
}

async fn call(
    path: &str,
    content_type: &str,
    customer: &str,
    body: &'static [u8],
) -> Response<Body> {
    let request = Request::post(path)
        .header("content-type", content_type)
        .header("x-customer", customer)
        .body(Body::from(body))
        .unwrap();
    app().oneshot(request).await.unwrap().map(Body::new)
}

/// The headers of a trailers-only gRPC answer with `grpc_status`, and its empty body.
async fn assert_grpc(response: Response<Body>, grpc_status: &str) {
    assert_eq!(response.status(), StatusCode::OK);
    let headers = response.headers();
    assert_eq!(headers["content-type"], "application/grpc");
    assert_eq!(headers["grpc-status"], grpc_status);
    assert!(
        headers["grpc-message"]
            .to_str()
            .unwrap()
            .contains("request id")
    );
    assert!(headers.contains_key("x-request-id"));
    // Empty and saying so up front: HTTP/2 ends the stream with the headers.
    assert!(http_body::Body::is_end_stream(response.body()));
    let body = response.into_body().collect().await.unwrap();
    assert!(body.trailers().is_none());
    assert!(body.to_bytes().is_empty());
}

#[tokio::test]
async fn request_rule_deny_is_permission_denied_whatever_its_status() {
    let response = call("/pkg.Service/Method", "application/grpc", "attack", b"").await;
    assert_grpc(response, "7").await;
    // The same request as a web client gets the rule's status and the page.
    let response = call("/pkg.Service/Method", "application/json", "attack", b"").await;
    assert_eq!(response.status(), StatusCode::UNAVAILABLE_FOR_LEGAL_REASONS);
    assert_eq!(
        response.headers()["content-type"],
        "text/html; charset=utf-8"
    );
}

#[tokio::test]
async fn body_over_the_limit_is_resource_exhausted() {
    let response = call(
        "/pkg.Service/Method",
        "application/grpc+proto",
        "",
        &[0; 100],
    )
    .await;
    assert_grpc(response, "8").await;
}

#[tokio::test]
async fn response_rule_deny_is_permission_denied() {
    let response = call("/pkg.Service/Leak", "application/grpc", "", b"").await;
    assert_grpc(response, "7").await;
}

#[tokio::test]
async fn passed_calls_are_the_service_s() {
    let response = call("/pkg.Service/Method", "application/grpc", "benign", b"").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(!response.headers().contains_key("grpc-status"));
}
