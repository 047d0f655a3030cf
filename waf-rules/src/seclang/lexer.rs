//! Lines and words, as ModSecurity's configuration reader sees them.
//!
//! ModSecurity 2 is an Apache module, so its directives are read by Apache's configuration
//! reader (`ap_cfg_getline` and `ap_getword_conf` in httpd 2.4). This module reproduces
//! that reader:
//!
//! * A line ending in `\` (before an optional `\r`) continues on the next line; the
//!   backslash is removed and the next line is appended as is, leading blanks included.
//!   Continuation is applied *before* comments are recognised, so a comment line ending
//!   in `\` swallows the next line too, as in Apache.
//! * A logical line whose first non-blank character is `#` is a comment; blank lines are
//!   skipped.
//! * Words are separated by white space. A word that starts with `"` or `'` runs to the
//!   matching unescaped quote; inside it `\"` (or `\'` in a single-quoted word) stands
//!   for the quote and `\\` for one backslash. Every other backslash is kept, so regular
//!   expressions such as `\d` or `\x5c` reach the operator unchanged. Outside quotes,
//!   `\\` also becomes one backslash.
//!
//! Two deliberate differences from Apache, both for inputs Apache reads in a way nobody
//! intends: an unterminated quote is an error (Apache silently takes the rest of the
//! line), and a closing quote must be followed by white space or the end of the line
//! (Apache starts the next word right after it).

/// A directive's text after joining continuation lines.
pub(super) struct LogicalLine {
    /// Where it starts, counting from 1.
    pub number: usize,
    pub text: String,
}

/// Joins lines that end in `\` with the next one and drops blank and comment lines.
pub(super) fn logical_lines(text: &str) -> Vec<LogicalLine> {
    let mut out = Vec::new();
    let mut current: Option<LogicalLine> = None;
    for (index, raw) in text.split('\n').enumerate() {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        let (body, continues) = match raw.strip_suffix('\\') {
            Some(body) => (body, true),
            None => (raw, false),
        };
        match current.as_mut() {
            Some(line) => line.text.push_str(body),
            None => {
                current = Some(LogicalLine {
                    number: index + 1,
                    text: body.to_owned(),
                })
            }
        }
        if !continues {
            out.extend(current.take().filter(is_directive));
        }
    }
    out.extend(current.filter(is_directive));
    out
}

fn is_directive(line: &LogicalLine) -> bool {
    let trimmed = line.text.trim_start_matches(is_space);
    !trimmed.is_empty() && !trimmed.starts_with('#')
}

/// Splits a directive into words (see the module documentation for the rules).
pub(super) fn split_words(line: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        while chars.next_if(|&c| is_space(c)).is_some() {}
        let Some(&first) = chars.peek() else {
            return Ok(words);
        };
        let mut word = String::new();
        if first == '"' || first == '\'' {
            chars.next();
            loop {
                match chars.next() {
                    None => {
                        return Err(format!(
                            "unterminated {} argument",
                            if first == '"' {
                                "double-quoted"
                            } else {
                                "single-quoted"
                            }
                        ));
                    }
                    Some(c) if c == first => break,
                    Some('\\') => match chars.next_if(|&c| c == first || c == '\\') {
                        Some(escaped) => word.push(escaped),
                        None => word.push('\\'),
                    },
                    Some(c) => word.push(c),
                }
            }
            if chars.peek().is_some_and(|&c| !is_space(c)) {
                return Err("expected white space after a closing quote".into());
            }
        } else {
            while let Some(c) = chars.next_if(|&c| !is_space(c)) {
                if c == '\\' && chars.next_if_eq(&'\\').is_some() {
                    word.push('\\');
                } else {
                    word.push(c);
                }
            }
        }
        words.push(word);
    }
}

/// White space as C's `isspace` sees it in the "C" locale, which is what ModSecurity and
/// Apache use: space, tab, line feed, vertical tab, form feed and carriage return.
pub(super) fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\x0b' | '\x0c' | '\r')
}
