//! `urlDecodeUni`: `urlDecode` plus IIS-style `%uXXXX` escapes.
//!
//! ModSecurity's semantics (no `SecUnicodeMapFile`, v3's default):
//! - `%uXXXX` (`u` or `U`, four hex digits) becomes the low byte of the code point, except
//!   that full-width ASCII (U+FF01 to U+FF5E) becomes its ASCII character (low byte + 0x20):
//!   that is how IIS maps them, and how attackers smuggle `<` and `'` past filters.
//!   So `%u0041` and `%u1141` are both `A`, `%uff1c` is `<`, `%uff00` is NUL.
//! - `%u` not followed by four hex digits is kept as the two bytes `%u`.
//! - `%XX` and `+` as in `urlDecode`; any other `%` is kept.

use super::{finish, hex_value};
use std::borrow::Cow;

pub(super) fn apply(input: &[u8]) -> Cow<'_, [u8]> {
    if !input.iter().any(|&b| b == b'%' || b == b'+') {
        return Cow::Borrowed(input);
    }
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        let b = input[i];
        if b == b'+' {
            out.push(b' ');
            i += 1;
        } else if b != b'%' {
            out.push(b);
            i += 1;
        } else if matches!(input.get(i + 1), Some(b'u' | b'U')) {
            match unicode_escape(&input[i..]) {
                Some(byte) => {
                    out.push(byte);
                    i += 6;
                }
                None => {
                    out.extend_from_slice(&input[i..i + 2]);
                    i += 2;
                }
            }
        } else if let Some(byte) = super::url_decode::percent_escape(&input[i..]) {
            out.push(byte);
            i += 3;
        } else {
            out.push(b'%');
            i += 1;
        }
    }
    finish(input, out)
}

/// Decodes `%uXXXX` at the start of `s` to ModSecurity's byte.
fn unicode_escape(s: &[u8]) -> Option<u8> {
    let digits = s.get(2..6)?;
    let mut code: u16 = 0;
    for &d in digits {
        code = (code << 4) | u16::from(hex_value(d)?);
    }
    let low = (code & 0xff) as u8;
    let full_width = code >> 8 == 0xff && (0x01..0x5f).contains(&low);
    Some(if full_width { low + 0x20 } else { low })
}

#[cfg(test)]
mod tests {
    use super::apply;

    #[test]
    fn decodes() {
        assert_eq!(&*apply(b"%u0027x%u003C%U0041"), b"'x<A");
        assert_eq!(&*apply(b"%uff01%uff5e%uff5f%uff00"), b"!~\x5f\x00");
        assert_eq!(&*apply(b"%u1100%u00e9"), b"\x00\xe9");
        assert_eq!(&*apply(b"%u%u0020%u000g%u00"), b"%u %u000g%u00");
        assert_eq!(&*apply(b"%uzz12+%41%"), b"%uzz12 A%");
        assert!(matches!(apply(b"%u%g"), std::borrow::Cow::Borrowed(_)));
    }
}
