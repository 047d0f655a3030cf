//! The backend upstream's regression tests run against, emulated.
//!
//! Upstream puts albedo behind the WAF. Every request is answered `200` with an empty
//! body, except `POST /reflect` (or `/reflect/`), whose JSON body describes the response
//! to send:
//!
//! ```json
//! {"status": 500, "headers": {"X-A": "b"}, "body": "text", "encodedBody": "base64…"}
//! ```
//!
//! `status` 0 or absent means 200; 1–99, 600 and above (and negative numbers) are
//! refused with 400 and a message; `body` wins over `encodedBody`; invalid JSON is answered 400. Header names
//! are canonicalised (`content-type` → `Content-Type`) and sorted, as Go's `net/http`
//! writes them; like it, the response gets a `Content-Length` and, when the headers
//! name no `Content-Type` and there is a body, one sniffed from the body (`text/html`,
//! `text/xml`, `text/plain` or `application/octet-stream`, each text type with
//! `; charset=utf-8`). That sniffing matters: the CRS inspects response bodies only of
//! the types `SecResponseBodyMimeType` lists. `Date` is left out.
//!
//! The harness hands [`respond`]'s answer to the response phases.

use crate::ftw::request::BuiltRequest;
use base64::Engine as _;
use serde::Deserialize;
use std::collections::BTreeMap;

/// The response the emulated backend sends for a request that reaches it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackendResponse {
    /// The status code.
    pub status: u16,
    /// Header fields, in the order they are sent.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

/// albedo's reflection request.
#[derive(Deserialize)]
struct ReflectSpec {
    #[serde(default)]
    status: i64,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    #[serde(default)]
    body: String,
    #[serde(default, rename = "encodedBody")]
    encoded_body: String,
}

/// The backend's answer to `request`.
pub fn respond(request: &BuiltRequest) -> BackendResponse {
    let path = request.path();
    if request.method == "POST" && (path == "/reflect" || path == "/reflect/") {
        reflect(&request.body)
    } else {
        finish(200, Vec::new(), Vec::new())
    }
}

fn reflect(body: &[u8]) -> BackendResponse {
    let spec: ReflectSpec = match serde_json::from_slice(body) {
        Ok(spec) => spec,
        Err(_) => return finish(400, Vec::new(), b"Invalid JSON in request body".to_vec()),
    };
    let mut headers: Vec<(String, String)> = spec
        .headers
        .iter()
        .map(|(name, value)| (canonical_name(name), value.clone()))
        .collect();
    headers.sort();
    // Checked like albedo; a negative status, which would make Go's `net/http` drop
    // the connection, is refused the same way.
    let status = match u16::try_from(spec.status) {
        Ok(0) => 200,
        Ok(status @ 100..600) => status,
        _ => {
            let message = format!("Invalid status code: {}", spec.status);
            return finish(400, headers, message.into_bytes());
        }
    };
    let body = if !spec.body.is_empty() {
        spec.body.into_bytes()
    } else if spec.encoded_body.is_empty() {
        Vec::new()
    } else {
        match base64::engine::general_purpose::STANDARD.decode(&spec.encoded_body) {
            Ok(body) => body,
            // albedo has sent the status already; only the body says what went wrong.
            Err(_) => b"invalid base64 encoding of response body".to_vec(),
        }
    };
    finish(status, headers, body)
}

/// Adds what Go's `net/http` adds: a sniffed `Content-Type` and `Content-Length`.
fn finish(status: u16, mut headers: Vec<(String, String)>, body: Vec<u8>) -> BackendResponse {
    if !body.is_empty() && !headers.iter().any(|(n, _)| n == "Content-Type") {
        headers.push(("Content-Type".into(), sniff(&body).into()));
    }
    if !headers.iter().any(|(n, _)| n == "Content-Length") {
        headers.push(("Content-Length".into(), body.len().to_string()));
    }
    headers.sort();
    BackendResponse {
        status,
        headers,
        body,
    }
}

/// Go's `textproto.CanonicalMIMEHeaderKey`: a valid name gets an upper-case first letter
/// and upper-case letters after each `-`, the rest lower-case; other names stay as they
/// are.
fn canonical_name(name: &str) -> String {
    let valid = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
    if !valid {
        return name.to_owned();
    }
    let mut upper = true;
    name.chars()
        .map(|c| {
            let out = if upper {
                c.to_ascii_uppercase()
            } else {
                c.to_ascii_lowercase()
            };
            upper = c == '-';
            out
        })
        .collect()
}

/// A reduced WHATWG MIME sniff, enough to tell markup and text from binary data.
fn sniff(body: &[u8]) -> &'static str {
    const HTML_TAGS: [&[u8]; 17] = [
        b"<!DOCTYPE HTML",
        b"<HTML",
        b"<HEAD",
        b"<SCRIPT",
        b"<IFRAME",
        b"<H1",
        b"<DIV",
        b"<FONT",
        b"<TABLE",
        b"<A",
        b"<STYLE",
        b"<TITLE",
        b"<B",
        b"<BODY",
        b"<BR",
        b"<P",
        b"<!--",
    ];
    let start = body
        .iter()
        .position(|b| !b"\t\n\x0c\r ".contains(b))
        .unwrap_or(body.len());
    let data = &body[start..];
    for tag in HTML_TAGS {
        // A tag counts when followed by a blank or `>`.
        if data.len() > tag.len()
            && data[..tag.len()].eq_ignore_ascii_case(tag)
            && matches!(data[tag.len()], b' ' | b'>')
        {
            return "text/html; charset=utf-8";
        }
    }
    if data.starts_with(b"<?xml") {
        return "text/xml; charset=utf-8";
    }
    let binary = body
        .iter()
        .any(|&b| matches!(b, 0x00..=0x08 | 0x0b | 0x0e..=0x1a | 0x1c..=0x1f));
    if binary {
        "application/octet-stream"
    } else {
        "text/plain; charset=utf-8"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_canonicalised_like_go() {
        assert_eq!(canonical_name("content-type"), "Content-Type");
        assert_eq!(canonical_name("X-ABC"), "X-Abc");
        assert_eq!(canonical_name("bad name"), "bad name");
    }

    #[test]
    fn sniffing_tells_markup_text_and_binary() {
        assert_eq!(sniff(b"  <html><body>"), "text/html; charset=utf-8");
        assert_eq!(sniff(b"<?xml version='1.0'?>"), "text/xml; charset=utf-8");
        assert_eq!(sniff(b"plain words"), "text/plain; charset=utf-8");
        assert_eq!(sniff(b"\x00\x01"), "application/octet-stream");
    }
}
