//! `@eq`, `@ge`, `@gt`, `@le`, `@lt`: integer comparisons of the value with the argument.
//!
//! ModSecurity v3 reads numbers with the C library, and each operator its own way:
//!
//! - `@ge`, `@gt`, `@le`, `@lt` read both sides with `atoll`: optional white space (C
//!   `isspace`), an optional sign, the leading decimal digits; no digits is 0 and a number
//!   beyond the 64-bit range stops at the largest or smallest value (`strtoll` saturates);
//! - `@eq` reads both sides with `std::stoi` and takes 0 when it throws: the same syntax,
//!   but a number beyond the 32-bit `int` range is 0 too.
//!
//! So `xxx` is 0 on either side (`@eq xxx` matches `0` and the empty value), `5abc` is 5,
//! and `0x10` is 0. The argument is read once, when the rule is compiled.

/// Which comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    /// `@eq`.
    Eq,
    /// `@ge`.
    Ge,
    /// `@gt`.
    Gt,
    /// `@le`.
    Le,
    /// `@lt`.
    Lt,
}

impl Comparison {
    pub(super) fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "eq" => Self::Eq,
            "ge" => Self::Ge,
            "gt" => Self::Gt,
            "le" => Self::Le,
            "lt" => Self::Lt,
            _ => return None,
        })
    }

    /// The operator's argument, read as the operator reads numbers.
    pub(super) fn parse_argument(self, argument: &str) -> i64 {
        self.read(argument.as_bytes())
    }

    fn read(self, text: &[u8]) -> i64 {
        match self {
            Self::Eq => stoi(text).unwrap_or(0),
            _ => atoll(text),
        }
    }

    pub(super) fn test(self, value: &[u8], n: i64) -> bool {
        let v = self.read(value);
        match self {
            Self::Eq => v == n,
            Self::Ge => v >= n,
            Self::Gt => v > n,
            Self::Le => v <= n,
            Self::Lt => v < n,
        }
    }
}

/// C `isspace` in the "C" locale.
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// `strtoll(text, 10)`: the value (saturated) and whether any digit was read.
fn strtoll(text: &[u8]) -> (i64, bool) {
    let start = text
        .iter()
        .position(|&b| !is_space(b))
        .unwrap_or(text.len());
    let s = &text[start..];
    let (negative, digits) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let digits = &digits[..digits.iter().take_while(|b| b.is_ascii_digit()).count()];
    // Accumulate towards the sign, so that i64::MIN is reachable, and saturate.
    let value = digits.iter().fold(0i64, |acc, &b| {
        let d = i64::from(b - b'0');
        if negative {
            acc.saturating_mul(10).saturating_sub(d)
        } else {
            acc.saturating_mul(10).saturating_add(d)
        }
    });
    (value, !digits.is_empty())
}

/// `atoll`: 0 without digits, saturated beyond the 64-bit range.
fn atoll(text: &[u8]) -> i64 {
    strtoll(text).0
}

/// `std::stoi`: `None` where it throws (no digits, or outside `int`).
fn stoi(text: &[u8]) -> Option<i64> {
    let (value, any) = strtoll(text);
    (any && i32::try_from(value).is_ok()).then_some(value)
}

#[cfg(test)]
mod tests {
    use super::{Comparison, atoll, stoi};

    #[test]
    fn reads_numbers_like_libc() {
        assert_eq!(atoll(b"  \x0b-12abc"), -12);
        assert_eq!(atoll(b"+7"), 7);
        assert_eq!(atoll(b"xxx"), 0);
        assert_eq!(atoll(b"-"), 0);
        assert_eq!(atoll(b"0x10"), 0);
        assert_eq!(atoll(b"99999999999999999999"), i64::MAX);
        assert_eq!(atoll(b"-99999999999999999999"), i64::MIN);
        assert_eq!(atoll(b"-9223372036854775808"), i64::MIN);
        assert_eq!(stoi(b" 42 "), Some(42));
        assert_eq!(stoi(b"x"), None);
        assert_eq!(stoi(b"2147483648"), None);
        assert_eq!(stoi(b"-2147483648"), Some(-2147483648));
    }

    #[test]
    fn eq_reads_out_of_range_as_zero() {
        let eq = Comparison::Eq;
        assert!(eq.test(b"99999999999", eq.parse_argument("0")));
        assert!(eq.test(b"", eq.parse_argument("xxx")));
        let gt = Comparison::Gt;
        assert!(gt.test(b"99999999999", gt.parse_argument("2147483647")));
        assert!(gt.test(b"xxx", gt.parse_argument("-1")));
    }
}
