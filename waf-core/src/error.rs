//! The one error type of the core: opaque, with accessors.

/// Something the engine could not accept: a configuration or a rule set.
///
/// Requests never produce errors; whatever is wrong with a request is a fact in its
/// [`RequestView`](crate::request::RequestView).
#[derive(Debug, Clone)]
pub struct Error {
    kind: ErrorKind,
    message: String,
}

/// What kind of input was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A configuration value or file.
    Config,
    /// A rule set: the message starts with `file:line:`.
    Rules,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }

    /// What kind of input was refused.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// What is wrong, in plain words, naming the place.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

impl From<waf_rules::seclang::ParseError> for Error {
    fn from(e: waf_rules::seclang::ParseError) -> Self {
        Self::new(ErrorKind::Rules, e.to_string())
    }
}
