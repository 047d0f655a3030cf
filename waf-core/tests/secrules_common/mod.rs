//! Reading the SecRules language tests as their reference runner (libmodsecurity's
//! `test/unit`) reads them; shared by the operator and transformation conformance tests.
//! Each test file explains the convention in its own module docs.

use std::path::PathBuf;

/// The suite: `$WAF_SECRULES_TESTS`, else `../shared/secrules-language-tests` beside the
/// workspace.
pub fn suite_dir() -> PathBuf {
    std::env::var_os("WAF_SECRULES_TESTS").map_or_else(
        || {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../shared/secrules-language-tests"
            ))
        },
        PathBuf::from,
    )
}

/// A string as a C string: up to its first NUL.
pub fn c_string(s: &str) -> &str {
    s.split('\0').next().unwrap_or_default()
}

/// The reference runner's reading of a JSON string: up to the first NUL, then `json2bin`;
/// and whether a NUL cut it short.
pub fn runner_bytes(s: &str) -> (Vec<u8>, bool) {
    let cut = c_string(s);
    let mut v = cut.as_bytes().to_vec();
    json2bin(&mut v, b'x', 2);
    json2bin(&mut v, b'u', 4);
    (v, cut.len() < s.len())
}

/// Replaces `\` `letter` + `digits` letters-or-digits with the byte `sscanf("%x")` reads from
/// them, one distinct sequence at a time, as libmodsecurity's test runner does.
fn json2bin(v: &mut Vec<u8>, letter: u8, digits: usize) {
    let width = 2 + digits;
    loop {
        let Some(at) = v.windows(width).position(|w| {
            w[0] == b'\\' && w[1] == letter && w[2..].iter().all(u8::is_ascii_alphanumeric)
        }) else {
            return;
        };
        let pattern = v[at..at + width].to_vec();
        // `%x` skips an optional `0x` prefix, then reads hex digits while it can.
        let text = &pattern[2..];
        let text = match text {
            [b'0', b'x' | b'X', rest @ ..] => rest,
            _ => text,
        };
        let value = text
            .iter()
            .map_while(|&b| (b as char).to_digit(16))
            .fold(0u32, |acc, d| acc * 16 + d);
        let byte = (value & 0xff) as u8;
        // Replace every occurrence, searching again from where the last one was replaced.
        let mut pos = at;
        while let Some(found) = v[pos..]
            .windows(width)
            .position(|w| w == pattern.as_slice())
        {
            let start = pos + found;
            v.splice(start..start + width, [byte]);
            pos = start;
        }
    }
}
