//! VLAN-tagged frames (802.1Q, and 802.1ad with an 802.1Q tag inside) reach the XDP
//! program with their tags in the frame: it must look behind them. The frames are
//! written byte by byte and sent through a packet socket (Python's: the safe way to one
//! from a test), so that no VLAN offload moves the tags out of the frame. What passes
//! is seen by a packet socket on the server's end, which sees frames after XDP; the
//! kernel needs no VLAN support for either.

mod common;

use common::{CLIENT_MAC, Net, PinDir, SERVER_MAC, in_netns};
use ipnet::IpNet;
use std::io::{BufRead, BufReader};
use std::net::IpAddr;
use std::process::{Command, Stdio};
use waf_xdp::{XdpConfig, XdpGuard};

const COUNT: usize = 20;
const TPID_8021Q: u16 = 0x8100;
const TPID_8021AD: u16 = 0x88a8;

/// Sends `frame` `count` times out of `interface`.
const SEND: &str = "import socket, sys
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((sys.argv[1], 0))
frame = bytes.fromhex(sys.argv[2])
for _ in range(int(sys.argv[3])):
    s.send(frame)
";

/// Counts the frames arriving on `interface` that end with `suffix` until `expected`
/// came or 0.3 s passed without one; says "ready" once listening.
const RECEIVE: &str = "import socket, sys
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
s.bind((sys.argv[1], 0))
s.settimeout(0.3)
suffix, expected, seen = bytes.fromhex(sys.argv[2]), int(sys.argv[3]), 0
print('ready', flush=True)
try:
    while seen < expected:
        if s.recv(2048).endswith(suffix):
            seen += 1
except socket.timeout:
    pass
print(seen)
";

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

fn python(ns: &str, script: &str, args: &[&str]) -> Command {
    let mut command = Command::new("ip");
    command
        .args(["netns", "exec", ns, "python3", "-c", script])
        .args(args);
    command
}

/// Sends `frame` `count` times from the client's end and returns how many the
/// server's end received.
fn deliver(net: &Net, frame: &[u8], suffix: &[u8], count: usize) -> usize {
    let count = count.to_string();
    let mut receiver = python(&net.server, RECEIVE, &[&net.server, &hex(suffix), &count])
        .stdout(Stdio::piped())
        .spawn()
        .expect("run python3");
    let mut lines = BufReader::new(receiver.stdout.take().unwrap()).lines();
    assert_eq!(lines.next().unwrap().unwrap(), "ready");
    let status = python(&net.client, SEND, &[&net.client, &hex(frame), &count])
        .status()
        .expect("run python3");
    assert!(status.success(), "python3 packet socket");
    let seen = lines.next().unwrap().unwrap().parse().unwrap();
    receiver.wait().unwrap();
    seen
}

fn mac(text: &str) -> [u8; 6] {
    let mut mac = [0; 6];
    for (byte, part) in mac.iter_mut().zip(text.split(':')) {
        *byte = u8::from_str_radix(part, 16).unwrap();
    }
    mac
}

/// The ones' complement sum of RFC 1071, folded.
fn checksum(chunks: &[&[u8]]) -> u16 {
    let mut sum = 0u32;
    for chunk in chunks {
        for pair in chunk.chunks(2) {
            sum += u32::from(u16::from_be_bytes([pair[0], *pair.get(1).unwrap_or(&0)]));
        }
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// An Ethernet frame to the server with `tags` (TPID, VLAN id), carrying a UDP
/// datagram from `source` to `dest`:`port` with `payload`.
fn frame(tags: &[(u16, u16)], source: IpAddr, dest: IpAddr, port: u16, payload: &[u8]) -> Vec<u8> {
    let mut frame = Vec::new();
    frame.extend(mac(SERVER_MAC));
    frame.extend(mac(CLIENT_MAC));
    for (tpid, vid) in tags {
        frame.extend(tpid.to_be_bytes());
        frame.extend(vid.to_be_bytes());
    }
    let udp_len = (8 + payload.len()) as u16;
    let mut udp = Vec::new();
    udp.extend(40000u16.to_be_bytes());
    udp.extend(port.to_be_bytes());
    udp.extend(udp_len.to_be_bytes());
    udp.extend([0, 0]);
    udp.extend(payload);
    match (source, dest) {
        (IpAddr::V4(source), IpAddr::V4(dest)) => {
            frame.extend(0x0800u16.to_be_bytes());
            let mut header = vec![0x45, 0];
            header.extend((20 + udp_len).to_be_bytes());
            header.extend([0, 0, 0x40, 0, 64, 17, 0, 0]);
            header.extend(source.octets());
            header.extend(dest.octets());
            let sum = checksum(&[&header]);
            header[10..12].copy_from_slice(&sum.to_be_bytes());
            // A zero UDP checksum means "none" over IPv4.
            frame.extend(header);
        }
        (IpAddr::V6(source), IpAddr::V6(dest)) => {
            frame.extend(0x86ddu16.to_be_bytes());
            frame.extend([0x60, 0, 0, 0]);
            frame.extend(udp_len.to_be_bytes());
            frame.extend([17, 64]);
            frame.extend(source.octets());
            frame.extend(dest.octets());
            let pseudo_tail = [
                0,
                0,
                udp_len.to_be_bytes()[0],
                udp_len.to_be_bytes()[1],
                0,
                0,
                0,
                17,
            ];
            let sum = checksum(&[&source.octets(), &dest.octets(), &pseudo_tail, &udp]);
            udp[6..8].copy_from_slice(&sum.to_be_bytes());
        }
        _ => unreachable!("one family"),
    }
    frame.extend(udp);
    frame
}

#[test]
fn sources_behind_one_or_two_vlan_tags_are_matched() {
    if let Some(reason) = common::missing_privilege() {
        return common::skip(&reason);
    }
    if Command::new("python3").arg("-V").output().is_err() {
        return common::skip("needs python3 for packet sockets");
    }
    let net = Net::new();
    let pins = PinDir::new();
    let mut config = XdpConfig::new(&net.server);
    config.pin_dir = pins.0.clone();
    let guard = in_netns(&net.server, || XdpGuard::attach(&config)).expect("attach XDP");
    let blocklist = guard.blocklist();
    let banned: [IpAddr; 2] = [
        "198.19.10.66".parse().unwrap(),
        "2001:db8:10::66".parse().unwrap(),
    ];
    let allowed: [IpAddr; 2] = [
        "198.19.10.77".parse().unwrap(),
        "2001:db8:10::77".parse().unwrap(),
    ];
    let servers: [IpAddr; 2] = [
        "198.19.10.1".parse().unwrap(),
        "2001:db8:10::1".parse().unwrap(),
    ];
    for target in banned {
        blocklist.insert(IpNet::from(target), None).unwrap();
    }

    let stacks: [&[(u16, u16)]; 4] = [
        &[],
        &[(TPID_8021Q, 10)],
        &[(TPID_8021AD, 20), (TPID_8021Q, 30)],
        &[(TPID_8021Q, 20), (TPID_8021Q, 30)],
    ];
    let mut expected_drops = 0;
    for (run, tags) in stacks.iter().enumerate() {
        for family in 0..2 {
            for (source, expected) in [(banned[family], 0), (allowed[family], COUNT)] {
                let payload = format!("waf-xdp {run} {source}");
                let frame = frame(tags, source, servers[family], 9, payload.as_bytes());
                let seen = deliver(&net, &frame, payload.as_bytes(), COUNT);
                assert_eq!(seen, expected, "{source} behind {tags:x?}");
            }
        }
        expected_drops += COUNT as u64;
        for target in banned {
            let entry = blocklist.get(IpNet::from(target)).unwrap().unwrap();
            assert_eq!(entry.packets, expected_drops, "{target} behind {tags:x?}");
        }
    }
    drop(guard);
}
