//! `waf rules test`: runs go-ftw regression tests (the OWASP CRS suite's format) against
//! a rule set, in process. The harness itself is `waf::ftw`.

use super::{Failure, eprint_line};
use clap::{Args, value_parser};
use std::io::Write;
use std::path::PathBuf;
use waf::crs;
use waf::ftw::run::{self, Filter, Options, Overrides};
use waf::ftw::test_file;
use waf_core::rule::RuleSet;
use waf_core::{Config, Mode, Waf};
use waf_rules::load;

/// Run go-ftw regression tests (the OWASP CRS test format) against a rule set.
///
/// Reads every *.yaml and *.yml file under DIR, builds each stage's request exactly as
/// go-ftw would send it, inspects it with the engine and checks the stage's expectations
/// (`expect_ids`, `no_expect_ids`, and `status` when nothing is expected of the log).
/// Prints one line per failure, `RULE TEST: expected [..] not matched / unexpected [..];
/// matched [..]`, one line per overridden test with its reason, and last
/// `N passed, M failed` (`, K skipped` when tests were overridden).
///
/// The engine does not inspect responses yet: tests of response rules (RESPONSE-95x,
/// the `/reflect` backend) run their request side and fail when they expect a
/// response-phase match, saying so.
#[derive(Debug, Args)]
#[command(
    after_help = "Exit status: 0 when every test passed (overridden ones aside); 1 when \
                  some failed; 2 for bad arguments, test or override files that cannot be \
                  read, and rules that cannot be loaded or that the engine cannot compile."
)]
pub struct TestArgs {
    /// Directory of go-ftw test files, searched recursively (or a single test file).
    #[arg(value_name = "DIR")]
    dir: PathBuf,

    /// The rules: `builtin`, `crs` (the CRS of --crs-dir, configured as upstream runs
    /// its tests: detection only, every rule up to --paranoia), or a SecLang rule FILE
    /// (write `./crs` for a file called crs).
    #[arg(long, value_name = "builtin|crs|FILE", default_value = "crs", value_parser = parse_rules)]
    rules: Rules,

    /// OWASP CRS directory, read by --rules crs [default: $WAF_CRS_DIR, else ../shared/crs].
    #[arg(long, value_name = "DIR")]
    crs_dir: Option<PathBuf>,

    /// CRS blocking paranoia level, used by --rules crs [default: 4, as upstream tests].
    #[arg(long, value_name = "1-4", value_parser = value_parser!(u8).range(1..=4))]
    paranoia: Option<u8>,

    /// Known failures: YAML list of {rule_id and/or test_id (RULE-TEST), reason}.
    #[arg(long, value_name = "FILE")]
    overrides: Option<PathBuf>,

    /// Only tests whose id (RULE-TEST, e.g. 920100-2) this regex (or, if not a valid
    /// regex, this text) is found in.
    #[arg(long, value_name = "REGEX")]
    filter: Option<String>,

    /// Also print every test with its stages: request line, status, matches, notes.
    #[arg(long, short)]
    verbose: bool,
}

/// The values of `--rules`.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Rules {
    Builtin,
    Crs,
    File(PathBuf),
}

fn parse_rules(text: &str) -> Result<Rules, String> {
    match text {
        "" => Err("give builtin, crs or a rule file".into()),
        "builtin" => Ok(Rules::Builtin),
        "crs" => Ok(Rules::Crs),
        path => Ok(Rules::File(PathBuf::from(path))),
    }
}

/// Runs `waf rules test`.
pub fn run(args: TestArgs) -> Result<(), Failure> {
    let waf = build_engine(&args)?;
    let files = test_file::load_dir(&args.dir)
        .map_err(|e| Failure::usage(format!("cannot load tests: {e}")))?;
    if files.is_empty() {
        return Err(Failure::usage(format!(
            "no *.yaml or *.yml test file under {}",
            args.dir.display()
        )));
    }
    let overrides = match &args.overrides {
        Some(path) => Overrides::load(path)
            .map_err(|e| Failure::usage(format!("cannot load overrides: {e}")))?,
        None => Overrides::default(),
    };
    let options = Options {
        filter: args.filter.as_deref().map(Filter::new),
        overrides,
    };
    let report = run::run(&waf, &files, &options);
    if report.tests.is_empty() {
        eprint_line("note: no test selected");
    }
    std::io::stdout()
        .lock()
        .write_all(report.render(args.verbose).as_bytes())
        .map_err(|e| Failure::runtime(format!("cannot write the report: {e}")))?;
    match report.failed() {
        0 => Ok(()),
        failed => Err(Failure::runtime(format!(
            "{failed} of {} tests failed",
            report.tests.len()
        ))),
    }
}

/// The engine for `--rules`.
fn build_engine(args: &TestArgs) -> Result<Waf, Failure> {
    if args.rules != Rules::Crs && (args.crs_dir.is_some() || args.paranoia.is_some()) {
        eprint_line("note: --crs-dir and --paranoia only apply to --rules crs; ignored");
    }
    let (rules, config) = match &args.rules {
        Rules::Builtin => (RuleSet::builtin(), Config::default()),
        Rules::File(path) => {
            let source = load::load_file(path)
                .map_err(|e| Failure::usage(format!("cannot load rules: {e}")))?;
            let rules = RuleSet::from_source(&path.display().to_string(), &source)
                .map_err(|e| Failure::usage(format!("cannot compile rules: {e}")))?;
            (rules, Config::default())
        }
        Rules::Crs => {
            let dir = crs::dir(args.crs_dir.as_deref());
            let loaded = crs::load(
                &dir,
                &crs::Setup::regression_tests(args.paranoia.unwrap_or(4)),
            )
            .map_err(Failure::usage)?;
            eprint_line(&loaded.report());
            let rules = loaded.rules;
            // Upstream runs its regression suite in detection-only mode.
            let config = Config {
                mode: Mode::Detect,
                ..Config::default()
            };
            (rules, config)
        }
    };
    Waf::builder()
        .rules(rules)
        .config(config)
        .build()
        .map_err(|e| Failure::usage(format!("invalid engine configuration: {e}")))
}
