//! `htmlEntityDecode`: numeric (`&#60;`, `&#x3c;`, also without the `;`) and the common
//! named entities. Code points above 0xff become their low byte, as in ModSecurity.
//! Anything that is not a complete entity is kept as it is.

use std::borrow::Cow;

const NAMED: &[(&[u8], u8)] = &[
    (b"quot", b'"'),
    (b"amp", b'&'),
    (b"lt", b'<'),
    (b"gt", b'>'),
    (b"apos", b'\''),
    (b"nbsp", 0xa0),
];

pub(super) fn apply(input: &[u8]) -> Cow<'_, [u8]> {
    if !input.contains(&b'&') {
        return Cow::Borrowed(input);
    }
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        if input[i] == b'&'
            && let Some((byte, used)) = entity(&input[i + 1..])
        {
            out.push(byte);
            i += 1 + used;
            continue;
        }
        out.push(input[i]);
        i += 1;
    }
    Cow::Owned(out)
}

/// Decodes the entity after `&`: the byte and how many bytes it used.
fn entity(s: &[u8]) -> Option<(u8, usize)> {
    if let Some(rest) = s.strip_prefix(b"#") {
        let (radix, digits_at) = match rest.first() {
            Some(b'x' | b'X') => (16, 2),
            _ => (10, 1),
        };
        let digits = s[digits_at..]
            .iter()
            .take_while(|b| (**b as char).is_digit(radix))
            .count();
        if digits == 0 {
            return None;
        }
        let value = s[digits_at..digits_at + digits]
            .iter()
            .fold(0u32, |acc, &b| {
                acc.saturating_mul(radix)
                    .saturating_add((b as char).to_digit(radix).unwrap_or(0))
            });
        let end = digits_at + digits;
        let used = end + usize::from(s.get(end) == Some(&b';'));
        return Some(((value & 0xff) as u8, used));
    }
    NAMED.iter().find_map(|(name, byte)| {
        let after = s.strip_prefix(*name)?;
        after.starts_with(b";").then_some((*byte, name.len() + 1))
    })
}
