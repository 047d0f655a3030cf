//! `@ipMatch`: the value is an IP address inside one of the argument's addresses or
//! networks.
//!
//! ModSecurity v3: the argument is a comma-separated list (empty entries skipped). An entry
//! containing `:` is IPv6, otherwise IPv4, in `inet_pton` syntax (dotted quads without
//! leading zeros; IPv6 with `::` and a dotted-quad tail), with an optional `/bits` mask:
//! 1–32 for IPv4, 1–128 for IPv6. Host bits under the mask are ignored (`156.149.249.1/8`
//! is `156.0.0.0/8`). An entry that does not parse, or a mask of 0 or out of range, makes the
//! rule fail to load, and so does it here (with the entry named). The value is read the same
//! way, without a mask: a value with `:` is looked up among the IPv6 entries only, any other
//! among the IPv4 ones (an IPv4-mapped IPv6 value does not match an IPv4 entry); a value
//! that is not an address does not match.
//!
//! Deliberate differences, all in what is accepted: white space around an entry is ignored
//! (ModSecurity refuses the entry), a mask must be all digits (ModSecurity's `atoi` ignores
//! trailing junk), and an IPv6 entry with `/128` is the single address (ModSecurity fails
//! to load it, a bug).

use ipnet::{Ipv4Net, Ipv6Net};
use std::net::{Ipv4Addr, Ipv6Addr};

/// A compiled address list.
#[derive(Debug, Clone, Default)]
pub struct IpMatch {
    v4: Vec<Ipv4Net>,
    v6: Vec<Ipv6Net>,
}

impl IpMatch {
    /// `@ipMatch`'s argument.
    pub(super) fn new(argument: &str) -> Result<Self, String> {
        let mut set = Self::default();
        set.add_list(argument)?;
        Ok(set)
    }

    /// Adds a comma-separated list of entries.
    pub(super) fn add_list(&mut self, list: &str) -> Result<(), String> {
        for entry in list.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            self.add(entry)
                .map_err(|why| format!("bad @ipMatch entry {entry:?}: {why}"))?;
        }
        Ok(())
    }

    fn add(&mut self, entry: &str) -> Result<(), String> {
        let (address, mask) = match entry.split_once('/') {
            Some((address, mask)) => (address, Some(mask)),
            None => (entry, None),
        };
        let bits = |max: u8| -> Result<u8, String> {
            let Some(mask) = mask else { return Ok(max) };
            match mask.parse::<u8>() {
                Ok(bits)
                    if (1..=max).contains(&bits) && mask.bytes().all(|b| b.is_ascii_digit()) =>
                {
                    Ok(bits)
                }
                _ => Err(format!("the mask must be a number from 1 to {max}")),
            }
        };
        if entry.contains(':') {
            let address: Ipv6Addr = address.parse().map_err(|_| "not an IPv6 address")?;
            let net = Ipv6Net::new(address, bits(128)?).map_err(|e| e.to_string())?;
            self.v6.push(net.trunc());
        } else {
            let address: Ipv4Addr = address.parse().map_err(|_| "not an IPv4 address")?;
            let net = Ipv4Net::new(address, bits(32)?).map_err(|e| e.to_string())?;
            self.v4.push(net.trunc());
        }
        Ok(())
    }

    pub(super) fn test(&self, value: &[u8]) -> bool {
        let Ok(text) = std::str::from_utf8(value) else {
            return false;
        };
        if text.contains(':') {
            text.parse::<Ipv6Addr>()
                .is_ok_and(|ip| self.v6.iter().any(|net| net.contains(&ip)))
        } else {
            text.parse::<Ipv4Addr>()
                .is_ok_and(|ip| self.v4.iter().any(|net| net.contains(&ip)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::IpMatch;

    #[test]
    fn matches_addresses_and_networks() {
        let set = IpMatch::new("127.0.0.1,::1, 10.10.10.0/21,,2001:db8::/32").unwrap();
        for ip in [
            "127.0.0.1",
            "::1",
            "0:0:0:0:0:0:0:1",
            "10.10.15.254",
            "2001:db8:ff::1",
        ] {
            assert!(set.test(ip.as_bytes()), "{ip}");
        }
        for ip in [
            "127.0.0.2",
            "10.10.16.1",
            "::ffff:127.0.0.1",
            "x",
            "127.0.0.1 ",
            "",
        ] {
            assert!(!set.test(ip.as_bytes()), "{ip}");
        }
        let set = IpMatch::new("156.149.249.1/8").unwrap();
        assert!(set.test(b"156.1.2.3"));
        assert!(IpMatch::new("::1/128").unwrap().test(b"::1"));
    }

    #[test]
    fn refuses_bad_entries() {
        for bad in [
            "10.0.0.0/100",
            "10.0.0.0/0",
            "::/0",
            "::/129",
            "1.2.3",
            "01.2.3.4",
            "1.2.3.4/8x",
            "fe80::/x",
        ] {
            let err = IpMatch::new(bad).unwrap_err();
            assert!(err.contains(bad.trim()), "{bad}: {err}");
        }
    }
}
