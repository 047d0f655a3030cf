//! `@streq`: the value equals the argument, byte for byte (case-sensitive).
//!
//! ModSecurity v3: `param.compare(input) == 0`; an empty argument matches only the empty
//! value.

pub(super) fn test(value: &[u8], argument: &[u8]) -> bool {
    value == argument
}

#[cfg(test)]
mod tests {
    use super::test;

    #[test]
    fn compares_whole_values() {
        assert!(test(b"", b""));
        assert!(test(b"abc", b"abc"));
        assert!(!test(b"abc", b"ABC"));
        assert!(!test(b"abcd", b"abc"));
        assert!(!test(b"TestCase", b""));
    }
}
