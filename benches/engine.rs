//! One request through the engine: building the request view and inspecting it with the
//! built-in rules, for a benign and an attack request of typical size.
//!
//! `cargo bench --bench engine`; criterion reports medians.

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use std::net::Ipv4Addr;
use waf::Waf;
use waf::core::request::{RawRequest, RequestView};

const HEADERS: &[(&[u8], &[u8])] = &[
    (b"host", b"shop.example.com"),
    (b"user-agent", b"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36"),
    (b"accept", b"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"),
    (b"accept-language", b"en-US,en;q=0.9"),
    (b"cookie", b"session=8f14e45fceea167a5a36dedd4bea2543; theme=dark"),
    (b"content-type", b"application/x-www-form-urlencoded"),
];

fn request(uri: &str, body: &'static str, waf: &Waf) -> RequestView {
    RequestView::from_raw(
        RawRequest {
            method: "POST",
            uri,
            protocol: "HTTP/1.1",
            headers: HEADERS.to_vec(),
            body: bytes::Bytes::from_static(body.as_bytes()),
            client: Ipv4Addr::new(198, 18, 0, 7).into(),
        },
        &waf.limits(),
    )
}

fn engine(c: &mut Criterion) {
    let waf = Waf::default();
    let cases = [
        (
            "benign",
            "/shop/search?q=running+shoes&page=2&sort=price",
            "qty=2&sku=AB-1234&note=gift+wrap+please",
        ),
        (
            "sqli",
            "/api/user?id=1%27%20OR%20%271%27%3D%271",
            "qty=2&sku=AB-1234",
        ),
        ("xss", "/search?q=%3Csvg%20onload%3Dalert(1)%3E", "qty=2"),
    ];
    let mut group = c.benchmark_group("builtin");
    for (name, uri, body) in cases {
        group.bench_function(format!("{name}/parse+inspect"), |b| {
            b.iter(|| waf.inspect(&request(black_box(uri), body, &waf)))
        });
        let view = request(uri, body, &waf);
        group.bench_function(format!("{name}/inspect"), |b| {
            b.iter(|| waf.inspect(black_box(&view)))
        });
    }
    group.finish();
}

criterion_group!(benches, engine);
criterion_main!(benches);
