//! Which address a request comes from.

use http::HeaderMap;
use ipnet::IpNet;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

/// The peer address of the connection, as a request extension.
///
/// Servers that are not axum insert it so the middleware knows the client, e.g. in a
/// hyper `service_fn` before calling the wrapped service. axum's `ConnectInfo` is read
/// directly (feature `axum`, on by default).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub SocketAddr);

/// Proxies whose forwarding headers are believed.
///
/// When the connection comes from one of them, the client is the right-most address in
/// `Forwarded` (or, without it, `X-Forwarded-For`) that is not itself a trusted proxy.
/// Otherwise those headers are ignored: anyone can send them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// Trust these addresses and ranges.
    pub fn new(proxies: impl IntoIterator<Item = IpNet>) -> Self {
        Self(proxies.into_iter().collect())
    }

    fn contains(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// The client address for a connection from `peer` carrying `headers`.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        if !self.contains(peer) {
            return peer;
        }
        let hops = forwarded_for(headers);
        let hops = if hops.is_empty() {
            x_forwarded_for(headers)
        } else {
            hops
        };
        hops.into_iter()
            .rev()
            .find(|hop| !self.contains(*hop))
            .unwrap_or(peer)
    }
}

/// The peer address from the request's extensions, or 0.0.0.0 when the server did not
/// provide one.
pub(crate) fn peer(extensions: &http::Extensions) -> IpAddr {
    if let Some(ClientAddr(addr)) = extensions.get() {
        return addr.ip();
    }
    #[cfg(feature = "axum")]
    if let Some(axum::extract::ConnectInfo(addr)) =
        extensions.get::<axum::extract::ConnectInfo<SocketAddr>>()
    {
        return addr.ip();
    }
    IpAddr::V4(Ipv4Addr::UNSPECIFIED)
}

/// `for=` parameters of every `Forwarded` header, in order (RFC 7239).
fn forwarded_for(headers: &HeaderMap) -> Vec<IpAddr> {
    headers
        .get_all(http::header::FORWARDED)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .flat_map(|element| element.split(';'))
        .filter_map(|pair| {
            let (key, value) = pair.trim().split_once('=')?;
            key.eq_ignore_ascii_case("for")
                .then(|| parse_node(value.trim().trim_matches('"')))?
        })
        .collect()
}

/// Every address of every `X-Forwarded-For` header, in order.
fn x_forwarded_for(headers: &HeaderMap) -> Vec<IpAddr> {
    headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|hop| parse_node(hop.trim()))
        .collect()
}

/// `1.2.3.4`, `1.2.3.4:80`, `[2001:db8::1]:443`, `2001:db8::1`.
fn parse_node(text: &str) -> Option<IpAddr> {
    if let Ok(ip) = text.parse() {
        return Some(ip);
    }
    if let Ok(addr) = text.parse::<SocketAddr>() {
        return Some(addr.ip());
    }
    text.strip_prefix('[')?.split(']').next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarding_headers_only_from_trusted_proxies() {
        let trusted =
            TrustedProxies::new(["10.0.0.0/8".parse().unwrap(), "::1/128".parse().unwrap()]);
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        // (peer, headers, expected client)
        type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a str);
        let cases: &[Case] = &[
            (
                "203.0.113.5",
                &[("x-forwarded-for", "1.1.1.1")],
                "203.0.113.5",
            ),
            ("10.0.0.2", &[("x-forwarded-for", "1.1.1.1")], "1.1.1.1"),
            (
                "10.0.0.2",
                &[("x-forwarded-for", "6.6.6.6, 1.1.1.1, 10.0.0.9")],
                "1.1.1.1",
            ),
            (
                "10.0.0.2",
                &[
                    ("x-forwarded-for", "6.6.6.6"),
                    ("x-forwarded-for", "1.1.1.1"),
                ],
                "1.1.1.1",
            ),
            (
                "10.0.0.2",
                &[("forwarded", "for=\"[2001:db8::9]:443\";proto=https")],
                "2001:db8::9",
            ),
            (
                "10.0.0.2",
                &[
                    ("forwarded", "for=192.0.2.60, for=10.1.1.1"),
                    ("x-forwarded-for", "7.7.7.7"),
                ],
                "192.0.2.60",
            ),
            (
                "10.0.0.2",
                &[("x-forwarded-for", "garbage, 10.0.0.3")],
                "10.0.0.2",
            ),
            ("10.0.0.2", &[], "10.0.0.2"),
            (
                "::1",
                &[("x-forwarded-for", "198.51.100.1:5555")],
                "198.51.100.1",
            ),
        ];
        for (peer, headers, expected) in cases {
            let mut map = HeaderMap::new();
            for (name, value) in *headers {
                map.append(*name, value.parse().unwrap());
            }
            assert_eq!(
                trusted.client(ip(peer), &map),
                ip(expected),
                "{peer} {headers:?}"
            );
        }
    }
}
