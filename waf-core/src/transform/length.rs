//! `length`: the value's length in bytes, as a decimal number (`abc` is `3`, the empty value
//! is `0`). ModSecurity v2, v3 and Coraza agree.

use std::borrow::Cow;

pub(super) fn apply(input: &[u8]) -> Cow<'_, [u8]> {
    let out = input.len().to_string().into_bytes();
    super::finish(input, out)
}

#[cfg(test)]
mod tests {
    use super::apply;

    #[test]
    fn counts_bytes() {
        assert_eq!(&*apply(b""), b"0");
        assert_eq!(&*apply(b"0123456789\tabcdef"), b"17");
        assert_eq!(&*apply("\u{e9}".as_bytes()), b"2");
        assert!(matches!(apply(b"1"), std::borrow::Cow::Borrowed(_)));
    }
}
