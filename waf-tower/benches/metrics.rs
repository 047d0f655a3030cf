//! What `Metrics` costs a request: `observe` on the transaction of an allowed request
//! (no match) and of a blocked attack (matches with tags, top-clients counting), and a
//! scrape (`encode`) after traffic.
//!
//! `cargo bench -p waf-tower --bench metrics`

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use std::net::IpAddr;
use std::time::{Duration, SystemTime};
use waf_core::request::{RawRequest, RequestView};
use waf_core::{Mode, Waf};
use waf_tower::metrics::Metrics;
use waf_tower::observe::{Observer, Transaction};

fn request(waf: &Waf, uri: &str) -> RequestView {
    RequestView::from_raw(
        RawRequest {
            method: "GET",
            uri,
            protocol: "HTTP/1.1",
            headers: vec![(b"host", b"shop.example")],
            body: Default::default(),
            client: IpAddr::from([203, 0, 113, 9]),
        },
        &waf.limits(),
    )
}

fn observe(c: &mut Criterion) {
    let waf = Waf::default();
    let metrics = Metrics::new();
    metrics.watch(&waf);
    // (name, request)
    let cases = [
        ("allowed", "/search?q=shoes"),
        ("blocked", "/search?q=1'%20OR%20'1'='1"),
    ];
    for (name, uri) in cases {
        let request = request(&waf, uri);
        let verdict = waf.inspect(&request);
        let transaction = Transaction {
            request_id: "bench",
            time: SystemTime::now(),
            client: request.client,
            request: &request,
            request_verdict: &verdict,
            response_verdict: None,
            status: verdict.action.status().unwrap_or(200),
            inspection: Duration::from_micros(40),
            mode: Mode::Block,
        };
        c.bench_function(&format!("observe/{name}"), |b| {
            b.iter(|| metrics.observe(black_box(&transaction)))
        });
    }
    c.bench_function("encode", |b| b.iter(|| black_box(metrics.encode())));
}

criterion_group!(benches, observe);
criterion_main!(benches);
