//! The search shared by `@verifyCC`, `@verifyCPF`, `@verifySSN` and `@verifySVNR`: a
//! pattern finds candidates, a checksum decides.
//!
//! ModSecurity v3 searches again from every offset of the value (each operator its own way:
//! `@verifyCC` with the whole value as context, the others on each suffix), so a candidate
//! is the first match starting at or after each offset. Offsets inside the stretch before
//! the next match start give the same match, so the search here jumps from one match start
//! to the next, which is the same set of candidates for the unanchored patterns these
//! operators are written with (anchors see the whole value here). `@verifyCC` checks the
//! whole match; the others check the whole match and then each capture group, as
//! ModSecurity's `searchAll` hands them every group. Overlapping candidates make the search
//! quadratic in the worst case (a megabyte of digits against `\d+`), so it stops, without a
//! match, once it has scanned eight times the value's length (at least 64 KiB).

use super::rx::Rx;

/// Which spans of a match are candidates.
#[derive(Debug, Clone, Copy)]
pub(super) enum Candidates {
    /// The whole match only.
    Match,
    /// The whole match, then every capture group that took part.
    MatchAndGroups,
}

/// A compiled `@verifyCC`, `@verifyCPF`, `@verifySSN` or `@verifySVNR`: the pattern that
/// finds candidates and the checksum that confirms one.
#[derive(Debug, Clone)]
pub struct Verify {
    /// `None`: the operator never matches (an empty argument, for all but `@verifyCC`).
    rx: Option<Rx>,
    candidates: Candidates,
    check: fn(&[u8]) -> bool,
}

impl Verify {
    /// Compiles `pattern`; with `empty_never_matches`, an empty pattern gives an operator
    /// that never matches, as ModSecurity's do for all but `@verifyCC`.
    pub(super) fn new(
        pattern: &str,
        empty_never_matches: bool,
        candidates: Candidates,
        check: fn(&[u8]) -> bool,
    ) -> Result<Self, String> {
        let rx = if empty_never_matches && pattern.is_empty() {
            None
        } else {
            Some(Rx::new(pattern)?)
        };
        Ok(Self {
            rx,
            candidates,
            check,
        })
    }

    pub(super) fn find<'v>(&self, value: &'v [u8]) -> Option<&'v [u8]> {
        find(self.rx.as_ref()?, value, self.candidates, self.check)
    }
}

/// The first candidate that `verify` accepts.
fn find<'v>(
    rx: &Rx,
    value: &'v [u8],
    candidates: Candidates,
    verify: impl Fn(&[u8]) -> bool,
) -> Option<&'v [u8]> {
    let mut locations = rx.locations();
    let mut budget = value.len().saturating_mul(8).max(64 << 10);
    let mut offset = 0;
    while offset < value.len() {
        let whole = rx.read_at(&mut locations, value, offset)?;
        budget = budget.checked_sub((whole.end.max(whole.start) - offset).max(1))?;
        if verify(&value[whole.clone()]) {
            return Some(&value[whole]);
        }
        if let Candidates::MatchAndGroups = candidates
            && let Some(group) = rx.groups(&locations).find(|g| verify(&value[g.clone()]))
        {
            return Some(&value[group]);
        }
        offset = whole.start + 1;
    }
    None
}

/// The decimal digits of `s`, in order, up to a NUL (the C code reads a C string).
pub(super) fn digits(s: &[u8]) -> impl Iterator<Item = u8> + '_ {
    s.iter()
        .take_while(|&&b| b != 0)
        .filter(|b| b.is_ascii_digit())
        .map(|b| b - b'0')
}

#[cfg(test)]
mod tests {
    use super::{Candidates, digits, find};
    use crate::operator::rx::Rx;

    #[test]
    fn tries_every_match_start() {
        let rx = Rx::new(r"\d+").unwrap();
        // Candidates: "123", "23", "3", "45", "5".
        let got = find(&rx, b"123 45", Candidates::Match, |c| c == b"23");
        assert_eq!(got, Some(&b"23"[..]));
        let got = find(&rx, b"123 45", Candidates::Match, |c| c == b"5");
        assert_eq!(got, Some(&b"5"[..]));
        assert!(find(&rx, b"", Candidates::Match, |_| true).is_none());
    }

    #[test]
    fn groups_are_candidates_too() {
        let rx = Rx::new(r"a(\d)b").unwrap();
        assert!(find(&rx, b"a1b", Candidates::Match, |c| c == b"1").is_none());
        assert!(find(&rx, b"a1b", Candidates::MatchAndGroups, |c| c == b"1").is_some());
    }

    #[test]
    fn gives_up_on_quadratic_work() {
        let rx = Rx::new(r"\d+").unwrap();
        let value = vec![b'1'; 200_000];
        assert!(find(&rx, &value, Candidates::Match, |c| c.len() == 10).is_none());
        assert!(find(&rx, &value[..300], Candidates::Match, |c| c.len() == 10).is_some());
    }

    #[test]
    fn digits_stop_at_nul() {
        assert_eq!(digits(b"1-2a3\x004").collect::<Vec<_>>(), [1, 2, 3]);
    }
}
