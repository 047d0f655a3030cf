//! The dashboard's routes: the page, its event stream and the JSON API, all behind the
//! token.

use super::{Dashboard, mode_name};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{OriginalUri, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::sse::{Event, Sse};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use futures_util::stream::{self, Stream};
use ipnet::IpNet;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use std::convert::Infallible;
use std::net::IpAddr;
use std::time::Duration;
use waf_core::Mode;

/// The page: HTML, CSS and script in one file, nothing fetched from elsewhere.
const PAGE: &str = include_str!("page.html");
/// The cookie that carries the token for the page's own requests.
const COOKIE: &str = "waf_dashboard";
/// A snapshot is pushed this often when nothing changes.
const PUSH_EVERY: Duration = Duration::from_secs(1);
/// After a change, the stream waits this long for more before pushing (one snapshot for
/// a burst of requests).
const SETTLE: Duration = Duration::from_millis(200);
/// The longest ban reason kept, in bytes.
const REASON_LIMIT: usize = 200;

pub(super) fn router(dashboard: Dashboard) -> Router {
    Router::new()
        .route("/", get(page))
        .route("/events", get(events))
        .route("/api/state", get(state))
        .route("/api/ban", post(ban))
        .route("/api/unban", post(unban))
        .route("/api/mode", post(mode))
        // Its own fallback, so that unknown paths under the mount point are behind the
        // token too (a nested router without one leaves them to the outer router).
        .fallback(|| async { (StatusCode::NOT_FOUND, "no such dashboard route\n") })
        .layer(middleware::from_fn_with_state(dashboard.clone(), authorise))
        .with_state(dashboard)
}

/// Lets through requests with the token (bearer, cookie, or `?token=` on the page,
/// which sets the cookie); answers 401 to the rest.
async fn authorise(State(dashboard): State<Dashboard>, request: Request, next: Next) -> Response {
    let token = dashboard.inner.token.as_bytes();
    let headers = request.headers();
    let by_query = request.method() == Method::GET
        && request.uri().path() == "/"
        && query_token(request.uri().query()).is_some_and(|t| same(t, token));
    let authorised = by_query
        || bearer(headers).is_some_and(|t| same(t, token))
        || cookies(headers).any(|t| same(t, token));
    if !authorised {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer realm=\"waf-dashboard\"")],
            "401 Unauthorized: the dashboard needs its token (Authorization: Bearer TOKEN, or open the page as ?token=TOKEN)\n",
        )
            .into_response();
    }
    let cookie = by_query.then(|| set_cookie(&request, &dashboard.inner.token));
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if let Some(cookie) = cookie.flatten() {
        headers.insert(header::SET_COOKIE, cookie);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

/// The cookie for the page at `request`, scoped to where the dashboard is mounted.
fn set_cookie(request: &Request, token: &str) -> Option<HeaderValue> {
    let original = request
        .extensions()
        .get::<OriginalUri>()
        .map_or("/", |uri| uri.0.path());
    let mount = original.trim_end_matches('/');
    let path = if mount.is_empty() { "/" } else { mount };
    // A path a cookie attribute cannot hold: the browser's default scope instead.
    let scope = if path.bytes().all(|b| b.is_ascii_graphic() && b != b';') {
        format!("; Path={path}")
    } else {
        String::new()
    };
    HeaderValue::from_str(&format!(
        "{COOKIE}={token}; HttpOnly; SameSite=Strict{scope}"
    ))
    .ok()
}

/// Equal bytes, compared in time that depends on the lengths only.
fn same(given: &[u8], token: &[u8]) -> bool {
    if given.len() != token.len() {
        return false;
    }
    let difference = given.iter().zip(token).fold(0u8, |d, (a, b)| d | (a ^ b));
    std::hint::black_box(difference) == 0
}

fn bearer(headers: &HeaderMap) -> Option<&[u8]> {
    let value = headers.get(header::AUTHORIZATION)?.as_bytes();
    let (scheme, token) = value.split_at_checked(7)?;
    scheme.eq_ignore_ascii_case(b"bearer ").then_some(token)
}

fn cookies(headers: &HeaderMap) -> impl Iterator<Item = &[u8]> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().strip_prefix(COOKIE)?.strip_prefix('='))
        .map(str::as_bytes)
}

/// The raw `token` parameter (a valid token needs no percent-encoding).
fn query_token(query: Option<&str>) -> Option<&[u8]> {
    query?
        .split('&')
        .find_map(|pair| pair.strip_prefix("token="))
        .map(str::as_bytes)
}

async fn page() -> impl IntoResponse {
    (
        [
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; \
                 connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; \
                 frame-ancestors 'none'",
            ),
            (header::REFERRER_POLICY, "no-referrer"),
        ],
        Html(PAGE),
    )
}

async fn state(State(dashboard): State<Dashboard>) -> Response {
    json(dashboard.snapshot())
}

/// A snapshot now, then every second and shortly after each change.
async fn events(
    State(dashboard): State<Dashboard>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let snapshots = stream::unfold((dashboard, true), |(dashboard, first)| async move {
        if !first {
            let changed = dashboard.inner.changed.notified();
            tokio::select! {
                () = tokio::time::sleep(PUSH_EVERY) => {}
                () = changed => tokio::time::sleep(SETTLE).await,
            }
        }
        // Compact JSON has no line breaks: one `data:` line.
        let data = String::from_utf8(dashboard.snapshot()).unwrap_or_default();
        Some((Ok(Event::default().data(data)), (dashboard, false)))
    });
    Sse::new(snapshots)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BanRequest {
    target: String,
    ttl_secs: Option<u64>,
    reason: Option<String>,
}

async fn ban(
    State(dashboard): State<Dashboard>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Refusal> {
    let request: BanRequest = parse(&headers, &body)?;
    let target = target(&request.target)?;
    if request.ttl_secs == Some(0) {
        return Err(Refusal::bad_request(
            "ttl_secs must be at least 1 (leave it out to ban until unbanned)".to_owned(),
        ));
    }
    let ttl = request.ttl_secs.map(Duration::from_secs);
    let reason = match request.reason.as_deref().map(str::trim) {
        Some(reason) if !reason.is_empty() => cut(reason),
        _ => "dashboard".to_owned(),
    };
    dashboard.inner.waf.ban(target, ttl, &reason);
    tracing::info!(target: "waf", %target, ttl_secs = request.ttl_secs, reason, "dashboard: ban");
    dashboard.changed();
    Ok(json(dashboard.snapshot()))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UnbanRequest {
    target: String,
}

async fn unban(
    State(dashboard): State<Dashboard>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Refusal> {
    let request: UnbanRequest = parse(&headers, &body)?;
    let target = target(&request.target)?;
    if !dashboard.inner.waf.unban(target, "dashboard") {
        return Err(Refusal {
            status: StatusCode::NOT_FOUND,
            message: format!("{target} is not banned"),
        });
    }
    tracing::info!(target: "waf", %target, "dashboard: unban");
    dashboard.changed();
    Ok(json(dashboard.snapshot()))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ModeRequest {
    mode: Mode,
}

async fn mode(
    State(dashboard): State<Dashboard>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Refusal> {
    let request: ModeRequest = parse(&headers, &body)?;
    dashboard.inner.waf.set_mode(request.mode);
    tracing::info!(target: "waf", mode = mode_name(request.mode), "dashboard: mode");
    dashboard.changed();
    Ok(json(dashboard.snapshot()))
}

/// A control request refused: the status and a line of plain text saying why.
struct Refusal {
    status: StatusCode,
    message: String,
}

impl Refusal {
    fn bad_request(message: String) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            message,
        }
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        (self.status, format!("{}\n", self.message)).into_response()
    }
}

/// The JSON body of a control request; 415 without a JSON content type (which also
/// keeps other sites' forms out), 400 when it does not parse.
fn parse<T: DeserializeOwned>(headers: &HeaderMap, body: &[u8]) -> Result<T, Refusal> {
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
    if !json {
        return Err(Refusal {
            status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
            message: "send the request as Content-Type: application/json".to_owned(),
        });
    }
    serde_json::from_slice(body).map_err(|error| Refusal::bad_request(format!("bad JSON: {error}")))
}

/// An address (a /32 or /128) or a CIDR range.
fn target(text: &str) -> Result<IpNet, Refusal> {
    let text = text.trim();
    text.parse::<IpNet>()
        .or_else(|_| text.parse::<IpAddr>().map(IpNet::from))
        .map_err(|_| {
            Refusal::bad_request("target must be an IP address or a CIDR range".to_owned())
        })
}

fn json(body: Vec<u8>) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// `text` cut to [`REASON_LIMIT`] bytes at a character boundary.
fn cut(text: &str) -> String {
    let mut end = text.len().min(REASON_LIMIT);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_read_from_their_places() {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, "bearer abc".parse().unwrap());
        headers.append(header::COOKIE, "a=1; waf_dashboard=xyz".parse().unwrap());
        headers.append(header::COOKIE, "waf_dashboardx=no".parse().unwrap());
        assert_eq!(bearer(&headers), Some(&b"abc"[..]));
        assert_eq!(cookies(&headers).collect::<Vec<_>>(), [b"xyz"]);
        assert_eq!(query_token(Some("a=1&token=t")), Some(&b"t"[..]));
        assert_eq!(query_token(None), None);
        assert!(same(b"secret", b"secret"));
        assert!(!same(b"secreT", b"secret"));
        assert!(!same(b"secret!", b"secret"));
    }
}
