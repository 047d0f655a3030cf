//! Any bytes through any sequence of transformations: each must be total (no panic, any
//! bytes out), whatever came out of the one before.
#![no_main]

use libfuzzer_sys::fuzz_target;
use waf_core::transform::{Transform, apply_all};

fuzz_target!(|data: &[u8]| {
    // The first bytes choose up to four transformations; the rest is the value.
    let (choice, value) = data.split_at(data.len().min(4));
    let pipeline: Vec<Transform> = choice
        .iter()
        .map(|&b| Transform::ALL[usize::from(b) % Transform::ALL.len()])
        .collect();
    let _ = apply_all(&pipeline, value);
});
