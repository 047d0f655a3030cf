//! The `waf` command-line tool: see [`cli`] for the subcommands.

#![forbid(unsafe_code)]

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
