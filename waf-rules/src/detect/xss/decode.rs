//! Undoing the encodings XSS payloads hide behind, one linear pass at a time.
//!
//! A browser decodes HTML character references in text and attribute values, a script
//! engine decodes `\u0061` and `\x61` in identifiers and strings, a style sheet decodes
//! `\61 `, and many applications URL-decode a value once more than they should. A
//! payload may stack these (`&#x25;3C` → `%3C` → `<`), so [`decode_once`] undoes all of
//! them in a single left-to-right pass and the caller applies it at most twice.
//!
//! Every decoding shrinks or keeps the length (the shortest escape of a code point is
//! never shorter than its UTF-8 form), so the output is never longer than the input.
//! Besides decoding, the pass drops NUL bytes (browsers ignore or replace them, filters
//! trip on them) and CDATA markers (`<![CDATA[`, `]]>`), which only split a payload.

use super::super::bytes::ByteSet;

/// Named character references that payloads use to hide syntax, lower-case.
///
/// HTML names are case-sensitive, but matching them case-insensitively only makes the
/// detector more suspicious, never less. Longer names come before their prefixes.
const NAMED: &[(&[u8], u8)] = &[
    (b"newline", b'\n'),
    (b"lbrack", b'['),
    (b"rbrack", b']'),
    (b"lbrace", b'{'),
    (b"rbrace", b'}'),
    (b"percnt", b'%'),
    (b"period", b'.'),
    (b"equals", b'='),
    (b"dollar", b'$'),
    (b"commat", b'@'),
    (b"lowbar", b'_'),
    (b"hyphen", b'-'),
    (b"midast", b'*'),
    (b"colon", b':'),
    (b"comma", b','),
    (b"grave", b'`'),
    (b"quest", b'?'),
    (b"excl", b'!'),
    (b"quot", b'"'),
    (b"apos", b'\''),
    (b"lpar", b'('),
    (b"rpar", b')'),
    (b"lsqb", b'['),
    (b"rsqb", b']'),
    (b"lcub", b'{'),
    (b"rcub", b'}'),
    (b"bsol", b'\\'),
    (b"semi", b';'),
    (b"plus", b'+'),
    (b"nbsp", b' '),
    (b"tab", b'\t'),
    (b"amp", b'&'),
    (b"sol", b'/'),
    (b"num", b'#'),
    (b"ast", b'*'),
    (b"lt", b'<'),
    (b"gt", b'>'),
];

/// Whether [`decode_once`] may change a text with bytes `set`: only `%`, `&`, `\`, `+`,
/// `<` (CDATA), `]` (CDATA), `0xEF` (full-width forms) and NUL start a change.
pub(super) fn may_change(set: ByteSet) -> bool {
    set.any_of(ByteSet::new(b"%&\\+<]\0\xEF"))
}

/// Decodes one layer of percent, HTML-reference, JavaScript and CSS escapes, drops
/// NULs and CDATA markers, and folds full-width ASCII (`＜`) to ASCII.
///
/// Percent-encoding is a transport layer wrapped around the others, so it is undone
/// first, in its own pass: `&#x3C%3B` is `&#x3C;` is `<`.
pub(super) fn decode_once(input: &[u8]) -> Vec<u8> {
    decode_markup(&decode_percent(input))
}

/// `%XX` and `%uXXXX`. In a value that is itself URL-encoded (it has a `%XX` escape,
/// like a query string embedded in a `Referer`), `+` is a space, as in a form-encoded
/// query, unless it starts UTF-7.
fn decode_percent(input: &[u8]) -> Vec<u8> {
    let url_encoded = input
        .windows(3)
        .any(|w| w[0] == b'%' && w[1].is_ascii_hexdigit() && w[2].is_ascii_hexdigit());
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while let Some(&b) = input.get(i) {
        let step = match b {
            b'%' => percent(input, i, &mut out),
            b'+' if url_encoded && utf7(input, i).is_none() => {
                out.push(b' ');
                Some(1)
            }
            _ => None,
        };
        match step {
            Some(n) => i += n,
            None => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

/// HTML references, JavaScript and CSS escapes, UTF-7, full-width forms, NULs and
/// CDATA markers.
fn decode_markup(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while let Some(&b) = input.get(i) {
        let step = match b {
            b'&' => reference(input, i, &mut out),
            b'\\' => backslash(input, i, &mut out),
            b'+' => utf7(input, i).map(|(units, len)| {
                out.extend_from_slice(&units);
                len
            }),
            b'<' => cdata_open(input, i),
            b']' => cdata_close(input, i),
            0xEF => fullwidth(input, i, &mut out),
            0 => Some(1),
            _ => None,
        };
        match step {
            Some(n) => i += n,
            None => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

/// `%XX` and IIS-style `%uXXXX`; returns the bytes consumed.
fn percent(input: &[u8], i: usize, out: &mut Vec<u8>) -> Option<usize> {
    let rest = input.get(i + 1..)?;
    if let Some(code) = rest.strip_prefix(b"u").or(rest.strip_prefix(b"U")) {
        let (value, len) = hex_run(code, 4);
        if len == 4 {
            push_code_point(out, value);
            return Some(6);
        }
    }
    let (value, len) = hex_run(rest, 2);
    if len == 2 {
        push_code_point(out, value);
        return Some(3);
    }
    None
}

/// `&#99;`, `&#x63;`, `&#0000099`, `&lt;`, `&colon`…; returns the bytes consumed.
fn reference(input: &[u8], i: usize, out: &mut Vec<u8>) -> Option<usize> {
    let rest = input.get(i + 1..)?;
    let (value, len) = if let Some(num) = rest.strip_prefix(b"#") {
        let (value, digits, prefix) = match num.first() {
            Some(b'x' | b'X') => {
                let (v, n) = hex_run(num.get(1..)?, usize::MAX);
                (v, n, 2)
            }
            _ => {
                let (v, n) = dec_run(num);
                (v, n, 1)
            }
        };
        if digits == 0 {
            return None;
        }
        (value, 1 + prefix + digits)
    } else {
        let (name, value) = NAMED.iter().find(|(name, _)| {
            rest.get(..name.len())
                .is_some_and(|p| p.eq_ignore_ascii_case(name))
        })?;
        (u32::from(*value), 1 + name.len())
    };
    push_code_point(out, value);
    let semi = usize::from(input.get(i + len) == Some(&b';'));
    Some(len + semi)
}

/// `\xNN`, `\uNNNN`, `\u{N…}` (JavaScript), `\N…` (CSS, 1–6 hex digits and one
/// optional space) and `\c` (an escaped ordinary character, which is `c` in both
/// languages); returns the bytes consumed.
fn backslash(input: &[u8], i: usize, out: &mut Vec<u8>) -> Option<usize> {
    let rest = input.get(i + 1..)?;
    let next = *rest.first()?;
    match next {
        b'x' | b'X' => {
            let (value, len) = hex_run(rest.get(1..)?, 2);
            (len == 2).then(|| {
                push_code_point(out, value);
                4
            })
        }
        b'u' | b'U' => {
            if let Some(braced) = rest.get(1..).and_then(|r| r.strip_prefix(b"{")) {
                let (value, len) = hex_run(braced, 6);
                if len > 0 && braced.get(len) == Some(&b'}') {
                    push_code_point(out, value);
                    return Some(len + 4);
                }
            }
            let (value, len) = hex_run(rest.get(1..)?, 4);
            (len == 4).then(|| {
                push_code_point(out, value);
                6
            })
        }
        b'\n' | b'\r' => None,
        _ => {
            let (value, len) = hex_run(rest, 6);
            if len > 0 {
                push_code_point(out, value);
                let space = usize::from(rest.get(len).is_some_and(|&c| c == b' ' || c == b'\t'));
                Some(1 + len + space)
            } else {
                out.push(next);
                Some(2)
            }
        }
    }
}

/// UTF-7 (`+ADw-script+AD4-`): a `+`, base64 of UTF-16 code units, an optional `-`;
/// returns the decoded units and the bytes consumed.
/// Decoded only when every unit is printable ASCII and one of them is markup or quote
/// syntax, so that ordinary text with `+` is never mangled. A run is read for at most
/// [`UTF7_MAX_RUN`] characters and abandoned at its first non-ASCII unit, which keeps
/// the pass linear however many `+` signs the input has.
fn utf7(input: &[u8], i: usize) -> Option<(Vec<u8>, usize)> {
    let (mut bits, mut nbits, mut run) = (0u32, 0u32, 0);
    let mut units = Vec::new();
    for &c in input.get(i + 1..)?.iter().take(UTF7_MAX_RUN) {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => break,
        };
        run += 1;
        bits = ((bits << 6) | u32::from(v)) & 0x3F_FFFF;
        nbits += 6;
        if nbits >= 16 {
            nbits -= 16;
            units.push(
                u8::try_from(bits >> nbits)
                    .ok()
                    .filter(|u| (b' '..=b'~').contains(u))?,
            );
            bits &= (1 << nbits) - 1;
        }
    }
    if !units.iter().any(|u| b"<>\"'=()".contains(u)) {
        return None;
    }
    let dash = usize::from(input.get(i + 1 + run) == Some(&b'-'));
    Some((units, 1 + run + dash))
}

/// The longest UTF-7 base64 run [`utf7`] reads.
const UTF7_MAX_RUN: usize = 256;

/// Skips `<![CDATA[`, which only splits a payload into pieces a parser joins again.
fn cdata_open(input: &[u8], i: usize) -> Option<usize> {
    const MARK: &[u8] = b"<![cdata[";
    let found = input.get(i..i + MARK.len())?.eq_ignore_ascii_case(MARK);
    found.then_some(MARK.len())
}

/// Skips `]]>`, the end of a CDATA section.
fn cdata_close(input: &[u8], i: usize) -> Option<usize> {
    (input.get(i..i + 3)? == b"]]>").then_some(3)
}

/// Full-width forms U+FF01–U+FF5E (`＜script＞`), which Unicode normalisation on a
/// server folds to ASCII, as their ASCII counterparts.
fn fullwidth(input: &[u8], i: usize, out: &mut Vec<u8>) -> Option<usize> {
    let seq = input.get(i..i + 3)?;
    let code = (u32::from(seq[0] & 0x0F) << 12)
        | (u32::from(seq[1] & 0x3F) << 6)
        | u32::from(seq[2] & 0x3F);
    let continuation = seq[1] & 0xC0 == 0x80 && seq[2] & 0xC0 == 0x80;
    if !continuation || !(0xFF01..=0xFF5E).contains(&code) {
        return None;
    }
    out.push(u8::try_from(code - 0xFF01 + 0x21).ok()?);
    Some(3)
}

/// Up to `max` hex digits: their value (saturating) and how many there were.
fn hex_run(s: &[u8], max: usize) -> (u32, usize) {
    let mut value: u32 = 0;
    let mut len = 0;
    for &c in s.iter().take(max) {
        let Some(d) = char::from(c).to_digit(16) else {
            break;
        };
        value = value.saturating_mul(16).saturating_add(d);
        len += 1;
    }
    (value, len)
}

/// A run of decimal digits: its value (saturating) and its length.
fn dec_run(s: &[u8]) -> (u32, usize) {
    let mut value: u32 = 0;
    let mut len = 0;
    for &c in s {
        let Some(d) = char::from(c).to_digit(10) else {
            break;
        };
        value = value.saturating_mul(10).saturating_add(d);
        len += 1;
    }
    (value, len)
}

/// Appends a decoded code point as UTF-8 (NUL dropped, invalid ones as U+FFFD).
fn push_code_point(out: &mut Vec<u8>, value: u32) {
    if value == 0 {
        return;
    }
    let c = char::from_u32(value).unwrap_or(char::REPLACEMENT_CHARACTER);
    let mut buf = [0u8; 4];
    out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
}
