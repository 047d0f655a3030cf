//! `@endsWith`: the value ends with the argument (case-sensitive).
//!
//! ModSecurity v3: a value shorter than the argument does not match; an empty argument
//! matches every value.

pub(super) fn test(value: &[u8], suffix: &[u8]) -> bool {
    value.ends_with(suffix)
}

#[cfg(test)]
mod tests {
    use super::test;

    #[test]
    fn compares_the_end() {
        assert!(test(b"/x.php", b".php"));
        assert!(!test(b"/x.php5", b".php"));
        assert!(test(b"abcdef\0ghi", b"ghi"));
        assert!(test(b"", b""));
        assert!(!test(b"", b"x"));
    }
}
