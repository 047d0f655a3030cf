//! `parityZero7bit`: bit 7 of every byte cleared. ModSecurity v2 and v3 agree; Coraza has
//! none.

use std::borrow::Cow;

pub(super) fn apply(input: &[u8]) -> Cow<'_, [u8]> {
    if input.is_ascii() {
        return Cow::Borrowed(input);
    }
    Cow::Owned(input.iter().map(|&b| b & 0x7f).collect())
}

#[cfg(test)]
mod tests {
    use super::apply;

    #[test]
    fn clears_bit_7() {
        assert_eq!(&*apply(b"\xc2\x80\0\xc2\x8f\xc3\xbf"), b"B\0\0B\x0fC?");
        assert!(matches!(apply(b"abc\0"), std::borrow::Cow::Borrowed(_)));
    }
}
