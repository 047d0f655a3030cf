//! `lowercase`: ASCII upper-case letters to lower case; every other byte unchanged.
//!
//! ModSecurity applies C's `tolower` in the "C" locale, which touches `A`-`Z` only, so
//! UTF-8 and Latin-1 letters are left alone.

use std::borrow::Cow;

pub(super) fn apply(input: &[u8]) -> Cow<'_, [u8]> {
    if input.iter().any(u8::is_ascii_uppercase) {
        Cow::Owned(input.to_ascii_lowercase())
    } else {
        Cow::Borrowed(input)
    }
}

#[cfg(test)]
mod tests {
    use super::apply;

    #[test]
    fn ascii_only() {
        assert_eq!(&*apply(b"TestCase\0\xc3\x89"), b"testcase\0\xc3\x89");
        assert!(matches!(
            apply(b"test\0case"),
            std::borrow::Cow::Borrowed(_)
        ));
    }
}
