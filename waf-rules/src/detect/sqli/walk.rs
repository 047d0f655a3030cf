//! A small SQL grammar walked over the tokens, collecting [`Evidence`] of injection.
//!
//! The walker is a pushdown automaton with an explicit, capped stack (no recursion):
//! it alternates between expecting an operand and expecting an operator, tracks
//! parentheses, function arguments, `IN (…)` lists, `CASE … END` and subqueries with
//! their clauses (`FROM`, `WHERE`, `GROUP BY`, …), and stops at the first token the
//! grammar does not allow. Prose fails within a few words (two names in a row, a name
//! after a closing quote, `IS` not followed by `NULL`); an injection stays valid up to
//! its comment or the end of the input. What the walk saw on the way (logical
//! operators, comparisons with literals, `UNION SELECT`, stacked statements, which
//! functions) is what [`super::shapes`] weighs.

use super::super::bytes::ByteSet;
use super::lexer::{Tk, Token};
use super::vocab::{self, FnClass, Kw};
use std::cell::OnceCell;

/// Where a walk starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Mode {
    /// Right after a value the attacker closed: an operator must come first.
    Tail,
    /// At the start of a value in numeric context: an operand, or an operator that
    /// continues the application's own value.
    Value,
    /// Inside a `SELECT` list, just after the keyword.
    Select,
    /// At one operand (a function call, a `CASE`): stops when it is complete.
    Operand,
}

/// The clause of a `SELECT` (or of the statement the injection lands in).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Clause {
    Items,
    From,
    Where,
    GroupBy,
    OrderBy,
    Having,
    Limit,
    /// A list of values (`VALUES (…)`, function arguments the injection lands in).
    List,
}

/// An open construct on the walker's stack.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Frame {
    Group,
    Args,
    List,
    Select(Clause),
    Case,
}

/// What kind of operand was last completed: comparisons are judged by their sides.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Operand {
    Literal,
    /// A bare name, by token index (to compare `a = a`).
    Name(usize),
    Call,
    Variable,
    Group,
    Subquery,
    Star,
}

/// What a walk saw.
#[derive(Clone, Debug, Default)]
pub(super) struct Evidence {
    /// Logical operators (`AND`, `OR`, `||`, …).
    pub(super) logic: u16,
    /// Comparisons with a literal, call, variable or subquery side, or `a = a`.
    pub(super) lit_cmp: u16,
    /// Comparisons between two different bare names (`x = y`).
    pub(super) word_cmp: u16,
    /// Comparisons whose sides are both literals, or the same name: always true or
    /// always false, whatever the row (`1=1`, `'a'='b'`, `x=x`).
    pub(super) const_cmp: u16,
    /// The [`FnClass`] bits of the functions called.
    pub(super) funcs: u8,
    /// `UNION [ALL] SELECT` with a real first select item.
    pub(super) union: bool,
    /// `UNION [ALL] SELECT` with nothing after it (a probe); true with `ALL`.
    pub(super) union_probe: Option<bool>,
    /// `(SELECT …)`.
    pub(super) subquery: bool,
    /// `… FROM <table>`.
    pub(super) select_from: bool,
    /// Confidence of a stacked (or T-SQL batched) statement, 0 if none.
    pub(super) stacked: f64,
    /// A clause (`WHERE`, `ORDER BY`, `GROUP BY`, `HAVING`, `LIMIT`, `PROCEDURE`) at
    /// the top level, i.e. appended to the application's query.
    pub(super) clause: bool,
    /// `INTO OUTFILE|DUMPFILE '…'`.
    pub(super) outfile: bool,
    /// `CASE WHEN … THEN`.
    pub(super) case_when: bool,
    /// `*` as a select item or `COUNT(*)`.
    pub(super) star: bool,
    /// An `@variable`.
    pub(super) var: bool,
    /// A revealing `@@system` variable (`@@version`).
    pub(super) sys_var: bool,
    /// A system catalogue name (`information_schema.tables`).
    pub(super) sys_object: bool,
    /// `)` closing a parenthesis the application opened.
    pub(super) breakouts: u16,
    /// Ended by a comment that cuts off the rest of the query.
    pub(super) comment_end: bool,
    /// Ended by `;` (with nothing or a comment after it).
    pub(super) semi_end: bool,
    /// Literal operands (numbers, strings, `NULL`).
    pub(super) literals: u16,
    /// Number literals.
    pub(super) numbers: u16,
    /// A logical operator directly followed by a literal, call or variable (`or 1`).
    pub(super) logic_literal: bool,
    /// The same, with a literal that is not a string (`and 1`, `or true`): a string
    /// left open at the end is prose in numeric context (`And 'twere…`).
    pub(super) logic_number: bool,
    /// The walk began with an operator continuing the application's value (`or …`).
    pub(super) continued: bool,
    /// Tokens consumed.
    pub(super) tokens: usize,
}

impl Evidence {
    /// Whether a function of `class` was called.
    pub(super) fn called(&self, class: FnClass) -> bool {
        self.funcs & class.bit() != 0
    }
}

/// The result of a walk.
#[derive(Clone, Debug)]
pub(super) struct Walk {
    /// Whether every token up to the end (of input, of the window, or at a comment
    /// or `;` that ends the statement) fit the grammar.
    pub(super) valid: bool,
    pub(super) ev: Evidence,
    /// Index one past the last token looked at.
    pub(super) end: usize,
}

/// How far a walk started away from the top level looks (in tokens): enough for any
/// statement head, and it keeps the whole scan linear.
pub(super) const WINDOW: usize = 64;

/// The deepest nesting the walker follows; deeper input is not SQL anyone needs.
const MAX_DEPTH: usize = 200;

/// Walks token streams of one input in one quote context.
pub(super) struct Walker<'a> {
    pub(super) toks: &'a [Token],
    pub(super) src: &'a [u8],
    /// The quote an unterminated final string may use (the application closes it);
    /// `None` accepts any (numeric context).
    pub(super) open_quote: Option<u8>,
    /// Whether a system, catalogue or session name may occur in `src`
    /// ([`vocab::may_hold_names`], worked out when first needed); when not, names are
    /// not looked up.
    pub(super) names: OnceCell<bool>,
}

impl<'a> Walker<'a> {
    /// Walks from token `at` in `mode`, over at most `window` tokens.
    pub(super) fn walk(&self, at: usize, mode: Mode, window: usize) -> Walk {
        self.run(at, mode, window, false)
    }

    /// A walk inside a statement check: `;` and statement keywords end it instead of
    /// being checked again, which bounds the work per anchor.
    pub(super) fn walk_nested(&self, at: usize, mode: Mode) -> Walk {
        self.run(at, mode, WINDOW, true)
    }

    fn run(&self, at: usize, mode: Mode, window: usize, nested: bool) -> Walk {
        let mut st = State {
            w: self,
            start: at,
            i: at,
            limit: at.saturating_add(window).min(self.toks.len()),
            nested,
            mode,
            stack: Vec::new(),
            top: if mode == Mode::Select {
                Clause::Items
            } else {
                Clause::Where
            },
            want: mode != Mode::Tail,
            last: Operand::Literal,
            pending: None,
            aliased: false,
            after_logic: false,
            ev: Evidence::default(),
        };
        if mode == Mode::Value && self.get(at).is_some_and(continues_value) {
            st.want = false;
            st.ev.continued = true;
        }
        let valid = st.run();
        st.ev.tokens = st.i.saturating_sub(at);
        Walk {
            valid,
            ev: st.ev,
            end: st.i,
        }
    }

    pub(super) fn get(&self, i: usize) -> Option<Tk> {
        self.toks.get(i).map(|t| t.kind)
    }

    /// The ASCII-lower-cased text of token `i` if it is at most 64 bytes long.
    pub(super) fn lower(&self, i: usize) -> Option<([u8; 64], usize)> {
        let t = self.toks.get(i)?;
        let text = self.src.get(t.start..t.end)?;
        if text.len() > 64 {
            return None;
        }
        let mut buf = [0u8; 64];
        buf[..text.len()].copy_from_slice(text);
        buf[..text.len()].make_ascii_lowercase();
        Some((buf, text.len()))
    }

    /// Whether a system, catalogue or session name may occur in the source.
    pub(super) fn names(&self) -> bool {
        *self
            .names
            .get_or_init(|| vocab::may_hold_names(self.src, ByteSet::of(self.src).lowercased()))
    }

    /// The text of token `i`, as written.
    pub(super) fn text(&self, i: usize) -> Option<&'a [u8]> {
        self.toks.get(i).and_then(|t| self.src.get(t.start..t.end))
    }

    /// Whether token `i` is spelled `word` (ASCII case-insensitive).
    pub(super) fn is_word(&self, i: usize, word: &[u8]) -> bool {
        self.toks
            .get(i)
            .and_then(|t| self.src.get(t.start..t.end))
            .is_some_and(|text| text.eq_ignore_ascii_case(word))
    }

    /// Whether the call at `i` reads as SQL: its first argument is SQL
    /// ([`sql_argument`]) or a code-like name (`__TIME__`, `col_1`), not a word of
    /// prose (`benchmark(s)`, `sleep (see #12)`).
    pub(super) fn sql_call(&self, i: usize) -> bool {
        match self.get(i + 2) {
            Some(Tk::Word) => self.toks.get(i + 2).is_some_and(|t| {
                self.src.get(t.start..t.end).is_some_and(|w| {
                    let name_start = w
                        .first()
                        .is_some_and(|&b| b == b'_' || b.is_ascii_alphabetic());
                    name_start && w.iter().any(|&b| b == b'_' || b.is_ascii_digit())
                })
            }),
            Some(t) => sql_argument(t),
            None => false,
        }
    }
}

/// Whether a function's first argument token is SQL (a literal, a call, a
/// subquery…) rather than a word of prose.
pub(super) fn sql_argument(t: Tk) -> bool {
    matches!(
        t,
        Tk::Num
            | Tk::Str { .. }
            | Tk::Var { .. }
            | Tk::Func(_)
            | Tk::LParen
            | Tk::RParen
            | Tk::Arith(b'-')
            | Tk::Kw(Kw::Select | Kw::Literal)
    )
}

/// Tokens that can only continue a value already there (`OR …`, `) …`, `UNION …`).
fn continues_value(t: Tk) -> bool {
    matches!(
        t,
        Tk::Logic
            | Tk::Cmp
            | Tk::Arith(b'*' | b'/' | b'%' | b'&' | b'|' | b'^' | b'<' | b'>')
            | Tk::RParen
            | Tk::Semi
            | Tk::Comma
            | Tk::Comment
            | Tk::Kw(
                Kw::Union
                    | Kw::Except
                    | Kw::Order
                    | Kw::Group
                    | Kw::Having
                    | Kw::Limit
                    | Kw::Where
                    | Kw::As
                    | Kw::Into
                    | Kw::Procedure
                    | Kw::In
                    | Kw::Is
                    | Kw::Between
            )
    )
}

/// Whether a walk step goes on or ends (validly or not).
enum Step {
    Go,
    End(bool),
}

struct State<'w, 'a> {
    w: &'w Walker<'a>,
    /// The token the walk started at.
    start: usize,
    i: usize,
    limit: usize,
    nested: bool,
    mode: Mode,
    stack: Vec<Frame>,
    top: Clause,
    want: bool,
    last: Operand,
    /// A comparison waiting for its right side: (depth, left side).
    pending: Option<(usize, Operand)>,
    /// An alias was just given; a second name in a row is not SQL.
    aliased: bool,
    /// The last operator was a logical one.
    after_logic: bool,
    ev: Evidence,
}

impl State<'_, '_> {
    fn run(&mut self) -> bool {
        while self.i < self.limit {
            let Some(&tok) = self.w.toks.get(self.i) else {
                break;
            };
            let step = if self.want {
                self.operand(tok)
            } else {
                self.operator(tok)
            };
            match step {
                Step::Go => {}
                Step::End(valid) => return valid,
            }
            if self.stack.len() > MAX_DEPTH {
                return false;
            }
            if self.mode == Mode::Operand && !self.want && self.stack.is_empty() {
                return true;
            }
        }
        // Out of window: fine so far. At the end of the input: an operand must be complete.
        let valid = self.i < self.w.toks.len() || !self.want;
        // `') or ('x')=('x`: the right side is still inside parentheses the application closes.
        if let Some((_, left)) = self.pending.take().filter(|_| valid && !self.want) {
            self.judge(left, Operand::Group);
        }
        valid
    }

    fn peek(&self, ahead: usize) -> Option<Tk> {
        self.w.get(self.i + ahead)
    }

    fn clause(&self) -> Clause {
        match self.stack.last() {
            Some(Frame::Select(c)) => *c,
            Some(_) => Clause::List,
            None => self.top,
        }
    }

    /// Moves the current statement to clause `c`; false inside plain parentheses.
    fn set_clause(&mut self, c: Clause) -> bool {
        match self.stack.last_mut() {
            Some(Frame::Select(cur)) => *cur = c,
            Some(_) => return false,
            None => {
                self.top = c;
                if matches!(self.mode, Mode::Tail | Mode::Value) {
                    self.ev.clause = true;
                }
            }
        }
        true
    }

    fn complete(&mut self, o: Operand) {
        self.want = false;
        self.aliased = false;
        let depth = self.stack.len();
        if let Some((d, left)) = self.pending {
            if d == depth {
                self.judge(left, o);
            }
            if d >= depth {
                self.pending = None;
            }
        }
        if o == Operand::Literal {
            self.ev.literals = self.ev.literals.saturating_add(1);
            if self.w.get(self.i) == Some(Tk::Num) {
                self.ev.numbers = self.ev.numbers.saturating_add(1);
            }
        }
        // `' or '` leaves an empty string to the application's quote: a probe, not logic.
        let empty_open = self.w.toks.get(self.i).is_some_and(|t| {
            matches!(t.kind, Tk::Str { closed: false, .. }) && t.end - t.start <= 1
        });
        if self.after_logic
            && !empty_open
            && matches!(o, Operand::Literal | Operand::Call | Operand::Variable)
        {
            self.ev.logic_literal = true;
            let string = matches!(self.w.get(self.i), Some(Tk::Str { .. }));
            self.ev.logic_number |= !string;
        }
        self.after_logic = false;
        if self.clause() == Clause::From
            && matches!(o, Operand::Name(_) | Operand::Subquery | Operand::Call)
        {
            self.ev.select_from = true;
        }
        self.last = o;
    }

    fn judge(&mut self, left: Operand, right: Operand) {
        let solid = |o: Operand| !matches!(o, Operand::Name(_) | Operand::Star);
        let same_name = match (left, right) {
            (Operand::Name(a), Operand::Name(b)) => self.same_text(a, b),
            _ => false,
        };
        if solid(left) || solid(right) || same_name {
            self.ev.lit_cmp = self.ev.lit_cmp.saturating_add(1);
            if same_name || (left == Operand::Literal && right == Operand::Literal) {
                self.ev.const_cmp = self.ev.const_cmp.saturating_add(1);
            }
        } else {
            self.ev.word_cmp = self.ev.word_cmp.saturating_add(1);
        }
    }

    fn same_text(&self, a: usize, b: usize) -> bool {
        let text = |i: usize| {
            self.w
                .toks
                .get(i)
                .and_then(|t| self.w.src.get(t.start..t.end))
        };
        match (text(a), text(b)) {
            (Some(x), Some(y)) => x.eq_ignore_ascii_case(y),
            _ => false,
        }
    }

    /// Opens `( SELECT` (the `(` at `self.i`).
    fn open_select(&mut self) {
        self.stack.push(Frame::Select(Clause::Items));
        self.ev.subquery = true;
        self.i += 2;
        self.want = true;
    }

    /// One token where an operand is expected.
    fn operand(&mut self, t: Token) -> Step {
        match t.kind {
            Tk::Str { closed: true, .. } | Tk::Num | Tk::Kw(Kw::Literal) => {
                self.complete(Operand::Literal)
            }
            Tk::Str {
                closed: false,
                quote,
            } => {
                if self.w.open_quote.is_some_and(|q| q != quote) {
                    return Step::End(false);
                }
                self.complete(Operand::Literal);
            }
            Tk::Word | Tk::Junk => {
                self.note_name();
                self.complete(Operand::Name(self.i));
            }
            Tk::Var { system } => {
                self.ev.var = true;
                if system && self.revealing_variable() {
                    self.ev.sys_var = true;
                }
                self.complete(Operand::Variable);
            }
            Tk::Func(class) => {
                if self.peek(1) != Some(Tk::LParen) {
                    self.complete(Operand::Name(self.i));
                } else {
                    // `sleep(5)` is a delay; `sleep (see #12)` is prose.
                    let strong = matches!(class, FnClass::Time | FnClass::Error | FnClass::System);
                    let class = if strong && !self.w.sql_call(self.i) {
                        FnClass::Unknown
                    } else {
                        class
                    };
                    self.ev.funcs |= class.bit();
                    self.stack.push(Frame::Args);
                    self.i += 2;
                    return Step::Go;
                }
            }
            Tk::LParen => {
                if self.peek(1) == Some(Tk::Kw(Kw::Select)) {
                    self.open_select();
                    return Step::Go;
                }
                self.stack.push(Frame::Group);
            }
            Tk::Arith(b'-' | b'+' | b'~')
            | Tk::Not
            | Tk::Kw(Kw::Distinct | Kw::All | Kw::Any | Kw::Prefix | Kw::Exists) => {}
            Tk::Kw(Kw::Top) if self.peek(1) == Some(Tk::Num) => self.i += 1,
            Tk::Star
                if matches!(self.stack.last(), Some(Frame::Args))
                    || self.clause() == Clause::Items =>
            {
                self.ev.star = true;
                self.complete(Operand::Star);
            }
            Tk::Kw(Kw::Case) => self.stack.push(Frame::Case),
            Tk::Kw(Kw::When) if self.i > 0 && self.w.get(self.i - 1) == Some(Tk::Kw(Kw::Case)) => {}
            // A list left open before the comment (`ORDER BY 1,2,--`): sloppy but run.
            Tk::Comment if self.i > 0 && self.w.get(self.i - 1) == Some(Tk::Comma) => {
                self.ev.comment_end = true;
                self.i += 1;
                return Step::End(true);
            }
            Tk::RParen
                if self.stack.last() == Some(&Frame::Args)
                    && self.i > 0
                    && self.w.get(self.i - 1) == Some(Tk::LParen) =>
            {
                self.stack.pop();
                self.complete(Operand::Call);
            }
            _ => return Step::End(false),
        }
        self.i += 1;
        Step::Go
    }

    fn note_name(&mut self) {
        if !self.w.text(self.i).is_some_and(vocab::may_name_system) || !self.w.names() {
            // No catalogue or session name: nothing to note.
            return;
        }
        if let Some((buf, n)) = self.w.lower(self.i) {
            let name = &buf[..n];
            let catalogue = vocab::system_object(name);
            // Plausible names (`all_users`) only count as the table of a FROM.
            if catalogue == Some(vocab::Catalogue::Unmistakable)
                || (catalogue.is_some() && self.clause() == Clause::From && name != b"dual")
            {
                self.ev.sys_object = true;
            }
            if vocab::is_session_name(name) {
                self.ev.sys_var = true;
            }
        }
    }

    fn revealing_variable(&self) -> bool {
        self.w.lower(self.i).is_some_and(|(buf, n)| {
            vocab::is_revealing_system_variable(buf.get(2..n).unwrap_or(&[]))
        })
    }

    /// One token where an operator (or the end) is expected.
    fn operator(&mut self, t: Token) -> Step {
        match t.kind {
            Tk::Arith(b) if b != b'~' => self.want = true,
            Tk::Star => self.want = true,
            Tk::Cmp | Tk::Kw(Kw::Between) => self.compare(),
            // `IS [NOT] NULL|TRUE|FALSE|UNKNOWN`, nothing else (`and therefore is he`).
            Tk::Kw(Kw::Is) => {
                let not = usize::from(self.peek(1) == Some(Tk::Not));
                if self.peek(1 + not) != Some(Tk::Kw(Kw::Literal)) {
                    return Step::End(false);
                }
                self.compare();
            }
            Tk::Logic => {
                self.ev.logic = self.ev.logic.saturating_add(1);
                self.after_logic = true;
                self.want = true;
            }
            Tk::Not if matches!(self.peek(1), Some(Tk::Cmp | Tk::Kw(Kw::In | Kw::Between))) => {}
            Tk::Kw(Kw::In) => return self.in_list(),
            Tk::Kw(Kw::Collate) => self.want = true,
            Tk::Comma => {
                if !self.comma_ok() {
                    return Step::End(false);
                }
                self.want = true;
            }
            Tk::RParen => return self.close(),
            Tk::Semi => return self.semicolon(),
            Tk::Comment => {
                self.ev.comment_end = true;
                self.i += 1;
                return Step::End(true);
            }
            Tk::Junk if matches!(self.peek(1), None | Some(Tk::Comment)) => {
                self.i += 1;
                return Step::End(true);
            }
            Tk::Kw(Kw::From) if self.clause() == Clause::Items => {
                self.set_clause(Clause::From);
                self.want = true;
            }
            Tk::Kw(Kw::Where) => return self.clause_step(Clause::Where, 0),
            Tk::Kw(Kw::Having) => return self.clause_step(Clause::Having, 0),
            Tk::Kw(Kw::Limit | Kw::Offset) => return self.clause_step(Clause::Limit, 0),
            Tk::Kw(Kw::Procedure) => return self.clause_step(Clause::List, 0),
            Tk::Kw(Kw::Group) if self.peek(1) == Some(Tk::Kw(Kw::By)) => {
                return self.clause_step(Clause::GroupBy, 1);
            }
            Tk::Kw(Kw::Order) if self.peek(1) == Some(Tk::Kw(Kw::By)) => {
                return self.clause_step(Clause::OrderBy, 1);
            }
            Tk::Kw(Kw::Into) => return self.into(),
            Tk::Kw(Kw::Union | Kw::Except) => return self.union(),
            Tk::Kw(Kw::As) => return self.alias(),
            Tk::Kw(Kw::Direction) if self.clause() == Clause::OrderBy => {}
            Tk::Kw(Kw::Join) if self.clause() == Clause::From => {
                while self.peek(1) == Some(Tk::Kw(Kw::Join)) {
                    self.i += 1;
                }
                self.want = true;
            }
            Tk::Kw(Kw::On | Kw::Using) if self.clause() == Clause::From => self.want = true,
            Tk::Kw(kw @ (Kw::When | Kw::Then | Kw::Else))
                if self.stack.last() == Some(&Frame::Case) =>
            {
                if kw == Kw::Then {
                    self.ev.case_when = true;
                }
                self.want = true;
            }
            Tk::Kw(Kw::End) if self.stack.last() == Some(&Frame::Case) => {
                self.stack.pop();
                self.complete(Operand::Group);
            }
            Tk::Word | Tk::Junk if self.alias_ok() => self.aliased = true,
            // T-SQL `IF … SELECT … ELSE …`: the statement ends at ELSE.
            Tk::Kw(Kw::Else) if self.nested && self.stack.is_empty() => return Step::End(true),
            Tk::Kw(kw) if vocab::starts_statement(kw) => return self.batch(),
            Tk::Func(_) if self.w.is_word(self.i, b"if") => return self.batch(),
            Tk::LParen if self.peek(1) == Some(Tk::Kw(Kw::Select)) => return self.batch(),
            Tk::Func(class) if self.joined_call(class) => {
                self.want = true;
                return Step::Go;
            }
            _ => return Step::End(false),
        }
        self.i += 1;
        Step::Go
    }

    /// Whether the `class` call at the start of a walk after a closing quote is joined
    /// to the string: `'+sleep(5)+'` (concatenation, MySQL and T-SQL) arrives as
    /// `' sleep(5) '` once a form or query decoding made its `+`s spaces, so a delay,
    /// error-based or system call with SQL arguments right after the quote reads as
    /// the `+` operand it was. Other names there stay prose (`don't` is `don` `t`).
    fn joined_call(&self, class: FnClass) -> bool {
        self.mode == Mode::Tail
            && self.i == self.start
            && matches!(class, FnClass::Time | FnClass::Error | FnClass::System)
            && self.peek(1) == Some(Tk::LParen)
            && self.w.sql_call(self.i)
    }

    fn compare(&mut self) {
        self.pending = Some((self.stack.len(), self.last));
        self.want = true;
    }

    /// `IN (` list or subquery.
    fn in_list(&mut self) -> Step {
        if self.peek(1) != Some(Tk::LParen) {
            return Step::End(false);
        }
        self.compare();
        self.i += 1;
        if self.peek(1) == Some(Tk::Kw(Kw::Select)) {
            self.open_select();
        } else {
            self.stack.push(Frame::List);
            self.i += 1;
        }
        Step::Go
    }

    fn comma_ok(&mut self) -> bool {
        match self.stack.last() {
            Some(Frame::Args | Frame::List | Frame::Group) => true,
            Some(Frame::Case) => false,
            Some(Frame::Select(c)) => {
                matches!(
                    c,
                    Clause::Items | Clause::From | Clause::GroupBy | Clause::OrderBy
                )
            }
            None => {
                if self.top == Clause::Where && matches!(self.mode, Mode::Tail | Mode::Value) {
                    self.top = Clause::List;
                }
                matches!(
                    self.top,
                    Clause::Items | Clause::From | Clause::GroupBy | Clause::OrderBy | Clause::List
                )
            }
        }
    }

    fn close(&mut self) -> Step {
        match self.stack.pop() {
            None if matches!(self.mode, Mode::Tail | Mode::Value) => {
                self.ev.breakouts = self.ev.breakouts.saturating_add(1);
                self.complete(Operand::Group);
            }
            None => return Step::End(true),
            Some(Frame::Args) => self.complete(Operand::Call),
            Some(Frame::Select(_)) => self.complete(Operand::Subquery),
            Some(Frame::Group | Frame::List) => self.complete(Operand::Group),
            Some(Frame::Case) => return Step::End(false),
        }
        self.i += 1;
        Step::Go
    }

    /// `;`: the end, or the start of a stacked statement.
    fn semicolon(&mut self) -> Step {
        self.i += 1;
        match self.peek(0) {
            None | Some(Tk::Comment) => {
                self.ev.semi_end = true;
                Step::End(true)
            }
            Some(_) if self.nested => Step::End(true),
            Some(_) => match self.w.statement(self.i) {
                Some(c) => {
                    self.ev.stacked = self.ev.stacked.max(c);
                    Step::End(true)
                }
                None => Step::End(false),
            },
        }
    }

    /// A statement keyword where an operator is expected: T-SQL runs it as the next
    /// statement of the batch (`… WAITFOR DELAY '0:0:5'`).
    fn batch(&mut self) -> Step {
        if self.nested {
            return Step::End(true);
        }
        let ev = &self.ev;
        let sql_before =
            ev.lit_cmp > 0 || ev.logic > 0 || ev.breakouts > 0 || self.last == Operand::Call;
        match self
            .w
            .statement(self.i)
            .filter(|&c| c >= 0.85 || sql_before)
        {
            Some(c) => {
                self.ev.stacked = self.ev.stacked.max(c * 0.97);
                Step::End(true)
            }
            None => Step::End(false),
        }
    }

    /// A clause keyword (`extra` more keyword tokens, like `BY`, belong to it).
    fn clause_step(&mut self, c: Clause, extra: usize) -> Step {
        if !self.set_clause(c) {
            return Step::End(false);
        }
        self.i += 1 + extra;
        self.want = true;
        if c == Clause::List && self.mode != Mode::Select {
            // PROCEDURE ANALYSE(…): the call follows.
            self.top = Clause::Where;
        }
        Step::Go
    }

    /// `INTO OUTFILE '…'` / `INTO @var`.
    fn into(&mut self) -> Step {
        match (self.peek(1), self.peek(2)) {
            (Some(Tk::Kw(Kw::Outfile)), Some(Tk::Str { .. })) => {
                self.ev.outfile = true;
                self.i += 3;
            }
            (Some(Tk::Var { .. }), _) => self.i += 2,
            _ => return Step::End(false),
        }
        Step::Go
    }

    /// `UNION [ALL|DISTINCT] [(] SELECT item …`.
    fn union(&mut self) -> Step {
        let mut j = self.i + 1;
        if matches!(self.w.get(j), Some(Tk::Kw(Kw::All | Kw::Distinct))) {
            j += 1;
        }
        let paren = self.w.get(j) == Some(Tk::LParen);
        if paren {
            j += 1;
        }
        if self.w.get(j) != Some(Tk::Kw(Kw::Select)) {
            return Step::End(false);
        }
        if self.sql_item(j + 1) {
            self.ev.union = true;
        } else if matches!(self.w.get(j + 1), None | Some(Tk::Comment)) {
            self.ev.union_probe = Some(j > self.i + 1);
            self.i = j + 1;
            return Step::End(true);
        }
        if paren {
            self.stack.push(Frame::Select(Clause::Items));
        } else if !self.set_clause(Clause::Items) {
            return Step::End(false);
        }
        self.i = j + 1;
        self.want = true;
        Step::Go
    }

    /// Whether the select item at `k` looks like SQL rather than a word of prose.
    fn sql_item(&self, mut k: usize) -> bool {
        while matches!(self.w.get(k), Some(Tk::Kw(Kw::All | Kw::Distinct))) {
            k += 1;
        }
        match self.w.get(k) {
            Some(
                Tk::Num
                | Tk::Str { .. }
                | Tk::Kw(Kw::Literal)
                | Tk::Func(_)
                | Tk::Var { .. }
                | Tk::Star
                | Tk::LParen
                | Tk::Arith(b'-'),
            ) => true,
            Some(Tk::Word) => matches!(self.w.get(k + 1), Some(Tk::Comma | Tk::Kw(Kw::From))),
            _ => false,
        }
    }

    /// `AS alias` or `AS type(…)` (in `CAST`).
    fn alias(&mut self) -> Step {
        match self.peek(1) {
            Some(Tk::Word | Tk::Junk | Tk::Str { closed: true, .. }) => {
                self.i += 2;
                self.aliased = true;
            }
            Some(Tk::Func(_)) => {
                self.i += 1;
                self.want = true;
            }
            _ => return Step::End(false),
        }
        Step::Go
    }

    fn alias_ok(&self) -> bool {
        !self.aliased && matches!(self.clause(), Clause::Items | Clause::From)
    }
}
