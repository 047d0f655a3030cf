//! LDAP filter injection.
//!
//! An application that pastes a value into a search filter such as `(uid=VALUE)` lets
//! an attacker close the item and add their own: `*)(uid=*))(|(uid=*`, `admin)(&)`,
//! `*)(|(objectclass=*)`. The detector reads RFC 4515 filter syntax rather than
//! looking for parentheses, which are common in prose ("(see above)") and User-Agent
//! strings: it fires when
//!
//! * a closing `)` is immediately followed by a new item `(attr=…`, a composite
//!   `(&(`, `(|(`, `(!(` or an absolute filter `(&)` / `(|)` — a break-out;
//! * a composite operator opens a list of items, `(|(mail=*)`, `(&(sn=x)(pw=*))` — the
//!   value is itself a filter;
//! * the value is a single item with a wildcard, `(uid=*)`;
//! * a filter is closed and cut off with a NUL byte (`*))%00`), which truncates the
//!   rest of the application's filter in C-based servers.
//!
//! A NUL byte anywhere in a value that shows one of the other shapes raises the
//! confidence.
//! Values the parser left encoded are decoded once more (percent escapes, `+`).

use super::Detection;
use super::bytes::ByteSet;
use super::jndi::on_renderings;

/// Longest attribute description considered (name plus options).
const MAX_ATTRIBUTE: usize = 64;

/// Detects LDAP filter injection in `input` (also read decoded once more).
pub fn ldapi(input: &[u8]) -> Option<Detection> {
    on_renderings(input, detect)
}

fn detect(input: &[u8]) -> Option<Detection> {
    // Fast path: every shape needs a `(` opening an item that compares (`=`, also in
    // `~=`, `>=`, `<=`, `:=`) or is a composite or absolute filter (`&`, `|`, `!`),
    // or else a NUL byte after a `)`.
    let set = ByteSet::of(input);
    let item = set.has(b'(') && set.any_of(ByteSet::new(b"=&|!"));
    if !item && !set.all_of(ByteSet::new(b"\0)")) {
        return None;
    }
    let (mut confidence, start, fingerprint) = breakout(input)
        .or_else(|| composite(input))
        .or_else(|| wildcard_item(input))
        .or_else(|| nul_terminated(input))?;
    if input.contains(&0) {
        confidence += 0.05;
    }
    let end = (start + MAX_SHOWN).min(input.len());
    Some(Detection::new(
        confidence,
        input.get(start..end).unwrap_or(input),
        fingerprint,
    ))
}

/// How much of the value from the finding on goes into the fragment.
const MAX_SHOWN: usize = 80;

/// What follows an opening `(` in filter syntax.
#[derive(PartialEq)]
enum Item {
    /// `(attr=`, `(attr>=`, `(attr~=`, `(attr:dn:=`: a simple item.
    Simple,
    /// `(&(`, `(|(`, `(!(`: a composite with a nested item.
    Composite,
    /// `(&)`, `(|)`: the absolute true / false filters.
    Absolute,
    /// Anything else.
    NotFilter,
}

fn skip_spaces(s: &[u8], mut i: usize) -> usize {
    while s.get(i).is_some_and(|&c| c == b' ') {
        i += 1;
    }
    i
}

/// Classifies the filter item whose `(` is at `open`.
fn item_at(s: &[u8], open: usize) -> Item {
    let i = skip_spaces(s, open + 1);
    match s.get(i) {
        Some(b'&' | b'|' | b'!') => {
            let j = skip_spaces(s, i + 1);
            match s.get(j) {
                Some(b'(') if item_at_simple(s, j) => Item::Composite,
                Some(b'(') if matches!(s.get(skip_spaces(s, j + 1)), Some(b'&' | b'|' | b'!')) => {
                    Item::Composite
                }
                Some(b')') if s.get(i) != Some(&b'!') => Item::Absolute,
                // A truncated injection ends right after the operator: `*)(&`.
                None => Item::Absolute,
                _ => Item::NotFilter,
            }
        }
        _ if item_at_simple(s, open) => Item::Simple,
        _ => Item::NotFilter,
    }
}

/// Whether `(` at `open` starts `attr` followed by a filter comparison.
fn item_at_simple(s: &[u8], open: usize) -> bool {
    let start = skip_spaces(s, open + 1);
    let Some(mut i) = attribute_end(s, start) else {
        return false;
    };
    // Extensible match: `(cn:dn:=x)`, `(cn:1.2.3:=x)`: `:`-separated non-empty parts.
    if s.get(i) == Some(&b':') {
        while s.get(i) == Some(&b':') && i - start < MAX_ATTRIBUTE {
            if s.get(i + 1) == Some(&b'=') {
                return true;
            }
            let part = i + 1;
            i = part;
            while i - start < MAX_ATTRIBUTE
                && s.get(i)
                    .is_some_and(|&c| c.is_ascii_alphanumeric() || c == b'.')
            {
                i += 1;
            }
            if i == part {
                return false;
            }
        }
        return false;
    }
    let i = skip_spaces(s, i);
    match s.get(i) {
        Some(b'=') => true,
        Some(b'~' | b'>' | b'<') => s.get(i + 1) == Some(&b'='),
        _ => false,
    }
}

/// The end of an attribute description at `i`: a name (`userPassword;binary`) or a
/// numeric OID (`2.5.4.3`, also a bare number as in `(1=0)`).
fn attribute_end(s: &[u8], i: usize) -> Option<usize> {
    let first = *s.get(i)?;
    let mut j = i;
    if first.is_ascii_alphabetic() {
        while j - i < MAX_ATTRIBUTE
            && s.get(j)
                .is_some_and(|&c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b';' | b'_'))
        {
            j += 1;
        }
    } else if first.is_ascii_digit() {
        while j - i < MAX_ATTRIBUTE && s.get(j).is_some_and(u8::is_ascii_digit) {
            j += 1;
            if s.get(j) == Some(&b'.') && s.get(j + 1).is_some_and(u8::is_ascii_digit) {
                j += 1;
            }
        }
    } else {
        return None;
    }
    Some(j)
}

/// `)(`-style break-out: a `)` followed at once by another filter item.
fn breakout(s: &[u8]) -> Option<(f64, usize, &'static str)> {
    let mut i = 0;
    while let Some(&c) = s.get(i) {
        if c == b')' {
            let open = skip_spaces(s, i + 1);
            if s.get(open) == Some(&b'(') {
                match item_at(s, open) {
                    Item::Simple | Item::Composite | Item::Absolute => {
                        let start = i.saturating_sub(8);
                        return Some((0.85, start, "ldap:breakout"));
                    }
                    Item::NotFilter => {}
                }
            }
        }
        i += 1;
    }
    None
}

/// A composite filter: `(|(mail=*)`, `(&(sn=x)(pw=*))`.
fn composite(s: &[u8]) -> Option<(f64, usize, &'static str)> {
    s.iter()
        .enumerate()
        .filter(|&(_, &c)| c == b'(')
        .find(|&(i, _)| item_at(s, i) == Item::Composite)
        .map(|(i, _)| (0.8, i, "ldap:composite"))
}

/// A single item whose assertion is or holds a wildcard: `(uid=*)`, `(cn=adm*)`.
fn wildcard_item(s: &[u8]) -> Option<(f64, usize, &'static str)> {
    let mut i = 0;
    while let Some(&c) = s.get(i) {
        if c == b'(' && item_at(s, i) == Item::Simple {
            let eq = (i..s.len()).find(|&j| s.get(j) == Some(&b'='))?;
            let close = (eq..s.len()).find(|&j| matches!(s.get(j), Some(b')' | b'(')))?;
            let value = s.get(eq + 1..close).unwrap_or_default();
            if s.get(close) == Some(&b')') && value.contains(&b'*') && !value.contains(&b' ') {
                return Some((0.7, i, "ldap:wildcard-item"));
            }
            i = close;
            continue;
        }
        i += 1;
    }
    None
}

/// A filter closed and cut off with a NUL byte: `*))%00` (decoded), which truncates
/// the rest of the application's filter in C-based directory servers.
fn nul_terminated(s: &[u8]) -> Option<(f64, usize, &'static str)> {
    let nul = s.iter().position(|&c| c == 0)?;
    let before = s.get(..nul)?;
    let closes = before.iter().rev().take_while(|&&c| c == b')').count();
    let opener = nul.checked_sub(closes + 1).and_then(|p| s.get(p));
    (closes >= 1 && matches!(opener, Some(b'*' | b')'))).then_some((
        0.7,
        nul.saturating_sub(closes + 1),
        "ldap:nul-terminated",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::test_support::{self, Hostile};

    #[test]
    fn attacks() {
        let cases: &[&[u8]] = &[
            b"*)(uid=*))(|(uid=*",
            b")(cn=*",
            b"*)(|(objectclass=*)",
            b"admin)(&)",
            b"admin)(!(&(1=0",
            b"admin*)(password=",
            b"*(|(mail=*))",
            b"(&(sn=administrator)(password=*))",
            b"%2A%28%7C%28mail%3D%2A%29%29",
            b"(uid=*)",
            b"x)(cn:dn:=admin)",
            b"*)(userPassword>=0",
            b"*)(&",
            b"*))%00",
        ];
        test_support::assert_detects_all(ldapi, cases);
    }

    #[test]
    fn benign() {
        let cases: &[&[u8]] = &[
            b"O'Reilly and sons",
            b"select a size",
            b"1 or 2 items",
            b"rock & roll",
            b":-) ;-) (^_^) <3",
            b"C++ Primer (5th Edition) by Lippman",
            b"Node.js & Express: {fast} (2nd ed.)",
            b"http://example.com/search?q=a+b&page=2#top",
            b"Mozilla/5.0 (X11; Linux x86_64; rv:109.0) Gecko/20100101 Firefox/115.0",
            b"(see above)",
            b"(see above)(and below)",
            b"*emphasis* and (more)",
            b"f(x)(y) = 3",
            b"a (b=c) d",
            b"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko)",
            b"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
            b"http://example.com/wiki/Foo_(bar)?a=b",
            b":-) (^_^) (*_*)",
            b"user@example.com",
            b"(x = 5 * y)",
            b"assert!(!(3..=5).contains(&2));",
            b"(!(f32::NAN..=1.0).contains(x))",
        ];
        test_support::assert_passes_all(ldapi, cases);
    }

    #[test]
    fn hostile_inputs_do_not_panic() {
        test_support::assert_total(
            ldapi,
            Hostile {
                fixed: vec![
                    b"(".repeat(100_000),
                    b")(".repeat(50_000),
                    b"(&".repeat(50_000),
                    b"(a".repeat(50_000),
                    b"(a=".repeat(30_000),
                    b"(a:".repeat(30_000),
                ],
                // Every truncation of a payload that exercises most of the scanner.
                sample: b"*)(uid=*))(|(uid=*)(&(sn=x)(cn:dn:=y))(|)*))\x00",
                alphabet: b"()&|!=*~<>: ab1.%00",
                seed: 0x0123_4567_89AB_CDEF,
                count: 3000,
                max_len: 40,
            },
        );
    }
}
