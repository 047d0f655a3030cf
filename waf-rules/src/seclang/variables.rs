//! Variable lists: `ARGS|!ARGS:id|&REQUEST_HEADERS:Host|REQUEST_COOKIES:/^sess/`.

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

/// Splits at `|`, except inside a `/…/` regex selector or a quoted key.
fn split_top_level(text: &str) -> Result<Vec<&str>, String> {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut in_regex = false;
    let mut in_quote = false;
    let mut after_colon = false;
    let mut escaped = false;
    for (at, c) in text.char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            '\\' if in_regex => escaped = true,
            '/' if after_colon
                && !in_quote
                && text[start..at].ends_with(':')
                && !is_xpath(&text[start..at]) =>
            {
                in_regex = true
            }
            '/' if in_regex => in_regex = false,
            '\'' if after_colon && !in_regex => in_quote = !in_quote,
            ':' if !in_regex && !in_quote => after_colon = true,
            '|' if !in_regex && !in_quote => {
                parts.push(&text[start..at]);
                start = at + 1;
                after_colon = false;
            }
            _ => {}
        }
    }
    if in_regex {
        return Err(format!("unterminated regex selector in {text:?}"));
    }
    parts.push(&text[start..]);
    Ok(parts
        .into_iter()
        .map(str::trim)
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
        Some(s) if name.eq_ignore_ascii_case("XML") => Some(Selector::Key(s.to_owned())),
        Some(s) if s.len() >= 2 && s.starts_with('/') && s.ends_with('/') => {
            Some(Selector::Regex(s[1..s.len() - 1].to_owned()))
        }
        Some(s) if s.len() >= 2 && s.starts_with('\'') && s.ends_with('\'') => {
            Some(Selector::Key(s[1..s.len() - 1].to_owned()))
        }
        Some("") => return Err(format!("empty selector in {text:?}")),
        Some(s) => Some(Selector::Key(s.to_owned())),
    };
    Ok(Variable {
        count,
        exclude,
        collection: name.to_ascii_uppercase(),
        selector,
    })
}
