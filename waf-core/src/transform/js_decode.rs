//! `jsDecode`: JavaScript string escapes to bytes, as ModSecurity does it.
//!
//! After a backslash, the first rule that fits wins:
//! - `\uHHHH` (lower-case `u`, four hex digits): the low byte of the code point, plus 0x20
//!   for full-width ASCII (U+FF01 to U+FF5E), as in `urlDecodeUni`.
//! - `\xHH` (lower-case `x`, two hex digits): that byte.
//! - `\` and one to three octal digits: their value as one byte; three digits are used only
//!   when the first is `0`-`3` (so that the value fits), otherwise two: `\477` is `'` + `7`.
//! - `\a`, `\b`, `\f`, `\n`, `\r`, `\t`, `\v`: the control character; any other byte after
//!   the backslash stands for itself (`\'` is `'`, `\x` without two hex digits is `x`,
//!   `\u` without four is `u`).
//! - A backslash at the very end is kept.

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
        if b != b'\\' {
            out.push(b);
            i += 1;
            continue;
        }
        let Some(&next) = input.get(i + 1) else {
            out.push(b'\\');
            break;
        };
        let hex_at = |k: usize| input.get(i + k).copied().and_then(hex_value).is_some();
        if next == b'u' && (2..6).all(hex_at) {
            let low = hex_pair(input[i + 4], input[i + 5]);
            let full_width = input[i + 2..i + 4].eq_ignore_ascii_case(b"ff");
            out.push(if full_width && (0x01..0x5f).contains(&low) {
                low + 0x20
            } else {
                low
            });
            i += 6;
        } else if next == b'x' && (2..4).all(hex_at) {
            out.push(hex_pair(input[i + 2], input[i + 3]));
            i += 4;
        } else if is_octal(next) {
            let mut digits = input[i + 1..]
                .iter()
                .take(3)
                .take_while(|&&d| is_octal(d))
                .count();
            if digits == 3 && next > b'3' {
                digits = 2;
            }
            let value = input[i + 1..i + 1 + digits]
                .iter()
                .fold(0u32, |acc, &d| acc * 8 + u32::from(d - b'0'));
            out.push((value & 0xff) as u8);
            i += 1 + digits;
        } else {
            out.push(match next {
                b'a' => 0x07,
                b'b' => 0x08,
                b'f' => 0x0c,
                b'n' => b'\n',
                b'r' => b'\r',
                b't' => b'\t',
                b'v' => 0x0b,
                other => other,
            });
            i += 2;
        }
    }
    finish(input, out)
}

fn is_octal(b: u8) -> bool {
    matches!(b, b'0'..=b'7')
}

#[cfg(test)]
mod tests {
    use super::apply;

    #[test]
    fn decodes() {
        assert_eq!(&*apply(br"\u0041\uff1c\u1141\U0041"), b"A<AU0041");
        assert_eq!(&*apply(br"\x41\X41\x4"), b"AX41x4");
        assert_eq!(&*apply(br"\0\12\123\477\1234"), b"\0\nS'7S4");
        assert_eq!(
            &*apply(br#"\a\b\f\n\r\t\v\?\'\"\\\q"#),
            b"\x07\x08\x0c\n\r\t\x0b?'\"\\q"
        );
        assert_eq!(&*apply(br"\u\u0\u01\u012"), b"uu0u01u012");
        assert_eq!(&*apply(b"a\\"), b"a\\");
        assert!(matches!(apply(b"\\"), std::borrow::Cow::Borrowed(_)));
    }
}
