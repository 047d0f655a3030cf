//! Any bytes through the cross-site scripting detector: it must not panic, and what it
//! reports must keep the `Detection` promises (confidence in [0.5, 1] when it fires, a
//! fragment no longer than `MAX_FRAGMENT`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use waf_rules::detect::{self, MAX_FRAGMENT};

fuzz_target!(|data: &[u8]| {
    if let Some(hit) = detect::xss(data) {
        assert!(
            (0.0..=1.0).contains(&hit.confidence),
            "confidence {}",
            hit.confidence
        );
        assert!(
            hit.confidence >= 0.5,
            "a detection below 0.5: {}",
            hit.confidence
        );
        assert!(
            hit.fragment.len() <= MAX_FRAGMENT,
            "fragment of {} bytes",
            hit.fragment.len()
        );
    }
});
