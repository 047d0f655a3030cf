//! The plugin ABI, version 1: what the host and a plugin agree on (see
//! `docs/plugins.md` for the plugin author's side).
//!
//! Exports a plugin must have:
//!
//! - `memory`: its linear memory;
//! - `waf_abi_version() -> i32`: returns [`ABI_VERSION`];
//! - `waf_alloc(len: i32) -> i32`: a pointer to `len` writable bytes, where the host
//!   writes the request;
//! - `waf_inspect(ptr: i32, len: i32) -> i32`: inspects the encoded request and returns
//!   its score contribution in thousandths, `0..=1000`.
//!
//! Imports it may use, all from module [`HOST_MODULE`]: `log`, `config` and `report`
//! (see the `host` module).

use crate::request::RequestView;

/// The ABI version this host speaks; a plugin's `waf_abi_version` must return it.
pub const ABI_VERSION: i32 = 1;

/// The import module of the host functions.
pub const HOST_MODULE: &str = "waf";

/// The host functions, in module [`HOST_MODULE`].
pub const HOST_FUNCTIONS: [&str; 3] = ["log", "config", "report"];

/// The largest score `waf_inspect` may return: 1000 thousandths, a signal of 1.
pub const MAX_SCORE: i32 = 1000;

/// The exported functions, with their signatures as the docs write them.
pub(crate) const EXPORTS: [(&str, &str); 3] = [
    ("waf_abi_version", "() -> i32"),
    ("waf_alloc", "(i32) -> i32"),
    ("waf_inspect", "(i32, i32) -> i32"),
];

/// What a record of the encoded request holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub enum Kind {
    /// The method; empty name.
    Method = 1,
    /// The raw path, before `?`; empty name.
    Path = 2,
    /// The raw query string; empty name.
    Query = 3,
    /// A header field: name as sent, value.
    Header = 4,
    /// A decoded query argument.
    QueryArg = 5,
    /// A parsed body value: form field, JSON leaf (`a.b`), multipart text field.
    BodyArg = 6,
    /// A cookie.
    Cookie = 7,
    /// The raw body; empty name. Sent only when the plugin's `raw_body` is true.
    Body = 8,
}

/// Encodes `request` as ABI records: a little-endian `u32` count, then per record
/// `u32 kind, u32 name_len, u32 value_len`, the name bytes and the value bytes.
pub fn encode(request: &RequestView, raw_body: bool) -> Vec<u8> {
    let mut out = Encoder::default();
    out.record(Kind::Method, b"", request.method.as_bytes());
    out.record(Kind::Path, b"", request.path.as_bytes());
    out.record(Kind::Query, b"", request.query.as_bytes());
    for (kind, fields) in [
        (Kind::Header, &request.headers),
        (Kind::QueryArg, &request.args_get),
        (Kind::BodyArg, &request.args_post),
        (Kind::Cookie, &request.cookies),
    ] {
        for field in fields {
            out.record(kind, &field.name, &field.value);
        }
    }
    if raw_body {
        out.record(Kind::Body, b"", &request.body);
    }
    out.finish()
}

/// Builds the encoding; the count is patched in at the end.
struct Encoder {
    bytes: Vec<u8>,
    count: u32,
}

impl Default for Encoder {
    fn default() -> Self {
        Self {
            bytes: vec![0; 4],
            count: 0,
        }
    }
}

impl Encoder {
    fn record(&mut self, kind: Kind, name: &[u8], value: &[u8]) {
        // Request parts are bounded by the server's limits, far below 4 GiB; a part
        // that does not fit a u32 is skipped rather than sent cut.
        let (Ok(name_len), Ok(value_len)) = (u32::try_from(name.len()), u32::try_from(value.len()))
        else {
            return;
        };
        for word in [kind as u32, name_len, value_len] {
            self.bytes.extend_from_slice(&word.to_le_bytes());
        }
        self.bytes.extend_from_slice(name);
        self.bytes.extend_from_slice(value);
        self.count += 1;
    }

    fn finish(mut self) -> Vec<u8> {
        self.bytes[..4].copy_from_slice(&self.count.to_le_bytes());
        self.bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::{Limits, RawRequest};
    use std::net::Ipv4Addr;

    /// Decodes records back, as a plugin would.
    fn decode(bytes: &[u8]) -> Vec<(u32, Vec<u8>, Vec<u8>)> {
        let word = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap());
        let mut at = 4;
        let mut records = Vec::new();
        for _ in 0..word(0) {
            let (kind, name_len, value_len) =
                (word(at), word(at + 4) as usize, word(at + 8) as usize);
            at += 12;
            let name = bytes[at..at + name_len].to_vec();
            let value = bytes[at + name_len..at + name_len + value_len].to_vec();
            at += name_len + value_len;
            records.push((kind, name, value));
        }
        assert_eq!(at, bytes.len(), "no trailing bytes");
        records
    }

    #[test]
    fn encodes_every_part_in_order() {
        let request = RequestView::from_raw(
            RawRequest {
                method: "POST",
                uri: "/a%20b?x=1&y=%27",
                protocol: "HTTP/1.1",
                headers: vec![
                    (b"content-type", b"application/json"),
                    (b"cookie", b"s=abc"),
                ],
                body: r#"{"user":{"name":"bob"}}"#.into(),
                client: Ipv4Addr::LOCALHOST.into(),
            },
            &Limits::default(),
        );
        let expected: Vec<(u32, &[u8], &[u8])> = vec![
            (1, b"", b"POST"),
            (2, b"", b"/a%20b"),
            (3, b"", b"x=1&y=%27"),
            (4, b"content-type", b"application/json"),
            (4, b"cookie", b"s=abc"),
            (5, b"x", b"1"),
            (5, b"y", b"'"),
            (6, b"user.name", b"bob"),
            (7, b"s", b"abc"),
        ];
        let with_body = [&expected[..], &[(8, b"", br#"{"user":{"name":"bob"}}"#)]].concat();
        for (raw_body, expected) in [(false, &expected), (true, &with_body)] {
            let decoded = decode(&encode(&request, raw_body));
            let decoded: Vec<(u32, &[u8], &[u8])> = decoded
                .iter()
                .map(|(k, n, v)| (*k, n.as_slice(), v.as_slice()))
                .collect();
            assert_eq!(&decoded, expected, "raw_body = {raw_body}");
        }
    }
}
