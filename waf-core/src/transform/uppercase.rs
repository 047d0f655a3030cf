//! `uppercase`: ASCII lower-case letters to upper case; every other byte unchanged.
//!
//! ModSecurity v3 applies C's `toupper` in the "C" locale, which touches `a`-`z` only.
//! (ModSecurity v2 has no `uppercase`; Coraza's matches v3 on ASCII.)

use std::borrow::Cow;

pub(super) fn apply(input: &[u8]) -> Cow<'_, [u8]> {
    if input.iter().any(u8::is_ascii_lowercase) {
        Cow::Owned(input.to_ascii_uppercase())
    } else {
        Cow::Borrowed(input)
    }
}

#[cfg(test)]
mod tests {
    use super::apply;

    #[test]
    fn ascii_only() {
        assert_eq!(&*apply(b"TestCase\0\xc3\xa9"), b"TESTCASE\0\xc3\xa9");
        assert!(matches!(apply(b"ABC 1"), std::borrow::Cow::Borrowed(_)));
    }
}
