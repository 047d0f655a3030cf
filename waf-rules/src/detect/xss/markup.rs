//! Judging tags: which tags, attributes and style sheets make injected HTML run script.
//!
//! A tag is only an attack when it can run script or load active content: a `<script>`
//! element, an event-handler attribute (`on…=` on any element, custom ones included), a
//! script URL in an attribute, a style that runs script (`expression(`, bindings), or
//! an element told to load or embed something (`<iframe src>`, `<object data>`,
//! `<base href>`, `<meta http-equiv=refresh>`…). Formatting markup such as
//! `<b>bold</b>` or `<a href="https://…">` is left alone: a review may contain it, and
//! at worst it changes how a page looks. So are active elements that load nothing
//! (`<iframe>`, `<meta charset=utf-8>`), which also keeps C++ (`Handle<Object>`) and
//! similar text out.

use super::Finding;
use super::html::{Attr, Tag, TagKind, Tokenizer, attributes, is_space};
use super::url;

/// Confidence for a `<script>` start tag.
const SCRIPT_TAG: f64 = 0.95;
/// Confidence for an event handler with a value on a tag.
const HANDLER: f64 = 0.9;
/// Confidence for a script URL at the start of an attribute value.
const URL_ATTR: f64 = 0.95;
/// Confidence for a script URL elsewhere in an attribute value.
const URL_INSIDE: f64 = 0.85;
/// Confidence for markup inside a `srcdoc` attribute (a whole document to render).
const SRCDOC: f64 = 0.9;
/// Confidence for an element that loads a document, plug-in or base URL, or animates
/// a link or handler.
const LOADER: f64 = 0.8;
/// Confidence for old Internet Explorer data binding rendered as HTML.
const DATA_BINDING: f64 = 0.75;
/// Confidence for a style sheet link and for processing instructions old browsers
/// acted on.
const ACTIVE_INSTRUCTION: f64 = 0.7;
/// Confidence for a lone `</script>`, a probe for breaking out of a script block.
const SCRIPT_END: f64 = 0.6;
/// Confidence for markup that declares active content without visibly running any
/// (an SVG or XML island with attributes, a `<style>` sheet).
const DECLARATIVE: f64 = 0.6;
/// How much less sure a finding is when the value must first break out of an attribute.
const BREAKOUT_PENALTY: f64 = 0.05;

/// Scans `s` as HTML text and judges every tag in it.
pub(super) fn scan_data(s: &[u8]) -> Option<Finding> {
    let mut best: Option<Finding> = None;
    let mut tokens = Tokenizer::new(s);
    while let Some(tag) = tokens.next_tag() {
        Finding::keep_best(&mut best, judge_tag(s, &tag));
        if best.as_ref().is_some_and(|f| f.confidence >= SCRIPT_TAG) {
            break;
        }
    }
    best
}

/// Reads `s` as the rest of a tag after its value broke out of an attribute: from the
/// start (unquoted value) and after the first `"`, `'` and `` ` `` (quoted values).
/// Only attributes that clearly run script count here, since no `<` vouches for markup.
pub(super) fn scan_attribute_contexts(s: &[u8]) -> Option<Finding> {
    let mut best = None;
    let starts = [
        Some(0),
        quote_end(s, b'"'),
        quote_end(s, b'\''),
        quote_end(s, b'`'),
    ];
    for start in starts.into_iter().flatten() {
        let (attrs, _) = attributes(s, start);
        for attr in &attrs {
            let found = judge_attr(b"", attr).filter(|_| breakout_attr_is_script(s, attr));
            Finding::keep_best(&mut best, found.map(|f| f.weaken(BREAKOUT_PENALTY)));
        }
    }
    best
}

/// Where the text after the first `q` starts.
fn quote_end(s: &[u8], q: u8) -> Option<usize> {
    s.iter().position(|&c| c == q).map(|p| p + 1)
}

/// Outside a tag an `on…=` pair must look like a payload's handler: a plain word of
/// a name, `=` right after it (`onError = (err) => …` is code) and a call or template
/// in the value. Prose, code and query strings have `word=value` too.
fn breakout_attr_is_script(s: &[u8], attr: &Attr<'_>) -> bool {
    if !is_handler_name(attr.name) {
        // A script URL or style: only under an attribute-like name (`href`,
        // `xlink:href`), not a query parameter (`/go?next=javascript:…` is a URL).
        return attr
            .name
            .iter()
            .all(|&c| c.is_ascii_alphabetic() || c == b':' || c == b'-');
    }
    let plain = attr.name.iter().all(u8::is_ascii_alphabetic) && attr.name.len() >= 5;
    let tight = s.get(attr.start + attr.name.len()) == Some(&b'=');
    plain
        && tight
        && attr
            .value
            .is_some_and(|v| v.iter().any(|&c| matches!(c, b'(' | b'`')))
}

/// Processing instructions old Internet Explorer acted on: behaviours and style sheets
/// that carry script.
const ACTIVE_INSTRUCTIONS: &[&[u8]] = &[b"import", b"xml-stylesheet", b"xml:namespace"];

/// The strongest reason `tag` runs script, if any.
fn judge_tag(s: &[u8], tag: &Tag<'_>) -> Option<Finding> {
    let name = tag.name.to_ascii_lowercase();
    match tag.kind {
        // `</script>` alone is a probe for breaking out of a script block.
        TagKind::End => {
            return (name == b"script")
                .then(|| Finding::new(SCRIPT_END, tag.start, "endtag:script"));
        }
        TagKind::Instruction => {
            let active = ACTIVE_INSTRUCTIONS.contains(&name.as_slice());
            return active.then(|| {
                Finding::new(
                    ACTIVE_INSTRUCTION,
                    tag.start,
                    format!("pi:{}", lossy(&name)),
                )
            });
        }
        TagKind::Start => {}
    }
    let mut best = None;
    if name == b"script" {
        Finding::keep_best(
            &mut best,
            Some(Finding::new(SCRIPT_TAG, tag.start, "tag:script")),
        );
    }
    for attr in &tag.attrs {
        Finding::keep_best(&mut best, judge_attr(&name, attr));
    }
    Finding::keep_best(&mut best, judge_element(s, &name, tag));
    best
}

/// Elements dangerous by what they load or declare: frames and plug-ins with a source,
/// `<base href>`, `<link href>`, `<meta http-equiv=refresh>`, a `<style>` sheet,
/// SVG animations of links and handlers, old Internet Explorer data binding that
/// renders data as HTML, and SVG/MathML/XML islands that declare something. The same
/// elements without what makes them load anything (`<iframe>`, `<meta charset=…>`, a
/// C++ `Handle<Object>`) cannot run script and are left alone.
fn judge_element(s: &[u8], name: &[u8], tag: &Tag<'_>) -> Option<Finding> {
    let fingerprint = format!("tag:{}", lossy(name));
    let value_of = |attr: &[u8]| {
        tag.attrs
            .iter()
            .find(|a| a.name.eq_ignore_ascii_case(attr))
            .and_then(|a| a.value)
    };
    let has_any = |attrs: &[&str]| attrs.iter().any(|a| value_of(a.as_bytes()).is_some());
    if value_of(b"dataformatas").is_some_and(|v| v.eq_ignore_ascii_case(b"html")) {
        return Some(Finding::new(
            DATA_BINDING,
            tag.start,
            fingerprint + "/dataformatas",
        ));
    }
    // `<svg:svg>`, `<xml:namespace>`: judged by their namespace prefix.
    let prefix = name.split(|&c| c == b':').next().unwrap_or(name);
    let confidence = match (name, prefix) {
        (b"set" | b"animate", _) => {
            let target = value_of(b"attributename")?;
            let link = target.eq_ignore_ascii_case(b"href") || target.ends_with(b":href");
            (link || is_handler_name(target)).then_some(LOADER)?
        }
        (b"meta", _) => {
            let equiv = value_of(b"http-equiv")?;
            let active = [&b"refresh"[..], b"set-cookie", b"link"]
                .iter()
                .any(|v| equiv.eq_ignore_ascii_case(v));
            active.then_some(LOADER)?
        }
        (b"base", _) => value_of(b"href").map(|_| LOADER)?,
        (b"link", _) => value_of(b"href").map(|_| ACTIVE_INSTRUCTION)?,
        (b"style", _) => return style_element(s, tag),
        (
            b"iframe" | b"frame" | b"object" | b"embed" | b"applet" | b"layer" | b"ilayer"
            | b"bgsound" | b"portal",
            _,
        ) => {
            has_any(&["src", "data", "code", "codebase", "classid", "srcdoc"]).then_some(LOADER)?
        }
        (b"xml" | b"import" | b"isindex", _) | (_, b"svg" | b"math" | b"xml") => tag
            .attrs
            .iter()
            .any(|a| a.value.is_some())
            .then_some(DECLARATIVE)?,
        _ => return None,
    };
    Some(Finding::new(confidence, tag.start, fingerprint))
}

/// A `<style>` element: how dangerous its sheet is. The sheet runs to `</style>`;
/// looking only up to the next `<` keeps the scan linear and still sees the rules a
/// payload puts right after the tag. A sheet with rules but nothing that runs script
/// is still an injection (it can restyle or exfiltrate by selectors), but a weak one.
fn style_element(s: &[u8], tag: &Tag<'_>) -> Option<Finding> {
    let rest = s.get(tag.end..).unwrap_or_default();
    let sheet = rest
        .get(..rest.iter().position(|&c| c == b'<').unwrap_or(rest.len()))
        .unwrap_or_default();
    if let Some((confidence, what)) = style_danger(sheet) {
        return Some(Finding::new(confidence, tag.start, format!("style:{what}")));
    }
    sheet
        .contains(&b'{')
        .then(|| Finding::new(DECLARATIVE, tag.start, "tag:style"))
}

/// The strongest reason an attribute runs script, if any.
fn judge_attr(tag: &[u8], attr: &Attr<'_>) -> Option<Finding> {
    let value = attr.value?;
    let name = attr.name.to_ascii_lowercase();
    let fingerprint = |what: &str| format!("tag:{}/{}{what}", lossy(tag), lossy(&name));
    if is_handler_name(&name) && value.iter().any(|&c| !is_space(c)) {
        return Some(Finding::new(HANDLER, attr.start, fingerprint("")));
    }
    if let Some(found) = url::find(value) {
        let leading = url::skip_url_junk(value, 0) == found.start;
        let confidence = if leading { URL_ATTR } else { URL_INSIDE };
        return Some(Finding::new(
            confidence,
            attr.start,
            fingerprint(&format!("={}", found.scheme)),
        ));
    }
    if name == b"style"
        && let Some((confidence, what)) = style_danger(value)
    {
        return Some(Finding::new(
            confidence,
            attr.start,
            fingerprint(&format!(":{what}")),
        ));
    }
    if name == b"srcdoc" && has_tag_open(value) {
        return Some(Finding::new(SRCDOC, attr.start, fingerprint("")));
    }
    None
}

/// `on` followed by a letter: an event-handler attribute on any element.
fn is_handler_name(name: &[u8]) -> bool {
    name.get(..2).is_some_and(|p| p.eq_ignore_ascii_case(b"on"))
        && name.get(2).is_some_and(u8::is_ascii_alphabetic)
}

/// Whether `s` contains `<` followed by a letter (a tag a browser would parse).
fn has_tag_open(s: &[u8]) -> bool {
    s.windows(2)
        .any(|w| w[0] == b'<' && w[1].is_ascii_alphabetic())
}

/// Style sheet constructs that run script or pull in active content, searched with
/// comments, escapes' backslashes, quotes and whitespace removed (`exp/**/ression(`,
/// `\65 xpression(` after decoding, `url( "javascript:…" )`).
pub(super) fn style_danger(css: &[u8]) -> Option<(f64, &'static str)> {
    const RULES: &[(&[u8], f64, &str)] = &[
        (b"expression(", 0.9, "expression"),
        (b"javascript:", 0.9, "javascript"),
        (b"vbscript:", 0.9, "vbscript"),
        (b"-moz-binding:", 0.85, "binding"),
        (b"behavior:", 0.8, "behavior"),
        (b"@import", 0.7, "import"),
    ];
    let compact = compact_css(css);
    RULES
        .iter()
        .find(|(needle, _, _)| compact.windows(needle.len()).any(|w| w == *needle))
        .map(|&(_, confidence, what)| (confidence, what))
}

/// Lower-cases `css` and drops comments, backslashes, quotes and whitespace.
fn compact_css(css: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(css.len());
    let mut i = 0;
    while let Some(&c) = css.get(i) {
        if c == b'/' && css.get(i + 1) == Some(&b'*') {
            let body = css.get(i + 2..).unwrap_or_default();
            i += 2 + body
                .windows(2)
                .position(|w| w == b"*/")
                .map_or(body.len(), |p| p + 2);
            continue;
        }
        if !(is_space(c) || matches!(c, b'\\' | b'"' | b'\'')) {
            out.push(c.to_ascii_lowercase());
        }
        i += 1;
    }
    out
}

/// A short printable form of a name for fingerprints.
fn lossy(name: &[u8]) -> String {
    String::from_utf8_lossy(name.get(..name.len().min(24)).unwrap_or_default()).to_ascii_lowercase()
}
