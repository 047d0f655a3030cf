//! `waf scan`: replays recorded requests through the engine, one verdict line each.

use super::jsonl::{VerdictLine, micros};
use super::progress::Progress;
use super::summary::Summary;
use super::{Failure, eprint_line};
use clap::{Args, ValueEnum, value_parser};
use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;
use waf::crs;
use waf_core::ml;
use waf_core::request::{RecordedRequest, RequestView};
use waf_core::rule::RuleSet;
use waf_core::{Config, Mode, Waf};

/// Read and write buffer size: large enough that a scan is not bound by system calls.
const BUFFER_BYTES: usize = 64 * 1024;

/// Replay recorded requests through the engine and write one verdict line per request.
///
/// Reads request lines (JSONL, the format of shared/formats/requests-jsonl.md) and writes,
/// in input order, one verdict line per request:
/// {"id", "action", "status" (absent for allow and log), "score", "rule_ids", "elapsed_us"}.
/// Malformed lines are reported on stderr as `line N: <what is wrong>` and skipped; a
/// summary (counts per action, latency percentiles) ends the run on stderr.
#[derive(Debug, Args)]
#[command(
    after_help = "Exit status: 0 when every line was read (malformed lines are reported, \
                        not fatal); 1 when the verdicts could not be written; 2 for bad \
                        arguments, configuration, or an input that cannot be read."
)]
pub struct ScanArgs {
    /// Requests to inspect: JSONL, one request per line.
    #[arg(long, value_name = "REQUESTS.jsonl")]
    input: PathBuf,

    /// Where to write the verdict lines [default: standard output].
    #[arg(long, value_name = "VERDICTS.jsonl")]
    output: Option<PathBuf>,

    /// Which rules inspect the requests.
    #[arg(long, value_enum, default_value_t = RuleSource::Builtin)]
    rules: RuleSource,

    /// OWASP CRS directory, read by --rules crs [default: $WAF_CRS_DIR, else ../shared/crs].
    #[arg(long, value_name = "DIR")]
    crs_dir: Option<PathBuf>,

    /// CRS blocking paranoia level, used by --rules crs [default: 1].
    #[arg(long, value_name = "1-4", value_parser = value_parser!(u8).range(1..=4))]
    paranoia: Option<u8>,

    /// Enforcement mode; overrides the `mode` of --config [default: block].
    #[arg(long, value_enum)]
    mode: Option<ModeArg>,

    /// Engine configuration file (TOML: mode, deny_status, scoring, limits).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,

    /// Add the ML anomaly signal (`ml_anomaly`, weighted by `scoring.weights`) from the
    /// embedded model, or from --ml-model.
    #[arg(long)]
    ml: bool,

    /// ONNX model for --ml instead of the embedded one.
    #[arg(long, value_name = "FILE.onnx", requires = "ml")]
    ml_model: Option<PathBuf>,

    /// A missing or corrupt --ml-model disables ML with a warning instead of failing.
    #[arg(long, requires = "ml")]
    ml_optional: bool,
}

/// The rule sets `--rules` can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum RuleSource {
    /// The rules built into the engine.
    Builtin,
    /// The OWASP Core Rule Set from --crs-dir, blocking at --paranoia.
    Crs,
}

/// The values of `--mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ModeArg {
    /// Deny, challenge and rate-limit as decided.
    Block,
    /// Detection only: anything that matched is reported as `log`, with no status.
    Detect,
}

impl From<ModeArg> for Mode {
    fn from(mode: ModeArg) -> Self {
        match mode {
            ModeArg::Block => Mode::Block,
            ModeArg::Detect => Mode::Detect,
        }
    }
}

/// Runs `waf scan`.
pub fn run(args: ScanArgs) -> Result<(), Failure> {
    let waf = build_engine(&args)?;
    let input = File::open(&args.input).map_err(|e| input_error(&args.input, &e))?;
    // Only the progress bar uses the size; without it the bar shows counts alone.
    let input_bytes = input.metadata().map_or(0, |m| m.len());
    let mut input = BufReader::with_capacity(BUFFER_BYTES, input);
    let (output, output_name) = open_output(args.output.as_deref())?;
    let mut output = BufWriter::with_capacity(BUFFER_BYTES, output);
    // A bar on stderr only when someone watches it, and not between verdict lines that
    // go to the same terminal.
    let show_bar =
        io::stderr().is_terminal() && (args.output.is_some() || !io::stdout().is_terminal());
    let mut progress = Progress::new(show_bar, input_bytes);
    let write_error =
        |e: io::Error| Failure::runtime(format!("cannot write verdicts to {output_name}: {e}"));

    let limits = waf.limits();
    let mut summary = Summary::default();
    let mut line = Vec::new();
    let mut line_number = 0u64;
    loop {
        line.clear();
        // Bytes, not `String`: a line that is not UTF-8 is one malformed line, not an
        // I/O error that would end the scan.
        let read = input
            .read_until(b'\n', &mut line)
            .map_err(|e| input_error(&args.input, &e))?;
        if read == 0 {
            break;
        }
        line_number += 1;
        // Without the line break, so that JSON error columns count from the line start.
        let text = line.trim_ascii();
        if !text.is_empty() {
            match RecordedRequest::parse(text) {
                Ok(request) => {
                    let raw = request.raw();
                    let start = Instant::now();
                    let view = RequestView::from_raw(raw, &limits);
                    let verdict = waf.inspect(&view);
                    let elapsed = start.elapsed();
                    summary.record(verdict.action, micros(elapsed));
                    VerdictLine::new(&request.id, &verdict, elapsed)
                        .write_to(&mut output)
                        .map_err(write_error)?;
                }
                Err(what) => {
                    summary.record_malformed();
                    progress.println(&format!("line {line_number}: {what}"));
                }
            }
        }
        progress.advance(read, summary.requests(), summary.malformed());
    }
    output.flush().map_err(write_error)?;
    drop(progress);
    eprint_line(summary.report().trim_end());
    Ok(())
}

/// The engine for `--rules`, `--config` and `--mode`.
fn build_engine(args: &ScanArgs) -> Result<Waf, Failure> {
    let rules = match args.rules {
        RuleSource::Builtin => {
            if args.crs_dir.is_some() || args.paranoia.is_some() {
                eprint_line("note: --crs-dir and --paranoia only apply to --rules crs; ignored");
            }
            RuleSet::builtin()
        }
        RuleSource::Crs => {
            let dir = crs::dir(args.crs_dir.as_deref());
            let setup = crs::Setup::production(args.paranoia.unwrap_or(1));
            // The load error already names the directory and what is wrong in it.
            let loaded = crs::load(&dir, &setup).map_err(Failure::usage)?;
            // On stderr, beside the summary: stdout carries only verdict lines.
            eprint_line(&loaded.report());
            loaded.rules
        }
    };
    let mut config = match &args.config {
        Some(path) => read_config(path)?,
        None => Config::default(),
    };
    if let Some(mode) = args.mode {
        config.mode = mode.into();
    }
    // `Config::from_toml` and the defaults are already valid; the builder checks again
    // and its message is passed on rather than trusted to never appear.
    let mut builder = Waf::builder().rules(rules).config(config);
    if args.ml
        && let Some(scorer) = ml_scorer(args)?
    {
        builder = builder.signal_source(Arc::new(scorer));
    }
    builder
        .build()
        .map_err(|e| Failure::usage(format!("invalid engine configuration: {e}")))
}

/// The `ml_anomaly` source of `--ml`: `None` when the model could not be loaded and
/// `--ml-optional` says to go on without it (with a warning).
fn ml_scorer(args: &ScanArgs) -> Result<Option<ml::AnomalyScorer>, Failure> {
    let settings = ml::ModelSettings {
        path: args.ml_model.clone(),
        on_error: if args.ml_optional {
            ml::OnModelError::Disable
        } else {
            ml::OnModelError::Fail
        },
    };
    match ml::load(&settings).map_err(|e| Failure::usage(e.to_string()))? {
        ml::Loaded::Ready(scorer) => Ok(Some(scorer)),
        ml::Loaded::Disabled { reason } => {
            eprint_line(&format!("warning: {reason}; ML disabled"));
            Ok(None)
        }
    }
}

/// Reads and checks a TOML configuration file; errors name the file.
fn read_config(path: &Path) -> Result<Config, Failure> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Failure::usage(format!("cannot read config file {}: {e}", path.display())))?;
    Config::from_toml(&text).map_err(|e| {
        Failure::usage(format!(
            "config file {}: {}",
            path.display(),
            e.message().trim_end()
        ))
    })
}

/// The verdict destination and its name for messages: the `--output` file, or stdout.
fn open_output(path: Option<&Path>) -> Result<(Box<dyn Write>, String), Failure> {
    match path {
        Some(path) => {
            let file = File::create(path).map_err(|e| {
                Failure::usage(format!("cannot create output file {}: {e}", path.display()))
            })?;
            Ok((Box::new(file), path.display().to_string()))
        }
        None => Ok((Box::new(io::stdout().lock()), "standard output".to_owned())),
    }
}

/// The failure for an input file that cannot be opened or read.
fn input_error(path: &Path, error: &io::Error) -> Failure {
    Failure::usage(format!(
        "cannot read input file {}: {error}",
        path.display()
    ))
}
