//! `@rx`: a regular expression over the value's bytes.
//!
//! ModSecurity v3: the pattern is PCRE2 compiled with `PCRE2_DOTALL | PCRE2_MULTILINE` and no
//! UTF mode, searched once, unanchored; the operator matches when the pattern matches
//! anywhere in the value. An empty pattern matches everything. Case-insensitivity comes only
//! from the pattern (`(?i)`) and folds ASCII letters only, as PCRE without UTF does.
//!
//! Here the pattern is read as PCRE reads it and rewritten for the `regex` crate (see
//! [`super::pcre`] for every difference and what is refused): matching time is linear in the
//! value, so no pattern can backtrack catastrophically and no match limit is needed
//! (ModSecurity's `MSC_PCRE_LIMITS_EXCEEDED` cannot happen). Values are bytes; invalid UTF-8
//! is searched like anything else. The matched part is the whole match (group 0), ending
//! where a rewritten final lookahead starts.

use super::pcre;
use regex::bytes::{CaptureLocations, Regex, RegexBuilder};
use std::ops::Range;

/// A compiled `@rx` pattern.
#[derive(Debug, Clone)]
pub struct Rx {
    re: Regex,
    /// Capture groups that stand for rewritten lookaheads (see [`pcre`]).
    lookaheads: Vec<usize>,
}

impl Rx {
    /// Compiles PCRE `pattern`; the error names the pattern and what is wrong with it.
    pub(super) fn new(pattern: &str) -> Result<Self, String> {
        let bad = |why: &str| format!("bad regex {pattern:?}: {why}");
        let translated = pcre::translate(pattern).map_err(|e| bad(&e))?;
        let re = RegexBuilder::new(&translated.pattern)
            // Values are bytes; classes and `.` must not insist on UTF-8.
            .unicode(false)
            .dot_matches_new_line(true)
            .multi_line(true)
            .size_limit(64 << 20)
            .build()
            .map_err(|e| {
                // The crate's message quotes the rewritten pattern; keep its last line.
                let message = e.to_string();
                bad(message.lines().last().unwrap_or(&message).trim())
            })?;
        let lookaheads = translated
            .lookaheads
            .iter()
            .filter_map(|name| re.capture_names().position(|n| n == Some(name.as_str())))
            .collect();
        Ok(Self { re, lookaheads })
    }

    /// The first match, if any.
    pub(super) fn find<'v>(&self, value: &'v [u8]) -> Option<&'v [u8]> {
        if self.lookaheads.is_empty() {
            return self.re.find(value).map(|m| m.as_bytes());
        }
        let mut locations = self.locations();
        self.read_at(&mut locations, value, 0)
            .map(|span| &value[span])
    }

    /// Storage for [`Rx::read_at`].
    pub(super) fn locations(&self) -> CaptureLocations {
        self.re.capture_locations()
    }

    /// The first match starting at or after `start`, the bytes before `start` still seen
    /// by anchors and `\b`; its span, without a rewritten lookahead's part. The spans of the
    /// pattern's groups are left in `locations` (see [`Rx::groups`]).
    pub(super) fn read_at(
        &self,
        locations: &mut CaptureLocations,
        value: &[u8],
        start: usize,
    ) -> Option<Range<usize>> {
        let whole = self.re.captures_read_at(locations, value, start)?;
        let end = self
            .lookaheads
            .iter()
            .filter_map(|&i| locations.get(i))
            .map(|(start, _)| start)
            .min()
            .unwrap_or(whole.end());
        Some(whole.start()..end)
    }

    /// The spans of the groups of the pattern's own that took part in the match last read
    /// into `locations` (group 0 excluded).
    pub(super) fn groups<'a>(
        &'a self,
        locations: &'a CaptureLocations,
    ) -> impl Iterator<Item = Range<usize>> + 'a {
        (1..locations.len())
            .filter(|i| !self.lookaheads.contains(i))
            .filter_map(|i| locations.get(i))
            .map(|(start, end)| start..end)
    }
}

#[cfg(test)]
mod tests {
    use super::Rx;

    #[test]
    fn matches_bytes_with_pcre_flags() {
        let rx = Rx::new(r"a.c").unwrap();
        assert_eq!(rx.find(b"xa\ncx"), Some(&b"a\nc"[..]));
        let rx = Rx::new(r"^b").unwrap();
        assert!(rx.find(b"a\nb").is_some());
        let rx = Rx::new(r"\xff\x{fe}").unwrap();
        assert!(rx.find(b"\x00\xff\xfe").is_some());
        let rx = Rx::new("").unwrap();
        assert_eq!(rx.find(b"abc"), Some(&b""[..]));
    }

    #[test]
    fn a_rewritten_lookahead_is_not_part_of_the_match() {
        let rx = Rx::new(r"<\?(?!xml)").unwrap();
        assert_eq!(rx.find(b"<?xml <?php"), Some(&b"<?"[..]));
        assert_eq!(rx.find(b"<?xml"), None);
        let rx = Rx::new(r"(a)(?=b)|c").unwrap();
        assert_eq!(rx.find(b"ab"), Some(&b"a"[..]));
        assert_eq!(rx.find(b"xc"), Some(&b"c"[..]));
        let mut locations = rx.locations();
        assert_eq!(rx.read_at(&mut locations, b"ab", 0), Some(0..1));
        assert_eq!(rx.groups(&locations).collect::<Vec<_>>(), vec![0..1]);
    }

    #[test]
    fn errors_name_the_pattern() {
        let err = Rx::new(r"(a)\1").unwrap_err();
        assert!(
            err.contains(r#""(a)\\1""#) && err.contains("backreference"),
            "{err}"
        );
        let err = Rx::new(r"a{5,2}").unwrap_err();
        assert!(err.contains("a{5,2}"), "{err}");
    }
}
