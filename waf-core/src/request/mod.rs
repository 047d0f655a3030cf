//! The request view: one request taken apart once, for every rule to read.
//!
//! A [`RequestView`] is built from `http::request::Parts` with [`RequestView::from_parts`]
//! or from raw strings with [`RequestView::from_raw`] (recorded traffic, test suites, a
//! request that `http` itself would refuse). Building it never fails and never panics:
//! whatever cannot be parsed becomes a fact in [`RequestView::facts`], and limits on
//! argument count, nesting and body size ([`Limits`]) bound the work.
//!
//! ```
//! use std::net::{IpAddr, Ipv4Addr};
//! use waf_core::request::{Limits, RequestView};
//!
//! let request = http::Request::post("/login?next=%2Fhome")
//!     .header("content-type", "application/json")
//!     .body(())
//!     .unwrap();
//! let (parts, ()) = request.into_parts();
//! let body = bytes::Bytes::from_static(br#"{"user":{"name":"ann"},"roles":["a","b"]}"#);
//! let client = IpAddr::V4(Ipv4Addr::LOCALHOST);
//! let view = RequestView::from_parts(&parts, body, client, &Limits::default());
//!
//! assert_eq!(view.args_get[0].value, b"/home");
//! let names: Vec<_> = view.args_post.iter().map(|f| f.name_lossy()).collect();
//! assert_eq!(names, ["user.name", "roles.0", "roles.1"]);
//! assert!(view.facts.body_error.is_none());
//! ```

mod cookies;
mod facts;
mod json;
mod limits;
mod multipart;
mod recorded;
mod urlencoded;
mod xml;

pub use facts::{BodyError, BodyErrorKind, Facts, MultipartFlags};
pub use limits::Limits;
pub use recorded::RecordedRequest;

use bytes::Bytes;
use std::borrow::Cow;
use std::net::IpAddr;

/// A name and a value, as bytes: decoded values need not be UTF-8.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// The name (argument name, header name as sent, XML node path, …).
    pub name: Vec<u8>,
    /// The value, decoded once from its transport encoding.
    pub value: Vec<u8>,
}

impl Field {
    /// A field from anything byte-like.
    pub fn new(name: impl Into<Vec<u8>>, value: impl Into<Vec<u8>>) -> Self {
        Self {
            name: name.into(),
            value: value.into(),
        }
    }

    /// The name as text, with invalid UTF-8 replaced.
    pub fn name_lossy(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.name)
    }

    /// The value as text, with invalid UTF-8 replaced.
    pub fn value_lossy(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.value)
    }
}

/// A file in a multipart body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileUpload {
    /// The form field name.
    pub field: Vec<u8>,
    /// The file name the client gave.
    pub filename: Vec<u8>,
    /// The size of the content in bytes.
    pub size: usize,
    /// The part's `Content-Type`, if it had one.
    pub content_type: Option<Vec<u8>>,
}

/// Which parser read the body: ModSecurity's `REQBODY_PROCESSOR`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyProcessor {
    /// `application/x-www-form-urlencoded`.
    UrlEncoded,
    /// `multipart/form-data`.
    Multipart,
    /// `application/json` and `+json` types.
    Json,
    /// `text/xml`, `application/xml` and `+xml` types.
    Xml,
}

impl BodyProcessor {
    /// The name ModSecurity gives it (`URLENCODED`, `MULTIPART`, `JSON`, `XML`).
    pub fn name(self) -> &'static str {
        match self {
            Self::UrlEncoded => "URLENCODED",
            Self::Multipart => "MULTIPART",
            Self::Json => "JSON",
            Self::Xml => "XML",
        }
    }

    /// The processor for a `Content-Type` value, if the body is one we take apart.
    pub fn for_content_type(content_type: &[u8]) -> Option<Self> {
        let mime = content_type
            .split(|&b| b == b';')
            .next()
            .unwrap_or_default();
        let mime = String::from_utf8_lossy(mime).trim().to_ascii_lowercase();
        match mime.as_str() {
            "application/x-www-form-urlencoded" => Some(Self::UrlEncoded),
            "multipart/form-data" => Some(Self::Multipart),
            "application/json" => Some(Self::Json),
            "text/xml" | "application/xml" => Some(Self::Xml),
            m if m.ends_with("+json") => Some(Self::Json),
            m if m.ends_with("+xml") => Some(Self::Xml),
            _ => None,
        }
    }
}

/// A request as raw text, for callers that do not hold `http` types.
#[derive(Debug, Clone)]
pub struct RawRequest<'a> {
    /// The method token as sent (any bytes; invalid methods are inspected too).
    pub method: &'a str,
    /// The request target as on the wire: path and raw query.
    pub uri: &'a str,
    /// `HTTP/1.0`, `HTTP/1.1`, `HTTP/2`, …
    pub protocol: &'a str,
    /// Header fields in wire order; names may repeat.
    pub headers: Vec<(&'a [u8], &'a [u8])>,
    /// The body bytes (possibly only the first part of a larger body).
    pub body: Bytes,
    /// The client's address.
    pub client: IpAddr,
}

/// One request, parsed for inspection. See the [module docs](self).
#[derive(Debug, Clone)]
pub struct RequestView {
    /// The client's address (after trusted-proxy resolution by the caller).
    pub client: IpAddr,
    /// The method token as sent.
    pub method: String,
    /// The raw request target: `REQUEST_URI_RAW`.
    pub uri: String,
    /// The raw path, before `?`, percent-encoding untouched.
    pub path: String,
    /// The path with `%XX` escapes decoded (a `+` stays a plus): `REQUEST_FILENAME`.
    pub path_decoded: Vec<u8>,
    /// The request target with `%XX` escapes and `+` decoded: `REQUEST_URI`.
    pub uri_decoded: Vec<u8>,
    /// The raw query string after `?` (empty when there is none).
    pub query: String,
    /// `HTTP/1.1` and the like.
    pub protocol: String,
    /// Header fields in wire order, names as sent.
    pub headers: Vec<Field>,
    /// Cookies from every `Cookie` header, in order.
    pub cookies: Vec<Field>,
    /// Query arguments, decoded, repeated names and order kept.
    pub args_get: Vec<Field>,
    /// Body arguments: form fields, flattened JSON, multipart text fields.
    pub args_post: Vec<Field>,
    /// Files from a multipart body.
    pub files: Vec<FileUpload>,
    /// XML text nodes (`/a/b`) and attributes (`/a/b/@c`).
    pub xml: Vec<Field>,
    /// Each header line of each multipart part (`Content-Type: text/plain`), named by
    /// the part's field name: `MULTIPART_PART_HEADERS`.
    pub part_headers: Vec<Field>,
    /// The body bytes that were inspected.
    pub body: Bytes,
    /// Which parser read the body, if any.
    pub body_processor: Option<BodyProcessor>,
    /// What parsing noticed.
    pub facts: Facts,
}

impl RequestView {
    /// Builds the view from `http` request parts, the (buffered) body and the client.
    pub fn from_parts(
        parts: &http::request::Parts,
        body: Bytes,
        client: IpAddr,
        limits: &Limits,
    ) -> Self {
        let uri = parts
            .uri
            .path_and_query()
            .map_or_else(|| parts.uri.to_string(), |pq| pq.as_str().to_owned());
        let protocol = match parts.version {
            http::Version::HTTP_09 => "HTTP/0.9",
            http::Version::HTTP_10 => "HTTP/1.0",
            http::Version::HTTP_2 => "HTTP/2",
            http::Version::HTTP_3 => "HTTP/3",
            _ => "HTTP/1.1",
        };
        let headers = parts
            .headers
            .iter()
            .map(|(name, value)| (name.as_str().as_bytes(), value.as_bytes()))
            .collect();
        Self::from_raw(
            RawRequest {
                method: parts.method.as_str(),
                uri: &uri,
                protocol,
                headers,
                body,
                client,
            },
            limits,
        )
    }

    /// Builds the view from raw request text.
    pub fn from_raw(raw: RawRequest<'_>, limits: &Limits) -> Self {
        let (path, query) = match raw.uri.split_once('?') {
            Some((path, query)) => (path, query),
            None => (raw.uri, ""),
        };
        let mut view = Self {
            client: raw.client,
            method: raw.method.to_owned(),
            uri: raw.uri.to_owned(),
            path: path.to_owned(),
            path_decoded: percent_decode(path.replace('+', "%2B").as_bytes()),
            uri_decoded: percent_decode(raw.uri.as_bytes()),
            query: query.to_owned(),
            protocol: raw.protocol.to_owned(),
            headers: raw
                .headers
                .iter()
                .map(|(name, value)| Field::new(*name, *value))
                .collect(),
            cookies: Vec::new(),
            args_get: Vec::new(),
            args_post: Vec::new(),
            files: Vec::new(),
            xml: Vec::new(),
            part_headers: Vec::new(),
            body: raw.body,
            body_processor: None,
            facts: Facts::default(),
        };
        let mut budget = ArgBudget::new(limits.max_args);
        if urlencoded::parse(query.as_bytes(), &mut budget, &mut view.args_get) {
            view.facts.invalid_url_encoding = true;
        }
        if urlencoded::has_invalid_escape(path.as_bytes()) {
            view.facts.invalid_url_encoding = true;
        }
        let mut cookies = Vec::new();
        for value in view.header_values("cookie") {
            cookies::parse(value, &mut cookies);
        }
        view.cookies = cookies;
        let processor = view
            .header("content-type")
            .and_then(BodyProcessor::for_content_type);
        if let Some(processor) = processor {
            view.parse_body(processor, limits, &mut budget);
        }
        view.facts.args_dropped = budget.dropped;
        view
    }

    /// This request with its body read again by `processor`, whatever the
    /// `Content-Type` says (ModSecurity's `ctl:requestBodyProcessor`).
    pub fn reread_body(&self, processor: BodyProcessor, limits: &Limits) -> Self {
        let mut view = self.without_body();
        view.body = self.body.clone();
        let mut budget = ArgBudget::new(limits.max_args.saturating_sub(view.args_get.len()));
        view.parse_body(processor, limits, &mut budget);
        view.facts.args_dropped += budget.dropped;
        view
    }

    /// This request as if it had no body (`ctl:requestBodyAccess=Off`).
    pub fn without_body(&self) -> Self {
        Self {
            args_post: Vec::new(),
            files: Vec::new(),
            xml: Vec::new(),
            part_headers: Vec::new(),
            body: Bytes::new(),
            body_processor: None,
            facts: Facts {
                body_error: None,
                multipart: MultipartFlags::default(),
                ..self.facts.clone()
            },
            ..self.clone()
        }
    }

    /// The values of every header called `name` (ASCII case-insensitive), in order.
    pub fn header_values<'s>(&'s self, name: &str) -> impl Iterator<Item = &'s [u8]> {
        let name = name.as_bytes().to_vec();
        self.headers
            .iter()
            .filter(move |f| f.name.eq_ignore_ascii_case(&name))
            .map(|f| f.value.as_slice())
    }

    /// The first value of header `name`, if present.
    pub fn header(&self, name: &str) -> Option<&[u8]> {
        self.header_values(name).next()
    }

    /// Query and body arguments together: ModSecurity's `ARGS`.
    pub fn args(&self) -> impl Iterator<Item = &Field> {
        self.args_get.iter().chain(&self.args_post)
    }

    fn parse_body(&mut self, processor: BodyProcessor, limits: &Limits, budget: &mut ArgBudget) {
        // The processor is chosen from the headers, body or not (`REQBODY_PROCESSOR`).
        self.body_processor = Some(processor);
        if self.body.is_empty() {
            return;
        }
        let content_type = self.header("content-type").unwrap_or_default().to_vec();
        let body = self.body.clone();
        let parsed = if body.len() > limits.max_body_parse_bytes {
            self.facts.body_error = Some(BodyError::new(
                BodyErrorKind::TooLarge,
                format!(
                    "body of {} bytes is over the parse limit of {} bytes; the rest is not parsed",
                    body.len(),
                    limits.max_body_parse_bytes
                ),
            ));
            &body[..limits.max_body_parse_bytes]
        } else {
            &body[..]
        };
        let mut out = ParsedBody {
            args: &mut self.args_post,
            files: &mut self.files,
            xml: &mut self.xml,
            part_headers: &mut self.part_headers,
            multipart: &mut self.facts.multipart,
            budget,
        };
        let result = match processor {
            BodyProcessor::UrlEncoded => {
                if urlencoded::parse(parsed, out.budget, out.args) {
                    self.facts.invalid_url_encoding = true;
                }
                Ok(())
            }
            BodyProcessor::Json => json::parse(parsed, limits, &mut out),
            BodyProcessor::Multipart => multipart::parse(&content_type, parsed, limits, &mut out),
            BodyProcessor::Xml => xml::parse(parsed, limits, &mut out),
        };
        if let Err(error) = result {
            self.facts.body_error.get_or_insert(error);
        }
    }
}

/// Percent-decodes with `+` as space; invalid escapes are kept as they are.
pub(crate) fn percent_decode(input: &[u8]) -> Vec<u8> {
    urlencoded::decode(input).0
}

/// Counts arguments against [`Limits::max_args`] across the query and the body.
pub(crate) struct ArgBudget {
    left: usize,
    dropped: usize,
}

impl ArgBudget {
    fn new(max: usize) -> Self {
        Self {
            left: max,
            dropped: 0,
        }
    }

    /// Adds `field` to `out` if the budget allows; otherwise counts it as dropped.
    pub(crate) fn push(&mut self, out: &mut Vec<Field>, field: Field) {
        if self.left == 0 {
            self.dropped += 1;
        } else {
            self.left -= 1;
            out.push(field);
        }
    }
}

/// Where a body parser puts what it finds.
pub(crate) struct ParsedBody<'a> {
    /// Body arguments (form fields, JSON leaves, multipart text fields); push through
    /// `budget`.
    pub args: &'a mut Vec<Field>,
    /// Multipart files.
    pub files: &'a mut Vec<FileUpload>,
    /// XML text nodes and attributes.
    pub xml: &'a mut Vec<Field>,
    /// Multipart part header lines.
    pub part_headers: &'a mut Vec<Field>,
    /// Multipart anomalies.
    pub multipart: &'a mut MultipartFlags,
    /// The argument budget shared with the query.
    pub budget: &'a mut ArgBudget,
}

#[cfg(test)]
mod tests;
