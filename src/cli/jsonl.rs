//! Verdict lines: the JSONL contract of `shared/formats/requests-jsonl.md` (request
//! lines are `waf_core::request::RecordedRequest`).

use serde::Serialize;
use std::io::{self, Write};
use std::time::Duration;
use waf_core::Verdict;

/// One verdict line.
#[derive(Debug, Serialize)]
pub struct VerdictLine<'a> {
    /// The request's id.
    id: &'a str,
    /// `allow`, `deny`, `challenge`, `rate_limit` or `log`.
    action: &'static str,
    /// The status a middleware would answer with; absent for `allow` and `log`.
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<u16>,
    /// The weighted score, rounded to 4 decimals.
    score: f64,
    /// Every matched rule, in evaluation order.
    rule_ids: Vec<u32>,
    /// Time spent building the request view and inspecting it, in microseconds, rounded
    /// to 1 decimal.
    elapsed_us: f64,
}

impl<'a> VerdictLine<'a> {
    /// The line for request `id`, decided by `verdict` in `elapsed`.
    pub fn new(id: &'a str, verdict: &Verdict, elapsed: Duration) -> Self {
        Self {
            id,
            action: verdict.action.name(),
            status: verdict.action.status(),
            score: round_to(verdict.score, 4),
            rule_ids: verdict.rule_ids(),
            elapsed_us: round_to(micros(elapsed), 1),
        }
    }

    /// Writes the line and its line break.
    pub fn write_to(&self, out: &mut impl Write) -> io::Result<()> {
        serde_json::to_writer(&mut *out, self)?;
        out.write_all(b"\n")
    }
}

/// A duration in microseconds, with fractions.
pub fn micros(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e6
}

/// `value` rounded to `decimals` decimal places.
fn round_to(value: f64, decimals: i32) -> f64 {
    let scale = 10f64.powi(decimals);
    (value * scale).round() / scale
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding() {
        assert_eq!(round_to(0.123_456, 4), 0.1235);
        assert_eq!(round_to(14.249, 1), 14.2);
        assert_eq!(micros(Duration::from_nanos(1500)), 1.5);
    }
}
