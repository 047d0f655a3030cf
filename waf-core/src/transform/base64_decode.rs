//! `base64Decode`: Base64 (RFC 4648 alphabet, `+` and `/`) decoded.
//!
//! Semantics: CR and LF are skipped; decoding stops at the first other byte outside the
//! alphabet (`=` padding, a space, a NUL, ...) and returns what was decoded up to there; a
//! last group of two or three characters gives one or two bytes, a lone last character is
//! dropped. Padding is optional.
//!
//! Where engines disagree: ModSecurity v2 (APR's decoder) and Coraza decode up to the first
//! invalid byte, as here (v2 does not skip CR/LF; v3 and Coraza do). ModSecurity v3 hands the
//! value to mbedTLS, which returns nothing at all unless the whole value is valid, padded
//! Base64. We follow v2 and Coraza: with all-or-nothing decoding one stray byte appended to an
//! encoded payload blanks it, and the rules that decode (CRS 934100 and its siblings) never
//! see it. Valid, padded Base64 decodes the same in all three.

use super::finish;
use std::borrow::Cow;

/// The 6-bit value of a Base64 alphabet byte.
pub(super) fn sextet(b: u8) -> Option<u8> {
    match b {
        b'A'..=b'Z' => Some(b - b'A'),
        b'a'..=b'z' => Some(b - b'a' + 26),
        b'0'..=b'9' => Some(b - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    }
}

/// Accumulates sextets into bytes.
#[derive(Default)]
pub(super) struct Decoder {
    out: Vec<u8>,
    acc: u32,
    n: u8,
}

impl Decoder {
    pub(super) fn with_capacity(n: usize) -> Self {
        Self {
            out: Vec::with_capacity(n),
            ..Self::default()
        }
    }

    pub(super) fn push(&mut self, sextet: u8) {
        self.acc = (self.acc << 6) | u32::from(sextet);
        self.n += 1;
        if self.n == 4 {
            self.out.extend_from_slice(&[
                (self.acc >> 16) as u8,
                (self.acc >> 8) as u8,
                self.acc as u8,
            ]);
            self.acc = 0;
            self.n = 0;
        }
    }

    /// The number of sextets in the current, incomplete group.
    pub(super) fn pending(&self) -> u8 {
        self.n
    }

    /// The decoded bytes, with a last group of 2 or 3 sextets giving 1 or 2 bytes.
    pub(super) fn finish(mut self) -> Vec<u8> {
        match self.n {
            2 => self.out.push((self.acc >> 4) as u8),
            3 => self
                .out
                .extend_from_slice(&[(self.acc >> 10) as u8, (self.acc >> 2) as u8]),
            _ => {}
        }
        self.out
    }
}

pub(super) fn apply(input: &[u8]) -> Cow<'_, [u8]> {
    if input.is_empty() {
        return Cow::Borrowed(input);
    }
    let mut decoder = Decoder::with_capacity(input.len() / 4 * 3 + 2);
    for &b in input {
        if b == b'\r' || b == b'\n' {
            continue;
        }
        match sextet(b) {
            Some(v) => decoder.push(v),
            None => break,
        }
    }
    finish(input, decoder.finish())
}

#[cfg(test)]
mod tests {
    use super::apply;

    #[test]
    fn decodes() {
        assert_eq!(&*apply(b"VGVzdENhc2U="), b"TestCase");
        assert_eq!(&*apply(b"VGVzdENhc2UxMg=="), b"TestCase12");
        assert_eq!(&*apply(b"VGVzdENhc2UxMg"), b"TestCase12");
        assert_eq!(&*apply(b"VGVzdENhc2Ux"), b"TestCase1");
        assert_eq!(&*apply(b"VGVzdABDYXNl"), b"Test\0Case");
        assert_eq!(&*apply(b"VGVz\r\ndA"), b"Test");
        assert_eq!(&*apply(b"ZXZhbCg=!garbage"), b"eval(");
        assert_eq!(&*apply(b"ZXZhbCg!"), b"eval(");
        assert_eq!(&*apply(b"ZXZhbA!"), b"eval");
        assert_eq!(&*apply(b"VGVzdENhc2U=\0VGVzdENhc2U="), b"TestCase");
        assert_eq!(&*apply(b"!abc"), b"");
        assert_eq!(&*apply(b"Q"), b"");
    }
}
