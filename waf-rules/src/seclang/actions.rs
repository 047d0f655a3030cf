//! Action lists: `id:1,phase:2,t:lowercase,msg:'a, b',deny`.

use super::Action;

/// Splits an action list at top-level commas; a value in single quotes may hold commas
/// and `\'` for a quote.
pub(super) fn parse(text: &str) -> Result<Vec<Action>, String> {
    let mut actions = Vec::new();
    let mut rest = text.trim();
    while !rest.is_empty() {
        let name_end = rest.find([':', ',']).unwrap_or(rest.len());
        let name = rest[..name_end].trim();
        if name.is_empty() {
            return Err(format!("empty action in {text:?}"));
        }
        rest = &rest[name_end..];
        let mut value = None;
        if let Some(after) = rest.strip_prefix(':') {
            let after = after.trim_start();
            let (v, remainder) = if let Some(quoted) = after.strip_prefix('\'') {
                quoted_value(quoted)
                    .ok_or_else(|| format!("unterminated single-quoted value of action {name:?}"))?
            } else {
                let end = after.find(',').unwrap_or(after.len());
                (after[..end].trim_end().to_owned(), &after[end..])
            };
            value = Some(v);
            rest = remainder.trim_start();
        }
        match rest.strip_prefix(',') {
            Some(after) => rest = after.trim_start(),
            None if rest.is_empty() => {}
            None => return Err(format!("expected ',' after action {name:?}")),
        }
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
    let mut chars = text.char_indices();
    while let Some((at, c)) = chars.next() {
        match c {
            '\'' => return Some((value, &text[at + 1..])),
            '\\' if text[at + 1..].starts_with('\'') => {
                chars.next();
                value.push('\'');
            }
            c => value.push(c),
        }
    }
    None
}
