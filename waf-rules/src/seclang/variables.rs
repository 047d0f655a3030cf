//! Variable lists: `ARGS|!ARGS:id|&REQUEST_HEADERS:Host|REQUEST_COOKIES:/^sess/`.
//!
//! As in ModSecurity 2, variables are separated by `|` or `,` (blanks around them are
//! ignored), a selector may be quoted (`TX:'a.b'`, `\'` for a quote) and a selector of
//! more than two characters between slashes is a regular expression, quoted or not. A
//! regex selector may contain `|` and `,` (ModSecurity 2 needs it quoted for that; this
//! parser does not). `XML:` selectors are XPath expressions such as `/*` and are never
//! read as regexes.

use super::lexer::is_space;
use super::{Selector, Variable};

pub(super) fn parse(text: &str) -> Result<Vec<Variable>, String> {
    let mut variables = Vec::new();
    for part in split_top_level(text)? {
        variables.push(variable(part)?);
    }
    if variables.is_empty() {
        return Err("empty variable list".into());
    }
    Ok(variables)
}

/// Splits at `|` and `,`, except inside a `/…/` regex selector or a quoted selector.
fn split_top_level(text: &str) -> Result<Vec<&str>, String> {
    #[derive(PartialEq)]
    enum State {
        /// In the name, or in an unquoted, non-regex selector.
        Plain,
        /// Inside `/…/`.
        Regex,
        /// Inside `'…'`.
        Quoted,
    }
    let mut parts = Vec::new();
    let mut start = 0;
    let mut state = State::Plain;
    let mut escaped = false;
    for (at, c) in text.char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        // The part so far, when `c` is the first character of its selector.
        let selector_start = || {
            let before = &text[start..at];
            before.ends_with(':') && before.find(':') == Some(before.len() - 1)
        };
        match (&state, c) {
            (State::Regex | State::Quoted, '\\') => escaped = true,
            (State::Regex, '/') | (State::Quoted, '\'') => state = State::Plain,
            (State::Plain, '/') if selector_start() && !is_xpath(&text[start..at]) => {
                state = State::Regex
            }
            (State::Plain, '\'') if selector_start() => state = State::Quoted,
            (State::Plain, '|' | ',') => {
                parts.push(&text[start..at]);
                start = at + 1;
            }
            _ => {}
        }
    }
    match state {
        State::Regex => return Err(format!("unterminated regex selector in {text:?}")),
        State::Quoted => return Err(format!("unterminated quoted selector in {text:?}")),
        State::Plain => {}
    }
    parts.push(&text[start..]);
    Ok(parts
        .into_iter()
        .map(|p| p.trim_matches(is_space))
        .filter(|p| !p.is_empty())
        .collect())
}

/// `XML:` selectors are XPath expressions such as `/*` or `//@*`, never regexes.
fn is_xpath(variable_and_colon: &str) -> bool {
    variable_and_colon
        .trim_start_matches(['!', '&'])
        .eq_ignore_ascii_case("XML:")
}

fn variable(text: &str) -> Result<Variable, String> {
    let mut rest = text;
    let exclude = match rest.strip_prefix('!') {
        Some(r) => {
            rest = r;
            true
        }
        None => false,
    };
    let count = match rest.strip_prefix('&') {
        Some(r) => {
            rest = r;
            true
        }
        None => false,
    };
    let (name, selector) = match rest.split_once(':') {
        Some((name, selector)) => (name, Some(selector)),
        None => (rest, None),
    };
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(format!("bad variable name {name:?} in {text:?}"));
    }
    let selector = match selector {
        None => None,
        Some("") => return Err(format!("empty selector in {text:?}")),
        Some(s) if name.eq_ignore_ascii_case("XML") => Some(Selector::Key(s.to_owned())),
        Some(s) => {
            let s = match s.strip_prefix('\'') {
                Some(quoted) => {
                    unquote(quoted).ok_or_else(|| format!("bad quoted selector in {text:?}"))?
                }
                None => s.to_owned(),
            };
            if s.len() > 2 && s.starts_with('/') && s.ends_with('/') {
                Some(Selector::Regex(s[1..s.len() - 1].to_owned()))
            } else {
                Some(Selector::Key(s))
            }
        }
    };
    Ok(Variable {
        count,
        exclude,
        collection: name.to_ascii_uppercase(),
        selector,
    })
}

/// The text of `…'` (the opening quote already removed), which must end at the closing
/// quote; `\'` is a quote and `\\` a backslash.
fn unquote(text: &str) -> Option<String> {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => return chars.next().is_none().then_some(out),
            '\\' => match chars.clone().next() {
                Some(next @ ('\'' | '\\')) => {
                    chars.next();
                    out.push(next);
                }
                _ => out.push('\\'),
            },
            c => out.push(c),
        }
    }
    None
}
