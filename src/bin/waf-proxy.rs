//! `waf-proxy`: the WAF as a reverse proxy (sidecar) in front of one upstream.
//!
//! ```text
//! waf-proxy --config waf-proxy.toml          # serve; SIGHUP or a file change reloads
//! waf-proxy --config waf-proxy.toml --check  # read everything, report, exit
//! ```
//!
//! The configuration reference is in `docs/proxy.md`.

use clap::Parser;
use std::path::PathBuf;
use std::process::ExitCode;
use tokio::signal::unix::{SignalKind, signal};
use waf::proxy::Proxy;

/// The WAF as a reverse proxy in front of one upstream.
#[derive(Parser)]
#[command(name = "waf-proxy", version)]
struct Args {
    /// The TOML configuration file.
    #[arg(short, long, value_name = "FILE")]
    config: PathBuf,
    /// Read the configuration, the rules and the certificate, then exit: 0 if they load.
    #[arg(long)]
    check: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), String> {
    if args.check {
        // Listeners are not bound: only what is read from files is checked.
        waf::proxy::check(&args.config).await?;
        println!("{}: ok", args.config.display());
        return Ok(());
    }
    let proxy = Proxy::start(&args.config).await?;
    proxy
        .reload_on_sighup()
        .map_err(|e| format!("SIGHUP: {e}"))?;
    let mut terminate = signal(SignalKind::terminate()).map_err(|e| format!("SIGTERM: {e}"))?;
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate.recv() => {}
    }
    tracing::info!(target: "waf::proxy", "shutting down: draining connections");
    proxy.shutdown().await;
    Ok(())
}
