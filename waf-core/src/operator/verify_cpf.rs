//! `@verifyCPF`: a Brazilian CPF number (taxpayer id), found by the argument's pattern and
//! confirmed by its two check digits.
//!
//! ModSecurity v3: an empty argument never matches. Candidates are the pattern's matches and
//! their capture groups (see [`super::verify`]). A candidate's first 11 decimal digits are
//! read (other characters skipped, reading stops at a NUL); fewer than 11 fails, and so do
//! the repeated-digit numbers `00000000000`, `11111111111`, … `99999999999` and
//! `01234567890`. The 10th digit must equal the mod-11 check over the first nine (weights 10
//! down to 2; a remainder below 2 gives 0, else 11 minus it), and the 11th the same over the
//! first ten (weights 11 down to 2).

use super::verify::{Candidates, Verify, digits};

/// Compiles `@verifyCPF` with its candidate pattern.
pub(super) fn new(pattern: &str) -> Result<Verify, String> {
    Verify::new(pattern, true, Candidates::MatchAndGroups, cpf)
}

const BAD: [&[u8; 11]; 11] = [
    b"00000000000",
    b"01234567890",
    b"11111111111",
    b"22222222222",
    b"33333333333",
    b"44444444444",
    b"55555555555",
    b"66666666666",
    b"77777777777",
    b"88888888888",
    b"99999999999",
];

fn cpf(candidate: &[u8]) -> bool {
    let mut n = [0u32; 11];
    let mut count = 0;
    for d in digits(candidate).take(11) {
        n[count] = u32::from(d);
        count += 1;
    }
    if count != 11 {
        return false;
    }
    let text: Vec<u8> = n.iter().map(|&d| b'0' + d as u8).collect();
    if BAD.iter().any(|bad| bad[..] == text[..]) {
        return false;
    }
    let check = |len: usize| {
        let sum: u32 = (0..len).map(|i| n[i] * (len as u32 + 1 - i as u32)).sum();
        match sum % 11 {
            r if r < 2 => 0,
            r => 11 - r,
        }
    };
    n[9] == check(9) && n[10] == check(10)
}

#[cfg(test)]
mod tests {
    use super::{cpf, new};

    #[test]
    fn checks_the_check_digits() {
        assert!(cpf(b"010.817.514-60"));
        assert!(cpf(b"01081751460"));
        assert!(!cpf(b"010.817.514-61"));
        assert!(!cpf(b"111.111.111-11"));
        assert!(!cpf(b"010.817"));
    }

    #[test]
    fn finds_numbers_with_the_pattern() {
        let op = new(r"([0-9]{3}\.){2}[0-9]{3}-[0-9]{2}").unwrap();
        assert!(op.find(b"asdf 010.817.514-60 asdf").is_some());
        assert!(op.find(b"asdf 010.817 asdf").is_none());
        assert!(op.find(b"").is_none());
        assert!(new("").unwrap().find(b"01081751460").is_none());
    }
}
