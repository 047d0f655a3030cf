//! `urlDecodeUni`: `urlDecode` plus IIS-style `%uXXXX` escapes.
//!
//! A `%uXXXX` escape becomes the low byte of the code point, except that full-width
//! ASCII forms (U+FF01 to U+FF5E) become their ASCII letter: that is how IIS maps them,
//! and how attackers use them to smuggle `<` and `'` past filters.

use super::hex_value;
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
            continue;
        }
        if b == b'%' {
            if let Some(code) = unicode_escape(&input[i..]) {
                let low = (code & 0xff) as u8;
                out.push(if (0xff01..=0xff5e).contains(&code) {
                    low + 0x20
                } else {
                    low
                });
                i += 6;
                continue;
            }
            if let (Some(hi), Some(lo)) = (
                input.get(i + 1).copied().and_then(hex_value),
                input.get(i + 2).copied().and_then(hex_value),
            ) {
                out.push(hi << 4 | lo);
                i += 3;
                continue;
            }
        }
        out.push(b);
        i += 1;
    }
    Cow::Owned(out)
}

/// Reads `%uXXXX` at the start of `s`.
fn unicode_escape(s: &[u8]) -> Option<u16> {
    if s.len() < 6 || !matches!(s[1], b'u' | b'U') {
        return None;
    }
    s[2..6].iter().try_fold(0u16, |acc, &b| {
        hex_value(b).map(|v| acc << 4 | u16::from(v))
    })
}
