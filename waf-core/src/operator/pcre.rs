//! PCRE pattern syntax, as ModSecurity compiles it, rewritten for the `regex` crate.
//!
//! Shared by `@rx`, `@rxGlobal` and the `@verify…` operators. ModSecurity v3 compiles every
//! pattern with PCRE2 (`PCRE2_DOTALL | PCRE2_MULTILINE`, no `PCRE2_UTF`): `.` matches any
//! byte, `^`/`$` also match at line boundaries, and the pattern and the value are bytes, not
//! characters. The `regex` crate's syntax differs from PCRE's in places where the same text
//! means something else, so a pattern is not handed over verbatim; it is read as PCRE reads
//! it and written out again:
//!
//! - every literal byte outside `[A-Za-z0-9_]` is written `\xHH`, and so is every byte in a
//!   class: PCRE's `\x{be}` is the byte 0xBE (the crate's is U+00BE, two bytes); a non-ASCII
//!   character in the pattern is its UTF-8 bytes, each a separate literal, also in a class
//!   (`[é]` is two bytes, as in PCRE); PCRE's `\<` and `\>` are the literal characters (the
//!   crate's are word boundaries); in a class `&&`, `--` and `~~` are literal characters (the
//!   crate's are set operations) and `[` is literal unless it opens `[:name:]`;
//! - escapes PCRE has and the crate lacks or reads differently are expanded: `\e`, `\cX`,
//!   octal `\0nn`/`\o{…}`, `\xH`, `\h`, `\H`, `\v` (vertical space in PCRE, not VT), `\V`,
//!   `\R`, `\N`, `\Q…\E`, `\b` in a class (backspace); `\Z` becomes `\n?\z` (it consumes a
//!   final newline instead of looking at it: same match/no match, the matched part may end
//!   one byte later); comments `(?#…)` are dropped; `(?<name>`/`(?'name'` become `(?P<name>`;
//! - `{` that does not start a valid `{n}`, `{n,}` or `{n,m}` is a literal, as in PCRE
//!   (`{,n}` too, as before PCRE2 10.43).
//!
//! What needs a backtracking engine is refused with an error naming the construct:
//! backreferences, lookbehind, atomic groups, possessive quantifiers, recursion, conditionals,
//! backtracking verbs, `\G`, `\K`. One form of lookaround has an exact non-backtracking
//! equivalent and is rewritten: a lookahead at the end of the pattern (nothing can follow it
//! in any alternative). `X(?=Y)` matches where `X(Y)` does, and `X(?!abc)` where
//! `X(\z|[^a]|a(\z|[^b]|b(\z|[^c])))` does (the negative body must be a fixed sequence of
//! single characters or classes); the rewritten groups are named, so the matched part still
//! ends where the lookahead starts. Unicode properties (`\p`), extended mode `(?x)` and the
//! other rarely used option letters are refused too.
//!
//! Differences that remain: `(?m)^` also matches after a newline that ends the value (PCRE's
//! does not), and PCRE's quirk of reading `\8`/`\9` and `\1`… beyond the group count as
//! octal or literals is not reproduced (they are refused as backreferences).

use std::fmt::Write as _;

/// A pattern rewritten for the `regex` crate.
#[derive(Debug)]
pub(super) struct Translated {
    /// The `regex` crate pattern.
    pub(super) pattern: String,
    /// The names of the groups that stand for rewritten lookaheads: a match ends where the
    /// first of them that took part starts.
    pub(super) lookaheads: Vec<String>,
}

/// Rewrites PCRE `pattern` for the `regex` crate; the error says which construct stops it.
pub(super) fn translate(pattern: &str) -> Result<Translated, String> {
    let mut t = Translator {
        src: pattern.as_bytes(),
        pos: 0,
        out: String::with_capacity(pattern.len() + pattern.len() / 2),
        depth: 0,
        can_repeat: false,
        lookaheads: Vec::new(),
    };
    t.run()?;
    Ok(Translated {
        pattern: t.out,
        lookaheads: t.lookaheads,
    })
}

/// One item of a character class: a single byte (can end a range) or a set.
enum ClassItem {
    Byte(u8),
    /// Text that can stand inside `[…]` in the crate's syntax.
    Set(String),
}

struct Translator<'p> {
    src: &'p [u8],
    pos: usize,
    out: String,
    /// Groups open in the output.
    depth: usize,
    /// Whether a quantifier may follow what was written last.
    can_repeat: bool,
    lookaheads: Vec<String>,
}

/// White space in PCRE's `\h` (non-UTF mode).
const HSPACE: &str = r"\x09\x20\xa0";
/// Vertical white space in PCRE's `\v` (non-UTF mode).
const VSPACE: &str = r"\x0a-\x0d\x85";

impl Translator<'_> {
    fn peek(&self) -> Option<u8> {
        self.src.get(self.pos).copied()
    }

    fn run(&mut self) -> Result<(), String> {
        while let Some(b) = self.peek() {
            self.pos += 1;
            match b {
                b'\\' => self.escape()?,
                b'[' => {
                    let class = self.class()?;
                    self.out.push_str(&class);
                    self.can_repeat = true;
                }
                b'(' => self.open_group()?,
                b')' => {
                    if self.depth == 0 {
                        return Err("unmatched closing parenthesis".into());
                    }
                    self.depth -= 1;
                    self.out.push(')');
                    self.can_repeat = true;
                }
                b'|' => {
                    self.out.push('|');
                    self.can_repeat = false;
                }
                b'.' | b'^' | b'$' => {
                    self.out.push(char::from(b));
                    self.can_repeat = true;
                }
                b'*' | b'+' | b'?' => self.quantifier(&char::from(b).to_string())?,
                b'{' => match counted_quantifier(&self.src[self.pos..]) {
                    Some((text, len)) => {
                        self.pos += len;
                        self.quantifier(&text)?;
                    }
                    None => self.literal(b),
                },
                _ => self.literal(b),
            }
        }
        if self.depth > 0 {
            return Err("missing closing parenthesis".into());
        }
        Ok(())
    }

    fn literal(&mut self, b: u8) {
        push_byte(&mut self.out, b);
        self.can_repeat = true;
    }

    fn quantifier(&mut self, q: &str) -> Result<(), String> {
        if !self.can_repeat {
            return Err(format!(
                "quantifier `{q}` does not follow a repeatable item"
            ));
        }
        self.out.push_str(q);
        match self.peek() {
            Some(b'?') => {
                self.pos += 1;
                self.out.push('?');
            }
            Some(b'+') => {
                return Err(format!(
                    "possessive quantifier `{q}+` needs a backtracking engine"
                ));
            }
            _ => {}
        }
        self.can_repeat = false;
        Ok(())
    }

    /// After `\` outside a class.
    fn escape(&mut self) -> Result<(), String> {
        let Some(c) = self.peek() else {
            return Err("pattern ends with a backslash".into());
        };
        self.pos += 1;
        let could_repeat = self.can_repeat;
        self.can_repeat = true;
        match c {
            b'd' | b'D' | b's' | b'S' | b'w' | b'W' | b'b' | b'B' | b'A' | b'z' => {
                self.out.push('\\');
                self.out.push(char::from(c));
            }
            b'Z' => self.out.push_str(r"(?:\n?\z)"),
            b'h' => write_set(&mut self.out, HSPACE, false),
            b'H' => write_set(&mut self.out, HSPACE, true),
            b'v' => write_set(&mut self.out, VSPACE, false),
            b'V' => write_set(&mut self.out, VSPACE, true),
            b'R' => self.out.push_str(r"(?:\x0d\x0a|[\x0a-\x0d\x85])"),
            b'N' if self.peek() != Some(b'{') => self.out.push_str(r"[^\x0a]"),
            b'Q' => {
                let quoted = self.quoted();
                for &b in &quoted {
                    push_byte(&mut self.out, b);
                }
                if quoted.is_empty() {
                    self.can_repeat = could_repeat;
                }
            }
            // A lone `\E` is ignored.
            b'E' => self.can_repeat = could_repeat,
            _ => {
                let b = self.escaped_byte(c, false)?;
                push_byte(&mut self.out, b);
            }
        }
        Ok(())
    }

    /// The bytes of `\Q…\E` (or up to the end of the pattern), after `\Q`.
    fn quoted(&mut self) -> Vec<u8> {
        let rest = &self.src[self.pos..];
        let len = rest
            .windows(2)
            .position(|w| w == b"\\E")
            .unwrap_or(rest.len());
        self.pos += (len + 2).min(rest.len());
        rest[..len].to_vec()
    }

    /// The byte an escape `\c…` stands for, `c` read already; errors for escapes that are
    /// not a single byte.
    fn escaped_byte(&mut self, c: u8, in_class: bool) -> Result<u8, String> {
        Ok(match c {
            b'n' => b'\n',
            b'r' => b'\r',
            b't' => b'\t',
            b'f' => 0x0c,
            b'a' => 0x07,
            b'e' => 0x1b,
            b'b' if in_class => 0x08,
            b'x' => self.hex()?,
            b'o' => self.braced_octal()?,
            b'0' => self.octal(2, 0),
            b'1'..=b'7' if in_class => self.octal(2, u32::from(c - b'0')),
            b'1'..=b'9' => {
                return Err(format!(
                    "backreference `\\{}` needs a backtracking engine",
                    char::from(c)
                ));
            }
            b'g' | b'k' => {
                return Err(format!(
                    "backreference `\\{}` needs a backtracking engine",
                    char::from(c)
                ));
            }
            b'c' => {
                let Some(x) = self.peek().filter(|x| (0x20..0x7f).contains(x)) else {
                    return Err("`\\c` must be followed by a printable ASCII character".into());
                };
                self.pos += 1;
                x.to_ascii_uppercase() ^ 0x40
            }
            b'p' | b'P' | b'X' => {
                return Err(format!(
                    "Unicode property escape `\\{}` is not supported (patterns are bytes)",
                    char::from(c)
                ));
            }
            b'G' | b'K' => {
                return Err(format!("`\\{}` needs a backtracking engine", char::from(c)));
            }
            // Any other character that is not a letter or digit stands for itself.
            _ if !c.is_ascii_alphanumeric() => c,
            _ => {
                return Err(format!(
                    "unsupported escape `\\{}`{}",
                    char::from(c),
                    if in_class {
                        " in a character class"
                    } else {
                        ""
                    }
                ));
            }
        })
    }

    /// After `\x`: `{h…}` or up to two hex digits (none is 0).
    fn hex(&mut self) -> Result<u8, String> {
        if self.peek() == Some(b'{') {
            let rest = &self.src[self.pos + 1..];
            let digits = rest.iter().take_while(|b| b.is_ascii_hexdigit()).count();
            if digits == 0 || rest.get(digits) != Some(&b'}') {
                return Err("malformed `\\x{…}`".into());
            }
            let value = rest[..digits]
                .iter()
                .try_fold(0u32, |acc, &d| {
                    let d = char::from(d).to_digit(16).unwrap_or(0);
                    acc.checked_mul(16)?.checked_add(d)
                })
                .filter(|&v| v <= 0xff)
                .ok_or("`\\x{…}` above \\x{ff}: patterns are bytes")?;
            self.pos += digits + 2;
            return Ok(value as u8);
        }
        let mut value = 0u32;
        for _ in 0..2 {
            match self.peek().and_then(|d| char::from(d).to_digit(16)) {
                Some(d) => {
                    value = value * 16 + d;
                    self.pos += 1;
                }
                None => break,
            }
        }
        Ok(value as u8)
    }

    /// Up to `more` further octal digits after a first digit worth `value`.
    fn octal(&mut self, more: usize, mut value: u32) -> u8 {
        for _ in 0..more {
            match self.peek().filter(|d| (b'0'..=b'7').contains(d)) {
                Some(d) => {
                    value = value * 8 + u32::from(d - b'0');
                    self.pos += 1;
                }
                None => break,
            }
        }
        // At most three digits: 0o777 would not fit; PCRE refuses values above 0o377.
        (value & 0xff) as u8
    }

    /// After `\o`: `{ooo}`.
    fn braced_octal(&mut self) -> Result<u8, String> {
        let rest = &self.src[self.pos..];
        let digits = rest
            .iter()
            .skip(1)
            .take_while(|d| (b'0'..=b'7').contains(d))
            .count();
        if rest.first() != Some(&b'{') || digits == 0 || rest.get(digits + 1) != Some(&b'}') {
            return Err("malformed `\\o{…}`".into());
        }
        let value = rest[1..=digits]
            .iter()
            .try_fold(0u32, |acc, &d| {
                acc.checked_mul(8)?.checked_add(u32::from(d - b'0'))
            })
            .filter(|&v| v <= 0xff)
            .ok_or("`\\o{…}` above \\o{377}: patterns are bytes")?;
        self.pos += digits + 2;
        Ok(value as u8)
    }

    /// A character class, after `[`; returns it in the crate's syntax.
    fn class(&mut self) -> Result<String, String> {
        let mut out = String::from("[");
        let negated = self.peek() == Some(b'^');
        if negated {
            out.push('^');
            self.pos += 1;
        }
        let empty = out.len();
        let mut first = true;
        loop {
            let Some(b) = self.peek() else {
                return Err("missing terminating `]` for a character class".into());
            };
            if b == b']' && !first {
                self.pos += 1;
                break;
            }
            first = false;
            match self.class_item()? {
                ClassItem::Set(set) => out.push_str(&set),
                ClassItem::Byte(lo) => {
                    let is_range = self.peek() == Some(b'-')
                        && self.src.get(self.pos + 1).is_some_and(|&c| c != b']');
                    if !is_range {
                        push_class_byte(&mut out, lo);
                        continue;
                    }
                    self.pos += 1;
                    match self.class_item()? {
                        ClassItem::Byte(hi) if hi >= lo => {
                            push_class_byte(&mut out, lo);
                            out.push('-');
                            push_class_byte(&mut out, hi);
                        }
                        ClassItem::Byte(_) => {
                            return Err("range out of order in a character class".into());
                        }
                        ClassItem::Set(_) => {
                            return Err("invalid range in a character class".into());
                        }
                    }
                }
            }
        }
        if out.len() == empty {
            // Only `\E` or `\Q\E` inside: nothing to match, or anything for `[^…]`.
            return Ok(if negated {
                r"[\x00-\xff]"
            } else {
                r"[^\x00-\xff]"
            }
            .to_owned());
        }
        out.push(']');
        Ok(out)
    }

    fn class_item(&mut self) -> Result<ClassItem, String> {
        let Some(b) = self.peek() else {
            return Err("missing terminating `]` for a character class".into());
        };
        self.pos += 1;
        match b {
            b'[' => {
                if let Some((name, len)) = posix_class(&self.src[self.pos..]) {
                    self.pos += len;
                    return Ok(ClassItem::Set(format!("[:{name}:]")));
                }
                Ok(ClassItem::Byte(b'['))
            }
            b'\\' => {
                let Some(c) = self.peek() else {
                    return Err("pattern ends with a backslash".into());
                };
                self.pos += 1;
                let set = |s: &str| Ok(ClassItem::Set(s.to_owned()));
                match c {
                    b'd' | b'D' | b's' | b'S' | b'w' | b'W' => {
                        Ok(ClassItem::Set(format!("\\{}", char::from(c))))
                    }
                    b'h' => set(HSPACE),
                    b'H' => set(&format!("[^{HSPACE}]")),
                    b'v' => set(VSPACE),
                    b'V' => set(&format!("[^{VSPACE}]")),
                    b'Q' => {
                        let mut s = String::new();
                        for b in self.quoted() {
                            push_class_byte(&mut s, b);
                        }
                        Ok(ClassItem::Set(s))
                    }
                    b'E' => set(""),
                    _ => Ok(ClassItem::Byte(self.escaped_byte(c, true)?)),
                }
            }
            _ => Ok(ClassItem::Byte(b)),
        }
    }

    /// After `(`.
    fn open_group(&mut self) -> Result<(), String> {
        let rest = &self.src[self.pos..];
        if rest.first() == Some(&b'*') {
            return Err("backtracking control verbs `(*…)` are not supported".into());
        }
        if rest.first() != Some(&b'?') {
            self.open("(");
            return Ok(());
        }
        let unsupported = |what: &str| Err(format!("{what} needs a backtracking engine"));
        match rest.get(1).copied() {
            Some(b':') => {
                self.pos += 2;
                self.open("(?:");
            }
            Some(b'#') => {
                let len = rest
                    .iter()
                    .position(|&b| b == b')')
                    .ok_or("missing `)` after a comment")?;
                self.pos += len + 1;
            }
            Some(b'=') => self.lookahead(true)?,
            Some(b'!') => self.lookahead(false)?,
            Some(b'<') => match rest.get(2) {
                Some(b'=' | b'!') => return unsupported("lookbehind `(?<=…)`/`(?<!…)`"),
                _ => self.named_group(2, b'>')?,
            },
            Some(b'P') => match rest.get(2) {
                Some(b'<') => self.named_group(3, b'>')?,
                Some(b'=') => return unsupported("backreference `(?P=…)`"),
                Some(b'>') => return unsupported("recursion `(?P>…)`"),
                _ => self.flags()?,
            },
            Some(b'\'') => self.named_group(2, b'\'')?,
            Some(b'>') => return unsupported("atomic group `(?>…)`"),
            Some(b'|') => return Err("branch reset groups `(?|…)` are not supported".into()),
            Some(b'(') => return unsupported("conditional group `(?(…)…)`"),
            Some(b'R' | b'&' | b'0'..=b'9' | b'+') => {
                return unsupported("recursion or subroutine call `(?R)`/`(?1)`/`(?&…)`");
            }
            Some(b'-') if rest.get(2).is_some_and(u8::is_ascii_digit) => {
                return unsupported("subroutine call `(?-1)`");
            }
            _ => self.flags()?,
        }
        Ok(())
    }

    fn open(&mut self, text: &str) {
        self.out.push_str(text);
        self.depth += 1;
        self.can_repeat = false;
    }

    /// `(?<name>`, `(?P<name>`, `(?'name'`; `skip` bytes after `(` lead to the name.
    fn named_group(&mut self, skip: usize, close: u8) -> Result<(), String> {
        let rest = &self.src[self.pos + skip..];
        let len = rest
            .iter()
            .position(|&b| b == close)
            .ok_or("unterminated group name")?;
        let name = &rest[..len];
        let valid = name.first().is_some_and(|b| !b.is_ascii_digit())
            && name.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'_');
        if !valid {
            return Err("invalid group name".into());
        }
        let name = String::from_utf8_lossy(name);
        self.pos += skip + len + 1;
        self.open(&format!("(?P<{name}>"));
        Ok(())
    }

    /// `(?flags)` or `(?flags:`, after `(`.
    fn flags(&mut self) -> Result<(), String> {
        let rest = &self.src[self.pos + 1..];
        let len = rest
            .iter()
            .position(|&b| b == b')' || b == b':')
            .ok_or("unterminated group")?;
        let letters = &rest[..len];
        for &f in letters {
            match f {
                b'i' | b'm' | b's' | b'U' | b'-' => {}
                b'x' => return Err("extended mode `(?x)` is not supported".into()),
                _ => {
                    return Err(format!(
                        "unsupported group or option `(?{}`",
                        String::from_utf8_lossy(&rest[..=len])
                    ));
                }
            }
        }
        let letters = String::from_utf8_lossy(letters);
        let colon = rest[len] == b':';
        self.pos += 1 + len + 1;
        match (colon, letters.trim_matches('-').is_empty()) {
            (true, true) => self.open("(?:"),
            (true, false) => self.open(&format!("(?{letters}:")),
            (false, true) => {}
            (false, false) => {
                let _ = write!(self.out, "(?{letters})");
                self.can_repeat = false;
            }
        }
        Ok(())
    }

    /// `(?=` or `(?!`, `self.pos` at `?`.
    fn lookahead(&mut self, positive: bool) -> Result<(), String> {
        let what = if positive { "(?=…)" } else { "(?!…)" };
        let body = self.pos + 2;
        let close = group_end(self.src, body).ok_or("missing closing parenthesis")?;
        if !is_final(self.src, close + 1) {
            return Err(format!(
                "lookahead `{what}` needs a backtracking engine unless it ends the pattern"
            ));
        }
        let name = format!("__waf_lookahead{}", self.lookaheads.len());
        self.pos = body;
        if positive {
            // `X(?=Y)` at the end matches where `X(Y)` does: translate Y as a group.
            self.open(&format!("(?P<{name}>"));
        } else {
            let atoms = self.atoms(close)?;
            self.pos = close + 1;
            let _ = write!(self.out, "(?P<{name}>");
            // Not followed by a1 a2 … ak: the end, or not a1, or a1 and then (the end, or
            // not a2, or …); past ak nothing is left, so that path fails.
            for (i, atom) in atoms.iter().enumerate() {
                let _ = write!(self.out, r"(?:\z|[^{atom}]");
                if i + 1 < atoms.len() {
                    let _ = write!(self.out, "|[{atom}]");
                }
            }
            if atoms.is_empty() {
                // `(?!)` never matches.
                self.out.push_str(r"[^\x00-\xff]");
            }
            for _ in &atoms {
                self.out.push(')');
            }
            self.out.push(')');
            self.can_repeat = true;
        }
        self.lookaheads.push(name);
        Ok(())
    }

    /// A negative lookahead's body, up to `close`: single characters or classes only.
    fn atoms(&mut self, close: usize) -> Result<Vec<String>, String> {
        let mut atoms = Vec::new();
        let refuse = || {
            Err::<Vec<String>, String>(
                "a negative lookahead `(?!…)` can only be rewritten when its body is a fixed \
                 sequence of characters or classes"
                    .into(),
            )
        };
        while self.pos < close {
            let b = self.src[self.pos];
            self.pos += 1;
            let mut atom = String::new();
            match b {
                b'[' => atom = self.class()?,
                b'.' => atom.push_str(r"\x00-\xff"),
                b'\\' => match self.class_item_after_backslash()? {
                    Some(ClassItem::Byte(b)) => push_class_byte(&mut atom, b),
                    Some(ClassItem::Set(set)) => atom = set,
                    None => return refuse(),
                },
                b'(' | b')' | b'|' | b'*' | b'+' | b'?' | b'^' | b'$' => return refuse(),
                b'{' if counted_quantifier(&self.src[self.pos..]).is_some() => return refuse(),
                _ => push_class_byte(&mut atom, b),
            }
            if !atom.is_empty() {
                atoms.push(atom);
            }
        }
        Ok(atoms)
    }

    /// An escape inside a negative lookahead body, as a class item; `None` for assertions
    /// and anything else that is not one character.
    fn class_item_after_backslash(&mut self) -> Result<Option<ClassItem>, String> {
        match self.peek() {
            Some(
                b'b' | b'B' | b'A' | b'z' | b'Z' | b'G' | b'Q' | b'E' | b'R' | b'N' | b'1'..=b'9',
            )
            | None => Ok(None),
            Some(_) => {
                // Read it the way a class would.
                self.pos -= 1;
                self.class_item().map(Some)
            }
        }
    }
}

/// Writes byte `b` as a literal outside a class.
fn push_byte(out: &mut String, b: u8) {
    if b.is_ascii_alphanumeric() || b == b'_' {
        out.push(char::from(b));
    } else {
        let _ = write!(out, "\\x{b:02x}");
    }
}

/// Writes byte `b` as a literal inside a class.
fn push_class_byte(out: &mut String, b: u8) {
    push_byte(out, b);
}

fn write_set(out: &mut String, set: &str, negated: bool) {
    let _ = write!(out, "[{}{set}]", if negated { "^" } else { "" });
}

/// `n}`, `n,}` or `n,m}` after `{`: the quantifier text and its length (without `{`).
fn counted_quantifier(rest: &[u8]) -> Option<(String, usize)> {
    let digits = |s: &[u8]| s.iter().take_while(|b| b.is_ascii_digit()).count();
    let n = digits(rest);
    if n == 0 {
        return None;
    }
    let mut len = n;
    if rest.get(len) == Some(&b',') {
        len += 1;
        len += digits(&rest[len..]);
    }
    if rest.get(len) != Some(&b'}') {
        return None;
    }
    let text = String::from_utf8_lossy(&rest[..len]);
    Some((format!("{{{text}}}"), len + 1))
}

/// `:name:]` or `:^name:]` after a `[` inside a class: the name (with `^`) and length.
fn posix_class(rest: &[u8]) -> Option<(String, usize)> {
    const NAMES: &[&str] = &[
        "alnum", "alpha", "ascii", "blank", "cntrl", "digit", "graph", "lower", "print", "punct",
        "space", "upper", "word", "xdigit",
    ];
    let rest = rest.strip_prefix(b":")?;
    let end = rest.windows(2).position(|w| w == b":]")?;
    let name = std::str::from_utf8(&rest[..end]).ok()?;
    NAMES
        .contains(&name.trim_start_matches('^'))
        .then(|| (name.to_owned(), end + 3))
}

/// Where the group whose body starts at `from` closes: the index of its `)`.
fn group_end(src: &[u8], from: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut pos = from;
    while let Some(&b) = src.get(pos) {
        match b {
            b'\\' => {
                if src.get(pos + 1) == Some(&b'Q') {
                    let rest = &src[pos + 2..];
                    pos += 2 + rest
                        .windows(2)
                        .position(|w| w == b"\\E")
                        .map_or(rest.len(), |e| e + 2);
                    continue;
                }
                pos += 2;
                continue;
            }
            b'[' => {
                pos = class_end(src, pos + 1)?;
                continue;
            }
            b'(' => depth += 1,
            b')' if depth == 0 => return Some(pos),
            b')' => depth -= 1,
            _ => {}
        }
        pos += 1;
    }
    None
}

/// Just past the `]` of the class whose body starts at `from`.
fn class_end(src: &[u8], from: usize) -> Option<usize> {
    let mut pos = from;
    if src.get(pos) == Some(&b'^') {
        pos += 1;
    }
    if src.get(pos) == Some(&b']') {
        pos += 1;
    }
    while let Some(&b) = src.get(pos) {
        match b {
            b'\\' => pos += 2,
            b'[' => match posix_class(&src[pos + 1..]) {
                Some((_, len)) => pos += 1 + len,
                None => pos += 1,
            },
            b']' => return Some(pos + 1),
            _ => pos += 1,
        }
    }
    None
}

/// Whether nothing can follow position `pos` in any match: only the ends of alternatives
/// and of groups that are not repeated lie between it and the end of the pattern.
fn is_final(src: &[u8], mut pos: usize) -> bool {
    loop {
        match src.get(pos) {
            None => return true,
            Some(b')') => {
                pos += 1;
                if matches!(src.get(pos), Some(b'*' | b'+' | b'?' | b'{')) {
                    return false;
                }
            }
            // The rest of this group is other alternatives; go on after the group.
            Some(b'|') => match group_end(src, pos + 1) {
                None => return true,
                Some(close) => pos = close,
            },
            Some(_) => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::translate;

    fn matches(pattern: &str, value: &[u8]) -> bool {
        let t = translate(pattern).unwrap_or_else(|e| panic!("{pattern}: {e}"));
        regex::bytes::RegexBuilder::new(&t.pattern)
            .unicode(false)
            .dot_matches_new_line(true)
            .multi_line(true)
            .build()
            .unwrap_or_else(|e| panic!("{pattern} -> {}: {e}", t.pattern))
            .is_match(value)
    }

    #[test]
    fn reads_pcre_syntax() {
        let cases: &[(&str, &[u8], bool)] = &[
            // Bytes, not characters.
            (r"\x{be}", b"\xbe", true),
            (r"^\x{be}$", b"\xc2\xbe", false),
            (r"[\xa0-\x{bf}]", b"\xbe", true),
            (r"[^>\x{be}]", b"\xbe", false),
            ("é", "é".as_bytes(), true),
            ("[é]", b"\xa9", true),
            (r"\xA", b"\n", true),
            (r"\x", b"\0", true),
            // Literal where the crate has operators.
            (r"\<", b"<", true),
            (r"\<a", b"a", false),
            (r"[a&&b]", b"&", true),
            (r"[a~~b]", b"~", true),
            (r"[\--9]", b"-", true),
            (r"[\--9]", b"5", true),
            (r#"["'-\+\--9]"#, b"*", true),
            (r"[[]", b"[", true),
            (r"[]a]", b"]", true),
            (r"[^]a]", b"]", false),
            (r"[^]a]", b"b", true),
            (r"[\w-.]", b"-", true),
            (r"a{,3}", b"a{,3}", true),
            (r"a{,3}", b"aa", false),
            (r"x{2,}", b"xx", true),
            (r"{", b"{", true),
            (r"a}", b"a}", true),
            (r"]", b"]", true),
            // PCRE escapes.
            (r"\e\cA", b"\x1b\x01", true),
            (r"\012\0", b"\n\0", true),
            (r"[\1-\3]", b"\x02", true),
            (r"\o{101}", b"A", true),
            (r"\h", b"\xa0", true),
            (r"\v", b"\x0b", true),
            (r"\v", b"\x85", true),
            (r"[\v]", b"\r", true),
            (r"\V", b"\n", false),
            (r"\R", b"\r\n", true),
            (r"[\b]", b"\x08", true),
            (r"\Qa.b\E.", b"a.bc", true),
            (r"\Qa.b\E", b"axb", false),
            (r"[[:alpha:]]+", b"ab", true),
            (r"[[:^digit:]]", b"5", false),
            (r"[^\E]x", b"ax", true),
            (r"[\Q\E]|x", b"x", true),
            (r"xa\Q\E*y", b"xaaay", true),
            (r"a\Z", b"a\n", true),
            (r"(?#comment)a", b"a", true),
            (r"(?<n>a)(?'m'b)", b"ab", true),
            (r"(?i)ABC", b"abc", true),
            (r"(?i:\x41)", b"a", true),
            // DOTALL and MULTILINE.
            (r"a.b", b"a\nb", true),
            (r"^b$", b"a\nb\nc", true),
            (r"\s", b"\x0b", true),
        ];
        for (pattern, value, expected) in cases {
            assert_eq!(
                matches(pattern, value),
                *expected,
                "{pattern} on {:?}",
                value.escape_ascii().to_string()
            );
        }
    }

    #[test]
    fn final_lookaheads_are_rewritten() {
        let cases: &[(&str, &[u8], bool)] = &[
            (r"<\?(?!xml)", b"<?php", true),
            (r"<\?(?!xml)", b"<?xml", false),
            (r"<\?(?!xml)", b"<?xm", true),
            (r"<\?(?!xml)", b"<?", true),
            (r"<\?(?!xml)", b"<?xml <?x", true),
            (r"(?i)<\?(?!xml)", b"<?XML", false),
            (r"a(?![\d.])", b"a5", false),
            (r"a(?![\d.])", b"a.", false),
            (r"a(?![\d.])", b"ab", true),
            (r"a(?!\d)|b", b"a1", false),
            (r"a(?!\d)|b", b"a1b", true),
            (r"(?:a(?!\d)|c)", b"a1", false),
            (r"x(?=y)", b"xy", true),
            (r"x(?=y)", b"xz", false),
            (r"x(?=y|z)", b"xz", true),
            (r"x(?!)", b"x", false),
        ];
        for (pattern, value, expected) in cases {
            assert_eq!(
                matches(pattern, value),
                *expected,
                "{pattern} on {:?}",
                value.escape_ascii().to_string()
            );
        }
    }

    #[test]
    fn backtracking_constructs_are_refused() {
        let cases = [
            (r"(a)\1", "backreference"),
            (r"(?<n>a)\k<n>", "backreference"),
            (r"(?<=a)b", "lookbehind"),
            (r"(?<!a)b", "lookbehind"),
            (r"(?>a+)b", "atomic"),
            (r"a*+b", "possessive"),
            (r"a(?!b)c", "lookahead"),
            (r"a(?=b)+", "lookahead"),
            (r"(?!a|b)c", "lookahead"),
            (r"(?x) a", "extended"),
            (r"(?R)", "recursion"),
            (r"(?(1)a|b)", "conditional"),
            (r"(*UTF)a", "verbs"),
            (r"\p{L}", "Unicode"),
            (r"\x{100}", "bytes"),
            (r"\i", "unsupported escape"),
            (r"*a", "repeatable"),
            (r"a**", "repeatable"),
            (r"(a", "missing closing"),
            (r"a)", "unmatched"),
            (r"[a", "terminating"),
            (r"[z-a]", "out of order"),
            (r"[a-\d]", "invalid range"),
            ("a\\", "backslash"),
        ];
        for (pattern, needle) in cases {
            let err = translate(pattern).expect_err(pattern);
            assert!(err.contains(needle), "{pattern}: {err}");
        }
    }
}
