//! `waf detect`: what the detectors say about values, one per input line.
//!
//! For trying a payload by hand (`echo "1' or 1=1--" | waf detect`), and for
//! differential tests against other engines: `--json` reads each line as a JSON string,
//! so values may hold any character, and answers one JSON object per line.

use super::{Failure, eprint_line};
use clap::Args;
use std::io::{BufRead, Write};
use std::path::PathBuf;
use waf_rules::detect::Kind;

/// Run the built-in detectors on values, one per line, from a file or standard input.
#[derive(Debug, Args)]
pub struct DetectArgs {
    /// Which detectors: operator names such as `detectSQLi,detectXSS` (the `detect`
    /// prefix may be left out: `sqli,xss`), or `all`.
    #[arg(long, default_value = "all")]
    kind: String,
    /// Read values from this file instead of standard input.
    #[arg(long, value_name = "FILE")]
    input: Option<PathBuf>,
    /// Each input line is a JSON string (so values may hold line breaks); output is one
    /// JSON object per line.
    #[arg(long)]
    json: bool,
}

/// Runs `waf detect`.
pub fn run(args: DetectArgs) -> Result<(), Failure> {
    let kinds = kinds(&args.kind)?;
    let input: Box<dyn BufRead> = match &args.input {
        Some(path) => Box::new(std::io::BufReader::new(
            std::fs::File::open(path)
                .map_err(|e| Failure::usage(format!("cannot read {}: {e}", path.display())))?,
        )),
        None => Box::new(std::io::stdin().lock()),
    };
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for (number, line) in input.split(b'\n').enumerate() {
        let line = line.map_err(|e| Failure::runtime(format!("reading input: {e}")))?;
        let value = if args.json {
            match serde_json::from_slice::<String>(line.trim_ascii()) {
                Ok(value) => value.into_bytes(),
                Err(e) => {
                    eprint_line(&format!("line {}: not a JSON string: {e}", number + 1));
                    continue;
                }
            }
        } else {
            line.strip_suffix(b"\r").unwrap_or(&line).to_vec()
        };
        let found: Vec<_> = kinds
            .iter()
            .filter_map(|kind| kind.detect(&value).map(|d| (kind, d)))
            .collect();
        let written = if args.json {
            let detections: Vec<_> = found
                .iter()
                .map(|(kind, d)| {
                    serde_json::json!({
                        "detector": kind.operator(),
                        "confidence": d.confidence,
                        "fingerprint": d.fingerprint,
                        "fragment": String::from_utf8_lossy(&d.fragment),
                    })
                })
                .collect();
            writeln!(out, "{}", serde_json::json!({ "detections": detections }))
        } else if found.is_empty() {
            writeln!(out, "-\t{}", String::from_utf8_lossy(&value))
        } else {
            let names: Vec<_> = found
                .iter()
                .map(|(kind, d)| {
                    format!("{} {:.2} {}", kind.operator(), d.confidence, d.fingerprint)
                })
                .collect();
            writeln!(
                out,
                "{}\t{}",
                names.join("; "),
                String::from_utf8_lossy(&value)
            )
        };
        written.map_err(|e| Failure::runtime(format!("cannot write output: {e}")))?;
    }
    out.flush()
        .map_err(|e| Failure::runtime(format!("cannot write output: {e}")))
}

fn kinds(list: &str) -> Result<Vec<Kind>, Failure> {
    if list == "all" {
        return Ok(Kind::ALL.to_vec());
    }
    list.split(',')
        .map(|name| {
            let name = name.trim();
            Kind::from_operator(name)
                .or_else(|| Kind::from_operator(&format!("detect{name}")))
                .ok_or_else(|| {
                    let known: Vec<_> = Kind::ALL.iter().map(|k| k.operator()).collect();
                    Failure::usage(format!(
                        "unknown detector {name:?}; known: {}",
                        known.join(", ")
                    ))
                })
        })
        .collect()
}
