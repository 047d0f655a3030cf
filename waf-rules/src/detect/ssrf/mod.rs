//! Server-side request forgery and remote file inclusion.
//!
//! Every `scheme://authority` in a value (after peeling stacked percent-encodings) is
//! read as a URL ([`host`]), and fires when:
//!
//! * its host is internal: loopback, private, link-local, shared or unspecified
//!   addresses, cloud metadata endpoints (`169.254.169.254`, `metadata.google.internal`,
//!   `100.100.100.200`, `[fd00:ec2::254]`), `localhost` names and wildcard-DNS names that
//!   spell such an address (`127.0.0.1.nip.io`), in any spelling a lenient resolver
//!   accepts (`2130706433`, `0177.0.0.1`, `0x7f000001`, `127.1`, `[::ffff:127.0.0.1]`,
//!   `①②⑦.⓪.⓪.①`), on either side of a userinfo `@` or a backslash;
//! * its host is spelled with Unicode look-alikes at all (`ⓔⓧⓐⓜⓟⓛⓔ.ⓒⓞⓜ`);
//! * its scheme exists to reach raw services or local files (`gopher:`, `dict:`,
//!   `file:`, `tftp:`, `netdoc:`, PHP wrappers);
//! * it is a remote-inclusion shape: a value that starts with an `http`/`ftp` URL ending
//!   in a `.txt` script, a dangling `?` or a NUL truncation.
//!
//! Ordinary links to public sites, as in Referer headers, fire none of these.

pub(super) mod host;

use super::Detection;
use super::bytes::ByteSet;
use super::traversal::decode::{decode_layers, query_values};
use host::{Url, candidate_hosts, fold_host, host_internal, urls};

/// Recognises SSRF and RFI; see the module documentation.
pub fn ssrf(input: &[u8]) -> Option<Detection> {
    if input.is_empty() {
        return None;
    }
    inspect(input).or_else(|| query_values(input).find_map(inspect))
}

/// Every URL of one value, decoded.
fn inspect(value: &[u8]) -> Option<Detection> {
    // Fast path. Without a `%` decoding changes nothing; then every shape needs a URL
    // (`:` then two slashes or backslashes) or a value starting with two of them.
    let set = ByteSet::of(value);
    let url = set.has(b':') && set.any_of(ByteSet::new(b"/\\"));
    let leading = value
        .trim_ascii_start()
        .first()
        .is_some_and(|&b| matches!(b, b'/' | b'\\'));
    if !set.has(b'%') && !url && !leading {
        return None;
    }
    let decoded = decode_layers(value);
    urls(&decoded)
        .find_map(|url| judge(&decoded, url))
        .or_else(|| scheme_relative(&decoded))
        .or_else(|| remote_include(&decoded))
}

/// A value that starts with a scheme-relative URL (`//127.0.0.1/admin`) to an internal
/// host.
fn scheme_relative(value: &[u8]) -> Option<Detection> {
    let trimmed = value.trim_ascii_start();
    let slashes = trimmed
        .iter()
        .take_while(|&&b| matches!(b, b'/' | b'\\'))
        .count();
    if slashes != 2 {
        return None;
    }
    let rest = &trimmed[slashes..];
    let len = rest
        .iter()
        .position(|&b| matches!(b, b'/' | b'\\' | b'?' | b'#') || b.is_ascii_whitespace())
        .unwrap_or(rest.len());
    let (authority, _) = fold_host(&rest[..len]);
    let why = candidate_hosts(&authority).find_map(host_internal)?;
    Some(Detection::new(0.85, trimmed, format!("host:{why}")))
}

/// Schemes used to talk to raw services or read local files, never in ordinary links.
const RAW_SCHEMES: &[&[u8]] = &[
    b"gopher", b"dict", b"file", b"tftp", b"netdoc", b"php", b"phar", b"expect", b"zip", b"data",
    b"glob", b"sftp", b"ldap", b"jar",
];

/// Judges one URL.
fn judge(value: &[u8], url: Url<'_>) -> Option<Detection> {
    let fragment = &value[url.start..];
    let scheme = url.scheme.to_ascii_lowercase();
    // `jar:http://…!/`: Java fetches and opens the archive.
    if value[..url.start].len() >= 4
        && value[url.start - 4..url.start].eq_ignore_ascii_case(b"jar:")
    {
        return Some(Detection::new(0.85, &value[url.start - 4..], "scheme:jar"));
    }
    if let Some(name) = RAW_SCHEMES.iter().find(|s| **s == scheme.as_slice()) {
        let fingerprint = format!("scheme:{}", String::from_utf8_lossy(name));
        return Some(Detection::new(0.85, fragment, fingerprint));
    }
    let (authority, folded) = fold_host(url.authority);
    if let Some(why) = candidate_hosts(&authority).find_map(host_internal) {
        let confidence = if why == "metadata" { 0.95 } else { 0.9 };
        return Some(Detection::new(confidence, fragment, format!("host:{why}")));
    }
    folded.then(|| Detection::new(0.75, fragment, "unicode-host"))
}

/// A value that is a URL to a script for the application to include: `….txt`, or a
/// dangling `?` or NUL that cuts off the suffix the application appends.
fn remote_include(value: &[u8]) -> Option<Detection> {
    let trimmed = value.trim_ascii();
    let url = urls(trimmed).next().filter(|u| u.start == 0)?;
    let scheme = url.scheme.to_ascii_lowercase();
    if !matches!(scheme.as_slice(), b"http" | b"https" | b"ftp") || url.authority.is_empty() {
        return None;
    }
    let path = url.rest.to_ascii_lowercase();
    let truncated = path.contains(&0) || path.ends_with(b"?");
    let text_script = path.len() > 4 && path.ends_with(b".txt");
    // Inclusion payloads are often hosted by address (`http://66.240.183.75/crash.php`).
    let by_address = host::parse_ipv4(url.authority).is_some_and(|v| v.canonical)
        && SCRIPT_EXTENSIONS.iter().any(|ext| path.ends_with(ext));
    (truncated || text_script || by_address)
        .then(|| Detection::new(0.75, trimmed, "remote-include"))
}

/// Extensions of the scripts a remote include runs.
const SCRIPT_EXTENSIONS: &[&[u8]] = &[
    b".php", b".txt", b".inc", b".phtml", b".pl", b".py", b".sh", b".jsp", b".asp", b".cgi",
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::test_support;

    #[test]
    fn detects_internal_targets() {
        let attacks = [
            "http://127.0.0.1:22",
            "http://localhost:80",
            "http://169.254.169.254/latest/meta-data/",
            "http://metadata.google.internal/computeMetadata/v1/",
            "http://2130706433/",
            "http://0177.0.0.1/",
            "http://0x7f000001",
            "http://127.1",
            "http://0/",
            "http://[::1]:80/",
            "http://[0:0:0:0:0:ffff:127.0.0.1]",
            "http://[fd00:ec2::254]",
            "http://expected@127.0.0.1",
            "http://127.1.1.1:80\\@127.2.2.2:80/",
            "http://169.254.169.254.nip.io/",
            "https://307.r3dir.me/--to/?url=http://localhost",
            "http://①②⑦.⓪.⓪.①",
            "http://ⓔⓧⓐⓜⓟⓛⓔ.ⓒⓞⓜ",
            "gopher://127.0.0.1:6379/_config",
            "dict://attacker:11111/",
            "file:///etc/passwd",
            "http%3A%2F%2F127.0.0.1%2Fadmin",
            "https://site/search?q=http%3A%2F%2F10.0.0.5%2F",
            "http://evil.com/shell.txt",
            "http://evil.com/shell.txt\0",
            "http://evil.com/shell.php?",
            "http:%252f%252fevil.com%252fshell.txt",
            "https://foo.bar?",
            "http://66.240.183.75/crash.php",
            "//127.0.0.1/admin",
            "jar:http://evil.com/x.jar!/",
            "http://kubernetes.default.svc/api",
            "http://[::]:80/",
            "http://0x7f.0x0.0x0.0x1/",
        ];
        for attack in attacks {
            let hit = ssrf(attack.as_bytes());
            assert!(
                hit.as_ref().is_some_and(|d| d.confidence >= 0.5),
                "missed {attack}"
            );
        }
    }

    #[test]
    fn passes_ordinary_urls() {
        let benign = [
            "http://www.google.com/search?q=logstash",
            "https://shop.example.com/products?id=3",
            "http://semicomplete.com/images/logstash_OSCON.pdf",
            "http://8.8.8.8/",
            "http://172.32.0.1/",
            "http://www.google.com/url?url=http://semicomplete.com/blog/&q=x",
            "call me at 10.0.0.1",
            "127.0.0.1",
            "10.1.2.3, 192.168.0.1",
            "see http://example.org/readme?",
            "http://66.240.183.75/index.html",
            "http://example.com/crash.php",
            "//cdn.example.com/app.js",
            "/blog//tags",
            "The time is 12:30; meet at 127.0.0.1?",
            "",
        ];
        for value in benign {
            assert!(ssrf(value.as_bytes()).is_none(), "fired on {value}");
        }
    }

    #[test]
    fn never_panics() {
        test_support::assert_random_bounded(
            ssrf,
            b"http:/\\@[]:.%0123456789abcfx&?=#\0\xff\xe2\x91\xa0",
            0x9e37_79b9_7f4a_7c15,
            2000,
            97,
        );
        let long = "http://[".repeat(10_000);
        let _ = ssrf(long.as_bytes());
    }
}
