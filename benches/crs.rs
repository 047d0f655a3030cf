//! One request through the full OWASP CRS at paranoia 1 (phases 1 and 2), benign and
//! attack, as the issue measures ModSecurity and Coraza: `cargo bench --bench crs`.
//!
//! The CRS comes from `WAF_CRS_DIR`, else `../shared/crs`. Criterion reports medians.

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use waf::Waf;
use waf::core::request::{RawRequest, RequestView};
use waf::crs::{self, Setup};

const HEADERS: &[(&[u8], &[u8])] = &[
    (b"Host", b"shop.example.com"),
    (b"User-Agent", b"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36"),
    (b"Accept", b"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"),
    (b"Accept-Language", b"en-US,en;q=0.9"),
    (b"Accept-Encoding", b"gzip, deflate, br"),
    (b"Cookie", b"session=8f14e45fceea167a5a36dedd4bea2543; theme=dark"),
];

fn request(method: &str, uri: &str, waf: &Waf) -> RequestView {
    RequestView::from_raw(
        RawRequest {
            method,
            uri,
            protocol: "HTTP/1.1",
            headers: HEADERS.to_vec(),
            body: Default::default(),
            client: Ipv4Addr::new(198, 18, 0, 7).into(),
        },
        &waf.limits(),
    )
}

fn crs(c: &mut Criterion) {
    let dir = std::env::var_os("WAF_CRS_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/crs"),
        PathBuf::from,
    );
    let loaded = crs::load(&dir, &Setup::production(1)).expect("the CRS loads");
    eprintln!("{}", loaded.report());
    let waf = Waf::builder().rules(loaded.rules).build().expect("engine");
    let cases = [
        ("benign", "/shop/search?q=running+shoes&page=2&sort=price"),
        ("sqli", "/api/user?id=1%27%20OR%20%271%27%3D%271"),
        ("xss", "/search?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E"),
    ];
    let mut group = c.benchmark_group("crs-pl1");
    for (name, uri) in cases {
        let view = request("GET", uri, &waf);
        group.bench_function(format!("{name}/inspect"), |b| {
            b.iter(|| waf.inspect(black_box(&view)))
        });
        group.bench_function(format!("{name}/parse+inspect"), |b| {
            b.iter(|| waf.inspect(&request("GET", black_box(uri), &waf)))
        });
    }
    group.finish();
}

criterion_group!(benches, crs);
criterion_main!(benches);
