//! The analyzer of the out-of-band pipeline: reads the request summaries that nodes in
//! mirror mode write to Redis, inspects each with the full engine, and bans the clients
//! it finds attacking; every node then refuses them (`waf_tower::shared`).
//!
//! ```text
//! cargo run --release --example analyzer -- --redis redis://127.0.0.1:6379/
//! cargo run --release --example analyzer -- --crs ../shared/crs --paranoia 2
//! ```
//!
//! Run several with the same `--group` to share the stream; each needs its own
//! `--consumer` name.

use std::io::IsTerminal;
use std::process::ExitCode;
use std::time::Duration;
use waf::Waf;
use waf::crs::{self, Setup};
use waf::tower::shared::{Analyzer, AnalyzerSettings, Shared, SharedSettings};

const USAGE: &str = "\
usage: cargo run --example analyzer -- [options]

  --redis URL          Redis (default redis://127.0.0.1:6379/)
  --prefix NAME        key prefix shared with the nodes (default waf)
  --crs DIR            inspect with the OWASP CRS in DIR (default: the built-in rules)
  --paranoia N         CRS paranoia level, 1-4 (default 1)
  --group NAME         consumer group (default analyzers)
  --consumer NAME      this analyzer's name in the group (default analyzer-<pid>)
  --ban-ttl SECONDS    how long a ban lasts (default 600)
  -h, --help           show this help";

struct Options {
    shared: SharedSettings,
    analyzer: AnalyzerSettings,
    crs: Option<String>,
    paranoia: u8,
}

fn options() -> Result<Options, String> {
    let mut options = Options {
        shared: SharedSettings {
            node: Some(format!("analyzer-{}", std::process::id())),
            ..SharedSettings::default()
        },
        analyzer: AnalyzerSettings::default(),
        crs: None,
        paranoia: 1,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "-h" || arg == "--help" {
            return Err(String::new());
        }
        let value = args.next().ok_or_else(|| format!("{arg} needs a value"))?;
        match arg.as_str() {
            "--redis" => options.shared.url = value,
            "--prefix" => options.shared.prefix = value,
            "--crs" => options.crs = Some(value),
            "--paranoia" => {
                options.paranoia = value
                    .parse()
                    .ok()
                    .filter(|n| (1..=4).contains(n))
                    .ok_or("--paranoia takes 1 to 4")?;
            }
            "--group" => options.analyzer.group = value,
            "--consumer" => options.analyzer.consumer = value,
            "--ban-ttl" => {
                let seconds = value.parse().map_err(|_| "--ban-ttl takes seconds")?;
                options.analyzer.ban_ttl = Duration::from_secs(seconds);
            }
            _ => return Err(format!("unknown option {arg}")),
        }
    }
    Ok(options)
}

#[tokio::main]
async fn main() -> ExitCode {
    let options = match options() {
        Ok(options) => options,
        Err(problem) => {
            if !problem.is_empty() {
                eprintln!("{problem}\n");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::INFO)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .init();

    let engine = match &options.crs {
        Some(dir) => match crs::load(dir.as_ref(), &Setup::production(options.paranoia)) {
            Ok(loaded) => {
                eprintln!("{}", loaded.report());
                Waf::builder().rules(loaded.rules).build()
            }
            Err(error) => {
                eprintln!("{error}");
                return ExitCode::FAILURE;
            }
        },
        None => Ok(Waf::default()),
    };
    let engine = match engine {
        Ok(engine) => engine,
        Err(error) => {
            eprintln!("{error}");
            return ExitCode::FAILURE;
        }
    };
    let shared = Shared::start(&engine, options.shared);
    if !shared.wait_connected(Duration::from_secs(10)).await {
        eprintln!("waiting for Redis (the analyzer starts reading when it is reachable)");
    }
    eprintln!(
        "analyzing {} as {}",
        shared.mirror_stream(),
        options.analyzer.consumer
    );
    let mut analyzer = Analyzer::new(&shared, options.analyzer);
    let mut backoff = Duration::from_millis(100);
    loop {
        match analyzer.next().await {
            Ok(analyzed) => {
                backoff = Duration::from_millis(100);
                for (client, lag) in &analyzed.banned {
                    println!(
                        "banned {client} ({} ms after it was mirrored)",
                        lag.as_millis()
                    );
                }
            }
            Err(error) => {
                eprintln!("Redis: {error}; retrying in {} ms", backoff.as_millis());
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(5));
            }
        }
    }
}
