//! `waf stats`: scrapes a waf metrics endpoint (`waf_tower::metrics`) and says what it
//! shows: requests by action, the share blocked, top rules and clients, inspection
//! latency, bans and the Redis link. Counts are totals since the node started.

mod exposition;
mod scrape;

use super::Failure;
use clap::Args;
use exposition::{Sample, quantile};
use scrape::ScrapeError;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;
use waf_core::Action;

/// Summarize a waf metrics endpoint: requests, block ratio, top rules and clients,
/// latency, bans, Redis.
#[derive(Debug, Args)]
pub struct StatsArgs {
    /// The metrics endpoint to scrape (plain HTTP), e.g. http://127.0.0.1:9090/metrics.
    #[arg(long, value_name = "URL")]
    url: String,
    /// Print one JSON object instead of plain text.
    #[arg(long)]
    json: bool,
    /// How many rules and clients to list.
    #[arg(long, value_name = "N", default_value_t = 5)]
    top: usize,
}

/// The actions whose requests the client did not get through: all but `allow` and
/// `log`.
fn blocking(action: &str) -> bool {
    !matches!(action, "allow" | "log")
}

/// What the endpoint shows.
#[derive(Debug, Serialize)]
struct Stats {
    url: String,
    requests: BTreeMap<String, u64>,
    total: u64,
    /// Blocked (deny, challenge, rate limit) over all; `None` before any request.
    block_ratio: Option<f64>,
    /// Estimated from the histogram's buckets; `None` before any request.
    latency_seconds: Latency,
    top_rules: Vec<RuleHits>,
    top_clients: Vec<ClientRequests>,
    /// `None` when the endpoint does not follow an engine's bans.
    bans_active: Option<u64>,
    /// `None` when the node shares no state through Redis.
    redis: Option<Redis>,
}

#[derive(Debug, Serialize)]
struct Latency {
    p50: Option<f64>,
    p95: Option<f64>,
    p99: Option<f64>,
}

#[derive(Debug, Serialize)]
struct RuleHits {
    source: String,
    rule_id: String,
    hits: u64,
}

#[derive(Debug, Serialize)]
struct ClientRequests {
    client: String,
    requests: u64,
}

#[derive(Debug, Serialize)]
struct Redis {
    connected: bool,
    connection_failures: u64,
    command_errors: u64,
}

/// Runs `waf stats`.
pub fn run(args: StatsArgs) -> Result<(), Failure> {
    let uri = scrape::parse_url(&args.url).map_err(failure)?;
    let text = scrape::get(&uri).map_err(failure)?;
    let samples = exposition::samples(&text);
    if !samples.iter().any(|s| s.name == "waf_requests_total") {
        return Err(Failure::runtime(format!(
            "{} answered, but not with waf metrics (no waf_requests_total)",
            args.url
        )));
    }
    let stats = summarize(&args.url, &samples, args.top);
    let output = if args.json {
        let mut json = serde_json::to_string_pretty(&stats)
            .map_err(|error| Failure::runtime(format!("cannot write JSON: {error}")))?;
        json.push('\n');
        json
    } else {
        text_report(&stats)
    };
    std::io::stdout()
        .lock()
        .write_all(output.as_bytes())
        .map_err(|error| Failure::runtime(format!("cannot write the summary: {error}")))
}

fn failure(error: ScrapeError) -> Failure {
    match error {
        ScrapeError::BadUrl(message) => Failure::usage(format!("--url: {message}")),
        ScrapeError::Failed(message) => Failure::runtime(message),
    }
}

/// A counter or gauge value as a count (they are whole numbers; NaN and negatives are 0).
fn count(value: f64) -> u64 {
    if value.is_finite() && value > 0.0 {
        value.round() as u64
    } else {
        0
    }
}

/// The sum of the samples named `name`, or `None` if there is none.
fn total(samples: &[Sample], name: &str) -> Option<f64> {
    let mut named = samples.iter().filter(|s| s.name == name).peekable();
    named.peek()?;
    Some(named.map(|s| s.value).sum())
}

fn summarize(url: &str, samples: &[Sample], top: usize) -> Stats {
    let requests: BTreeMap<String, u64> = Action::NAMES
        .iter()
        .map(|action| {
            let n = samples
                .iter()
                .filter(|s| s.name == "waf_requests_total" && s.label("action") == *action)
                .map(|s| count(s.value))
                .sum();
            ((*action).to_owned(), n)
        })
        .collect();
    let total_requests: u64 = requests.values().sum();
    let blocked: u64 = requests
        .iter()
        .filter(|(action, _)| blocking(action))
        .map(|(_, n)| n)
        .sum();
    let mut top_rules: Vec<RuleHits> = samples
        .iter()
        .filter(|s| s.name == "waf_rule_hits_total" && s.value > 0.0)
        .map(|s| RuleHits {
            source: s.label("source").to_owned(),
            rule_id: s.label("rule_id").to_owned(),
            hits: count(s.value),
        })
        .collect();
    top_rules.sort_by(|a, b| b.hits.cmp(&a.hits).then_with(|| a.rule_id.cmp(&b.rule_id)));
    top_rules.truncate(top);
    let mut top_clients: Vec<ClientRequests> = samples
        .iter()
        .filter(|s| s.name == "waf_top_attacking_client_requests")
        .map(|s| ClientRequests {
            client: s.label("client").to_owned(),
            requests: count(s.value),
        })
        .collect();
    top_clients.sort_by(|a, b| {
        b.requests
            .cmp(&a.requests)
            .then_with(|| a.client.cmp(&b.client))
    });
    top_clients.truncate(top);
    let bucket = "waf_inspection_duration_seconds_bucket";
    let redis = total(samples, "waf_redis_connected").map(|connected| Redis {
        connected: connected > 0.0,
        connection_failures: count(
            total(samples, "waf_redis_connection_failures_total").unwrap_or(0.0),
        ),
        command_errors: count(total(samples, "waf_redis_command_errors_total").unwrap_or(0.0)),
    });
    Stats {
        url: url.to_owned(),
        requests,
        total: total_requests,
        block_ratio: (total_requests > 0).then(|| blocked as f64 / total_requests as f64),
        latency_seconds: Latency {
            p50: quantile(samples, bucket, 0.5),
            p95: quantile(samples, bucket, 0.95),
            p99: quantile(samples, bucket, 0.99),
        },
        top_rules,
        top_clients,
        bans_active: total(samples, "waf_bans_active").map(count),
        redis,
    }
}

/// The plain-text summary, one topic a line.
fn text_report(stats: &Stats) -> String {
    let mut text = format!("{} (totals since the node started)\n", stats.url);
    // Writing to a String cannot fail.
    let by_action: Vec<String> = Action::NAMES
        .iter()
        .map(|action| format!("{} {action}", stats.requests[*action]))
        .collect();
    let _ = writeln!(
        text,
        "requests     {} in all: {}",
        stats.total,
        by_action.join(", ")
    );
    let _ = match stats.block_ratio {
        Some(ratio) => writeln!(
            text,
            "blocked      {:.1}% (denied, challenged or rate-limited)",
            ratio * 100.0
        ),
        None => writeln!(text, "blocked      no requests yet"),
    };
    let latency = &stats.latency_seconds;
    let _ = match (latency.p50, latency.p95, latency.p99) {
        (Some(p50), Some(p95), Some(p99)) => writeln!(
            text,
            "latency      p50 {}, p95 {}, p99 {} (inspection only, estimated from buckets)",
            duration(p50),
            duration(p95),
            duration(p99)
        ),
        _ => writeln!(text, "latency      no requests yet"),
    };
    let rules: Vec<String> = stats
        .top_rules
        .iter()
        .map(|r| format!("{} {} ({})", r.source, r.rule_id, plural(r.hits, "hit")))
        .collect();
    let _ = writeln!(
        text,
        "top rules    {}",
        list_or_none(&rules, "no rule matched")
    );
    let clients: Vec<String> = stats
        .top_clients
        .iter()
        .map(|c| format!("{} ({})", c.client, plural(c.requests, "request")))
        .collect();
    let _ = writeln!(
        text,
        "top clients  {}",
        list_or_none(&clients, "no client acted on")
    );
    let _ = match stats.bans_active {
        Some(bans) => writeln!(text, "bans         {bans} active"),
        None => writeln!(
            text,
            "bans         not reported (the metrics do not watch the engine)"
        ),
    };
    let _ = match &stats.redis {
        Some(redis) => writeln!(
            text,
            "redis        {} ({} connection failures, {} command errors)",
            if redis.connected {
                "connected"
            } else {
                "DISCONNECTED"
            },
            redis.connection_failures,
            redis.command_errors
        ),
        None => writeln!(text, "redis        not used"),
    };
    text
}

/// `1 hit`, `2 hits`.
fn plural(n: u64, noun: &str) -> String {
    if n == 1 {
        format!("{n} {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

fn list_or_none(items: &[String], none: &str) -> String {
    if items.is_empty() {
        none.to_owned()
    } else {
        items.join(", ")
    }
}

/// Seconds in the unit that reads best: µs under a millisecond, ms under a second.
fn duration(seconds: f64) -> String {
    if seconds < 1e-3 {
        format!("{:.0} µs", seconds * 1e6)
    } else if seconds < 1.0 {
        format!("{:.2} ms", seconds * 1e3)
    } else {
        format!("{seconds:.2} s")
    }
}
