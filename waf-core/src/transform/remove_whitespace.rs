//! `removeWhitespace`: every white-space byte removed.
//!
//! As in ModSecurity v3: C's `isspace` (HT, LF, VT, FF, CR, space) plus the bytes 0xa0 and
//! 0xc2, so that a UTF-8 NBSP (`C2 A0`) disappears whole. Note that this also removes 0xc2
//! from other UTF-8 characters (U+0080 to U+00BF). Where engines disagree: ModSecurity v2
//! removes 0xa0 but not 0xc2; Coraza removes Unicode white space. We follow v3.

use super::is_space;
use std::borrow::Cow;

fn removed(b: u8) -> bool {
    is_space(b) || b == 0xa0 || b == 0xc2
}

pub(super) fn apply(input: &[u8]) -> Cow<'_, [u8]> {
    if !input.iter().any(|&b| removed(b)) {
        return Cow::Borrowed(input);
    }
    Cow::Owned(input.iter().copied().filter(|&b| !removed(b)).collect())
}

#[cfg(test)]
mod tests {
    use super::apply;

    #[test]
    fn removes() {
        assert_eq!(&*apply(b" a\tb\nc\x0b\x0c\r "), b"abc");
        assert_eq!(&*apply(b"a\xc2\xa0b\xc2\xa9"), b"ab\xa9");
        assert!(matches!(
            apply(b"Test\0Case"),
            std::borrow::Cow::Borrowed(_)
        ));
    }
}
