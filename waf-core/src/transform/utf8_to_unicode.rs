//! `utf8toUnicode`: every UTF-8 sequence becomes `%u` and its code point in lower-case hex,
//! at least four digits (`é` is `%u00e9`, `😀` is `%u1f600`), as ModSecurity v3 does it:
//! - ASCII bytes are copied, except that a NUL byte is dropped unless it is the last byte
//!   of the value (an artefact of v3's C code that we reproduce: it can only join bytes).
//! - A lead byte (`110xxxxx`, `1110xxxx`, `11110xxx`) followed by the right number of
//!   continuation bytes (`10xxxxxx`) is encoded whatever the code point: overlong forms and
//!   surrogates are encoded too, and then the lead byte is also copied after the `%u`
//!   escape, once for an overlong form and once for a surrogate (`C0 AF` is `%u002f` and
//!   0xc0). A four-byte lead of 0xf5 to 0xf7 (beyond U+10FFFF) is copied before the escape.
//! - A lead byte without its continuation bytes is dropped, and decoding resumes at the next
//!   byte; a stray continuation byte or a byte 0xf8 to 0xff is copied as it is.
//!
//! Where engines disagree: ModSecurity v2 keeps NUL bytes and miscomputes four-byte code
//! points; Coraza turns each invalid byte into `%ufffd`. We follow v3, byte for byte.

use std::borrow::Cow;

pub(super) fn apply(input: &[u8]) -> Cow<'_, [u8]> {
    let last_nul_only = !input[..input.len().saturating_sub(1)].contains(&0);
    if input.is_ascii() && last_nul_only {
        return Cow::Borrowed(input);
    }
    let len = input.len();
    let continuation = |i: usize| input.get(i).is_some_and(|&b| b & 0xc0 == 0x80);
    let mut out = Vec::with_capacity(len * 4);
    let mut i = 0;
    while i < len {
        let c = input[i];
        let (width, lead_bits) = match c {
            0x00..=0x7f => {
                if c != 0 || i + 1 == len {
                    out.push(c);
                }
                i += 1;
                continue;
            }
            0xc0..=0xdf => (2, c & 0x1f),
            0xe0..=0xef => (3, c & 0x0f),
            0xf0..=0xf7 => {
                if c >= 0xf5 {
                    out.push(c);
                }
                (4, c & 0x07)
            }
            _ => {
                // A continuation byte out of place, or 0xf8 to 0xff.
                out.push(c);
                i += 1;
                continue;
            }
        };
        if !(1..width).all(|k| continuation(i + k)) {
            // The lead byte is dropped.
            i += 1;
            continue;
        }
        let code = input[i + 1..i + width]
            .iter()
            .fold(u32::from(lead_bits), |acc, &b| {
                (acc << 6) | u32::from(b & 0x3f)
            });
        push_escape(&mut out, code);
        if (0xd800..=0xdfff).contains(&code) {
            out.push(c);
        }
        let shortest = match width {
            2 => 0x80,
            3 => 0x800,
            _ => 0x1_0000,
        };
        if code < shortest {
            out.push(c);
        }
        i += width;
    }
    super::finish(input, out)
}

/// Appends `%u` and `code` in lower-case hex, zero-padded to four digits.
fn push_escape(out: &mut Vec<u8>, code: u32) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.extend_from_slice(b"%u");
    let digits = (8 - code.leading_zeros() as usize / 4).max(4);
    for k in (0..digits).rev() {
        out.push(HEX[((code >> (4 * k)) & 0xf) as usize]);
    }
}

#[cfg(test)]
mod tests {
    use super::apply;

    #[test]
    fn encodes() {
        assert_eq!(&*apply("a é €".as_bytes()), b"a %u00e9 %u20ac");
        assert_eq!(&*apply("😀".as_bytes()), b"%u1f600");
        assert_eq!(&*apply(b"\xf4\x8f\xbf\xbf"), b"%u10ffff");
        assert_eq!(&*apply(b"\xc3\xa9\0x"), b"%u00e9x");
        assert_eq!(&*apply(b"\xc3\xa9\0"), b"%u00e9\0");
    }

    #[test]
    fn invalid_sequences() {
        assert_eq!(&*apply(b"\xc0\xaf"), b"%u002f\xc0");
        assert_eq!(&*apply(b"\xed\xa0\x80"), b"%ud800\xed");
        assert_eq!(&*apply(b"\xf0\x80\x80\xaf"), b"%u002f\xf0");
        assert_eq!(&*apply(b"\xf5\x80\x80\x80"), b"\xf5%u140000");
        assert_eq!(&*apply(b"\xc3A\xe2\x82"), b"A\x82");
        assert_eq!(&*apply(b"\x80\xff"), b"\x80\xff");
        assert_eq!(&*apply(b"a\0b"), b"ab");
        assert!(matches!(apply(b"plain\0"), std::borrow::Cow::Borrowed(_)));
    }
}
