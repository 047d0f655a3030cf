//! `@pm`: any of a set of phrases, ASCII case-insensitive, found with one Aho-Corasick
//! automaton in a single pass over the value.
//!
//! ModSecurity v3: the argument is first unwrapped (`parse_pm_content`): after leading
//! spaces and tabs, one pair of enclosing double quotes is removed; `|41 42|`-style sections
//! are hex bytes (`|` toggles hex mode; two hex digits make a byte; anything else in hex mode,
//! a space included, makes the whole argument be used verbatim instead); outside hex mode
//! `\` escapes `:`, `;`, `\` and `"`, and any other escaped character also means "use the
//! argument verbatim". The result is split into phrases at white space (C `isspace`: HT, LF,
//! VT, FF, CR, space). A phrase matches anywhere in the value, ignoring the case of ASCII
//! letters (the automaton folds with C `tolower`). Every quirk of that unwrapping is kept:
//! an escape is never reset inside a hex section, and `\|` still toggles hex mode.
//!
//! An argument with no phrase at all is refused (ModSecurity accepts it and never matches;
//! it can only be a mistake). `@pmFromFile` builds the same automaton from a file's lines.

use aho_corasick::{AhoCorasick, MatchKind};

/// A compiled phrase set.
#[derive(Debug, Clone)]
pub struct Pm {
    automaton: AhoCorasick,
    /// The phrases, lowercased: every match is one of them, which lets a rule set skip
    /// the rule for values holding none (see `Operator::required_literals`).
    phrases: Vec<Vec<u8>>,
}

impl Pm {
    /// `@pm`'s argument.
    pub(super) fn inline(argument: &str) -> Result<Self, String> {
        let content = parse_pm_content(argument.as_bytes());
        let phrases: Vec<&[u8]> = content
            .split(|&b| is_space(b))
            .filter(|p| !p.is_empty())
            .collect();
        if phrases.is_empty() {
            return Err("@pm needs at least one phrase".into());
        }
        Self::new(phrases)
    }

    /// A phrase set as it is (`@pmFromFile` reads phrases line by line).
    pub(super) fn new<P: AsRef<[u8]>>(
        phrases: impl IntoIterator<Item = P>,
    ) -> Result<Self, String> {
        let phrases: Vec<Vec<u8>> = phrases
            .into_iter()
            .map(|p| p.as_ref().to_ascii_lowercase())
            .collect();
        let automaton = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            // The match that ends first, as ModSecurity's automaton reports it.
            .match_kind(MatchKind::Standard)
            .build(&phrases)
            .map_err(|e| format!("@pm phrases: {e}"))?;
        Ok(Self { automaton, phrases })
    }

    /// The first phrase found (the one that ends first).
    pub(super) fn find<'v>(&self, value: &'v [u8]) -> Option<&'v [u8]> {
        self.automaton.find(value).map(|m| &value[m.range()])
    }

    /// The phrases, lowercased.
    pub(super) fn phrases(&self) -> &[Vec<u8>] {
        &self.phrases
    }
}

/// C `isspace` in the "C" locale.
pub(super) fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// ModSecurity's `parse_pm_content`: quotes, `|hex|` and `\` escapes.
fn parse_pm_content(param: &[u8]) -> Vec<u8> {
    let Some(offset) = param.iter().position(|&b| b != b' ' && b != b'\t') else {
        return param.to_vec();
    };
    let mut content = &param[offset..];
    if content.len() >= 2 && content[0] == b'"' && content[content.len() - 1] == b'"' {
        content = &content[1..content.len() - 1];
    }
    if content.is_empty() {
        return param.to_vec();
    }
    let mut out = Vec::with_capacity(content.len());
    let (mut bin, mut esc) = (false, false);
    let mut hex: Option<u8> = None;
    for &c in content {
        if c == b'|' {
            bin = !bin;
        } else if !esc && c == b'\\' {
            esc = true;
        } else if bin {
            let Some(digit) = char::from(c).to_digit(16) else {
                return param.to_vec();
            };
            // Digits always come in pairs within one hex section's stream.
            match hex.take() {
                None => hex = Some(digit as u8),
                Some(high) => out.push(high << 4 | digit as u8),
            }
        } else if esc {
            if !matches!(c, b':' | b';' | b'\\' | b'"') {
                return param.to_vec();
            }
            out.push(c);
            esc = false;
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{Pm, parse_pm_content};

    #[test]
    fn unwraps_like_modsecurity() {
        let cases: &[(&str, &[u8])] = &[
            ("abc def", b"abc def"),
            (r#"  "abc def""#, b"abc def"),
            ("|41 42|", b"|41 42|"),
            ("a|4142|b", b"aABb"),
            ("a|41|b|42|", b"aAbB"),
            (r#"a\:b\;c\\d\"e"#, br#"a:b;c\d"e"#),
            (r"a\nb", br"a\nb"),
            ("|4g|", b"|4g|"),
            ("\"\"", b"\"\""),
            ("   ", b"   "),
        ];
        for (param, expected) in cases {
            assert_eq!(parse_pm_content(param.as_bytes()), *expected, "{param}");
        }
    }

    #[test]
    fn phrases_are_case_insensitive_and_split_at_white_space() {
        let pm = Pm::inline("Foo\x0bbar\tbaz").unwrap();
        assert_eq!(pm.find(b"xxBAR"), Some(&b"BAR"[..]));
        assert_eq!(pm.find(b"xxfOo"), Some(&b"fOo"[..]));
        assert!(pm.find(b"ba r").is_none());
        let pm = Pm::inline("|00|x").unwrap();
        assert!(pm.find(b"a\0xb").is_some());
        assert!(Pm::inline("  ").is_err());
    }
}
