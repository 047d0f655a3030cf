//! The middleware's own answers.

use crate::grpc;
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Response, StatusCode, header};
use http_body_util::Full;
use waf_core::Action;

/// How a request is answered when the middleware answers it: gRPC clients read a
/// `grpc-status`, everyone else gets a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Answer {
    Page,
    Grpc,
}

impl Answer {
    /// The way to answer a request with these headers.
    pub(crate) fn for_request(headers: &HeaderMap) -> Self {
        if grpc::is_grpc(headers) {
            Self::Grpc
        } else {
            Self::Page
        }
    }

    /// The response for a request the middleware does not pass on.
    pub(crate) fn blocked(self, action: Action, request_id: &str) -> Response<Full<Bytes>> {
        match self {
            Self::Page => blocked(action, request_id),
            Self::Grpc => grpc::blocked(action, request_id),
        }
    }

    /// An error answer for a request the middleware could not read.
    pub(crate) fn error(
        self,
        status: StatusCode,
        message: &str,
        request_id: &str,
    ) -> Response<Full<Bytes>> {
        match self {
            Self::Page => error(status, message, request_id),
            Self::Grpc => grpc::error(status, message, request_id),
        }
    }
}

/// The page for a request the middleware does not pass on.
fn blocked(action: Action, request_id: &str) -> Response<Full<Bytes>> {
    match action {
        Action::RateLimit { retry_after } => {
            let seconds = retry_after.as_secs_f64().ceil().max(1.0) as u64;
            let mut response = page(
                StatusCode::TOO_MANY_REQUESTS,
                "Too many requests",
                "Slow down and try again later.",
                request_id,
            );
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
            response
        }
        Action::Challenge => page(
            StatusCode::FORBIDDEN,
            "Checking your browser",
            "This request needs a browser check before it can continue. Reload the page to try again.",
            request_id,
        ),
        Action::Deny { status } => page(
            StatusCode::from_u16(status).unwrap_or(StatusCode::FORBIDDEN),
            "Request blocked",
            "This request was blocked by the web application firewall.",
            request_id,
        ),
        // Allow and Log pass through; reaching here is a bug, answered safely.
        Action::Allow | Action::Log => page(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Error",
            "Unexpected firewall state.",
            request_id,
        ),
    }
}

/// The page for a request the middleware could not read.
fn error(status: StatusCode, message: &str, request_id: &str) -> Response<Full<Bytes>> {
    page(
        status,
        status.canonical_reason().unwrap_or("Error"),
        message,
        request_id,
    )
}

fn page(status: StatusCode, title: &str, message: &str, request_id: &str) -> Response<Full<Bytes>> {
    // The request id is ours (hex), the rest constant: nothing here needs escaping.
    let html = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{title}</title></head>\
         <body><h1>{title}</h1><p>{message}</p><p>Request id: <code>{request_id}</code></p></body></html>\n"
    );
    let mut response = Response::new(Full::new(Bytes::from(html)));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn statuses_and_retry_after() {
        // (action, status, Retry-After)
        let cases = [
            (Action::Deny { status: 403 }, 403, None),
            (Action::Deny { status: 451 }, 451, None),
            (Action::Challenge, 403, None),
            (
                Action::RateLimit {
                    retry_after: Duration::from_millis(60_500),
                },
                429,
                Some("61"),
            ),
            (
                Action::RateLimit {
                    retry_after: Duration::ZERO,
                },
                429,
                Some("1"),
            ),
        ];
        for (action, status, retry_after) in cases {
            let r = blocked(action, "00ff");
            assert_eq!(r.status().as_u16(), status, "{action:?}");
            assert_eq!(
                r.headers()
                    .get(header::RETRY_AFTER)
                    .map(|v| v.to_str().unwrap()),
                retry_after
            );
            assert_eq!(
                r.headers()[header::CONTENT_TYPE],
                "text/html; charset=utf-8"
            );
        }
    }
}
