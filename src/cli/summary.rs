//! The end-of-scan summary: counts per action, malformed lines, and latency percentiles.

use std::fmt::Write as _;
use waf_core::Action;

/// What a scan has seen so far.
#[derive(Debug, Default)]
pub struct Summary {
    /// Requests per action, indexed by [`Action::index`].
    counts: [u64; Action::NAMES.len()],
    /// Lines skipped because they were malformed.
    malformed: u64,
    /// Every request's inspection time in microseconds, for the percentiles (8 bytes a
    /// request: the input itself is streamed, these are kept).
    elapsed_us: Vec<f64>,
}

impl Summary {
    /// Counts one inspected request.
    pub fn record(&mut self, action: Action, elapsed_us: f64) {
        self.counts[action.index()] += 1;
        self.elapsed_us.push(elapsed_us);
    }

    /// Counts one malformed line.
    pub fn record_malformed(&mut self) {
        self.malformed += 1;
    }

    /// Requests inspected so far.
    pub fn requests(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// Malformed lines so far.
    pub fn malformed(&self) -> u64 {
        self.malformed
    }

    /// The summary text, several lines ending with a line break.
    pub fn report(mut self) -> String {
        self.elapsed_us.sort_by(f64::total_cmp);
        let mut text = String::from("scan summary:\n");
        // Writing to a String cannot fail.
        for (name, count) in Action::NAMES.iter().zip(self.counts) {
            let _ = writeln!(text, "  {name:<12}{count:>8}");
        }
        let _ = writeln!(text, "  {:<12}{:>8} requests", "total", self.requests());
        let _ = writeln!(
            text,
            "  {:<12}{:>8} lines skipped",
            "malformed", self.malformed
        );
        let _ = match (
            nearest_rank(&self.elapsed_us, 50),
            nearest_rank(&self.elapsed_us, 99),
        ) {
            (Some(median), Some(p99)) => writeln!(
                text,
                "  {:<12}median {median:.1}, p99 {p99:.1} (nearest rank)",
                "elapsed_us"
            ),
            _ => writeln!(text, "  {:<12}no requests inspected", "elapsed_us"),
        };
        text
    }
}

/// The `percent`th percentile of `sorted` by the nearest-rank method: the smallest value
/// with at least `percent`% of the values at or below it. `None` when empty.
fn nearest_rank(sorted: &[f64], percent: usize) -> Option<f64> {
    // rank = ⌈percent × n / 100⌉, at least 1; integer arithmetic avoids float rounding.
    let rank = (percent * sorted.len()).div_ceil(100).max(1);
    sorted.get(rank - 1).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let hundred: Vec<f64> = (1..=100).map(f64::from).collect();
        let cases: [(&[f64], usize, Option<f64>); 6] = [
            (&[], 50, None),
            (&[7.0], 99, Some(7.0)),
            (&[1.0, 2.0], 50, Some(1.0)),
            (&[1.0, 2.0, 3.0], 50, Some(2.0)),
            (&hundred, 50, Some(50.0)),
            (&hundred, 99, Some(99.0)),
        ];
        for (values, percent, expected) in cases {
            assert_eq!(
                nearest_rank(values, percent),
                expected,
                "{values:?} p{percent}"
            );
        }
    }

    #[test]
    fn report_lists_every_action_and_percentiles() {
        let mut summary = Summary::default();
        summary.record(Action::Allow, 3.0);
        summary.record(Action::Deny { status: 403 }, 1.0);
        summary.record_malformed();
        let report = summary.report();
        for needle in [
            "allow",
            "deny",
            "challenge",
            "rate_limit",
            "log",
            "malformed",
        ] {
            assert!(report.contains(needle), "{report}");
        }
        assert!(report.contains("total              2 requests"), "{report}");
        assert!(report.contains("median 1.0, p99 3.0"), "{report}");
    }
}
