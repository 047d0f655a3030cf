//! Transformations: what a rule does to a value before its operator sees it (`t:`).
//!
//! One file per transformation, each with ModSecurity's semantics: libmodsecurity v3 is the
//! reference, byte for byte, including its quirks where they are harmless; where engines
//! (ModSecurity v2, v3, Coraza) disagree, the file says which one we follow and why. Every
//! transformation is total (any bytes in, bytes out), linear in its input, never panics and
//! borrows its input when the value does not change.
//!
//! White space means C's `isspace` in the "C" locale (HT, LF, VT, FF, CR and space), as in
//! ModSecurity, unless a transformation says otherwise. Names are matched without regard to
//! case, as ModSecurity's rule parser does. `t:none` is not a transformation: the rule
//! compiler handles it (it clears the list), so [`Transform::from_name`] returns `None` for it.
//!
//! ModSecurity's `urlDecodeUni` can use a code-page map (`SecUnicodeMapFile`); we behave as
//! ModSecurity does without one, which is v3's default.

mod base64_decode;
mod base64_decode_ext;
mod base64_encode;
mod cmd_line;
mod compress_whitespace;
mod css_decode;
mod escape_seq_decode;
mod hex_decode;
mod hex_encode;
mod html_entity_decode;
mod js_decode;
mod length;
mod lowercase;
mod md5;
mod normalize_path;
mod normalize_path_win;
mod parity_even_7bit;
mod parity_odd_7bit;
mod parity_zero_7bit;
mod php_args_names;
mod remove_comments;
mod remove_comments_char;
mod remove_nulls;
mod remove_whitespace;
mod replace_comments;
mod replace_nulls;
mod sha1;
mod sql_hex_decode;
mod trim;
mod trim_left;
mod trim_right;
mod uppercase;
mod url_decode;
mod url_decode_uni;
mod url_encode;
mod utf8_to_unicode;

use std::borrow::Cow;

/// A transformation, by name as in SecLang (`t:lowercase`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transform {
    /// `lowercase`: ASCII letters to lower case.
    Lowercase,
    /// `uppercase`: ASCII letters to upper case.
    Uppercase,
    /// `urlDecode`: `%XX` and `+`; invalid escapes kept.
    UrlDecode,
    /// `urlDecodeUni`: like `urlDecode`, also IIS `%uXXXX` (low byte; full-width ASCII mapped).
    UrlDecodeUni,
    /// `urlEncode`: everything but letters, digits and `*` percent-encoded, space to `+`.
    UrlEncode,
    /// `htmlEntityDecode`: `&#60;`, `&#x3c;` and `&quot;`, `&amp;`, `&lt;`, `&gt;`, `&nbsp;`.
    HtmlEntityDecode,
    /// `jsDecode`: JavaScript escapes (`\uHHHH`, `\xHH`, octal, `\n`, ...).
    JsDecode,
    /// `cssDecode`: CSS 2 escapes (`\H` to `\HHHHHH`, `\` + newline).
    CssDecode,
    /// `escapeSeqDecode`: ANSI C escapes (`\n`, `\xHH`, octal, ...).
    EscapeSeqDecode,
    /// `cmdLine`: command-line obfuscation removed (`^`, quotes, `\`), spaces folded, lower case.
    CmdLine,
    /// `compressWhitespace`: runs of white space to one space.
    CompressWhitespace,
    /// `removeWhitespace`: white space (and bytes 0xa0, 0xc2) removed.
    RemoveWhitespace,
    /// `removeNulls`: NUL bytes removed.
    RemoveNulls,
    /// `replaceNulls`: NUL bytes to spaces.
    ReplaceNulls,
    /// `removeComments`: C, HTML and SQL comments removed.
    RemoveComments,
    /// `removeCommentsChar`: comment delimiters (`/*`, `*/`, `<!--`, `-->`, `--`, `#`) removed.
    RemoveCommentsChar,
    /// `replaceComments`: each `/* ... */` comment to one space.
    ReplaceComments,
    /// `normalizePath` (`normalisePath`): `//`, `/./` and `x/../` folded.
    NormalizePath,
    /// `normalizePathWin` (`normalisePathWin`): `\` to `/`, then as `normalizePath`.
    NormalizePathWin,
    /// `base64Decode`: Base64 decoded, up to the first byte outside the alphabet.
    Base64Decode,
    /// `base64DecodeExt`: forgiving Base64 decoding that skips bytes outside the alphabet.
    Base64DecodeExt,
    /// `base64Encode`: Base64 encoded, with padding.
    Base64Encode,
    /// `hexDecode`: pairs of hex digits to bytes.
    HexDecode,
    /// `hexEncode`: every byte to two lower-case hex digits.
    HexEncode,
    /// `sqlHexDecode`: SQL hex literals (`0x414243`) decoded.
    SqlHexDecode,
    /// `utf8toUnicode`: UTF-8 sequences to `%uHHHH`.
    Utf8ToUnicode,
    /// `length`: the value's length in bytes, in decimal.
    Length,
    /// `sha1`: the raw 20-byte SHA-1 digest.
    Sha1,
    /// `md5`: the raw 16-byte MD5 digest.
    Md5,
    /// `trim`: white space removed at both ends.
    Trim,
    /// `trimLeft`: white space removed at the start.
    TrimLeft,
    /// `trimRight`: white space removed at the end.
    TrimRight,
    /// `parityEven7bit`: bit 7 set so that every byte has even parity.
    ParityEven7bit,
    /// `parityOdd7bit`: bit 7 set so that every byte has odd parity.
    ParityOdd7bit,
    /// `parityZero7bit`: bit 7 cleared.
    ParityZero7bit,
    /// `phpArgsNames`: an argument name as PHP registers it (`a.b` to `a_b`, ...).
    PhpArgsNames,
}

impl Transform {
    /// Every transformation, in declaration order.
    pub const ALL: &'static [Transform] = &[
        Self::Lowercase,
        Self::Uppercase,
        Self::UrlDecode,
        Self::UrlDecodeUni,
        Self::UrlEncode,
        Self::HtmlEntityDecode,
        Self::JsDecode,
        Self::CssDecode,
        Self::EscapeSeqDecode,
        Self::CmdLine,
        Self::CompressWhitespace,
        Self::RemoveWhitespace,
        Self::RemoveNulls,
        Self::ReplaceNulls,
        Self::RemoveComments,
        Self::RemoveCommentsChar,
        Self::ReplaceComments,
        Self::NormalizePath,
        Self::NormalizePathWin,
        Self::Base64Decode,
        Self::Base64DecodeExt,
        Self::Base64Encode,
        Self::HexDecode,
        Self::HexEncode,
        Self::SqlHexDecode,
        Self::Utf8ToUnicode,
        Self::Length,
        Self::Sha1,
        Self::Md5,
        Self::Trim,
        Self::TrimLeft,
        Self::TrimRight,
        Self::ParityEven7bit,
        Self::ParityOdd7bit,
        Self::ParityZero7bit,
        Self::PhpArgsNames,
    ];

    /// The transformation called `name` in SecLang (case-insensitive, with ModSecurity's
    /// `normalise`/`normalize` aliases); `None` for an unknown name. `none` is handled by
    /// the rule compiler, not here.
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name.to_ascii_lowercase().as_str() {
            "lowercase" => Self::Lowercase,
            "uppercase" => Self::Uppercase,
            "urldecode" => Self::UrlDecode,
            "urldecodeuni" => Self::UrlDecodeUni,
            "urlencode" => Self::UrlEncode,
            "htmlentitydecode" => Self::HtmlEntityDecode,
            "jsdecode" => Self::JsDecode,
            "cssdecode" => Self::CssDecode,
            "escapeseqdecode" => Self::EscapeSeqDecode,
            "cmdline" => Self::CmdLine,
            "compresswhitespace" => Self::CompressWhitespace,
            "removewhitespace" => Self::RemoveWhitespace,
            "removenulls" => Self::RemoveNulls,
            "replacenulls" => Self::ReplaceNulls,
            "removecomments" => Self::RemoveComments,
            "removecommentschar" => Self::RemoveCommentsChar,
            "replacecomments" => Self::ReplaceComments,
            "normalizepath" | "normalisepath" => Self::NormalizePath,
            "normalizepathwin" | "normalisepathwin" => Self::NormalizePathWin,
            "base64decode" => Self::Base64Decode,
            "base64decodeext" => Self::Base64DecodeExt,
            "base64encode" => Self::Base64Encode,
            "hexdecode" => Self::HexDecode,
            "hexencode" => Self::HexEncode,
            "sqlhexdecode" => Self::SqlHexDecode,
            "utf8tounicode" => Self::Utf8ToUnicode,
            "length" => Self::Length,
            "sha1" => Self::Sha1,
            "md5" => Self::Md5,
            "trim" => Self::Trim,
            "trimleft" => Self::TrimLeft,
            "trimright" => Self::TrimRight,
            "parityeven7bit" => Self::ParityEven7bit,
            "parityodd7bit" => Self::ParityOdd7bit,
            "parityzero7bit" => Self::ParityZero7bit,
            "phpargsnames" => Self::PhpArgsNames,
            _ => return None,
        })
    }

    /// The SecLang name (ModSecurity's spelling).
    pub fn name(self) -> &'static str {
        match self {
            Self::Lowercase => "lowercase",
            Self::Uppercase => "uppercase",
            Self::UrlDecode => "urlDecode",
            Self::UrlDecodeUni => "urlDecodeUni",
            Self::UrlEncode => "urlEncode",
            Self::HtmlEntityDecode => "htmlEntityDecode",
            Self::JsDecode => "jsDecode",
            Self::CssDecode => "cssDecode",
            Self::EscapeSeqDecode => "escapeSeqDecode",
            Self::CmdLine => "cmdLine",
            Self::CompressWhitespace => "compressWhitespace",
            Self::RemoveWhitespace => "removeWhitespace",
            Self::RemoveNulls => "removeNulls",
            Self::ReplaceNulls => "replaceNulls",
            Self::RemoveComments => "removeComments",
            Self::RemoveCommentsChar => "removeCommentsChar",
            Self::ReplaceComments => "replaceComments",
            Self::NormalizePath => "normalizePath",
            Self::NormalizePathWin => "normalizePathWin",
            Self::Base64Decode => "base64Decode",
            Self::Base64DecodeExt => "base64DecodeExt",
            Self::Base64Encode => "base64Encode",
            Self::HexDecode => "hexDecode",
            Self::HexEncode => "hexEncode",
            Self::SqlHexDecode => "sqlHexDecode",
            Self::Utf8ToUnicode => "utf8toUnicode",
            Self::Length => "length",
            Self::Sha1 => "sha1",
            Self::Md5 => "md5",
            Self::Trim => "trim",
            Self::TrimLeft => "trimLeft",
            Self::TrimRight => "trimRight",
            Self::ParityEven7bit => "parityEven7bit",
            Self::ParityOdd7bit => "parityOdd7bit",
            Self::ParityZero7bit => "parityZero7bit",
            Self::PhpArgsNames => "phpArgsNames",
        }
    }

    /// Applies the transformation; borrows when the value does not change.
    pub fn apply<'a>(self, input: &'a [u8]) -> Cow<'a, [u8]> {
        match self {
            Self::Lowercase => lowercase::apply(input),
            Self::Uppercase => uppercase::apply(input),
            Self::UrlDecode => url_decode::apply(input),
            Self::UrlDecodeUni => url_decode_uni::apply(input),
            Self::UrlEncode => url_encode::apply(input),
            Self::HtmlEntityDecode => html_entity_decode::apply(input),
            Self::JsDecode => js_decode::apply(input),
            Self::CssDecode => css_decode::apply(input),
            Self::EscapeSeqDecode => escape_seq_decode::apply(input),
            Self::CmdLine => cmd_line::apply(input),
            Self::CompressWhitespace => compress_whitespace::apply(input),
            Self::RemoveWhitespace => remove_whitespace::apply(input),
            Self::RemoveNulls => remove_nulls::apply(input),
            Self::ReplaceNulls => replace_nulls::apply(input),
            Self::RemoveComments => remove_comments::apply(input),
            Self::RemoveCommentsChar => remove_comments_char::apply(input),
            Self::ReplaceComments => replace_comments::apply(input),
            Self::NormalizePath => normalize_path::apply(input),
            Self::NormalizePathWin => normalize_path_win::apply(input),
            Self::Base64Decode => base64_decode::apply(input),
            Self::Base64DecodeExt => base64_decode_ext::apply(input),
            Self::Base64Encode => base64_encode::apply(input),
            Self::HexDecode => hex_decode::apply(input),
            Self::HexEncode => hex_encode::apply(input),
            Self::SqlHexDecode => sql_hex_decode::apply(input),
            Self::Utf8ToUnicode => utf8_to_unicode::apply(input),
            Self::Length => length::apply(input),
            Self::Sha1 => sha1::apply(input),
            Self::Md5 => md5::apply(input),
            Self::Trim => trim::apply(input),
            Self::TrimLeft => trim_left::apply(input),
            Self::TrimRight => trim_right::apply(input),
            Self::ParityEven7bit => parity_even_7bit::apply(input),
            Self::ParityOdd7bit => parity_odd_7bit::apply(input),
            Self::ParityZero7bit => parity_zero_7bit::apply(input),
            Self::PhpArgsNames => php_args_names::apply(input),
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

/// C's `isspace` in the "C" locale, which is ModSecurity's notion of white space: HT, LF,
/// VT, FF, CR and space (not NBSP, not anything above 0x7f).
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t'..=b'\r')
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// The byte written as the two hex digits `hi`, `lo` (both already known to be hex).
fn hex_pair(hi: u8, lo: u8) -> u8 {
    (hex_value(hi).unwrap_or(0) << 4) | hex_value(lo).unwrap_or(0)
}

/// `Cow::Borrowed(input)` if `out` equals it, else `Cow::Owned(out)`.
fn finish(input: &[u8], out: Vec<u8>) -> Cow<'_, [u8]> {
    if out == input {
        Cow::Borrowed(input)
    } else {
        Cow::Owned(out)
    }
}

#[cfg(test)]
mod tests {
    use super::Transform::{self, *};
    use std::borrow::Cow;

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
            // ModSecurity decodes only quot, amp, lt, gt and nbsp by name: `&apos;` stays.
            (
                HtmlEntityDecode,
                b"&quot;&amp;&apos;&nbsp;",
                b"\"&&apos;\xa0",
            ),
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
            "normalisePath",
            "normalisePathWin",
            "CMDLINE",
            "base64decode",
        ] {
            assert!(Transform::from_name(name).is_some(), "{name}");
        }
        for t in Transform::ALL {
            assert_eq!(Transform::from_name(t.name()), Some(*t), "{t:?}");
        }
        assert_eq!(Transform::from_name("nope"), None);
        assert_eq!(Transform::from_name("none"), None);
    }

    /// Inputs that poke at every decoder's edge cases: truncated escapes at the very end,
    /// escapes of every kind, all byte values.
    fn tricky_inputs() -> Vec<Vec<u8>> {
        let mut inputs: Vec<Vec<u8>> = vec![Vec::new()];
        let specials: &[&[u8]] = &[
            b"%",
            b"%u",
            b"%u1",
            b"%uff",
            b"%uff0",
            b"%4",
            b"&",
            b"&#",
            b"&#x",
            b"&#1",
            b"&l",
            b"\\",
            b"\\x",
            b"\\x4",
            b"\\u",
            b"\\u00",
            b"\\0",
            b"\\12",
            b"\\1234567",
            b"/*",
            b"*/",
            b"<!--",
            b"-->",
            b"--",
            b"#",
            b"/",
            b"./",
            "..".as_bytes(),
            b"/..",
            b"\\..",
            b"0x",
            b"0x4",
            b"0x41",
            b"=",
            b"Q=",
            b"Q==",
            b"\xc3",
            b"\xe2\x82",
            b"\xf0\x9f\x98",
            b"\xf5\x80\x80\x80",
            b"\0",
            b"[",
            b"]",
            b" [ ]",
            b"\r\n",
            b"\xa0",
            b"\xc2\xa0",
        ];
        for a in specials {
            inputs.push(a.to_vec());
            for b in specials {
                inputs.push([*a, *b].concat());
            }
        }
        inputs.push((0..=255).collect());
        inputs.push((0..=255).rev().collect());
        // A deterministic pseudo-random mix of the interesting bytes.
        let alphabet = b"%u&#x;\\/.*-<>!=0123456789abcdefABCDEFxX \t\n\r\0\xa0\xc2\xe2\xf0[]^\"'";
        let mut state: u32 = 0x9e37_79b9;
        for len in [1usize, 2, 3, 5, 8, 13, 64, 257] {
            for _ in 0..32 {
                let v: Vec<u8> = (0..len)
                    .map(|_| {
                        state ^= state << 13;
                        state ^= state >> 17;
                        state ^= state << 5;
                        alphabet[state as usize % alphabet.len()]
                    })
                    .collect();
                inputs.push(v);
            }
        }
        inputs
    }

    #[test]
    fn total_and_borrows_when_unchanged() {
        for input in tricky_inputs() {
            for t in Transform::ALL {
                let out = t.apply(&input);
                if let Cow::Owned(ref changed) = out {
                    assert_ne!(
                        changed.as_slice(),
                        input.as_slice(),
                        "{t:?} copied an unchanged value"
                    );
                }
            }
        }
    }

    /// Adversarial inputs of 64 KiB must be handled in linear time: a quadratic
    /// transformation would take minutes here in a debug build.
    #[test]
    fn linear_on_adversarial_input() {
        let n = 64 * 1024;
        let patterns: &[&[u8]] = &[
            b"/..",
            b"a/../",
            b"//",
            b"\\..\\",
            b"&#0",
            b"&#x",
            b"&amp",
            b"%u",
            b"%",
            b"\\",
            b"\\1",
            b"/*",
            b"*/",
            b"<!--",
            b"0x41",
            b"[",
            b"]",
            b"[a]",
            b" ",
            b"=",
            b"\xc3",
            b"\xe2\x82\xac",
            b"\0",
        ];
        let start = std::time::Instant::now();
        for p in patterns {
            let input: Vec<u8> = p.iter().copied().cycle().take(n).collect();
            for t in Transform::ALL {
                let _ = t.apply(&input);
            }
        }
        assert!(
            start.elapsed() < std::time::Duration::from_secs(60),
            "transformations too slow: {:?}",
            start.elapsed()
        );
    }

    #[test]
    fn apply_all_chains() {
        let out = super::apply_all(&[UrlDecodeUni, Lowercase, CompressWhitespace], b"A%20%20B");
        assert_eq!(&*out, b"a b");
        let unchanged = super::apply_all(&[UrlDecode, Lowercase], b"abc");
        assert!(matches!(unchanged, Cow::Borrowed(_)));
    }
}
