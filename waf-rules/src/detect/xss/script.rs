//! Script context: a value that lands inside a `<script>` block or an event handler,
//! usually inside a JavaScript string literal.
//!
//! Prose has quotes, semicolons and parentheses too, so a call alone proves little.
//! What does is the *shape* of a breakout: a quote that closes the string, an operator
//! or `;` that continues the expression, then a call (`';alert(1)//`, `"-alert(1)-"`,
//! `'}fetch(x);{'`). Without a breakout, only calls of the functions payloads use to
//! show or steal (`alert(`, `prompt(`, `eval(`…, also written with a template literal:
//! ``alert`1` ``), references to what they steal (`document.cookie`), computed access
//! to a global (`top['al'+'ert']`) and JSFuck-style encodings count.

use super::super::bytes::{ByteSet, Pairs, pairs_of, sets_of};
use super::Finding;

/// Functions payloads call to prove execution or to run more code. JavaScript is
/// case-sensitive, so they match as written or in all lower case (some scanners
/// lower-case their payloads), never in other cases (`Prompt (y/n)` is prose).
const SINK_CALLS: &[&[u8]] = &[
    b"alert",
    b"prompt",
    b"confirm",
    b"eval",
    b"setTimeout",
    b"setInterval",
    b"execScript",
    b"msgbox",
    b"fromCharCode",
    b"atob",
];

/// How many of [`SINK_CALLS`], from the start, prove an attack on their own: payloads
/// call them and pass them around as values.
const SINK_VALUES: usize = 4;

/// Property paths payloads read or write, matched like [`SINK_CALLS`].
const SINK_PROPERTIES: &[&[u8]] = &[
    b"document.cookie",
    b"document.domain",
    b"document.write",
    b"document.location",
    b"window.location",
    b"location.href",
    b"location.hash",
    b"location.search",
    b".innerHTML",
    b".outerHTML",
    b"constructor.constructor",
    b"createElement(",
    b".appendChild(",
];

/// Global objects whose computed members reach `alert` and friends (`top['al'+'ert']`).
const GLOBALS: &[&[u8]] = &[
    b"top",
    b"self",
    b"window",
    b"parent",
    b"this",
    b"frames",
    b"globalThis",
];

/// Operators that can follow a closed string and continue the expression.
const BREAK_OPS: &[u8] = b";,+-*/%&|^)}]<>=!";

/// Confidence for a string breakout followed by a call.
const BREAKOUT: f64 = 0.9;
/// Confidence for a sink call without a breakout.
const SINK_CALL: f64 = 0.75;
/// Confidence for a sink property or a computed global member.
const SINK_PROPERTY: f64 = 0.7;
/// Confidence for JSFuck-style code.
const JSFUCK: f64 = 0.8;
/// The shortest run of `[]()!+` taken for JSFuck.
const JSFUCK_RUN: usize = 24;
/// Confidence for a JavaScript entity.
const JS_ENTITY: f64 = 0.6;
/// The longest JavaScript entity body looked at.
const JS_ENTITY_MAX: usize = 64;
/// How far [`call_end`] looks for the end of an argument list.
const CALL_SCAN: usize = 160;

/// Whether [`scan`] may find anything in a text with bytes `set`: `false` only when
/// the text has none of the bytes every finding needs. Breakouts need a quote, JSFuck
/// and computed globals a `[`, calls a `(` or `` ` ``, entities a `&`, and a sink
/// passed as a value a `=`, `(` or `,` next to it; without those, only a sink
/// property (each has a `.`, or is `createElement(`) or a sink listed after a `,`
/// remains, and its letters must occur (as written or in lower case).
pub(super) fn may_find(set: ByteSet) -> bool {
    const PROPERTIES: [ByteSet; SINK_PROPERTIES.len()] = lowercased(sets_of(SINK_PROPERTIES));
    const VALUES: [ByteSet; SINK_VALUES] = lowercased(sets_of(SINK_CALLS));
    if set.any_of(ByteSet::new(b"'\"`[(&=")) {
        return true;
    }
    let lower = set.lowercased();
    (set.has(b'.') && PROPERTIES.iter().any(|p| lower.all_of(*p)))
        || (set.has(b',') && VALUES.iter().any(|v| lower.all_of(*v)))
}

/// The first bytes of `words`, as written and lower-cased: a word found at `i` as
/// written, or as its lower-case spelling ([`is_js_word`]), starts with one of them.
const fn heads(words: &[&[u8]]) -> ByteSet {
    let mut set = ByteSet::EMPTY;
    let mut i = 0;
    while i < words.len() {
        if let Some(&b) = words[i].first() {
            set = set.with(ByteSet::new(&[b, b.to_ascii_lowercase()]));
        }
        i += 1;
    }
    set
}

/// The lower-cased version of each set.
const fn lowercased<const N: usize>(mut sets: [ByteSet; N]) -> [ByteSet; N] {
    let mut i = 0;
    while i < N {
        sets[i] = sets[i].lowercased();
        i += 1;
    }
    sets
}

/// The strongest script-context finding in `s` (whose bytes are `set`).
pub(super) fn scan(s: &[u8], set: ByteSet) -> Option<Finding> {
    const PROPERTIES: [ByteSet; SINK_PROPERTIES.len()] = lowercased(sets_of(SINK_PROPERTIES));
    const VALUES: [ByteSet; SINK_VALUES] = lowercased(sets_of(SINK_CALLS));
    // A sink (as written or in lower case) can only be found if its letters occur, and
    // a computed global only before a `[`: skip the searches that cannot succeed.
    // And each search needs its word to start at the current byte.
    const SINK_HEADS: ByteSet = heads(SINK_CALLS);
    const PROPERTY_HEADS: ByteSet = heads(SINK_PROPERTIES);
    const GLOBAL_HEADS: ByteSet = heads(GLOBALS);
    // Found as written or lower-cased, a word's lower-cased bytes and pairs of bytes
    // occur in the lower-cased text (the pairs are computed only if its bytes do).
    const VALUE_PAIRS: [Pairs; SINK_VALUES] = pairs_of(SINK_CALLS);
    const PROPERTY_PAIRS: [Pairs; SINK_PROPERTIES.len()] = pairs_of(SINK_PROPERTIES);
    let lower = set.lowercased();
    let pairs = std::cell::OnceCell::new();
    let occurs = |(set, needs): (&ByteSet, &Pairs)| {
        lower.all_of(*set) && pairs.get_or_init(|| Pairs::of_lower(s)).all_of(needs)
    };
    let sinks = VALUES.iter().zip(&VALUE_PAIRS).any(occurs);
    let properties = PROPERTIES.iter().zip(&PROPERTY_PAIRS).any(occurs);
    let globals = set.has(b'[');
    let mut best = None;
    for (i, &c) in s.iter().enumerate() {
        let found = match c {
            b'\'' | b'"' | b'`' => breakout(s, i, c),
            b'[' | b'(' | b'!' => jsfuck(s, i),
            b'&' => js_entity(s, i),
            _ if c.is_ascii_alphabetic() && starts_word(s, i) => {
                let sinks = sinks && SINK_HEADS.has(c);
                let properties = properties && PROPERTY_HEADS.has(c);
                let globals = globals && GLOBAL_HEADS.has(c);
                None.or_else(|| sinks.then(|| sink_call(s, i)).flatten())
                    .or_else(|| sinks.then(|| sink_reference(s, i)).flatten())
                    .or_else(|| properties.then(|| sink_property(s, i)).flatten())
                    .or_else(|| globals.then(|| computed_global(s, i)).flatten())
            }
            b'.' if properties => sink_property(s, i),
            _ => None,
        };
        Finding::keep_best(&mut best, found);
        if best.as_ref().is_some_and(|f| f.confidence >= BREAKOUT) {
            break;
        }
    }
    best
}

/// `'` `;` `alert(1)`: a quote, operators, then a complete call. A call of a sink is
/// enough; any other function needs an operator that starts a new expression or
/// statement (`;`, `+`, `-`, `|`, `&`) and must close the breakout the way payloads
/// do, with a comment or an operator and the quote again (`';foo(1)//`,
/// `'-foo(1)-'`), because a quote, a dash and `word(…)` also occur in prose, SQL and
/// Markdown code spans.
fn breakout(s: &[u8], at: usize, quote: u8) -> Option<Finding> {
    let ops_start = skip_space(s, at + 1);
    let ops_len = s
        .get(ops_start..)?
        .iter()
        .take(4)
        .take_while(|c| BREAK_OPS.contains(c))
        .count();
    let ops = s.get(ops_start..ops_start + ops_len)?;
    // No operator, or a `//` / `/*` comment right after the quote.
    if ops.is_empty() || ops.starts_with(b"//") || ops.starts_with(b"/*") {
        return None;
    }
    let name_start = skip_space(s, ops_start + ops_len);
    let name_end = callee(s, name_start)?;
    let open = skip_comments(s, name_end);
    // A backquote "quote" and a backquote "template" pair up as Markdown code spans.
    if quote == b'`' && s.get(open) == Some(&b'`') {
        return None;
    }
    let name = s.get(name_start..name_end)?;
    let last = name.rsplit(|&c| c == b'.').next().unwrap_or(name);
    let sink = SINK_CALLS.iter().any(|w| is_js_word(last, w));
    let found = match call_end(s, open) {
        Some(close) => {
            sink || (ops.iter().any(|c| b";+-|&".contains(c)) && closes_breakout(s, close, quote))
        }
        // A sink call cut off by the end of the value (`'); alert('XSS`).
        None => sink && s.get(open) == Some(&b'(') && s.len().saturating_sub(open) < CALL_SCAN,
    };
    found.then(|| Finding::new(BREAKOUT, at, "js:breakout"))
}

/// After a call ending at `close`, whether the payload ends the way a breakout does:
/// a `//` or `<!--` comment, or operators and the `quote` that re-opens the string.
fn closes_breakout(s: &[u8], close: usize, quote: u8) -> bool {
    let rest = s.get(skip_space(s, close)..).unwrap_or_default();
    if rest.starts_with(b"//") || rest.starts_with(b"<!--") {
        return true;
    }
    // `{` too: payloads re-open the block they closed (`'}};f(x);{{'`).
    let ops = rest
        .iter()
        .take_while(|&&c| (BREAK_OPS.contains(&c) && c != b'/') || c == b'{')
        .count();
    ops > 0 && rest.get(skip_space(rest, ops)) == Some(&quote)
}

/// A callee expression from `i`: an identifier, then `.member`s; returns its end.
fn callee(s: &[u8], mut i: usize) -> Option<usize> {
    loop {
        if !s
            .get(i)
            .is_some_and(|&c| c.is_ascii_alphabetic() || c == b'_' || c == b'$')
        {
            // Nothing, or a dangling `.`: not a callee.
            return None;
        }
        i += s.get(i..)?.iter().take_while(|&&c| is_ident(c)).count();
        if s.get(i) != Some(&b'.') {
            return Some(i);
        }
        i += 1;
    }
}

/// The index after the call whose argument list opens at `open` (`(…)` or a template
/// literal), looking at most [`CALL_SCAN`] bytes ahead; `None` if there is no call
/// there or it does not close.
fn call_end(s: &[u8], open: usize) -> Option<usize> {
    let window = s.get(open..)?;
    let window = window.get(..window.len().min(CALL_SCAN))?;
    match window.first()? {
        // A template that starts with a space is more likely Markdown (`` `eval` or `x` ``).
        b'`' if window.get(1).is_some_and(|&c| c <= b' ') => None,
        b'`' => window
            .iter()
            .skip(1)
            .position(|&c| c == b'`')
            .map(|p| open + p + 2),
        b'(' => {
            let mut depth = 0usize;
            for (k, &c) in window.iter().enumerate() {
                match c {
                    b'(' => depth += 1,
                    b')' if depth == 1 => return Some(open + k + 1),
                    b')' => depth -= 1,
                    _ => {}
                }
            }
            None
        }
        _ => None,
    }
}

/// `alert(1)`, ``alert`1` ``, `eval/**/(x)`, `alert.call(0,1)`: one of the first [`SINK_VALUES`] sinks
/// (the others are everyday API in code) called with arguments, nothing but comments
/// between the name and the call (`the prompt (or …)` is prose), and not the content
/// of a Markdown code span (`` `eval` or `STDIN` ``).
fn sink_call(s: &[u8], i: usize) -> Option<Finding> {
    let sink = sink_at(s, i, SINK_CALLS.get(..SINK_VALUES)?)?;
    let name_end = i + sink.len();
    // `alert.call(null,1)` calls it as surely as `alert(1)`.
    let method = [&b".call"[..], b".apply", b".bind"]
        .into_iter()
        .find(|m| s.get(name_end..name_end + m.len()) == Some(*m))
        .map_or(0, <[u8]>::len);
    let open = skip_comments(s, name_end + method);
    if s.get(open) == Some(&b'`') && i.checked_sub(1).and_then(|p| s.get(p)) == Some(&b'`') {
        return None;
    }
    let close = call_end(s, open)?;
    let args = s.get(open + 1..close - 1)?;
    if s.get(open) == Some(&b'(') && args.iter().all(|&c| c <= b' ') {
        return None;
    }
    Some(Finding::new(
        SINK_CALL,
        i,
        format!("js:call:{}", String::from_utf8_lossy(sink)),
    ))
}

/// A sink passed around as a value, to be called later without its name next to the
/// parentheses: `onerror=alert;throw 1`, `a=prompt,a()`, `[1].find(alert)`,
/// `Reflect.apply(alert,0,[1])`, `(alert)(1)`, `(0,alert)(1)`.
fn sink_reference(s: &[u8], i: usize) -> Option<Finding> {
    let sink = sink_at(s, i, SINK_CALLS.get(..SINK_VALUES)?)?;
    let before = |k: usize| i.checked_sub(k).and_then(|p| s.get(p)).copied();
    let after = s.get(i + sink.len()).copied();
    let assigned = before(1) == Some(b'=')
        && before(2).is_some_and(|c| is_ident(c) || c == b']')
        && after.is_some_and(|c| b";,}".contains(&c));
    let listed = matches!(before(1), Some(b'(' | b','));
    let argument = listed
        && before(2).is_some_and(|c| is_ident(c) || c == b'(')
        && matches!(after, Some(b')' | b','));
    let called =
        listed && after == Some(b')') && matches!(s.get(i + sink.len() + 1), Some(b'(' | b'`'));
    (assigned || argument || called).then(|| {
        Finding::new(
            SINK_PROPERTY,
            i,
            format!("js:ref:{}", String::from_utf8_lossy(sink)),
        )
    })
}

/// `document.cookie`, `.innerHTML`, `constructor.constructor`…
fn sink_property(s: &[u8], i: usize) -> Option<Finding> {
    let prop = sink_at(s, i, SINK_PROPERTIES)?;
    let name = String::from_utf8_lossy(prop.strip_prefix(b".").unwrap_or(prop))
        .trim_end_matches('(')
        .to_owned();
    Some(Finding::new(SINK_PROPERTY, i, format!("js:prop:{name}")))
}

/// `top['al'+'ert']`, `self["alert"]`, ``window[`ev`+`al`]``, `top[/al/.source+…]`:
/// a global indexed by a string or a regular expression's source.
fn computed_global(s: &[u8], i: usize) -> Option<Finding> {
    let global = GLOBALS.iter().find(|w| s.get(i..i + w.len()) == Some(w))?;
    let rest = s.get(i + global.len()..)?;
    let quoted =
        rest.first() == Some(&b'[') && matches!(rest.get(1), Some(b'\'' | b'"' | b'`' | b'/'));
    quoted.then(|| {
        Finding::new(
            SINK_PROPERTY,
            i,
            format!("js:global:{}", String::from_utf8_lossy(global)),
        )
    })
}

/// `&{alert(1)};`: a JavaScript entity, which Netscape 4 evaluated inside HTML and
/// which the classic XSS locator probe (`'';!--"<XSS>=&{()}`) still carries.
fn js_entity(s: &[u8], i: usize) -> Option<Finding> {
    let body = s.get(i + 1..)?.strip_prefix(b"{")?;
    let body = body.get(..body.len().min(JS_ENTITY_MAX))?;
    let close = body.iter().position(|&c| c == b'}')?;
    let code = body.get(..close)?;
    code.contains(&b'(')
        .then(|| Finding::new(JS_ENTITY, i, "js:entity"))
}

/// A long run of JSFuck's six characters that uses both brackets and `!` or `+`.
fn jsfuck(s: &[u8], i: usize) -> Option<Finding> {
    if i > 0 && s.get(i - 1).is_some_and(|c| b"[]()!+".contains(c)) {
        return None;
    }
    let run = s
        .get(i..)?
        .iter()
        .take_while(|c| b"[]()!+".contains(c))
        .count();
    let text = s.get(i..i + run)?;
    let mixed = text.contains(&b'[') && (text.contains(&b'!') || text.contains(&b'+'));
    (run >= JSFUCK_RUN && mixed).then(|| Finding::new(JSFUCK, i, "js:jsfuck"))
}

/// The word of `words` at `i`, if it is not followed by more identifier characters.
fn sink_at(s: &[u8], i: usize, words: &[&'static [u8]]) -> Option<&'static [u8]> {
    // `is_js_word` needs the first byte as written or lower-cased.
    let first = *s.get(i)?;
    words.iter().copied().find(|w| {
        let head = w.first().copied().unwrap_or_default();
        if first != head && first != head.to_ascii_lowercase() {
            return false;
        }
        let whole = !w.last().is_some_and(|&c| is_ident(c))
            || !s.get(i + w.len()).is_some_and(|&c| is_ident(c));
        whole
            && s.get(i..i + w.len())
                .is_some_and(|found| is_js_word(found, w))
    })
}

/// Whether `found` is `word` as written or in all lower case.
fn is_js_word(found: &[u8], word: &[u8]) -> bool {
    found == word || (found.eq_ignore_ascii_case(word) && !found.iter().any(u8::is_ascii_uppercase))
}

/// Whether an identifier starts at `i` (the byte before is not part of one).
fn starts_word(s: &[u8], i: usize) -> bool {
    i == 0 || !s.get(i - 1).is_some_and(|&c| is_ident(c))
}

/// JavaScript identifier bytes (ASCII part).
fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'$'
}

/// Skips spaces and control characters.
fn skip_space(s: &[u8], mut i: usize) -> usize {
    while s.get(i).is_some_and(|&c| c <= b' ') {
        i += 1;
    }
    i
}

/// Skips up to four `/* … */` comments of at most 64 bytes each (`alert/**/(1)`).
fn skip_comments(s: &[u8], mut i: usize) -> usize {
    for _ in 0..4 {
        if s.get(i..i + 2) != Some(b"/*") {
            break;
        }
        let body = s.get(i + 2..).unwrap_or_default();
        let body = body.get(..body.len().min(64)).unwrap_or_default();
        match body.windows(2).position(|w| w == b"*/") {
            Some(p) => i += 2 + p + 2,
            None => break,
        }
    }
    i
}
