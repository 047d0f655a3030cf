//! `@eq`, `@ge`, `@gt`, `@le`, `@lt`: integer comparisons.
//!
//! The value is read as ModSecurity reads it: optional blanks, an optional sign and the
//! leading digits; a value with no leading number counts as 0.

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

    pub(super) fn test(self, value: &[u8], n: i64) -> bool {
        let v = leading_integer(value);
        match self {
            Self::Eq => v == n,
            Self::Ge => v >= n,
            Self::Gt => v > n,
            Self::Le => v <= n,
            Self::Lt => v < n,
        }
    }
}

/// The operator's own argument must be a number.
pub(super) fn parse_number(argument: &str) -> Result<i64, String> {
    argument
        .trim()
        .parse()
        .map_err(|_| format!("expected a number, found {argument:?}"))
}

fn leading_integer(value: &[u8]) -> i64 {
    let s = value.trim_ascii_start();
    let (negative, digits) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let n = digits
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .fold(0i64, |acc, &b| {
            acc.saturating_mul(10).saturating_add(i64::from(b - b'0'))
        });
    if negative { -n } else { n }
}
