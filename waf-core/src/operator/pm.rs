//! `@pm`: any of a set of phrases, ASCII case-insensitive, found with one Aho-Corasick
//! automaton in a single pass over the value.

use aho_corasick::{AhoCorasick, MatchKind};

/// A compiled phrase set.
#[derive(Debug, Clone)]
pub struct Pm(AhoCorasick);

impl Pm {
    pub(super) fn new<'a>(phrases: impl IntoIterator<Item = &'a str>) -> Result<Self, String> {
        let phrases: Vec<&str> = phrases.into_iter().filter(|p| !p.is_empty()).collect();
        if phrases.is_empty() {
            return Err("@pm needs at least one phrase".into());
        }
        AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::LeftmostFirst)
            .build(phrases)
            .map(Self)
            .map_err(|e| format!("@pm phrases: {e}"))
    }

    pub(super) fn find<'v>(&self, value: &'v [u8]) -> Option<&'v [u8]> {
        self.0.find(value).map(|m| &value[m.range()])
    }
}
