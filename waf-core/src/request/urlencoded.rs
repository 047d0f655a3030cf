//! `application/x-www-form-urlencoded` and query strings.

use super::{ArgBudget, Field};

/// Splits `name=value&…` pairs, decodes `+` and `%XX`, and pushes them through `budget`.
/// Returns true when some `%` was not followed by two hex digits (such bytes are kept
/// as they were, as ModSecurity keeps them).
pub(super) fn parse(input: &[u8], budget: &mut ArgBudget, out: &mut Vec<Field>) -> bool {
    let mut invalid = false;
    for pair in input.split(|&b| b == b'&') {
        if pair.is_empty() {
            continue;
        }
        let (name, value) = match pair.iter().position(|&b| b == b'=') {
            Some(at) => (&pair[..at], &pair[at + 1..]),
            None => (pair, &[][..]),
        };
        let (name, bad_name) = decode(name);
        let (value, bad_value) = decode(value);
        invalid |= bad_name | bad_value;
        budget.push(out, Field { name, value });
    }
    invalid
}

/// Percent-decodes `input` with `+` as space. Returns the bytes and whether an invalid
/// escape was seen.
pub(crate) fn decode(input: &[u8]) -> (Vec<u8>, bool) {
    let mut out = Vec::with_capacity(input.len());
    let mut invalid = false;
    let mut i = 0;
    while i < input.len() {
        match input[i] {
            b'+' => out.push(b' '),
            b'%' => match (hex(input.get(i + 1)), hex(input.get(i + 2))) {
                (Some(hi), Some(lo)) => {
                    out.push(hi << 4 | lo);
                    i += 2;
                }
                _ => {
                    invalid = true;
                    out.push(b'%');
                }
            },
            b => out.push(b),
        }
        i += 1;
    }
    (out, invalid)
}

/// True when `input` has a `%` that does not start a valid escape.
pub(super) fn has_invalid_escape(input: &[u8]) -> bool {
    input.iter().enumerate().any(|(i, &b)| {
        b == b'%' && (hex(input.get(i + 1)).is_none() || hex(input.get(i + 2)).is_none())
    })
}

fn hex(byte: Option<&u8>) -> Option<u8> {
    match byte? {
        b @ b'0'..=b'9' => Some(b - b'0'),
        b @ b'a'..=b'f' => Some(b - b'a' + 10),
        b @ b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}
