use super::Location;

/// A rule file could not be read: where, and why.
///
/// The message is meant for people; the location is for tools.
#[derive(Debug, Clone)]
pub struct ParseError {
    location: Location,
    message: String,
}

impl ParseError {
    pub(super) fn new(location: Location, message: String) -> Self {
        Self { location, message }
    }

    /// The file name given to [`parse`](super::parse).
    pub fn file(&self) -> &str {
        &self.location.file
    }

    /// The line, counting from 1, on which the failing directive starts.
    pub fn line(&self) -> usize {
        self.location.line
    }

    /// What is wrong, without the location.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.location, self.message)
    }
}

impl std::error::Error for ParseError {}
