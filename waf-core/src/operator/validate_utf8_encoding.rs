//! `@validateUtf8Encoding`: matches when the value is not valid UTF-8.
//!
//! ModSecurity v3 decodes character by character from the start and matches at the first
//! problem: a lead byte that is a continuation byte or 0xF8 and above, a sequence cut short
//! by the end of the value, a following byte that is not a continuation byte, an overlong
//! form (0xC0/0xC1 leads, short 3- and 4-byte forms), a surrogate (U+D800–U+DFFF) or a
//! 4-byte lead of 0xF5 or more. ASCII, NUL included, is always fine, and so is an empty
//! value. ModSecurity's own quirk is kept: a 4-byte sequence led by 0xF4 is not checked
//! against U+10FFFF, so `F4 90 80 80` passes (strict UTF-8 refuses it). The matched part is
//! the offending sequence, from its lead byte.

pub(super) fn find(value: &[u8]) -> Option<&[u8]> {
    let mut i = 0;
    while i < value.len() {
        match character_len(&value[i..]) {
            Ok(len) => i += len,
            Err(len) => return Some(&value[i..i + len]),
        }
    }
    None
}

/// The length of the character at the start of `s` (not empty), or `Err` with the length
/// of the bad sequence.
fn character_len(s: &[u8]) -> Result<usize, usize> {
    let lead = s[0];
    let (len, initial) = match lead {
        0x00..=0x7f => return Ok(1),
        _ if lead & 0xe0 == 0xc0 => (2, u32::from(lead & 0x1f)),
        _ if lead & 0xf0 == 0xe0 => (3, u32::from(lead & 0x0f)),
        _ if lead & 0xf8 == 0xf0 && lead < 0xf5 => (4, u32::from(lead & 0x07)),
        _ => return Err(1),
    };
    if s.len() < len {
        return Err(s.len());
    }
    let mut code = initial;
    for &b in &s[1..len] {
        if b & 0xc0 != 0x80 {
            return Err(len);
        }
        code = code << 6 | u32::from(b & 0x3f);
    }
    let shortest = match len {
        2 => 0x80,
        3 => 0x800,
        _ => 0x1_0000,
    };
    if (0xd800..=0xdfff).contains(&code) || code < shortest {
        return Err(len);
    }
    Ok(len)
}

#[cfg(test)]
mod tests {
    use super::find;

    #[test]
    fn accepts_utf8() {
        for good in [
            "",
            "plain ascii\0",
            "Ts\u{e9}s\u{1eb}",
            "\u{d7ff}\u{e000}\u{10ffff}",
        ] {
            assert!(find(good.as_bytes()).is_none(), "{good}");
        }
        assert!(
            find(b"\xf4\x90\x80\x80").is_none(),
            "ModSecurity does not check above U+10FFFF"
        );
    }

    #[test]
    fn finds_the_first_bad_sequence() {
        let cases: &[(&[u8], &[u8])] = &[
            (b"\\0\xe4", b"\xe4"),
            (b"a\xe4", b"\xe4"),
            (b"\x03\xbf", b"\xbf"),
            (b"\xc9\x3b", b"\xc9\x3b"),
            (b"\xff\\0", b"\xff"),
            (b"\xc0\x80", b"\xc0\x80"),
            (b"\xe0\x80\xaf", b"\xe0\x80\xaf"),
            (b"\xed\xa0\x80", b"\xed\xa0\x80"),
            (b"\xf0\x80\x80\xaf", b"\xf0\x80\x80\xaf"),
            (b"\xf5\x80\x80\x80", b"\xf5"),
            (b"ok\xe2\x82", b"\xe2\x82"),
        ];
        for (value, bad) in cases {
            assert_eq!(find(value), Some(*bad), "{value:?}");
        }
    }
}
