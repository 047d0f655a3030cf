//! Injection shapes: turning walks into confidences.
//!
//! Two kinds of evidence are weighed:
//!
//! * **Anchored**: a walk from the injection point (just after the closing quote in a
//!   quote context, or the start of the value in numeric context). The walk must fit
//!   the grammar up to the end of the input, a comment or a `;`, and carry substance:
//!   a logical operator with a comparison (`' or 'a'='a`, `1 and 5257=5257`), a
//!   function (`and sleep(5)`), a subquery, `UNION SELECT`, a stacked statement, a
//!   clause appended to the query (`' order by 3--`, `1") as x where 1=1--`), or, after
//!   a closing quote, just a comment cutting off the rest (`admin'--`).
//! * **Unanchored**: constructs that are SQL wherever they appear, checked by a short
//!   walk from their first token: `UNION SELECT`, `SELECT … FROM`, statements after
//!   `;`, `EXEC xp_…`, `DECLARE @v`, `WAITFOR DELAY '…'`, time/error/system function
//!   calls, `CHAR(n)||CHAR(n)` chains, `CONCAT(0x…`, system catalogues,
//!   `@@version`, `INTO OUTFILE`, `CASE WHEN … THEN`, MySQL `/*!` comments.

use super::lexer::{Lexed, Tk};
use super::vocab::{self, FnClass, Kw};
use super::walk::{Evidence, Mode, WINDOW, Walk, Walker};

/// A recognised shape: how sure, what, and which tokens show it.
#[derive(Clone, Copy, Debug)]
pub(super) struct Finding {
    pub(super) confidence: f64,
    pub(super) shape: &'static str,
    /// First token of the evidence.
    pub(super) first: usize,
    /// One past the last token of the evidence.
    pub(super) end: usize,
}

impl Finding {
    fn better(self, other: Option<Finding>) -> Finding {
        match other {
            Some(o) if o.confidence > self.confidence => o,
            _ => self,
        }
    }
}

/// Keeps the more confident of `best` and `candidate`.
pub(super) fn keep(best: &mut Option<Finding>, candidate: Option<Finding>) {
    *best = match (*best, candidate) {
        (Some(b), c) => Some(b.better(c)),
        (None, c) => c,
    };
}

/// How the anchored walk began.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Entry {
    /// After the closing quote of a string; `simple` when the value before the quote
    /// is a single short word (`admin'--`).
    String { simple: bool },
    /// After the closing backtick of a quoted name. Prose (Markdown) uses backticks
    /// for code, so only strong shapes count here.
    Name,
    /// At the start of the value (numeric context).
    Bare,
}

/// Walks from the injection point `at` and weighs what was found.
pub(super) fn anchored(w: &Walker, at: usize, entry: Entry) -> Option<Finding> {
    if entry == Entry::Bare
        && let Some(found) = leading_statement(w, at)
    {
        return Some(found);
    }
    let mode = match entry {
        Entry::String { .. } | Entry::Name => Mode::Tail,
        Entry::Bare => Mode::Value,
    };
    let walk = w.walk(at, mode, usize::MAX);
    let clean = walk.ev.comment_end && clean_comment(w, walk.end.saturating_sub(1));
    let spliced = entry == (Entry::String { simple: true }) && splice(w, at);
    let Some((confidence, shape)) = weigh(&walk, entry, clean) else {
        return spliced.then(|| finding(0.7, "string splice", at, w.toks.len()));
    };
    // A stacked statement's evidence is its head, just after where the walk stopped.
    let tail = if walk.ev.stacked > 0.0 { 4 } else { 0 };
    Some(Finding {
        confidence,
        shape,
        first: at,
        end: (walk.end + tail).min(w.toks.len()).max(at + 1),
    })
}

/// Whether the tokens from `at` (just after the closing quote) re-open the string
/// with the operator that followed the quote: `' || x || '`, `" | type … | "`,
/// `'+f(1)+'`. Breaking out of a string literal and back in around an operand is how
/// an expression is spliced into a quoted value; the application's own closing quote
/// then ends the empty string the value leaves open. What is spliced need not be
/// valid SQL to show the intent, but it must start like an operand.
fn splice(w: &Walker, at: usize) -> bool {
    let n = w.toks.len();
    if n < at + 4 {
        return false;
    }
    let reopened = w.toks.get(n - 1).is_some_and(|t| {
        matches!(t.kind, Tk::Str { closed: false, quote } if Some(quote) == w.open_quote)
            && t.end - t.start == 1
    });
    let joins = |i: usize| match w.get(i) {
        Some(Tk::Arith(b'+' | b'|' | b'&')) => true,
        Some(Tk::Logic) => w.text(i) == Some(b"||"),
        _ => false,
    };
    let same = w.text(at).is_some() && w.text(at) == w.text(n - 2);
    let operand = matches!(
        w.get(at + 1),
        Some(Tk::Word | Tk::Num | Tk::Func(_) | Tk::LParen | Tk::Var { .. })
    );
    reopened && joins(at) && same && operand
}

/// A value that is a statement by itself (`select * from users`, `exec xp_cmdshell …`).
fn leading_statement(w: &Walker, at: usize) -> Option<Finding> {
    let starts = match w.get(at)? {
        Tk::Kw(kw) => vocab::starts_statement(kw) && kw != Kw::Shutdown,
        Tk::Func(_) => w.is_word(at, b"if"),
        Tk::Word => w.is_word(at, b"backup") || w.is_word(at, b"restore"),
        Tk::LParen => w.get(at + 1) == Some(Tk::Kw(Kw::Select)),
        _ => false,
    };
    if !starts {
        return None;
    }
    let confidence = w.statement(at)?;
    // Without a `;` or comment, `drop table lamp` and `select one from amazon` are prose.
    let terminated = w
        .toks
        .iter()
        .any(|t| matches!(t.kind, Tk::Comment | Tk::Semi));
    let changes = matches!(
        w.get(at),
        Some(
            Tk::Kw(
                Kw::Drop
                    | Kw::Create
                    | Kw::Alter
                    | Kw::Truncate
                    | Kw::Insert
                    | Kw::Update
                    | Kw::Delete
                    | Kw::Grant
            ) | Tk::Word
        )
    );
    // `CREATE TABLE t (` declares columns: no prose does that.
    let declares = w.get(at + 3) == Some(Tk::LParen) && w.get(at) == Some(Tk::Kw(Kw::Create));
    if confidence < 0.8 || (changes && !terminated && !declares) {
        return None;
    }
    Some(Finding {
        confidence: confidence * 0.95,
        shape: "statement",
        first: at,
        end: (at + WINDOW).min(w.toks.len()),
    })
}

/// Whether the comment at token `i` is one every dialect reads as a comment: `#`,
/// `/*`, or `--` followed by a space, `-`, `+` or nothing (MySQL needs the space;
/// `--cfg` in a shell command line is not a comment there).
fn clean_comment(w: &Walker, i: usize) -> bool {
    let Some(t) = w.toks.get(i) else {
        return false;
    };
    match w.src.get(t.start..t.end.min(t.start + 3)) {
        Some([b'-', b'-', next]) => matches!(next, b' ' | b'-' | b'+' | b'\t' | b'\r' | b'\n' | 0),
        Some([b'-', b'-']) | Some([b'#', ..]) | Some([b'/', b'*', ..]) => true,
        _ => false,
    }
}

/// The confidence of an anchored walk, and the name of its strongest shape.
fn weigh(walk: &Walk, entry: Entry, clean_comment: bool) -> Option<(f64, &'static str)> {
    let ev = &walk.ev;
    let quoted = matches!(entry, Entry::String { .. });
    let mut best: (f64, &'static str) = (0.0, "");
    let mut offer = |c: f64, shape: &'static str| {
        if c > best.0 {
            best = (c, shape);
        }
    };
    strong_evidence(ev, walk.valid, &mut offer);
    if entry == Entry::Name {
        if walk.valid && ev.logic > 0 && ev.lit_cmp > 0 && clean_comment {
            offer(0.85, "tautology then comment");
        }
    } else if walk.valid {
        valid_shapes(ev, entry, clean_comment, &mut offer);
    } else if quoted && ev.logic > 0 && ev.lit_cmp > 0 {
        offer(0.7, "partial tautology");
    }
    (best.0 > 0.0).then_some(best)
}

/// Evidence that counts even when the walk later fails (payloads often end in junk).
fn strong_evidence(ev: &Evidence, valid: bool, offer: &mut impl FnMut(f64, &'static str)) {
    if ev.union {
        offer(0.98, "union select");
    }
    if ev.outfile {
        offer(0.95, "into outfile");
    }
    if ev.stacked > 0.0 {
        offer(ev.stacked, "stacked statement");
    }
    if ev.called(FnClass::Time) || ev.called(FnClass::System) {
        offer(if valid { 0.95 } else { 0.85 }, "time or system function");
    }
    if ev.called(FnClass::Error) {
        offer(if valid { 0.92 } else { 0.85 }, "error-based function");
    }
    if ev.subquery && ev.select_from {
        offer(if valid { 0.9 } else { 0.85 }, "subquery");
    }
}

/// Shapes that need the whole walk to be valid SQL.
fn valid_shapes(
    ev: &Evidence,
    entry: Entry,
    clean_comment: bool,
    offer: &mut impl FnMut(f64, &'static str),
) {
    let quoted = matches!(entry, Entry::String { .. });
    let pick = |q: f64, b: f64| if quoted { q } else { b };
    if ev.subquery {
        offer(0.9, "subquery");
    }
    // `' union select` with nothing after it: a probe, unless prose ends that way
    // (`… credit union select`).
    if let Some(all) = ev
        .union_probe
        .filter(|_| quoted || ev.continued || ev.literals > 0)
    {
        offer(if all { 0.7 } else { 0.6 }, "union select probe");
    }
    if ev.logic > 0 {
        if ev.lit_cmp > 0 {
            offer(pick(0.92, 0.8), "tautology");
        }
        let builtin = ev.called(FnClass::Info) || ev.called(FnClass::Known);
        if builtin || ev.sys_var || ev.case_when {
            offer(pick(0.85, 0.7), "boolean with function");
        }
        if ev.word_cmp > 0 && (quoted || ev.continued) {
            let c = if ev.comment_end {
                0.75
            } else {
                pick(0.75, 0.6)
            };
            offer(c, "name comparison");
        }
        if quoted && ev.comment_end {
            offer(0.85, "logic then comment");
        }
        // `x' or 1`: only after a one-word value (`c/ l' or 125` is a Catalan address).
        let simple = entry == (Entry::String { simple: true });
        if (simple && ev.logic_literal) || (!quoted && ev.continued && ev.logic_number) {
            offer(pick(0.7, 0.6), "logic then literal");
        }
    }
    if ev.clause {
        let anchored = quoted || ev.comment_end || ev.breakouts > 0 || ev.lit_cmp > 0;
        if anchored {
            offer(0.85, "appended clause");
        } else if ev.numbers > 0 {
            offer(0.6, "appended clause");
        }
    }
    if quoted && clean_comment {
        if ev.lit_cmp > 0 {
            offer(0.75, "comparison then comment");
        }
        let only_closers = ev.tokens == usize::from(ev.breakouts) + 1;
        if only_closers && entry == (Entry::String { simple: true }) {
            offer(0.75, "quote then comment");
        }
    }
}

/// Constructs that are SQL wherever they appear, searched from token `from` on.
pub(super) fn unanchored(w: &Walker, from: usize, lexed: &Lexed) -> Option<Finding> {
    let mut best = None;
    for i in from..w.toks.len() {
        keep(&mut best, anchor_at(w, i));
    }
    for &i in lexed.versioned.iter().filter(|&&i| i >= from) {
        let code = matches!(
            w.get(i),
            Some(Tk::Kw(_) | Tk::Func(_) | Tk::Logic | Tk::Not)
        );
        if code {
            keep(&mut best, Some(finding(0.8, "versioned comment", i, i + 1)));
        }
    }
    // `/*/*/2 union`: code after a comment that nesting dialects do not see closed.
    for &i in lexed.nested.iter().filter(|&&i| i >= from) {
        let code = (i..(i + 3).min(w.toks.len())).any(|j| {
            matches!(
                w.get(j),
                Some(Tk::Kw(_) | Tk::Func(_) | Tk::Logic | Tk::Semi)
            )
        });
        if code {
            let end = (i + 3).min(w.toks.len());
            keep(&mut best, Some(finding(0.8, "nested comment", i, end)));
        }
    }
    for &i in lexed.split.iter().filter(|&&i| i >= from) {
        keep(
            &mut best,
            Some(finding(0.8, "keyword split by comment", i, i + 2)),
        );
    }
    best
}

fn finding(confidence: f64, shape: &'static str, first: usize, end: usize) -> Finding {
    Finding {
        confidence,
        shape,
        first,
        end,
    }
}

/// The construct starting at token `i`, if it is one.
fn anchor_at(w: &Walker, i: usize) -> Option<Finding> {
    let window_end = |walk: &Walk| walk.end.max(i + 1);
    match w.get(i)? {
        Tk::Kw(Kw::Union | Kw::Except) => {
            let walk = w.walk(i, Mode::Tail, WINDOW);
            if walk.ev.union {
                return Some(finding(0.95, "union select", i, window_end(&walk)));
            }
            let all_call = w.get(i + 1) == Some(Tk::Kw(Kw::All))
                && w.get(i + 2).is_some_and(|t| matches!(t, Tk::Func(_)));
            all_call.then(|| finding(0.85, "union all call", i, i + 3))
        }
        Tk::Kw(Kw::Select) => {
            let c = w.select_statement(i)?;
            (c >= 0.85).then(|| finding(c * 0.95, "select", i, (i + WINDOW).min(w.toks.len())))
        }
        Tk::Semi => {
            let c = w.statement(i + 1)?;
            Some(finding(
                c * 0.95,
                "stacked statement",
                i,
                (i + 4).min(w.toks.len()),
            ))
        }
        Tk::Kw(Kw::Exec | Kw::Declare | Kw::Waitfor) => {
            let c = w.statement(i)?;
            (c >= 0.9).then(|| finding(c * 0.95, "statement", i, (i + 4).min(w.toks.len())))
        }
        Tk::Kw(Kw::Into) => {
            let outfile = w.get(i + 1) == Some(Tk::Kw(Kw::Outfile))
                && matches!(w.get(i + 2), Some(Tk::Str { .. }));
            outfile.then(|| finding(0.95, "into outfile", i, i + 3))
        }
        Tk::Kw(Kw::Case) => {
            let walk = w.walk(i, Mode::Operand, WINDOW);
            let sql = walk.valid && walk.ev.case_when && walk.ev.lit_cmp > 0;
            sql.then(|| finding(0.75, "case when", i, window_end(&walk)))
        }
        Tk::Func(class) => function_anchor(w, i, class),
        // Neither a system package (it has a `.`) nor a catalogue: nothing to look up.
        Tk::Word if !w.text(i).is_some_and(vocab::may_name_system) || !w.names() => None,
        Tk::Word => {
            let (buf, n) = w.lower(i)?;
            let name = &buf[..n];
            if vocab::is_system_name(name) {
                return Some(finding(0.8, "system package", i, i + 1));
            }
            let catalogue = vocab::system_object(name) == Some(vocab::Catalogue::Unmistakable);
            catalogue.then(|| finding(0.8, "system catalogue", i, i + 1))
        }
        Tk::Num => hex_sql(w, i).then(|| finding(0.8, "hex-encoded statement", i, i + 1)),
        Tk::Var { system: true } => {
            let (buf, n) = w.lower(i)?;
            let revealing = vocab::is_revealing_system_variable(buf.get(2..n)?);
            revealing.then(|| finding(0.8, "system variable", i, i + 1))
        }
        _ => None,
    }
}

/// Function calls that are SQL by themselves: time, error-based and system functions
/// with well-formed arguments, `CHAR(n)` chains and `CONCAT(0x…`.
fn function_anchor(w: &Walker, i: usize, class: FnClass) -> Option<Finding> {
    match class {
        FnClass::Time | FnClass::Error | FnClass::System => {
            let walk = w.walk(i, Mode::Operand, WINDOW);
            // `sleep(5)`, `load_file(char(47,…))`; not `sleep (see #12)`.
            let with_args =
                w.sql_call(i) && (walk.ev.tokens > 2 || w.get(i + 2) == Some(Tk::RParen));
            // A system function stays telling when its arguments trail off (`load_file(…`).
            let c = match (walk.valid, class) {
                (true, _) => 0.9,
                (false, FnClass::System) => 0.8,
                (false, _) => return None,
            };
            with_args.then(|| finding(c, "function call", i, walk.end.max(i + 1)))
        }
        FnClass::Known if is_conditional(w, i) => {
            let walk = w.walk(i, Mode::Operand, WINDOW);
            let tests = walk.valid && walk.ev.const_cmp > 0;
            tests.then(|| finding(0.7, "conditional call", i, walk.end.max(i + 1)))
        }
        FnClass::Known if is_char_call(w, i) => {
            let joined = matches!(w.get(i + 4), Some(Tk::Arith(b'+') | Tk::Logic | Tk::Comma))
                && is_char_call(w, i + 5);
            joined.then(|| finding(0.85, "char chain", i, i + 9))
        }
        FnClass::Known if w.is_word(i, b"concat") || w.is_word(i, b"concat_ws") => {
            let hex = w.get(i + 2) == Some(Tk::Num)
                && w.lower(i + 2)
                    .is_some_and(|(b, n)| n > 4 && b.starts_with(b"0x"));
            hex.then(|| finding(0.85, "concat hex", i, i + 3))
        }
        _ => None,
    }
}

/// `IF(`, `IIF(`, `ELT(`, `MAKE_SET(`: conditionals boolean-blind probes test with.
fn is_conditional(w: &Walker, i: usize) -> bool {
    [&b"if"[..], b"iif", b"elt", b"make_set"]
        .iter()
        .any(|name| w.is_word(i, name))
}

/// `CHAR(65)` / `CHR(65)` at token `i`.
fn is_char_call(w: &Walker, i: usize) -> bool {
    (w.is_word(i, b"char") || w.is_word(i, b"chr") || w.is_word(i, b"nchar"))
        && w.get(i + 1) == Some(Tk::LParen)
        && w.get(i + 2) == Some(Tk::Num)
        && w.get(i + 3) == Some(Tk::RParen)
}

/// The longest hex literal decoded when looking for SQL inside it, in bytes.
const MAX_HEX: usize = 256;

/// Whether the number at `i` is a long `0x…` literal spelling SQL (in ASCII or
/// UTF-16LE): `DECLARE @s … SET @s=0x77616974666F72… EXEC(@s)`.
fn hex_sql(w: &Walker, i: usize) -> bool {
    let Some(text) = w.toks.get(i).and_then(|t| w.src.get(t.start..t.end)) else {
        return false;
    };
    let Some(digits) = text
        .strip_prefix(b"0x")
        .or_else(|| text.strip_prefix(b"0X"))
    else {
        return false;
    };
    if digits.len() < 16 {
        return false;
    }
    let mut buf = [0u8; MAX_HEX];
    let mut n = 0;
    for pair in digits.chunks_exact(2).take(MAX_HEX) {
        let byte = (hex_value(pair[0]) << 4) | hex_value(pair[1]);
        match byte {
            0 => {}
            0x20..=0x7e => {
                buf[n] = byte.to_ascii_lowercase();
                n += 1;
            }
            _ => return false,
        }
    }
    const WORDS: &[&[u8]] = &[
        b"select", b"waitfor", b"exec", b"union", b"drop ", b"insert", b"declare", b"xp_",
        b"sleep(",
    ];
    WORDS.iter().any(|word| vocab::contains(&buf[..n], word))
}

fn hex_value(b: u8) -> u8 {
    match b {
        b'0'..=b'9' => b - b'0',
        b'a'..=b'f' => b - b'a' + 10,
        b'A'..=b'F' => b - b'A' + 10,
        _ => 0,
    }
}
