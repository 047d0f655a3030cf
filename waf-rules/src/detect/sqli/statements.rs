//! Statement recognisers: does a statement start here, and how surely?
//!
//! Used after `;` (stacked queries), where T-SQL runs a statement without one
//! (`… WAITFOR DELAY '0:0:5'`), at the start of a value, and from anchors found
//! anywhere. Each looks at the statement's head only (`DROP TABLE name`,
//! `EXEC xp_…`, `DECLARE @v`), or walks a bounded `SELECT` or condition.

use super::lexer::Tk;
use super::vocab::{self, FnClass, Kw};
use super::walk::{Mode, Walker};

impl Walker<'_> {
    /// Confidence that a statement starts at token `j` (after `;`, at the start of the
    /// value, or inside a T-SQL batch), judged from its first tokens.
    pub(super) fn statement(&self, j: usize) -> Option<f64> {
        let t = |k: usize| self.get(k);
        let kw = match t(j)? {
            Tk::Kw(kw) => kw,
            Tk::Func(_) if self.is_word(j, b"if") => Kw::If,
            Tk::Func(class) => return self.call_statement(j, class),
            Tk::LParen if t(j + 1) == Some(Tk::Kw(Kw::Select)) => {
                return self.select_statement(j + 1);
            }
            Tk::Word => return self.word_statement(j),
            _ => return None,
        };
        let name = |k: usize| matches!(t(k), Some(Tk::Word | Tk::Func(_) | Tk::Str { .. }));
        match kw {
            Kw::Select => self.select_statement(j),
            Kw::Drop | Kw::Create | Kw::Alter | Kw::Truncate => {
                (self.is_object_type(j + 1) && name(j + 2)).then_some(0.95)
            }
            Kw::Insert => (t(j + 1) == Some(Tk::Kw(Kw::Into)) && name(j + 2)).then_some(0.9),
            Kw::Update => (name(j + 1) && t(j + 2) == Some(Tk::Kw(Kw::Set))).then_some(0.9),
            Kw::Delete => (t(j + 1) == Some(Tk::Kw(Kw::From)) && name(j + 2)).then_some(0.9),
            Kw::Exec => self.exec_target(j + 1),
            Kw::Declare => {
                let typed = self
                    .lower(j + 2)
                    .is_some_and(|(b, n)| vocab::is_type_name(&b[..n]));
                let declares = matches!(t(j + 1), Some(Tk::Var { .. }))
                    && (typed || t(j + 2) == Some(Tk::Kw(Kw::As)));
                declares.then_some(0.95)
            }
            Kw::Waitfor => ((self.is_word(j + 1, b"delay") || self.is_word(j + 1, b"time"))
                && matches!(t(j + 2), Some(Tk::Str { .. })))
            .then_some(0.98),
            Kw::Shutdown => matches!(t(j + 1), None | Some(Tk::Comment | Tk::Semi)).then_some(0.9),
            Kw::Set => (matches!(t(j + 1), Some(Tk::Var { .. })) && t(j + 2) == Some(Tk::Cmp))
                .then_some(0.85),
            Kw::If => self.if_condition(j),
            Kw::Begin => (t(j + 1) == Some(Tk::Kw(Kw::Declare))
                || self.is_word(j + 1, b"tran")
                || self.is_word(j + 1, b"transaction"))
            .then_some(0.85),
            Kw::Call => matches!(t(j + 1), Some(Tk::Func(_))).then_some(0.8),
            Kw::Grant => {
                let grants =
                    (j + 2..j + 8).any(|k| self.is_word(k, b"to") || t(k) == Some(Tk::Kw(Kw::On)));
                (name(j + 1) || t(j + 1) == Some(Tk::Kw(Kw::All)))
                    .then_some(0.85)
                    .filter(|_| grants)
            }
            Kw::Direction if self.is_word(j, b"desc") => name(j + 1).then_some(0.8),
            _ => None,
        }
    }

    /// Statements whose first word is not reserved: `BACKUP DATABASE`, PostgreSQL
    /// `COPY (SELECT …) TO PROGRAM '…'` and `COPY t FROM '/etc/passwd'`.
    fn word_statement(&self, j: usize) -> Option<f64> {
        let t = |k: usize| self.get(k);
        if self.is_word(j, b"backup") || self.is_word(j, b"restore") {
            let target = self.is_word(j + 1, b"database") || self.is_word(j + 1, b"log");
            return target.then_some(0.9);
        }
        if self.is_word(j, b"copy") {
            let query = t(j + 1) == Some(Tk::LParen) && t(j + 2) == Some(Tk::Kw(Kw::Select));
            let file = t(j + 1) == Some(Tk::Word)
                && (t(j + 2) == Some(Tk::Kw(Kw::From)) || self.is_word(j + 2, b"to"));
            return (query || file).then_some(0.85);
        }
        None
    }

    /// A function call run as a statement (`;IIF(1=1,1,1/0)`, `;SELECT`-less probes).
    fn call_statement(&self, j: usize, class: FnClass) -> Option<f64> {
        let walk = self.walk_nested(j, Mode::Operand);
        let strong = matches!(class, FnClass::Time | FnClass::Error | FnClass::System);
        (walk.valid && (strong || walk.ev.const_cmp > 0)).then_some(0.85)
    }

    /// `DROP TABLE`, `CREATE USER`, …: the object kinds DDL takes.
    fn is_object_type(&self, i: usize) -> bool {
        const KINDS: &[&[u8]] = &[
            b"table",
            b"database",
            b"schema",
            b"function",
            b"procedure",
            b"view",
            b"user",
            b"index",
            b"trigger",
            b"login",
            b"column",
            b"sequence",
            b"role",
            b"event",
            b"temporary",
        ];
        self.get(i) == Some(Tk::Kw(Kw::Procedure)) || KINDS.iter().any(|k| self.is_word(i, k))
    }

    /// What `EXEC` runs: a system procedure, a dynamic string or variable.
    fn exec_target(&self, i: usize) -> Option<f64> {
        match self.get(i)? {
            Tk::Word | Tk::Func(_) => {
                let (buf, n) = self.lower(i)?;
                let name = &buf[..n];
                let system = name.split(|&b| b == b'.').any(vocab::is_system_procedure)
                    || name == b"immediate";
                system.then_some(0.95)
            }
            Tk::Var { .. } => Some(0.9),
            Tk::LParen => {
                matches!(self.get(i + 1), Some(Tk::Var { .. } | Tk::Str { .. })).then_some(0.9)
            }
            Tk::Str { .. } => Some(0.85),
            _ => None,
        }
    }

    /// T-SQL `IF <condition> …` / MySQL `IF(…)`: a condition that compares or queries.
    fn if_condition(&self, j: usize) -> Option<f64> {
        let from = if matches!(self.get(j), Some(Tk::Func(_))) {
            j
        } else {
            j + 1
        };
        let walk = self.walk_nested(from, Mode::Operand);
        let ev = &walk.ev;
        let queries = ev.const_cmp > 0
            || ev.subquery
            || ev.called(FnClass::Info)
            || ev.called(FnClass::Time)
            || ev.sys_var;
        (walk.valid && queries).then_some(0.85)
    }

    /// A `SELECT` at token `j`, judged by what its walk (bounded) finds.
    pub(super) fn select_statement(&self, j: usize) -> Option<f64> {
        let walk = self.walk_nested(j + 1, Mode::Select);
        let ev = &walk.ev;
        if !walk.valid || ev.tokens == 0 {
            return None;
        }
        let sql_items = ev.union
            || ev.case_when
            || ev.star
            || ev.var
            || ev.sys_var
            || ev.sys_object
            || ev.subquery
            || ev.funcs & !FnClass::Unknown.bit() != 0;
        let terminated = ev.comment_end || ev.semi_end;
        if sql_items {
            Some(0.9)
        } else if ev.select_from && (ev.lit_cmp > 0 || terminated) {
            Some(0.85)
        } else if ev.literals > 0 && terminated {
            Some(0.8)
        } else if ev.literals > 0 || ev.select_from {
            Some(0.7)
        } else {
            None
        }
    }
}
