//! `hexDecode`: each pair of bytes, read as two hex digits, becomes one byte.
//!
//! ModSecurity's semantics, which do not validate the digits: a byte's digit value is
//! `b - '0'` below `A` and `(b & 0xdf) - 'A' + 10` from `A` up (so `z` counts as 35), in
//! 8-bit wrapping arithmetic, and the pair gives `hi * 16 + lo` modulo 256: `0z` is `#`.
//! An odd last byte is dropped (`a` gives nothing). Where engines disagree: Coraza rejects
//! invalid hex; ModSecurity v2 and v3 decode as here, and so do we.

use super::finish;
use std::borrow::Cow;

/// ModSecurity's `xsingle2c`: a hex digit's value, and something for any other byte.
fn digit(b: u8) -> u8 {
    if b >= b'A' {
        (b & 0xdf).wrapping_sub(b'A').wrapping_add(10)
    } else {
        b.wrapping_sub(b'0')
    }
}

pub(super) fn apply(input: &[u8]) -> Cow<'_, [u8]> {
    let out = input
        .chunks_exact(2)
        .map(|pair| digit(pair[0]).wrapping_mul(16).wrapping_add(digit(pair[1])))
        .collect();
    finish(input, out)
}

#[cfg(test)]
mod tests {
    use super::apply;

    #[test]
    fn decodes() {
        assert_eq!(&*apply(b"5465737443617365"), b"TestCase");
        assert_eq!(&*apply(b"546573740043617365"), b"Test\0Case");
        assert_eq!(
            &*apply(b"01234567890a0z01234567890a"),
            b"\x01#Eg\x89\x0a#\x01#Eg\x89\x0a"
        );
        assert_eq!(&*apply(b"01234567890az"), b"\x01#Eg\x89\x0a");
        assert_eq!(&*apply(b"a"), b"");
        assert_eq!(&*apply(b"FFff"), b"\xff\xff");
        assert!(matches!(apply(b""), std::borrow::Cow::Borrowed(_)));
    }
}
