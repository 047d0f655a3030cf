//! `htmlEntityDecode`: HTML character references to bytes.
//!
//! ModSecurity's semantics, which are much narrower than HTML's:
//! - `&#` then one or more decimal digits, or `&#x`/`&#X` then one or more hex digits,
//!   with or without a closing `;` (consumed if present). The value becomes one byte: its low
//!   8 bits (`&#321;` is `A`, `&#x141;` is `A`), and a value too large for a C `long` becomes
//!   0xff (`strtol` saturates). Leading zeros are fine: `&#0000000123;` is `{`.
//! - `&name` where `name` is the whole run of ASCII letters and digits after `&`, compared
//!   without regard to case with exactly `quot`, `amp`, `lt`, `gt` and `nbsp` (0xa0), again
//!   with an optional `;`. No other name is decoded: `&apos;` and `&copy;` stay as they are,
//!   and so does `&ltx;`.
//! - Anything else, including `&#;`, `&#x;` and a lone `&`, is kept as it is.
//!
//! Where engines disagree: libmodsecurity 3.0.13 capped numeric references at 3 decimal or
//! 2 hex digits, which let `&#0000123;` through undecoded (a filter bypass, covered by the
//! conformance suite). We follow ModSecurity v2 and v3 before 3.0.13: any number of digits.
//! Coraza uses a full HTML5 decoder instead (all named references, UTF-8 output), which is
//! not byte-compatible with what CRS was written against.

use super::finish;
use std::borrow::Cow;

pub(super) fn apply(input: &[u8]) -> Cow<'_, [u8]> {
    if !input.contains(&b'&') {
        return Cow::Borrowed(input);
    }
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        if input[i] == b'&' {
            match reference(&input[i + 1..]) {
                Ok((byte, used)) => {
                    out.push(byte);
                    i += 1 + used;
                }
                Err(keep) => {
                    // `keep` bytes after `&` are known not to start a reference.
                    let end = (i + 1 + keep).min(input.len());
                    out.extend_from_slice(&input[i..end]);
                    i = end;
                }
            }
        } else {
            out.push(input[i]);
            i += 1;
        }
    }
    finish(input, out)
}

/// Decodes the reference after `&`: the byte and how many bytes it used; or, if there is
/// none, how many bytes after `&` may be copied as they are.
fn reference(s: &[u8]) -> Result<(u8, usize), usize> {
    match s.first() {
        None => Err(0),
        Some(b'#') => {
            let (radix, digits_at) = match s.get(1) {
                None => return Err(1),
                Some(b'x' | b'X') => (16, 2),
                Some(_) => (10, 1),
            };
            let digits = s[digits_at..]
                .iter()
                .take_while(|b| (**b as char).is_digit(radix))
                .count();
            if digits == 0 {
                return Err(digits_at);
            }
            let end = digits_at + digits;
            let byte = number_byte(&s[digits_at..end], radix);
            Ok((byte, end + usize::from(s.get(end) == Some(&b';'))))
        }
        Some(_) => {
            let len = s.iter().take_while(|b| b.is_ascii_alphanumeric()).count();
            let name = &s[..len];
            let byte = [
                (&b"quot"[..], b'"'),
                (b"amp", b'&'),
                (b"lt", b'<'),
                (b"gt", b'>'),
                (b"nbsp", 0xa0),
            ]
            .iter()
            .find(|(n, _)| name.eq_ignore_ascii_case(n))
            .map(|(_, b)| *b);
            match byte {
                Some(byte) => Ok((byte, len + usize::from(s.get(len) == Some(&b';')))),
                None => Err(len),
            }
        }
    }
}

/// `(unsigned char) strtol(digits, NULL, radix)`: the low byte, or 0xff once the value
/// passes `LONG_MAX`.
fn number_byte(digits: &[u8], radix: u32) -> u8 {
    let mut value: u64 = 0;
    for &d in digits {
        let digit = u64::from((d as char).to_digit(radix).unwrap_or(0));
        match value
            .checked_mul(u64::from(radix))
            .and_then(|v| v.checked_add(digit))
        {
            Some(v) if v <= i64::MAX as u64 => value = v,
            _ => return 0xff,
        }
    }
    (value & 0xff) as u8
}

#[cfg(test)]
mod tests {
    use super::apply;

    #[test]
    fn numeric() {
        assert_eq!(&*apply(b"&#60;&#x3C;&#X3c"), b"<<<");
        assert_eq!(&*apply(b"&#x24;&#000000000000000000000000000123;x"), b"${x");
        assert_eq!(&*apply(b"&#321;&#x141;"), b"AA");
        assert_eq!(&*apply(b"&#99999999999999999999999;"), b"\xff");
        assert_eq!(&*apply(b"&#X2g;&#1a0;&#10a"), b"\x02g;\x01a0;\na");
        assert_eq!(
            &*apply(b"&#xg;&#a;&#;&#x;&#&#x&"),
            b"&#xg;&#a;&#;&#x;&#&#x&"
        );
    }

    #[test]
    fn named() {
        assert_eq!(&*apply(b"&lt;&GT&Quot;&amp&nbsp;"), b"<>\"&\xa0");
        assert_eq!(&*apply(b"&apos;&ltx;&foo;&;"), b"&apos;&ltx;&foo;&;");
        assert!(matches!(
            apply(b"&foo & bar"),
            std::borrow::Cow::Borrowed(_)
        ));
    }
}
