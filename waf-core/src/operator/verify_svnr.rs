//! `@verifySVNR`: an Austrian social insurance number (Sozialversicherungsnummer), found by
//! the argument's pattern and confirmed by its check digit.
//!
//! ModSecurity v3: an empty argument never matches. Candidates are the pattern's matches and
//! their capture groups (see [`super::verify`]). A candidate's first ten decimal digits are
//! read (other characters skipped, reading stops at a NUL); fewer than ten fails, and so do
//! `0000000000`, `0123456789`, `1234567890` and `1111111111` … `7777777777` (ModSecurity's
//! list also holds `8888888888` and `9999999999` but its loop never reaches them; kept). The
//! 4th digit is the check digit: the serial digits 1–3 weighted 3, 7, 9 and the birth date
//! digits 5–10 weighted 5, 8, 4, 2, 1, 6, summed mod 11 (10 counting as 0).

use super::verify::{Candidates, Verify, digits};

/// Compiles `@verifySVNR` with its candidate pattern.
pub(super) fn new(pattern: &str) -> Result<Verify, String> {
    Verify::new(pattern, true, Candidates::MatchAndGroups, svnr)
}

/// The numbers ModSecurity's loop compares against (the first ten of its list).
const BAD: [&[u8; 10]; 10] = [
    b"0000000000",
    b"0123456789",
    b"1234567890",
    b"1111111111",
    b"2222222222",
    b"3333333333",
    b"4444444444",
    b"5555555555",
    b"6666666666",
    b"7777777777",
];

fn svnr(candidate: &[u8]) -> bool {
    let mut n = [0u32; 10];
    let mut count = 0;
    for d in digits(candidate).take(10) {
        n[count] = u32::from(d);
        count += 1;
    }
    if count != 10 {
        return false;
    }
    let text: Vec<u8> = n.iter().map(|&d| b'0' + d as u8).collect();
    if BAD.iter().any(|bad| bad[..] == text[..]) {
        return false;
    }
    const WEIGHTS: [u32; 10] = [3, 7, 9, 0, 5, 8, 4, 2, 1, 6];
    let sum: u32 = n.iter().zip(WEIGHTS).map(|(d, w)| d * w).sum();
    let check = match sum % 11 {
        10 => 0,
        r => r,
    };
    check == n[3]
}

#[cfg(test)]
mod tests {
    use super::{new, svnr};

    #[test]
    fn checks_the_check_digit() {
        assert!(svnr(b"1237010180"));
        assert!(svnr(b"1237 010180"));
        assert!(!svnr(b"1238010180"));
        assert!(!svnr(b"0100817"));
        assert!(!svnr(b"1111111111"));
    }

    #[test]
    fn finds_numbers_with_the_pattern() {
        let op = new(r"([0-9]{4} ?[0-9]{6})").unwrap();
        assert!(op.find(b"asdf 1237 010180 asdf").is_some());
        assert!(op.find(b"asdf 0100817 asdf").is_none());
        assert!(op.find(b"").is_none());
    }
}
