//! `@verifySSN`: a US social security number, found by the argument's pattern and checked
//! for plausibility.
//!
//! ModSecurity v3: an empty argument never matches. Candidates are the pattern's matches and
//! their capture groups (see [`super::verify`]). A candidate must hold exactly nine decimal
//! digits (other characters skipped); it fails when the nine digits all ascend by one
//! (`123456789`) or are all the same, when the area (first three), group (next two) or
//! serial (last four) is zero, or when the area is 666 or 740 and above.

use super::verify::{Candidates, Verify};

/// Compiles `@verifySSN` with its candidate pattern.
pub(super) fn new(pattern: &str) -> Result<Verify, String> {
    Verify::new(pattern, true, Candidates::MatchAndGroups, ssn)
}

fn ssn(candidate: &[u8]) -> bool {
    // All digits count here, a NUL included in the length (the C code takes a length).
    let digits: Vec<u32> = candidate
        .iter()
        .filter(|b| b.is_ascii_digit())
        .map(|b| u32::from(b - b'0'))
        .collect();
    let Ok(n) = <[u32; 9]>::try_from(digits) else {
        return false;
    };
    let ascending = n.windows(2).all(|w| w[0] + 1 == w[1]);
    let repeated = n.windows(2).all(|w| w[0] == w[1]);
    if ascending || repeated {
        return false;
    }
    let number = |digits: &[u32]| digits.iter().fold(0, |acc, d| acc * 10 + d);
    let (area, group, serial) = (number(&n[..3]), number(&n[3..5]), number(&n[5..]));
    area != 0 && group != 0 && serial != 0 && area < 740 && area != 666
}

#[cfg(test)]
mod tests {
    use super::{new, ssn};

    #[test]
    fn checks_plausibility() {
        assert!(ssn(b"574-57-8065"));
        assert!(!ssn(b"800-57-8065"));
        assert!(!ssn(b"666-57-8065"));
        assert!(!ssn(b"123-45-6789"));
        assert!(!ssn(b"555-55-5555"));
        assert!(!ssn(b"574-00-8065"));
        assert!(!ssn(b"574-57-80651"));
    }

    #[test]
    fn finds_numbers_with_the_pattern() {
        let op = new(r"\d{3}-?\d{2}-?\d{4}").unwrap();
        assert!(op.find(b"asdf 574-57-8065 asdf").is_some());
        assert!(op.find(b"asdf 123-45-6789 asdf").is_none());
        assert!(op.find(b"").is_none());
    }
}
