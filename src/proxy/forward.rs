//! Forwarding to the upstream: the request rewritten for the next hop, sent with a
//! pooled hyper client, and the response (or the upgraded connection) passed back.

use super::config::Upstream;
use bytes::Bytes;
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::{Request, Response, StatusCode, Uri, Version};
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use std::convert::Infallible;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

/// A boxed error, as bodies and services report them.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The body of every response the proxy sends, and of requests to the upstream.
pub type ProxyBody = UnsyncBoxBody<Bytes, BoxError>;

/// Where a request came in: put into its extensions by the listener.
#[derive(Debug, Clone, Copy)]
pub struct Inbound {
    /// The peer of the connection.
    pub peer: SocketAddr,
    /// Whether the connection is TLS (`X-Forwarded-Proto: https`).
    pub tls: bool,
}

/// The upstream as a tower service. Always ready; never fails: an upstream that cannot
/// be reached is a 502 response, one that does not answer in time a 504.
#[derive(Debug, Clone)]
pub struct Forward {
    client: Client<HttpConnector, ProxyBody>,
    target: Arc<Target>,
}

#[derive(Debug)]
struct Target {
    scheme: http::uri::Scheme,
    authority: http::uri::Authority,
    version: Version,
    response_timeout: Duration,
}

impl Forward {
    /// A client for `upstream` with its own connection pool.
    pub fn new(upstream: &Upstream) -> Self {
        let mut connector = HttpConnector::new();
        connector.set_connect_timeout(Some(upstream.connect_timeout()));
        connector.set_nodelay(true);
        let client = Client::builder(TokioExecutor::new())
            .pool_timer(TokioTimer::new())
            .pool_idle_timeout(Duration::from_millis(upstream.idle_timeout_ms))
            .http2_only(upstream.http2)
            .build(connector);
        let parts = upstream.url.clone().into_parts();
        Self {
            client,
            target: Arc::new(Target {
                scheme: parts.scheme.unwrap_or(http::uri::Scheme::HTTP),
                authority: parts
                    .authority
                    .expect("checked when the configuration was read"),
                version: if upstream.http2 {
                    Version::HTTP_2
                } else {
                    Version::HTTP_11
                },
                response_timeout: upstream.response_timeout(),
            }),
        }
    }

    /// Sends `request` upstream and returns its response, streaming.
    pub async fn send<B>(&self, mut request: Request<B>) -> Response<ProxyBody>
    where
        B: hyper::body::Body<Data = Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
    {
        let upgrade = upgrade_protocol(request.headers());
        // Taken before the request is consumed: the client's side of a tunnel.
        let client_side = upgrade.is_some().then(|| hyper::upgrade::on(&mut request));
        let (mut parts, body) = request.into_parts();
        let inbound = parts.extensions.get::<Inbound>().copied();

        if !parts.headers.contains_key(header::HOST) {
            // HTTP/2 carries the host in the URI; the upstream (HTTP/1.1) wants a header.
            if let Some(host) = parts.uri.authority().and_then(|a| a.as_str().parse().ok()) {
                parts.headers.insert(header::HOST, host);
            }
        }
        remove_hop_by_hop(&mut parts.headers);
        if let Some(protocol) = &upgrade {
            parts
                .headers
                .insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
            parts.headers.insert(header::UPGRADE, protocol.clone());
        }
        if let Some(inbound) = inbound {
            add_forwarding(&mut parts.headers, inbound);
        }
        let mut uri = http::uri::Parts::default();
        uri.scheme = Some(self.target.scheme.clone());
        uri.authority = Some(self.target.authority.clone());
        uri.path_and_query = parts.uri.path_and_query().cloned();
        parts.uri = Uri::from_parts(uri).expect("scheme, authority and path are set");
        parts.version = self.target.version;

        let request = Request::from_parts(parts, body.map_err(Into::into).boxed_unsync());
        let sent = tokio::time::timeout(self.target.response_timeout, self.client.request(request));
        let mut response = match sent.await {
            Ok(Ok(response)) => response,
            Ok(Err(error)) => {
                tracing::warn!(target: "waf::proxy", error = %ErrorChain(&error), "upstream unreachable");
                return error_response(
                    StatusCode::BAD_GATEWAY,
                    "The upstream could not be reached.",
                );
            }
            Err(_) => {
                tracing::warn!(target: "waf::proxy", "upstream did not answer in time");
                return error_response(
                    StatusCode::GATEWAY_TIMEOUT,
                    "The upstream did not answer in time.",
                );
            }
        };

        match client_side {
            Some(client_side) if response.status() == StatusCode::SWITCHING_PROTOCOLS => {
                let upstream_side = hyper::upgrade::on(&mut response);
                tokio::spawn(tunnel(client_side, upstream_side));
            }
            _ => remove_hop_by_hop(response.headers_mut()),
        }
        response.map(|body| body.map_err(BoxError::from).boxed_unsync())
    }
}

impl<B> tower::Service<Request<B>> for Forward
where
    B: hyper::body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    type Response = Response<ProxyBody>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        // The pool queues requests itself; there is nothing to wait for here.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let forward = self.clone();
        Box::pin(async move { Ok(forward.send(request).await) })
    }
}

/// A plain-text response made by the proxy itself.
pub fn error_response(status: StatusCode, text: &'static str) -> Response<ProxyBody> {
    let mut response = Response::new(
        Full::new(Bytes::from_static(text.as_bytes()))
            .map_err(|never| match never {})
            .boxed_unsync(),
    );
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

/// The protocol an HTTP/1.1 request asks to switch to (`Connection: upgrade` and
/// `Upgrade: …`).
fn upgrade_protocol(headers: &HeaderMap) -> Option<HeaderValue> {
    let asks = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|token| token.trim().eq_ignore_ascii_case("upgrade"));
    asks.then(|| headers.get(header::UPGRADE).cloned())
        .flatten()
}

/// Headers that describe one connection, not the message (RFC 9110 section 7.6.1).
const HOP_BY_HOP: [HeaderName; 8] = [
    header::CONNECTION,
    HeaderName::from_static("keep-alive"),
    HeaderName::from_static("proxy-connection"),
    header::PROXY_AUTHENTICATE,
    header::PROXY_AUTHORIZATION,
    header::TE,
    header::TRANSFER_ENCODING,
    header::UPGRADE,
];

/// Removes the hop-by-hop headers and those the `Connection` header names.
fn remove_hop_by_hop(headers: &mut HeaderMap) {
    let named: Vec<HeaderName> = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|name| HeaderName::from_bytes(name.trim().as_bytes()).ok())
        .collect();
    for name in HOP_BY_HOP.iter().chain(&named) {
        headers.remove(name);
    }
    // `Trailer` announces trailers; hyper re-frames bodies, and keeps trailers anyway.
    headers.remove(header::TRAILER);
}

/// Appends this hop to `X-Forwarded-For` and `Forwarded`, and sets `X-Forwarded-Proto`.
fn add_forwarding(headers: &mut HeaderMap, inbound: Inbound) {
    let ip = inbound.peer.ip();
    let proto = if inbound.tls { "https" } else { "http" };
    let xff = match headers.get("x-forwarded-for").and_then(|v| v.to_str().ok()) {
        Some(earlier) => format!("{earlier}, {ip}"),
        None => ip.to_string(),
    };
    // RFC 7239: an IPv6 address is bracketed and, with its colons, quoted.
    let node = match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => format!("\"[{v6}]\""),
    };
    let mut element = format!("for={node};proto={proto}");
    // A host that would need escaping inside the quoted string is left out.
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    if let Some(host) = host.filter(|h| {
        h.bytes()
            .all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\\')
    }) {
        element.push_str(&format!(";host=\"{host}\""));
    }
    let forwarded = match headers.get(header::FORWARDED).and_then(|v| v.to_str().ok()) {
        Some(earlier) => format!("{earlier}, {element}"),
        None => element,
    };
    // Built from an address, a fixed word and visible ASCII: always valid values.
    let value = |text: String| HeaderValue::try_from(text).expect("visible ASCII");
    headers.insert("x-forwarded-for", value(xff));
    headers.insert(header::FORWARDED, value(forwarded));
    headers.insert("x-forwarded-proto", HeaderValue::from_static(proto));
}

/// Copies bytes both ways between the client and the upstream once both have switched
/// protocols, until either side closes.
async fn tunnel(client: hyper::upgrade::OnUpgrade, upstream: hyper::upgrade::OnUpgrade) {
    let (client, upstream) = match tokio::try_join!(client, upstream) {
        Ok(both) => both,
        Err(error) => {
            tracing::debug!(target: "waf::proxy", %error, "upgrade failed");
            return;
        }
    };
    let (mut client, mut upstream) = (TokioIo::new(client), TokioIo::new(upstream));
    if let Err(error) = tokio::io::copy_bidirectional(&mut client, &mut upstream).await {
        tracing::debug!(target: "waf::proxy", %error, "tunnel closed with an error");
    }
}

/// An error with its sources, `a: b: c`, for the log.
struct ErrorChain<'a>(&'a (dyn std::error::Error + 'static));

impl std::fmt::Display for ErrorChain<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(error) = source {
            write!(f, ": {error}")?;
            source = error.source();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(k, v)| {
                (
                    HeaderName::from_bytes(k.as_bytes()).unwrap(),
                    HeaderValue::from_str(v).unwrap(),
                )
            })
            .collect()
    }

    #[test]
    fn hop_by_hop_headers_and_those_named_by_connection_go() {
        let mut h = headers(&[
            ("connection", "keep-alive, x-secret"),
            ("keep-alive", "timeout=5"),
            ("x-secret", "1"),
            ("te", "trailers"),
            ("accept", "*/*"),
        ]);
        remove_hop_by_hop(&mut h);
        assert_eq!(h, headers(&[("accept", "*/*")]));
    }

    #[test]
    fn forwarding_headers_append_this_hop() {
        let mut h = headers(&[("x-forwarded-for", "203.0.113.9"), ("host", "shop.example")]);
        let peer: SocketAddr = "[2001:db8::1]:4000".parse().unwrap();
        add_forwarding(&mut h, Inbound { peer, tls: true });
        assert_eq!(h["x-forwarded-for"], "203.0.113.9, 2001:db8::1");
        assert_eq!(
            h["forwarded"],
            "for=\"[2001:db8::1]\";proto=https;host=\"shop.example\""
        );
        assert_eq!(h["x-forwarded-proto"], "https");
    }

    #[test]
    fn upgrade_needs_both_headers() {
        let ws = headers(&[
            ("connection", "keep-alive, Upgrade"),
            ("upgrade", "websocket"),
        ]);
        assert_eq!(upgrade_protocol(&ws).unwrap(), "websocket");
        assert!(upgrade_protocol(&headers(&[("upgrade", "websocket")])).is_none());
    }
}
