//! Per-request overhead of WebAssembly plugins: one request through the engine with no
//! plugin, with one trivial plugin (instantiate, copy the request in, return 0) and
//! with each example plugin, on a request they do not flag.
//!
//! `cargo bench -p waf-core --features plugins --bench plugins`; criterion reports
//! medians. The C example is included when clang can build it.

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use std::net::Ipv4Addr;
use std::path::Path;
use std::sync::Arc;
use waf_core::Waf;
use waf_core::plugins::{Plugin, Plugins};
use waf_core::request::{RawRequest, RequestView};

#[path = "../tests/plugins_common/mod.rs"]
mod common;

fn request(waf: &Waf) -> RequestView {
    RequestView::from_raw(
        RawRequest {
            method: "POST",
            uri: "/api/orders?page=2&sort=price",
            protocol: "HTTP/1.1",
            headers: vec![
                (b"host", b"shop.example.com"),
                (
                    b"user-agent",
                    b"Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/126.0",
                ),
                (b"accept", b"application/json"),
                (b"cookie", b"session=8f14e45fceea167a5a36dedd4bea2543"),
                (b"content-type", b"application/json"),
            ],
            body: bytes::Bytes::from_static(
                br#"{"user":{"name":"bob","role":"customer"},"items":[{"sku":"A-1","qty":2}]}"#,
            ),
            client: Ipv4Addr::new(198, 18, 0, 7).into(),
        },
        &waf.limits(),
    )
}

fn plugins(c: &mut Criterion) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let trivial = wat::parse_file(root.join("tests/plugins/trivial.wat")).unwrap();
    let mut cases = vec![
        ("none", None),
        (
            "trivial",
            Some(Plugin::from_bytes("trivial", &trivial, "").unwrap()),
        ),
        (
            "header_pattern",
            Some(common::example("header_pattern").unwrap()),
        ),
    ];
    match common::example("json_field_list") {
        Ok(plugin) => cases.push(("json_field_list", Some(plugin))),
        Err(why) => eprintln!("json_field_list left out: {why}"),
    }
    let mut group = c.benchmark_group("plugins");
    for (name, plugin) in cases {
        let plugins = Arc::new(Plugins::new(plugin.into_iter().collect()));
        let waf = Waf::builder().signal_source(plugins).build().unwrap();
        let request = request(&waf);
        assert!(
            waf.inspect(&request).matches.is_empty(),
            "{name} flags the benign request"
        );
        group.bench_function(name, |b| b.iter(|| waf.inspect(black_box(&request))));
    }
    group.finish();
}

criterion_group!(benches, plugins);
criterion_main!(benches);
