//! Detector time against input length: each detector on 64 KiB, 256 KiB and 1 MiB of
//! repeated tricky characters. Linear scanners show time proportional to size
//! (criterion's throughput figure stays flat); anything worse shows up as falling
//! throughput. `cargo bench --bench detectors`.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use waf::rules::detect::Kind;

/// Inputs that keep scanners busy: open quotes and comments, nesting, escapes.
const PATTERNS: &[(&str, &str)] = &[
    ("quotes", "'\"`"),
    ("mixed", "' or <svg on=${{../%25%c0%ae\\u00;|"),
];

fn detectors(c: &mut Criterion) {
    for &(name, pattern) in PATTERNS {
        let mut group = c.benchmark_group(format!("detect/{name}"));
        group
            .sample_size(10)
            .warm_up_time(std::time::Duration::from_millis(300))
            .measurement_time(std::time::Duration::from_secs(2));
        for size in [64 << 10, 256 << 10, 1 << 20] {
            let input: Vec<u8> = pattern.bytes().cycle().take(size).collect();
            group.throughput(Throughput::Bytes(size as u64));
            for kind in Kind::ALL {
                group.bench_with_input(
                    BenchmarkId::new(kind.operator(), size),
                    &input,
                    |b, input| b.iter(|| kind.detect(black_box(input))),
                );
            }
        }
        group.finish();
    }
}

criterion_group!(benches, detectors);
criterion_main!(benches);
