//! The readings of a value: the bytes as received, and as an application may see
//! them after decoding that the request parser did not do.
//!
//! Cookies and most headers reach the detector as sent, so scanners' percent-encoded
//! payloads are still encoded there; a Referer carries its own query string; a
//! database converting Unicode to a legacy code page turns typographic quotes into
//! ASCII ones. Each reading is scanned; the detector reports the most confident.

use super::super::bytes::ByteSet;
use std::borrow::Cow;

/// `input`, then its decoded variants (each at most as long as `input`, and in total
/// at most a few times its length).
pub(super) fn readings(input: &[u8]) -> Vec<Cow<'_, [u8]>> {
    let mut out: Vec<Cow<'_, [u8]>> = vec![Cow::Borrowed(input)];
    if let Some(once) = decode(input, false) {
        // `%2527`: encoded twice, once for the transport and once to get past filters.
        out.extend(decode(&once, false).map(Cow::Owned));
        out.push(Cow::Owned(once));
    }
    if !input.iter().any(|&b| super::lexer::is_space(b)) {
        // `1'+union+select+1,2--`: form-encoded spaces where nothing decoded them.
        out.extend(decode(input, true).map(Cow::Owned));
    }
    for value in query_values(input) {
        out.push(decode(value, true).map_or(Cow::Borrowed(value), Cow::Owned));
    }
    let typographic: Vec<Vec<u8>> = out.iter().filter_map(|r| ascii_quotes(r)).collect();
    out.extend(typographic.into_iter().map(Cow::Owned));
    out
}

/// Whether [`readings`] of `input` (with byte set `set`) is `input` alone: nothing to
/// percent-decode (no `%`), no `+` to read as a space (none, or the value has spaces),
/// no query string with values (no `=` after a `?`) and no typographic quote.
pub(super) fn only_itself(input: &[u8], set: ByteSet) -> bool {
    let spaced = set.any_of(ByteSet::new(b" \t\n\r\x0b\x0c\0"));
    !set.has(b'%')
        && (spaced || !set.has(b'+'))
        && query_values(input).next().is_none()
        && (!set.has(0x80) || ascii_quotes(input).is_none())
}

/// `value` with typographic quotes (`‘’′ʼ＇`, `“”`) turned into ASCII ones, if it has
/// any: databases converting Unicode to a legacy code page map them to `'` and `"`.
fn ascii_quotes(value: &[u8]) -> Option<Vec<u8>> {
    const MAP: &[(&[u8], u8)] = &[
        ("\u{2018}".as_bytes(), b'\''),
        ("\u{2019}".as_bytes(), b'\''),
        ("\u{2032}".as_bytes(), b'\''),
        ("\u{02bc}".as_bytes(), b'\''),
        ("\u{ff07}".as_bytes(), b'\''),
        ("\u{201c}".as_bytes(), b'"'),
        ("\u{201d}".as_bytes(), b'"'),
    ];
    let at = |i: usize| {
        MAP.iter()
            .find(|(seq, _)| value.get(i..).is_some_and(|r| r.starts_with(seq)))
    };
    if !(0..value.len()).any(|i| value[i] >= 0xc0 && at(i).is_some()) {
        return None;
    }
    let mut out = Vec::with_capacity(value.len());
    let mut i = 0;
    while let Some(&b) = value.get(i) {
        match at(i).filter(|_| b >= 0xc0) {
            Some((seq, ascii)) => {
                out.push(*ascii);
                i += seq.len();
            }
            None => {
                out.push(b);
                i += 1;
            }
        }
    }
    Some(out)
}

/// The values of a URL's query string (`https://host/p?q=1'+or+1=1` gives `1'+or+1=1`):
/// Referer and other URL-valued fields carry parameters the application may use.
fn query_values(value: &[u8]) -> impl Iterator<Item = &[u8]> {
    let query = value
        .iter()
        .position(|&b| b == b'?')
        .and_then(|q| value.get(q + 1..))
        .filter(|rest| rest.contains(&b'='))
        .unwrap_or_default();
    query
        .split(|&b| b == b'&')
        .map(|pair| {
            pair.iter()
                .position(|&b| b == b'=')
                .and_then(|e| pair.get(e + 1..))
                .unwrap_or(pair)
        })
        .filter(|v| !v.is_empty())
}

/// `value` with `%XX` and IIS `%u00XX` escapes (and, for `form` encoding, `+`)
/// decoded once; `None` if that changes nothing. Cookies and headers reach the
/// detector as sent, and scanners send payloads percent-encoded there too.
fn decode(value: &[u8], form: bool) -> Option<Vec<u8>> {
    // Every escape starts with `%`: without one (or a form `+`) nothing changes.
    if !(value.contains(&b'%') || form && value.contains(&b'+')) {
        return None;
    }
    let plus = |b: u8| form && b == b'+';
    if !(0..value.len()).any(|i| escape_at(value, i).is_some() || plus(value[i])) {
        return None;
    }
    let mut out = Vec::with_capacity(value.len());
    let mut i = 0;
    while let Some(&b) = value.get(i) {
        if let Some((byte, len)) = escape_at(value, i) {
            out.push(byte);
            i += len;
        } else {
            out.push(if plus(b) { b' ' } else { b });
            i += 1;
        }
    }
    Some(out)
}

/// The byte a percent escape at `i` stands for, and the escape's length.
fn escape_at(value: &[u8], i: usize) -> Option<(u8, usize)> {
    let hex = |k: usize| {
        let d = (*value.get(k)? as char).to_digit(16)?;
        u8::try_from(d).ok()
    };
    if value.get(i) != Some(&b'%') {
        return None;
    }
    if value.get(i + 1).is_some_and(|&b| b | 0x20 == b'u') {
        // `%u0027`: only ASCII code points; others have no one-byte meaning to SQL.
        let ascii = hex(i + 2)? == 0 && hex(i + 3)? == 0 && hex(i + 4)? < 8;
        return ascii.then_some((hex(i + 4)? << 4 | hex(i + 5)?, 6));
    }
    Some((hex(i + 1)? << 4 | hex(i + 2)?, 3))
}
