/// What the parser noticed about a request: the facts that rules test, like
/// ModSecurity's `REQBODY_ERROR`, `URLENCODED_ERROR` and `MULTIPART_*` variables.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    /// A `%` in the path, query or a urlencoded body was not followed by two hex digits.
    pub invalid_url_encoding: bool,
    /// The body could not be parsed as its content type says; what was parsed is kept.
    pub body_error: Option<BodyError>,
    /// More arguments than [`Limits::max_args`](super::Limits::max_args) arrived; this
    /// many were dropped from inspection.
    pub args_dropped: usize,
    /// What the multipart parser noticed, when the body was multipart.
    pub multipart: MultipartFlags,
}

/// Why a body could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BodyError {
    /// The class of the failure.
    pub kind: BodyErrorKind,
    /// A short description naming the place (byte offset, part number, …).
    pub message: String,
}

impl BodyError {
    /// A failure of `kind`, described by `message`.
    pub fn new(kind: BodyErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }
}

/// The class of a body parse failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyErrorKind {
    /// Not valid in its declared format (bad JSON, broken multipart, bad XML).
    Malformed,
    /// Nested deeper than [`Limits::max_depth`](super::Limits::max_depth).
    TooDeep,
    /// Longer than [`Limits::max_body_parse_bytes`](super::Limits::max_body_parse_bytes),
    /// or its flattened names (JSON paths, XML paths) would grow far past the body's own
    /// size.
    TooLarge,
}

/// The multipart anomalies ModSecurity reports; CRS and users' rules test them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MultipartFlags {
    /// The boundary parameter was quoted.
    pub boundary_quoted: bool,
    /// The boundary parameter had white space in or around it.
    pub boundary_whitespace: bool,
    /// Bytes before the first boundary.
    pub data_before: bool,
    /// Bytes after the closing boundary.
    pub data_after: bool,
    /// A part header continued on a folded line.
    pub header_folding: bool,
    /// Lines ended with a bare LF instead of CRLF.
    pub lf_line: bool,
    /// A `Content-Disposition` parameter was not separated by `;`.
    pub missing_semicolon: bool,
    /// A `Content-Disposition` value had bad quoting.
    pub invalid_quoting: bool,
    /// A part had no usable `Content-Disposition` or name.
    pub invalid_part: bool,
    /// A part header line was not `Name: value`.
    pub invalid_header_folding: bool,
    /// More files than [`Limits::max_files`](super::Limits::max_files).
    pub file_limit_exceeded: bool,
    /// A line looked like a boundary but was not this body's boundary.
    pub unmatched_boundary: bool,
    /// The closing boundary never came.
    pub incomplete: bool,
}

impl MultipartFlags {
    /// True when any anomaly was seen: ModSecurity's `MULTIPART_STRICT_ERROR`.
    pub fn strict_error(&self) -> bool {
        let Self {
            boundary_quoted,
            boundary_whitespace,
            data_before,
            data_after,
            header_folding,
            lf_line,
            missing_semicolon,
            invalid_quoting,
            invalid_part,
            invalid_header_folding,
            file_limit_exceeded,
            unmatched_boundary,
            incomplete,
        } = *self;
        boundary_quoted
            | boundary_whitespace
            | data_before
            | data_after
            | header_folding
            | lf_line
            | missing_semicolon
            | invalid_quoting
            | invalid_part
            | invalid_header_folding
            | file_limit_exceeded
            | unmatched_boundary
            | incomplete
    }
}
