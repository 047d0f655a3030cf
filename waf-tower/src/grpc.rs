//! Blocks answered the gRPC way, for requests whose `Content-Type` is `application/grpc…`.
//!
//! A gRPC client reads the outcome of a call from `grpc-status`, not from the HTTP status:
//! an HTML 403 page would reach it as a protocol error (or, for a 429, as `UNAVAILABLE`,
//! which clients retry at once). So a block is a "trailers-only" response, as the gRPC
//! over HTTP/2 protocol defines it: HTTP 200, `content-type: application/grpc`, the status
//! in the headers and no body.
//!
//! | action | `grpc-status` |
//! | --- | --- |
//! | deny (any deny status) | 7 `PERMISSION_DENIED` |
//! | challenge | 7 `PERMISSION_DENIED` |
//! | rate limit | 8 `RESOURCE_EXHAUSTED`, with `grpc-retry-pushback-ms` |
//! | body over the limit (413) | 8 `RESOURCE_EXHAUSTED` |
//! | body unreadable (400) | 13 `INTERNAL` |
//!
//! A challenge is `PERMISSION_DENIED` rather than `UNAUTHENTICATED`: no gRPC client can
//! pass a browser check, and `UNAUTHENTICATED` makes clients refresh their credentials and
//! try again, which would not help.

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Response, StatusCode, header};
use http_body_util::Full;
use std::fmt::Write;
use waf_core::Action;

/// The gRPC status codes the middleware answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Code {
    PermissionDenied = 7,
    ResourceExhausted = 8,
    Internal = 13,
}

/// Whether the request is a gRPC call (`application/grpc`, with or without a `+proto`
/// style suffix, and gRPC-Web, which reads its status from the same headers).
pub(crate) fn is_grpc(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/grpc"))
}

/// The answer to a gRPC call the middleware does not pass on.
pub(crate) fn blocked(action: Action, request_id: &str) -> Response<Full<Bytes>> {
    match action {
        Action::RateLimit { retry_after } => {
            let mut response = trailers_only(
                Code::ResourceExhausted,
                &format!("rate limit exceeded; request id {request_id}"),
            );
            // gRPC's counterpart of Retry-After: clients with a retry policy wait this long.
            let millis = u64::try_from(retry_after.as_millis()).unwrap_or(u64::MAX);
            response
                .headers_mut()
                .insert("grpc-retry-pushback-ms", HeaderValue::from(millis.max(1)));
            response
        }
        Action::Challenge => trailers_only(
            Code::PermissionDenied,
            &format!("request needs a check a gRPC client cannot pass; request id {request_id}"),
        ),
        Action::Deny { .. } => trailers_only(
            Code::PermissionDenied,
            &format!("blocked by the web application firewall; request id {request_id}"),
        ),
        // Allow and Log pass through; reaching here is a bug, answered safely.
        Action::Allow | Action::Log => trailers_only(Code::Internal, "unexpected firewall state"),
    }
}

/// The answer to a gRPC call whose body the middleware could not take.
pub(crate) fn error(status: StatusCode, message: &str, request_id: &str) -> Response<Full<Bytes>> {
    let code = if status == StatusCode::PAYLOAD_TOO_LARGE {
        Code::ResourceExhausted
    } else {
        Code::Internal
    };
    trailers_only(code, &format!("{message} (request id {request_id})"))
}

fn trailers_only(code: Code, message: &str) -> Response<Full<Bytes>> {
    // An empty `Full` reports the end of the stream at once, so the status travels in the
    // one HEADERS frame that ends the stream.
    let mut response = Response::new(Full::new(Bytes::new()));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/grpc"),
    );
    headers.insert("grpc-status", HeaderValue::from(code as u16));
    let message = HeaderValue::from_str(&percent_encode(message))
        .expect("percent-encoded text is a valid header value");
    headers.insert("grpc-message", message);
    response
}

/// `grpc-message` encoding: bytes outside printable ASCII, and `%` itself, as `%XX`.
fn percent_encode(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    for &byte in message.as_bytes() {
        if (0x20..=0x7e).contains(&byte) && byte != b'%' {
            out.push(char::from(byte));
        } else {
            write!(out, "%{byte:02X}").expect("writing to a String cannot fail");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn message_is_percent_encoded_as_grpc_specifies() {
        assert_eq!(percent_encode("plain text; ok"), "plain text; ok");
        assert_eq!(percent_encode("100% sure"), "100%25 sure");
        assert_eq!(percent_encode("é\n\t~"), "%C3%A9%0A%09~");
    }

    #[test]
    fn content_types_that_are_grpc() {
        for (value, grpc) in [
            ("application/grpc", true),
            ("application/grpc+proto", true),
            ("application/grpc-web+proto", true),
            ("application/json", false),
            ("text/html", false),
        ] {
            let mut headers = HeaderMap::new();
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(value));
            assert_eq!(is_grpc(&headers), grpc, "{value}");
        }
        assert!(!is_grpc(&HeaderMap::new()));
    }

    #[test]
    fn codes_for_each_action() {
        // (action, grpc-status, grpc-retry-pushback-ms)
        let cases = [
            (Action::Deny { status: 403 }, "7", None),
            (Action::Deny { status: 451 }, "7", None),
            (Action::Challenge, "7", None),
            (
                Action::RateLimit {
                    retry_after: Duration::from_millis(1500),
                },
                "8",
                Some("1500"),
            ),
            (
                Action::RateLimit {
                    retry_after: Duration::ZERO,
                },
                "8",
                Some("1"),
            ),
        ];
        for (action, status, pushback) in cases {
            let r = blocked(action, "00ff");
            assert_eq!(r.status(), StatusCode::OK, "{action:?}");
            assert_eq!(r.headers()["grpc-status"], status, "{action:?}");
            assert_eq!(
                r.headers()
                    .get("grpc-retry-pushback-ms")
                    .map(|v| v.to_str().unwrap()),
                pushback
            );
            assert!(
                r.headers()["grpc-message"]
                    .to_str()
                    .unwrap()
                    .ends_with("request id 00ff")
            );
        }
        let too_large = error(StatusCode::PAYLOAD_TOO_LARGE, "Too large.", "01");
        assert_eq!(too_large.headers()["grpc-status"], "8");
        let unreadable = error(StatusCode::BAD_REQUEST, "Unreadable.", "01");
        assert_eq!(unreadable.headers()["grpc-status"], "13");
    }
}
