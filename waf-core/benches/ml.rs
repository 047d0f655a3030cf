//! The `ml_anomaly` signal on typical requests: feature extraction of every value and
//! one batched inference (the budget is 20 µs median per request).

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use waf_core::SignalSource;
use waf_core::ml::AnomalyScorer;
use waf_core::ml::features::{DIM, Location, value_features};
use waf_core::request::{Limits, RawRequest, RequestView};

/// A browser's header set, as the corpus's requests carry it.
const HEADERS: [(&[u8], &[u8]); 9] = [
    (b"host", b"shop.example"),
    (b"user-agent", b"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"),
    (b"accept", b"text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"),
    (b"accept-language", b"en-US,en;q=0.9"),
    (b"accept-encoding", b"gzip, deflate, br, zstd"),
    (b"referer", b"https://shop.example/catalog"),
    (b"sec-ch-ua-mobile", b"?0"),
    (b"cookie", b"_ga=GA1.2.2675705572.1619363242; session=e1a81aa26035bf8193307db5d29856ea"),
    (b"connection", b"keep-alive"),
];

fn request(method: &'static str, uri: &'static str, body: &'static str) -> RequestView {
    let mut headers = HEADERS.to_vec();
    if !body.is_empty() {
        headers.push((b"content-type", b"application/x-www-form-urlencoded"));
    }
    RequestView::from_raw(
        RawRequest {
            method,
            uri,
            protocol: "HTTP/1.1",
            headers,
            body: body.into(),
            client: "198.51.100.7".parse().unwrap(),
        },
        &Limits::default(),
    )
}

fn anomaly(c: &mut Criterion) {
    let scorer = AnomalyScorer::embedded().expect("the embedded model loads");
    let cases = [
        (
            "get_search",
            request("GET", "/search?q=red+running+shoes&page=2&sort=price", ""),
        ),
        (
            "post_form",
            request(
                "POST",
                "/account/register",
                "name=Ann+Lee&email=ann%40mail.example&city=Lyon&zip=69001&accept=on",
            ),
        ),
        (
            "get_sqli",
            request(
                "GET",
                "/item?id=1%27%20UNION%20SELECT%20username,password%20FROM%20users--",
                "",
            ),
        ),
    ];
    let mut group = c.benchmark_group("ml_anomaly");
    for (name, view) in &cases {
        group.bench_function(*name, |b| b.iter(|| scorer.assess(black_box(view))));
    }
    // The two halves apart, to see where the time goes.
    let rows = vec![0.1f32; 12 * DIM];
    group.bench_function("model_12_rows", |b| {
        b.iter(|| scorer.model().probabilities(black_box(&rows)))
    });
    let mut row = vec![0.0f32; DIM];
    group.bench_function("features_one_value", |b| {
        b.iter(|| value_features(Location::Header, black_box(HEADERS[2].1), &mut row))
    });
    group.finish();
}

criterion_group!(benches, anomaly);
criterion_main!(benches);
