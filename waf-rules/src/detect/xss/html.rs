//! A small, forgiving HTML tokenizer: just enough of the HTML5 tokenizer to find tags
//! and their attributes the way a browser would, plus the leniency a filter needs.
//!
//! It follows the HTML5 states for tag names, attribute names and quoted or unquoted
//! values, with these deliberate differences, each of which can only find *more*:
//!
//! * every control character counts as whitespace, so `<img\x0Bsrc=x\x11onerror=…>`
//!   still splits into attributes (old browsers and fuzzing lists treat them so);
//! * a backquote quotes a value, as it did in old Internet Explorer;
//! * a quoted value that is never closed ends at the next `>`, so a truncated or
//!   deliberately unbalanced payload still shows its later attributes and tags;
//! * a tag name followed directly by `<` is not a tag (`<scr<script>ipt>`): scanning
//!   resumes at that `<`, where the filter-evading inner tag starts;
//! * text inside `<script>`, `<style>`, comments and the like is scanned for tags too,
//!   because a payload is usually written to break out of such a context.
//!
//! The tokenizer never looks back: every byte is visited a bounded number of times.

/// One attribute of a tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Attr<'a> {
    /// Where the name starts in the scanned text.
    pub start: usize,
    /// The name as written.
    pub name: &'a [u8],
    /// The value without its quotes; `None` when there is no `=`.
    pub value: Option<&'a [u8]>,
}

/// What kind of markup a [`Tag`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum TagKind {
    /// `<name …>`.
    Start,
    /// `</name …>`.
    End,
    /// `<?name …>`, a processing instruction (old Internet Explorer ran some).
    Instruction,
}

/// A start tag, end tag or processing instruction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Tag<'a> {
    /// Where the `<` is.
    pub start: usize,
    /// The tag name as written.
    pub name: &'a [u8],
    /// Start, end or processing instruction.
    pub kind: TagKind,
    /// Attributes in order.
    pub attrs: Vec<Attr<'a>>,
    /// Where the tag ends (after its `>`, or the end of the text).
    pub end: usize,
}

/// Finds the tags of `s` read as HTML text.
pub(super) struct Tokenizer<'a> {
    s: &'a [u8],
    pos: usize,
}

impl<'a> Tokenizer<'a> {
    /// A tokenizer over `s`, starting in the data state.
    pub fn new(s: &'a [u8]) -> Self {
        Self { s, pos: 0 }
    }

    /// The next tag, if any.
    pub fn next_tag(&mut self) -> Option<Tag<'a>> {
        while self.pos < self.s.len() {
            let lt = self.pos + self.s.get(self.pos..)?.iter().position(|&c| c == b'<')?;
            self.pos = lt + 1;
            let (kind, name_start) = match self.s.get(lt + 1) {
                Some(b'/') => (TagKind::End, lt + 2),
                Some(b'?') => (TagKind::Instruction, lt + 2),
                _ => (TagKind::Start, lt + 1),
            };
            if !self.s.get(name_start).is_some_and(u8::is_ascii_alphabetic) {
                continue;
            }
            let name_end = name_start
                + self
                    .s
                    .get(name_start..)?
                    .iter()
                    .take_while(|&&c| is_name_byte(c))
                    .count();
            if self.s.get(name_end) == Some(&b'<') {
                self.pos = name_end;
                continue;
            }
            let (attrs, end) = attributes(self.s, name_end);
            self.pos = end;
            let name = self.s.get(name_start..name_end)?;
            return Some(Tag {
                start: lt,
                name,
                kind,
                attrs,
                end,
            });
        }
        None
    }
}

/// Reads attributes from `i` (the "before attribute name" state) up to the `>` that
/// ends the tag; returns them and the index after the tag.
pub(super) fn attributes(s: &[u8], mut i: usize) -> (Vec<Attr<'_>>, usize) {
    let mut attrs = Vec::new();
    loop {
        while s.get(i).is_some_and(|&c| is_space(c) || c == b'/') {
            i += 1;
        }
        match s.get(i) {
            None => return (attrs, i),
            Some(b'>') => return (attrs, i + 1),
            Some(_) => {}
        }
        let start = i;
        // The first character may be `=` (it then belongs to the name, as in HTML5).
        i += 1;
        while s
            .get(i)
            .is_some_and(|&c| !is_space(c) && !matches!(c, b'/' | b'>' | b'='))
        {
            i += 1;
        }
        let name = s.get(start..i).unwrap_or_default();
        let mut j = i;
        while s.get(j).is_some_and(|&c| is_space(c)) {
            j += 1;
        }
        if s.get(j) != Some(&b'=') {
            attrs.push(Attr {
                start,
                name,
                value: None,
            });
            continue;
        }
        j += 1;
        while s.get(j).is_some_and(|&c| is_space(c)) {
            j += 1;
        }
        let (value, next) = value(s, j);
        attrs.push(Attr {
            start,
            name,
            value: Some(value),
        });
        i = next;
    }
}

/// Reads an attribute value starting at `i`; returns it and where scanning resumes.
fn value(s: &[u8], i: usize) -> (&[u8], usize) {
    match s.get(i) {
        Some(&q @ (b'"' | b'\'' | b'`')) => {
            let rest = s.get(i + 1..).unwrap_or_default();
            if let Some(close) = rest.iter().position(|&c| c == q) {
                (rest.get(..close).unwrap_or_default(), i + 2 + close)
            } else {
                // Never closed: end the value at the next `>` and let the tag end there.
                let close = rest.iter().position(|&c| c == b'>').unwrap_or(rest.len());
                (rest.get(..close).unwrap_or_default(), i + 1 + close)
            }
        }
        _ => {
            let len = s
                .get(i..)
                .unwrap_or_default()
                .iter()
                .take_while(|&&c| !is_space(c) && c != b'>')
                .count();
            (s.get(i..i + len).unwrap_or_default(), i + len)
        }
    }
}

/// Whitespace for the tokenizer: ASCII whitespace and every other control character.
pub(super) fn is_space(c: u8) -> bool {
    c <= b' ' || c == 0x7F
}

/// Bytes of a tag name: letters, digits and the punctuation of namespaced and custom
/// element names.
fn is_name_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b':' | b'.') || c >= 0x80
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tag name and its attributes' names and values, as text.
    type Parsed = (String, Vec<(String, Option<String>)>);

    fn tags(s: &[u8]) -> Vec<Parsed> {
        let mut t = Tokenizer::new(s);
        let mut out = Vec::new();
        while let Some(tag) = t.next_tag() {
            let attrs = tag
                .attrs
                .iter()
                .map(|a| {
                    let v = a.value.map(|v| String::from_utf8_lossy(v).into_owned());
                    (String::from_utf8_lossy(a.name).into_owned(), v)
                })
                .collect();
            out.push((String::from_utf8_lossy(tag.name).into_owned(), attrs));
        }
        out
    }

    #[test]
    fn splits_tags_and_attributes() {
        let t = tags(b"<img src=x onerror=alert(1)>");
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].0, "img");
        assert_eq!(t[0].1[1], ("onerror".into(), Some("alert(1)".into())));
        let t = tags(b"<svg/onload=alert(1)>");
        assert_eq!(t[0].1[0].0, "onload");
        let t = tags(b"<a href = \"javascript:x\" title='a>b'>t</a>");
        assert_eq!(t[0].1[0].1.as_deref(), Some("javascript:x"));
        assert_eq!(t[0].1[1].1.as_deref(), Some("a>b"));
        assert_eq!(t[1].0, "a");
    }

    #[test]
    fn lenient_cases() {
        assert_eq!(tags(b"<scr<script>ipt>")[0].0, "script");
        let t = tags(b"<img src=\"x onerror=alert(1)><b>");
        assert_eq!(t[0].1[0].1.as_deref(), Some("x onerror=alert(1)"));
        assert_eq!(t[1].0, "b");
        let t = tags(b"<img\x0bsrc=x\x11onerror=y>");
        assert_eq!(t[0].1.len(), 2);
        assert!(tags(b"a < b and 1<2").is_empty());
    }
}
