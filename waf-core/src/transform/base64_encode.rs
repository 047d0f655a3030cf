//! `base64Encode`: Base64 with the standard alphabet and `=` padding, no line breaks.
//! ModSecurity v2, v3 and Coraza agree.

use std::borrow::Cow;

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

pub(super) fn apply(input: &[u8]) -> Cow<'_, [u8]> {
    if input.is_empty() {
        return Cow::Borrowed(input);
    }
    let mut out = Vec::with_capacity(input.len().div_ceil(3) * 4);
    for chunk in input.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let symbols = chunk.len() + 1;
        for k in 0..4 {
            out.push(if k < symbols {
                ALPHABET[((n >> (18 - 6 * k)) & 0x3f) as usize]
            } else {
                b'='
            });
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::apply;

    #[test]
    fn encodes() {
        assert_eq!(&*apply(b"TestCase"), b"VGVzdENhc2U=");
        assert_eq!(&*apply(b"TestCase1"), b"VGVzdENhc2Ux");
        assert_eq!(&*apply(b"TestCase12"), b"VGVzdENhc2UxMg==");
        assert_eq!(&*apply(b"Test\0Case"), b"VGVzdABDYXNl");
        assert_eq!(&*apply(b"\xff\xfe"), b"//4=");
    }
}
