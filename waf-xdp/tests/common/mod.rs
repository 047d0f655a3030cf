//! Test network: two network namespaces joined by a veth pair, made with iproute2 and
//! removed when dropped, and UDP probes across it.
//!
//! Addresses come from 198.18.0.0/15 and 2001:db8::/32 (benchmarking and
//! documentation ranges): the traffic never leaves the namespaces made here.

#![allow(dead_code)] // Each test binary uses its own part of this module.

use nix::sched::{CloneFlags, setns};
use std::fs::File;
use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// The server's (XDP side's) addresses.
pub const SERVER_V4: &str = "198.18.0.1";
pub const SERVER_V6: &str = "2001:db8::1";
/// The client's first addresses; tests add more with [`Net::add_client_address`].
pub const CLIENT_V4: &str = "198.18.0.2";
pub const CLIENT_V6: &str = "2001:db8::2";
pub const SERVER_MAC: &str = "02:00:00:00:00:01";
pub const CLIENT_MAC: &str = "02:00:00:00:00:02";

/// Why these tests cannot run here, if they cannot: not root, or no iproute2.
pub fn missing_privilege() -> Option<String> {
    if !nix::unistd::geteuid().is_root() {
        return Some("needs root (CAP_NET_ADMIN and CAP_BPF) for namespaces and XDP".into());
    }
    if Command::new("ip").arg("-V").output().is_err() {
        return Some("needs iproute2 (`ip`) to make namespaces".into());
    }
    None
}

/// Reports a test that cannot run as skipped, with the reason; under `CI=true` a skip
/// is a failure, so that CI cannot pass by running nothing.
pub fn skip(reason: &str) {
    if std::env::var("CI").is_ok_and(|ci| ci == "true") {
        panic!("CI=true and the test cannot run: {reason}");
    }
    eprintln!("SKIPPED: {reason}");
}

/// Runs `ip` with `args`, panicking with its stderr on failure.
pub fn ip(args: &[&str]) {
    let output = Command::new("ip").args(args).output().expect("run ip");
    assert!(
        output.status.success(),
        "ip {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Runs `f` on a thread inside namespace `ns`: sockets made there and XDP programs
/// attached there belong to that namespace for good, whichever thread uses them next.
pub fn in_netns<T: Send>(ns: &str, f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                let file = File::open(format!("/run/netns/{ns}")).expect("open netns");
                setns(file, CloneFlags::CLONE_NEWNET).expect("setns");
                f()
            })
            .join()
            .expect("netns thread")
    })
}

/// A unique short name for this process and call: interface names have 15 bytes.
fn unique(prefix: &str) -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    format!(
        "{prefix}{}x{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// The two namespaces and the veth pair between them; both namespaces (and so the
/// pair and any XDP program on it) are deleted when this is dropped, also when the
/// test panics.
pub struct Net {
    /// The server's namespace; its end of the pair has the same name.
    pub server: String,
    /// The client's namespace; its end of the pair has the same name.
    pub client: String,
}

impl Net {
    pub fn new() -> Self {
        let base = unique("wx");
        let net = Net {
            server: format!("{base}s"),
            client: format!("{base}c"),
        };
        // Made one by one after the guard exists, so a failure half-way still cleans.
        ip(&["netns", "add", &net.server]);
        ip(&["netns", "add", &net.client]);
        ip(&[
            "link",
            "add",
            &net.server,
            "address",
            SERVER_MAC,
            "netns",
            &net.server,
            "type",
            "veth",
            "peer",
            "name",
            &net.client,
            "address",
            CLIENT_MAC,
            "netns",
            &net.client,
        ]);
        for (ns, v4, v6) in [
            (&net.server, SERVER_V4, SERVER_V6),
            (&net.client, CLIENT_V4, CLIENT_V6),
        ] {
            ip(&["-n", ns, "link", "set", "lo", "up"]);
            ip(&["-n", ns, "addr", "add", &format!("{v4}/16"), "dev", ns]);
            ip(&[
                "-n",
                ns,
                "addr",
                "add",
                &format!("{v6}/64"),
                "dev",
                ns,
                "nodad",
            ]);
            ip(&["-n", ns, "link", "set", ns, "up"]);
        }
        // Static neighbours for IPv6: neighbour discovery from a banned source would
        // itself be dropped, and the test is about the datagrams, not about NDP.
        ip(&[
            "-n",
            &net.client,
            "neigh",
            "add",
            SERVER_V6,
            "lladdr",
            SERVER_MAC,
            "dev",
            &net.client,
            "nud",
            "permanent",
        ]);
        net.add_client_address(CLIENT_V6.parse().unwrap());
        net
    }

    /// Gives the client one more source address (a /16 or /64 on its link).
    pub fn add_client_address(&self, addr: IpAddr) {
        match addr {
            IpAddr::V4(_) if addr.to_string() == CLIENT_V4 => {}
            IpAddr::V4(_) => ip(&[
                "-n",
                &self.client,
                "addr",
                "add",
                &format!("{addr}/16"),
                "dev",
                &self.client,
            ]),
            IpAddr::V6(_) => {
                if addr.to_string() != CLIENT_V6 {
                    ip(&[
                        "-n",
                        &self.client,
                        "addr",
                        "add",
                        &format!("{addr}/64"),
                        "dev",
                        &self.client,
                        "nodad",
                    ]);
                }
                ip(&[
                    "-n",
                    &self.server,
                    "neigh",
                    "replace",
                    &addr.to_string(),
                    "lladdr",
                    CLIENT_MAC,
                    "dev",
                    &self.server,
                    "nud",
                    "permanent",
                ]);
            }
        }
    }

    /// A UDP server in the server namespace, listening on both address families.
    pub fn udp_server(&self) -> UdpServer {
        self.udp_server_at(SERVER_V4, SERVER_V6)
    }

    /// A UDP server on addresses the server namespace has.
    pub fn udp_server_at(&self, v4: &str, v6: &str) -> UdpServer {
        in_netns(&self.server, || {
            let v4 = UdpSocket::bind((v4, 0)).expect("bind v4");
            let v6 = UdpSocket::bind((v6, 0)).expect("bind v6");
            for socket in [&v4, &v6] {
                socket.set_nonblocking(true).unwrap();
            }
            UdpServer { v4, v6 }
        })
    }

    /// Sends `count` datagrams from `source` (an address of the client) to `server`.
    pub fn send_from(&self, source: IpAddr, server: &UdpServer, count: usize, tag: u64) {
        let socket = in_netns(&self.client, || {
            UdpSocket::bind(SocketAddr::new(source, 0)).expect("bind client source")
        });
        let to = server.addr_for(source);
        let payload = tag.to_be_bytes();
        for _ in 0..count {
            socket.send_to(&payload, to).expect("send");
        }
    }

    /// Sends `count` datagrams from `source` and returns how many reached the server
    /// socket: all of them if nothing drops them; waits a moment for any late ones
    /// otherwise.
    pub fn probe(&self, source: IpAddr, server: &UdpServer, count: usize) -> usize {
        static TAG: AtomicU32 = AtomicU32::new(1);
        let tag =
            u64::from(TAG.fetch_add(1, Ordering::Relaxed)) << 32 | u64::from(std::process::id());
        self.send_from(source, server, count, tag);
        server.count(source, tag, count, Duration::from_millis(400))
    }
}

impl Drop for Net {
    fn drop(&mut self) {
        for ns in [&self.server, &self.client] {
            let _ = Command::new("ip").args(["netns", "del", ns]).status();
        }
    }
}

/// The server end of [`Net::probe`].
pub struct UdpServer {
    v4: UdpSocket,
    v6: UdpSocket,
}

impl UdpServer {
    fn socket(&self, source: IpAddr) -> &UdpSocket {
        if source.is_ipv4() { &self.v4 } else { &self.v6 }
    }

    /// Where a client at `source` sends to.
    pub fn addr_for(&self, source: IpAddr) -> SocketAddr {
        self.socket(source).local_addr().unwrap()
    }

    /// Datagrams from `source` with `tag`, read until `expected` came or `wait`
    /// passed.
    pub fn count(&self, source: IpAddr, tag: u64, expected: usize, wait: Duration) -> usize {
        let socket = self.socket(source);
        let deadline = Instant::now() + wait;
        let mut seen = 0;
        let mut buf = [0u8; 64];
        while seen < expected && Instant::now() < deadline {
            match socket.recv_from(&mut buf) {
                Ok((8, from)) if from.ip() == source && buf[..8] == tag.to_be_bytes() => seen += 1,
                Ok(_) => {}
                Err(error) if error.kind() == std::io::ErrorKind::WouldBlock => {
                    std::thread::sleep(Duration::from_millis(5))
                }
                Err(error) => panic!("recv: {error}"),
            }
        }
        seen
    }
}

/// A pin directory of its own for one test, removed when dropped.
pub struct PinDir(pub std::path::PathBuf);

impl PinDir {
    pub fn new() -> Self {
        PinDir(std::path::Path::new(waf_xdp::BPFFS_ROOT).join(unique("waf-xdp-test-")))
    }
}

impl Drop for PinDir {
    fn drop(&mut self) {
        let _ = waf_xdp::remove_pinned(&self.0);
    }
}

/// Polls `condition` every 10 ms for up to 3 s.
pub fn eventually(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(3);
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting: {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}
