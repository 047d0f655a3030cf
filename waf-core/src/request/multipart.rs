//! `multipart/form-data` bodies (RFC 7578 over RFC 2046), read the way ModSecurity
//! reads them.
//!
//! The body is a series of parts, each opened by a `--boundary` line and made of header
//! lines, an empty line and the content; a `--boundary--` line closes the body. A part
//! whose `Content-Disposition` has a `filename` is a file (its name, size and type go to
//! [`ParsedBody::files`], its content to no argument); any other named part is a text
//! field pushed as a body argument.
//!
//! The parser promises:
//! - it never panics, runs in time linear in the input and allocates no more than the
//!   input's size (contents are slices of the body, copied at most once);
//! - every oddity an evasion could hide behind is reported: the [`MultipartFlags`] that
//!   ModSecurity sets, and a [`BodyErrorKind::Malformed`] error (the first one, naming the
//!   byte offset) when the structure is broken. It keeps reading after an error, so the
//!   later parts and flags are still there for the rules.

use super::{BodyError, BodyErrorKind, Field, FileUpload, Limits, MultipartFlags, ParsedBody};

/// Pushes the fields and files of the multipart `body` into `out`.
pub(super) fn parse(
    content_type: &[u8],
    body: &[u8],
    limits: &Limits,
    out: &mut ParsedBody<'_>,
) -> Result<(), BodyError> {
    let boundary = boundary(content_type, out.multipart)?;
    let mut parser = Parser {
        boundary: &boundary,
        limits,
        error: None,
        parts: 0,
    };
    parser.body(body, out);
    parser.error.map_or(Ok(()), Err)
}

/// Takes the `boundary` parameter out of a `multipart/form-data` content type.
fn boundary(content_type: &[u8], flags: &mut MultipartFlags) -> Result<Vec<u8>, BodyError> {
    let malformed =
        |what: &str| BodyError::new(BodyErrorKind::Malformed, format!("multipart: {what}"));
    let mut found = None;
    for param in content_type.split(|&b| b == b';').skip(1) {
        let Some(eq) = param.iter().position(|&b| b == b'=') else {
            continue;
        };
        let (name, value) = param.split_at(eq);
        let value = value.get(1..).unwrap_or_default();
        if !name.trim_ascii().eq_ignore_ascii_case(b"boundary") {
            continue;
        }
        if found.is_some() {
            // Which one a back end picks is anyone's guess, so refuse to guess.
            return Err(malformed(
                "more than one boundary parameter in the content type",
            ));
        }
        let padded = name.last().is_some_and(u8::is_ascii_whitespace)
            || value.first().is_some_and(u8::is_ascii_whitespace);
        let value = value.trim_ascii_start();
        let boundary = match value.strip_prefix(b"\"") {
            Some(quoted) => {
                flags.boundary_quoted = true;
                let Some(end) = quoted.iter().position(|&b| b == b'"') else {
                    return Err(malformed("unterminated quote in the boundary parameter"));
                };
                quoted.get(..end).unwrap_or_default()
            }
            None => {
                flags.boundary_whitespace |= value.last().is_some_and(u8::is_ascii_whitespace);
                value.trim_ascii_end()
            }
        };
        flags.boundary_whitespace |= padded || boundary.iter().any(u8::is_ascii_whitespace);
        found = Some(boundary.to_vec());
    }
    let boundary = found.ok_or_else(|| malformed("no boundary parameter in the content type"))?;
    if boundary.is_empty() {
        return Err(malformed("empty boundary"));
    }
    if !boundary.iter().all(|&b| is_boundary_char(b) || b == b' ') {
        return Err(malformed("invalid character in the boundary"));
    }
    Ok(boundary)
}

/// RFC 2046 `bcharsnospace`.
fn is_boundary_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"'()+_,-./:=?".contains(&b)
}

/// Where the parser is in the body.
enum State {
    /// Before the first boundary.
    Preamble,
    /// Reading the header lines of a part.
    Headers(PartHeaders),
    /// Reading a part's content, which started at this offset.
    Content(PartHeaders, usize),
    /// After the closing boundary.
    Epilogue,
}

/// The part headers the parser uses.
#[derive(Default)]
struct PartHeaders {
    disposition: Option<Vec<u8>>,
    content_type: Option<Vec<u8>>,
    /// Every header line as sent (folded lines joined), for `MULTIPART_PART_HEADERS`.
    lines: Vec<Vec<u8>>,
    /// The header a folded line continues, if one can be continued.
    last: Option<Header>,
}

#[derive(Clone, Copy)]
enum Header {
    Disposition,
    ContentType,
    Other,
}

/// What one line of the body is.
enum Line {
    /// `--boundary`, or `--boundary--` when `closing`.
    Delimiter {
        closing: bool,
    },
    Other,
}

struct Parser<'a> {
    boundary: &'a [u8],
    limits: &'a Limits,
    /// The first structural error; reading goes on after it.
    error: Option<BodyError>,
    /// Parts opened so far, to name them in errors.
    parts: usize,
}

impl Parser<'_> {
    fn body(&mut self, body: &[u8], out: &mut ParsedBody<'_>) {
        let mut state = State::Preamble;
        let mut offset = 0;
        for raw in body.split_inclusive(|&b| b == b'\n') {
            let start = offset;
            offset += raw.len();
            let (line, lf_only) = match raw.strip_suffix(b"\n") {
                Some(line) => match line.strip_suffix(b"\r") {
                    Some(line) => (line, false),
                    None => (line, true),
                },
                None => (raw, false),
            };
            match self.classify(line, start, out.multipart) {
                Line::Delimiter { closing } => {
                    out.multipart.lf_line |= lf_only;
                    // Nothing after the closing delimiter opens a part again.
                    let reopen = match std::mem::replace(&mut state, State::Epilogue) {
                        State::Preamble => {
                            out.multipart.data_before =
                                has_data(body.get(..start).unwrap_or_default());
                            true
                        }
                        State::Headers(_) => {
                            out.multipart.invalid_part = true;
                            self.fail(start, "part headers not followed by an empty line");
                            true
                        }
                        State::Content(headers, content_start) => {
                            // The line break before the delimiter belongs to the delimiter.
                            let before = body.get(..start).unwrap_or_default();
                            let end = match before.strip_suffix(b"\n") {
                                Some(rest) if rest.ends_with(b"\r") => start - 2,
                                Some(_) => {
                                    out.multipart.lf_line = true;
                                    start - 1
                                }
                                None => start,
                            };
                            let content = body.get(content_start..end).unwrap_or_default();
                            self.finish_part(headers, content, start, out);
                            true
                        }
                        State::Epilogue => {
                            out.multipart.data_after = true;
                            false
                        }
                    };
                    if reopen && !closing {
                        self.parts += 1;
                        state = State::Headers(PartHeaders::default());
                    }
                }
                Line::Other => match &mut state {
                    State::Preamble | State::Content(..) => {}
                    State::Headers(headers) => {
                        out.multipart.lf_line |= lf_only;
                        if line.is_empty() {
                            let headers = std::mem::take(headers);
                            state = State::Content(headers, offset);
                        } else {
                            self.header_line(headers, line, start, out.multipart);
                        }
                    }
                    State::Epilogue => out.multipart.data_after |= has_data(raw),
                },
            }
        }
        match state {
            State::Preamble => {
                out.multipart.data_before = has_data(body);
                out.multipart.incomplete = true;
                self.fail(body.len(), "no boundary line in the body");
            }
            State::Headers(_) => {
                out.multipart.incomplete = true;
                self.fail(body.len(), "body ends inside part headers");
            }
            State::Content(headers, content_start) => {
                // Keep the unfinished part: its bytes still deserve inspection.
                let content = body.get(content_start..).unwrap_or_default();
                self.finish_part(headers, content, body.len(), out);
                out.multipart.incomplete = true;
                self.fail(body.len(), "no closing boundary");
            }
            State::Epilogue => {}
        }
    }

    /// Tells a delimiter from other lines, flagging lines that only look like one.
    fn classify(&mut self, line: &[u8], at: usize, flags: &mut MultipartFlags) -> Line {
        let Some(rest) = line.strip_prefix(b"--") else {
            return Line::Other;
        };
        if let Some(after) = rest.strip_prefix(self.boundary) {
            let (closing, after) = match after.strip_prefix(b"--") {
                Some(after) => (true, after),
                None => (false, after),
            };
            // RFC 2046 allows white space after a delimiter; anything else makes the line
            // neither content nor delimiter, and parsers disagree on which.
            if after.iter().all(|&b| b == b' ' || b == b'\t') {
                return Line::Delimiter { closing };
            }
            self.fail(at, "boundary followed by other characters");
            return Line::Other;
        }
        // `-- boundary` and `--"boundary"` are the boundary to some parsers.
        let loose = rest.trim_ascii_start();
        if loose
            .strip_prefix(b"\"")
            .unwrap_or(loose)
            .starts_with(self.boundary)
        {
            flags.unmatched_boundary = true;
            self.fail(at, "boundary with white space or quotes");
            return Line::Other;
        }
        // At most a 70-byte boundary (RFC 2046's longest) and a closing `--`.
        let token = rest.trim_ascii_end();
        if !token.is_empty() && token.len() <= 72 && token.iter().all(|&b| is_boundary_char(b)) {
            flags.unmatched_boundary = true;
        }
        Line::Other
    }

    /// Reads one part header line (not the empty line that ends them).
    fn header_line(
        &mut self,
        headers: &mut PartHeaders,
        line: &[u8],
        at: usize,
        flags: &mut MultipartFlags,
    ) {
        if line.first().is_some_and(|&b| b == b' ' || b == b'\t') {
            flags.header_folding = true;
            if let Some(last) = headers.lines.last_mut() {
                last.push(b' ');
                last.extend_from_slice(line.trim_ascii());
            }
            let value = match headers.last {
                Some(Header::Disposition) => headers.disposition.as_mut(),
                Some(Header::ContentType) => headers.content_type.as_mut(),
                Some(Header::Other) => return,
                None => {
                    flags.invalid_header_folding = true;
                    return self.fail(at, "folded line without a header to continue");
                }
            };
            if let Some(value) = value {
                value.push(b' ');
                value.extend_from_slice(line.trim_ascii());
            }
            return;
        }
        headers.lines.push(line.to_vec());
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            flags.invalid_header_folding = true;
            headers.last = None;
            return self.fail(at, "part header line without `:`");
        };
        let (name, value) = line.split_at(colon);
        let value = value.get(1..).unwrap_or_default().trim_ascii().to_vec();
        let name = name.trim_ascii();
        let (slot, header) = if name.eq_ignore_ascii_case(b"content-disposition") {
            (&mut headers.disposition, Header::Disposition)
        } else if name.eq_ignore_ascii_case(b"content-type") {
            (&mut headers.content_type, Header::ContentType)
        } else {
            headers.last = Some(Header::Other);
            return;
        };
        if slot.is_some() {
            // A repeated header could mean either value; keep the first, and say so.
            flags.invalid_part = true;
            headers.last = Some(Header::Other);
            return self.fail(at, "repeated part header");
        }
        *slot = Some(value);
        headers.last = Some(header);
    }

    /// Turns a finished part into a field or a file.
    fn finish_part(
        &mut self,
        headers: PartHeaders,
        content: &[u8],
        at: usize,
        out: &mut ParsedBody<'_>,
    ) {
        let Some(disposition) = headers.disposition else {
            out.multipart.invalid_part = true;
            return;
        };
        let Some(Disposition { name, filename }) =
            self.disposition(&disposition, at, out.multipart)
        else {
            out.multipart.invalid_part = true;
            return;
        };
        let Some(name) = name else {
            out.multipart.invalid_part = true;
            return;
        };
        for line in headers.lines {
            if out.part_headers.len() < self.limits.max_args {
                out.part_headers.push(Field::new(name.clone(), line));
            }
        }
        match filename {
            Some(filename) if out.files.len() < self.limits.max_files => {
                out.files.push(FileUpload {
                    field: name,
                    filename,
                    size: content.len(),
                    content_type: headers.content_type,
                })
            }
            Some(_) => out.multipart.file_limit_exceeded = true,
            None => out.budget.push(out.args, Field::new(name, content)),
        }
    }

    /// Parses `form-data; name="x"; filename="y"`; `None` when it is not `form-data`.
    fn disposition(
        &mut self,
        value: &[u8],
        at: usize,
        flags: &mut MultipartFlags,
    ) -> Option<Disposition> {
        let mut rest = strip_prefix_ignore_case(value, b"form-data").filter(|rest| {
            rest.first()
                .is_none_or(|&b| b == b';' || b.is_ascii_whitespace())
        })?;
        let mut result = Disposition::default();
        loop {
            rest = rest.trim_ascii_start();
            if rest.is_empty() {
                return Some(result);
            }
            match rest.strip_prefix(b";") {
                Some(after) => rest = after.trim_ascii_start(),
                // A parameter straight after `form-data` or a value: `name="a"filename="b"`.
                None => flags.missing_semicolon = true,
            }
            let name_end = rest
                .iter()
                .position(|&b| b == b'=' || b == b';' || b.is_ascii_whitespace())
                .unwrap_or(rest.len());
            let (param, after) = rest.split_at(name_end);
            rest = after.trim_ascii_start();
            let Some(after) = rest.strip_prefix(b"=") else {
                if !param.is_empty() {
                    flags.invalid_part = true;
                }
                continue;
            };
            let (param_value, after) = param_value(after.trim_ascii_start(), flags);
            rest = after;
            let slot = if param.eq_ignore_ascii_case(b"name") {
                &mut result.name
            } else if param.eq_ignore_ascii_case(b"filename")
                || param.eq_ignore_ascii_case(b"filename*")
            {
                &mut result.filename
            } else {
                continue;
            };
            if slot.is_some() {
                flags.invalid_part = true;
                self.fail(at, "repeated Content-Disposition parameter");
            } else {
                *slot = Some(param_value);
            }
        }
    }

    fn fail(&mut self, at: usize, what: &str) {
        let part = self.parts;
        self.error.get_or_insert_with(|| {
            BodyError::new(
                BodyErrorKind::Malformed,
                format!("multipart: {what} at byte {at} (part {part})"),
            )
        });
    }
}

#[derive(Default)]
struct Disposition {
    name: Option<Vec<u8>>,
    filename: Option<Vec<u8>>,
}

/// Reads a parameter value, quoted (with `\"` and `\\` escapes) or not, and returns it
/// with the rest of the header.
fn param_value<'a>(input: &'a [u8], flags: &mut MultipartFlags) -> (Vec<u8>, &'a [u8]) {
    let Some(quoted) = input.strip_prefix(b"\"") else {
        let end = input
            .iter()
            .position(|&b| b == b';' || b.is_ascii_whitespace())
            .unwrap_or(input.len());
        let (value, rest) = input.split_at(end);
        flags.invalid_quoting |= value.iter().any(|&b| b == b'"' || b == b'\'');
        return (value.to_vec(), rest);
    };
    let mut value = Vec::new();
    let mut bytes = quoted.iter().enumerate();
    while let Some((i, &b)) = bytes.next() {
        match b {
            b'"' => return (value, quoted.get(i + 1..).unwrap_or_default()),
            b'\\' if matches!(quoted.get(i + 1), Some(b'"' | b'\\')) => {
                if let Some((_, &escaped)) = bytes.next() {
                    value.push(escaped);
                }
            }
            _ => value.push(b),
        }
    }
    flags.invalid_quoting = true;
    (value, &[])
}

fn strip_prefix_ignore_case<'a>(input: &'a [u8], prefix: &[u8]) -> Option<&'a [u8]> {
    let input = input.trim_ascii_start();
    let head = input.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| input.get(prefix.len()..).unwrap_or_default())
}

/// True when `bytes` holds anything but line breaks.
fn has_data(bytes: &[u8]) -> bool {
    bytes.iter().any(|&b| b != b'\r' && b != b'\n')
}
