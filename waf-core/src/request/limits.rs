use serde::Deserialize;

/// Bounds on how much of a request the parser takes apart.
///
/// Going past a limit never fails the request: the parser stops, keeps what it has and
/// records the fact in [`Facts`](super::Facts), where rules can test it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Most arguments (query plus body) taken apart; later ones are counted, not kept.
    pub max_args: usize,
    /// Deepest nesting of JSON arrays and objects, or of XML elements.
    pub max_depth: usize,
    /// Most body bytes given to a body parser; the rest is left unparsed.
    pub max_body_parse_bytes: usize,
    /// Most files in one multipart body.
    pub max_files: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_args: 1000,
            max_depth: 64,
            max_body_parse_bytes: 1024 * 1024,
            max_files: 100,
        }
    }
}
