//! `compressWhitespace`: every run of white space becomes one space.
//!
//! White space is C's `isspace` (HT, LF, VT, FF, CR, space), as in ModSecurity v3. Where
//! engines disagree: ModSecurity v2 and Coraza also count NBSP (byte 0xa0); v3 does not, and
//! neither do we: we follow v3, the engine CRS is most often run on, byte for byte.

use super::{finish, is_space};
use std::borrow::Cow;

pub(super) fn apply(input: &[u8]) -> Cow<'_, [u8]> {
    let mut out = Vec::with_capacity(input.len());
    let mut in_space = false;
    for &b in input {
        if is_space(b) {
            if !in_space {
                out.push(b' ');
            }
            in_space = true;
        } else {
            out.push(b);
            in_space = false;
        }
    }
    finish(input, out)
}

#[cfg(test)]
mod tests {
    use super::apply;

    #[test]
    fn compresses() {
        assert_eq!(&*apply(b"  Test  \t   Case  "), b" Test Case ");
        assert_eq!(&*apply(b"a\x0bb\x0cc\r\n"), b"a b c ");
        assert_eq!(&*apply(b"a\xa0\xa0b"), b"a\xa0\xa0b");
        assert!(matches!(
            apply(b"Test Case\0"),
            std::borrow::Cow::Borrowed(_)
        ));
    }
}
