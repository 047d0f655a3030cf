//! The `ml_anomaly` signal on typical requests (the budget is 20 µs median per
//! request):
//!
//! - `get_search`, `post_form`, `get_sqli`: one request scored again and again with the
//!   scorer's cache off, so every value goes through feature extraction and the
//!   batched inference each time: the cost when nothing repeats;
//! - `typical_traffic`: a stream of requests, each new (eight browsers' header sets,
//!   300 sessions, searches, item pages and form posts whose search terms, ids and
//!   e-mails change from request to request), with the cache on, as a server sees them: repeated
//!   header values are looked up, the changing ones scored.

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
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

/// Eight browsers: user agents and languages.
const BROWSERS: [(&str, &str); 8] = [
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
        "en-US,en;q=0.9",
    ),
    (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15",
        "fr-FR,fr;q=0.9,en;q=0.8",
    ),
    (
        "Mozilla/5.0 (X11; Linux x86_64; rv:126.0) Gecko/20100101 Firefox/126.0",
        "de-DE,de;q=0.8,en-US;q=0.5",
    ),
    (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
        "en-GB,en;q=0.9",
    ),
    (
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36",
        "es-ES,es;q=0.9",
    ),
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0",
        "it-IT,it;q=0.8,en;q=0.6",
    ),
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.0.0",
        "nl-NL,nl;q=0.9",
    ),
    (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/123.0.0.0 Safari/537.36",
        "pt-BR,pt;q=0.9,en;q=0.7",
    ),
];

const WORDS: [&str; 16] = [
    "red", "running", "shoes", "linen", "shirt", "blue", "garden", "chair", "lamp", "oak", "table",
    "summer", "dress", "wool", "socks", "kettle",
];

/// The `i`th request of the typical stream: a browser, a session, and a search, an
/// item page or a form post with values that change from request to request.
fn typical_request(i: usize) -> RequestView {
    let (agent, language) = BROWSERS[i % BROWSERS.len()];
    let word = |k: usize| WORDS[(i * 7 + k * 3) % WORDS.len()];
    let (method, uri, body) = match i % 4 {
        0 | 1 => (
            "GET",
            format!(
                "/search?q={}+{}+{}&page={}&sort=price",
                word(0),
                word(1),
                i % 997,
                i % 9 + 1
            ),
            String::new(),
        ),
        2 => (
            "GET",
            format!("/item/{}?ref=search&pos={}", 1000 + i * 13, i % 20),
            String::new(),
        ),
        _ => (
            "POST",
            "/account/register".to_owned(),
            format!(
                "name={}+{}&email=user{i}%40mail.example&city={}&zip={:05}&accept=on",
                word(2),
                word(3),
                word(4),
                i * 37 % 99_999
            ),
        ),
    };
    let cookie = format!(
        "_ga=GA1.2.{}.1619363242; session={:032x}",
        2_675_705_572u64 + (i % 300) as u64,
        (i % 300) * 7_919
    );
    let mut headers: Vec<(Vec<u8>, Vec<u8>)> = vec![
        (b"host".to_vec(), b"shop.example".to_vec()),
        (b"user-agent".to_vec(), agent.into()),
        (b"accept".to_vec(), HEADERS[2].1.to_vec()),
        (b"accept-language".to_vec(), language.into()),
        (b"accept-encoding".to_vec(), HEADERS[4].1.to_vec()),
        (
            b"referer".to_vec(),
            format!("https://shop.example/catalog?page={}", i % 5).into(),
        ),
        (b"cookie".to_vec(), cookie.into()),
        (b"connection".to_vec(), b"keep-alive".to_vec()),
    ];
    if method == "POST" {
        headers.push((
            b"content-type".to_vec(),
            b"application/x-www-form-urlencoded".to_vec(),
        ));
    }
    RequestView::from_raw(
        RawRequest {
            method,
            uri: &uri,
            protocol: "HTTP/1.1",
            headers: headers.iter().map(|(n, v)| (&n[..], &v[..])).collect(),
            body: body.into_bytes().into(),
            client: "198.51.100.7".parse().unwrap(),
        },
        &Limits::default(),
    )
}

fn anomaly(c: &mut Criterion) {
    let scorer = AnomalyScorer::embedded()
        .expect("the embedded model loads")
        .cache_capacity(0);
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
    // A new request each time (built outside the timing): search terms, ids and
    // e-mails change, browsers and sessions repeat.
    let cached = AnomalyScorer::embedded().expect("the embedded model loads");
    let mut next = 0;
    group.bench_function("typical_traffic", |b| {
        b.iter_batched(
            || {
                next += 1;
                typical_request(next)
            },
            |view| cached.assess(black_box(&view)),
            BatchSize::SmallInput,
        )
    });
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
