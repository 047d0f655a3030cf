//! `@detectSQLi`, `@detectXSS` and the other detector operators: the value is handed to
//! one of `waf_rules::detect`'s detectors, and its evidence (confidence, fingerprint,
//! fragment) becomes the match's.

use super::Found;
use crate::verdict::Evidence;
use std::borrow::Cow;
use waf_rules::detect::Kind;

pub(super) fn find(kind: Kind, value: &[u8]) -> Option<Found<'_>> {
    let detection = kind.detect(value)?;
    Some(Found {
        part: Cow::Owned(detection.fragment),
        evidence: Some(Evidence {
            confidence: detection.confidence,
            fingerprint: detection.fingerprint,
        }),
    })
}
