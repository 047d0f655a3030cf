//! `@rx`: a regular expression over the value's bytes.
//!
//! Compiled with the `regex` crate, whose matching time is linear in the input: patterns
//! that would backtrack catastrophically elsewhere cannot here. Patterns are not
//! anchored and match bytes, so invalid UTF-8 in a value is still searched.

/// A compiled `@rx` pattern.
#[derive(Debug, Clone)]
pub struct Rx(regex::bytes::Regex);

impl Rx {
    pub(super) fn new(pattern: &str) -> Result<Self, String> {
        regex::bytes::RegexBuilder::new(pattern)
            // Values are bytes; `.` and classes must not insist on UTF-8.
            .unicode(false)
            .size_limit(64 << 20)
            .build()
            .or_else(|_| regex::bytes::Regex::new(pattern))
            .map(Self)
            .map_err(|e| format!("bad regex: {e}"))
    }

    pub(super) fn find<'v>(&self, value: &'v [u8]) -> Option<&'v [u8]> {
        self.0.find(value).map(|m| m.as_bytes())
    }
}
