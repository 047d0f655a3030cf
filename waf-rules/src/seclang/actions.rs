//! Action lists: `id:1,phase:2,t:lowercase,msg:'a, b',deny`.
//!
//! This follows ModSecurity 2's `msre_parse_generic`, which libmodsecurity 3 and Coraza
//! agree with on everything the OWASP CRS uses:
//!
//! * A name runs up to `:`, `,`, `|` or white space and is matched case-insensitively
//!   (it is stored lower-cased).
//! * `name:'value'` is a quoted value: it may hold commas, pipes and blanks; `\'` stands
//!   for a quote and `\\` for a backslash.
//! * `name:value` is an unquoted value: it runs up to the next `,`, `|` or white space.
//! * Actions are separated by any run of commas, pipes and white space, so
//!   `id:1, phase:2` and `id:1 deny` both read as two actions.
//!
//! Where ModSecurity 2 rejects an input this parser reads it the obvious way instead:
//! blanks between `:` and the value are skipped, and in a quoted value a backslash that
//! escapes neither a quote nor a backslash is kept (`msg:'C:\Windows'`), as
//! libmodsecurity 3 and Coraza read it. Everything ModSecurity 2 accepts means the same
//! here.

use super::Action;
use super::lexer::is_space;

/// Ends a name.
fn ends_name(c: char) -> bool {
    matches!(c, ':' | ',' | '|') || is_space(c)
}

/// Separates actions.
fn separates(c: char) -> bool {
    matches!(c, ',' | '|') || is_space(c)
}

/// Parses an action list.
pub(super) fn parse(text: &str) -> Result<Vec<Action>, String> {
    let mut actions = Vec::new();
    let mut rest = text.trim_start_matches(is_space);
    while !rest.is_empty() {
        let name_end = rest.find(ends_name).unwrap_or(rest.len());
        let name = &rest[..name_end];
        if name.is_empty() {
            return Err(format!("empty action in {text:?}"));
        }
        rest = &rest[name_end..];
        let mut value = None;
        if let Some(after) = rest.strip_prefix(':') {
            let after = after.trim_start_matches(is_space);
            let (v, remainder) = if let Some(quoted) = after.strip_prefix('\'') {
                quoted_value(quoted)
                    .ok_or_else(|| format!("unterminated single-quoted value of action {name:?}"))?
            } else {
                let end = after.find(separates).unwrap_or(after.len());
                (after[..end].to_owned(), &after[end..])
            };
            value = Some(v);
            rest = remainder;
        } else {
            // A flag: only separators may follow.
            let after = rest.trim_start_matches(is_space);
            if !after.is_empty() && !after.starts_with([',', '|']) {
                return Err(format!("expected ',' after action {name:?} in {text:?}"));
            }
        }
        rest = rest.trim_start_matches(separates);
        actions.push(Action {
            name: name.to_ascii_lowercase(),
            value,
        });
    }
    Ok(actions)
}

/// Reads up to the closing quote; returns the value and what follows the quote.
fn quoted_value(text: &str) -> Option<(String, &str)> {
    let mut value = String::new();
    let mut chars = text.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        match c {
            '\'' => return Some((value, &text[at + 1..])),
            '\\' => match chars.next_if(|&(_, c)| c == '\'' || c == '\\') {
                Some((_, escaped)) => value.push(escaped),
                None => value.push('\\'),
            },
            c => value.push(c),
        }
    }
    None
}
