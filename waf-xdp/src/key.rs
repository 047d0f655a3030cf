//! The layout shared with `bpf/ban.c`: LPM-trie keys from address ranges and back, and
//! the value of an entry.

use aya::maps::lpm_trie::Key;
use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use std::net::{Ipv4Addr, Ipv6Addr};

/// `struct key_v4`: prefix length, then the address in network byte order.
pub(crate) type KeyV4 = Key<[u8; 4]>;
/// `struct key_v6`.
pub(crate) type KeyV6 = Key<[u8; 16]>;
/// `struct ban` as three u64 (packets, bytes, expires_ns): arrays of plain integers
/// are what aya can copy in and out of a map without an `unsafe` marker.
pub(crate) type RawBan = [u64; 3];

pub(crate) fn key_v4(net: Ipv4Net) -> KeyV4 {
    Key::new(u32::from(net.prefix_len()), net.network().octets())
}

pub(crate) fn key_v6(net: Ipv6Net) -> KeyV6 {
    Key::new(u32::from(net.prefix_len()), net.network().octets())
}

pub(crate) fn net_v4(key: &KeyV4) -> Option<IpNet> {
    let len = u8::try_from(key.prefix_len()).ok()?;
    Ipv4Net::new(Ipv4Addr::from(key.data()), len)
        .ok()
        .map(IpNet::V4)
}

pub(crate) fn net_v6(key: &KeyV6) -> Option<IpNet> {
    let len = u8::try_from(key.prefix_len()).ok()?;
    Ipv6Net::new(Ipv6Addr::from(key.data()), len)
        .ok()
        .map(IpNet::V6)
}

/// The value of one entry, by name.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct BanValue {
    pub(crate) packets: u64,
    pub(crate) bytes: u64,
    pub(crate) expires_ns: u64,
}

impl From<RawBan> for BanValue {
    fn from([packets, bytes, expires_ns]: RawBan) -> Self {
        Self {
            packets,
            bytes,
            expires_ns,
        }
    }
}

impl From<BanValue> for RawBan {
    fn from(value: BanValue) -> Self {
        [value.packets, value.bytes, value.expires_ns]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_carry_the_network_and_its_length() {
        let v4: Ipv4Net = "198.18.7.9/24".parse().unwrap();
        let key = key_v4(v4);
        assert_eq!((key.prefix_len(), key.data()), (24, [198, 18, 7, 0]));
        assert_eq!(net_v4(&key), Some("198.18.7.0/24".parse().unwrap()));

        let v6: Ipv6Net = "2001:db8::1/128".parse().unwrap();
        let key = key_v6(v6);
        assert_eq!(key.prefix_len(), 128);
        assert_eq!(net_v6(&key), Some(IpNet::V6(v6)));
    }

    #[test]
    fn impossible_lengths_are_not_networks() {
        assert_eq!(net_v4(&Key::new(33, [0; 4])), None);
        assert_eq!(net_v6(&Key::new(129, [0; 16])), None);
    }
}
