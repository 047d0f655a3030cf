//! URL authorities and the addresses they name, as lenient resolvers read them.
//!
//! `inet_aton` and most URL parsers accept IPv4 addresses in forms no one types:
//! dotless (`2130706433`), octal (`0177.0.0.1`), hex (`0x7f000001`), short (`127.1`),
//! mixed and overflowing (`425.510.425.510`). IPv6 literals embed IPv4 ones
//! (`[::ffff:127.0.0.1]`). This module reads them all, so the address behind a spelling
//! can be judged, and tells whether the spelling was the canonical one.

use super::super::traversal::decode::utf8_at;

/// An IPv4 address read from a host, and whether it was written in canonical
/// dotted-decimal form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(in crate::detect) struct Ipv4 {
    /// The address.
    pub addr: u32,
    /// Whether it was written as four plain decimal octets.
    pub canonical: bool,
}

/// One part of an `inet_aton` address: decimal, octal (leading `0`, or `0o`) or hex
/// (`0x`). Parts too long to be a number are not parts.
fn parse_part(part: &[u8]) -> Option<(u64, bool)> {
    if part.is_empty() || part.len() > 32 {
        return None;
    }
    let (digits, radix, plain) = match part {
        [b'0', b'x' | b'X', rest @ ..] => (rest, 16, false),
        [b'0', b'o' | b'O', rest @ ..] => (rest, 8, false),
        [b'0', rest @ ..] if !rest.is_empty() => (rest, 8, false),
        _ => (part, 10, true),
    };
    let mut value: u64 = 0;
    for &b in digits {
        let d = u64::from(super::super::traversal::decode::hex_val(b)?);
        if d >= radix {
            return None;
        }
        value = value.saturating_mul(radix).saturating_add(d);
    }
    Some((value, plain))
}

/// The IPv4 address `host` spells, in any `inet_aton` form (values wrap around as in
/// parsers that overflow silently).
pub(in crate::detect) fn parse_ipv4(host: &[u8]) -> Option<Ipv4> {
    let host = host.strip_suffix(b".").unwrap_or(host);
    let mut parts = [0u64; 4];
    let mut count = 0;
    let mut canonical = true;
    for part in host.split(|&b| b == b'.') {
        if count == 4 {
            return None;
        }
        let (value, plain) = parse_part(part)?;
        canonical &= plain && value <= 255;
        parts[count] = value;
        count += 1;
    }
    canonical &= count == 4;
    let addr = match count {
        1 => parts[0],
        2 => (parts[0] & 0xff) << 24 | (parts[1] & 0xff_ffff),
        3 => (parts[0] & 0xff) << 24 | (parts[1] & 0xff) << 16 | (parts[2] & 0xffff),
        _ => {
            (parts[0] & 0xff) << 24
                | (parts[1] & 0xff) << 16
                | (parts[2] & 0xff) << 8
                | (parts[3] & 0xff)
        }
    };
    Some(Ipv4 {
        addr: (addr & 0xffff_ffff) as u32,
        canonical,
    })
}

/// Why an IPv4 address is not a public one, if it is not.
pub(in crate::detect) fn ipv4_internal(addr: u32) -> Option<&'static str> {
    let [a, b, c, _] = addr.to_be_bytes();
    match (a, b, c) {
        (169, 254, 169) if addr == 0xa9fe_a9fe => Some("metadata"),
        (100, 100, 100) if addr == 0x6464_64c8 => Some("metadata"),
        (192, 0, 0) => Some("metadata"),
        (127, ..) => Some("loopback"),
        (0, ..) => Some("unspecified"),
        (10, ..) | (192, 168, _) => Some("private"),
        (172, 16..=31, _) => Some("private"),
        (169, 254, _) => Some("link-local"),
        (100, 64..=127, _) => Some("shared"),
        _ => None,
    }
}

/// The eight groups of an IPv6 literal (without brackets or zone), with an embedded
/// dotted IPv4 tail read as the last two groups.
pub(in crate::detect) fn parse_ipv6(text: &[u8]) -> Option<[u16; 8]> {
    let text = match text.iter().position(|&b| b == b'%') {
        Some(zone) => &text[..zone],
        None => text,
    };
    let (head, tail) = match text.windows(2).position(|w| w == b"::") {
        Some(at) => (&text[..at], Some(&text[at + 2..])),
        None => (text, None),
    };
    let mut groups: Vec<u16> = Vec::with_capacity(8);
    let mut rest: Vec<u16> = Vec::with_capacity(8);
    read_groups(head, &mut groups)?;
    if let Some(tail) = tail {
        read_groups(tail, &mut rest)?;
    }
    let total = groups.len() + rest.len();
    if total > 8 || (tail.is_none() && total != 8) || (tail.is_some() && total == 8) {
        return None;
    }
    let mut out = [0u16; 8];
    out[..groups.len()].copy_from_slice(&groups);
    out[8 - rest.len()..].copy_from_slice(&rest);
    Some(out)
}

/// Appends the `:`-separated hex groups of `text` (the last may be a dotted IPv4).
fn read_groups(text: &[u8], out: &mut Vec<u16>) -> Option<()> {
    if text.is_empty() {
        return Some(());
    }
    for group in text.split(|&b| b == b':') {
        if group.contains(&b'.') {
            let v4 = parse_ipv4(group).filter(|v| v.canonical)?;
            out.push((v4.addr >> 16) as u16);
            out.push((v4.addr & 0xffff) as u16);
        } else {
            if group.is_empty() || group.len() > 4 || out.len() >= 8 {
                return None;
            }
            let mut v = 0u16;
            for &b in group {
                v = v << 4 | u16::from(super::super::traversal::decode::hex_val(b)?);
            }
            out.push(v);
        }
    }
    (out.len() <= 8).then_some(())
}

/// Why an IPv6 address is not a public one, if it is not.
pub(in crate::detect) fn ipv6_internal(g: [u16; 8]) -> Option<&'static str> {
    let v4 = u32::from(g[6]) << 16 | u32::from(g[7]);
    let zero_prefix = g[..5].iter().all(|&x| x == 0);
    match g {
        [0, 0, 0, 0, 0, 0, 0, 1] => Some("loopback"),
        [0, 0, 0, 0, 0, 0, 0, 0] => Some("unspecified"),
        [0xfd00, 0x0ec2, 0, 0, 0, 0, 0, 0x254] => Some("metadata"),
        _ if zero_prefix && (g[5] == 0xffff || g[5] == 0) => ipv4_internal(v4),
        [0x64, 0xff9b, 0, 0, 0, 0, ..] => ipv4_internal(v4),
        [first, ..] if first & 0xffc0 == 0xfe80 => Some("link-local"),
        [first, ..] if first & 0xfe00 == 0xfc00 => Some("private"),
        _ => None,
    }
}

/// Host names that always mean this machine or a cloud metadata service.
const INTERNAL_NAMES: &[&[u8]] = &[
    b"localhost",
    b"localhost.localdomain",
    b"ip6-localhost",
    b"ip6-loopback",
    b"metadata",
    b"metadata.google.internal",
    b"instance-data",
    b"instance-data.ec2.internal",
    b"localtest.me",
    b"lvh.me",
    b"vcap.me",
];

/// Wildcard DNS services that resolve a name to the address spelled in it
/// (`127.0.0.1.nip.io`, `10-0-0-1.sslip.io`).
const WILDCARD_DNS: &[&[u8]] = &[b".nip.io", b".xip.io", b".sslip.io", b".nip.direct"];

/// Why a (lower-case, ASCII) host names an internal machine, if it does.
pub(in crate::detect) fn host_internal(host: &[u8]) -> Option<&'static str> {
    let host = host.strip_suffix(b".").unwrap_or(host);
    if let Some(inner) = host.strip_prefix(b"[").and_then(|h| h.strip_suffix(b"]")) {
        return parse_ipv6(inner).and_then(ipv6_internal);
    }
    if INTERNAL_NAMES.contains(&host)
        || host.ends_with(b".localhost")
        || host.ends_with(b".cluster.local")
        || host.starts_with(b"kubernetes.default")
        || host.ends_with(b".localtest.me")
        || host.ends_with(b".lvh.me")
    {
        return Some(
            if host.starts_with(b"metadata") || host.starts_with(b"instance-data") {
                "metadata"
            } else {
                "loopback"
            },
        );
    }
    if let Some(v4) = parse_ipv4(host) {
        return ipv4_internal(v4.addr);
    }
    let name = WILDCARD_DNS
        .iter()
        .find_map(|suffix| host.strip_suffix(*suffix))?;
    embedded_ipv4(name).and_then(ipv4_internal)
}

/// The address written in the labels of a wildcard-DNS name: four dotted labels, or
/// one label of four dash-separated numbers.
fn embedded_ipv4(name: &[u8]) -> Option<u32> {
    let labels: Vec<&[u8]> = name.split(|&b| b == b'.').collect();
    for window in labels.windows(4) {
        if let Some(v4) = parse_ipv4(&window.join(&b'.')).filter(|v| v.canonical) {
            return Some(v4.addr);
        }
    }
    labels.iter().find_map(|label| {
        let dotted: Vec<u8> = label
            .iter()
            .map(|&b| if b == b'-' { b'.' } else { b })
            .collect();
        parse_ipv4(&dotted).filter(|v| v.canonical).map(|v| v.addr)
    })
}

/// A URL found in a value: its scheme and the raw authority after `//`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(in crate::detect) struct Url<'a> {
    /// Where the scheme starts in the value.
    pub start: usize,
    /// The scheme, as written.
    pub scheme: &'a [u8],
    /// The authority (userinfo, host, port), up to the path.
    pub authority: &'a [u8],
    /// Everything after the authority.
    pub rest: &'a [u8],
}

/// Every `scheme://authority` in `value`. Extra slashes and backslashes after the
/// colon are skipped as browsers do.
pub(in crate::detect) fn urls(value: &[u8]) -> impl Iterator<Item = Url<'_>> {
    value
        .windows(3)
        .enumerate()
        .filter(|(_, w)| {
            w[0] == b':' && matches!(w[1], b'/' | b'\\') && matches!(w[2], b'/' | b'\\')
        })
        .filter_map(move |(colon, _)| url_at(value, colon))
}

/// The URL whose scheme ends at `value[colon]`.
fn url_at(value: &[u8], colon: usize) -> Option<Url<'_>> {
    // Schemes are short: look back no further than the longest accepted.
    let window = colon.saturating_sub(33);
    let scheme_start = value[window..colon]
        .iter()
        .rposition(|&b| !(b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.')))
        .map_or(window, |p| window + p + 1);
    let scheme = &value[scheme_start..colon];
    if scheme.is_empty() || scheme.len() > 32 || !scheme[0].is_ascii_alphabetic() {
        return None;
    }
    let after = &value[colon + 1..];
    let slashes = after
        .iter()
        .take_while(|&&b| matches!(b, b'/' | b'\\'))
        .count();
    let body = &after[slashes..];
    let len = body
        .iter()
        .position(|&b| {
            matches!(
                b,
                b'/' | b'?' | b'#' | b'"' | b'\'' | b'<' | b'>' | b' ' | b'\t' | b'\r' | b'\n' | 0
            )
        })
        .unwrap_or(body.len());
    Some(Url {
        start: scheme_start,
        scheme,
        authority: &body[..len],
        rest: &body[len..],
    })
}

/// The hosts an authority may be taken to name: the part after the last `@` (what a
/// URL parser takes), and every other `@`- or `\`-separated part (what confused
/// parsers take), each without userinfo and port.
pub(in crate::detect) fn candidate_hosts(authority: &[u8]) -> impl Iterator<Item = &[u8]> {
    authority
        .split(|&b| b == b'@' || b == b'\\')
        .map(strip_port)
        .filter(|h| !h.is_empty())
}

/// `host:port` (or `[v6]:port`, `user:pass`) without the part after the colon.
fn strip_port(part: &[u8]) -> &[u8] {
    if part.first() == Some(&b'[') {
        return match part.iter().position(|&b| b == b']') {
            Some(end) => &part[..=end],
            None => part,
        };
    }
    match part.iter().position(|&b| b == b':') {
        Some(colon) => &part[..colon],
        None => part,
    }
}

/// `authority` folded to the ASCII a resolver would see: enclosed and full-width
/// letters and digits (`ⓔⓧⓐⓜⓟⓛⓔ`, `①②⑦`), ideographic full stops, lower case; and
/// whether any such look-alike was folded.
pub(in crate::detect) fn fold_host(authority: &[u8]) -> (Vec<u8>, bool) {
    let mut out = Vec::with_capacity(authority.len());
    let mut folded = false;
    let mut i = 0;
    while i < authority.len() {
        match utf8_at(authority, i) {
            Some((cp, len)) if len > 1 => {
                match lookalike(cp) {
                    Some(c) => {
                        out.push(c);
                        folded = true;
                    }
                    None => out.extend_from_slice(&authority[i..i + len]),
                }
                i += len;
            }
            _ => {
                out.push(authority[i].to_ascii_lowercase());
                i += 1;
            }
        }
    }
    (out, folded)
}

/// The ASCII character a Unicode look-alike of a host character normalises to.
fn lookalike(cp: u32) -> Option<u8> {
    let offset = |base: u32| u8::try_from(cp - base).ok();
    match cp {
        0x2460..=0x2468 => offset(0x2460 - u32::from(b'1')),
        0x24ea => Some(b'0'),
        0x24b6..=0x24cf => offset(0x24b6 - u32::from(b'a')),
        0x24d0..=0x24e9 => offset(0x24d0 - u32::from(b'a')),
        0xff10..=0xff19 => offset(0xff10 - u32::from(b'0')),
        0xff21..=0xff3a => offset(0xff21 - u32::from(b'a')),
        0xff41..=0xff5a => offset(0xff41 - u32::from(b'a')),
        0x3002 | 0xff0e | 0xff61 => Some(b'.'),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_ipv4_spellings() {
        let cases: &[(&str, u32, bool)] = &[
            ("127.0.0.1", 0x7f00_0001, true),
            ("2130706433", 0x7f00_0001, false),
            ("0x7f000001", 0x7f00_0001, false),
            ("0177.0.0.1", 0x7f00_0001, false),
            ("0o177.0.0.1", 0x7f00_0001, false),
            ("127.1", 0x7f00_0001, false),
            ("0", 0, false),
            ("425.510.425.510", 0xa9fe_a9fe, false),
            ("7147006462", 0xa9fe_a9fe, false),
            ("0xA9FEA9FE", 0xa9fe_a9fe, false),
        ];
        for (host, addr, canonical) in cases {
            assert_eq!(
                parse_ipv4(host.as_bytes()),
                Some(Ipv4 {
                    addr: *addr,
                    canonical: *canonical
                }),
                "{host}"
            );
        }
        for host in ["example.com", "1.2.3.4.5", "08.1.1.1", "", "1..1"] {
            assert_eq!(parse_ipv4(host.as_bytes()), None, "{host}");
        }
    }

    #[test]
    fn judges_hosts() {
        let internal = [
            "127.0.0.1",
            "localhost",
            "[::1]",
            "[0000::1]",
            "[::ffff:127.0.0.1]",
            "[::ffff:a9fe:a9fe]",
            "[fd00:ec2::254]",
            "[fe80::1%25eth0]",
            "169.254.169.254",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "0.0.0.0",
            "100.100.100.200",
            "metadata.google.internal",
            "169.254.169.254.nip.io",
            "10-0-0-1.sslip.io",
            "app.localhost",
        ];
        for host in internal {
            assert!(host_internal(host.as_bytes()).is_some(), "{host}");
        }
        for host in [
            "example.com",
            "8.8.8.8",
            "[2001:db8::1]",
            "172.32.0.1",
            "google.nip.io",
            "[::ffff:8.8.8.8]",
        ] {
            assert!(host_internal(host.as_bytes()).is_none(), "{host}");
        }
    }

    #[test]
    fn finds_urls_and_hosts() {
        let found: Vec<Url<'_>> = urls(b"x http://a@b:80/p?q=gopher://c").collect();
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].scheme, b"http");
        assert_eq!(found[0].authority, b"a@b:80");
        assert_eq!(found[1].scheme, b"gopher");
        let hosts: Vec<&[u8]> = candidate_hosts(b"127.1.1.1:80\\@@127.2.2.2:80").collect();
        assert_eq!(hosts, [&b"127.1.1.1"[..], b"127.2.2.2"]);
        assert_eq!(
            fold_host("ⓔⓧⓐⓜⓟⓛⓔ。ⓒⓞⓜ".as_bytes()),
            (b"example.com".to_vec(), true)
        );
        assert_eq!(fold_host(b"Example.COM"), (b"example.com".to_vec(), false));
    }
}
