//! Any bytes through the SQL injection detector (tokenizer, grammar walk, shapes):
//! nothing may panic, and a detection must respect the `Detection` contract.
#![no_main]

use libfuzzer_sys::fuzz_target;
use waf_rules::detect::{MAX_FRAGMENT, sqli};

fuzz_target!(|data: &[u8]| {
    if let Some(hit) = sqli(data) {
        assert!(
            (0.0..=1.0).contains(&hit.confidence),
            "confidence {}",
            hit.confidence
        );
        assert!(
            hit.confidence >= 0.5,
            "weak detection reported: {}",
            hit.confidence
        );
        assert!(
            hit.fragment.len() <= MAX_FRAGMENT,
            "fragment of {} bytes",
            hit.fragment.len()
        );
    }
});
