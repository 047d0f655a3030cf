//! JavaScript prototype pollution.
//!
//! Deep-merge and query-string parsers that copy attacker keys into objects can be
//! made to write through `__proto__` or `constructor.prototype`, adding properties to
//! every object of the application (`?__proto__[isAdmin]=1`,
//! `{"__proto__": {"shell": "/bin/sh"}}`, `constructor[prototype][x]=y`).
//!
//! The detector looks for those two access paths: `__proto__` anywhere (no benign
//! name contains it), and `constructor` as a path segment followed by a separator (`.`, `[`, `]`, quotes, `:`, `{`) and then
//! `prototype`. Argument names are inspected as well as values, so a query-style
//! name `__proto__[x]` or a flattened JSON name `constructor.prototype.x` is found.
//! JSON `\u005f`-style escapes and leftover percent- or form-encoding are decoded
//! before looking.

use super::Detection;
use super::bytes::ByteSet;
use super::jndi::{find, on_renderings};

/// Separators allowed between `constructor` and `prototype`, at most this many.
const MAX_SEPARATORS: usize = 6;

/// Detects prototype pollution paths in `input`.
pub fn proto_pollution(input: &[u8]) -> Option<Detection> {
    on_renderings(input, detect).or_else(|| json_unescape(input).and_then(|d| detect(&d)))
}

fn detect(input: &[u8]) -> Option<Detection> {
    // Fast path: both shapes contain `__proto__` or `constructor` (in any case).
    let set = ByteSet::of(input).lowercased();
    if !set.all_of(ByteSet::new(b"__proto__")) && !set.all_of(ByteSet::new(b"constructor")) {
        return None;
    }
    let lower = input.to_ascii_lowercase();
    let (start, len, fingerprint) =
        proto_segment(&lower).or_else(|| constructor_prototype(&lower))?;
    let end = (start + len + CONTEXT).min(input.len());
    Some(Detection::new(
        0.9,
        input.get(start..end).unwrap_or(input),
        fingerprint,
    ))
}

/// How many bytes after a finding go into the fragment.
const CONTEXT: usize = 40;

fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'$'
}

/// `__proto__` anywhere: no benign name contains it, and filter-evading payloads
/// glue it inside other text (`__pro__proto__to__`).
fn proto_segment(lower: &[u8]) -> Option<(usize, usize, &'static str)> {
    const NEEDLE: &[u8] = b"__proto__";
    find(lower, NEEDLE, 0).map(|p| (p, NEEDLE.len(), "proto:__proto__"))
}

/// `constructor.prototype`, `constructor[prototype]`, `"constructor": {"prototype"`.
fn constructor_prototype(lower: &[u8]) -> Option<(usize, usize, &'static str)> {
    let mut from = 0;
    while let Some(p) = find(lower, b"constructor", from) {
        from = p + 1;
        if p > 0 && lower.get(p - 1).is_some_and(|&c| is_ident(c)) {
            continue;
        }
        let after = p + b"constructor".len();
        let separators = lower
            .get(after..)
            .unwrap_or_default()
            .iter()
            .take(MAX_SEPARATORS + 1)
            .take_while(|&&c| matches!(c, b'.' | b'[' | b']' | b'"' | b'\'' | b':' | b'{' | b' '))
            .count();
        let rest = lower.get(after + separators..).unwrap_or_default();
        let segment_end = !rest.get(9).is_some_and(|&c| is_ident(c));
        if (1..=MAX_SEPARATORS).contains(&separators)
            && rest.starts_with(b"prototype")
            && segment_end
        {
            return Some((p, after + separators + 9 - p, "proto:constructor.prototype"));
        }
    }
    None
}

/// Decodes JSON `\uXXXX` escapes of ASCII characters; `None` when there are none.
fn json_unescape(input: &[u8]) -> Option<Vec<u8>> {
    find(input, b"\\u", 0)?;
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while let Some(&b) = input.get(i) {
        if b == b'\\' && input.get(i + 1) == Some(&b'u') {
            let code = input
                .get(i + 2..i + 6)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u16::from_str_radix(h, 16).ok())
                .and_then(|c| u8::try_from(c).ok());
            if let Some(c) = code.filter(|c| c.is_ascii() && *c != 0) {
                out.push(c);
                i += 6;
                continue;
            }
        }
        out.push(b);
        i += 1;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::test_support::{self, Hostile};

    #[test]
    fn attacks() {
        let cases: &[&[u8]] = &[
            b"__proto__[isAdmin]",
            b"?__proto__[test]=test",
            b"{\"__proto__\": {\"evilProperty\": \"evilPayload\"}}",
            b"{\"__proto__.name\":\"test\"}",
            b"x[__proto__][abaeead] = abaeead",
            b"myDog[\"__proto__\"];",
            b"Object.__proto__.evilProperty=\"evilPayload\"",
            b"constructor[prototype][isAdmin]=true",
            b"constructor.prototype.isAdmin",
            b"{\"constructor\": {\"prototype\": {\"x\": 1}}}",
            b"__proto__",
            b"__pro__proto__to__[x]=1",
            b"%5F%5Fproto%5F%5F[x]=1",
            b"{\"\\u005f\\u005fproto\\u005f\\u005f\": {\"x\": 1}}",
        ];
        test_support::assert_detects_all(proto_pollution, cases);
    }

    #[test]
    fn benign() {
        let cases: &[&[u8]] = &[
            b"O'Reilly and sons",
            b"select a size",
            b"rock & roll",
            b"1 or 2 items",
            b":-) ;-) (^_^) <3",
            b"C++ Primer (5th Edition) by Lippman",
            b"Node.js & Express: {fast} (2nd ed.)",
            b"http://example.com/search?q=a+b&page=2#top",
            b"Mozilla/5.0 (X11; Linux x86_64; rv:109.0) Gecko/20100101 Firefox/115.0",
            b"the constructor of the prototype",
            b"prototype constructor",
            b"/files/xdotool/docs/html/osx__hacks_8h_source.html",
            b"constructors.prototypes",
            b"user@example.com",
            b"\\u00zz \\uffff",
        ];
        test_support::assert_passes_all(proto_pollution, cases);
    }

    #[test]
    fn hostile_inputs_do_not_panic() {
        test_support::assert_total(
            proto_pollution,
            Hostile {
                fixed: vec![
                    b"__proto".repeat(20_000),
                    b"constructor[".repeat(10_000),
                    b"\\u".repeat(50_000),
                    b"\\u005".repeat(20_000),
                ],
                // Every truncation of a payload that exercises most of the scanner.
                sample: b"{\"__proto__\": {\"x\": 1}, \"constructor\": {\"prototype\": {}}}\\u005f\\u005fproto\\u005f\\u005f",
                alphabet: b"_proto[]\".constructorype\\u005f",
                seed: 0x1357_9BDF_2468_ACE0,
                count: 3000,
                max_len: 40,
            },
        );
    }
}
