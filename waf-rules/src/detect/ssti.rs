//! Server-side template injection.
//!
//! A template engine evaluates whatever sits between its delimiters, so an attacker who
//! gets `{{7*7}}` or `${T(java.lang.Runtime).getRuntime().exec('id')}` into a template
//! runs code on the server. Plain text rarely contains template delimiters, but a
//! `${price}` or `{{name}}` placeholder alone is harmless and does occur, so the
//! detector requires an *expression* inside the delimiters, not just the delimiters.
//!
//! It finds the delimiter pairs of the common engines (Jinja/Twig/Handlebars/Angular
//! `{{…}}` and `{%…%}`, EL/FreeMarker/Mako/Thymeleaf/Pug `${…}` `#{…}` `*{…}` `@{…}`
//! `~{…}`, ERB/JSP/EJS `<%…%>`, Smarty `{…}`, Razor `@(…)`) and tokenizes the content
//! with a small expression lexer, collecting evidence: Python dunders (`__class__`),
//! calls (`x(`), arithmetic between literals (`7*7`), filters (`x|attr`), attribute
//! chains (`a.b.c`), constructors (`new X`, SpEL `T(X)`, FreeMarker `?new()`), and
//! well-known template globals (`config`, `request`, `_self`, …). Directive syntaxes
//! that only templates use are recognised too: Velocity `#set(`, FreeMarker
//! `<#assign`, Smarty `{php}`.
//!
//! Every scan resumes after the closing delimiter it found, so each delimiter kind
//! looks at each byte once: time is linear in the input.

use super::Detection;
use super::bytes::ByteSet;
use super::jndi::{find, on_renderings};

/// Names of template globals and language objects that lead to code execution.
/// Finding one as an expression root is evidence even without an operator.
const DANGEROUS_ROOTS: &[&[u8]] = &[
    b"config",
    b"request",
    b"self",
    b"_self",
    b"this",
    b"settings",
    b"app",
    b"session",
    b"env",
    b"environ",
    b"os",
    b"sys",
    b"subprocess",
    b"builtins",
    b"globals",
    b"_context",
    b"lipsum",
    b"cycler",
    b"joiner",
    b"namespace",
    b"url_for",
    b"get_flashed_messages",
    b"class",
    b"constructor",
    b"process",
    b"global",
    b"runtime",
    b"java",
    b"javax",
    b"freemarker",
    b"pagecontext",
    b"application",
    b"servletcontext",
    b"object",
    b"dump",
    b"_charset",
    b"range",
    b"sessionscope",
    b"requestscope",
    b"applicationscope",
    b"pagescope",
    b"initparam",
];

/// Words that load code or modules inside an expression.
const LOADERS: &[&[u8]] = &[b"import", b"require", b"include", b"load"];

/// FreeMarker built-ins that build objects or evaluate text (`"…"?new()`).
const FREEMARKER_BUILTINS: &[&[u8]] = &[b"new", b"eval", b"api", b"interpret"];

/// Velocity directives that take a `(` argument list.
const VELOCITY_DIRECTIVES: &[&[u8]] = &[
    b"set",
    b"foreach",
    b"if",
    b"elseif",
    b"evaluate",
    b"define",
    b"macro",
    b"parse",
    b"include",
];

/// FreeMarker directives (`<#assign …>`, `[#assign …]`).
const FREEMARKER_DIRECTIVES: &[&[u8]] = &[
    b"assign",
    b"list",
    b"if",
    b"include",
    b"import",
    b"macro",
    b"function",
    b"ftl",
    b"global",
    b"local",
    b"setting",
    b"attempt",
    b"visit",
];

/// Smarty tags that only a template engine understands.
const SMARTY_TAGS: &[&[u8]] = &[b"php", b"/php", b"literal", b"/literal"];

/// Smarty tags whose condition is an expression: `{if system('id')}`.
const SMARTY_CONDITIONS: &[&[u8]] = &[b"if", b"elseif", b"while"];

/// Longest `{…}` content read as Smarty arithmetic.
const MAX_SMARTY_MATH: usize = 32;

/// Longest expression content that is analysed; longer content is cut.
const MAX_CONTENT: usize = 4096;

/// Longest content read after an opener whose closing delimiter is missing: truncated
/// payloads are short, and a stray `{{` in a long text is not an expression.
const MAX_UNCLOSED: usize = 256;

/// Detects server-side template injection in `input` (also read percent-decoded and
/// form-decoded, for values the request parser leaves encoded).
pub fn ssti(input: &[u8]) -> Option<Detection> {
    on_renderings(input, detect)
}

fn detect(input: &[u8]) -> Option<Detection> {
    // Each scanner with the bytes one of which (`any`) or all of which (`all`) every
    // one of its hits contains: a delimiter byte, or all bytes of its opener. A scanner
    // whose bytes are missing finds nothing and is skipped, which keeps the best hit.
    const SCANNERS: [(Needs, Scanner); 10] = [
        (Needs::All(ByteSet::new(b"{{")), scan_double_curly),
        // `${`, `#{`, `*{`, `@{`, `~{`, `%{`.
        (Needs::All(ByteSet::new(b"{")), scan_dollar_like),
        (Needs::All(ByteSet::new(b"<%")), scan_percent_tags),
        (Needs::All(ByteSet::new(b"{%")), scan_statement_tags),
        // `#directive(` or `$var.method(`.
        (Needs::Any(ByteSet::new(b"#$")), scan_velocity),
        (Needs::All(ByteSet::new(b"#")), scan_freemarker),
        (Needs::All(ByteSet::new(b"{")), scan_smarty),
        (Needs::All(ByteSet::new(b"@(")), scan_razor),
        (Needs::All(ByteSet::new(b"?new(")), scan_freemarker_new),
        // Four different openers: at most two (`<%`, `%>`) have no brace.
        (Needs::Any(ByteSet::new(b"{}")), scan_polyglot),
    ];
    let set = ByteSet::of(input);
    let mut best: Option<Hit> = None;
    for (needs, scan) in SCANNERS {
        let possible = match needs {
            Needs::Any(bytes) => set.any_of(bytes),
            Needs::All(bytes) => set.all_of(bytes),
        };
        if !possible {
            continue;
        }
        if let Some(hit) = scan(input)
            && best.as_ref().is_none_or(|b| hit.confidence > b.confidence)
        {
            best = Some(hit);
        }
    }
    best.map(|h| {
        let fragment = input.get(h.start..h.end).unwrap_or(input);
        Detection::new(h.confidence, fragment, h.fingerprint)
    })
}

/// A scan for one template syntax.
type Scanner = fn(&[u8]) -> Option<Hit>;

/// Bytes a scanner's hits contain: one of them, or all of them.
#[derive(Clone, Copy)]
enum Needs {
    Any(ByteSet),
    All(ByteSet),
}

/// One piece of evidence: where it is and how strong.
struct Hit {
    confidence: f64,
    start: usize,
    end: usize,
    fingerprint: String,
}

/// What the expression lexer saw inside a pair of delimiters.
#[derive(Default)]
struct Evidence {
    /// A Python dunder (`__class__`, `_TemplateReference__context`).
    dunder: bool,
    /// A constructor or loader: `new X`, SpEL `T(x)`, `?new()`, `import os`.
    construct: bool,
    /// A call: `name(` or `)(`.
    call: bool,
    /// Arithmetic between literals: `7*7`, `7*'7'`.
    arith: bool,
    /// A filter: `x|attr`.
    filter: bool,
    /// An attribute chain or subscript: `a.b`, `a[0]`, `.Field`.
    dotted: bool,
    /// A dangerous global used as a root (`config`, `request.application`).
    danger: bool,
    /// Number of identifiers.
    idents: usize,
    /// Number of string literals.
    strings: usize,
    /// Number of other tokens (operators, literals, punctuation).
    others: usize,
}

impl Evidence {
    /// The strongest reason to believe this is an expression meant to run, with a
    /// name for the fingerprint. `strict` demands more than a bare chain (for `${…}`,
    /// which also appears in shell, JavaScript and configuration text).
    fn score(&self, strict: bool) -> (f64, &'static str) {
        let lone_ident = self.idents == 1 && self.others == 0;
        if self.dunder {
            (0.95, "dunder")
        } else if self.construct {
            (0.9, "construct")
        } else if self.call {
            (0.85, "call")
        } else if self.arith {
            (0.85, "arith")
        } else if self.danger && (self.dotted || self.filter || lone_ident) {
            (0.75, "global")
        } else if self.filter && !strict {
            (0.7, "filter")
        } else if self.dotted && !strict {
            (0.6, "attr")
        } else if self.strings > 0 && self.idents == 0 && self.others == self.strings && !strict {
            // `{{ '<script>…' }}`: a literal printed by the engine, not prose.
            (0.6, "literal")
        } else {
            (0.0, "")
        }
    }
}

/// Lexer token classes, as far as the evidence needs them.
#[derive(Clone, Copy, PartialEq)]
enum Tok {
    Start,
    Ident,
    Number,
    Str,
    Arith,
    Pipe,
    Dot,
    Question,
    Close,
    Other,
}

/// Tokenizes template expression `content` and collects [`Evidence`].
fn analyze(content: &[u8]) -> Evidence {
    let content = content.get(..MAX_CONTENT).unwrap_or(content);
    let mut ev = Evidence::default();
    let (mut prev, mut prev2) = (Tok::Start, Tok::Start);
    let mut prev_word: &[u8] = b"";
    let mut adjacent = false;
    // `import` / `require` opening the expression, waiting for what it loads.
    let mut loader = false;
    let mut i = 0;
    while let Some(&c) = content.get(i) {
        if c.is_ascii_whitespace() {
            adjacent = false;
            i += 1;
            continue;
        }
        let start = i;
        let loads = std::mem::take(&mut loader);
        let tok = if is_ident_start(c) {
            i = ident_end(content, i);
            let word = content.get(start..i).unwrap_or_default();
            ident_evidence(&mut ev, word, content.get(i).copied(), prev, prev_word);
            ev.construct |= loads;
            loader = prev == Tok::Start && LOADERS.contains(&word.to_ascii_lowercase().as_slice());
            prev_word = word;
            Tok::Ident
        } else if c.is_ascii_digit() {
            while content
                .get(i)
                .is_some_and(|b| b.is_ascii_digit() || *b == b'.')
            {
                i += 1;
            }
            ev.arith |= prev == Tok::Arith && matches!(prev2, Tok::Number | Tok::Str);
            Tok::Number
        } else if c == b'\'' || c == b'"' || c == b'`' {
            i = string_end(content, i);
            ev.construct |= loads;
            ev.strings += 1;
            ev.arith |= prev == Tok::Arith && prev2 == Tok::Number;
            Tok::Str
        } else {
            i += 1;
            punct_token(&mut ev, c, content.get(i).copied(), prev, adjacent)
        };
        if tok != Tok::Ident {
            ev.others += 1;
        }
        prev2 = prev;
        prev = tok;
        adjacent = true;
    }
    ev
}

/// Evidence from one identifier `word`, followed by byte `next`.
fn ident_evidence(ev: &mut Evidence, word: &[u8], next: Option<u8>, prev: Tok, prev_word: &[u8]) {
    ev.idents += 1;
    let lower = word.to_ascii_lowercase();
    ev.dunder |= is_dunder(word);
    ev.dotted |= prev == Tok::Dot;
    ev.filter |= prev == Tok::Pipe;
    ev.call |= next == Some(b'(') && word != b"T";
    ev.construct |= word == b"T" && next == Some(b'(');
    ev.construct |= prev == Tok::Question && FREEMARKER_BUILTINS.contains(&lower.as_slice());
    ev.construct |= prev == Tok::Ident && prev_word == b"new";
    if prev != Tok::Dot && DANGEROUS_ROOTS.contains(&lower.as_slice()) {
        ev.danger = true;
    }
}

/// Evidence from one punctuation byte `c`, followed by `next`.
fn punct_token(ev: &mut Evidence, c: u8, next: Option<u8>, prev: Tok, adjacent: bool) -> Tok {
    let after_value = adjacent && matches!(prev, Tok::Ident | Tok::Close | Tok::Str);
    match c {
        b'(' => {
            ev.call |= adjacent && prev == Tok::Close;
            Tok::Other
        }
        b'[' => {
            ev.dotted |= after_value;
            Tok::Other
        }
        b')' | b']' => Tok::Close,
        b'.' => {
            // `.Field` at the start is Go's template dot.
            ev.dotted |= prev == Tok::Start && next.is_some_and(is_ident_start);
            Tok::Dot
        }
        b'|' if next != Some(b'|') && prev != Tok::Pipe => Tok::Pipe,
        b'*' | b'+' | b'-' | b'/' | b'%' => Tok::Arith,
        b'?' => Tok::Question,
        _ => Tok::Other,
    }
}

fn is_ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_'
}

fn ident_end(s: &[u8], mut i: usize) -> usize {
    while s
        .get(i)
        .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_')
    {
        i += 1;
    }
    i
}

/// A Python double-underscore name: `__class__`, or a mangled `_Foo__bar`.
fn is_dunder(word: &[u8]) -> bool {
    word.len() >= 4
        && word.windows(3).any(|w| {
            w.first() == Some(&b'_')
                && w.get(1) == Some(&b'_')
                && w.get(2).is_some_and(u8::is_ascii_alphabetic)
        })
}

/// The index after the string literal starting at `i` (or the end of `s`).
fn string_end(s: &[u8], i: usize) -> usize {
    let quote = s.get(i).copied();
    let mut j = i + 1;
    while let Some(&c) = s.get(j) {
        if c == b'\\' {
            j += 2;
            continue;
        }
        if Some(c) == quote {
            return j + 1;
        }
        j += 1;
    }
    s.len()
}

/// Keeps the stronger of two hits.
fn stronger(a: Option<Hit>, b: Option<Hit>) -> Option<Hit> {
    match (a, b) {
        (Some(a), Some(b)) => Some(if b.confidence > a.confidence { b } else { a }),
        (a, b) => a.or(b),
    }
}

/// Builds a hit when `confidence` reaches the reporting threshold.
fn hit(confidence: f64, start: usize, end: usize, kind: &str, why: &str) -> Option<Hit> {
    (confidence >= 0.5).then(|| Hit {
        confidence,
        start,
        end,
        fingerprint: format!("{kind}:{why}"),
    })
}

/// Confidence lost when the closing delimiter is missing (truncated or unbalanced).
const UNCLOSED_PENALTY: f64 = 0.1;

/// `{{ … }}`: Jinja, Twig, Handlebars, Angular, Go, Pebble, Nunjucks, doT.
fn scan_double_curly(input: &[u8]) -> Option<Hit> {
    let mut best = None;
    let mut from = 0;
    while let Some(open) = find(input, b"{{", from) {
        let body = open + 2;
        let (content, end, closed) = match find(input, b"}}", body) {
            Some(close) => (input.get(body..close).unwrap_or_default(), close + 2, true),
            None => (unclosed(input, body), input.len(), false),
        };
        let (mut confidence, mut why) = analyze(content).score(false);
        let (block, block_why) = block_helper(content);
        if block > confidence {
            (confidence, why) = (block, block_why);
        }
        if !closed {
            confidence -= UNCLOSED_PENALTY;
        }
        best = stronger(best, hit(confidence, open, end, "{{}}", why));
        from = end;
    }
    best
}

/// Handlebars/Mustache/doT tags: `{{#with …}}`, `{{/each}}`, `{{> partial}}`, `{{= x}}`.
fn block_helper(content: &[u8]) -> (f64, &'static str) {
    let trimmed = trim_start(content);
    match trimmed.split_first() {
        Some((b'#' | b'/' | b'>' | b'=', rest))
            if trim_start(rest).first().is_some_and(|&c| is_ident_start(c)) =>
        {
            (0.6, "block")
        }
        _ => (0.0, ""),
    }
}

/// The content after an opener at `body` that has no closing delimiter.
fn unclosed(input: &[u8], body: usize) -> &[u8] {
    input
        .get(body..(body + MAX_UNCLOSED).min(input.len()))
        .unwrap_or_default()
}

fn trim_start(s: &[u8]) -> &[u8] {
    let n = s.iter().take_while(|c| c.is_ascii_whitespace()).count();
    s.get(n..).unwrap_or_default()
}

/// `${…}`, `#{…}`, `*{…}`, `@{…}`, `~{…}`, `%{…}`: EL, SpEL, FreeMarker, Mako,
/// Thymeleaf, Pug, OGNL.
fn scan_dollar_like(input: &[u8]) -> Option<Hit> {
    let mut best = None;
    let mut i = 0;
    while let Some(pair) = input.get(i..i + 2) {
        let opens = matches!(pair.first(), Some(b'$' | b'#' | b'*' | b'@' | b'~' | b'%'))
            && pair.get(1) == Some(&b'{');
        if !opens {
            i += 1;
            continue;
        }
        let body = i + 2;
        let (close, closed) = match matching_brace(input, body) {
            Some(c) => (c, true),
            None => (input.len(), false),
        };
        let content = if closed {
            input.get(body..close).unwrap_or_default()
        } else {
            unclosed(input, body)
        };
        let (mut confidence, why) = analyze(content).score(true);
        if !closed {
            confidence -= UNCLOSED_PENALTY;
        }
        let end = (close + 1).min(input.len());
        best = stronger(best, hit(confidence, i, end, "${}", why));
        i = end.max(i + 1);
    }
    best
}

/// The index of the `}` closing a brace opened just before `from`, skipping nested
/// braces and string literals.
fn matching_brace(s: &[u8], from: usize) -> Option<usize> {
    let mut depth = 1usize;
    // Quote kinds known to have no closing partner further on (`'`, `"`).
    let mut unpaired = [false; 2];
    let mut i = from;
    while let Some(&c) = s.get(i) {
        match c {
            b'\'' | b'"' => {
                let kind = usize::from(c == b'"');
                let end = if unpaired[kind] {
                    s.len()
                } else {
                    string_end(s, i)
                };
                // An unbalanced quote is probably an apostrophe: skip only the quote,
                // and remember it so that later quotes do not rescan the rest.
                if end >= s.len() {
                    unpaired[kind] = true;
                    i += 1;
                } else {
                    i = end;
                }
                continue;
            }
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// `<% … %>` / `<%= … %>`: ERB, JSP, EJS, ASP, Mako blocks.
fn scan_percent_tags(input: &[u8]) -> Option<Hit> {
    let mut best = None;
    let mut from = 0;
    while let Some(open) = find(input, b"<%", from) {
        let body = open + 2;
        let (content, end, closed) = match find(input, b"%>", body) {
            Some(close) => (input.get(body..close).unwrap_or_default(), close + 2, true),
            None => (unclosed(input, body), input.len(), false),
        };
        let content = content.strip_prefix(b"=").unwrap_or(content);
        let ev = analyze(content);
        let (mut confidence, mut why) = ev.score(false);
        if confidence == 0.0 && ev.danger {
            (confidence, why) = (0.7, "global");
        }
        if !closed {
            confidence -= UNCLOSED_PENALTY;
        }
        best = stronger(best, hit(confidence, open, end, "<%%>", why));
        from = end;
    }
    best
}

/// `{% tag … %}`: Jinja, Twig, Django, Liquid, Tornado statements.
fn scan_statement_tags(input: &[u8]) -> Option<Hit> {
    let mut best = None;
    let mut from = 0;
    while let Some(open) = find(input, b"{%", from) {
        let body = open + 2;
        let Some(close) = find(input, b"%}", body) else {
            break;
        };
        let content = input.get(body..close).unwrap_or_default();
        let trimmed = trim_start(content.strip_prefix(b"-").unwrap_or(content));
        let is_tag = trimmed.first().is_some_and(|&c| is_ident_start(c));
        let (expr, why) = analyze(content).score(false);
        let (confidence, why) = match (is_tag, expr > 0.0) {
            (true, true) => (expr.max(0.8), why),
            (true, false) => (0.7, "tag"),
            _ => (0.0, ""),
        };
        best = stronger(best, hit(confidence, open, close + 2, "{%%}", why));
        from = close + 2;
    }
    best
}

/// Velocity: `#set($x = …)`, `#foreach(…)`, and `$var.method(` calls.
fn scan_velocity(input: &[u8]) -> Option<Hit> {
    let mut i = 0;
    while let Some(&c) = input.get(i) {
        let word_start = i + 1;
        let word_end = ident_end(input, word_start);
        let word = input.get(word_start..word_end).unwrap_or_default();
        if c == b'#' && VELOCITY_DIRECTIVES.contains(&word.to_ascii_lowercase().as_slice()) {
            let args = trim_start(input.get(word_end..).unwrap_or_default());
            if args.starts_with(b"(")
                && trim_start(args.get(1..).unwrap_or_default()).starts_with(b"$")
            {
                return hit(0.85, i, word_end + 2, "velocity", "directive");
            }
        }
        let named = input.get(word_start).is_some_and(|&c| is_ident_start(c));
        if c == b'$' && named && input.get(word_end) == Some(&b'.') {
            let method_end = ident_end(input, word_end + 1);
            let method = input.get(word_end + 1).is_some_and(|&c| is_ident_start(c));
            // Velocity passes strings and references: `$class.inspect("java.lang.Runtime")`.
            let argument = matches!(input.get(method_end + 1), Some(b'"' | b'\'' | b'$'));
            if method && input.get(method_end) == Some(&b'(') && argument {
                return hit(0.75, i, method_end + 1, "velocity", "method");
            }
        }
        i = if word_end > word_start {
            word_end
        } else {
            i + 1
        };
    }
    None
}

/// FreeMarker directives: `<#assign …>`, `[#assign …]`.
fn scan_freemarker(input: &[u8]) -> Option<Hit> {
    let mut from = 0;
    while let Some(pos) = find(input, b"#", from) {
        let opener = pos.checked_sub(1).and_then(|p| input.get(p));
        let word_end = ident_end(input, pos + 1);
        let word = input.get(pos + 1..word_end).unwrap_or_default();
        let directive = FREEMARKER_DIRECTIVES.contains(&word.to_ascii_lowercase().as_slice());
        if matches!(opener, Some(b'<' | b'['))
            && directive
            && input.get(word_end).is_some_and(u8::is_ascii_whitespace)
        {
            return hit(0.85, pos - 1, word_end, "freemarker", "directive");
        }
        from = pos + 1;
    }
    None
}

/// FreeMarker's object constructor anywhere: `"freemarker.template.utility.Execute"?new()`.
fn scan_freemarker_new(input: &[u8]) -> Option<Hit> {
    let mut from = 0;
    while let Some(pos) = find(input, b"?new(", from) {
        let before = pos.checked_sub(1).and_then(|p| input.get(p));
        if matches!(before, Some(b'"' | b'\'' | b')' | b']')) {
            return hit(0.9, pos.saturating_sub(40), pos + 5, "freemarker", "new");
        }
        from = pos + 1;
    }
    None
}

/// Smarty: `{php}`, `{$smarty.version}`, `{system('id')}`, `{Class::method(…)}`.
fn scan_smarty(input: &[u8]) -> Option<Hit> {
    let mut from = 0;
    // The next `}` at or after the current brace, cached so braces never rescan.
    let mut next_close: Option<usize> = None;
    while let Some(open) = find(input, b"{", from) {
        from = open + 1;
        // `{{` and `${` belong to other scanners.
        if input.get(open + 1) == Some(&b'{')
            || open.checked_sub(1).and_then(|p| input.get(p)) == Some(&b'$')
        {
            continue;
        }
        if next_close.is_none_or(|c| c < open) {
            next_close = find(input, b"}", open);
        }
        let Some(close) = next_close else {
            break;
        };
        let tag = input.get(open + 1..close).unwrap_or_default();
        if tag.len() <= 8 && SMARTY_TAGS.contains(&tag.to_ascii_lowercase().as_slice()) {
            return hit(0.85, open, close + 1, "smarty", "tag");
        }
        let dollar = tag.first() == Some(&b'$');
        let name_start = usize::from(dollar);
        let name_end = ident_end(tag, name_start);
        if !tag.get(name_start).is_some_and(|&c| is_ident_start(c)) {
            // `{7*7}`: Smarty prints arithmetic (a product; `{2020-2021}` is a range).
            let product = tag.contains(&b'*') && tag.first().is_some_and(u8::is_ascii_digit);
            if tag.len() <= MAX_SMARTY_MATH && product && analyze(tag).arith {
                return hit(0.7, open, close + 1, "smarty", "arith");
            }
            continue;
        }
        let name = tag.get(name_start..name_end).unwrap_or_default();
        let after = tag.get(name_end..).unwrap_or_default();
        let shape = if dollar {
            after.starts_with(b".") || after.starts_with(b"[") || after.starts_with(b"->")
        } else if SMARTY_CONDITIONS.contains(&name) && after.starts_with(b" ") {
            analyze(after).call
        } else {
            after.starts_with(b"(") || static_call(after)
        };
        if shape {
            return hit(
                0.8,
                open,
                close + 1,
                "smarty",
                if dollar { "variable" } else { "call" },
            );
        }
    }
    None
}

/// Openers of different engines packed together, as in the engine-probing polyglot
/// `${{<%[%'"}}%\.`: one value never needs three template syntaxes.
fn scan_polyglot(input: &[u8]) -> Option<Hit> {
    const OPENERS: &[&[u8]] = &[b"${", b"{{", b"<%", b"{%", b"#{", b"}}", b"%>", b"%}"];
    let mut seen = 0;
    let mut first = input.len();
    for opener in OPENERS {
        if let Some(p) = find(input, opener, 0) {
            seen += 1;
            first = first.min(p);
        }
    }
    (seen >= 4).then(|| Hit {
        confidence: 0.7,
        start: first,
        end: input.len(),
        fingerprint: "polyglot:delimiters".into(),
    })
}

/// `::method(` after a class name: a PHP static call (`{Smarty_Internal_Write_File::writeFile(…)}`).
fn static_call(after: &[u8]) -> bool {
    let Some(rest) = after.strip_prefix(b"::") else {
        return false;
    };
    let end = ident_end(rest, 0);
    end > 0 && rest.get(end) == Some(&b'(')
}

/// Razor: `@(6+5)`, `@(System.IO.File.ReadAllText(…))`.
fn scan_razor(input: &[u8]) -> Option<Hit> {
    let mut from = 0;
    while let Some(open) = find(input, b"@(", from) {
        let body = open + 2;
        let close = matching_paren(input, body);
        let content = input
            .get(body..close.unwrap_or(input.len()))
            .unwrap_or_default();
        let ev = analyze(content);
        if close.is_some() && (ev.arith || ev.call || ev.construct) {
            return hit(
                0.75,
                open,
                close.map_or(input.len(), |c| c + 1),
                "razor",
                "expr",
            );
        }
        from = close.map_or(input.len(), |c| c + 1);
    }
    None
}

/// The index of the `)` closing a parenthesis opened just before `from`.
fn matching_paren(s: &[u8], from: usize) -> Option<usize> {
    let mut depth = 1usize;
    for (i, &c) in s.iter().enumerate().skip(from) {
        match c {
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
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
            "{{7*7}}",
            "{{ 7*'7' }}",
            "{{config}}",
            "{{config.items()}}",
            "{{''.__class__.__mro__[2].__subclasses__()}}",
            "{{request.application.__globals__}}",
            "{{self._TemplateReference__context}}",
            "{{request|attr('__class__')}}",
            "{{_self.env.registerUndefinedFilterCallback(\"exec\")}}",
            "{{['id']|filter('system')}}",
            "{{#with \"s\" as |string|}}",
            "{{constructor.constructor('alert(1)')()}}",
            "${7*7}",
            "${T(java.lang.Runtime).getRuntime().exec('id')}",
            "*{7*7}",
            "#{7*7}",
            "${class.getClassLoader()}",
            "${self.module.cache.util.os.system(\"id\")}",
            "${new java.io.File(\"x\")}",
            "<%= 7*7 %>",
            "<%= system('cat /etc/passwd') %>",
            "<%import os%>${os.popen('id').read()}",
            "#set($x = $class.inspect(\"java.lang.Runtime\"))",
            "$class.inspect(\"java.lang.Runtime\")",
            "<#assign ex=\"freemarker.template.utility.Execute\"?new()>${ex(\"id\")}",
            "[#assign ex = 'freemarker.template.utility.Execute'?new()]",
            "{php}echo `id`;{/php}",
            "{system('ls')}",
            "{7*7}",
            "{if system('id')}{/if}",
            "${{<%[%'\"}}%\\.",
            "${sessionScope}",
            "%{7*7}",
            "{$smarty.version}",
            "{% import os %}",
            "<% require 'open4' %>",
            "{% for x in ().__class__.__base__.__subclasses__() %}",
            "{% debug %}",
            "@(6+5)",
            "${ @ASTTest(value={assert java.lang.Runtime.getRuntime().exec(\"id\")})",
            "http://x/?q={{request|attr(request.args.f)}}",
            "https://x.example/search?q={%+set+cmd+=+'id'+%}",
            "https://x.example/search?q=%7B%7B+config+%7D%7D",
        ];
        test_support::assert_detects_all(ssti, cases);
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
            "price: ${price}",
            "${HOME}/bin",
            "${count * 2}",
            "{{name}}",
            "{{ see above }}",
            "Dear {{ customer }}, thanks",
            "{\"a\": \"b(c)\"}",
            "a{color:red}",
            "user@example.com",
            "http://example.com/a?b=c&d={e}",
            ":-) {grin}",
            "see (above) and {below}",
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko)",
            "100% of 50% <% done",
            "#1 seller (new)",
            "C# {code}",
            "${jndi:ldap://x/a}",
            "{1} + {1}",
            "{2020-2021}",
            "{if you can}",
            "${load}",
            "<% include %>",
            "only $5.99(incl. tax)",
            "use std::{io::ErrorKind, path::Path};",
            "macro_rules! m { ($a:expr) => { $a.len() } }",
        ];
        test_support::assert_passes_all(ssti, cases);
    }

    #[test]
    fn hostile_inputs_do_not_panic() {
        test_support::assert_total(
            ssti,
            Hostile {
                fixed: vec![
                    b"{{".repeat(50_000),
                    b"${".repeat(50_000),
                    b"<%".repeat(50_000),
                    b"{%".repeat(50_000),
                    b"@(".repeat(50_000),
                    b"'".repeat(100_000),
                    b"{".repeat(100_000),
                    b"#set(".repeat(10_000),
                    b"?new(".repeat(10_000),
                ],
                // Every truncation of a payload that exercises most of the scanner.
                sample: b"{% for x in ().__class__.__base__.__subclasses__() %}{{x('id')|attr('a')}}${T(java.lang.Runtime).getRuntime().exec('id')}<%= 7*7 %>#set($x=$class.inspect(\"a\"))",
                alphabet: b"{}$#%<>@()[]'\"*7._|?new T:set",
                seed: 0x2545_F491_4F6C_DD1D,
                count: 3000,
                max_len: 48,
            },
        );
    }
}
