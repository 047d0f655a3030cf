//! The web server in front of the WAF: which requests it answers with 400 itself.
//!
//! Upstream writes the `status: 400` expectations of its suite against Apache httpd
//! 2.4 (default `HttpProtocolOptions Strict`), which refuses some malformed requests
//! before any module, ModSecurity included, could answer them. An application
//! embedding the WAF sits behind an HTTP server too (hyper refuses the same kinds of
//! messages), so the harness models that server: [`refusal`] names the first check
//! a request fails. The WAF still inspects such a request (ModSecurity sees the
//! request line and headers in Apache's post-read-request hook), so its matches are
//! reported; only the status the client gets changes.
//!
//! The checks, each from RFC 9112 as Apache applies it:
//! - the request line is exactly `method SP request-target SP HTTP-version`, the
//!   method a token (no leading white space, no white space inside the target), or
//!   HTTP/0.9's `GET /path`, which the server answers without a status line;
//! - the version is `HTTP/` digit `.` digit, 1.0 or later (HTTP/0.9 has no version);
//! - the target is origin-form (`/…`), absolute-form (`scheme://…`), `*`, or
//!   `host:port` for `CONNECT`, and carries no fragment (`#`);
//! - no header value holds CR, LF or NUL (RFC 9110 §5.5);
//! - `Content-Length` is digits only;
//! - an HTTP/1.1 request has a `Host` that is a host name or address with an optional
//!   port (Apache refuses empty ones and names with other characters, such as `%`).

use crate::ftw::request::BuiltRequest;

/// What the front server changes in a request it accepts before the WAF sees it, as
/// Apache does: a request line without a version is HTTP/0.9; a chunked `Transfer-Encoding` makes `Content-Length` meaningless
/// (RFC 9112 §6.3), so it is removed; repeated header fields are merged into the
/// first, their values joined with `, ` (RFC 9110 §5.3). Each change is noted.
pub fn hand_on(request: &mut BuiltRequest) {
    if is_http09(request) {
        request.protocol = "HTTP/0.9".into();
        request
            .notes
            .push("a request line without a version is HTTP/0.9".into());
    }
    let chunked = request.headers.iter().any(|(name, value)| {
        name.eq_ignore_ascii_case(b"transfer-encoding")
            && String::from_utf8_lossy(value)
                .rsplit(',')
                .next()
                .is_some_and(|last| last.trim().eq_ignore_ascii_case("chunked"))
    });
    if chunked {
        let before = request.headers.len();
        request
            .headers
            .retain(|(name, _)| !name.eq_ignore_ascii_case(b"content-length"));
        if request.headers.len() != before {
            request
                .notes
                .push("the front server drops Content-Length: the body is chunked".into());
        }
    }
    let mut merged: Vec<(Vec<u8>, Vec<u8>)> = Vec::with_capacity(request.headers.len());
    for (name, value) in std::mem::take(&mut request.headers) {
        match merged
            .iter_mut()
            .find(|(n, _)| n.eq_ignore_ascii_case(&name))
        {
            Some((first, values)) => {
                request.notes.push(format!(
                    "the front server merges repeated {} headers",
                    String::from_utf8_lossy(first)
                ));
                values.extend_from_slice(b", ");
                values.extend_from_slice(&value);
            }
            None => merged.push((name, value)),
        }
    }
    request.headers = merged;
}

/// Why the front server answers 400, if it does.
pub fn refusal(request: &BuiltRequest) -> Option<String> {
    let line_end = request
        .wire
        .windows(2)
        .position(|w| w == b"\r\n")
        .unwrap_or(request.wire.len());
    let line = String::from_utf8_lossy(&request.wire[..line_end]);
    let parts: Vec<&str> = line.split(' ').collect();
    let (method, target, version) = match parts[..] {
        [method, target, version] => (method, target, version),
        [method, target] => (method, target, ""),
        _ => return Some("request line is not `method target version`".into()),
    };
    if version.is_empty() {
        // HTTP/0.9 (Apache reads `GET /` and `GET / ` alike): no headers to check.
        return (method != "GET" || !target.starts_with('/'))
            .then(|| format!("HTTP/0.9 allows only GET of a path, not {method} {target}"));
    }
    if method.is_empty() || !method.bytes().all(is_tchar) {
        return Some(format!("method {method:?} is not a token"));
    }
    let Some(minor_major) = version.strip_prefix("HTTP/") else {
        return Some(format!("version {version:?} is not HTTP/n.n"));
    };
    let digits = minor_major.as_bytes();
    if digits.len() != 3
        || !digits[0].is_ascii_digit()
        || digits[1] != b'.'
        || !digits[2].is_ascii_digit()
    {
        return Some(format!("version {version:?} is not HTTP/n.n"));
    }
    if digits[0] == b'0' {
        return Some(format!("version {version} is not supported"));
    }
    if target.contains('#') {
        return Some("request target carries a fragment".into());
    }
    let valid_target = target.starts_with('/')
        || target.contains("://")
        || (target == "*" && method == "OPTIONS")
        || (method == "CONNECT" && is_host_and_port(target, true));
    if !valid_target {
        return Some(format!("request target {target:?} has no valid form"));
    }
    let header = |name: &'static str| {
        request
            .headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name.as_bytes()))
            .map(|(_, v)| String::from_utf8_lossy(v).into_owned())
    };
    if let Some((name, _)) = request
        .headers
        .iter()
        .find(|(_, value)| value.iter().any(|&b| b == b'\r' || b == b'\n' || b == 0))
    {
        return Some(format!(
            "header {} holds CR, LF or NUL",
            String::from_utf8_lossy(name)
        ));
    }
    if header("content-length").any(|v| v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit())) {
        return Some("Content-Length is not a number".into());
    }
    if version == "HTTP/1.1" {
        match header("host").next() {
            None => return Some("HTTP/1.1 request without Host".into()),
            Some(host) if !is_host_and_port(&host, false) => {
                return Some(format!("Host {host:?} is not a host name"));
            }
            Some(_) => {}
        }
    }
    None
}

/// Whether the request is an HTTP/0.9 "simple request" (`GET /path`, no version): the
/// server answers with the body alone, no status line.
pub fn is_http09(request: &BuiltRequest) -> bool {
    request.protocol.is_empty()
}

/// RFC 9110 `tchar`.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// `name[:port]` or `[v6][:port]`, as Apache accepts a host: letters, digits, `-`,
/// `.` and `_` in a name; `port_required` for `CONNECT`'s authority-form.
fn is_host_and_port(text: &str, port_required: bool) -> bool {
    let (host, port) = if let Some(rest) = text.strip_prefix('[') {
        match rest.split_once(']') {
            Some((v6, after))
                if v6
                    .bytes()
                    .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.') =>
            {
                (v6, after.strip_prefix(':'))
            }
            _ => return false,
        }
    } else {
        match text.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (text, None),
        }
    };
    let host_ok = !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_' || b == b':');
    let port_ok = match port {
        Some(port) => !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()),
        None => !port_required,
    };
    host_ok && port_ok
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ftw::request::parse_raw;

    #[test]
    fn table() {
        // (raw request, refused)
        let cases: &[(&[u8], bool)] = &[
            (b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n", false),
            (b"GET /\r\n\r\n", false),
            (b"GET / \r\n\r\n", false),
            (b"POST /\r\n\r\n", true),
            (b"GET /a?b=c HTTP/1.0\r\n\r\n", false),
            (b"GET http://x/ HTTP/1.1\r\nHost: x:8080\r\n\r\n", false),
            (
                b"CONNECT 1.2.3.4:80 HTTP/1.1\r\nHost: localhost\r\n\r\n",
                false,
            ),
            (b"OPTIONS * HTTP/1.1\r\nHost: [::1]:80\r\n\r\n", false),
            (b"  GET / HTTP/1.1\r\nHost: localhost\r\n\r\n", true),
            (b"GET /a b HTTP/1.1\r\nHost: localhost\r\n\r\n", true),
            (b"GET / HTTP/0.9\r\nHost: localhost\r\n\r\n", true),
            (b"GET / JUNK/1.0\r\nHost: localhost\r\n\r\n", true),
            (b"GET \\ HTTP/1.1\r\nHost: localhost\r\n\r\n", true),
            (b"GET /#x HTTP/1.1\r\nHost: localhost\r\n\r\n", true),
            (
                b"CONNECT example.org HTTP/1.1\r\nHost: localhost\r\n\r\n",
                true,
            ),
            (
                b"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 3;\r\n\r\n",
                true,
            ),
            (b"GET / HTTP/1.1\r\n\r\n", true),
            (b"GET / HTTP/1.1\r\nHost: \r\n\r\n", true),
            (b"GET / HTTP/1.1\r\nHost: localhost%00\r\n\r\n", true),
            (
                b"GET / HTTP/1.1\r\nHost: localhost\r\nX: a\rb\r\n\r\n",
                true,
            ),
        ];
        for (raw, refused) in cases {
            let request = parse_raw(raw);
            assert_eq!(
                refusal(&request).is_some(),
                *refused,
                "{:?}: {:?}",
                String::from_utf8_lossy(raw),
                refusal(&request)
            );
        }
    }
}
