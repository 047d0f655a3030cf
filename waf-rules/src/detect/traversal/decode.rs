//! Transport decoding shared by the URL-shaped detectors (traversal, SSRF, open redirect,
//! CR/LF): attackers stack encodings (`%252e`, `%%32%65`, `%u002e`) so that one decoding
//! pass, the request parser's, still leaves an encoded payload for a later layer of the
//! application to decode. These helpers peel a bounded number of such layers.

/// How many percent-decoding passes [`decode_layers`] applies at most: enough for the
/// double and triple encodings seen in the wild, bounded so time stays linear.
const MAX_LAYERS: usize = 4;

/// The value of an ASCII hex digit.
pub(in crate::detect) fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// The byte written as two hex digits at `bytes[i..i + 2]`.
pub(in crate::detect) fn hex_pair(bytes: &[u8], i: usize) -> Option<u8> {
    let hi = hex_val(*bytes.get(i)?)?;
    let lo = hex_val(*bytes.get(i + 1)?)?;
    Some(hi << 4 | lo)
}

/// The code point written as four hex digits at `bytes[i..i + 4]` (`%uXXXX`, IIS style).
fn hex_u16(bytes: &[u8], i: usize) -> Option<u32> {
    let hi = u32::from(hex_pair(bytes, i)?);
    let lo = u32::from(hex_pair(bytes, i + 2)?);
    Some(hi << 8 | lo)
}

/// Appends `cp` to `out` as UTF-8 (U+FFFD for surrogates).
pub(in crate::detect) fn push_char(out: &mut Vec<u8>, cp: u32) {
    let c = char::from_u32(cp).unwrap_or(char::REPLACEMENT_CHARACTER);
    let mut buf = [0u8; 4];
    out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
}

/// One pass of percent-decoding (`%XX` and `%uXXXX`), or `None` when `input` holds no
/// escape. Malformed escapes are kept as written.
pub(in crate::detect) fn percent_decode(input: &[u8]) -> Option<Vec<u8>> {
    if !input.contains(&b'%') {
        return None;
    }
    let mut out = Vec::with_capacity(input.len());
    let mut changed = false;
    let mut i = 0;
    while let Some(&b) = input.get(i) {
        if b == b'%' {
            if let Some(v) = hex_pair(input, i + 1) {
                out.push(v);
                i += 3;
                changed = true;
                continue;
            }
            if matches!(input.get(i + 1), Some(b'u' | b'U'))
                && let Some(cp) = hex_u16(input, i + 2)
            {
                push_char(&mut out, cp);
                i += 6;
                changed = true;
                continue;
            }
        }
        out.push(b);
        i += 1;
    }
    changed.then_some(out)
}

/// `input` with up to [`MAX_LAYERS`] layers of percent-encoding removed.
pub(in crate::detect) fn decode_layers(input: &[u8]) -> Vec<u8> {
    let mut current = input.to_vec();
    for _ in 0..MAX_LAYERS {
        match percent_decode(&current) {
            Some(next) => current = next,
            None => break,
        }
    }
    current
}

/// The UTF-8 scalar starting at `bytes[i]` and its length in bytes, or `None` when the
/// bytes there are not well-formed UTF-8 (ASCII bytes are returned as themselves).
pub(in crate::detect) fn utf8_at(bytes: &[u8], i: usize) -> Option<(u32, usize)> {
    let b0 = *bytes.get(i)?;
    let len = match b0 {
        0x00..=0x7f => return Some((u32::from(b0), 1)),
        0xc2..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xf4 => 4,
        _ => return None,
    };
    let tail = bytes.get(i..i + len)?;
    let s = std::str::from_utf8(tail).ok()?;
    let c = s.chars().next()?;
    Some((u32::from(c), len))
}

/// The raw values of the query parameters of a URL-shaped value (`/search?q=…&p=…`):
/// attacks carried in a Referer or in a redirect parameter sit there, still
/// percent-encoded. Prose with a question mark is not URL-shaped: the part before the
/// `?` must hold no space.
pub(in crate::detect) fn query_values(input: &[u8]) -> impl Iterator<Item = &[u8]> {
    let query = match input.iter().position(|&b| b == b'?') {
        Some(q) if !input[..q].iter().any(u8::is_ascii_whitespace) => &input[q + 1..],
        _ => &[],
    };
    query
        .split(|&b| b == b'&')
        .filter_map(|pair| {
            pair.iter()
                .position(|&b| b == b'=')
                .map(|eq| &pair[eq + 1..])
        })
        .filter(|value| !value.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_stacked_layers() {
        let cases: &[(&[u8], &[u8])] = &[
            (b"%2e%2e%2f", b"../"),
            (b"%252e%252e%252f", b"../"),
            (b"%%32%65%%32%65/", b"../"),
            (b"%u002e%u002e%u2215", "..\u{2215}".as_bytes()),
            (b"100%", b"100%"),
            (b"%zz%4", b"%zz%4"),
            (b"%ud800", "\u{fffd}".as_bytes()),
            (b"plain", b"plain"),
        ];
        for (input, want) in cases {
            assert_eq!(
                decode_layers(input),
                *want,
                "{}",
                String::from_utf8_lossy(input)
            );
        }
    }

    #[test]
    fn splits_query_values() {
        let values: Vec<&[u8]> = query_values(b"https://h/s?q=%2Fetc&x&y=&z=1?2").collect();
        assert_eq!(values, [&b"%2Fetc"[..], b"1?2"]);
        assert_eq!(query_values(b"so what? a=b").count(), 0);
        assert_eq!(query_values(b"no query").count(), 0);
    }

    #[test]
    fn reads_utf8_scalars() {
        assert_eq!(utf8_at(b"a", 0), Some((0x61, 1)));
        assert_eq!(utf8_at("\u{ff0e}".as_bytes(), 0), Some((0xff0e, 3)));
        assert_eq!(utf8_at(&[0xc0, 0xae], 0), None);
        assert_eq!(utf8_at(&[0xe2, 0x88], 0), None);
        assert_eq!(utf8_at(b"", 0), None);
    }
}
