//! The `waf` command line: argument parsing, and dispatch to one module per subcommand.
//!
//! Adding a subcommand is one [`Command`] variant holding its clap `Args` struct, one
//! module with a `run` function, and one arm in [`Command::run`].

mod bans;
mod detect;
mod duration;
mod events;
mod jsonl;
mod progress;
mod rules_check;
mod rules_test;
mod scan;
mod score;
mod stats;
mod summary;

use clap::{Args, Parser, Subcommand};
use std::io::Write;
use std::process::ExitCode;

/// Command-line tool of the waf web application firewall engine.
#[derive(Debug, Parser)]
#[command(name = "waf", version)]
struct Cli {
    /// What to do.
    #[command(subcommand)]
    command: Command,
}

/// The subcommands; each one lives in its own module.
#[derive(Debug, Subcommand)]
enum Command {
    // No doc comment on the variants: clap takes each subcommand's help from the doc
    // comment of its `Args` struct, next to the options it describes.
    Scan(scan::ScanArgs),
    Detect(detect::DetectArgs),
    Score(score::ScoreArgs),
    Stats(stats::StatsArgs),
    Rules(RulesArgs),
    Ban(bans::BanArgs),
    Unban(bans::UnbanArgs),
    Bans(bans::BansArgs),
    Events(events::EventsArgs),
}

/// Work with rule sets: check that they load, test them against regression suites.
#[derive(Debug, Args)]
struct RulesArgs {
    /// What to do with the rules.
    #[command(subcommand)]
    command: RulesCommand,
}

/// The `rules` subcommands; each one lives in its own module, `rules_<name>`.
#[derive(Debug, Subcommand)]
enum RulesCommand {
    Check(rules_check::CheckArgs),
    Test(rules_test::TestArgs),
}

impl Command {
    /// Runs the chosen subcommand.
    fn run(self) -> Result<(), Failure> {
        match self {
            Self::Scan(args) => scan::run(args),
            Self::Detect(args) => detect::run(args),
            Self::Score(args) => score::run(args),
            Self::Stats(args) => stats::run(args),
            Self::Rules(RulesArgs {
                command: RulesCommand::Check(args),
            }) => rules_check::run(args),
            Self::Rules(RulesArgs {
                command: RulesCommand::Test(args),
            }) => rules_test::run(args),
            Self::Ban(args) => bans::ban(args),
            Self::Unban(args) => bans::unban(args),
            Self::Bans(args) => bans::list(args),
            Self::Events(args) => events::run(args),
        }
    }
}

/// Parses the command line, runs the subcommand and turns its outcome into the exit
/// status: 0 on success, [`Failure::code`] otherwise (clap itself exits 2 on bad usage).
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command.run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprint_line(&format!("error: {}", failure.message));
            ExitCode::from(failure.code)
        }
    }
}

/// Why a subcommand stopped, and the exit status that says so.
#[derive(Debug)]
pub struct Failure {
    /// The process exit status.
    code: u8,
    /// What went wrong, naming the file or option concerned.
    message: String,
}

impl Failure {
    /// The run could not start: bad arguments, configuration or input file. Exit status
    /// 2, the same as clap's usage errors.
    pub fn usage(message: impl Into<String>) -> Self {
        Self {
            code: 2,
            message: message.into(),
        }
    }

    /// The run started but could not finish, e.g. the output could not be written.
    /// Exit status 1.
    pub fn runtime(message: impl Into<String>) -> Self {
        Self {
            code: 1,
            message: message.into(),
        }
    }
}

/// Writes one line to stderr. Unlike `eprintln!` it never panics: if stderr itself is
/// gone there is nowhere left to report to, so the error is dropped.
pub fn eprint_line(line: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}
