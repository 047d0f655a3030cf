//! A hand-rolled progress bar on stderr, and the one way to print other stderr lines
//! while it is shown.

use std::io::{self, Write};
use std::time::{Duration, Instant};

/// The shortest time between two redraws: about ten a second is smooth enough and costs
/// nothing next to the scan.
const REDRAW_EVERY: Duration = Duration::from_millis(100);

/// Width of the bar itself, in characters; the whole line stays under 80 columns.
const BAR_WIDTH: usize = 30;

/// Erases the current terminal line: carriage return, then "erase to end of line".
const ERASE_LINE: &str = "\r\x1b[K";

/// Progress through the input, drawn on stderr when it is a terminal. All other stderr
/// output of a scan goes through [`Progress::println`] so it never lands inside the bar.
#[derive(Debug)]
pub struct Progress {
    /// `None` when the bar is off (stderr is not a terminal): then only lines are printed.
    bar: Option<Bar>,
}

/// The state of a bar that is on.
#[derive(Debug)]
struct Bar {
    /// Size of the input in bytes; 0 when unknown (a pipe), and then no percentage is shown.
    total_bytes: u64,
    /// Bytes read so far.
    done_bytes: u64,
    /// Not redrawn before this time.
    next_draw: Instant,
    /// Whether a bar is on screen and must be erased before printing anything else.
    drawn: bool,
}

impl Progress {
    /// A progress display; `enabled` says whether to draw a bar at all.
    pub fn new(enabled: bool, total_bytes: u64) -> Self {
        Self {
            bar: enabled.then(|| Bar {
                total_bytes,
                done_bytes: 0,
                next_draw: Instant::now(),
                drawn: false,
            }),
        }
    }

    /// Records `bytes` more of the input read, and redraws if the last redraw is old
    /// enough.
    pub fn advance(&mut self, bytes: usize, requests: u64, malformed: u64) {
        let Some(bar) = &mut self.bar else { return };
        bar.done_bytes = bar.done_bytes.saturating_add(bytes as u64);
        let now = Instant::now();
        if now < bar.next_draw {
            return;
        }
        bar.next_draw = now + REDRAW_EVERY;
        let line = render(bar.done_bytes, bar.total_bytes, requests, malformed);
        // A failed write to stderr has nowhere to be reported; the scan goes on.
        let _ = write!(io::stderr().lock(), "{ERASE_LINE}{line}");
        bar.drawn = true;
    }

    /// Prints one line on stderr, erasing the bar first; the next redraw brings it back.
    pub fn println(&mut self, line: &str) {
        self.erase();
        super::eprint_line(line);
    }

    /// Erases the bar if it is on screen.
    fn erase(&mut self) {
        if let Some(bar) = &mut self.bar
            && bar.drawn
        {
            // As above: nowhere to report a failed write to stderr.
            let _ = write!(io::stderr().lock(), "{ERASE_LINE}");
            bar.drawn = false;
        }
    }
}

impl Drop for Progress {
    /// Leaves the terminal clean on every way out, errors included.
    fn drop(&mut self) {
        self.erase();
    }
}

/// The bar's text: `scanning [=====>    ]  45%  1234 requests, 2 malformed`, without the
/// bar and percentage when the input size is unknown.
fn render(done_bytes: u64, total_bytes: u64, requests: u64, malformed: u64) -> String {
    let counts = format!("{requests} requests, {malformed} malformed");
    if total_bytes == 0 {
        return format!("scanning  {counts}");
    }
    // The input may grow while it is read; never draw past the end.
    let fraction = (done_bytes as f64 / total_bytes as f64).min(1.0);
    let filled = (fraction * BAR_WIDTH as f64) as usize;
    let head = if filled < BAR_WIDTH { ">" } else { "" };
    let rest = BAR_WIDTH.saturating_sub(filled + head.len());
    format!(
        "scanning [{}{head}{}] {:3.0}%  {counts}",
        "=".repeat(filled),
        " ".repeat(rest),
        fraction * 100.0
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_bar_percentage_and_counts() {
        let bar = |filled: usize, head: &str| {
            let rest = BAR_WIDTH - filled - head.len();
            format!("[{}{head}{}]", "=".repeat(filled), " ".repeat(rest))
        };
        let cases = [
            (
                (0, 100, 0),
                format!("scanning {}   0%  0 requests, 0 malformed", bar(0, ">")),
            ),
            (
                (50, 100, 7),
                format!("scanning {}  50%  7 requests, 0 malformed", bar(15, ">")),
            ),
            (
                (100, 100, 9),
                format!("scanning {} 100%  9 requests, 0 malformed", bar(30, "")),
            ),
            // The file grew while it was read: the bar stops at full.
            (
                (150, 100, 9),
                format!("scanning {} 100%  9 requests, 0 malformed", bar(30, "")),
            ),
            // Unknown size (a pipe): counts only.
            ((5, 0, 2), "scanning  2 requests, 0 malformed".to_owned()),
        ];
        for ((done, total, requests), expected) in cases {
            assert_eq!(render(done, total, requests, 0), expected);
        }
    }
}
