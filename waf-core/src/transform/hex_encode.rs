//! `hexEncode`: every byte becomes two lower-case hex digits. ModSecurity v2, v3 and Coraza
//! agree.

use std::borrow::Cow;

const HEX: &[u8; 16] = b"0123456789abcdef";

pub(super) fn apply(input: &[u8]) -> Cow<'_, [u8]> {
    if input.is_empty() {
        return Cow::Borrowed(input);
    }
    let mut out = Vec::with_capacity(input.len() * 2);
    for &b in input {
        out.extend_from_slice(&[HEX[usize::from(b >> 4)], HEX[usize::from(b & 0xf)]]);
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::apply;

    #[test]
    fn encodes() {
        assert_eq!(&*apply(b"Test\0Case\xff"), b"546573740043617365ff");
    }
}
