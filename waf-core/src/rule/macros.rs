//! Macro text: action values and operator arguments holding `%{…}` references, such as
//! `%{tx.critical_anomaly_score}`, `%{MATCHED_VAR}` or `%{REQUEST_HEADERS.host}`.
//!
//! A reference names a variable and, after the first `.`, a member; both are read
//! case-insensitively. ModSecurity expands a reference to a variable that does not exist
//! to the empty string, and so do we. A `%{` without a closing `}` is plain text.

use std::borrow::Cow;

/// Text with macro references, parsed once when rules are compiled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MacroText {
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(Vec<u8>),
    Reference(Reference),
}

/// One `%{COLLECTION.member}` reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// The variable, upper case (`TX`, `MATCHED_VAR`, `RULE`, …).
    pub collection: String,
    /// The member after the first `.`, lower case (`critical_anomaly_score`, `host`).
    pub member: Option<String>,
}

impl MacroText {
    /// Splits `text` into literal parts and references.
    pub fn parse(text: &str) -> Self {
        let mut parts = Vec::new();
        let mut rest = text;
        let mut literal = String::new();
        while let Some(start) = rest.find("%{") {
            let Some(len) = rest[start + 2..].find('}') else {
                break;
            };
            literal.push_str(&rest[..start]);
            let name = &rest[start + 2..start + 2 + len];
            if !literal.is_empty() {
                parts.push(Part::Text(std::mem::take(&mut literal).into_bytes()));
            }
            let (collection, member) = match name.split_once('.') {
                Some((c, m)) => (c, Some(m.trim().to_ascii_lowercase())),
                None => (name, None),
            };
            parts.push(Part::Reference(Reference {
                collection: collection.trim().to_ascii_uppercase(),
                member,
            }));
            rest = &rest[start + 2 + len + 1..];
        }
        literal.push_str(rest);
        if !literal.is_empty() {
            parts.push(Part::Text(literal.into_bytes()));
        }
        Self { parts }
    }

    /// The text when it holds no reference.
    pub fn constant(&self) -> Option<&[u8]> {
        match self.parts.as_slice() {
            [] => Some(b""),
            [Part::Text(text)] => Some(text),
            _ => None,
        }
    }

    /// The text with every reference replaced by what `resolve` gives for it (nothing
    /// is the empty string).
    pub fn expand(&self, resolve: &mut dyn FnMut(&Reference) -> Option<Vec<u8>>) -> Cow<'_, [u8]> {
        if let Some(constant) = self.constant() {
            return Cow::Borrowed(constant);
        }
        let mut out = Vec::new();
        for part in &self.parts {
            match part {
                Part::Text(text) => out.extend_from_slice(text),
                Part::Reference(reference) => out.extend(resolve(reference).unwrap_or_default()),
            }
        }
        Cow::Owned(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expand(text: &str) -> String {
        let text = MacroText::parse(text);
        let out = text.expand(&mut |r| {
            let name = match &r.member {
                Some(m) => format!("{}.{m}", r.collection),
                None => r.collection.clone(),
            };
            (name != "TX.missing").then(|| format!("<{name}>").into_bytes())
        });
        String::from_utf8(out.into_owned()).unwrap()
    }

    #[test]
    fn table() {
        // (text, expanded)
        let cases = [
            ("plain", "plain"),
            ("", ""),
            ("%{tx.Score}", "<TX.score>"),
            (
                "+%{tx.critical_anomaly_score}",
                "+<TX.critical_anomaly_score>",
            ),
            (
                "%{matched_var_name}=%{MATCHED_VAR}",
                "<MATCHED_VAR_NAME>=<MATCHED_VAR>",
            ),
            (
                "%{request_headers.content-type}",
                "<REQUEST_HEADERS.content-type>",
            ),
            ("a%{tx.missing}b", "ab"),
            ("100%{ unclosed", "100%{ unclosed"),
            ("50% off", "50% off"),
        ];
        for (text, expanded) in cases {
            assert_eq!(expand(text), expanded, "{text:?}");
        }
    }

    #[test]
    fn constants_are_known_without_expanding() {
        assert_eq!(MacroText::parse("abc").constant(), Some(&b"abc"[..]));
        assert_eq!(MacroText::parse("%{tx.a}").constant(), None);
    }
}
