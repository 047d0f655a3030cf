//! Open redirect: values that send a browser to another site.
//!
//! Benign requests carry absolute URLs everywhere (Referer headers, links in forms), so
//! a plain `https://host/path` never fires here. What fires is a value that *starts*
//! with one of the spellings redirect filters fail to recognise as leaving the site:
//!
//! * scheme-relative and slash tricks: `//evil.com`, `/\evil.com`, `\/\/evil.com`,
//!   `///evil.com`, with tabs and line breaks inside (`/%09/evil.com`) that browsers
//!   drop, and Unicode look-alikes of the slash (`〱evil.com`, `／／evil.com`);
//! * a path-prefixed or slash-less scheme: `/https://evil.com`, `https:evil.com`,
//!   `https:/\evil.com`, `http:///evil.com`;
//! * an absolute URL whose authority is a trick: userinfo (`http://good.com@evil.com`),
//!   a backslash, `&`, `#@` or `?@` confusion, a non-canonical IP address
//!   (`http://0xd83ad6ce`, `http://3627734734`), Unicode look-alike letters, or letters
//!   percent-encoded to hide the host (`http://%67%6f%6f%67%6c%65.com`).
//!
//! Each parameter of a URL-shaped value (`/login?next=//evil.com`) is judged the same
//! way. `javascript:` URLs are left to the XSS detector.

use super::Detection;
use super::bytes::ByteSet;
use super::ssrf::host::{candidate_hosts, fold_host, parse_ipv4, parse_ipv6};
use super::traversal::decode::{self, decode_layers, query_values, utf8_at};

/// Recognises open-redirect payloads; see the module documentation.
pub fn open_redirect(input: &[u8]) -> Option<Detection> {
    if input.is_empty() {
        return None;
    }
    inspect(input, true).or_else(|| query_values(input).find_map(|v| inspect(v, false)))
}

/// Judges the start of one value; `whole` tells whether it is the whole value rather
/// than a parameter inside a URL (where search engines percent-encode every letter of
/// the result URL they link to, so encoding proves nothing there).
fn inspect(value: &[u8], whole: bool) -> Option<Detection> {
    // Fast paths. Without a `%` nothing is decoded, and `clean` only drops leading
    // spaces, tabs, line breaks and empty tags `<>` and decodes `\xNN`, so:
    // * every shape starts the URL with `/`, `\`, `http` or a non-ASCII look-alike,
    //   and the URL starts with the value's first byte after its leading spaces
    //   unless that byte is a `\` or `<`;
    // * without `\`, `<`, tabs, line breaks or non-ASCII bytes either, the URL is the
    //   value without its leading spaces, and every shape needs a `:` (a scheme) or
    //   that URL to start with `//`.
    let start = value.iter().take_while(|&&b| b <= b' ').count();
    let first = value.get(start).copied();
    let set = ByteSet::of(value);
    if !set.has(b'%') && first.is_none_or(|c| c.is_ascii() && !b"/\\hH<".contains(&c)) {
        return None;
    }
    let rewritten = set.any_of(ByteSet::new(b"%\\<\t\r\n")) || set.has_unusual();
    let slashes = value.get(start..).is_some_and(|v| v.starts_with(b"//"));
    if !rewritten && !set.has(b':') && !slashes {
        return None;
    }
    let decoded = decode_layers(value);
    let url = clean(&decoded);
    scheme_relative(&url)
        .or_else(|| lookalike_slash(&url))
        .or_else(|| absolute(&url, whole.then_some(value)))
        .or_else(|| in_path(&url))
}

/// A URL path that carries a redirect target in a segment: `/redirect/https://evil.com`,
/// `/go/〵evil.com`.
fn in_path(url: &[u8]) -> Option<Detection> {
    if url.first() != Some(&b'/') {
        return None;
    }
    url.iter()
        .enumerate()
        .skip(1)
        .filter(|&(_, &b)| b == b'/')
        .find_map(|(slash, _)| {
            let segment = &url[slash..];
            let lower: Vec<u8> = segment.iter().take(8).map(u8::to_ascii_lowercase).collect();
            if lower.starts_with(b"/http:") || lower.starts_with(b"/https:") {
                return Some(Detection::new(0.75, segment, "url-in-path"));
            }
            lookalike_slash(segment)
        })
}

/// `value` as a browser's URL parser reads it: leading spaces and control characters
/// dropped, tabs and line breaks (and empty tags `<>`) removed wherever they are.
/// Textual `\xNN` escapes (as access logs write non-ASCII bytes, and some payloads hide
/// letters) become the byte, so their backslash is not taken for a path separator.
fn clean(value: &[u8]) -> Vec<u8> {
    let start = value.iter().take_while(|&&b| b <= b' ').count();
    let value = &value[start..];
    let mut out = Vec::with_capacity(value.len());
    let mut i = 0;
    while let Some(&b) = value.get(i) {
        if b == b'\\'
            && value.get(i + 1) == Some(&b'x')
            && let Some(byte) = decode::hex_pair(value, i + 2)
        {
            out.push(byte);
            i += 4;
            continue;
        }
        // `<>//evil.com`: an empty tag, for filters that strip tags before redirecting.
        if b == b'<' && value.get(i + 1) == Some(&b'>') {
            i += 2;
            continue;
        }
        if !matches!(b, b'\t' | b'\r' | b'\n') {
            out.push(b);
        }
        i += 1;
    }
    out
}

/// File extensions: `//favicon.ico` is a doubled slash before a file, not a host.
const FILE_EXTENSIONS: &[&[u8]] = &[
    b"ico", b"php", b"html", b"htm", b"js", b"css", b"png", b"jpg", b"jpeg", b"gif", b"svg",
    b"txt", b"xml", b"json", b"asp", b"aspx", b"jsp", b"cgi", b"pl", b"py", b"woff", b"ttf",
    b"map", b"pdf",
];

/// `//host`, `/\host`, `\\host`, `///host`: two or more slashes of either kind, then a
/// host (something with a dot, a colon, an `@` or an address).
fn scheme_relative(url: &[u8]) -> Option<Detection> {
    let slashes = url
        .iter()
        .take_while(|&&b| matches!(b, b'/' | b'\\'))
        .count();
    if slashes < 2 {
        return None;
    }
    let rest = &url[slashes..];
    let host_len = rest
        .iter()
        .position(|&b| matches!(b, b'/' | b'\\' | b'?' | b'#' | b' '))
        .unwrap_or(rest.len());
    let (host, _) = fold_host(&rest[..host_len]);
    if host.is_empty() || is_file_name(&host) {
        return None;
    }
    let hostish = host.iter().any(|&b| matches!(b, b'.' | b':' | b'@' | 0))
        || parse_ipv4(&host).is_some()
        || host == b"localhost";
    hostish.then(|| Detection::new(0.85, url, "scheme-relative"))
}

/// Whether a would-be host is a file name (`favicon.ico`).
fn is_file_name(host: &[u8]) -> bool {
    if host.contains(&b'@') {
        return false;
    }
    match host.iter().rposition(|&b| b == b'.') {
        Some(dot) => FILE_EXTENSIONS.contains(&&host[dot + 1..]),
        None => false,
    }
}

/// Unicode characters that some browsers and normalisers turn into `/` or `//`:
/// Japanese repeat marks and prolonged sound marks, full-width solidus.
fn is_slash_lookalike(cp: u32) -> bool {
    matches!(
        cp,
        0x3031..=0x3035 | 0x309d | 0x309e | 0x30fc | 0xff70 | 0xff0f | 0x2215
    )
}

/// `〱evil.com`, `/ーevil.com`: a slash look-alike before a host.
fn lookalike_slash(url: &[u8]) -> Option<Detection> {
    let at = usize::from(url.first() == Some(&b'/'));
    let (cp, len) = utf8_at(url, at)?;
    if !is_slash_lookalike(cp) {
        return None;
    }
    let rest = &url[at + len..];
    let host_len = rest
        .iter()
        .position(|&b| matches!(b, b'/' | b'?' | b'#'))
        .unwrap_or(rest.len());
    rest[..host_len]
        .contains(&b'.')
        .then(|| Detection::new(0.8, url, "lookalike-slash"))
}

/// `http:`/`https:` at the start (or after slashes: `/https://evil.com`), judged by what
/// follows the colon and by its authority; `raw`, the value as received, for the
/// encoding of its host.
fn absolute(url: &[u8], raw: Option<&[u8]>) -> Option<Detection> {
    let lead = url
        .iter()
        .take_while(|&&b| matches!(b, b'/' | b'\\'))
        .count();
    let body = &url[lead..];
    let colon = body.iter().take(6).position(|&b| b == b':')?;
    if !matches!(
        body[..colon].to_ascii_lowercase().as_slice(),
        b"http" | b"https"
    ) {
        return None;
    }
    if lead > 0 {
        return Some(Detection::new(0.8, url, "path-prefixed-url"));
    }
    let after = &body[colon + 1..];
    let slashes = &after[..after
        .iter()
        .take_while(|&&b| matches!(b, b'/' | b'\\'))
        .count()];
    if slashes != b"//" {
        // `https:evil.com`, `https:/\evil.com`, `http:///evil.com`; a lone `/` is a
        // common typo in real Referers (`http:/www.google.com`), not a trick.
        let host = &after[slashes.len()..];
        let tricky = slashes.is_empty() || slashes.len() > 2 || slashes.contains(&b'\\');
        return (tricky && !host.is_empty() && !host.starts_with(b" "))
            .then(|| Detection::new(0.8, url, "malformed-scheme"));
    }
    let rest = &after[2..];
    let len = rest
        .iter()
        .position(|&b| matches!(b, b'/' | b'?' | b'#'))
        .unwrap_or(rest.len());
    authority_trick(&rest[..len], &rest[len..])
        .or_else(|| raw.and_then(encoded_host))
        .map(|fingerprint| Detection::new(0.8, url, fingerprint))
}

/// Why an authority (and what follows it) would take a browser elsewhere than it seems.
fn authority_trick(authority: &[u8], rest: &[u8]) -> Option<&'static str> {
    if authority.contains(&b'@') {
        return Some("userinfo");
    }
    if authority
        .iter()
        .any(|&b| matches!(b, b'\\' | b'&' | b'%' | 0))
    {
        return Some("authority-confusion");
    }
    if rest.starts_with(b"#@") || rest.starts_with(b"?@") {
        return Some("fragment-userinfo");
    }
    let (folded, lookalike) = fold_host(authority);
    if lookalike {
        return Some("unicode-host");
    }
    let host = candidate_hosts(&folded).next()?;
    if let Some(v4) = parse_ipv4(host) {
        return (!v4.canonical).then_some("ip-notation");
    }
    let v6 = host.strip_prefix(b"[").and_then(|h| h.strip_suffix(b"]"));
    v6.and_then(parse_ipv6)
        .filter(|g| g[..5].iter().all(|&x| x == 0) && matches!(g[5], 0 | 0xffff))
        .map(|_| "ipv4-in-ipv6")
}

/// A URL whose scheme or host letters were percent-encoded in the value as received
/// (`%68%74%74%70://…`, `http://%67%6f%6f%67%6c%65.com`): only evasion encodes letters.
fn encoded_host(raw: &[u8]) -> Option<&'static str> {
    /// Where the walk is: in the scheme, the slashes after it, or the host.
    #[derive(PartialEq)]
    enum Part {
        Scheme,
        Slashes,
        Host,
    }
    let mut part = Part::Scheme;
    let mut i = 0;
    while i < raw.len().min(512) {
        let escaped = (raw[i] == b'%')
            .then(|| decode::hex_pair(raw, i + 1))
            .flatten();
        let (c, len) = escaped.map_or((raw[i], 1), |c| (c, 3));
        if escaped.is_some() && c.is_ascii_alphanumeric() {
            return Some("encoded-host");
        }
        part = match (part, c) {
            (Part::Scheme, b':') => Part::Slashes,
            (Part::Slashes, b'/' | b'\\') => Part::Slashes,
            (Part::Slashes, _) => Part::Host,
            (Part::Host, b'/' | b'\\' | b'?' | b'#') => return None,
            (part, _) => part,
        };
        i += len;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::test_support;

    #[test]
    fn detects_redirect_tricks() {
        let attacks = [
            "//evil.com",
            "//evil.com/%2f..",
            "/\\evil.com",
            "\\/\\/evil.com/",
            "\\\\evil.com",
            "///evil.com",
            "/\t/evil.com",
            "/%09/evil.com",
            "/%5cevil.com",
            "//google%00.com",
            "//google%E3%80%82com",
            "////\\;@example.com",
            "//javascript:alert(1)",
            "〱google.com",
            "/ーgoogle.com",
            "/https://evil.com",
            "https:evil.com",
            "http:3627734734",
            "https:/\\evil.com",
            "http:///////////google.com",
            "https://%09/google.com",
            "https://%5cgoogle.com",
            "http://good.com@evil.com",
            "http://google.com\\www.good.com",
            "http://google.com&www.good.com",
            "http://google.com:80#@www.good.com/",
            "http://google.com:80?@www.good.com/",
            "http://0xd83ad6ce",
            "http://3627734734",
            "http://00330.0x3a.54990",
            "http://472.314.470.462",
            "http://[::ffff:216.58.214.206]",
            "http://ⓔⓧⓐⓜⓟⓛⓔ.ⓒⓞⓜ",
            "%68%74%74%70%3a%2f%2f%67%6f%6f%67%6c%65%2e%63%6f%6d",
            "http://%67%6f%6f%67%6c%65%2e%63%6f%6d",
            "/login?next=//evil.com",
            "https://shop.example.com/search?q=%2F%2Fevil.com",
            "/redirect/http://google.com",
            "/redirect/%E3%80%B5google.com",
            "/<>//example.com",
            "http://XY>.7d8T\\205pZM@0xd8.3856078",
        ];
        for attack in attacks {
            assert!(
                open_redirect(attack.as_bytes()).is_some(),
                "missed {attack}"
            );
        }
    }

    #[test]
    fn passes_ordinary_values() {
        let benign = [
            "https://google.com",
            "http://www.google.com/url?sa=t&url=http://semicomplete.com/blog/&q=x",
            "http://semicomplete.com/images/logstash_OSCON.pdf",
            "https://shop.example.com/products?id=3&next=/cart",
            "http://8.8.8.8/",
            "http%3A%2F%2Fexample.com%2F",
            "//favicon.ico",
            "//",
            "/tienda1/publico/pagar.jsp",
            "/blog/geekery/ssl-latency.html",
            "a // comment",
            "He said: http: no",
            "12/01/2024",
            "1/2 cup",
            "http: //localhost",
            "http:/www.google.com",
            "http%3A%2F%2Fsemicomplete.com%2Fimages%2Flogstash_OSCON.pdf",
            "http://\u{434}\u{435}\u{43c}\u{43e}.\u{440}\u{444}/",
            "http://\\xe4\\xe5\\xe3-\\xec.\\xf0\\xf4/",
            "http://www.google.com.hk/url?q=x&url=%68%74%74%70%3a%2f%2f%73%65%6d.com%2f&ei=5",
            "https://web.archive.org/web/2013/http://semicomplete.com/",
            "",
        ];
        for value in benign {
            assert!(
                open_redirect(value.as_bytes()).is_none(),
                "fired on {value}"
            );
        }
    }

    #[test]
    fn never_panics() {
        test_support::assert_random_bounded(
            open_redirect,
            b"http:/\\@%09%5c.#?&0x3:[]\t\xe3\x80\xb1\xff\0",
            0x2545_f491_4f6c_dd1d,
            2000,
            61,
        );
        let _ = open_redirect("/".repeat(100_000).as_bytes());
        let _ = open_redirect("%25".repeat(50_000).as_bytes());
    }
}
