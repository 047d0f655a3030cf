//! A gRPC service behind `WafLayer`: the Greeter of `greeter.proto` on tonic's server.
//!
//! ```text
//! cargo run --example grpc                                  # serve on 127.0.0.1:50051
//! cargo run --example grpc -- --call "Ada"                  # call it: Hello, Ada!
//! cargo run --example grpc -- --call "1' OR '1'='1"         # PermissionDenied
//! cargo run --example grpc -- --call Ada --meta "x-customer=1' OR '1'='1"
//! ```
//!
//! Blocked calls get a gRPC status, not a page: `PERMISSION_DENIED` for a deny and
//! `RESOURCE_EXHAUSTED` for a rate limit (`--rate N` limits `SayHello` to N calls a
//! second per client).

mod greeter;

use greeter::{GreeterClient, HelloRequest, SAY_HELLO};
use std::net::SocketAddr;
use std::process::ExitCode;
use tonic::metadata::{MetadataKey, MetadataValue};
use tonic::transport::Channel;
use tonic::transport::server::TcpIncoming;
use waf::Config;

const USAGE: &str = "\
usage: cargo run --example grpc -- [--addr HOST:PORT] [--rate N] [--call NAME [--meta KEY=VALUE]...]

  --addr HOST:PORT  where to listen, or the server to call (default 127.0.0.1:50051)
  --rate N          serve with a rate limit of N SayHello calls a second per client
  --call NAME       call SayHello with NAME instead of serving
  --meta KEY=VALUE  send this metadata with the call (repeatable)";

/// What the command line asks for.
#[derive(Default)]
struct Options {
    addr: Option<SocketAddr>,
    rate: Option<u32>,
    call: Option<String>,
    meta: Vec<(String, String)>,
}

fn parse(mut args: impl Iterator<Item = String>) -> Result<Options, String> {
    let mut options = Options::default();
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--addr" => options.addr = Some(value()?.parse().map_err(|e| format!("--addr: {e}"))?),
            "--rate" => options.rate = Some(value()?.parse().map_err(|e| format!("--rate: {e}"))?),
            "--call" => options.call = Some(value()?),
            "--meta" => {
                let pair = value()?;
                let (key, value) = pair.split_once('=').ok_or("--meta takes KEY=VALUE")?;
                options.meta.push((key.to_owned(), value.to_owned()));
            }
            _ => return Err(format!("unknown argument {arg}")),
        }
    }
    Ok(options)
}

/// The configuration: defaults, plus a per-client limit on `SayHello` if asked.
fn config(rate: Option<u32>) -> Result<Config, waf::core::Error> {
    let Some(rate) = rate else {
        return Ok(Config::default());
    };
    Config::from_toml(&format!(
        "[[rate_limits]]\nname = \"say-hello\"\nkey = \"ip\"\nrate = {rate}\nburst = {rate}\n\
         cooldown = 10\npath = \"{SAY_HELLO}\"\n"
    ))
}

async fn call(addr: SocketAddr, name: String, meta: Vec<(String, String)>) -> Result<(), String> {
    let channel = Channel::from_shared(format!("http://{addr}"))
        .map_err(|e| e.to_string())?
        .connect()
        .await
        .map_err(|e| format!("cannot connect to {addr}: {e}"))?;
    let mut request = tonic::Request::new(HelloRequest { name });
    for (key, value) in meta {
        let key = MetadataKey::from_bytes(key.as_bytes()).map_err(|e| format!("{key}: {e}"))?;
        let value = MetadataValue::try_from(value.as_str()).map_err(|e| format!("{value}: {e}"))?;
        request.metadata_mut().insert(key, value);
    }
    match GreeterClient::new(channel).say_hello(request).await {
        Ok(reply) => {
            println!("{}", reply.into_inner().message);
            Ok(())
        }
        Err(status) => Err(format!("{:?}: {}", status.code(), status.message())),
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let options = match parse(std::env::args().skip(1)) {
        Ok(options) => options,
        Err(error) => {
            eprintln!("{error}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let addr = options
        .addr
        .unwrap_or(SocketAddr::from(([127, 0, 0, 1], 50051)));
    let result = match options.call {
        Some(name) => call(addr, name, options.meta).await,
        None => serve(addr, options.rate).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("{error}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(addr: SocketAddr, rate: Option<u32>) -> Result<(), String> {
    tracing_subscriber::fmt().with_target(false).init();
    let waf = greeter::waf(config(rate).map_err(|e| e.to_string())?).map_err(|e| e.to_string())?;
    let incoming = TcpIncoming::bind(addr).map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    eprintln!("Greeter behind the WAF on {addr}");
    greeter::serve(incoming, waf)
        .await
        .map_err(|e| e.to_string())
}
