//! `sqlHexDecode`: SQL hexadecimal literals decoded, as ModSecurity v3 does it.
//!
//! `0x` or `0X` followed by at least two hex digits starts a literal; then every following
//! pair of hex digits becomes one byte (`0x414243` is `ABC`). An odd last digit is kept as it
//! is (`0x4142F` is `ABF`); a `0x` with fewer than two digits is kept. Literals are found
//! anywhere, not only at word boundaries (`a0x41` is `aA`). We follow v3; Coraza has no
//! `sqlHexDecode`.

use super::{finish, hex_pair, hex_value};
use std::borrow::Cow;

pub(super) fn apply(input: &[u8]) -> Cow<'_, [u8]> {
    let is_hex = |i: usize| input.get(i).copied().and_then(hex_value).is_some();
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        if input[i] == b'0'
            && matches!(input.get(i + 1), Some(b'x' | b'X'))
            && is_hex(i + 2)
            && is_hex(i + 3)
        {
            i += 2;
            while is_hex(i) && is_hex(i + 1) {
                out.push(hex_pair(input[i], input[i + 1]));
                i += 2;
            }
        } else {
            out.push(input[i]);
            i += 1;
        }
    }
    finish(input, out)
}

#[cfg(test)]
mod tests {
    use super::apply;

    #[test]
    fn decodes() {
        assert_eq!(&*apply(b"0x414243"), b"ABC");
        assert_eq!(
            &*apply(b"SELECT 0x4142F,0X61 0x4 0x"),
            b"SELECT ABF,a 0x4 0x"
        );
        assert_eq!(&*apply(b"a0x41"), b"aA");
        assert!(matches!(apply(b"0xg1"), std::borrow::Cow::Borrowed(_)));
    }
}
