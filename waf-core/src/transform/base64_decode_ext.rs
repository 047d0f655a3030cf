//! `base64DecodeExt`: forgiving Base64 decoding, ModSecurity v3's `decode_forgiven`:
//! - every byte outside the alphabet (`A-Z a-z 0-9 + /`) is skipped, `.` and white space
//!   included (`P.HNjcmlwdD4=` decodes as `PHNjcmlwdD4=`), and so is `=`, except that
//! - a `=` that comes right after a group's first character (position 1 of 4) and is not
//!   followed by another `=` makes the whole value invalid, and the result is empty;
//! - a last group of two or three characters gives one or two bytes.
//!
//! Where engines disagree: v3 also returns nothing when the value's last byte is a `9` that
//! starts a new group (its 6-bit value, 61, is compared with the code of `=`); that is a slip
//! in its C code that would let one appended byte blank a payload, and we do not copy it. Coraza
//! stops at the first `=` and also accepts the URL-safe alphabet; ModSecurity v2 has no
//! `base64DecodeExt`. We follow v3.

use super::base64_decode::{Decoder, sextet};
use super::finish;
use std::borrow::Cow;

pub(super) fn apply(input: &[u8]) -> Cow<'_, [u8]> {
    if input.is_empty() {
        return Cow::Borrowed(input);
    }
    let mut decoder = Decoder::with_capacity(input.len() / 4 * 3 + 2);
    for (i, &b) in input.iter().enumerate() {
        if b == b'=' {
            if decoder.pending() == 1 && input.get(i + 1) != Some(&b'=') {
                return finish(input, Vec::new());
            }
            continue;
        }
        if let Some(v) = sextet(b) {
            decoder.push(v);
        }
    }
    finish(input, decoder.finish())
}

#[cfg(test)]
mod tests {
    use super::apply;

    #[test]
    fn decodes() {
        assert_eq!(
            &*apply(b"P.HNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=="),
            b"<script>alert(1)</script>"
        );
        assert_eq!(&*apply(b"VGVz dEN\thc2U=\0"), b"TestCase");
        assert_eq!(&*apply(b"VGVz=dEN=hc2U="), b"TestCase");
        assert_eq!(&*apply(b"VGVzd="), b"");
        assert_eq!(&*apply(b"VGVzd=="), b"");
        assert_eq!(&*apply(b"VGVzdENhc2UxMg"), b"TestCase12");
        assert_eq!(&*apply(b"QUFB9"), b"AAA");
    }
}
