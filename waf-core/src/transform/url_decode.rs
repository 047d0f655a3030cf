//! `urlDecode`: `%XX` (two hex digits, either case) to its byte and `+` to a space.
//!
//! As in ModSecurity (`urldecode_nonstrict_inplace`), a `%` that is not followed by two hex
//! digits is kept as it is and decoding goes on with the next byte, so `%%41` becomes `%A`.
//! Decoding is a single pass: `%2541` becomes `%41`, not `A`.

use super::{finish, hex_value};
use std::borrow::Cow;

pub(super) fn apply(input: &[u8]) -> Cow<'_, [u8]> {
    if !input.iter().any(|&b| b == b'%' || b == b'+') {
        return Cow::Borrowed(input);
    }
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        match input[i] {
            b'%' => match percent_escape(&input[i..]) {
                Some(byte) => {
                    out.push(byte);
                    i += 3;
                }
                None => {
                    out.push(b'%');
                    i += 1;
                }
            },
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    finish(input, out)
}

/// The byte of a `%XX` escape at the start of `s`, if it is one.
pub(super) fn percent_escape(s: &[u8]) -> Option<u8> {
    let hi = hex_value(*s.get(1)?)?;
    let lo = hex_value(*s.get(2)?)?;
    Some((hi << 4) | lo)
}

#[cfg(test)]
mod tests {
    use super::apply;

    #[test]
    fn decodes() {
        assert_eq!(&*apply(b"a%20b+c%2B%2b"), b"a b c++");
        assert_eq!(&*apply(b"%%20%0g%0%g"), b"% %0g%0%g");
        assert_eq!(&*apply(b"%2541"), b"%41");
        assert_eq!(&*apply(b"%00%ff"), b"\0\xff");
        assert!(matches!(apply(b"%zz%4%"), std::borrow::Cow::Borrowed(_)));
    }
}
