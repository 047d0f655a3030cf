//! Frames per second dropped by XDP against the same banned client answered with 403
//! by `WafLayer` in user space, with the CPU time each costs, over a veth pair
//! between two network namespaces made here (no traffic leaves them).
//!
//! ```text
//! sudo cargo bench -p waf-xdp --bench xdp_flood
//! ```
//!
//! - XDP: the client floods 64-byte UDP datagrams from its address, which is banned
//!   in the kernel blocklist; every frame is dropped at the server's end of the pair.
//! - User space: the same client, banned in the engine only, sends HTTP requests on
//!   keep-alive connections to an axum server behind `WafLayer`, which answers each
//!   with 403.
//!
//! Each flood is bounded in count and in time. CPU time is the process's (user and
//! system, every thread: the flooding client, the server and, for XDP, the drop work
//! the kernel does in the sender's context) and the whole machine's from /proc/stat
//! (which includes softirq work done elsewhere, and whatever else runs).
//!
//! Run without `--bench` (as `cargo test --all-targets` does) it only says how to run.

#[path = "../tests/common/mod.rs"]
mod common;

use axum::Router;
use axum::routing::get;
use common::{CLIENT_V4, Net, PinDir, in_netns};
use ipnet::IpNet;
use nix::sys::resource::{UsageWho, getrusage};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream, UdpSocket};
use std::time::{Duration, Instant};
use waf_core::Waf;
use waf_tower::WafLayer;
use waf_xdp::{XdpConfig, XdpGuard};

/// Bounds of each flood.
const MAX_TIME: Duration = Duration::from_secs(3);
const MAX_DATAGRAMS: u64 = 20_000_000;
const MAX_REQUESTS: u64 = 1_000_000;
/// Client connections of the HTTP flood, one thread each.
const CONNECTIONS: usize = 2;

/// CPU seconds: this process's, and the machine's (every CPU, not idle).
#[derive(Clone, Copy)]
struct Cpu {
    process: f64,
    machine: f64,
}

impl Cpu {
    fn now() -> Self {
        let usage = getrusage(UsageWho::RUSAGE_SELF).expect("getrusage");
        let seconds =
            |time: nix::sys::time::TimeVal| time.tv_sec() as f64 + time.tv_usec() as f64 / 1e6;
        Cpu {
            process: seconds(usage.user_time()) + seconds(usage.system_time()),
            machine: machine_busy_seconds(),
        }
    }

    fn since(self, start: Cpu) -> Cpu {
        Cpu {
            process: self.process - start.process,
            machine: self.machine - start.machine,
        }
    }
}

/// Busy time of all CPUs from the first line of /proc/stat (user, nice, system, irq,
/// softirq, steal), at the usual 100 ticks a second.
fn machine_busy_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/stat").expect("/proc/stat");
    let fields: Vec<f64> = stat
        .lines()
        .next()
        .unwrap()
        .split_whitespace()
        .skip(1)
        .map(|field| field.parse().unwrap())
        .collect();
    let busy = fields[0] + fields[1] + fields[2] + fields[5] + fields[6] + fields[7];
    busy / 100.0
}

struct Figures {
    what: &'static str,
    units: u64,
    unit: &'static str,
    elapsed: Duration,
    cpu: Cpu,
}

impl Figures {
    fn print(&self) {
        let rate = self.units as f64 / self.elapsed.as_secs_f64();
        println!(
            "{:<34} {:>10} {} in {:.2} s = {:>10.0}/s; CPU: process {:.2} s ({:.2} µs each), machine {:.2} s ({:.2} µs each)",
            self.what,
            self.units,
            self.unit,
            self.elapsed.as_secs_f64(),
            rate,
            self.cpu.process,
            self.cpu.process * 1e6 / self.units as f64,
            self.cpu.machine,
            self.cpu.machine * 1e6 / self.units as f64,
        );
    }
}

/// The XDP flood: datagrams from the banned client until the bounds.
fn xdp_flood(net: &Net, pins: &PinDir) -> Figures {
    let mut config = XdpConfig::new(&net.server);
    config.pin_dir = pins.0.clone();
    let guard = in_netns(&net.server, || XdpGuard::attach(&config)).expect("attach XDP");
    let client: IpAddr = CLIENT_V4.parse().unwrap();
    let blocklist = guard.blocklist();
    blocklist.insert(IpNet::from(client), None).unwrap();
    let server = net.udp_server();
    let socket = in_netns(&net.client, || UdpSocket::bind((client, 0)).unwrap());
    let to = server.addr_for(client);
    let payload = [0u8; 22]; // 14 + 20 + 8 + 22 = a 64-byte frame

    let (start, cpu) = (Instant::now(), Cpu::now());
    let mut sent = 0;
    while sent < MAX_DATAGRAMS && start.elapsed() < MAX_TIME {
        for _ in 0..1000 {
            socket.send_to(&payload, to).expect("send");
        }
        sent += 1000;
    }
    let (elapsed, cpu) = (start.elapsed(), Cpu::now().since(cpu));
    let dropped = blocklist.get(IpNet::from(client)).unwrap().unwrap().packets;
    assert_eq!(dropped, sent, "every datagram dropped in the kernel");
    blocklist.clear().unwrap();
    Figures {
        what: "XDP drop (UDP flood, banned)",
        units: dropped,
        unit: "frames dropped",
        elapsed,
        cpu,
    }
}

/// The user-space flood: HTTP requests answered with 403 until the bounds.
fn http_flood(net: &Net) -> Figures {
    let waf = Waf::default();
    let client: IpAddr = CLIENT_V4.parse().unwrap();
    waf.ban(IpNet::from(client), None, "bench");
    let listener = in_netns(&net.server, || {
        std::net::TcpListener::bind((common::SERVER_V4, 0)).unwrap()
    });
    let addr = listener.local_addr().unwrap();
    listener.set_nonblocking(true).unwrap();
    // One server thread: the client side gets the other core.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let app = Router::new()
        .route("/", get(|| async { "hello" }))
        .layer(WafLayer::new(waf));
    runtime.spawn(async move {
        let listener = tokio::net::TcpListener::from_std(listener).unwrap();
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap();
    });
    let streams: Vec<TcpStream> = (0..CONNECTIONS)
        .map(|_| in_netns(&net.client, || TcpStream::connect(addr).unwrap()))
        .collect();

    let (start, cpu) = (Instant::now(), Cpu::now());
    let answered: u64 = std::thread::scope(|scope| {
        let workers: Vec<_> = streams
            .into_iter()
            .map(|stream| scope.spawn(move || requests(stream, start)))
            .collect();
        workers
            .into_iter()
            .map(|worker| worker.join().unwrap())
            .sum()
    });
    let (elapsed, cpu) = (start.elapsed(), Cpu::now().since(cpu));
    runtime.shutdown_background();
    Figures {
        what: "user space (HTTP, WafLayer 403)",
        units: answered,
        unit: "requests denied",
        elapsed,
        cpu,
    }
}

/// Requests on one keep-alive connection until the bounds; each answer must be 403.
fn requests(stream: TcpStream, start: Instant) -> u64 {
    stream.set_nodelay(true).unwrap();
    let mut writer = stream.try_clone().unwrap();
    let mut reader = BufReader::new(stream);
    let mut answered = 0;
    let mut line = String::new();
    while answered < MAX_REQUESTS / CONNECTIONS as u64 && start.elapsed() < MAX_TIME {
        writer
            .write_all(b"GET / HTTP/1.1\r\nhost: bench\r\n\r\n")
            .unwrap();
        let mut length = 0;
        line.clear();
        reader.read_line(&mut line).unwrap();
        assert!(line.starts_with("HTTP/1.1 403"), "{line}");
        loop {
            line.clear();
            reader.read_line(&mut line).unwrap();
            if line == "\r\n" {
                break;
            }
            if let Some((name, value)) = line.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().unwrap();
            }
        }
        std::io::copy(&mut (&mut reader).take(length), &mut std::io::sink()).unwrap();
        answered += 1;
    }
    answered
}

fn main() {
    if !std::env::args().any(|arg| arg == "--bench") {
        println!("xdp_flood: run with `cargo bench -p waf-xdp --bench xdp_flood` (as root)");
        return;
    }
    if let Some(reason) = common::missing_privilege() {
        return common::skip(&reason);
    }
    let net = Net::new();
    let pins = PinDir::new();
    let figures = [xdp_flood(&net, &pins), http_flood(&net)];
    for figure in &figures {
        figure.print();
    }
    let [xdp, http] = &figures;
    let rate = |f: &Figures| f.units as f64 / f.elapsed.as_secs_f64();
    println!(
        "XDP drops {:.1}x as many per second, at {:.1}x less process CPU per unit",
        rate(xdp) / rate(http),
        (http.cpu.process / http.units as f64) / (xdp.cpu.process / xdp.units as f64),
    );
}
