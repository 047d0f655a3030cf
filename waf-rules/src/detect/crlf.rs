//! CR/LF injection: HTTP response splitting and header injection.
//!
//! A value fires when, after its encodings are peeled (`%0d%0a`, `%250a`, `%u000a`,
//! textual `\r\n`, and the UTF-8 characters such as `嘊` U+560A / `嘍` U+560D whose low
//! byte some servers keep when writing a header), a line break is followed by:
//!
//! * a header line: a response header name and a colon (`Set-Cookie:`, `Location:`,
//!   `Content-Length:`, `X-Anything:`). Names that are also English words (`Location`,
//!   `Host`, `Date`) count only when a single token follows the colon, as in a header
//!   and unlike prose (`…his\nage: and so…`);
//! * a status line (`HTTP/1.1 200 OK`);
//! * a blank line and then markup (`\r\n\r\n<script>`): an injected response body.
//!
//! Multi-line text (comments, reviews, addresses) has line breaks but not these shapes.

use super::Detection;
use super::bytes::ByteSet;
use super::traversal::decode::{decode_layers, query_values, utf8_at};

/// Recognises CR/LF injection; see the module documentation.
pub fn crlf(input: &[u8]) -> Option<Detection> {
    if input.is_empty() {
        return None;
    }
    inspect(input).or_else(|| query_values(input).find_map(inspect))
}

/// The value decoded, and again with its line breaks removed first: a filter that strips
/// decoded breaks once turns `%%0a0a` back into `%0a`.
fn inspect(value: &[u8]) -> Option<Detection> {
    // Fast path: every shape starts at a line break, and a value yields one only as a
    // CR or LF byte, a `%` escape, a textual `\r` / `\n`, or a non-ASCII character
    // whose low byte is one.
    let set = ByteSet::of(value);
    if !set.any_of(ByteSet::new(b"\r\n%\\")) && !set.has_unusual() {
        return None;
    }
    scan(value).or_else(|| {
        // Without its line breaks, the value yields one only through the other ways.
        if !(set.has(b'%') || set.has(b'\\') || set.has_unusual()) {
            return None;
        }
        let stripped: Vec<u8> = value.iter().copied().filter(|&b| !is_break(b)).collect();
        (stripped.len() < value.len())
            .then(|| scan(&stripped))
            .flatten()
    })
}

/// Every line break of one value, decoded.
fn scan(value: &[u8]) -> Option<Detection> {
    // Without a `%` there is no layer to decode (and nothing to copy).
    let text = if value.contains(&b'%') {
        normalise(&decode_layers(value))
    } else {
        normalise(value)
    };
    let mut i = 0;
    while i < text.len() {
        if !is_break(text[i]) {
            i += 1;
            continue;
        }
        let start = i;
        let mut breaks = 0;
        while i < text.len() && is_break(text[i]) {
            breaks += usize::from(text[i] == b'\n' || text.get(i + 1) != Some(&b'\n'));
            i += 1;
        }
        // Folded headers start with spaces or tabs.
        let indent = text[i..]
            .iter()
            .take_while(|&&b| b == b' ' || b == b'\t')
            .count();
        if let Some(fingerprint) = next_line(&text[i + indent..], breaks) {
            let confidence = if fingerprint == "body" { 0.75 } else { 0.9 };
            return Some(Detection::new(confidence, &text[start..], fingerprint));
        }
    }
    None
}

fn is_break(b: u8) -> bool {
    b == b'\r' || b == b'\n'
}

/// `value` with textual `\r` / `\n` escapes and the low-byte look-alikes of CR, LF, `<`
/// and `>` turned into those bytes.
fn normalise(value: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(value.len());
    let mut i = 0;
    while let Some(&b) = value.get(i) {
        if b == b'\\'
            && let Some(&e @ (b'r' | b'n')) = value.get(i + 1)
        {
            out.push(if e == b'r' { b'\r' } else { b'\n' });
            i += 2;
            continue;
        }
        if b >= 0x80
            && let Some((cp, len)) = utf8_at(value, i)
        {
            match low_byte_lookalike(cp) {
                Some(c) => out.push(c),
                None => out.extend_from_slice(&value[i..i + len]),
            }
            i += len;
            continue;
        }
        out.push(b);
        i += 1;
    }
    out
}

/// A character whose low byte is CR, LF, `<` or `>`: servers that truncate characters
/// to bytes when writing headers turn `嘊嘍` into `\n\r` and `嘼嘾` into `<>`.
fn low_byte_lookalike(cp: u32) -> Option<u8> {
    if cp == 0x85 {
        // NEXT LINE, a line break to Unicode-aware parsers.
        return Some(b'\n');
    }
    if cp < 0x100 {
        return None;
    }
    match (cp & 0xff) as u8 {
        c @ (b'\r' | b'\n') => Some(c),
        c @ (b'<' | b'>') if (0x5600..0x5700).contains(&cp) => Some(c),
        _ => None,
    }
}

/// Response header names that prose never starts a line with, compared without
/// hyphens (`ContentType:` is how some payloads write it).
const HEADERS: &[&[u8]] = &[
    b"setcookie",
    b"setcookie2",
    b"contenttype",
    b"contentlength",
    b"contentdisposition",
    b"contentencoding",
    b"contentlanguage",
    b"contentsecuritypolicy",
    b"contentlocation",
    b"transferencoding",
    b"cachecontrol",
    b"accesscontrolalloworigin",
    b"accesscontrolallowcredentials",
    b"accesscontrolallowheaders",
    b"accesscontrolallowmethods",
    b"stricttransportsecurity",
    b"wwwauthenticate",
    b"lastmodified",
    b"keepalive",
    b"useragent",
];

/// Header names that are also English words: they need a header-shaped value.
const WORD_HEADERS: &[&[u8]] = &[
    b"location",
    b"refresh",
    b"host",
    b"cookie",
    b"link",
    b"status",
    b"server",
    b"connection",
    b"date",
    b"age",
    b"expires",
    b"pragma",
    b"vary",
    b"via",
    b"allow",
    b"upgrade",
    b"etag",
    b"authorization",
    b"referer",
];

/// What the line after `breaks` line breaks is, if it is not text.
fn next_line(line: &[u8], breaks: usize) -> Option<&'static str> {
    let name_len = line
        .iter()
        .take(64)
        .take_while(|&&b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        .count();
    let name = &line[..name_len];
    if name.len() >= 2
        && line.get(name_len) == Some(&b':')
        && let Some(fp) = header(name, &line[name_len + 1..])
    {
        return Some(fp);
    }
    let status = line
        .get(..6)
        .is_some_and(|s| s.eq_ignore_ascii_case(b"http/1"));
    if status || line.starts_with(b"HTTP/2") {
        return Some("status-line");
    }
    if mail_command(line) {
        return Some("mail-command");
    }
    let markup = line.first() == Some(&b'<')
        && line
            .get(1)
            .is_some_and(|&b| b.is_ascii_alphabetic() || b == b'!' || b == b'/');
    (breaks >= 2 && markup).then_some("body")
}

/// SMTP envelope commands, injected into a mail a form sends (`\r\nRCPT TO:<x@y>`).
fn mail_command(line: &[u8]) -> bool {
    const COMMANDS: &[&[u8]] = &[b"mail from:", b"rcpt to:"];
    COMMANDS.iter().any(|c| {
        line.get(..c.len())
            .is_some_and(|l| l.eq_ignore_ascii_case(c))
    }) || ((line.starts_with(b"EHLO ") || line.starts_with(b"HELO ")) && line.len() > 5)
}

/// Whether `name:` followed by `value` is a response header line.
fn header(name: &[u8], value: &[u8]) -> Option<&'static str> {
    let key: Vec<u8> = name
        .iter()
        .filter(|&&b| b != b'-' && b != b'_')
        .map(u8::to_ascii_lowercase)
        .collect();
    if HEADERS.contains(&key.as_slice()) {
        return Some("header");
    }
    let x_header = name.len() > 2 && name[..2].eq_ignore_ascii_case(b"x-");
    if x_header {
        return Some("header");
    }
    if !WORD_HEADERS.contains(&key.as_slice()) {
        return None;
    }
    // One token after the colon, up to the end of the line.
    let value = value.trim_ascii_start();
    let end = value
        .iter()
        .position(|&b| is_break(b))
        .unwrap_or(value.len());
    let token = value[..end].trim_ascii_end();
    (!token.is_empty() && !token.iter().any(u8::is_ascii_whitespace)).then_some("header")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::test_support;

    #[test]
    fn detects_injected_headers() {
        let attacks: &[&[u8]] = &[
            b"/\r\nSet-Cookie:crlf=injection",
            b"/%0d%0aSet-Cookie:crlf=injection",
            b"/%250aSet-Cookie:crlf=injection",
            b"/%25%30%61Set-Cookie:crlf=injection",
            b"/%u000aSet-Cookie:crlf=injection",
            b"%0d%0aLocation:%20http://myweb.com",
            b"\nContent-Type:html\n\n<script>alert(1)</script>",
            b"r\r\nContentLength: 0\r\n\r\nHTTP/1.1 200 OK",
            b"%E5%98%8A%E5%98%8Dcontent-type:text/html%E5%98%8A%E5%98%8Dlocation:",
            b"\r\n\r\n<html><body>",
            b"x\\r\\nSet-Cookie: a=b",
            b"en\r\nX-Forwarded-For: 127.0.0.1",
            b"https://shop.example.com/search?q=%0d%0aSet-Cookie:a=b",
            b"/%\n0aSet-Cookie:crlf=injection",
            b"x%0d%0a%20Set-Cookie: a=b",
            b"x%c2%85Location: http://evil.com",
            b"%c4%8d%c4%8aSet-Cookie: a=b",
            b"x\r\nRCPT TO:<victim@example.com>",
            b"\r\nEHLO test.com",
        ];
        for attack in attacks {
            assert!(
                crlf(attack).is_some(),
                "missed {}",
                String::from_utf8_lossy(attack)
            );
        }
    }

    #[test]
    fn passes_multiline_text() {
        let benign: &[&[u8]] = &[
            b"Farewell, my lord.\r\nFarewell: and so",
            b"In his old\nage: the days",
            b"Thou art\r\nHost: of all my thoughts",
            b"Line one\nLine two\n\nLine three",
            b"Note:\nthis is fine",
            b"price < 10\n\n< 20",
            b"\r\n",
            "\u{4e0a}\u{6d77}".as_bytes(),
            b"calle mayor 5\r\n28001 Madrid",
            b"Send it by\nmail from the shop",
            b"",
        ];
        for value in benign {
            assert!(
                crlf(value).is_none(),
                "fired on {}",
                String::from_utf8_lossy(value)
            );
        }
    }

    #[test]
    fn never_panics() {
        test_support::assert_random_bounded(
            crlf,
            b"\r\n%0aA-:<\\rn\xe5\x98\x8a\xff Set-Cookie",
            0x1234_5678_9abc_def1,
            2000,
            83,
        );
        let _ = crlf("\r\n".repeat(100_000).as_bytes());
    }
}
