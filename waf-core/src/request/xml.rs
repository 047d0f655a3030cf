//! XML bodies (`text/xml`, `application/xml`, `+xml`), read with `quick-xml` into
//! [`ParsedBody::xml`].
//!
//! Each run of character data (text and CDATA between two tags), trimmed and unless
//! blank, becomes a field named by its element path (`/order/item`); each attribute
//! becomes `/order/item/@id`. The five predefined entities and character references are
//! decoded; no other entity is ever expanded, so a DOCTYPE (allowed, and skipped) cannot
//! pull in files or blow up the output: XXE and "billion laughs" stay inert text.
//!
//! The parser promises:
//! - it never panics and runs in time linear in the input; bytes that are not UTF-8 are
//!   kept as sent;
//! - at most [`Limits::max_args`] fields are kept (the rest is read for well-formedness
//!   only), and the bytes of their names are capped like JSON's;
//! - elements nested past [`Limits::max_depth`] stop it with [`BodyErrorKind::TooDeep`],
//!   and a document that is not well-formed (mismatched or unclosed tags, text or a second
//!   element outside the root, no root) with [`BodyErrorKind::Malformed`]; both name the
//!   byte offset, and what was found before stays.

use super::json::name_byte_budget;
use super::{BodyError, BodyErrorKind, Field, Limits, ParsedBody};
use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

/// Pushes the text nodes and attributes of the XML document in `body` into `out.xml`.
pub(super) fn parse(
    body: &[u8],
    limits: &Limits,
    out: &mut ParsedBody<'_>,
) -> Result<(), BodyError> {
    let mut reader = Reader::from_reader(body);
    // Trimming is done here, on whole text runs; quick-xml would trim each piece.
    reader.config_mut().trim_text(false);
    let mut doc = Document {
        limits,
        path: Vec::new(),
        open: Vec::new(),
        text: Vec::new(),
        seen_root: false,
        name_bytes_left: name_byte_budget(body.len()),
    };
    loop {
        let at = reader.buffer_position();
        let event = reader
            .read_event()
            .map_err(|error| malformed(reader.error_position(), &error.to_string()))?;
        match event {
            Event::Text(text) => doc.text.extend_from_slice(&unescape(&text)),
            Event::CData(data) => doc.text.extend_from_slice(&data),
            Event::Start(element) => {
                doc.flush_text(at, out)?;
                doc.open(&element, at, out)?;
            }
            Event::Empty(element) => {
                doc.flush_text(at, out)?;
                doc.open(&element, at, out)?;
                doc.close();
            }
            Event::End(_) => {
                // quick-xml has already checked that the name matches.
                doc.flush_text(at, out)?;
                doc.close();
            }
            Event::Eof => {
                doc.flush_text(at, out)?;
                if !doc.open.is_empty() {
                    return Err(malformed(at, "unclosed element at the end"));
                }
                if !doc.seen_root {
                    return Err(malformed(at, "no root element"));
                }
                return Ok(());
            }
            // Comments and processing instructions split text runs like tags do.
            Event::Comment(_) | Event::PI(_) | Event::Decl(_) | Event::DocType(_) => {
                doc.flush_text(at, out)?;
            }
        }
    }
}

struct Document<'a> {
    limits: &'a Limits,
    /// The path of the innermost open element, `/a/b`.
    path: Vec<u8>,
    /// For each open element, the length of `path` before it.
    open: Vec<usize>,
    /// Character data since the last tag.
    text: Vec<u8>,
    seen_root: bool,
    /// What is left of [`name_byte_budget`] for the names of kept fields.
    name_bytes_left: usize,
}

impl Document<'_> {
    fn open(
        &mut self,
        element: &BytesStart<'_>,
        at: u64,
        out: &mut ParsedBody<'_>,
    ) -> Result<(), BodyError> {
        if self.open.is_empty() && self.seen_root {
            return Err(malformed(at, "a second root element"));
        }
        if self.open.len() >= self.limits.max_depth {
            return Err(BodyError::new(
                BodyErrorKind::TooDeep,
                format!(
                    "XML nested deeper than {} at byte {at}",
                    self.limits.max_depth
                ),
            ));
        }
        self.seen_root = true;
        self.open.push(self.path.len());
        self.path.push(b'/');
        self.path.extend_from_slice(element.name().as_ref());
        // Duplicate checks cost time quadratic in the attribute count, and keeping every
        // copy of a repeated attribute lets the rules see whichever one a back end uses.
        for attribute in element.attributes().with_checks(false) {
            let attribute = attribute.map_err(|error| malformed(at, &error.to_string()))?;
            let value = unescape(&attribute.value);
            self.keep(Some(attribute.key.as_ref()), &value, at, out)?;
        }
        Ok(())
    }

    fn close(&mut self) {
        if let Some(len) = self.open.pop() {
            self.path.truncate(len);
        }
    }

    /// Ends the current text run: keeps it under the current path unless it is blank.
    fn flush_text(&mut self, at: u64, out: &mut ParsedBody<'_>) -> Result<(), BodyError> {
        let text = std::mem::take(&mut self.text);
        let trimmed = text.trim_ascii();
        if trimmed.is_empty() {
            return Ok(());
        }
        if self.open.is_empty() {
            return Err(malformed(at, "text outside the root element"));
        }
        self.keep(None, trimmed, at, out)
    }

    /// Keeps a field named by the current path, or by the path of `attribute` on the
    /// current element. Past `max_args` nothing is built, so skipping costs nothing.
    fn keep(
        &mut self,
        attribute: Option<&[u8]>,
        value: &[u8],
        at: u64,
        out: &mut ParsedBody<'_>,
    ) -> Result<(), BodyError> {
        if out.xml.len() >= self.limits.max_args {
            return Ok(());
        }
        let mut name = self.path.clone();
        if let Some(attribute) = attribute {
            name.extend_from_slice(b"/@");
            name.extend_from_slice(attribute);
        }
        self.name_bytes_left = self
            .name_bytes_left
            .checked_sub(name.len())
            .ok_or_else(|| {
                BodyError::new(
                    BodyErrorKind::TooLarge,
                    format!("XML field names grew too long at byte {at}; the rest is not parsed"),
                )
            })?;
        out.xml.push(Field::new(name, value));
        Ok(())
    }
}

fn malformed(at: u64, what: &str) -> BodyError {
    BodyError::new(
        BodyErrorKind::Malformed,
        format!("invalid XML at byte {at}: {what}"),
    )
}

/// Decodes the predefined entities and character references; any other `&` sequence is
/// kept as written, which is what keeps declared entities (XXE) inert.
fn unescape(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(amp) = rest.iter().position(|&b| b == b'&') {
        let (before, from_amp) = rest.split_at(amp);
        out.extend_from_slice(before);
        // The longest reference we decode, `&#x0010FFFF;`, is short; looking further for
        // `;` would make a run of `&` quadratic.
        let reference = from_amp
            .iter()
            .take(16)
            .position(|&b| b == b';')
            .and_then(|semi| Some((semi, decode_reference(from_amp.get(1..semi)?)?)));
        match reference {
            Some((semi, c)) => {
                out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
                rest = from_amp.get(semi + 1..).unwrap_or_default();
            }
            None => {
                out.push(b'&');
                rest = from_amp.get(1..).unwrap_or_default();
            }
        }
    }
    out.extend_from_slice(rest);
    out
}

/// The character `&name;` stands for, given `name`.
fn decode_reference(name: &[u8]) -> Option<char> {
    let code = match name {
        b"lt" => return Some('<'),
        b"gt" => return Some('>'),
        b"amp" => return Some('&'),
        b"apos" => return Some('\''),
        b"quot" => return Some('"'),
        [b'#', b'x', hex @ ..] => number(hex, 16)?,
        [b'#', decimal @ ..] => number(decimal, 10)?,
        _ => return None,
    };
    // `&#0;` is not a character XML allows; keep it as written.
    char::from_u32(code).filter(|&c| c != '\0')
}

/// Digits in `radix` (no sign, unlike `from_str_radix` alone) as a number.
fn number(digits: &[u8], radix: u32) -> Option<u32> {
    let digits = std::str::from_utf8(digits).ok()?;
    if !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    u32::from_str_radix(digits, radix).ok()
}
