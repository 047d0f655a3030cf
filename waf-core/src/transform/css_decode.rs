//! `cssDecode`: CSS 2 escapes to bytes, as ModSecurity does it.
//!
//! After a backslash:
//! - One to six hex digits (as many as there are, up to six) make one byte:
//!   - one digit: its value (`\a` is LF, `\f` is 0x0f);
//!   - two or three digits: the last two (`\123` is `#`);
//!   - four digits: the last two, plus 0x20 for full-width ASCII (`\ff01` to `\ff5e`);
//!   - five or six digits: the last two, with that same full-width fix only when the
//!     leading digits are zeros (`\0ff01`, `\00ff01`).
//!
//!   One white-space byte (C `isspace`) right after the digits is part of the escape and
//!   is dropped (`\1 A` is 0x01 `A`).
//! - A newline: line continuation, both bytes dropped.
//! - Any other byte (including a NUL) stands for itself, without the backslash.
//! - A backslash at the very end is dropped.
//!
//! ModSecurity v2 and v3 agree; we follow them (Coraza now decodes full code points to
//! UTF-8 instead, which breaks byte-for-byte compatibility with CRS's expectations).

use super::{finish, hex_pair, hex_value, is_space};
use std::borrow::Cow;

pub(super) fn apply(input: &[u8]) -> Cow<'_, [u8]> {
    if !input.contains(&b'\\') {
        return Cow::Borrowed(input);
    }
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        if input[i] != b'\\' {
            out.push(input[i]);
            i += 1;
            continue;
        }
        i += 1; // the backslash
        let Some(&next) = input.get(i) else {
            break; // a trailing backslash continues to nothing
        };
        let digits = input[i..]
            .iter()
            .take(6)
            .take_while(|&&d| hex_value(d).is_some())
            .count();
        if digits > 0 {
            let hex = &input[i..i + digits];
            let byte = if digits == 1 {
                hex_value(hex[0]).unwrap_or(0)
            } else {
                hex_pair(hex[digits - 2], hex[digits - 1])
            };
            let full_width_check = match digits {
                4 => true,
                5 => hex[0] == b'0',
                6 => hex[0] == b'0' && hex[1] == b'0',
                _ => false,
            };
            let full_width = full_width_check
                && (0x01..0x5f).contains(&byte)
                && hex[digits - 4..digits - 2].eq_ignore_ascii_case(b"ff");
            out.push(if full_width { byte + 0x20 } else { byte });
            i += digits;
            if input.get(i).is_some_and(|&b| is_space(b)) {
                i += 1;
            }
        } else if next == b'\n' {
            i += 1;
        } else {
            out.push(next);
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
        assert_eq!(
            &*apply(br"\1A\1 A\1234567\123456 7\1x\1 x"),
            b"\x1a\x01AV7V7\x01x\x01x"
        );
        assert_eq!(&*apply(b"test\\"), b"test");
        assert_eq!(&*apply(br"\ff01\ff5e\0ff01\00ff01\1ff01"), b"!~!!\x01");
        assert_eq!(&*apply(b"a\\\nb\\q\\\0c"), b"ab\x71\0c");
    }

    /// The conformance suite's long case, with the NUL bytes it really carries (its runner
    /// reads strings up to the first NUL, so only the part before it is checked there).
    /// `\0 ` is a hex escape and eats one space; `\` + NUL is a NUL, and both spaces stay.
    #[test]
    fn full_sequence_with_nuls() {
        let input = b"test\\a\\b\\f\\n\\r\\t\\v\\?\\'\\\"\\\x00\\12\\123\\1234\\12345\\123456\\ff01\\ff5e\\\n\\\x00  string";
        let expected = b"test\n\x0b\x0fnrtv?'\"\x00\x12#4EV!~\x00  string";
        assert_eq!(&*apply(input), expected);
        let with_zero = b"x\\0  string";
        assert_eq!(&*apply(with_zero), b"x\x00 string");
    }
}
