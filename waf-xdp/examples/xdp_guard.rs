//! An axum server behind `WafLayer`, with the engine's bans enforced in the kernel by
//! XDP: once a client has been banned (active defense: a few denied attacks in a
//! minute), its next packets are dropped on the interface and never reach user space.
//!
//! ```text
//! sudo cargo run -p waf-xdp --example xdp_guard -- --interface eth0
//! sudo cargo run -p waf-xdp --example xdp_guard -- --interface eth0 --addr 0.0.0.0:8080 --mode generic
//! ```
//!
//! Then, from another machine (XDP filters what arrives on the interface, so not from
//! this host over loopback):
//!
//! ```text
//! curl -i 'http://SERVER:3000/?q=%3Cscript%3Ealert(1)%3C/script%3E'   # 403, three times
//! curl -m 3 -i 'http://SERVER:3000/'                                  # times out: dropped
//! ```
//!
//! Every 5 seconds the server prints the kernel blocklist with each entry's drop
//! counters; `GET /metrics` exports them with the firewall's other metrics
//! (`waf_xdp_dropped_packets_total`, `waf_xdp_dropped_bytes_total`). Ctrl-C detaches the program; the blocklist stays pinned under
//! /sys/fs/bpf/waf-xdp and is taken back at the next start.

use axum::Router;
use axum::routing::get;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;
use waf_core::defense::ActiveDefense;
use waf_core::{Config, Waf};
use waf_tower::WafLayer;
use waf_tower::metrics::{Metrics, XdpDrops};
use waf_xdp::{AttachMode, SyncOptions, XdpConfig, XdpGuard};

const USAGE: &str = "\
usage: xdp_guard --interface IFACE [--addr HOST:PORT] [--mode auto|driver|generic] [--pin-dir DIR]

  --interface IFACE  where to attach the XDP program
  --addr HOST:PORT   where to listen (default 0.0.0.0:3000)
  --mode MODE        XDP mode: driver, generic, or auto (driver, else generic; default)
  --pin-dir DIR      bpffs directory of the pinned blocklist (default /sys/fs/bpf/waf-xdp)";

struct Options {
    addr: String,
    xdp: XdpConfig,
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Options, String> {
    let (mut interface, mut addr, mut mode, mut pin_dir) = (None, None, AttachMode::Auto, None);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--interface" => interface = Some(value()?),
            "--addr" => addr = Some(value()?),
            "--pin-dir" => pin_dir = Some(value()?),
            "--mode" => {
                mode = match value()?.as_str() {
                    "auto" => AttachMode::Auto,
                    "driver" => AttachMode::Driver,
                    "generic" => AttachMode::Generic,
                    other => return Err(format!("unknown mode `{other}`")),
                }
            }
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    let mut xdp = XdpConfig::new(interface.ok_or("--interface is required")?);
    xdp.mode = mode;
    if let Some(pin_dir) = pin_dir {
        xdp.pin_dir = pin_dir.into();
    }
    Ok(Options {
        addr: addr.unwrap_or_else(|| "0.0.0.0:3000".to_owned()),
        xdp,
    })
}

fn main() -> ExitCode {
    let served = parse_args(std::env::args().skip(1))
        .map_err(|error| format!("{error}\n\n{USAGE}").into())
        .and_then(serve);
    if let Err(error) = served {
        eprintln!("error: {error}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

#[tokio::main]
async fn serve(options: Options) -> Result<(), Box<dyn std::error::Error>> {
    // Active defense turns denials into bans; three denied requests within a minute
    // earn ten minutes, enforced from then on by the kernel.
    let config = Config {
        active_defense: ActiveDefense {
            enabled: true,
            max_denials: 3,
            ban: 600,
            ..ActiveDefense::default()
        },
        ..Config::default()
    };
    let waf = Waf::builder().config(config).build()?;

    let guard = XdpGuard::attach(&options.xdp)?;
    let sync = waf_xdp::sync(&waf, guard.blocklist(), SyncOptions::default())?;
    println!(
        "XDP attached to {} in {:?} mode; blocklist pinned in {}",
        guard.interface(),
        guard.mode(),
        options.xdp.pin_dir.display()
    );

    let metrics = Metrics::new();
    metrics.watch(&waf);
    // Read when scraped: the drops of the entries in the map now (an entry removed on
    // unban takes its counts along, which Prometheus reads as a counter reset).
    let blocklist = guard.blocklist();
    metrics.xdp_drops_from(move || {
        let entries = blocklist.entries().unwrap_or_default();
        XdpDrops {
            packets: entries.iter().map(|entry| entry.packets).sum(),
            bytes: entries.iter().map(|entry| entry.bytes).sum(),
        }
    });

    let blocklist = guard.blocklist();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(5));
        loop {
            every.tick().await;
            match blocklist.entries() {
                Ok(entries) => {
                    for entry in entries {
                        println!(
                            "  {}: {} packets ({} bytes) dropped in the kernel",
                            entry.target, entry.packets, entry.bytes
                        );
                    }
                }
                Err(error) => eprintln!("reading the blocklist: {error}"),
            }
        }
    });

    let app = Router::new()
        .route("/", get(|| async { "hello\n" }))
        .layer(WafLayer::new(waf).observe(Arc::new(metrics.clone())))
        .merge(metrics.router());
    let listener = tokio::net::TcpListener::bind(&options.addr).await?;
    println!(
        "Listening on http://{}  (Ctrl-C to stop)",
        listener.local_addr()?
    );
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await?;

    sync.stop();
    guard.detach()?;
    println!("XDP detached; the blocklist stays pinned");
    Ok(())
}
