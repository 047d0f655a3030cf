//! `@verifyCC`: a credit card number, found by the argument's pattern and confirmed by the
//! Luhn checksum.
//!
//! ModSecurity v3: the argument is a PCRE pattern (`DOTALL | MULTILINE`, like `@rx`); the
//! value is searched from every offset and each match, the whole match (not a group), is
//! checked with the Luhn (mod 10) algorithm over its decimal digits, other characters being
//! skipped, so `5484-6050-8915-8216` and `a5484605089158216b` are checked as the digits they
//! contain. A match with no digit fails. The operator matches at the first match that
//! passes, which is the matched part. An empty value never matches. See [`super::verify`]
//! for how candidates are searched.

use super::verify::{Candidates, Verify};

/// Compiles `@verifyCC` with its candidate pattern.
pub(super) fn new(pattern: &str) -> Result<Verify, String> {
    Verify::new(pattern, false, Candidates::Match, luhn)
}

/// ModSecurity's `luhnVerify`: from the first digit, weights alternate between doubled (with
/// the digits of the product added) and plain, in both phases at once; the sum for the
/// phase that puts the plain weight on the last digit must be a multiple of 10.
fn luhn(candidate: &[u8]) -> bool {
    const DOUBLED: [u32; 10] = [0, 2, 4, 6, 8, 1, 3, 5, 7, 9];
    let mut sum = [0u32; 2];
    let mut odd = 0;
    let mut count = 0;
    for d in candidate
        .iter()
        .filter(|b| b.is_ascii_digit())
        .map(|b| usize::from(b - b'0'))
    {
        sum[0] += if odd == 0 { DOUBLED[d] } else { d as u32 };
        sum[1] += if odd == 1 { DOUBLED[d] } else { d as u32 };
        odd = 1 - odd;
        count += 1;
    }
    count > 0 && sum[odd] % 10 == 0
}

#[cfg(test)]
mod tests {
    use super::{luhn, new};

    #[test]
    fn checks_luhn() {
        for good in [
            "5484605089158216",
            "4556324125126",
            "343918934573386",
            "5484-6050-8915-8216",
        ] {
            assert!(luhn(good.as_bytes()), "{good}");
        }
        for bad in ["1234567890012345", "5484605089158217", "", "abc"] {
            assert!(!luhn(bad.as_bytes()), "{bad}");
        }
    }

    #[test]
    fn finds_numbers_with_the_pattern() {
        let op = new(r"(?:^|[^\d])(\d{4}\-?\d{4}\-?\d{2}\-?\d{2}\-?\d{1,4})(?:[^\d]|$)").unwrap();
        assert!(op.find(b"a5484605089158216b").is_some());
        assert!(op.find(b"5484 6050 8915 8216").is_none());
        assert!(op.find(b"15484605089158216").is_none());
        assert!(new("").unwrap().find(b"5484605089158216").is_none());
    }
}
