//! `@contains`: the argument occurs somewhere in the value (case-sensitive).
//!
//! ModSecurity v3: `input.find(param) != npos`; an empty argument is found in every value,
//! the empty one included. The search is an Aho-Corasick automaton built once for the
//! argument, linear in the value.

use aho_corasick::{AhoCorasick, MatchKind};
use std::ops::Range;

/// A fixed byte string to look for, compiled once.
#[derive(Debug, Clone)]
pub struct Needle {
    /// `None` for the empty needle, found at every position.
    automaton: Option<AhoCorasick>,
    len: usize,
}

impl Needle {
    pub(super) fn new(needle: &[u8]) -> Result<Self, String> {
        let automaton = if needle.is_empty() {
            None
        } else {
            Some(
                AhoCorasick::builder()
                    .match_kind(MatchKind::Standard)
                    .build([needle])
                    .map_err(|e| {
                        format!(
                            "cannot search for {:?}: {e}",
                            needle.escape_ascii().to_string()
                        )
                    })?,
            )
        };
        Ok(Self {
            automaton,
            len: needle.len(),
        })
    }

    pub(super) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The first occurrence in `haystack`.
    pub(super) fn find(&self, haystack: &[u8]) -> Option<Range<usize>> {
        match &self.automaton {
            None => Some(0..0),
            Some(ac) => ac.find(haystack).map(|m| m.range()),
        }
    }

    /// Every occurrence in `haystack`, overlapping ones included, left to right; nothing
    /// for the empty needle (which callers handle first).
    pub(super) fn find_all<'h>(
        &'h self,
        haystack: &'h [u8],
    ) -> impl Iterator<Item = Range<usize>> + 'h {
        self.automaton
            .iter()
            .flat_map(move |ac| ac.find_overlapping_iter(haystack))
            .map(|m| m.range())
    }
}

/// A compiled `@contains`.
#[derive(Debug, Clone)]
pub struct Contains(Needle);

impl Contains {
    pub(super) fn new(argument: &[u8]) -> Result<Self, String> {
        Needle::new(argument).map(Self)
    }

    pub(super) fn find<'v>(&self, value: &'v [u8]) -> Option<&'v [u8]> {
        self.0.find(value).map(|r| &value[r])
    }
}

#[cfg(test)]
mod tests {
    use super::{Contains, Needle};

    #[test]
    fn finds_the_argument() {
        let c = Contains::new(b"hiding").unwrap();
        assert_eq!(
            c.find(b"hidinX<-not quite, but is later on->hiding"),
            Some(&b"hiding"[..])
        );
        assert!(c.find(b"HIDING").is_none());
        assert_eq!(Contains::new(b"").unwrap().find(b""), Some(&b""[..]));
    }

    #[test]
    fn finds_overlapping_occurrences() {
        let n = Needle::new(b"aa").unwrap();
        assert_eq!(n.find_all(b"aaa").collect::<Vec<_>>(), vec![0..2, 1..3]);
        assert_eq!(Needle::new(b"").unwrap().find_all(b"ab").count(), 0);
    }
}
