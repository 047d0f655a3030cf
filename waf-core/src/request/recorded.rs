//! Recorded requests: the request lines of `shared/formats/requests-jsonl.md`, as read
//! by `waf scan` and written by a node that mirrors its traffic.
//!
//! ```
//! use waf_core::request::{Limits, RecordedRequest, RequestView};
//!
//! let line = br#"{"id":"r-1","method":"POST","uri":"/login","headers":[["Content-Type","application/x-www-form-urlencoded"]],"body":"user=ann","client_ip":"198.51.100.7","label":"benign"}"#;
//! let recorded = RecordedRequest::parse(line)?;
//! let view = RequestView::from_raw(recorded.raw(), &Limits::default());
//! assert_eq!(view.args_post[0].value, b"ann");
//! // Written back, it reads the same.
//! let again = RecordedRequest::from_view("r-1", &view);
//! assert_eq!(RecordedRequest::parse(again.to_line().as_bytes())?, recorded);
//! # Ok::<(), String>(())
//! ```

use super::{RawRequest, RequestView};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use serde::{Deserialize, Serialize};
use std::net::{IpAddr, Ipv4Addr};

/// A request line as written, before its fields are checked. Unknown fields (`label`,
/// `class`, corpus metadata) are ignored, so they never reach the engine.
#[derive(Debug, Deserialize)]
#[serde(expecting = "a JSON object describing one request")]
struct RequestLine {
    /// Opaque, echoed in the verdict.
    id: String,
    /// The method token as sent.
    method: String,
    /// The request target as on the wire.
    uri: String,
    /// `HTTP/1.1` when absent.
    version: Option<String>,
    /// `[name, value]` pairs in wire order.
    headers: Option<Vec<(String, String)>>,
    /// The body as UTF-8 text.
    body: Option<String>,
    /// The body as standard base64; wins over `body`.
    body_b64: Option<String>,
    /// The peer address; `127.0.0.1` when absent.
    client_ip: Option<String>,
}

/// One request of a JSONL file or stream, checked and ready for the engine.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedRequest {
    /// Opaque; echoed in the verdict line.
    pub id: String,
    /// The method token as sent.
    pub method: String,
    /// The request target as on the wire.
    pub uri: String,
    /// `HTTP/1.0`, `HTTP/1.1`, `HTTP/2`, …
    pub version: String,
    /// Header fields in wire order.
    pub headers: Vec<(String, String)>,
    /// The decoded body.
    pub body: Bytes,
    /// The peer address.
    pub client: IpAddr,
}

impl RecordedRequest {
    /// Parses one line (without its line break). The error says what is wrong in plain
    /// words, without a position inside the line unless the JSON itself is broken.
    pub fn parse(line: &[u8]) -> Result<Self, String> {
        // Editors may put a byte-order mark before the first line; it is not content.
        let line = line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line);
        // serde also reads a struct from a JSON array (`["a","GET","/"]`); the format
        // wants an object, so anything else is refused before serde sees it.
        if line.first() != Some(&b'{') {
            return Err("not a JSON object: a request line is one {...} object".to_owned());
        }
        let line: RequestLine = serde_json::from_slice(line).map_err(describe_json_error)?;
        let body = match (line.body_b64, line.body) {
            (Some(encoded), _) => STANDARD
                .decode(encoded.as_bytes())
                .map_err(|e| format!("body_b64 is not valid base64: {e}"))?
                .into(),
            (None, Some(text)) => text.into_bytes().into(),
            (None, None) => Bytes::new(),
        };
        let client = match line.client_ip {
            Some(text) => text
                .parse()
                .map_err(|_| format!("client_ip {text:?} is not an IPv4 or IPv6 address"))?,
            None => IpAddr::V4(Ipv4Addr::LOCALHOST),
        };
        Ok(Self {
            id: line.id,
            method: line.method,
            uri: line.uri,
            version: line.version.unwrap_or_else(|| "HTTP/1.1".to_owned()),
            headers: line.headers.unwrap_or_default(),
            body,
            client,
        })
    }

    /// The record of a request the engine has read (header names and values that are
    /// not UTF-8 are kept lossily; the body exactly, in base64 when it is not UTF-8).
    pub fn from_view(id: &str, request: &RequestView) -> Self {
        Self {
            id: id.to_owned(),
            method: request.method.clone(),
            uri: request.uri.clone(),
            version: request.protocol.clone(),
            headers: request
                .headers
                .iter()
                .map(|h| (h.name_lossy().into_owned(), h.value_lossy().into_owned()))
                .collect(),
            body: request.body.clone(),
            client: request.client,
        }
    }

    /// The request line (one JSON object, no line break) that [`RecordedRequest::parse`]
    /// reads back as `self`.
    pub fn to_line(&self) -> String {
        let (body, body_b64) = match std::str::from_utf8(&self.body) {
            Ok("") => (None, None),
            Ok(text) => (Some(text), None),
            Err(_) => (None, Some(STANDARD.encode(&self.body))),
        };
        let client_ip = self.client.to_string();
        serde_json::to_string(&LineOut {
            id: &self.id,
            method: &self.method,
            uri: &self.uri,
            version: &self.version,
            headers: &self.headers,
            body,
            body_b64,
            client_ip: &client_ip,
        })
        .expect("strings serialize")
    }

    /// The request in the form the engine reads, borrowing from `self` (the body is a
    /// reference-counted handle, so cloning it copies no bytes).
    pub fn raw(&self) -> RawRequest<'_> {
        RawRequest {
            method: &self.method,
            uri: &self.uri,
            protocol: &self.version,
            headers: self
                .headers
                .iter()
                .map(|(name, value)| (name.as_bytes(), value.as_bytes()))
                .collect(),
            body: self.body.clone(),
            client: self.client,
        }
    }
}

/// Turns a serde_json error into a message about the line. serde_json appends
/// ` at line 1 column N`, which is misleading inside a JSONL file (the line is always 1),
/// so that suffix is replaced by the column, and only for broken JSON where it helps.
fn describe_json_error(error: serde_json::Error) -> String {
    let text = error.to_string();
    let suffix = format!(" at line {} column {}", error.line(), error.column());
    let what = text.strip_suffix(&suffix).unwrap_or(&text);
    match error.classify() {
        serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
            format!("invalid JSON at column {}: {what}", error.column())
        }
        serde_json::error::Category::Data | serde_json::error::Category::Io => what.to_owned(),
    }
}

/// A request line as written by [`RecordedRequest::to_line`].
#[derive(Serialize)]
struct LineOut<'a> {
    id: &'a str,
    method: &'a str,
    uri: &'a str,
    version: &'a str,
    headers: &'a [(String, String)],
    #[serde(skip_serializing_if = "Option::is_none")]
    body: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    body_b64: Option<String>,
    client_ip: &'a str,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_fill_optional_fields() {
        let request = RecordedRequest::parse(
            b"\xEF\xBB\xBF{\"id\":\"a\",\"method\":\"GET\",\"uri\":\"/\",\"label\":\"benign\"}",
        )
        .expect("valid line");
        assert_eq!(request.version, "HTTP/1.1");
        assert_eq!(request.client, IpAddr::V4(Ipv4Addr::LOCALHOST));
        assert!(request.headers.is_empty() && request.body.is_empty());
    }

    #[test]
    fn body_b64_wins_over_body() {
        let request = RecordedRequest::parse(
            br#"{"id":"a","method":"POST","uri":"/","body":"text","body_b64":"AAEC/w=="}"#,
        )
        .expect("valid line");
        assert_eq!(&request.body[..], [0, 1, 2, 255]);
    }

    #[test]
    fn errors_say_what_is_wrong() {
        let cases: [(&[u8], &str); 7] = [
            (br#"{"id":"a","method":"GET""#, "invalid JSON at column 24"),
            (br#"{"id":"a","method":"GET"}"#, "missing field `uri`"),
            (br#"{"method":"GET","uri":"/"}"#, "missing field `id`"),
            (br#"["a","GET","/"]"#, "not a JSON object"),
            (
                br#"{"id":"a","method":"GET","uri":"/","body_b64":"!!"}"#,
                "body_b64 is not valid base64",
            ),
            (
                br#"{"id":"a","method":"GET","uri":"/","client_ip":"1.2.3"}"#,
                "client_ip \"1.2.3\"",
            ),
            (b"{\"id\":\"\xff\"}", "invalid JSON"),
        ];
        for (line, expected) in cases {
            let error = RecordedRequest::parse(line).expect_err("malformed line");
            assert!(
                error.contains(expected),
                "{error:?} should contain {expected:?}"
            );
            assert!(!error.contains("at line 1"), "{error:?}");
        }
    }
}
