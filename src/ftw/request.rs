//! The request of a stage: the bytes go-ftw would send, and what the web server in front
//! of the WAF would make of them.
//!
//! # From `encoded_request` (or `raw_request`)
//!
//! The bytes are the request. They are read the way a tolerant HTTP/1.x server reads
//! them: empty lines before the request line are skipped; the request line splits at its
//! first blank (method) and its last blank (protocol), so a target with blanks in it
//! stays whole, and a line with a single blank has an empty protocol (HTTP/0.9); header
//! lines split at their first colon, names are kept as sent and values lose the blanks
//! around them; a line starting with a blank continues the previous header (obsolete
//! line folding); a header line without a colon is kept as a name with an empty value.
//! Lines may end in CRLF or a bare LF. Nothing here fails: malformed input is carried
//! through for the rules to judge, with a note.
//!
//! # From the other fields
//!
//! go-ftw (`ftwhttp.BuildRequest`) writes the request line `METHOD URI VERSION` exactly
//! as given (defaults `GET`, `/`, `HTTP/1.1`; an empty version leaves a trailing blank),
//! then the headers: `ordered_headers` in order, or the `headers` map sorted by name.
//! `data` is the body, after Go template actions in it are expanded (see
//! [`expand_template`]); `encoded_data` is a base64 body. Then, unless
//! `autocomplete_headers: false` (or `stop_magic: true`):
//!
//! * when there is a body and no `Content-Type`, `Content-Type:
//!   application/x-www-form-urlencoded` is added;
//! * when the `Content-Type` is exactly `application/x-www-form-urlencoded` and the body
//!   has no `%` and no `+` (so URL-decoding would not change it), every `key=value`
//!   pair between `&`s is URL-encoded, key and value separately (Go's
//!   `url.QueryEscape`); a trailing `&` is dropped;
//! * `Connection: close` is added when there is no `Connection` header;
//! * `Content-Length` is added when there is none and there is a body or the method
//!   matches go-ftw's `^POST|PUT|PATCH|DELETE$` (a regex whose anchors bind to the first
//!   and last alternatives only, kept as it is).
//!
//! Whatever the autocompletion, when a `Content-Type` contains `multipart/form-data;`
//! every LF in the body becomes CRLF. No `Host` header is ever added: tests carry their
//! own. Added headers go after the test's own.
//!
//! # What the server hands on
//!
//! The built bytes ([`BuiltRequest::wire`]) are then read back as above, except that the
//! request line is the one given, so that a method or target with odd bytes stays
//! exactly as written. The body the WAF sees is framed as an HTTP/1.1 server frames it:
//! de-chunked when the last `Transfer-Encoding` coding is `chunked`, cut to
//! `Content-Length` otherwise, and empty when neither header is present (bytes after the
//! headers of such a request are not its body). Every such decision is recorded in
//! [`BuiltRequest::notes`].
//!
//! The client is always 127.0.0.1, where go-ftw runs; headers such as `X-Forwarded-For`
//! stay headers for the rules to read.

use crate::ftw::test_file::Input;
use base64::Engine as _;
use bytes::Bytes;
use std::borrow::Cow;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr};
use waf_core::request::RawRequest;

/// The largest body a Go template may expand to (`repeat` could ask for any size).
const MAX_TEMPLATE_OUTPUT: usize = 64 * 1024 * 1024;

/// A request as the WAF receives it, owning its parts; [`BuiltRequest::raw`] lends them
/// as a [`RawRequest`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuiltRequest {
    /// The method as sent.
    pub method: String,
    /// The request target as sent.
    pub uri: String,
    /// The protocol of the request line as sent (`HTTP/1.1`; empty for HTTP/0.9).
    pub protocol: String,
    /// Header fields in wire order, names as sent, values without surrounding blanks.
    pub headers: Vec<(Vec<u8>, Vec<u8>)>,
    /// The body after framing (see the [module docs](self)).
    pub body: Bytes,
    /// The client address: always 127.0.0.1.
    pub client: IpAddr,
    /// The exact bytes go-ftw would put on the wire.
    pub wire: Vec<u8>,
    /// How the bytes were read where that was not plain: framing, malformed lines.
    pub notes: Vec<String>,
}

impl BuiltRequest {
    /// The request as [`RequestView::from_raw`](waf_core::request::RequestView::from_raw)
    /// takes it.
    pub fn raw(&self) -> RawRequest<'_> {
        RawRequest {
            method: &self.method,
            uri: &self.uri,
            protocol: &self.protocol,
            headers: self
                .headers
                .iter()
                .map(|(name, value)| (name.as_slice(), value.as_slice()))
                .collect(),
            body: self.body.clone(),
            client: self.client,
        }
    }

    /// The target's path: everything before `?`.
    pub fn path(&self) -> &str {
        self.uri.split('?').next().unwrap_or_default()
    }
}

/// A stage whose request cannot be built: bad base64, an unsupported feature, a Go
/// template this harness does not evaluate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildError(pub String);

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BuildError {}

/// Builds the request of a stage. See the [module docs](self).
pub fn build(input: &Input) -> Result<BuiltRequest, BuildError> {
    let fail = |message: String| Err(BuildError(message));
    if input.uris.as_ref().is_some_and(|uris| !uris.is_empty()) {
        return fail(
            "`uris` (one stage, several targets) is not supported; write one stage per target"
                .into(),
        );
    }
    if input.follow_redirect == Some(true) {
        return fail(
            "`follow_redirect` is not supported: the emulated backend never redirects".into(),
        );
    }
    if input.save_cookie == Some(true) {
        return fail("`save_cookie` is not supported: the emulated backend sets no cookies".into());
    }
    let encoded_request = input.encoded_request.as_deref().filter(|e| !e.is_empty());
    let has_data = input.data.as_ref().is_some_and(|d| !d.text().is_empty());
    if encoded_request.is_some() && has_data {
        // go-ftw refuses this combination too.
        return fail("'data' and 'encoded_request' must not be set simultaneously".into());
    }
    if let Some(encoded) = encoded_request {
        let bytes = decode_base64(encoded)
            .map_err(|e| BuildError(format!("encoded_request is not valid base64: {e}")))?;
        return Ok(parse_raw(&bytes));
    }
    if let Some(raw) = input.raw_request.as_deref().filter(|r| !r.is_empty()) {
        return Ok(parse_raw(raw.as_bytes()));
    }
    build_from_fields(input)
}

/// Reads raw request bytes as a tolerant server does. Never fails.
pub fn parse_raw(bytes: &[u8]) -> BuiltRequest {
    let mut notes = Vec::new();
    let mut rest = bytes;
    // RFC 9112 §2.2: a server should ignore empty lines before the request line.
    loop {
        if let Some(after) = rest.strip_prefix(b"\r\n") {
            rest = after;
        } else if let Some(after) = rest.strip_prefix(b"\n") {
            rest = after;
        } else {
            break;
        }
    }
    let (line, after_line) = split_line(rest);
    let line = text(line, "request line", &mut notes);
    let (method, target) = line.split_once(' ').unwrap_or((&line, ""));
    let (uri, protocol) = target.rsplit_once(' ').unwrap_or((target, ""));
    let (method, uri, protocol) = (method.to_owned(), uri.to_owned(), protocol.to_owned());
    read_message(method, uri, protocol, after_line, bytes.to_vec(), notes)
}

/// go-ftw's request from method, target, version, headers and data.
fn build_from_fields(input: &Input) -> Result<BuiltRequest, BuildError> {
    let method = input.method.clone().unwrap_or_else(|| "GET".into());
    let uri = input.uri.clone().unwrap_or_else(|| "/".into());
    let version = input.version.clone().unwrap_or_else(|| "HTTP/1.1".into());
    let mut headers: Vec<(String, String)> = match (&input.ordered_headers, &input.headers) {
        (Some(ordered), _) => ordered
            .iter()
            .map(|h| (h.name.clone(), h.value.clone()))
            .collect(),
        (None, Some(map)) => {
            let mut sorted = map.0.clone();
            // go-ftw sorts the map's names (Go string order: bytes) for a stable order.
            sorted.sort_by(|a, b| a.0.cmp(&b.0));
            sorted
        }
        (None, None) => Vec::new(),
    };
    let mut data = match (&input.data, &input.encoded_data) {
        (Some(data), _) => {
            expand_template(&data.text()).map_err(|e| BuildError(format!("data: {e}")))?
        }
        (None, Some(encoded)) => decode_base64(encoded)
            .map_err(|e| BuildError(format!("encoded_data is not valid base64: {e}")))?,
        (None, None) => Vec::new(),
    };
    let autocomplete = input.autocomplete();
    if autocomplete && !data.is_empty() {
        if !has_header(&headers, "Content-Type") {
            headers.push(("Content-Type".into(), FORM_URLENCODED.into()));
        }
        let form = headers.iter().any(|(name, value)| {
            header_is(name, "Content-Type") && value.eq_ignore_ascii_case(FORM_URLENCODED)
        });
        if form && !data.contains(&b'%') && !data.contains(&b'+') {
            data = encode_form(&data);
        }
    }
    let multipart = headers.iter().any(|(name, value)| {
        header_is(name, "Content-Type")
            && value.to_ascii_lowercase().contains("multipart/form-data;")
    });
    if multipart {
        data = crlf_lines(&data);
    }
    if autocomplete {
        if !has_header(&headers, "Connection") {
            headers.push(("Connection".into(), "close".into()));
        }
        if !has_header(&headers, "Content-Length")
            && (!data.is_empty() || method_expects_body(&method))
        {
            headers.push(("Content-Length".into(), data.len().to_string()));
        }
    }
    let request_line = format!("{method} {uri} {version}\r\n");
    let mut wire = request_line.clone().into_bytes();
    for (name, value) in &headers {
        wire.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
    }
    wire.extend_from_slice(b"\r\n");
    wire.extend_from_slice(&data);
    let after_line = &wire[request_line.len()..];
    Ok(read_message(
        method,
        uri,
        version,
        after_line,
        wire.clone(),
        Vec::new(),
    ))
}

const FORM_URLENCODED: &str = "application/x-www-form-urlencoded";

/// Reads headers and body after the request line.
fn read_message(
    method: String,
    uri: String,
    protocol: String,
    after_line: &[u8],
    wire: Vec<u8>,
    mut notes: Vec<String>,
) -> BuiltRequest {
    let mut headers: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    let mut rest = after_line;
    let mut ended = false;
    while !rest.is_empty() {
        let (line, after) = split_line(rest);
        rest = after;
        if line.is_empty() {
            ended = true;
            break;
        }
        // Obsolete line folding: a line starting with a blank continues the previous
        // value.
        if (line[0] == b' ' || line[0] == b'\t')
            && let Some((_, value)) = headers.last_mut()
        {
            if !value.is_empty() {
                value.push(b' ');
            }
            value.extend_from_slice(line.trim_ascii());
            notes.push("a folded header line continues the previous header".into());
            continue;
        }
        match line.iter().position(|&b| b == b':') {
            Some(colon) => headers.push((
                line[..colon].to_vec(),
                trim_blanks(&line[colon + 1..]).to_vec(),
            )),
            None => {
                notes.push(format!(
                    "header line without a colon kept as a name: {:?}",
                    String::from_utf8_lossy(line)
                ));
                headers.push((line.to_vec(), Vec::new()));
            }
        }
    }
    if !ended {
        notes.push("the headers do not end with an empty line".into());
    }
    let body = frame_body(&headers, rest, &mut notes);
    BuiltRequest {
        method,
        uri,
        protocol,
        headers,
        body: Bytes::from(body),
        client: IpAddr::V4(Ipv4Addr::LOCALHOST),
        wire,
        notes,
    }
}

/// The body a server reads after the headers: see the [module docs](self).
fn frame_body(headers: &[(Vec<u8>, Vec<u8>)], rest: &[u8], notes: &mut Vec<String>) -> Vec<u8> {
    let values = |name: &str| -> Vec<String> {
        headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name.as_bytes()))
            .map(|(_, v)| String::from_utf8_lossy(v).into_owned())
            .collect()
    };
    let transfer_encoding = values("Transfer-Encoding");
    if !transfer_encoding.is_empty() {
        let codings = transfer_encoding.join(",");
        let last = codings.rsplit(',').next().unwrap_or_default().trim();
        if !last.eq_ignore_ascii_case("chunked") {
            notes.push(format!(
                "Transfer-Encoding {codings:?} does not end in chunked: body kept as sent"
            ));
            return rest.to_vec();
        }
        return match dechunk(rest) {
            Ok(body) => body,
            Err(what) => {
                notes.push(format!("malformed chunked body ({what}): kept as sent"));
                rest.to_vec()
            }
        };
    }
    let lengths = values("Content-Length");
    if lengths.is_empty() {
        if !rest.is_empty() {
            notes.push(format!(
                "{} bytes after the headers are not part of the request: it has neither \
                 Content-Length nor Transfer-Encoding",
                rest.len()
            ));
        }
        return Vec::new();
    }
    // Digits only: Rust's parser would also take a sign.
    let number = |v: &String| {
        let v = v.trim();
        let digits = !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit());
        digits.then(|| v.parse::<usize>().ok()).flatten()
    };
    let parsed: Vec<Option<usize>> = lengths.iter().map(number).collect();
    match parsed.first() {
        Some(Some(length)) if parsed.iter().all(|p| *p == Some(*length)) => {
            let length = *length;
            if length < rest.len() {
                notes.push(format!(
                    "{} bytes after the Content-Length of {length} are not part of the request",
                    rest.len() - length
                ));
            } else if length > rest.len() {
                notes.push(format!(
                    "Content-Length says {length} bytes but only {} were sent",
                    rest.len()
                ));
            }
            rest[..length.min(rest.len())].to_vec()
        }
        _ => {
            notes.push(format!(
                "Content-Length {lengths:?} is not one number: body kept as sent"
            ));
            rest.to_vec()
        }
    }
}

/// Decodes a chunked body; trailers are dropped.
fn dechunk(mut rest: &[u8]) -> Result<Vec<u8>, String> {
    let mut body = Vec::new();
    loop {
        if rest.is_empty() {
            return Err("no last chunk".into());
        }
        let (line, after) = split_line(rest);
        let size_text = String::from_utf8_lossy(line);
        let size_text = size_text.split(';').next().unwrap_or_default().trim();
        let size = Some(size_text)
            .filter(|t| !t.is_empty() && t.bytes().all(|b| b.is_ascii_hexdigit()))
            .and_then(|t| usize::from_str_radix(t, 16).ok())
            .ok_or_else(|| format!("bad chunk size {size_text:?}"))?;
        if size == 0 {
            return Ok(body);
        }
        let chunk = after
            .get(..size)
            .ok_or_else(|| format!("chunk of {size} bytes is cut short"))?;
        body.extend_from_slice(chunk);
        let after_chunk = &after[size..];
        rest = after_chunk
            .strip_prefix(b"\r\n")
            .or_else(|| after_chunk.strip_prefix(b"\n"))
            .ok_or("a chunk does not end with a line break")?;
    }
}

/// The line before the first LF (without a CR before it), and what follows the LF.
fn split_line(bytes: &[u8]) -> (&[u8], &[u8]) {
    match bytes.iter().position(|&b| b == b'\n') {
        Some(end) => {
            let line = &bytes[..end];
            (line.strip_suffix(b"\r").unwrap_or(line), &bytes[end + 1..])
        }
        None => (bytes, &[]),
    }
}

/// Text for a `String` field; invalid UTF-8 is replaced, with a note.
fn text(bytes: &[u8], what: &str, notes: &mut Vec<String>) -> String {
    let text = String::from_utf8_lossy(bytes);
    if let Cow::Owned(_) = text {
        notes.push(format!(
            "the {what} is not UTF-8: invalid bytes replaced by U+FFFD"
        ));
    }
    text.into_owned()
}

fn trim_blanks(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|&b| b != b' ' && b != b'\t')
        .unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|&b| b != b' ' && b != b'\t')
        .map_or(start, |i| i + 1);
    &bytes[start..end]
}

/// go-ftw compares header names by their canonical MIME form, which for a name that is a
/// valid token means ignoring ASCII case, and for any other name leaves it as it is.
fn header_is(name: &str, canonical: &str) -> bool {
    if name.bytes().all(is_token_byte) {
        name.eq_ignore_ascii_case(canonical)
    } else {
        name == canonical
    }
}

fn has_header(headers: &[(String, String)], canonical: &str) -> bool {
    headers.iter().any(|(name, _)| header_is(name, canonical))
}

fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// go-ftw's `^POST|PUT|PATCH|DELETE$`, alternatives and anchors as Go reads them.
fn method_expects_body(method: &str) -> bool {
    method.starts_with("POST")
        || method.contains("PUT")
        || method.contains("PATCH")
        || method.ends_with("DELETE")
}

/// URL-encodes each `key=value` pair between `&`s, as go-ftw does for form bodies.
fn encode_form(data: &[u8]) -> Vec<u8> {
    // go-ftw's loop stops when nothing is left after an `&`, so a trailing `&` yields no
    // empty last pair.
    let data = data.strip_suffix(b"&").unwrap_or(data);
    let mut out = Vec::with_capacity(data.len());
    for pair in data.split(|&b| b == b'&') {
        match pair.iter().position(|&b| b == b'=') {
            Some(eq) => {
                query_escape(&pair[..eq], &mut out);
                out.push(b'=');
                query_escape(&pair[eq + 1..], &mut out);
            }
            None => query_escape(pair, &mut out),
        }
        out.push(b'&');
    }
    out.pop();
    out
}

/// Go's `url.QueryEscape`: unreserved bytes stay, a blank becomes `+`, the rest `%XX`.
fn query_escape(bytes: &[u8], out: &mut Vec<u8>) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &b in bytes {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b),
            b' ' => out.push(b'+'),
            _ => out.extend_from_slice(&[b'%', HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]]),
        }
    }
}

/// Every LF becomes CRLF (an existing CRLF too, as in go-ftw).
fn crlf_lines(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + data.len() / 16);
    for &b in data {
        if b == b'\n' {
            out.push(b'\r');
        }
        out.push(b);
    }
    out
}

/// Go's standard base64, which skips line breaks.
fn decode_base64(text: &str) -> Result<Vec<u8>, base64::DecodeError> {
    let compact: String = text.chars().filter(|&c| c != '\r' && c != '\n').collect();
    base64::engine::general_purpose::STANDARD.decode(compact)
}

/// Expands the Go template actions go-ftw evaluates in `data` (it runs `data` through
/// Go's `text/template` with the sprig functions).
///
/// The subset evaluated here is what test suites use: string literals (`"…"` with Go
/// escapes, or `` `…` ``), optionally piped into or given to sprig's `repeat COUNT
/// STRING`, comments (`{{/* … */}}`), and the `{{-` / `-}}` markers that trim blanks
/// around an action. Anything else is an error naming the action, rather than a body
/// silently different from the one upstream sends. Text without `{{` is returned as it
/// is.
///
/// ```
/// use waf::ftw::request::expand_template;
/// assert_eq!(expand_template(r#"a={{ "1" | repeat 3 }}"#).unwrap(), b"a=111");
/// assert_eq!(expand_template("x {{- /* note */ -}} y").unwrap(), b"xy");
/// assert!(expand_template("{{ .Payload }}").is_err());
/// ```
pub fn expand_template(text: &str) -> Result<Vec<u8>, String> {
    let mut out: Vec<u8> = Vec::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find("{{") {
        out.extend_from_slice(&rest.as_bytes()[..open]);
        let after_open = &rest[open + 2..];
        let close = after_open
            .find("}}")
            .ok_or_else(|| format!("unclosed template action {:?}", cut(&rest[open..])))?;
        let mut action = &after_open[..close];
        rest = &after_open[close + 2..];
        // `{{- ` trims blanks before the action, ` -}}` after it.
        if let Some(inner) = action.strip_prefix("- ") {
            action = inner;
            while out.last().is_some_and(u8::is_ascii_whitespace) {
                out.pop();
            }
        }
        if let Some(inner) = action.strip_suffix(" -") {
            action = inner;
            rest = rest.trim_start_matches([' ', '\t', '\r', '\n']);
        }
        out.extend(evaluate_action(action.trim())?);
        if out.len() > MAX_TEMPLATE_OUTPUT {
            return Err(format!("template output over {MAX_TEMPLATE_OUTPUT} bytes"));
        }
    }
    out.extend_from_slice(rest.as_bytes());
    Ok(out)
}

/// One action: a comment, a literal, `repeat N LIT`, or a pipeline of those.
fn evaluate_action(action: &str) -> Result<Vec<u8>, String> {
    let unsupported = |why: &str| {
        format!(
            "template action {{{{ {action} }}}}: {why} (supported: string literals, \
             sprig's repeat, comments)"
        )
    };
    if action.starts_with("/*") && action.ends_with("*/") {
        return Ok(Vec::new());
    }
    let tokens = tokenize(action).map_err(|e| unsupported(&e))?;
    let mut value: Option<Vec<u8>> = None;
    for command in tokens.split(|t| *t == Token::Pipe) {
        value = Some(match (command, value.take()) {
            ([Token::Str(s)], None) => s.clone(),
            ([Token::Ident(f), Token::Int(n), Token::Str(s)], None) if f == "repeat" => {
                repeat(s, *n)?
            }
            ([Token::Ident(f), Token::Int(n)], Some(piped)) if f == "repeat" => repeat(&piped, *n)?,
            _ => return Err(unsupported("not understood")),
        });
    }
    value.ok_or_else(|| unsupported("empty action"))
}

fn repeat(s: &[u8], count: u64) -> Result<Vec<u8>, String> {
    let count = usize::try_from(count).unwrap_or(usize::MAX);
    if s.len().saturating_mul(count) > MAX_TEMPLATE_OUTPUT {
        return Err(format!(
            "repeat {count}: output over {MAX_TEMPLATE_OUTPUT} bytes"
        ));
    }
    Ok(s.repeat(count))
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Str(Vec<u8>),
    Int(u64),
    Ident(String),
    Pipe,
}

fn tokenize(action: &str) -> Result<Vec<Token>, String> {
    let mut tokens = Vec::new();
    let mut chars = action.char_indices().peekable();
    while let Some(&(start, c)) = chars.peek() {
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            '|' => {
                chars.next();
                tokens.push(Token::Pipe);
            }
            '`' => {
                chars.next();
                let mut body = String::new();
                loop {
                    match chars.next() {
                        Some((_, '`')) => break,
                        Some((_, c)) => body.push(c),
                        None => return Err("unterminated raw string".into()),
                    }
                }
                tokens.push(Token::Str(body.into_bytes()));
            }
            '"' => {
                chars.next();
                tokens.push(Token::Str(go_string(&mut chars)?));
            }
            c if c.is_ascii_digit() => {
                let mut end = start;
                while let Some(&(i, d)) = chars.peek().filter(|(_, d)| d.is_ascii_digit()) {
                    end = i + d.len_utf8();
                    chars.next();
                }
                let number = action[start..end]
                    .parse()
                    .map_err(|_| format!("number {:?} too large", &action[start..end]))?;
                tokens.push(Token::Int(number));
            }
            c if c.is_alphabetic() || c == '_' => {
                let mut end = start;
                while let Some(&(i, d)) = chars
                    .peek()
                    .filter(|(_, d)| d.is_alphanumeric() || *d == '_')
                {
                    end = i + d.len_utf8();
                    chars.next();
                }
                tokens.push(Token::Ident(action[start..end].to_owned()));
            }
            other => return Err(format!("unexpected {other:?}")),
        }
    }
    Ok(tokens)
}

/// The rest of a Go interpreted string literal, after its opening quote.
type CharStream<'a> = std::iter::Peekable<std::str::CharIndices<'a>>;

fn go_string(chars: &mut CharStream<'_>) -> Result<Vec<u8>, String> {
    fn hex(chars: &mut CharStream<'_>, digits: usize) -> Result<u32, String> {
        let text: String = chars.by_ref().take(digits).map(|(_, c)| c).collect();
        u32::from_str_radix(&text, 16)
            .ok()
            .filter(|_| text.len() == digits)
            .ok_or_else(|| format!("bad escape digits {text:?}"))
    }
    let mut out = Vec::new();
    loop {
        let (_, c) = chars.next().ok_or("unterminated string")?;
        match c {
            '"' => return Ok(out),
            '\\' => {
                let (_, e) = chars.next().ok_or("unterminated string")?;
                match e {
                    'n' => out.push(b'\n'),
                    'r' => out.push(b'\r'),
                    't' => out.push(b'\t'),
                    'a' => out.push(7),
                    'b' => out.push(8),
                    'f' => out.push(12),
                    'v' => out.push(11),
                    '\\' | '"' | '\'' => out.push(e as u8),
                    // `\xHH` is one byte, which need not be UTF-8 on its own.
                    'x' => out.push(u8::try_from(hex(chars, 2)?).map_err(|e| e.to_string())?),
                    'u' | 'U' => {
                        let code = hex(chars, if e == 'u' { 4 } else { 8 })?;
                        let c = char::from_u32(code).ok_or(format!("bad code point {code:#x}"))?;
                        out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
                    }
                    other => return Err(format!("unsupported escape \\{other}")),
                }
            }
            c => out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes()),
        }
    }
}

/// The start of `text`, for error messages.
fn cut(text: &str) -> String {
    text.chars().take(40).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_encoding_matches_go_ftw() {
        assert_eq!(encode_form(b"a=b c&d=<x>"), b"a=b+c&d=%3Cx%3E");
        assert_eq!(encode_form(b"a=1&"), b"a=1");
        assert_eq!(encode_form(b"a&&b=="), b"a&&b=%3D");
        assert_eq!(encode_form(b"k=v=w"), b"k=v%3Dw");
    }

    #[test]
    fn method_regex_keeps_go_precedence() {
        for (method, expected) in [
            ("POST", true),
            ("POSTX", true),
            ("XPUTX", true),
            ("PATCHY", true),
            ("XDELETE", true),
            ("DELETEX", false),
            ("GET", false),
        ] {
            assert_eq!(method_expects_body(method), expected, "{method}");
        }
    }

    #[test]
    fn dechunk_reads_chunks_and_rejects_garbage() {
        assert_eq!(
            dechunk(b"3\r\nHi \r\n3;x=y\r\nCRS\r\n0\r\n\r\n"),
            Ok(b"Hi CRS".to_vec())
        );
        assert!(dechunk(b"zz\r\n").is_err());
        assert!(dechunk(b"5\r\nab").is_err());
    }

    #[test]
    fn templates_expand_literals_and_repeat() {
        assert_eq!(
            expand_template(r#"{{ repeat 2 "ab" }}"#),
            Ok(b"abab".to_vec())
        );
        assert_eq!(
            expand_template(r#"{{ "\x41\u00e9" }}"#),
            Ok("Aé".as_bytes().to_vec())
        );
        assert_eq!(expand_template("{{`raw`}}"), Ok(b"raw".to_vec()));
        assert!(expand_template("{{ repeat 2 }}").is_err());
        assert!(expand_template("{{ \"a\" ").is_err());
    }
}
