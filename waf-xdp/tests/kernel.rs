//! The XDP program in the real kernel: two network namespaces joined by a veth pair,
//! the program attached to the server's end, UDP traffic from banned and allowed
//! client addresses. Needs root; skipped (with the reason) otherwise, failed under
//! `CI=true`.

mod common;

use common::{Net, PinDir, UdpServer, eventually, in_netns};
use ipnet::IpNet;
use std::net::IpAddr;
use std::time::Duration;
use waf_core::Waf;
use waf_xdp::{AttachMode, Blocklist, SyncOptions, SyncTask, XdpConfig, XdpGuard};

const PROBES: usize = 20;

/// The namespaces, a UDP server and the program attached to the server's end.
struct Setup {
    server: UdpServer,
    guard: XdpGuard,
    pins: PinDir,
    // Last: the namespaces go after the program is detached.
    net: Net,
}

fn setup() -> Option<Setup> {
    if let Some(reason) = common::missing_privilege() {
        common::skip(&reason);
        return None;
    }
    let net = Net::new();
    let pins = PinDir::new();
    let guard = attach(&net, &pins);
    let server = net.udp_server();
    Some(Setup {
        server,
        guard,
        pins,
        net,
    })
}

fn attach(net: &Net, pins: &PinDir) -> XdpGuard {
    let mut config = XdpConfig::new(&net.server);
    config.pin_dir = pins.0.clone();
    in_netns(&net.server, || XdpGuard::attach(&config)).expect("attach XDP")
}

fn sync_options() -> SyncOptions {
    SyncOptions {
        sweep_interval: Duration::from_millis(100),
        ..SyncOptions::default()
    }
}

/// A [`Setup`] whose blocklist follows an engine, with the client given `sources`.
struct Synced {
    waf: Waf,
    blocklist: Blocklist,
    task: SyncTask,
    setup: Setup,
}

fn synced(sources: &[IpAddr]) -> Option<Synced> {
    let setup = setup()?;
    for source in sources {
        setup.net.add_client_address(*source);
    }
    let waf = Waf::default();
    let blocklist = setup.guard.blocklist();
    let task = waf_xdp::sync(&waf, blocklist.clone(), sync_options()).unwrap();
    Some(Synced {
        waf,
        blocklist,
        task,
        setup,
    })
}

impl Synced {
    /// Bans through the engine and waits for the follower to write the entry.
    fn ban(&self, target: IpNet, ttl: Option<Duration>) {
        self.waf.ban(target, ttl, "test");
        eventually("ban in the kernel", || in_kernel(&self.blocklist, target));
    }

    /// How many of [`PROBES`] datagrams from `source` reached the server.
    fn probe(&self, source: IpAddr) -> usize {
        self.setup.net.probe(source, &self.setup.server, PROBES)
    }
}

fn addr(text: &str) -> IpAddr {
    text.parse().unwrap()
}

fn host(addr: IpAddr) -> IpNet {
    IpNet::from(addr)
}

fn dropped(blocklist: &Blocklist, target: IpNet) -> u64 {
    blocklist
        .get(target)
        .unwrap()
        .map_or(0, |entry| entry.packets)
}

fn in_kernel(blocklist: &Blocklist, target: IpNet) -> bool {
    blocklist.get(target).unwrap().is_some()
}

#[test]
fn banned_ipv4_and_ipv6_clients_are_dropped_in_the_kernel_until_unbanned() {
    let attackers = [addr("198.18.0.66"), addr("2001:db8::66")];
    let Some(t) = synced(&attackers) else {
        return;
    };
    // veth has native XDP: the program runs in driver mode.
    assert_eq!(t.setup.guard.mode(), AttachMode::Driver);
    for attacker in attackers {
        assert_eq!(t.probe(attacker), PROBES, "{attacker} before the ban");
    }

    for attacker in attackers {
        t.ban(host(attacker), None);
        assert_eq!(t.probe(attacker), 0, "{attacker} banned");
        assert!(dropped(&t.blocklist, host(attacker)) >= PROBES as u64);
    }
    for bystander in [common::CLIENT_V4, common::CLIENT_V6] {
        assert_eq!(t.probe(addr(bystander)), PROBES, "{bystander}");
    }

    for attacker in attackers {
        assert!(t.waf.unban(host(attacker), "test"));
        eventually("unban in the kernel", || {
            !in_kernel(&t.blocklist, host(attacker))
        });
        assert_eq!(t.probe(attacker), PROBES, "{attacker} unbanned");
    }
}

#[test]
fn expired_bans_let_traffic_through_again() {
    let attackers = [addr("198.18.0.77"), addr("2001:db8::77")];
    let Some(t) = synced(&attackers) else {
        return;
    };
    for attacker in attackers {
        t.ban(host(attacker), Some(Duration::from_millis(1500)));
    }
    for attacker in attackers {
        assert_eq!(t.probe(attacker), 0, "{attacker} banned");
    }
    // The engine's sweep publishes the expiry; the follower removes the entries.
    for attacker in attackers {
        eventually("expiry removes the entry", || {
            !in_kernel(&t.blocklist, host(attacker))
        });
        assert_eq!(t.probe(attacker), PROBES, "{attacker} expired");
    }
}

#[test]
fn the_kernel_stops_applying_an_expired_entry_on_its_own() {
    let attacker = addr("2001:db8::88");
    let Some(t) = synced(&[attacker]) else {
        return;
    };
    // Written straight into the map: only the kernel program and the expiry stored
    // in the entry are at work, the engine knows nothing of this ban.
    t.blocklist
        .insert(host(attacker), Some(Duration::from_millis(600)))
        .unwrap();
    assert_eq!(t.probe(attacker), 0);
    std::thread::sleep(Duration::from_millis(700));
    assert_eq!(t.probe(attacker), PROBES);
    let entry = t
        .blocklist
        .get(host(attacker))
        .unwrap()
        .expect("in the map");
    assert_eq!(entry.expires_in, Some(Duration::ZERO));
    assert_eq!(entry.packets, PROBES as u64);
}

#[test]
fn a_cidr_ban_covers_its_range_and_nothing_outside_it() {
    let inside = [
        "198.18.4.7",
        "198.18.4.200",
        "2001:db8::4:0:7",
        "2001:db8::4:ff:1",
    ]
    .map(addr);
    let outside = [
        "198.18.5.7",
        "198.18.3.255",
        "2001:db8::5:0:7",
        "2001:db8::3:ffff:ffff",
    ]
    .map(addr);
    let Some(t) = synced(&[inside, outside].concat()) else {
        return;
    };
    let ranges: [IpNet; 2] = [
        "198.18.4.0/24".parse().unwrap(),
        "2001:db8::4:0:0/96".parse().unwrap(),
    ];
    for range in ranges {
        t.ban(range, None);
    }
    for source in inside {
        assert_eq!(t.probe(source), 0, "{source} is inside");
    }
    for source in outside {
        assert_eq!(t.probe(source), PROBES, "{source} is outside");
    }
    // Two addresses inside each range: the range's entry counted both.
    for range in ranges {
        assert!(dropped(&t.blocklist, range) >= 2 * PROBES as u64, "{range}");
    }
}

#[test]
fn pinned_maps_survive_a_restart_of_user_space() {
    let (v4, v6) = (addr("198.18.0.99"), addr("2001:db8::99"));
    let Some(t) = synced(&[v4, v6]) else {
        return;
    };
    // The first run bans and drops, then stops: the program is detached, the maps
    // stay pinned.
    t.ban(host(v4), None);
    t.ban(host(v6), Some(Duration::from_secs(60)));
    for attacker in [v4, v6] {
        assert_eq!(t.probe(attacker), 0);
    }
    let Synced { setup, task, .. } = t;
    task.stop();
    let Setup {
        server,
        guard,
        pins,
        net,
    } = setup;
    guard.detach().unwrap();
    for attacker in [v4, v6] {
        assert_eq!(net.probe(attacker, &server, PROBES), PROBES, "detached");
    }

    // The second run starts with an engine that knows nothing: it finds the pinned
    // entries, with their counters, and takes the bans back.
    let guard = attach(&net, &pins);
    let waf = Waf::default();
    let blocklist = guard.blocklist();
    let _task = waf_xdp::sync(&waf, blocklist.clone(), sync_options()).unwrap();
    let bans = waf.bans();
    assert_eq!(bans.len(), 2, "{bans:?}");
    let ttl = bans.iter().find(|ban| ban.target == host(v6)).unwrap().ttl;
    assert!(
        ttl.is_some_and(|ttl| ttl > Duration::from_secs(50)),
        "{ttl:?}"
    );
    for attacker in [v4, v6] {
        assert_eq!(dropped(&blocklist, host(attacker)), PROBES as u64, "kept");
        assert_eq!(
            net.probe(attacker, &server, PROBES),
            0,
            "{attacker} restarted"
        );
        assert_eq!(dropped(&blocklist, host(attacker)), 2 * PROBES as u64);
    }
}

#[test]
fn a_restart_that_does_not_adopt_pinned_entries_removes_them() {
    let Some(Setup {
        server,
        guard,
        pins,
        net,
    }) = setup()
    else {
        return;
    };
    let attacker = addr(common::CLIENT_V4);
    guard.blocklist().insert(host(attacker), None).unwrap();
    assert_eq!(net.probe(attacker, &server, PROBES), 0);
    drop(guard);

    let guard = attach(&net, &pins);
    let waf = Waf::default();
    let options = SyncOptions {
        adopt_pinned: false,
        ..sync_options()
    };
    let _task = waf_xdp::sync(&waf, guard.blocklist(), options).unwrap();
    assert!(waf.bans().is_empty());
    assert!(guard.blocklist().entries().unwrap().is_empty());
    assert_eq!(net.probe(attacker, &server, PROBES), PROBES);
}
