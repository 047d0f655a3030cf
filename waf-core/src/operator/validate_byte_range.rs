//! `@validateByteRange`: matches when the value has a byte outside the allowed ranges.
//!
//! ModSecurity v3: the argument is a comma-separated list of byte values and ranges
//! (`9,10,13,32-126`). Each part is read with `std::stoi` (leading white space and trailing
//! junk tolerated: ` 32`, `32x`); a part that cannot be read, a range bound outside 0–255
//! or a range whose start exceeds its end is skipped, and the rule still loads. So an
//! argument with nothing valid (empty, `xxx`) allows no byte at all: every non-empty value
//! matches. An empty value never matches. The matched part is the first offending byte.
//!
//! One difference: ModSecurity does not check a single value's range and writes outside its
//! table for one above 255 or below 0; such a part is skipped here.

/// The allowed bytes, one bit each.
#[derive(Debug, Clone)]
pub struct ValidateByteRange([u64; 4]);

impl ValidateByteRange {
    pub(super) fn new(argument: &str) -> Self {
        let mut allowed = [0u64; 4];
        for part in argument.split(',') {
            let range = match part.split_once('-') {
                None => stoi(part).map(|n| (n, n)),
                Some((start, end)) => stoi(start).zip(stoi(end)),
            };
            if let Some((start, end)) = range.filter(|&(s, e)| 0 <= s && s <= e && e <= 255) {
                for b in start..=end {
                    allowed[(b / 64) as usize] |= 1 << (b % 64);
                }
            }
        }
        Self(allowed)
    }

    pub(super) fn find<'v>(&self, value: &'v [u8]) -> Option<&'v [u8]> {
        value
            .iter()
            .position(|&b| self.0[usize::from(b / 64)] & 1 << (b % 64) == 0)
            .map(|at| &value[at..=at])
    }
}

/// `std::stoi`: white space, a sign, digits; `None` where it throws.
fn stoi(text: &str) -> Option<i64> {
    let s = text.trim_start_matches([' ', '\t', '\n', '\x0b', '\x0c', '\r']);
    let (negative, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let len = digits.bytes().take_while(u8::is_ascii_digit).count();
    let n: i64 = digits[..len]
        .parse()
        .ok()
        .filter(|n| *n <= i64::from(i32::MAX) + 1)?;
    let n = if negative { -n } else { n };
    i32::try_from(n).is_ok().then_some(n)
}

#[cfg(test)]
mod tests {
    use super::ValidateByteRange;

    #[test]
    fn finds_bytes_outside_the_ranges() {
        let op = ValidateByteRange::new("9,10,13,32-126");
        assert!(op.find(b"Hello, world!\r\n").is_none());
        assert_eq!(op.find(b"a\x00b"), Some(&b"\x00"[..]));
        assert_eq!(op.find(b"caf\xc3\xa9"), Some(&b"\xc3"[..]));
        let op = ValidateByteRange::new("97-105");
        assert!(op.find(b"abcdefghi").is_none());
        assert!(op.find(b"abcdefghij").is_some());
        assert!(ValidateByteRange::new("0-255").find(b"\xff\x00").is_none());
    }

    #[test]
    fn skips_what_it_cannot_read() {
        for nothing in ["", "xxx", "300", "-1", "5-3", "1-256", ",,"] {
            let op = ValidateByteRange::new(nothing);
            assert!(op.find(b"a").is_some(), "{nothing}");
            assert!(op.find(b"").is_none(), "{nothing}");
        }
        let op = ValidateByteRange::new(" 97 - 98x,xxx,99");
        assert!(op.find(b"abc").is_none());
        assert!(op.find(b"d").is_some());
    }
}
