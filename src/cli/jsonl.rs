//! Request and verdict lines: the JSONL contract of `shared/formats/requests-jsonl.md`.

use base64::Engine as _;
use bytes::Bytes;
use serde::{Deserialize, Serialize};
use std::io::{self, Write};
use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;
use waf_core::Verdict;
use waf_core::request::RawRequest;

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

/// One request, checked and ready for the engine.
#[derive(Debug)]
pub struct Request {
    /// Echoed in the verdict line.
    pub id: String,
    /// The method token as sent.
    method: String,
    /// The request target as on the wire.
    uri: String,
    /// `HTTP/1.0`, `HTTP/1.1`, `HTTP/2`, …
    version: String,
    /// Header fields in wire order.
    headers: Vec<(String, String)>,
    /// The decoded body.
    body: Bytes,
    /// The peer address.
    client: IpAddr,
}

impl Request {
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
            (Some(encoded), _) => base64::engine::general_purpose::STANDARD
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

/// One verdict line.
#[derive(Debug, Serialize)]
pub struct VerdictLine<'a> {
    /// The request's id.
    id: &'a str,
    /// `allow`, `deny`, `challenge`, `rate_limit` or `log`.
    action: &'static str,
    /// The status a middleware would answer with; absent for `allow` and `log`.
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<u16>,
    /// The weighted score, rounded to 4 decimals.
    score: f64,
    /// Every matched rule, in evaluation order.
    rule_ids: Vec<u32>,
    /// Time spent building the request view and inspecting it, in microseconds, rounded
    /// to 1 decimal.
    elapsed_us: f64,
}

impl<'a> VerdictLine<'a> {
    /// The line for request `id`, decided by `verdict` in `elapsed`.
    pub fn new(id: &'a str, verdict: &Verdict, elapsed: Duration) -> Self {
        Self {
            id,
            action: verdict.action.name(),
            status: verdict.action.status(),
            score: round_to(verdict.score, 4),
            rule_ids: verdict.rule_ids(),
            elapsed_us: round_to(micros(elapsed), 1),
        }
    }

    /// Writes the line and its line break.
    pub fn write_to(&self, out: &mut impl Write) -> io::Result<()> {
        serde_json::to_writer(&mut *out, self)?;
        out.write_all(b"\n")
    }
}

/// A duration in microseconds, with fractions.
pub fn micros(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e6
}

/// `value` rounded to `decimals` decimal places.
fn round_to(value: f64, decimals: i32) -> f64 {
    let scale = 10f64.powi(decimals);
    (value * scale).round() / scale
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_fill_optional_fields() {
        let request = Request::parse(
            b"\xEF\xBB\xBF{\"id\":\"a\",\"method\":\"GET\",\"uri\":\"/\",\"label\":\"benign\"}",
        )
        .expect("valid line");
        assert_eq!(request.version, "HTTP/1.1");
        assert_eq!(request.client, IpAddr::V4(Ipv4Addr::LOCALHOST));
        assert!(request.headers.is_empty() && request.body.is_empty());
    }

    #[test]
    fn body_b64_wins_over_body() {
        let request = Request::parse(
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
            let error = Request::parse(line).expect_err("malformed line");
            assert!(
                error.contains(expected),
                "{error:?} should contain {expected:?}"
            );
            assert!(!error.contains("at line 1"), "{error:?}");
        }
    }

    #[test]
    fn rounding() {
        assert_eq!(round_to(0.123_456, 4), 0.1235);
        assert_eq!(round_to(14.249, 1), 14.2);
        assert_eq!(micros(Duration::from_nanos(1500)), 1.5);
    }
}
