//! A shell tokenizer: splits a value into the words, separators, substitutions and
//! redirections that `sh` (and, for its separators, `cmd.exe`) would see.
//!
//! Words are normalised the way the shell rebuilds them, so the quoting evasions an
//! attacker uses to hide a command name (`c'a't`, `c"a"t`, `c\at`, `w$@hoami`,
//! `cat${IFS}/etc/passwd`) give back the command. Nesting (`"$(…)"`, `` `…` ``) is
//! followed with an explicit stack of bounded depth: input cannot make the lexer recurse.

use std::borrow::Cow;

/// How a separator chains the command after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Sep {
    /// `;`
    Semi,
    /// A line break.
    Newline,
    /// `|`
    Pipe,
    /// `||`
    Or,
    /// `&&`
    And,
    /// `&`
    Amp,
}

/// One token of a shell command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Tok<'a> {
    /// A word, normalised (quotes and escapes removed), with its byte range in the input.
    Word {
        /// The word as the shell rebuilds it (borrowed when that is its span of input).
        text: Cow<'a, [u8]>,
        /// Where the word starts in the input.
        start: usize,
        /// Where the word ends in the input.
        end: usize,
    },
    /// A command separator.
    Sep(Sep),
    /// `` ` `` or `$(`, opening a command substitution.
    SubstOpen,
    /// The end of a command substitution.
    SubstClose,
    /// `(` or a `{` group / brace expansion.
    GroupOpen,
    /// `)` or `}`.
    GroupClose,
    /// `<`, `>` or `>>`.
    Redirect,
}

/// What a nesting level of the lexer is inside of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Unquoted text, ending at the end of input.
    Top,
    /// Unquoted text inside `$(…)`.
    Subst,
    /// Unquoted text inside `(…)`.
    Paren,
    /// Unquoted text inside backticks.
    Backtick,
    /// Unquoted text inside a `{…}` group, where `,` separates words (brace expansion).
    Brace,
    /// Inside double quotes.
    Double,
}

/// Deepest nesting followed; deeper openers are read as plain characters.
const MAX_DEPTH: usize = 16;

/// Where lexing starts: at the top level, or as if the value were the tail of a string
/// the application had opened with a quote (the value's first such quote closes it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Start {
    /// Unquoted.
    Unquoted,
    /// Inside `'…`.
    Single,
    /// Inside `"…`.
    Double,
}

/// The tokens of `input` lexed from `start`, or `None` when `start` is a quote context
/// that `input` never closes.
pub(super) fn lex(input: &[u8], start: Start) -> Option<Vec<Tok<'_>>> {
    let from = match start {
        Start::Unquoted => 0,
        Start::Single => input.iter().position(|&b| b == b'\'')? + 1,
        Start::Double => input.iter().position(|&b| b == b'"')? + 1,
    };
    let mut lexer = Lexer {
        input,
        i: from,
        stack: vec![Mode::Top],
        toks: Vec::new(),
        word: Vec::new(),
        word_start: None,
    };
    // A value that closes the application's quote continues the argument it was in.
    if start != Start::Unquoted {
        lexer.word_start = Some(from);
    }
    lexer.run();
    Some(lexer.toks)
}

/// The lexer's state.
struct Lexer<'a> {
    input: &'a [u8],
    i: usize,
    stack: Vec<Mode>,
    toks: Vec<Tok<'a>>,
    word: Vec<u8>,
    word_start: Option<usize>,
}

impl<'a> Lexer<'a> {
    fn peek(&self, off: usize) -> Option<u8> {
        self.input.get(self.i + off).copied()
    }

    fn mode(&self) -> Mode {
        self.stack.last().copied().unwrap_or(Mode::Top)
    }

    fn can_nest(&self) -> bool {
        self.stack.len() < MAX_DEPTH
    }

    /// Adds a byte to the current word.
    fn push(&mut self, b: u8) {
        self.word_start.get_or_insert(self.i);
        self.word.push(b);
    }

    /// Ends the current word, if any.
    fn flush(&mut self) {
        if let Some(start) = self.word_start.take() {
            let end = self.i.min(self.input.len()).max(start);
            let span = &self.input[start..end];
            // Most words are their span of input: borrow it, and keep the buffer.
            let text = if self.word == span {
                self.word.clear();
                Cow::Borrowed(span)
            } else {
                Cow::Owned(std::mem::take(&mut self.word))
            };
            self.toks.push(Tok::Word { text, start, end });
        }
    }

    fn emit(&mut self, tok: Tok<'a>) {
        self.flush();
        self.toks.push(tok);
    }

    fn run(&mut self) {
        while self.i < self.input.len() {
            if self.mode() == Mode::Double {
                self.double_quoted();
            } else {
                self.unquoted();
            }
        }
        self.flush();
    }

    /// One step inside double quotes: substitutions still open, everything else is text.
    fn double_quoted(&mut self) {
        let b = self.input[self.i];
        match b {
            b'"' => {
                self.stack.pop();
                self.word_start.get_or_insert(self.i);
                self.i += 1;
            }
            b'\\' if self.peek(1).is_some() => {
                self.i += 1;
                self.push(self.input[self.i]);
                self.i += 1;
            }
            b'`' if self.can_nest() => {
                self.emit(Tok::SubstOpen);
                self.stack.push(Mode::Backtick);
                self.i += 1;
            }
            b'$' if self.peek(1) == Some(b'(') && self.can_nest() => {
                self.emit(Tok::SubstOpen);
                self.stack.push(Mode::Subst);
                self.i += 2;
            }
            _ => {
                self.push(b);
                self.i += 1;
            }
        }
    }

    /// One step of unquoted text.
    fn unquoted(&mut self) {
        let b = self.input[self.i];
        match b {
            b' ' | b'\t' | 0x0b | 0x0c => {
                self.flush();
                self.i += 1;
            }
            b'\n' | b'\r' => self.sep(Sep::Newline, 1),
            b';' => self.sep(Sep::Semi, 1),
            b'&' if self.peek(1) == Some(b'&') => self.sep(Sep::And, 2),
            b'&' if self.peek(1) == Some(b'>') => self.redirect(2),
            b'&' => self.sep(Sep::Amp, 1),
            b'|' if self.peek(1) == Some(b'|') => self.sep(Sep::Or, 2),
            b'|' => self.sep(Sep::Pipe, 1),
            b'<' | b'>' if self.peek(1) == Some(b'(') && self.can_nest() => {
                self.emit(Tok::SubstOpen);
                self.stack.push(Mode::Subst);
                self.i += 2;
            }
            b'<' | b'>' => self.redirect(1),
            b'\'' => self.single_quoted(),
            b'"' if self.can_nest() => {
                self.word_start.get_or_insert(self.i);
                self.stack.push(Mode::Double);
                self.i += 1;
            }
            b'`' => self.backtick(),
            b'(' if self.can_nest() => {
                self.emit(Tok::GroupOpen);
                self.stack.push(Mode::Paren);
                self.i += 1;
            }
            b')' => {
                let tok = match self.mode() {
                    Mode::Subst => Tok::SubstClose,
                    _ => Tok::GroupClose,
                };
                if matches!(self.mode(), Mode::Subst | Mode::Paren) {
                    self.stack.pop();
                }
                self.emit(tok);
                self.i += 1;
            }
            b'{' if self.word_start.is_none() && self.can_nest() => {
                self.emit(Tok::GroupOpen);
                self.stack.push(Mode::Brace);
                self.i += 1;
            }
            b'}' if self.mode() == Mode::Brace => {
                self.stack.pop();
                self.emit(Tok::GroupClose);
                self.i += 1;
            }
            b',' if self.mode() == Mode::Brace => {
                self.flush();
                self.i += 1;
            }
            b'#' if self.word_start.is_none() => self.comment(),
            b'\\' => self.escape(),
            b'$' => self.dollar(),
            _ => {
                self.push(b);
                self.i += 1;
            }
        }
    }

    fn sep(&mut self, sep: Sep, len: usize) {
        self.emit(Tok::Sep(sep));
        self.i += len;
    }

    fn redirect(&mut self, len: usize) {
        self.emit(Tok::Redirect);
        self.i += len;
        if self.peek(0) == Some(b'>') {
            self.i += 1;
        }
    }

    /// `'…'`: literal text, part of the current word. An unclosed quote runs to the end.
    fn single_quoted(&mut self) {
        self.word_start.get_or_insert(self.i);
        let body = &self.input[self.i + 1..];
        let len = body.iter().position(|&b| b == b'\'').unwrap_or(body.len());
        self.word.extend_from_slice(&body[..len]);
        self.i += len + 2;
    }

    fn backtick(&mut self) {
        if self.mode() == Mode::Backtick {
            self.stack.pop();
            self.emit(Tok::SubstClose);
        } else if self.can_nest() {
            self.emit(Tok::SubstOpen);
            self.stack.push(Mode::Backtick);
        } else {
            self.push(b'`');
        }
        self.i += 1;
    }

    /// A `#` starting a word comments out the rest of the line.
    fn comment(&mut self) {
        while self.i < self.input.len() && !matches!(self.input[self.i], b'\n' | b'\r') {
            self.i += 1;
        }
    }

    /// `\x` is `x`; a backslash before a line break continues the line.
    fn escape(&mut self) {
        match self.peek(1) {
            Some(b'\n') => self.i += 2,
            Some(next) => {
                self.word_start.get_or_insert(self.i);
                self.i += 1;
                self.push(next);
                self.i += 1;
            }
            None => {
                self.push(b'\\');
                self.i += 1;
            }
        }
    }

    /// `$(` substitutions, `$IFS` / `${IFS}` word splitting, the always-empty `$@`, `$*`
    /// and positional parameters (`$9`) that evasions insert into words.
    fn dollar(&mut self) {
        let rest = &self.input[self.i + 1..];
        if rest.first() == Some(&b'(') && self.can_nest() {
            self.emit(Tok::SubstOpen);
            self.stack.push(Mode::Subst);
            self.i += 2;
        } else if rest.starts_with(b"{IFS}") {
            self.flush();
            self.i += 6;
        } else if rest.starts_with(b"IFS") {
            self.flush();
            self.i += 4;
        } else if matches!(rest.first(), Some(b'@' | b'*' | b'0'..=b'9')) {
            self.word_start.get_or_insert(self.i);
            self.i += 2;
        } else if let Some(len) = self.inner_variable(rest) {
            // `c$?at`, `una$$me`, `cat$u`, `c${x}at`: expansions (empty or not) spliced
            // into a word to break up its name. A variable that is a whole word
            // (`$HOME`, `$SHELL`) stays.
            self.word_start.get_or_insert(self.i);
            self.i += 1 + len;
        } else {
            self.push(b'$');
            self.i += 1;
        }
    }

    /// The length of a variable reference at `rest` (just after a `$`) that is spliced
    /// into a word: special parameters (`$?`, `$$`, `$_`, `$!`, `$-`), `$name` and
    /// `${name}`, when the word has started before it or goes on after it.
    fn inner_variable(&self, rest: &[u8]) -> Option<usize> {
        let len = match rest {
            [b'?' | b'$' | b'!' | b'-', ..] => 1,
            [b'{', body @ ..] => {
                let name = body
                    .iter()
                    .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
                    .count();
                (name > 0 && body.get(name) == Some(&b'}')).then_some(name + 2)?
            }
            _ => rest
                .iter()
                .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
                .count(),
        };
        let continues = rest
            .get(len)
            .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'/');
        (len > 0
            && (self.word_start.is_some() || continues)
            && !rest[..len].eq_ignore_ascii_case(b"{shell}"))
        .then_some(len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(input: &str, start: Start) -> Vec<String> {
        lex(input.as_bytes(), start)
            .unwrap_or_default()
            .into_iter()
            .map(|t| match t {
                Tok::Word { text, .. } => String::from_utf8_lossy(&text).into_owned(),
                Tok::Sep(s) => format!("<{s:?}>"),
                other => format!("<{other:?}>"),
            })
            .collect()
    }

    #[test]
    fn lexes_command_lines() {
        let cases: &[(&str, Start, &[&str])] = &[
            ("cat /etc/passwd", Start::Unquoted, &["cat", "/etc/passwd"]),
            (
                "a;id|x",
                Start::Unquoted,
                &["a", "<Semi>", "id", "<Pipe>", "x"],
            ),
            (
                "a && b || c & d",
                Start::Unquoted,
                &["a", "<And>", "b", "<Or>", "c", "<Amp>", "d"],
            ),
            (
                "c'a't c\"a\"t c\\at w$@hoami",
                Start::Unquoted,
                &["cat", "cat", "cat", "whoami"],
            ),
            (
                "c$?at una$$me cat$u c${x}at $HOME",
                Start::Unquoted,
                &["cat", "uname", "cat", "cat", "$HOME"],
            ),
            (
                "cat${IFS}/etc/passwd",
                Start::Unquoted,
                &["cat", "/etc/passwd"],
            ),
            (
                "cat$IFS$9/etc/passwd",
                Start::Unquoted,
                &["cat", "/etc/passwd"],
            ),
            (
                "{cat,/etc/passwd}",
                Start::Unquoted,
                &["<GroupOpen>", "cat", "/etc/passwd", "<GroupClose>"],
            ),
            (
                "`id`",
                Start::Unquoted,
                &["<SubstOpen>", "id", "<SubstClose>"],
            ),
            (
                "\"$(id)\"",
                Start::Unquoted,
                &["", "<SubstOpen>", "id", "<SubstClose>", ""],
            ),
            (
                "echo x > a.php",
                Start::Unquoted,
                &["echo", "x", "<Redirect>", "a.php"],
            ),
            ("id # c", Start::Unquoted, &["id"]),
            (
                "x';id;'",
                Start::Single,
                &["", "<Semi>", "id", "<Semi>", ""],
            ),
            ("'unclosed", Start::Unquoted, &["unclosed"]),
        ];
        for (input, start, want) in cases {
            assert_eq!(words(input, *start), *want, "{input}");
        }
        assert!(lex(b"no quote", Start::Double).is_none());
    }

    #[test]
    fn nesting_is_bounded() {
        let deep = "$(".repeat(10_000);
        let toks = lex(deep.as_bytes(), Start::Unquoted).unwrap_or_default();
        assert!(toks.len() <= MAX_DEPTH + 1, "deeper openers are plain text");
        let padded = format!("{}; id", "$(".repeat(10_000));
        let toks = lex(padded.as_bytes(), Start::Unquoted).unwrap_or_default();
        assert!(
            toks.contains(&Tok::Sep(Sep::Semi)),
            "separators still count deep down"
        );
        let quotes = "\"`".repeat(10_000);
        assert!(lex(quotes.as_bytes(), Start::Unquoted).is_some());
    }
}
