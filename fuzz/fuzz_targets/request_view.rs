//! Any bytes, shaped into a request, through the request parser and the built-in rules:
//! nothing may panic, whatever the content type, encoding or nesting.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use waf_core::Waf;
use waf_core::request::{Limits, RawRequest, RequestView};

const CONTENT_TYPES: &[&[u8]] = &[
    b"application/x-www-form-urlencoded",
    b"application/json",
    b"multipart/form-data; boundary=XyZ",
    b"text/xml",
    b"multipart/form-data",
    b"application/octet-stream",
];

fuzz_target!(|data: &[u8]| {
    static WAF: OnceLock<Waf> = OnceLock::new();
    let waf = WAF.get_or_init(Waf::default);
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    // Fields separated by 0xff: uri, cookie, one header value, then the body.
    let mut fields = rest.splitn(4, |&b| b == 0xff);
    let uri = String::from_utf8_lossy(fields.next().unwrap_or_default());
    let cookie = fields.next().unwrap_or_default();
    let header = fields.next().unwrap_or_default();
    let body = fields.next().unwrap_or_default();
    let content_type = CONTENT_TYPES[usize::from(selector) % CONTENT_TYPES.len()];
    let limits = Limits {
        max_args: 64,
        max_depth: 16,
        max_body_parse_bytes: 4096,
        max_files: 4,
    };
    let view = RequestView::from_raw(
        RawRequest {
            method: "POST",
            uri: &uri,
            protocol: "HTTP/1.1",
            headers: vec![
                (b"content-type", content_type),
                (b"cookie", cookie),
                (b"user-agent", header),
            ],
            body: bytes::Bytes::copy_from_slice(body),
            client: std::net::Ipv4Addr::LOCALHOST.into(),
        },
        &limits,
    );
    let _ = waf.inspect(&view);
});
