//! `waf events`: the attacks an attack store kept (`waf::store`), newest
//! first, as a table or JSON lines.

use super::Failure;
use clap::Args;
use std::io::Write;
use std::time::{Duration, SystemTime};
use waf::store::{Event, Query, Store, parse_client};

/// List the attacks kept by an attack store, newest first.
#[derive(Debug, Args)]
pub struct EventsArgs {
    /// The attack store: `sqlite:PATH`, a plain path, or
    /// `mysql://USER:PASSWORD@HOST:PORT/DATABASE`.
    #[arg(long, value_name = "URL")]
    db: String,
    /// Only events at or after this time: an age (`90s`, `15m`, `1h`, `7d`, `2w`) or an
    /// RFC 3339 time (`2026-11-22T03:00:00Z`).
    #[arg(long, value_name = "AGE|TIME")]
    since: Option<String>,
    /// Only events before this time; the same forms as `--since`.
    #[arg(long, value_name = "AGE|TIME")]
    until: Option<String>,
    /// Only events from this client address or network (`192.0.2.7`, `192.0.2.0/24`,
    /// `2001:db8::/32`).
    #[arg(long, value_name = "IP|CIDR")]
    client: Option<String>,
    /// Only events where the rule with this id matched.
    #[arg(long, value_name = "ID")]
    rule: Option<u32>,
    /// At most this many events.
    #[arg(long, value_name = "N", default_value_t = 100)]
    limit: usize,
    /// Print one JSON object per event instead of a table.
    #[arg(long)]
    json: bool,
}

/// The widest request line a table row shows, in characters.
const REQUEST_WIDTH: usize = 80;
/// The widest rule list a table row shows, in characters.
const RULES_WIDTH: usize = 40;

/// Runs `waf events`.
pub fn run(args: EventsArgs) -> Result<(), Failure> {
    let now = SystemTime::now();
    let time = |option: &str, text: &Option<String>| {
        text.as_deref()
            .map(|t| {
                parse_time(t, now).map_err(|e| Failure::usage(format!("bad {option} {t:?}: {e}")))
            })
            .transpose()
    };
    let client = args
        .client
        .as_deref()
        .map(|text| {
            parse_client(text).ok_or_else(|| {
                Failure::usage(format!(
                    "bad --client {text:?}: expected an IP address or a network such as 192.0.2.0/24"
                ))
            })
        })
        .transpose()?;
    let query = Query {
        since: time("--since", &args.since)?,
        until: time("--until", &args.until)?,
        client,
        rule: args.rule,
        limit: args.limit,
    };
    let mut store = Store::open_existing(&args.db).map_err(|e| Failure::usage(e.to_string()))?;
    let events = store
        .query(&query)
        .map_err(|e| Failure::runtime(format!("cannot read the attack store: {e}")))?;
    let text = if args.json {
        json_lines(&events)
    } else {
        table(&events)
    };
    std::io::stdout()
        .lock()
        .write_all(text.as_bytes())
        .map_err(|e| Failure::runtime(format!("cannot write to standard output: {e}")))
}

/// Reads an age before `now` (`90s`, `15m`, `1h`, `7d`, `2w`) or an RFC 3339 time.
fn parse_time(text: &str, now: SystemTime) -> Result<SystemTime, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let seconds = match unit {
        "s" => Some(1),
        "m" => Some(60),
        "h" => Some(3600),
        "d" => Some(86_400),
        "w" => Some(7 * 86_400),
        _ => None,
    };
    if let (Some(seconds), Ok(number)) = (seconds, number.parse::<u64>()) {
        return number
            .checked_mul(seconds)
            .and_then(|s| now.checked_sub(Duration::from_secs(s)))
            .ok_or_else(|| "the age is too large".to_owned());
    }
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .map(SystemTime::from)
        .map_err(|_| "expected an age such as 90s, 15m, 1h, 7d or 2w, or an RFC 3339 time such as 2026-11-22T03:00:00Z".to_owned())
}

fn json_lines(events: &[Event]) -> String {
    events
        .iter()
        .map(|e| serde_json::to_string(e).unwrap_or_default() + "\n")
        .collect()
}

/// At most `width` characters of `text`, control characters replaced, `…` when cut.
fn cell(text: &str, width: usize) -> String {
    let clean: String = text
        .chars()
        .map(|c| if c.is_control() { '\u{fffd}' } else { c })
        .collect();
    if clean.chars().count() <= width {
        clean
    } else {
        clean.chars().take(width - 1).chain(['…']).collect()
    }
}

fn table(events: &[Event]) -> String {
    let header = ["TIME", "CLIENT", "ACTION", "STATUS", "RULES", "REQUEST"].map(String::from);
    let rows: Vec<[String; 6]> = events
        .iter()
        .map(|e| {
            let rules: Vec<String> = e.rules.iter().map(|r| r.rule_id.to_string()).collect();
            [
                waf::tower::audit::rfc3339(e.time),
                e.client.to_string(),
                cell(&e.action, 16),
                e.status.to_string(),
                cell(&rules.join(","), RULES_WIDTH),
                cell(
                    &format!("{} {} {}", e.method, e.uri, e.protocol),
                    REQUEST_WIDTH,
                ),
            ]
        })
        .collect();
    let mut widths = header.clone().map(|h| h.chars().count());
    for row in &rows {
        for (width, value) in widths.iter_mut().zip(row) {
            *width = (*width).max(value.chars().count());
        }
    }
    let mut out = String::new();
    for row in std::iter::once(&header).chain(&rows) {
        let cells: Vec<String> = row
            .iter()
            .zip(widths)
            .map(|(value, width)| format!("{value:<width$}"))
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let ago = |s| Ok(now - Duration::from_secs(s));
        // (text, time)
        let cases = [
            ("90s", ago(90)),
            ("15m", ago(900)),
            ("1h", ago(3600)),
            ("7d", ago(7 * 86_400)),
            ("2w", ago(14 * 86_400)),
            (
                "1970-01-02T00:00:00Z",
                Ok(SystemTime::UNIX_EPOCH + Duration::from_secs(86_400)),
            ),
            (
                "1970-01-02T02:00:00+02:00",
                Ok(SystemTime::UNIX_EPOCH + Duration::from_secs(86_400)),
            ),
            ("1y", Err(())),
            ("h", Err(())),
            ("-1h", Err(())),
            ("99999999999999999w", Err(())),
            ("yesterday", Err(())),
            ("", Err(())),
        ];
        for (text, time) in cases {
            assert_eq!(parse_time(text, now).map_err(|_| ()), time, "{text}");
        }
    }

    #[test]
    fn cells() {
        // (text, width, cell)
        let cases = [
            ("GET /", 10, "GET /"),
            ("GET /abcdef", 6, "GET /…"),
            ("a\u{1b}[31mb", 10, "a\u{fffd}[31mb"),
        ];
        for (text, width, expected) in cases {
            assert_eq!(cell(text, width), expected, "{text}");
        }
    }
}
