//! Transformations: what a rule does to a value before its operator sees it (`t:`).
//!
//! One file per transformation, each with ModSecurity's semantics. Every transformation
//! is total (any bytes in, bytes out), linear in its input and never panics.

mod compress_whitespace;
mod html_entity_decode;
mod lowercase;
mod normalize_path;
mod remove_nulls;
mod remove_whitespace;
mod url_decode;
mod url_decode_uni;

use std::borrow::Cow;

/// A transformation, by name as in SecLang (`t:lowercase`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transform {
    /// `lowercase`: ASCII letters to lower case.
    Lowercase,
    /// `urlDecode`: `%XX` and `+`; invalid escapes kept.
    UrlDecode,
    /// `urlDecodeUni`: like `urlDecode`, also `%uXXXX`.
    UrlDecodeUni,
    /// `htmlEntityDecode`: `&lt;`, `&#60;`, `&#x3c;` and the common named entities.
    HtmlEntityDecode,
    /// `compressWhitespace`: runs of white space to one space.
    CompressWhitespace,
    /// `removeWhitespace`: all white space removed.
    RemoveWhitespace,
    /// `removeNulls`: NUL bytes removed.
    RemoveNulls,
    /// `normalizePath`: `//`, `/./` and `/x/../` folded.
    NormalizePath,
}

impl Transform {
    /// The transformation called `name` in SecLang (case-insensitive); `None` for an
    /// unknown name. `none` is handled by the rule compiler, not here.
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name.to_ascii_lowercase().as_str() {
            "lowercase" => Self::Lowercase,
            "urldecode" => Self::UrlDecode,
            "urldecodeuni" => Self::UrlDecodeUni,
            "htmlentitydecode" => Self::HtmlEntityDecode,
            "compresswhitespace" => Self::CompressWhitespace,
            "removewhitespace" => Self::RemoveWhitespace,
            "removenulls" => Self::RemoveNulls,
            "normalizepath" => Self::NormalizePath,
            _ => return None,
        })
    }

    /// Applies the transformation; borrows when the value does not change.
    pub fn apply<'a>(self, input: &'a [u8]) -> Cow<'a, [u8]> {
        match self {
            Self::Lowercase => lowercase::apply(input),
            Self::UrlDecode => url_decode::apply(input),
            Self::UrlDecodeUni => url_decode_uni::apply(input),
            Self::HtmlEntityDecode => html_entity_decode::apply(input),
            Self::CompressWhitespace => compress_whitespace::apply(input),
            Self::RemoveWhitespace => remove_whitespace::apply(input),
            Self::RemoveNulls => remove_nulls::apply(input),
            Self::NormalizePath => normalize_path::apply(input),
        }
    }
}

/// Applies `transforms` in order.
pub fn apply_all<'a>(transforms: &[Transform], input: &'a [u8]) -> Cow<'a, [u8]> {
    let mut value = Cow::Borrowed(input);
    for t in transforms {
        if let Cow::Owned(changed) = t.apply(&value) {
            value = Cow::Owned(changed);
        }
    }
    value
}

/// ModSecurity's notion of white space for the whitespace transformations.
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c | 0xa0)
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::Transform::{self, *};

    #[test]
    fn table() {
        // (transform, input, expected)
        let cases: &[(Transform, &[u8], &[u8])] = &[
            (Lowercase, b"SeLeCt \xC3\x89", b"select \xC3\x89"),
            (UrlDecode, b"a%20b+c", b"a b c"),
            (UrlDecode, b"%zz%4%", b"%zz%4%"),
            (UrlDecode, b"%27%2f", b"'/"),
            (UrlDecodeUni, b"%u0027x%u003C", b"'x<"),
            (UrlDecodeUni, b"%uff1c", b"<"),
            (UrlDecodeUni, b"%u00e9", b"\xe9"),
            (UrlDecodeUni, b"%uzz12+%41", b"%uzz12 A"),
            (HtmlEntityDecode, b"&lt;script&gt;", b"<script>"),
            (HtmlEntityDecode, b"&#60;&#x3C;&#X3c", b"<<<"),
            (HtmlEntityDecode, b"&quot;&amp;&apos;&nbsp;", b"\"&'\xa0"),
            (HtmlEntityDecode, b"&unknown; & &#;", b"&unknown; & &#;"),
            (CompressWhitespace, b"a \t\n b  c", b"a b c"),
            (RemoveWhitespace, b" a\tb\nc ", b"abc"),
            (RemoveNulls, b"a\0b\0", b"ab"),
            (NormalizePath, b"/a//b/./c/../d", b"/a/b/d"),
            (NormalizePath, b"/../../etc/passwd", b"/etc/passwd"),
            (NormalizePath, b"a/../../b", b"../b"),
            (NormalizePath, b"./x/", b"x/"),
        ];
        for (t, input, expected) in cases {
            assert_eq!(
                &*t.apply(input),
                *expected,
                "{t:?} on {:?}",
                String::from_utf8_lossy(input)
            );
        }
    }

    #[test]
    fn names_round_trip() {
        for name in [
            "lowercase",
            "urlDecodeUni",
            "htmlEntityDecode",
            "normalizePath",
        ] {
            assert!(Transform::from_name(name).is_some(), "{name}");
        }
        assert_eq!(Transform::from_name("nope"), None);
    }
}
