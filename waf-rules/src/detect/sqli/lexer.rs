//! SQL tokenizer: turns bytes into classified tokens, one left-to-right pass.
//!
//! The grammar is the union of the dialects attackers aim at: `'…'` and `"…"` strings
//! with both backslash and doubled-quote escapes (MySQL), backtick and `[…]` quoted
//! names, `--`, `#` and `/* */` comments, MySQL `/*!…*/` versioned comments whose
//! content is code, `@var` and `@@system` variables, hex, binary and scientific
//! numbers, and `N'…'`/`X'…'`/`_charset'…'` string prefixes. A comment that runs to
//! the end of the input is kept as a [`Tk::Comment`] token: it is how an injection
//! cuts off the rest of the query. Comments followed by more code act as spaces.

use super::vocab::{self, FnClass, Kw, WordClass};

/// The class of a token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Tk {
    /// A string literal; `closed` is false when it runs to the end of the input.
    Str {
        closed: bool,
        quote: u8,
    },
    Num,
    /// A name: identifier, quoted identifier or qualified `a.b.c`.
    Word,
    /// A run of non-ASCII or control bytes only (prose in other scripts, stray
    /// punctuation, probes' garbage bytes).
    Junk,
    Kw(Kw),
    /// A function name; the next token is always the `(` that opens its arguments.
    Func(FnClass),
    /// `@name` or, with `system`, `@@name`.
    Var {
        system: bool,
    },
    /// `AND`, `OR`, `XOR`, `&&`, `||`.
    Logic,
    /// `NOT`, `!`.
    Not,
    /// `=`, `<>`, `!=`, `<`, `>`, `<=`, `>=`, `<=>`, `:=`, `LIKE`, `RLIKE`, `REGEXP`.
    Cmp,
    /// An arithmetic or bitwise operator; the byte tells which (`-`, `+`, `~`, …).
    Arith(u8),
    Star,
    LParen,
    RParen,
    Comma,
    Semi,
    /// A comment that runs to the end of the input.
    Comment,
    /// Anything SQL has no use for (`?`, `{`, `\`, a lone `@`, …).
    Other,
}

/// One token: its class and its byte span in the input.
#[derive(Clone, Copy, Debug)]
pub(super) struct Token {
    pub(super) kind: Tk,
    pub(super) start: usize,
    pub(super) end: usize,
}

/// The tokens of one input, with facts the token list itself does not keep.
#[derive(Default)]
pub(super) struct Lexed {
    pub(super) toks: Vec<Token>,
    /// Index of the first token after each MySQL `/*!` versioned-comment opener.
    pub(super) versioned: Vec<usize>,
    /// Index of each token that a `/**/` glues to the next word to spell a keyword
    /// (`UNI/**/ON`): an evasion no prose has.
    pub(super) split: Vec<usize>,
    /// Index of the first token after each closed block comment in which a `/*` starts
    /// before the comment ends (`/*/*/`, `/* a /* b */`): dialects that nest comments
    /// (PostgreSQL, SQL Server) read the rest as still inside one, MySQL as code. An
    /// evasion no prose has.
    pub(super) nested: Vec<usize>,
}

impl Lexed {
    /// An empty token list with room for the tokens of a short input of `len` bytes.
    pub(super) fn with_room(len: usize) -> Self {
        Self {
            toks: Vec::with_capacity(len.min(64) / 2 + 2),
            ..Self::default()
        }
    }
}

/// The longest word that is looked up in the vocabulary; longer ones are plain names.
pub(super) const MAX_WORD: usize = 64;

/// Tokenizes `src[from..]`, pushing onto `out` (which may already hold a prefix token).
pub(super) fn lex_into(src: &[u8], from: usize, out: &mut Lexed) {
    let mut lx = Lexer {
        src,
        pos: from,
        in_versioned: false,
        out,
    };
    lx.run();
}

/// Finds the end of a quoted run that starts at `pos` (just after the opening quote):
/// the index after the closing quote, or `None` if the run is never closed.
/// Backslash escapes apply to strings (when `escapes`), not to backtick names; a
/// doubled quote is an escaped quote in both.
pub(super) fn close_quote(src: &[u8], mut pos: usize, quote: u8, escapes: bool) -> Option<usize> {
    while let Some(&b) = src.get(pos) {
        if b == b'\\' && escapes && quote != b'`' {
            pos += 2;
        } else if b == quote {
            if src.get(pos + 1) == Some(&quote) {
                pos += 2;
            } else {
                return Some(pos + 1);
            }
        } else {
            pos += 1;
        }
    }
    None
}

struct Lexer<'a, 'o> {
    src: &'a [u8],
    pos: usize,
    /// Inside `/*! … */`: the closing `*/` is skipped like a space.
    in_versioned: bool,
    out: &'o mut Lexed,
}

impl Lexer<'_, '_> {
    fn at(&self, i: usize) -> u8 {
        self.src.get(i).copied().unwrap_or(0)
    }

    fn push(&mut self, kind: Tk, start: usize, end: usize) {
        self.out.toks.push(Token { kind, start, end });
        self.pos = end;
    }

    fn run(&mut self) {
        while self.pos < self.src.len() {
            let (p, b) = (self.pos, self.at(self.pos));
            match b {
                _ if is_space(b) => self.pos += 1,
                b'-' if self.at(p + 1) == b'-' => self.line_comment(p),
                b'#' => self.line_comment(p),
                b'/' if self.at(p + 1) == b'*' => self.block_comment(p),
                b'*' if self.in_versioned && self.at(p + 1) == b'/' => {
                    self.in_versioned = false;
                    self.pos += 2;
                }
                b'\'' | b'"' | b'`' => self.quoted(p, p + 1, b),
                b'[' => self.bracket_name(p),
                b'0'..=b'9' => self.number(p),
                b'.' if self.at(p + 1).is_ascii_digit() => self.number(p),
                b'@' => self.variable(p),
                _ if is_word_start(b) => self.word(p),
                _ => self.operator(p, b),
            }
        }
    }

    /// `--` or `#` to the end of the line: terminal if nothing but space follows.
    fn line_comment(&mut self, p: usize) {
        let end = self.src[p..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(self.src.len(), |n| p + n);
        self.comment(p, end);
    }

    /// `/* … */`, or `/*! … */` whose content is code to MySQL.
    fn block_comment(&mut self, p: usize) {
        if self.at(p + 2) == b'!' {
            let mut q = p + 3;
            while q < p + 9 && self.at(q).is_ascii_digit() {
                q += 1;
            }
            self.in_versioned = true;
            self.pos = q;
            self.out.versioned.push(self.out.toks.len());
            return;
        }
        let body = p + 2;
        let end = self.src[body.min(self.src.len())..]
            .windows(2)
            .position(|w| w == b"*/")
            .map_or(self.src.len(), |n| body + n + 2);
        // The `*` of the closing `*/` may end an opener too (`/*/*/`), as libinjection
        // and a nesting parser read it.
        let inner = self.src.get(body..end - 1).unwrap_or_default();
        if end < self.src.len() && inner.windows(2).any(|w| w == b"/*") {
            self.out.nested.push(self.out.toks.len());
        }
        self.note_split(p, end);
        self.comment(p, end);
    }

    /// Records a comment at `start..end` glued between two word parts that together
    /// spell a keyword (`SEL/**/ECT`).
    fn note_split(&mut self, start: usize, end: usize) {
        let Some(left) = self.out.toks.last().filter(|t| t.end == start) else {
            return;
        };
        let right_end = word_end(self.src, end);
        let (left_text, right_text) = (&self.src[left.start..left.end], &self.src[end..right_end]);
        let len = left_text.len() + right_text.len();
        if right_text.is_empty() || len > 16 {
            return;
        }
        let mut buf = [0u8; 16];
        buf[..left_text.len()].copy_from_slice(left_text);
        buf[left_text.len()..len].copy_from_slice(right_text);
        buf.make_ascii_lowercase();
        if matches!(
            vocab::classify(&buf[..len]),
            WordClass::Kw(_) | WordClass::Logic
        ) {
            self.out.split.push(self.out.toks.len() - 1);
        }
    }

    fn comment(&mut self, start: usize, end: usize) {
        if self.src[end..].iter().all(|&b| is_space(b)) {
            self.push(Tk::Comment, start, self.src.len());
        } else {
            self.pos = end;
        }
    }

    /// A string (`'`, `"`) or quoted name (`` ` ``) whose content starts at `body`.
    fn quoted(&mut self, start: usize, body: usize, quote: u8) {
        let (end, closed) = match close_quote(self.src, body, quote, true) {
            Some(end) => (end, true),
            None => (self.src.len(), false),
        };
        let kind = if quote == b'`' && closed {
            Tk::Word
        } else {
            Tk::Str { closed, quote }
        };
        self.push(kind, start, end);
    }

    /// T-SQL `[name]`; a `[` with no `]` soon after is just punctuation.
    fn bracket_name(&mut self, p: usize) {
        let limit = (p + 130).min(self.src.len());
        match self.src[p + 1..limit]
            .iter()
            .position(|&b| b == b']' || b == b'[')
        {
            Some(n) if self.at(p + 1 + n) == b']' && n > 0 => self.push(Tk::Word, p, p + n + 2),
            _ => self.push(Tk::Other, p, p + 1),
        }
    }

    /// Decimal, `0x…` hex, `0b…` binary, `.5`, `1e-3`. Digits glued to letters form a
    /// name (`3pm`, `2nd`), unless the letters are a keyword that MySQL would split off
    /// (`1union`, `1and`). After a decimal point they cannot: a name has no `.`, and the
    /// parts of a qualified name are never all digits, so `20.to_i` is the number `20.`
    /// and then the name `to_i` (as MySQL and libinjection read it). `1.e` without
    /// exponent digits stays one token: MySQL's odd float of the `1.e(` evasion.
    fn number(&mut self, p: usize) {
        let radix = match (self.at(p), self.at(p + 1) | 0x20) {
            (b'0', b'x') => Some(16),
            (b'0', b'b') => Some(2),
            _ => None,
        };
        let mut q = p;
        if let Some(radix) = radix {
            q = p + 2;
            while (self.at(q) as char).is_digit(radix) {
                q += 1;
            }
            if q == p + 2 || is_word_byte(self.at(q)) {
                return self.word(p);
            }
            return self.push(Tk::Num, p, q);
        }
        while self.at(q).is_ascii_digit() {
            q += 1;
        }
        let point = self.at(q) == b'.';
        if point {
            q += 1;
            while self.at(q).is_ascii_digit() {
                q += 1;
            }
        }
        if self.at(q) | 0x20 == b'e' {
            let sign = usize::from(matches!(self.at(q + 1), b'+' | b'-'));
            if self.at(q + 1 + sign).is_ascii_digit() {
                q += 1 + sign;
                while self.at(q).is_ascii_digit() {
                    q += 1;
                }
            }
        }
        let split = point && self.at(q) | 0x20 != b'e';
        if is_word_byte(self.at(q)) && self.at(p) != b'.' && !split {
            let tail = word_end(self.src, q);
            if !splits_from_number(&self.src[q..tail]) {
                return self.word(p);
            }
        }
        self.push(Tk::Num, p, q);
    }

    /// `@name`, `@@name`, `@'quoted'`; a lone `@` is punctuation.
    fn variable(&mut self, p: usize) {
        let system = self.at(p + 1) == b'@';
        let name = p + 1 + usize::from(system);
        let b = self.at(name);
        if matches!(b, b'\'' | b'"' | b'`') {
            let end = close_quote(self.src, name + 1, b, true).unwrap_or(self.src.len());
            return self.push(Tk::Var { system }, p, end);
        }
        let end = word_end(self.src, name);
        if end == name {
            return self.push(Tk::Other, p, name);
        }
        self.push(Tk::Var { system }, p, end);
    }

    /// A name, possibly qualified (`a.b`, `master..xp_cmdshell`, `t.*`), then classified
    /// as keyword, operator word, function (when `(` follows) or plain name.
    fn word(&mut self, p: usize) {
        let mut end = word_end(self.src, p);
        let mut qualified = false;
        while self.at(end) == b'.' {
            let mut q = end;
            while self.at(q) == b'.' {
                q += 1;
            }
            let next = self.at(q);
            if next == b'*' {
                end = q + 1;
            } else if next == b'`' {
                end = close_quote(self.src, q + 1, b'`', true).unwrap_or(self.src.len());
            } else if is_word_byte(next) {
                end = word_end(self.src, q);
            } else {
                break;
            }
            qualified = true;
        }
        let text = &self.src[p..end];
        if !qualified && self.at(end) == b'\'' && is_string_prefix(text) {
            return self.quoted(p, end + 1, b'\'');
        }
        let kind = self.word_kind(text, end, qualified);
        self.push(kind, p, end);
    }

    fn word_kind(&self, text: &[u8], end: usize, qualified: bool) -> Tk {
        if text.iter().all(|&b| is_junk_byte(b)) {
            return Tk::Junk;
        }
        if text.len() > MAX_WORD {
            return Tk::Word;
        }
        let mut buf = [0u8; MAX_WORD];
        let lower = &mut buf[..text.len()];
        lower.copy_from_slice(text);
        lower.make_ascii_lowercase();
        let paren = paren_follows(self.src, end);
        let class = if qualified {
            WordClass::Plain
        } else {
            vocab::classify(lower)
        };
        match class {
            WordClass::Logic => Tk::Logic,
            WordClass::Not => Tk::Not,
            WordClass::Cmp if paren != Some(true) => Tk::Cmp,
            WordClass::Arith if paren != Some(true) => Tk::Arith(b'%'),
            WordClass::Kw(kw) if !(paren == Some(true) && vocab::keyword_can_be_function(kw)) => {
                Tk::Kw(kw)
            }
            // A name is a function only before `(`: classify it only then.
            _ => match paren {
                Some(true) => Tk::Func(vocab::function_class(lower)),
                Some(false) => match vocab::function_class(lower) {
                    FnClass::Unknown => Tk::Word,
                    fc => Tk::Func(fc),
                },
                None => Tk::Word,
            },
        }
    }

    fn operator(&mut self, p: usize, b: u8) {
        let next = self.at(p + 1);
        let (kind, len) = match (b, next) {
            (b'(', _) => (Tk::LParen, 1),
            (b')', _) => (Tk::RParen, 1),
            (b',', _) => (Tk::Comma, 1),
            (b';', _) => (Tk::Semi, 1),
            (b'*', _) => (Tk::Star, 1),
            (b'<', b'=') if self.at(p + 2) == b'>' => (Tk::Cmp, 3),
            (b'<', b'=' | b'>') | (b'>', b'=') | (b'!', b'=' | b'<' | b'>') => (Tk::Cmp, 2),
            (b'=', b'=') | (b':', b'=') => (Tk::Cmp, 2),
            (b'<', b'<') | (b'>', b'>') | (b':', b':') => (Tk::Arith(b), 2),
            (b'-', b'>') => (Tk::Arith(b), 2 + usize::from(self.at(p + 2) == b'>')),
            (b'=' | b'<' | b'>', _) => (Tk::Cmp, 1),
            (b'&', b'&') | (b'|', b'|') => (Tk::Logic, 2),
            (b'!', _) => (Tk::Not, 1),
            (b'+' | b'-' | b'/' | b'%' | b'&' | b'|' | b'^' | b'~', _) => (Tk::Arith(b), 1),
            _ => (Tk::Other, 1),
        };
        self.push(kind, p, p + len);
    }
}

/// Spaces as SQL servers see them; NUL too, as C-based servers stop reading there.
pub(super) fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c | 0)
}

/// Word bytes that are not ASCII letters: non-ASCII (prose in other scripts, `ý`) and
/// control bytes (probes use `\x18` as a would-be quote). Runs of only these are
/// [`Tk::Junk`].
fn is_junk_byte(b: u8) -> bool {
    b >= 0x80 || (b < 0x20 && !is_space(b))
}

fn is_word_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || is_junk_byte(b)
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || is_junk_byte(b)
}

fn word_end(src: &[u8], from: usize) -> usize {
    src.get(from..)
        .and_then(|rest| rest.iter().position(|&b| !is_word_byte(b)))
        .map_or(src.len(), |n| from + n)
}

/// `N'…'`, `X'…'`, `B'…'`, `E'…'` and MySQL `_charset'…'` introducers.
fn is_string_prefix(word: &[u8]) -> bool {
    matches!(
        word,
        [b'n' | b'N' | b'x' | b'X' | b'b' | b'B' | b'e' | b'E']
    ) || (word.first() == Some(&b'_') && word.len() > 1)
}

/// Keywords MySQL reads as separate tokens even when glued to a number (`1union`).
fn splits_from_number(letters: &[u8]) -> bool {
    if letters.len() > 8 {
        return false;
    }
    let mut buf = [0u8; 8];
    let lower = &mut buf[..letters.len()];
    lower.copy_from_slice(letters);
    lower.make_ascii_lowercase();
    matches!(
        &*lower,
        b"union"
            | b"and"
            | b"or"
            | b"xor"
            | b"from"
            | b"order"
            | b"group"
            | b"having"
            | b"limit"
            | b"into"
            | b"like"
            | b"rlike"
            | b"regexp"
            | b"div"
            | b"select"
    )
}

/// Whether `(` follows `pos`: `Some(true)` right after, `Some(false)` after spaces or
/// inline comments, `None` otherwise.
fn paren_follows(src: &[u8], mut pos: usize) -> Option<bool> {
    let start = pos;
    loop {
        match src.get(pos) {
            Some(b'(') => return Some(pos == start),
            Some(&b) if is_space(b) => pos += 1,
            Some(b'/') if src.get(pos + 1) == Some(&b'*') && src.get(pos + 2) != Some(&b'!') => {
                let body = pos + 2;
                let close = src.get(body..)?.windows(2).position(|w| w == b"*/")?;
                pos = body + close + 2;
            }
            _ => return None,
        }
    }
}
