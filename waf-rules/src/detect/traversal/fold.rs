//! Folding a decoded value into a canonical path: the many spellings of `.`, `/` and `\`
//! that servers have been tricked into accepting (overlong UTF-8, IIS `%u` best-fit
//! mappings, full-width forms, `0x2e` text) all become the ASCII byte, backslashes become
//! slashes and letters become lower case, so one scanner sees them all.

use super::decode::utf8_at;

/// Overlong or look-alike spelling of the path bytes: the ASCII byte a lenient decoder
/// would turn code point `cp` into.
fn path_lookalike(cp: u32) -> Option<u8> {
    match cp {
        // FULLWIDTH FULL STOP, ONE DOT LEADER, SMALL FULL STOP.
        0xff0e | 0x2024 | 0xfe52 => Some(b'.'),
        // DIVISION SLASH, FRACTION SLASH, FULLWIDTH SOLIDUS, BIG SOLIDUS, and the private-use
        // code points IIS best-fit maps onto `/`.
        0x2215 | 0x2044 | 0xff0f | 0x29f8 | 0xefc8 | 0xf025 => Some(b'/'),
        // SET MINUS, FULLWIDTH REVERSE SOLIDUS, SMALL REVERSE SOLIDUS, BIG REVERSE SOLIDUS.
        0x2216 | 0xff3c | 0xfe68 | 0x29f9 => Some(b'/'),
        _ => None,
    }
}

/// The byte an overlong UTF-8 sequence at `bytes[i]` stands for, and its length: `C0 AE`
/// is `.`, `C1 9C` is `\`, `E0 80 AE` is `.`. A lead `C0`/`C1` before an ASCII byte (the
/// `%c0%2e` variant) stands for that byte.
fn overlong_at(bytes: &[u8], i: usize) -> Option<(u8, usize)> {
    let b0 = *bytes.get(i)?;
    let b1 = *bytes.get(i + 1)?;
    match b0 {
        // `%c0%2e` is `.`; `%c1%1c` is `\\` (IIS kept only the low bits).
        0xc0 if b1 < 0x80 => Some((b1, 2)),
        0xc0 | 0xc1 => Some((((b0 & 1) << 6) | (b1 & 0x3f), 2)),
        0xe0 if (0x80..=0x9f).contains(&b1) => {
            let b2 = *bytes.get(i + 2)?;
            let cp = (u32::from(b1 & 0x3f) << 6) | u32::from(b2 & 0x3f);
            u8::try_from(cp).ok().filter(u8::is_ascii).map(|c| (c, 3))
        }
        0xf0 if (0x80..=0x8f).contains(&b1) => {
            let tail = bytes.get(i + 2..i + 4)?;
            let cp = (u32::from(b1 & 0x3f) << 12)
                | (u32::from(tail[0] & 0x3f) << 6)
                | u32::from(tail[1] & 0x3f);
            u8::try_from(cp).ok().filter(u8::is_ascii).map(|c| (c, 4))
        }
        _ => None,
    }
}

/// `0x2e`, `0x2f` or `0x5c` written out as text at `bytes[i]`: a spelling some decoders
/// (and payload lists) use for `.`, `/` and `\`.
fn hex_text_at(bytes: &[u8], i: usize) -> Option<u8> {
    let s = bytes.get(i..i + 4)?;
    if s[0] != b'0' || !s[1].eq_ignore_ascii_case(&b'x') {
        return None;
    }
    match [s[2], s[3].to_ascii_lowercase()] {
        [b'2', b'e'] => Some(b'.'),
        [b'2', b'f'] | [b'5', b'c'] => Some(b'/'),
        _ => None,
    }
}

/// The canonical form of a decoded value: see the module documentation.
pub(super) fn fold_path(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b >= 0x80 {
            if let Some((c, len)) = overlong_at(bytes, i) {
                out.push(if c == b'\\' {
                    b'/'
                } else {
                    c.to_ascii_lowercase()
                });
                i += len;
                continue;
            }
            if let Some((cp, len)) = utf8_at(bytes, i) {
                match path_lookalike(cp) {
                    Some(c) => out.push(c),
                    None => out.extend_from_slice(&bytes[i..i + len]),
                }
                i += len;
                continue;
            }
            out.push(b);
            i += 1;
            continue;
        }
        if b == b'0'
            && let Some(c) = hex_text_at(bytes, i)
        {
            out.push(c);
            i += 4;
            continue;
        }
        out.push(if b == b'\\' {
            b'/'
        } else {
            b.to_ascii_lowercase()
        });
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_spellings_of_dot_and_slash() {
        let cases: &[(&[u8], &[u8])] = &[
            (b"..\\..\\Boot.ini", b"../../boot.ini"),
            (&[0xc0, 0xae, 0xc0, 0xae, 0xc0, 0xaf], b"../"),
            (&[0xc0, 0x2e, 0xc0, 0x2e, 0xc1, 0x9c], b"../"),
            (&[0xc0, 0xae, 0xc0, 0xae, 0xc1, 0x1c], b"../"),
            (&[0xe0, 0x80, 0xae, 0x2e, 0x2f], b"../"),
            ("\u{ff0e}\u{ff0e}\u{2215}".as_bytes(), b"../"),
            (b"0x2e0x2e0x5cetc", b"../etc"),
            (b"0x41", b"0x41"),
            ("caf\u{e9}".as_bytes(), "caf\u{e9}".as_bytes()),
            (&[0xff, 0xc0], &[0xff, 0xc0]),
        ];
        for (input, want) in cases {
            assert_eq!(fold_path(input), *want, "{input:?}");
        }
    }
}
