//! The demo: a deliberately vulnerable web app (see `app.rs`) served behind `WafLayer`.
//!
//! ```text
//! cargo run --example demo                      # protected, on 127.0.0.1:3000
//! cargo run --example demo -- --no-waf          # the same app, unprotected
//! cargo run --example demo -- --detect          # the WAF logs attacks but lets them through
//! cargo run --example demo -- --addr 0.0.0.0:8080
//! ```
//!
//! Every decision the WAF makes is logged (target `waf`), e.g.
//! `[BLOCK] builtin Rule 100100: SQL Injection: boolean tautology. Score: 0.60`.

mod app;

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::process::ExitCode;
use waf::{Mode, Waf};

const USAGE: &str = "\
usage: cargo run --example demo -- [--addr HOST:PORT] [--no-waf | --detect]

  --addr HOST:PORT  where to listen (default 127.0.0.1:3000)
  --no-waf          serve the app without the WAF, to see the attacks succeed
  --detect          detection only: log attacks but let them through
  -h, --help        show this help";

/// What the command line asks for.
struct Options {
    addr: String,
    /// The WAF's mode, or `None` to run unprotected.
    mode: Option<Mode>,
}

/// `Ok(None)` when help was asked for.
fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Option<Options>, String> {
    let mut options = Options {
        addr: "127.0.0.1:3000".to_owned(),
        mode: Some(Mode::Block),
    };
    let (mut no_waf, mut detect) = (false, false);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--addr" => options.addr = args.next().ok_or("--addr needs a HOST:PORT")?,
            "--no-waf" => no_waf = true,
            "--detect" => detect = true,
            "-h" | "--help" => return Ok(None),
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    options.mode = match (no_waf, detect) {
        (true, true) => return Err("--no-waf and --detect exclude each other".to_owned()),
        (true, false) => None,
        (false, true) => Some(Mode::Detect),
        (false, false) => Some(Mode::Block),
    };
    Ok(Some(options))
}

fn main() -> ExitCode {
    let options = match parse_args(std::env::args().skip(1)) {
        Ok(Some(options)) => options,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(error) => {
            eprintln!("error: {error}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match serve(options) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

#[tokio::main]
async fn serve(options: Options) -> Result<(), Box<dyn std::error::Error>> {
    // The WAF logs its decisions at warn (blocks, detections) through target `waf`.
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::INFO)
        .with_ansi(std::io::stdout().is_terminal())
        .init();

    let waf = options
        .mode
        .map(|mode| Waf::builder().mode(mode).build())
        .transpose()?;
    let protection = match options.mode {
        None => "UNPROTECTED (--no-waf): the attacks below succeed",
        Some(Mode::Detect | Mode::Mirror) => {
            "protected in detection-only mode: attacks are logged, not blocked"
        }
        Some(Mode::Block) => "protected by the WAF: the attacks below are blocked",
    };
    let app = app::router(app::open_db()?, waf);

    let listener = tokio::net::TcpListener::bind(&options.addr).await?;
    let url = format!("http://{}", listener.local_addr()?);
    println!("WAF demo: a deliberately vulnerable app, {protection}.");
    println!("Listening on {url}  (Ctrl-C to stop)\n");
    println!("Accounts for {url}/login:");
    for account in &app::ACCOUNTS {
        println!("  {} / {}", account.name, account.password);
    }
    println!(
        "
Try:
  curl -i '{url}/search?q=running+shoes'
  curl -i '{url}/api/user?id=1'
  curl -i --data-urlencode user=alice --data-urlencode password=wonderland {url}/login

Attacks:
  curl -i '{url}/api/user?id=1%27%20OR%20%271%27%3D%271'            # SQL injection: every user
  curl -i '{url}/search?q=%3Cscript%3Ealert(1)%3C/script%3E'        # reflected XSS
  curl -i --data-urlencode \"user=admin' OR '1'='1' --\" --data-urlencode password=x {url}/login
"
    );

    // With the peer address in the request, the WAF sees (and can ban) real clients.
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .await?;
    Ok(())
}
