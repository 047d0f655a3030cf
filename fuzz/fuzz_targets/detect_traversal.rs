//! Any bytes through the path-traversal detector and the URL-shaped detectors that share
//! its layered percent-decoder (SSRF, open redirect, CR/LF): none may panic, and what
//! they report must keep the `Detection` promises (confidence in [0.5, 1] when they
//! fire, a fragment no longer than `MAX_FRAGMENT`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use waf_rules::detect::{Kind, MAX_FRAGMENT};

fuzz_target!(|data: &[u8]| {
    for kind in [Kind::Traversal, Kind::Ssrf, Kind::OpenRedirect, Kind::Crlf] {
        if let Some(hit) = kind.detect(data) {
            assert!(
                (0.5..=1.0).contains(&hit.confidence),
                "{kind:?}: confidence {}",
                hit.confidence
            );
            assert!(
                hit.fragment.len() <= MAX_FRAGMENT,
                "{kind:?}: fragment of {} bytes",
                hit.fragment.len()
            );
        }
    }
});
