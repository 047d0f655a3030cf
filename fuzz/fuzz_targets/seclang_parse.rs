//! Any text through the SecLang parser and the rule compiler, and every rule set that
//! compiles through all five phases of a small fixed request and response (so that
//! `setvar`, macros, `ctl`, `skip`/`skipAfter` and chains run too): errors are fine,
//! panics are not.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::fmt::Write;
use std::net::Ipv4Addr;
use waf_core::request::{Limits, RawRequest, RequestView};
use waf_core::response::ResponseView;
use waf_core::rule::{RuleSet, Transaction};

/// Bytes of the input that also become the request's query argument and header value.
const PROBE: usize = 32;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let Ok(file) = waf_rules::seclang::parse("fuzz.conf", &text) else {
        return;
    };
    let Ok(rules) = RuleSet::from_seclang("fuzz", &file) else {
        return;
    };

    // The last bytes of the input, percent-encoded into `ARGS:q` and raw in a header.
    let probe = &data[data.len().saturating_sub(PROBE)..];
    let mut uri = String::from("/fuzz/index.php?id=1&q=");
    for byte in probe {
        let _ = write!(uri, "%{byte:02X}");
    }
    let limits = Limits::default();
    let request = RequestView::from_raw(
        RawRequest {
            method: "POST",
            uri: &uri,
            protocol: "HTTP/1.1",
            headers: vec![
                (b"Host", b"fuzz.example"),
                (b"User-Agent", b"fuzz/1.0"),
                (b"Content-Type", b"application/x-www-form-urlencoded"),
                (b"X-Fuzz", probe),
            ],
            body: bytes::Bytes::from_static(b"a=1&b=<script>alert(1)</script>"),
            client: Ipv4Addr::LOCALHOST.into(),
        },
        &limits,
    );

    let _ = rules.evaluate(&request);

    let response = ResponseView::new(
        500,
        "HTTP/1.1",
        vec![("Content-Type", "text/html"), ("X-Fuzz", "1")],
        "<html>stack trace: error in /var/www</html>",
    );
    let mut transaction = Transaction::new(&limits);
    transaction.run_request(&rules, &request);
    transaction.run_response(&rules, &request, &response);
    transaction.run_logging(&rules, &request, Some(&response));
    let _ = transaction.outcome();
});
