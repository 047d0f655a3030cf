//! The live dashboard beside an app behind `WafLayer`, on loopback.
//!
//! ```text
//! cargo run --example dashboard                       # on 127.0.0.1:3000
//! cargo run --example dashboard -- --addr 127.0.0.1:8080
//! WAF_DASHBOARD_TOKEN=my-own-token-0123456789 cargo run --example dashboard
//! ```
//!
//! It prints the dashboard's address with its token (random unless
//! `WAF_DASHBOARD_TOKEN` is set) and a few requests to try; the page shows them as
//! they come, and bans and detection-only mode can be switched from it.

use axum::Router;
use axum::routing::get;
use std::io::Read;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use waf::tower::dashboard::{Dashboard, DashboardSettings};
use waf::{Waf, WafLayer};

const USAGE: &str = "\
usage: cargo run --example dashboard -- [--addr HOST:PORT]

  --addr HOST:PORT  where to listen (default 127.0.0.1:3000)
  -h, --help        show this help

The token is WAF_DASHBOARD_TOKEN, or a random one.";

fn main() -> ExitCode {
    let mut addr = "127.0.0.1:3000".to_owned();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match (arg.as_str(), args.next()) {
            ("--addr", Some(value)) => addr = value,
            ("-h" | "--help", _) => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            _ => {
                eprintln!("error: unexpected argument `{arg}`\n\n{USAGE}");
                return ExitCode::from(2);
            }
        }
    }
    match serve(&addr) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

/// 32 random hexadecimal digits from the system's generator.
fn random_token() -> std::io::Result<String> {
    let mut bytes = [0u8; 16];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut bytes)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

#[tokio::main]
async fn serve(addr: &str) -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::INFO)
        .init();

    let token = match std::env::var("WAF_DASHBOARD_TOKEN") {
        Ok(token) if !token.is_empty() => token,
        _ => {
            random_token().map_err(|e| format!("no random token ({e}): set WAF_DASHBOARD_TOKEN"))?
        }
    };
    let waf = Waf::default();
    let dashboard = Dashboard::new(waf.clone(), DashboardSettings::new(token.clone()))?;
    // The dashboard is nested after the layer: its own requests are not inspected.
    let app = Router::new()
        .route("/", get(|| async { "home" }))
        .route("/search", get(|| async { "results" }))
        .layer(WafLayer::new(waf).observe(Arc::new(dashboard.clone())))
        .nest("/waf-admin", dashboard.router());

    let listener = tokio::net::TcpListener::bind(addr).await?;
    let url = format!("http://{}", listener.local_addr()?);
    println!(
        "Dashboard: {url}/waf-admin?token={token}
API:       curl -H 'Authorization: Bearer {token}' {url}/waf-admin/api/state

Traffic to watch (Ctrl-C to stop):
  curl -i '{url}/search?q=shoes'
  curl -i '{url}/search?q=1%27%20OR%20%271%27%3D%271'          # SQL injection: blocked
  curl -i '{url}/search?q=%3Cscript%3Ealert(1)%3C/script%3E'   # XSS: blocked
"
    );
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .await?;
    Ok(())
}
