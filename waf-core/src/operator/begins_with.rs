//! `@beginsWith`: the value starts with the argument (case-sensitive).
//!
//! ModSecurity v3: a value shorter than the argument does not match; an empty argument
//! matches every value.

pub(super) fn test(value: &[u8], prefix: &[u8]) -> bool {
    value.starts_with(prefix)
}

#[cfg(test)]
mod tests {
    use super::test;

    #[test]
    fn compares_the_start() {
        assert!(test(b"abcdefghi", b"abcdef"));
        assert!(!test(b"abc", b"abcdef"));
        assert!(test(b"", b""));
        assert!(!test(b"", b"x"));
        assert!(!test(b"Abc", b"abc"));
    }
}
