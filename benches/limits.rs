//! The per-request costs of bans and rate limits: a blocklist lookup among 100,000
//! entries (a hit and a miss), and limiter decisions per second on 1 and 2 threads.
//!
//! `cargo bench --bench limits`; criterion reports medians. The thread benchmarks
//! report the time of a batch of decisions per thread; their throughput line is
//! decisions per second over all threads.
//!
//! On the 2-core development machine (shared): a lookup among 100,000 bans 55 ns on a
//! hit, 44 ns on a miss; the limiter 8.3 million decisions per second on one thread,
//! 9.1 million on two (each iteration spawns its threads, which the figure includes).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::{Duration, Instant};
use waf::core::Config;
use waf::core::blocklist::Blocklist;
use waf::core::ratelimit::RateLimiter;
use waf::core::request::{Limits, RawRequest, RequestView};

fn blocklist(c: &mut Criterion) {
    let list = Blocklist::default();
    let now = Instant::now();
    let ttl = Some(Duration::from_secs(3600));
    // 100,000 entries as feeds and bans mix them: mostly single addresses of both
    // families, some ranges of a few lengths.
    for i in 0..100_000u32 {
        let net = match i % 10 {
            0 => format!("{}/24", Ipv4Addr::from(0x6400_0000 + (i << 8))),
            1 => format!(
                "{}/64",
                Ipv6Addr::from(0x2001_0db8_u128 << 96 | u128::from(i) << 64)
            ),
            2..=4 => format!(
                "{}/128",
                Ipv6Addr::from(0x2001_0db9_u128 << 96 | u128::from(i))
            ),
            _ => format!("{}/32", Ipv4Addr::from(0x0a00_0000 + i)),
        };
        list.insert(net.parse().unwrap(), ttl, "bench", now);
    }
    assert_eq!(list.len(), 100_000);
    let hit: IpAddr = Ipv4Addr::from(0x0a00_0000 + 99_999).into();
    let miss: IpAddr = Ipv4Addr::new(198, 51, 100, 1).into();
    assert!(list.lookup(hit, now).is_some() && list.lookup(miss, now).is_none());
    let mut group = c.benchmark_group("blocklist-100k");
    group.bench_function("hit", |b| b.iter(|| list.lookup(black_box(hit), now)));
    group.bench_function("miss", |b| b.iter(|| list.lookup(black_box(miss), now)));
    group.finish();
}

/// Decisions each thread makes per measured iteration.
const BATCH: u64 = 10_000;

fn limiter(c: &mut Criterion) {
    let config = Config::from_toml(
        "[[rate_limits]]\nname = \"all\"\nrate = 1000000000\n[[rate_limits]]\nname = \"api\"\npath = \"/api/\"\nrate = 100\ncooldown = 60",
    )
    .unwrap();
    let limiter = RateLimiter::default();
    // 1,000 clients per thread, on distinct keys: the threads share the map, not keys.
    let views = |thread: u32| -> Vec<RequestView> {
        (0..1000u32)
            .map(|i| {
                RequestView::from_raw(
                    RawRequest {
                        method: "GET",
                        uri: "/shop/item?id=7",
                        protocol: "HTTP/1.1",
                        headers: vec![(b"host", b"shop.example")],
                        body: Default::default(),
                        client: Ipv4Addr::from(0x0a00_0000 + thread * 1_000_000 + i).into(),
                    },
                    &Limits::default(),
                )
            })
            .collect()
    };
    let decide = |views: &[RequestView]| {
        let now = Instant::now();
        for view in views.iter().cycle().take(BATCH as usize) {
            black_box(limiter.check(&config.rate_limits, config.limiter.max_keys, view, now));
        }
    };
    let mut group = c.benchmark_group("limiter");
    for threads in [1u32, 2] {
        let per_thread: Vec<_> = (0..threads).map(views).collect();
        group.throughput(Throughput::Elements(BATCH * u64::from(threads)));
        group.bench_function(format!("{threads}-thread"), |b| {
            b.iter(|| {
                std::thread::scope(|scope| {
                    for views in &per_thread {
                        scope.spawn(|| decide(views));
                    }
                })
            })
        });
    }
    group.finish();
}

criterion_group!(benches, blocklist, limiter);
criterion_main!(benches);
