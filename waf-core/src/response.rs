//! The response view: what phases 3 and 4 read of the inner service's answer.

use crate::request::Field;
use bytes::Bytes;

/// A response as the rules see it: status, headers and (the inspected part of) the
/// body.
///
/// ```
/// use waf_core::response::ResponseView;
///
/// let response = ResponseView::new(404, "HTTP/1.1", vec![("Content-Type", "text/html")], "<h1>gone</h1>");
/// assert_eq!(response.header("content-type"), Some(&b"text/html"[..]));
/// assert_eq!(response.status_line(), "HTTP/1.1 404 Not Found");
/// ```
#[derive(Debug, Clone)]
pub struct ResponseView {
    /// The status code.
    pub status: u16,
    /// `HTTP/1.1`, `HTTP/2`, …
    pub protocol: String,
    /// The headers, in order, names as sent.
    pub headers: Vec<Field>,
    /// The body, or the part of it that was buffered for inspection.
    pub body: Bytes,
}

impl ResponseView {
    /// A response from its parts.
    pub fn new(
        status: u16,
        protocol: &str,
        headers: Vec<(impl AsRef<[u8]>, impl AsRef<[u8]>)>,
        body: impl Into<Bytes>,
    ) -> Self {
        Self {
            status,
            protocol: protocol.to_owned(),
            headers: headers
                .iter()
                .map(|(name, value)| Field::new(name.as_ref(), value.as_ref()))
                .collect(),
            body: body.into(),
        }
    }

    /// A response from `http::response::Parts` and the buffered body.
    pub fn from_parts(parts: &http::response::Parts, body: Bytes) -> Self {
        let protocol = match parts.version {
            http::Version::HTTP_09 => "HTTP/0.9",
            http::Version::HTTP_10 => "HTTP/1.0",
            http::Version::HTTP_2 => "HTTP/2",
            http::Version::HTTP_3 => "HTTP/3",
            _ => "HTTP/1.1",
        };
        Self {
            status: parts.status.as_u16(),
            protocol: protocol.to_owned(),
            headers: parts
                .headers
                .iter()
                .map(|(name, value)| Field::new(name.as_str(), value.as_bytes()))
                .collect(),
            body,
        }
    }

    /// The first value of header `name` (ASCII case-insensitive).
    pub fn header(&self, name: &str) -> Option<&[u8]> {
        self.headers
            .iter()
            .find(|f| f.name.eq_ignore_ascii_case(name.as_bytes()))
            .map(|f| f.value.as_slice())
    }

    /// `STATUS_LINE`: `HTTP/1.1 200 OK` (without a reason phrase for unknown codes).
    pub fn status_line(&self) -> String {
        let reason = http::StatusCode::from_u16(self.status)
            .ok()
            .and_then(|s| s.canonical_reason());
        match reason {
            Some(reason) => format!("{} {} {reason}", self.protocol, self.status),
            None => format!("{} {}", self.protocol, self.status),
        }
    }
}
