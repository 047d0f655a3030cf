//! `escapeSeqDecode`: ANSI C escape sequences to bytes, as ModSecurity does it.
//!
//! After a backslash (that is not the last byte):
//! - `\a`, `\b`, `\f`, `\n`, `\r`, `\t`, `\v`, `\\`, `\?`, `\'`, `\"`: the character.
//! - `\x` or `\X` and two hex digits: that byte.
//! - One to three octal digits: their value's low byte (`\666` is 0xb6, `\0123` is LF `3`).
//!   Unlike `jsDecode`, three digits are always taken.
//! - Anything else: the byte after the backslash, without the backslash (`\8` is `8`,
//!   `\xag` is `xag`).
//!
//! A backslash at the very end is kept. ModSecurity v2 and v3 agree.

use super::{finish, hex_pair, hex_value};
use std::borrow::Cow;

pub(super) fn apply(input: &[u8]) -> Cow<'_, [u8]> {
    if !input.contains(&b'\\') {
        return Cow::Borrowed(input);
    }
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        let b = input[i];
        let next = match input.get(i + 1) {
            Some(&next) if b == b'\\' => next,
            _ => {
                out.push(b);
                i += 1;
                continue;
            }
        };
        let simple = match next {
            b'a' => Some(0x07),
            b'b' => Some(0x08),
            b'f' => Some(0x0c),
            b'n' => Some(b'\n'),
            b'r' => Some(b'\r'),
            b't' => Some(b'\t'),
            b'v' => Some(0x0b),
            b'\\' | b'?' | b'\'' | b'"' => Some(next),
            _ => None,
        };
        if let Some(c) = simple {
            out.push(c);
            i += 2;
        } else if matches!(next, b'x' | b'X')
            && (2..4).all(|k| input.get(i + k).copied().and_then(hex_value).is_some())
        {
            out.push(hex_pair(input[i + 2], input[i + 3]));
            i += 4;
        } else if matches!(next, b'0'..=b'7') {
            let digits = input[i + 1..]
                .iter()
                .take(3)
                .take_while(|d| matches!(d, b'0'..=b'7'))
                .count();
            let value = input[i + 1..i + 1 + digits]
                .iter()
                .fold(0u32, |acc, &d| acc * 8 + u32::from(d - b'0'));
            out.push((value & 0xff) as u8);
            i += 1 + digits;
        } else {
            out.push(next);
            i += 2;
        }
    }
    finish(input, out)
}

#[cfg(test)]
mod tests {
    use super::apply;

    #[test]
    fn decodes() {
        assert_eq!(
            &*apply(br#"\a\b\f\n\r\t\v\?\'\"\0\12\123\x00\xff"#),
            b"\x07\x08\x0c\n\r\t\x0b?'\"\0\nS\0\xff"
        );
        assert_eq!(&*apply(br"\8\9\666\xag\xga\0123"), b"89\xb6xagxga\n3");
        assert_eq!(&*apply(br"\x\x0\X41"), b"xx0A");
        assert_eq!(&*apply(br"\\u0000"), br"\u0000");
        assert!(matches!(apply(b"abc\\"), std::borrow::Cow::Borrowed(_)));
    }
}
