//! SQL injection detector (`@detectSQLi`).
//!
//! A value is SQL injection when, read as the continuation of a SQL query, it is
//! well-formed SQL that changes the query's logic. The application may put the value
//! inside a `'…'` string, a `"…"` string, a `` `…` `` name, or bare (numeric context),
//! so the value is read in each of these contexts:
//!
//! 1. **Read** ([`readings`]) the value as received, and as the application may see
//!    it after decoding the request parser did not do: `%XX` escapes (cookies and
//!    headers arrive encoded, some payloads twice), the query string of a URL value
//!    (a Referer), typographic quotes a legacy code page turns into `'`.
//! 2. **Tokenize** ([`lexer`]) as SQL, in numeric context as-is, and in each quote
//!    context as if the quote were already open: everything up to the first unescaped
//!    closing quote is the application's string, the rest is code.
//! 3. **Walk** ([`walk`]) a small SQL grammar from the injection point (after the
//!    closing quote; at the start of the value, or after a URL path's last plain
//!    segment, in numeric context). The walk stops at the first token SQL would
//!    reject, which is where prose stops being SQL: a name right after the closing
//!    quote (`O'Reilly`, `don't`), two names in a row (`1 or 2 items`), `IS` without
//!    `NULL`.
//! 4. **Weigh** ([`shapes`], [`statements`]) what a valid walk saw: logical operators
//!    with comparisons (tautologies and boolean blind tests), `UNION SELECT`, stacked
//!    statements, time, error-based and system functions, subqueries, clauses appended
//!    to the query, comments cutting off the rest. Constructs that are SQL anywhere
//!    (`UNION SELECT`, `; DROP TABLE`, `WAITFOR DELAY`, `SLEEP(5)`,
//!    `information_schema`, `/*!` comments, `UNI/**/ON`) are also searched for without
//!    an anchor, each checked by a short walk.
//! 5. **Report** the most confident shape with its fragment (from the injection point)
//!    and a fingerprint `context:shape:classes`: the context (`n` numeric, `s` single
//!    quote, `d` double quote, `b` backtick), the shape's name, and the token classes
//!    folded by [`fold`] (`s:tautology:)&1=1c`).
//!
//! Strong shapes (`UNION SELECT`, stacked statements, time functions, a tautology
//! after a closing quote) score 0.9–1.0; weaker ones (`1 and 1=1` in numeric context,
//! `admin'--`, `' or 1`) 0.6–0.8.
//!
//! # Differences from libinjection (for differential testing)
//!
//! libinjection folds the first five tokens into a fingerprint and looks it up in a
//! list of known-bad fingerprints. This detector validates a grammar over the whole
//! value and weighs what it found, so on purpose:
//!
//! * The tail after the injection point must stay valid SQL up to the end, a comment
//!   or `;` for the weaker shapes: `1' or 1=1 blah blah` is flagged (0.7, "partial
//!   tautology") only after a quote, and `1 or 1=1 blah` not at all, where libinjection
//!   judges the first five tokens only. Strong constructs count even in a broken tail.
//! * Prose shaped like SQL with names only is not flagged: `rock and roll`, `this or
//!   that`, `I like it and you like him`, `1 or 2 items`. A comparison between two
//!   different names counts only after a closing quote or a leading operator
//!   (`' or x=y`, `or x=y`); `or a=a` counts everywhere.
//! * Bare values shaped like filters (`size=10 and color=1`) are flagged (0.8): they
//!   are valid tautology-like predicates.
//! * A closing quote followed only by `)`s and a comment (`admin'--`, `1')#`, `'--`)
//!   is flagged only when the text before the quote is one short word, and the comment
//!   is one every dialect reads (`--` then a space, `#`, `/*`): `X='--cfg' …` is not.
//! * Backtick contexts (Markdown code spans) only count strong shapes.
//! * Function knowledge is by name: `sleep`, `benchmark`, `pg_sleep`, `extractvalue`,
//!   `updatexml`, `load_file`, `xp_cmdshell`, `dbms_*`, `utl_*` are strong anywhere
//!   when their first argument is SQL (`sleep(5)`, not `benchmark(s)`); an unknown
//!   `name(…)` adds nothing by itself. Right after a closing quote such a call counts
//!   even without an operator (`' sleep(20.to_i) '`: a `'+sleep(…)+'` whose `+`s a
//!   form decoding made spaces) and with arguments that trail off into non-SQL.
//! * A value that closes the string, joins an operand with `+`, `|`, `||` or `&` and
//!   re-opens the string with the same operator (`" | x … | "`, `'||x||'`) is a splice
//!   (0.7) whatever the operand, after a one-word prefix only; `"&"` alone is a probe.
//! * Code right after a block comment in which a `/*` starts before it ends (`/*/*/2
//!   union`) is flagged (0.8): MySQL and nesting dialects disagree where it ends.
//! * Statements at the start of a value need SQL substance: `select * from users`
//!   and `exec xp_cmdshell 'dir'` are flagged, `select one from amazon` and (without
//!   `;` or a comment) `drop table lamp` are not.
//! * Strings accept both backslash and doubled-quote escapes (MySQL); a second reading
//!   without backslash escapes is tried when it closes the string elsewhere. `"` is a
//!   string (not an identifier), `#` always starts a comment, and `--` does not need a
//!   following space (MSSQL, PostgreSQL, Oracle); MySQL `/*! … */` content is code.
//! * Lone probes that are not SQL structure are not flagged: `'`, `1'1`, `'sqlvuln`,
//!   `'='`, `%00`, `21%`, `-- -`.

mod fold;
mod lexer;
mod readings;
mod shapes;
mod statements;
mod vocab;
mod walk;

#[cfg(test)]
mod tests;

use super::Detection;
use super::bytes::ByteSet;
use lexer::{Lexed, Tk, Token};
use shapes::{Entry, Finding};
use std::borrow::Cow;
use std::cell::OnceCell;
use walk::Walker;

/// A quote context: how the application embedded the value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ctx {
    Numeric,
    Single,
    Double,
    Backtick,
}

impl Ctx {
    fn quote(self) -> Option<u8> {
        match self {
            Ctx::Numeric => None,
            Ctx::Single => Some(b'\''),
            Ctx::Double => Some(b'"'),
            Ctx::Backtick => Some(b'`'),
        }
    }

    fn tag(self) -> char {
        match self {
            Ctx::Numeric => 'n',
            Ctx::Single => 's',
            Ctx::Double => 'd',
            Ctx::Backtick => 'b',
        }
    }
}

/// Every context a value is read in, with whether a backslash escapes the closing
/// quote (MySQL) or not (standard SQL; tried only when that closes the string
/// elsewhere: `\'; desc users; --`).
const READINGS: [(Ctx, bool); 6] = [
    (Ctx::Numeric, true),
    (Ctx::Single, true),
    (Ctx::Single, false),
    (Ctx::Double, true),
    (Ctx::Double, false),
    (Ctx::Backtick, true),
];

/// The longest value before a closing quote that still counts as "one short word".
const SIMPLE_PREFIX: usize = 40;

/// Detects SQL injection in one value: `Some` when the value, in some quote context,
/// reads as SQL that changes the query (confidence ≥ 0.5).
pub fn sqli(input: &[u8]) -> Option<Detection> {
    // Fast path: a value that is its only reading and is inert in every context.
    let set = ByteSet::of(input);
    // The numeric-context tokens of `input`, when the fast path lexed them.
    let mut numeric = None;
    if readings::only_itself(input, set) {
        if surely_inert(input, set) {
            return None;
        }
        let mut lexed = Lexed::with_room(input.len());
        lexer::lex_into(input, 0, &mut lexed);
        if inert(input, set, &lexed) {
            return None;
        }
        numeric = Some(lexed);
    }
    let values = if numeric.is_some() {
        // `only_itself` said so.
        vec![Cow::Borrowed(input)]
    } else {
        readings::readings(input)
    };
    let mut best: Option<(Hit, usize)> = None;
    for (n, value) in values.iter().enumerate() {
        // The first reading is `input` itself.
        let bytes = if n == 0 { set } else { ByteSet::of(value) };
        for (ctx, escapes) in READINGS {
            // A quote context whose quote the value lacks never closes it: no finding.
            if ctx.quote().is_some_and(|q| !bytes.has(q)) {
                continue;
            }
            let lexed = if n == 0 && ctx == Ctx::Numeric {
                numeric.take()
            } else {
                None
            };
            let Some(hit) = scan(value, ctx, escapes, lexed) else {
                continue;
            };
            if best
                .as_ref()
                .is_none_or(|(b, _)| hit.confidence > b.confidence)
            {
                best = Some((hit, n));
            }
        }
    }
    let (hit, n) = best.filter(|(h, _)| h.confidence >= 0.5)?;
    let value = values.get(n).map_or(input, |v| v);
    let fragment = value.get(hit.start..hit.end).unwrap_or(value);
    Some(Detection::new(hit.confidence, fragment, hit.fingerprint))
}

/// Whether no context of `value` (with byte set `set` and numeric-context tokens
/// `lexed`) can give a finding: `true` only when `value` has no quote and its tokens
/// hold none of the tokens that every finding needs.
///
/// Without `'`, `"` or `` ` `` the quote contexts never close the application's quote
/// ([`close_application_quote`] gives `None`), so only the numeric context is read,
/// with exactly the tokens lexed here. There, every finding needs one of:
///
/// * for the anchored walks (from the start, or after a URL path), a keyword, a
///   function, a logical operator, `;` or `(`: the statement at the start
///   (`leading_statement`, which also accepts the words `backup` and `restore`), and
///   every shape [`shapes`] weighs for a bare entry (`UNION`, `INTO OUTFILE`, stacked
///   statements, function calls, subqueries, logic, appended clauses) is built from
///   those tokens;
/// * for the unanchored anchors, one of those tokens, a name that is a system package
///   or an unmistakable catalogue, a `0x…` number (hex-encoded SQL) or an `@@`
///   variable;
/// * a MySQL versioned comment, a keyword split by a comment, or a nested comment.
fn inert(value: &[u8], set: ByteSet, lexed: &Lexed) -> bool {
    if set.any_of(ByteSet::new(b"'\"`")) {
        return false;
    }
    if !lexed.versioned.is_empty() || !lexed.split.is_empty() || !lexed.nested.is_empty() {
        return false;
    }
    let w = Walker {
        toks: &lexed.toks,
        src: value,
        open_quote: None,
        names: OnceCell::new(),
    };
    !lexed.toks.iter().enumerate().any(|(i, t)| match t.kind {
        Tk::Kw(_) | Tk::Func(_) | Tk::Logic | Tk::Semi | Tk::LParen | Tk::Var { system: true } => {
            true
        }
        Tk::Num => value
            .get(t.start..t.end)
            .is_some_and(|n| n.starts_with(b"0x") || n.starts_with(b"0X")),
        Tk::Word => {
            w.is_word(i, b"backup")
                || w.is_word(i, b"restore")
                || w.text(i).is_some_and(vocab::may_name_system)
                    && w.lower(i).is_some_and(|(buf, n)| {
                        let name = &buf[..n];
                        vocab::is_system_name(name)
                            || vocab::system_object(name) == Some(vocab::Catalogue::Unmistakable)
                    })
        }
        _ => false,
    })
}

/// Whether [`inert`] holds for `value`, judged from its bytes and words without lexing
/// it; `false` when unsure. The tokens [`inert`] looks for need:
///
/// * `;`, `(` (groups and every function call), `&&` / `||`, `@@`, a `/*` comment,
///   or a `0x` number: their bytes;
/// * a system package or catalogue name: see [`vocab::may_hold_system_name`];
/// * a keyword or logical operator word, or the word `backup` or `restore`: such a
///   token is spelled with letters and `_` only, and the lexer starts and ends a word
///   only where no letter or `_` is next to it, so it is a whole run of letters and
///   `_` in the value, of at most [`lexer::MAX_WORD`] bytes (longer words are names).
///   Without `(`, a keyword stays a keyword and other words never become functions.
fn surely_inert(value: &[u8], set: ByteSet) -> bool {
    if set.any_of(ByteSet::new(b"'\"`;(&|@"))
        || set.all_of(ByteSet::new(b"/*"))
        || (set.has(b'0') && set.any_of(ByteSet::new(b"xX")))
        || vocab::may_hold_system_name(value, set.lowercased())
    {
        return false;
    }
    let is_letter = |b: &u8| b.is_ascii_alphabetic() || *b == b'_';
    !value
        .split(|b| !is_letter(b))
        .filter(|run| !run.is_empty() && run.len() <= lexer::MAX_WORD)
        .any(|run| {
            let mut buf = [0u8; lexer::MAX_WORD];
            let lower = &mut buf[..run.len()];
            lower.copy_from_slice(run);
            lower.make_ascii_lowercase();
            matches!(
                vocab::classify(lower),
                vocab::WordClass::Kw(_) | vocab::WordClass::Logic
            ) || lower == b"backup"
                || lower == b"restore"
        })
}

/// The best finding of one context, resolved to bytes and a fingerprint.
struct Hit {
    confidence: f64,
    start: usize,
    end: usize,
    fingerprint: String,
}

/// Tokenizes `input` in `ctx` and returns its most confident finding. `numeric`, for the
/// numeric context, is what `lex_into(input, 0, …)` already gave, if it was run.
fn scan(input: &[u8], ctx: Ctx, escapes: bool, numeric: Option<Lexed>) -> Option<Hit> {
    let mut lexed = Lexed::with_room(input.len());
    let (entry, code_from) = match ctx.quote() {
        None => (Entry::Bare, 0),
        Some(q) => {
            let (entry, close) = close_application_quote(input, q, escapes)?;
            lexed.toks.push(Token {
                kind: Tk::Str {
                    closed: true,
                    quote: q,
                },
                start: 0,
                end: close,
            });
            (entry, close)
        }
    };
    let entry_at = lexed.toks.len();
    match numeric {
        // Numeric context: `lexed` is still empty and `code_from` is 0.
        Some(tokens) if ctx == Ctx::Numeric => lexed = tokens,
        _ => lexer::lex_into(input, code_from, &mut lexed),
    }
    let walker = Walker {
        toks: &lexed.toks,
        src: input,
        open_quote: ctx.quote(),
        names: OnceCell::new(),
    };
    let mut best = None;
    if entry_at < lexed.toks.len() {
        shapes::keep(&mut best, shapes::anchored(&walker, entry_at, entry));
    }
    if entry == Entry::Bare
        && input.first() == Some(&b'/')
        && let Some(at) = path_entry(input, &lexed.toks)
    {
        shapes::keep(&mut best, shapes::anchored(&walker, at, Entry::Bare));
    }
    shapes::keep(&mut best, shapes::unanchored(&walker, entry_at, &lexed));
    let found: Finding = best?;
    // A quoted injection starts at its closing quote, the last byte of the prefix.
    let start = match lexed.toks.get(found.first) {
        _ if entry != Entry::Bare && found.first == entry_at => code_from.saturating_sub(1),
        Some(t) => t.start,
        None => return None,
    };
    let end = lexed
        .toks
        .get(found.end.saturating_sub(1))
        .map_or(input.len(), |t| t.end)
        .max(start);
    let folded = fold::fingerprint(lexed.toks.get(found.first..found.end).unwrap_or_default());
    Some(Hit {
        confidence: found.confidence,
        start,
        end,
        fingerprint: format!("{}:{}:{}", ctx.tag(), found.shape, folded),
    })
}

/// Where the application's `quote`d string, opened before the value, ends: the entry
/// kind and the index after the closing quote. `None` when the value never closes it
/// (then it is all string), or when reading without backslash escapes changes nothing.
fn close_application_quote(input: &[u8], quote: u8, escapes: bool) -> Option<(Entry, usize)> {
    let close = lexer::close_quote(input, 0, quote, escapes)?;
    if !escapes && Some(close) == lexer::close_quote(input, 0, quote, true) {
        return None;
    }
    let prefix = input.get(..close - 1).unwrap_or_default();
    let entry = if quote == b'`' {
        Entry::Name
    } else {
        let word = !prefix.iter().any(|&b| lexer::is_space(b));
        Entry::String {
            simple: word && prefix.len() <= SIMPLE_PREFIX,
        }
    };
    Some((entry, close))
}

/// The token just after the last `/` of a URL path's plain segments: where a payload
/// appended to the path starts (`/api/items/1 or 1=1` gives `1`).
fn path_entry(input: &[u8], toks: &[Token]) -> Option<usize> {
    let plain = |b: &u8| b.is_ascii_alphanumeric() || b"/._~-".contains(b);
    let special = input.iter().position(|b| !plain(b)).unwrap_or(input.len());
    let slash = toks
        .iter()
        .take_while(|t| t.end <= special)
        .enumerate()
        .filter(|(_, t)| t.kind == Tk::Arith(b'/'))
        .last()?
        .0;
    Some(slash + 1).filter(|&i| i < toks.len())
}
