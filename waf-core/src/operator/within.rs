//! `@within`: the value occurs somewhere in the argument (case-sensitive), as in
//! `@within GET HEAD POST` for allowed methods.
//!
//! ModSecurity v3: an empty value is within anything (even an empty argument); otherwise
//! `param.find(input) != npos`. Note that this is a substring test, not a list lookup:
//! `ET` is within `GET HEAD`. A value longer than the argument is rejected at once, so the
//! search costs at most the argument's length squared whatever the value.

pub(super) fn test(value: &[u8], haystack: &[u8]) -> bool {
    value.is_empty()
        || (value.len() <= haystack.len() && haystack.windows(value.len()).any(|w| w == value))
}

#[cfg(test)]
mod tests {
    use super::test;

    #[test]
    fn looks_for_the_value_in_the_argument() {
        assert!(test(b"POST", b"GET POST"));
        assert!(!test(b"PUT", b"GET POST"));
        assert!(test(b"ET", b"GET POST"));
        assert!(test(b"", b""));
        assert!(!test(b"TestCase", b""));
        assert!(!test(b"GET POST x", b"GET POST"));
    }
}
