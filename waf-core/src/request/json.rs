//! `application/json` bodies (RFC 8259), flattened into body arguments.
//!
//! Every leaf becomes one argument. Its name is the path to it: object keys joined
//! with `.`, array elements by index (`user.name`, `items.0`, `items.1.x`); children
//! of the top-level container have bare names (`0`, `name`) and a top-level scalar has
//! the empty name. Strings are unescaped (`\uXXXX` surrogate pairs included), numbers
//! and `true`/`false` are kept as written and `null` becomes the empty value; empty
//! objects and arrays add nothing.
//!
//! The parser promises:
//! - it never panics, and runs in time linear in the input: it is a loop over an explicit
//!   stack, so a million `[` cannot overflow the call stack;
//! - nesting past [`Limits::max_depth`] stops it with [`BodyErrorKind::TooDeep`], and
//!   anything that is not JSON stops it with [`BodyErrorKind::Malformed`]; both name the
//!   byte offset, and the arguments found before the stop are kept;
//! - it is lenient where being strict would hide bytes from inspection: invalid UTF-8
//!   inside strings is kept as sent, and a lone surrogate escape is kept as its raw
//!   `\uXXXX` text.

use super::{BodyError, BodyErrorKind, Field, Limits, ParsedBody};

/// Pushes every leaf of the JSON document in `body` into `out.args`.
pub(super) fn parse(
    body: &[u8],
    limits: &Limits,
    out: &mut ParsedBody<'_>,
) -> Result<(), BodyError> {
    Parser {
        input: body,
        pos: 0,
        name_bytes_left: name_byte_budget(body.len()),
        budget_spent: false,
    }
    .document(limits, out)
}

/// How many bytes of names a parser may keep for a body of `body_len` bytes.
///
/// Flattened names repeat their parents' names, so without a cap a long key over a big
/// array (or a long XML element name over many children) would multiply a 1 MiB body
/// by [`Limits::max_args`]. Real documents stay far below 16 times their size or 1 MiB.
pub(super) fn name_byte_budget(body_len: usize) -> usize {
    body_len.saturating_mul(16).max(1 << 20)
}

/// An open array or object, and how long the name was before it was entered.
struct Frame {
    /// `Some(index of the current element)` for an array, `None` for an object.
    index: Option<usize>,
    prefix_len: usize,
}

struct Parser<'a> {
    input: &'a [u8],
    pos: usize,
    /// What is left of [`name_byte_budget`] for the names of kept arguments.
    name_bytes_left: usize,
    /// The argument budget has dropped a leaf, so it will drop every later one: their
    /// names need not be built (which could take time quadratic in the input).
    budget_spent: bool,
}

impl Parser<'_> {
    fn document(&mut self, limits: &Limits, out: &mut ParsedBody<'_>) -> Result<(), BodyError> {
        let mut stack: Vec<Frame> = Vec::new();
        // The name of the value about to be read.
        let mut name = Vec::new();
        'value: loop {
            self.skip_whitespace();
            let start = self.pos;
            match self.peek() {
                Some(open @ (b'{' | b'[')) => {
                    if stack.len() >= limits.max_depth {
                        return Err(BodyError::new(
                            BodyErrorKind::TooDeep,
                            format!(
                                "JSON nested deeper than {} at byte {start}",
                                limits.max_depth
                            ),
                        ));
                    }
                    self.pos += 1;
                    self.skip_whitespace();
                    let close = if open == b'{' { b'}' } else { b']' };
                    if self.peek() == Some(close) {
                        self.pos += 1;
                    } else {
                        let index = (open == b'[').then_some(0);
                        stack.push(Frame {
                            index,
                            prefix_len: name.len(),
                        });
                        self.member_name(&stack, &mut name)?;
                        continue 'value;
                    }
                }
                Some(b'"') => {
                    let value = self.string()?;
                    self.leaf(&name, value, out)?;
                }
                Some(_) => {
                    let value = self.scalar()?;
                    self.leaf(&name, value, out)?;
                }
                None => return Err(self.malformed("expected a value")),
            }
            // A value is complete: close the containers it ends and move to the next
            // member, or to the end of the document.
            loop {
                self.skip_whitespace();
                let Some(frame) = stack.last_mut() else {
                    break 'value;
                };
                let close = if frame.index.is_some() { b']' } else { b'}' };
                match self.peek() {
                    Some(b',') => {
                        self.pos += 1;
                        name.truncate(frame.prefix_len);
                        if let Some(index) = &mut frame.index {
                            *index += 1;
                        }
                        self.member_name(&stack, &mut name)?;
                        continue 'value;
                    }
                    Some(b) if b == close => {
                        self.pos += 1;
                        name.truncate(frame.prefix_len);
                        stack.pop();
                    }
                    _ => return Err(self.malformed("expected `,` or the end of the container")),
                }
            }
        }
        if self.pos < self.input.len() {
            return Err(self.malformed("trailing data after the document"));
        }
        Ok(())
    }

    /// Extends `name` with the current member of the innermost container: the array
    /// index, or the object key read here together with its `:`.
    fn member_name(&mut self, stack: &[Frame], name: &mut Vec<u8>) -> Result<(), BodyError> {
        let Some(frame) = stack.last() else {
            return Ok(());
        };
        if stack.len() > 1 {
            name.push(b'.');
        }
        match frame.index {
            Some(index) => name.extend_from_slice(index.to_string().as_bytes()),
            None => {
                self.skip_whitespace();
                if self.peek() != Some(b'"') {
                    return Err(self.malformed("expected an object key"));
                }
                name.extend_from_slice(&self.string()?);
                self.skip_whitespace();
                if self.peek() != Some(b':') {
                    return Err(self.malformed("expected `:`"));
                }
                self.pos += 1;
            }
        }
        Ok(())
    }

    fn leaf(
        &mut self,
        name: &[u8],
        value: Vec<u8>,
        out: &mut ParsedBody<'_>,
    ) -> Result<(), BodyError> {
        if self.budget_spent {
            // Counted as dropped all the same.
            out.budget
                .push(out.args, Field::new(Vec::new(), Vec::new()));
            return Ok(());
        }
        self.name_bytes_left = self
            .name_bytes_left
            .checked_sub(name.len())
            .ok_or_else(|| {
                BodyError::new(
                    BodyErrorKind::TooLarge,
                    format!(
                        "JSON argument names grew too long at byte {}; the rest is not parsed",
                        self.pos
                    ),
                )
            })?;
        let kept = out.args.len();
        out.budget.push(out.args, Field::new(name, value));
        self.budget_spent = out.args.len() == kept;
        Ok(())
    }

    /// Reads a string starting at its opening quote and returns it unescaped.
    fn string(&mut self) -> Result<Vec<u8>, BodyError> {
        self.pos += 1;
        let mut value = Vec::new();
        loop {
            let Some(b) = self.peek() else {
                return Err(self.malformed("unterminated string"));
            };
            self.pos += 1;
            match b {
                b'"' => return Ok(value),
                b'\\' => self.escape(&mut value)?,
                0..=0x1f => {
                    self.pos -= 1;
                    return Err(self.malformed("control character in a string"));
                }
                _ => value.push(b),
            }
        }
    }

    /// Decodes the escape after a `\` into `value`.
    fn escape(&mut self, value: &mut Vec<u8>) -> Result<(), BodyError> {
        let Some(b) = self.peek() else {
            return Err(self.malformed("unterminated string"));
        };
        self.pos += 1;
        let simple = match b {
            b'"' | b'\\' | b'/' => b,
            b'b' => 0x08,
            b'f' => 0x0c,
            b'n' => b'\n',
            b'r' => b'\r',
            b't' => b'\t',
            b'u' => {
                let start = self.pos - 2;
                let unit = self.hex4()?;
                let decoded = match unit {
                    0xd800..=0xdbff => self.low_surrogate().and_then(|low| {
                        char::from_u32(0x10000 + ((unit - 0xd800) << 10) + (low - 0xdc00))
                    }),
                    _ => char::from_u32(unit),
                };
                match decoded {
                    Some(c) => value.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes()),
                    // A lone surrogate has no UTF-8 form: keep what was sent.
                    None => value
                        .extend_from_slice(self.input.get(start..start + 6).unwrap_or_default()),
                }
                return Ok(());
            }
            _ => {
                self.pos -= 2;
                return Err(self.malformed("invalid escape in a string"));
            }
        };
        value.push(simple);
        Ok(())
    }

    /// Reads four hex digits after `\u`.
    fn hex4(&mut self) -> Result<u32, BodyError> {
        let digits = self
            .input
            .get(self.pos..self.pos + 4)
            .and_then(|d| std::str::from_utf8(d).ok())
            .filter(|d| d.bytes().all(|b| b.is_ascii_hexdigit()))
            .and_then(|d| u32::from_str_radix(d, 16).ok());
        let Some(unit) = digits else {
            return Err(self.malformed("invalid `\\u` escape"));
        };
        self.pos += 4;
        Ok(unit)
    }

    /// Consumes a `\uDC00`–`\uDFFF` escape if one comes next; otherwise leaves the input
    /// alone, so the next escape is read on its own.
    fn low_surrogate(&mut self) -> Option<u32> {
        let unit = match self.input.get(self.pos..self.pos + 6)? {
            [b'\\', b'u', digits @ ..] => {
                u32::from_str_radix(std::str::from_utf8(digits).ok()?, 16).ok()?
            }
            _ => return None,
        };
        (0xdc00..=0xdfff).contains(&unit).then(|| {
            self.pos += 6;
            unit
        })
    }

    /// Reads a number or a literal, as written (`null` as the empty value).
    fn scalar(&mut self) -> Result<Vec<u8>, BodyError> {
        for (literal, value) in [
            (&b"true"[..], &b"true"[..]),
            (b"false", b"false"),
            (b"null", b""),
        ] {
            if self
                .input
                .get(self.pos..)
                .is_some_and(|rest| rest.starts_with(literal))
            {
                self.pos += literal.len();
                return Ok(value.to_vec());
            }
        }
        let start = self.pos;
        // -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
        self.eat(|b| b == b'-');
        if !self.eat(|b| b == b'0') && self.digits() == 0 {
            return Err(self.malformed("expected a value"));
        }
        if self.eat(|b| b == b'.') && self.digits() == 0 {
            return Err(self.malformed("expected a digit"));
        }
        if self.eat(|b| b == b'e' || b == b'E') {
            self.eat(|b| b == b'+' || b == b'-');
            if self.digits() == 0 {
                return Err(self.malformed("expected a digit"));
            }
        }
        Ok(self.input.get(start..self.pos).unwrap_or_default().to_vec())
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while self.eat(|b| b.is_ascii_digit()) {}
        self.pos - start
    }

    fn eat(&mut self, accept: impl Fn(u8) -> bool) -> bool {
        let hit = self.peek().is_some_and(accept);
        if hit {
            self.pos += 1;
        }
        hit
    }

    fn peek(&self) -> Option<u8> {
        self.input.get(self.pos).copied()
    }

    fn skip_whitespace(&mut self) {
        while self.eat(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r')) {}
    }

    fn malformed(&self, what: &str) -> BodyError {
        BodyError::new(
            BodyErrorKind::Malformed,
            format!("invalid JSON at byte {}: {what}", self.pos),
        )
    }
}
