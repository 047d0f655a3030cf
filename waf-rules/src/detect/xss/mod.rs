//! Cross-site scripting: values that would run script if a page reflected them.
//!
//! A reflected value can land in four places, and each needs a different proof:
//!
//! * **HTML text** — a tag that runs script: `<script>`, an event handler on any element
//!   (`<svg onload=…>`, `<x onfocusin=…>`), a script URL in an attribute
//!   (`<a href=javascript:…>`), a style that runs script, or an element that loads
//!   active content (`<iframe>`, `<object>`, `<base href>`, `<meta http-equiv=refresh>`).
//!   See [`markup`] (the judgement) and [`html`] (the tokenizer).
//! * **inside an attribute** — a value that closes the attribute and adds a handler
//!   (`" autofocus onfocus=alert(1) x="`).
//! * **a URL** — the whole value is a script URL (`javascript:`, `vbscript:`,
//!   `data:text/html,…`), or one appears after a word boundary (see [`url`]).
//! * **inside a script** — a string breakout followed by a call (`';alert(1)//`) or the
//!   calls and properties payloads use (see [`script`]).
//!
//! Payloads hide behind encodings, so every analysis runs on the value as received and
//! on one and two layers of decoding (percent, HTML references, JavaScript and CSS
//! escapes; see [`decode`]), and the strongest finding wins.
//!
//! Plain formatting markup (`<b>bold</b>`, `<a href="https://…">`, `<p class=x>`) and
//! text with `<` and `>` (`a < b and c > d`, `I <3 you`, `>:(`) are *not* attacks:
//! they cannot run script, and user content legitimately contains them.
//!
//! Confidence: a script tag, an event handler on a tag or a script URL in an attribute
//! 0.9–0.95; a string breakout into a call, or into a handler without a tag, 0.85–0.9;
//! a script URL as the value 0.8–0.9; an element that loads content 0.7–0.8; script
//! sinks without any breakout 0.7–0.75; weak probes (`</script>` alone, an SVG island,
//! a value that is only an encoded `<`) 0.55–0.6.

mod decode;
mod html;
mod markup;
mod script;
mod url;

#[cfg(test)]
mod tests;

use super::Detection;
use super::bytes::ByteSet;

/// Confidence for a whole value that is a script URL with a body.
const URL_VALUE: f64 = 0.9;
/// Confidence for a script URL after a word boundary inside a value.
const URL_INSIDE: f64 = 0.8;
/// Confidence for a value that is only an encoded `<`.
const ENCODED_PROBE: f64 = 0.55;
/// Findings at least this sure end the search early.
const SURE: f64 = 0.95;

/// Detects cross-site scripting in one value.
///
/// ```
/// use waf_rules::detect;
///
/// assert!(detect::xss(b"<svg/onload=alert(1)>").is_some());
/// assert!(detect::xss(b"\"><script>alert(1)</script>").is_some());
/// assert!(detect::xss(b"javascript:alert(document.cookie)").is_some());
/// assert!(detect::xss(b"I <3 you, a < b and c > d").is_none());
/// assert!(detect::xss(b"<b>great</b> product").is_none());
/// ```
pub fn xss(input: &[u8]) -> Option<Detection> {
    let set = ByteSet::of(input);
    if !decode::may_change(set) {
        // Fast path: decoding gives back `input`, so every view is `input` and an
        // analysis of the same bytes finds nothing surer the second time; and `input`
        // is no encoded `<` (its decoding is itself).
        let found = analyse(input, set)?;
        let fragment = input.get(found.start..).unwrap_or_default();
        return Some(Detection::new(
            found.confidence,
            fragment,
            found.fingerprint,
        ));
    }
    let once = decode::decode_once(input);
    let twice = (once != input)
        .then(|| decode::decode_once(&once))
        .filter(|t| *t != once);
    let views = [Some(input), Some(once.as_slice()), twice.as_deref()];
    let mut best: Option<(Finding, &[u8])> = None;
    for view in views.into_iter().flatten() {
        if let Some(found) = analyse(view, ByteSet::of(view))
            && best
                .as_ref()
                .is_none_or(|(b, _)| found.confidence > b.confidence)
        {
            let sure = found.confidence >= SURE;
            best = Some((found, view));
            if sure {
                break;
            }
        }
    }
    if best.is_none() {
        best = encoded_angle_probe(input, &views);
    }
    let (found, view) = best?;
    let fragment = view.get(found.start..).unwrap_or_default();
    Some(Detection::new(
        found.confidence,
        fragment,
        found.fingerprint,
    ))
}

/// Runs every context's analysis on one view of the value (whose bytes are `set`).
fn analyse(s: &[u8], set: ByteSet) -> Option<Finding> {
    // Fast path: an analysis runs only if the view has what all its findings need
    // (see [`markup::scan_data`], [`markup::scan_attribute_contexts`], [`url_context`]
    // and [`script::may_find`]); one that cannot find anything is skipped.
    // A tag needs a `<`; an attribute's value needs a `=`; a script URL its `:`.
    let mut best = if set.has(b'<') {
        markup::scan_data(s)
    } else {
        None
    };
    let sure = |best: &Option<Finding>| best.as_ref().is_some_and(|f| f.confidence >= SURE);
    if !sure(&best) && set.has(b'=') {
        Finding::keep_best(&mut best, markup::scan_attribute_contexts(s));
    }
    if !sure(&best) && set.has(b':') {
        Finding::keep_best(&mut best, url_context(s));
    }
    if !sure(&best) && script::may_find(set) {
        Finding::keep_best(&mut best, script::scan(s, set));
    }
    best
}

/// A value that is nothing but an encoded `<` (`&#x3C;`, `\u003c`, `&lt`): a probe
/// for whether the application decodes what it reflects. Text that merely mentions
/// `&lt;` among other words is not one.
fn encoded_angle_probe<'a>(
    input: &[u8],
    views: &[Option<&'a [u8]>],
) -> Option<(Finding, &'a [u8])> {
    if input.trim_ascii() == b"<" {
        return None;
    }
    let view = views.iter().flatten().find(|v| v.trim_ascii() == b"<")?;
    Some((Finding::new(ENCODED_PROBE, 0, "probe:encoded-lt"), view))
}

/// A script URL as the whole value, or after a word boundary inside it, whose body
/// looks like code: it starts right after the colon (tabs and line breaks aside, which
/// browsers drop) and has a call, an assignment, an index or a `//` comment. Prose
/// such as `JavaScript: the good parts` has a space there, or no code after it.
fn url_context(s: &[u8]) -> Option<Finding> {
    let start = url::skip_url_junk(s, 0);
    let (found, whole) = match url::at(s, start) {
        Some(found) => (found, true),
        None => (url::find(s)?, false),
    };
    let body_start = found.body
        + s.get(found.body..)?
            .iter()
            .take_while(|c| b"\t\n\r".contains(c))
            .count();
    let body = s.get(body_start..).unwrap_or_default();
    let code = body.first().is_some_and(|&c| c > b' ')
        && (body.starts_with(b"//")
            || body.iter().any(|c| b"(`=[".contains(c))
            || found.scheme == "data");
    if !code {
        return None;
    }
    let confidence = if whole { URL_VALUE } else { URL_INSIDE };
    Some(Finding::new(
        confidence,
        found.start,
        format!("url:{}", found.scheme),
    ))
}

/// One reason to think a view of the value is an attack.
#[derive(Debug, Clone, PartialEq)]
struct Finding {
    /// How sure, in [0, 1].
    confidence: f64,
    /// Where the dangerous construct starts in the view.
    start: usize,
    /// Its shape, e.g. `tag:svg/onload`.
    fingerprint: String,
}

impl Finding {
    /// A finding.
    fn new(confidence: f64, start: usize, fingerprint: impl Into<String>) -> Self {
        Self {
            confidence,
            start,
            fingerprint: fingerprint.into(),
        }
    }

    /// The same finding, `by` less sure.
    fn weaken(mut self, by: f64) -> Self {
        self.confidence -= by;
        self
    }

    /// Replaces `best` with `candidate` if the candidate is surer.
    fn keep_best(best: &mut Option<Finding>, candidate: Option<Finding>) {
        if let Some(c) = candidate
            && best.as_ref().is_none_or(|b| c.confidence > b.confidence)
        {
            *best = Some(c);
        }
    }
}
