//! Script URLs: `javascript:`, `vbscript:`, `livescript:`, `mocha:` and `data:` URLs
//! whose media type a browser renders as a document or runs as script.
//!
//! Browsers strip tabs and line breaks anywhere in a URL and control characters and
//! spaces before it, so `java\tscript:` and `\x01javascript:` still run; the matcher
//! skips control bytes between the letters of a scheme. (Entities and escapes were
//! undone beforehand by the decoding views.)

/// Schemes whose URLs run script when navigated to or loaded, with their names.
const SCRIPT_SCHEMES: &[(&[u8], &str)] = &[
    (b"javascript", "javascript"),
    (b"vbscript", "vbscript"),
    (b"livescript", "livescript"),
    (b"mocha", "mocha"),
];

/// `data:` media types a browser renders as active content.
const ACTIVE_MEDIA: &[&[u8]] = &[
    b"text/html",
    b"text/xml",
    b"text/javascript",
    b"text/ecmascript",
    b"text/vbscript",
    b"text/x-scriptlet",
    b"image/svg+xml",
    b"application/xhtml+xml",
    b"application/xml",
    b"application/javascript",
    b"application/x-javascript",
    b"application/ecmascript",
];

/// A script URL found in a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct ScriptUrl {
    /// Where the scheme starts.
    pub start: usize,
    /// The scheme's canonical name (`javascript`, `data`, …).
    pub scheme: &'static str,
    /// Where the URL's body starts (after the `:`, or after the `,` of a data URL).
    pub body: usize,
}

/// The first script URL in `s` whose scheme starts a word (is not preceded by a letter
/// or digit).
pub(super) fn find(s: &[u8]) -> Option<ScriptUrl> {
    (0..s.len()).find_map(|i| {
        let boundary = i == 0 || s.get(i - 1).is_some_and(|c| !c.is_ascii_alphanumeric());
        if boundary { at(s, i) } else { None }
    })
}

/// The script URL starting exactly at `i`, if any.
pub(super) fn at(s: &[u8], i: usize) -> Option<ScriptUrl> {
    let first = s.get(i)?.to_ascii_lowercase();
    if !matches!(first, b'j' | b'v' | b'l' | b'm' | b'd') {
        return None;
    }
    for &(scheme, name) in SCRIPT_SCHEMES {
        if let Some(end) = loose_word(s, i, scheme).and_then(|e| colon(s, e)) {
            return Some(ScriptUrl {
                start: i,
                scheme: name,
                body: end,
            });
        }
    }
    let after = loose_word(s, i, b"data").and_then(|e| colon(s, e))?;
    data_body(s, after).map(|body| ScriptUrl {
        start: i,
        scheme: "data",
        body,
    })
}

/// Skips leading spaces and control characters, as a browser does before a URL, and
/// anything that is not ASCII (fuzzing lists prefix schemes with odd Unicode spaces).
pub(super) fn skip_url_junk(s: &[u8], mut i: usize) -> usize {
    while s.get(i).is_some_and(|&c| c <= b' ' || c >= 0x7F) {
        i += 1;
    }
    i
}

/// Matches `word` (lower-case) at `i`, case-insensitively, allowing control characters
/// between its letters; returns the end.
fn loose_word(s: &[u8], mut i: usize, word: &[u8]) -> Option<usize> {
    for (k, &want) in word.iter().enumerate() {
        if k > 0 {
            while s.get(i).is_some_and(|&c| c < b' ') {
                i += 1;
            }
        }
        if s.get(i)?.to_ascii_lowercase() != want {
            return None;
        }
        i += 1;
    }
    Some(i)
}

/// Matches the `:` after a scheme (control characters may come first); returns the
/// index after it.
fn colon(s: &[u8], mut i: usize) -> Option<usize> {
    while s.get(i).is_some_and(|&c| c < b' ') {
        i += 1;
    }
    (s.get(i) == Some(&b':')).then_some(i + 1)
}

/// Reads the header of a `data:` URL starting at `i` (after `data:`). Returns where its
/// payload starts if the media type is active content or missing (`data:,alert(1)`
/// as a script source). The media type ends at `;` or at a space (`text/html base64`
/// from a mangled payload still names HTML).
fn data_body(s: &[u8], i: usize) -> Option<usize> {
    let header_len = s
        .get(i..)?
        .iter()
        .take(DATA_HEADER_MAX)
        .position(|&c| c == b',')?;
    let header = s.get(i..i + header_len)?.trim_ascii_start();
    let media_len = header
        .iter()
        .position(|&c| c == b';' || c <= b' ')
        .unwrap_or(header.len());
    let media = header.get(..media_len)?;
    let active = media.is_empty() || ACTIVE_MEDIA.iter().any(|m| media.eq_ignore_ascii_case(m));
    active.then_some(i + header_len + 1)
}

/// The longest `data:` URL header (media type and parameters) looked at.
const DATA_HEADER_MAX: usize = 200;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemes() {
        let cases: &[(&[u8], Option<&str>)] = &[
            (b"javascript:alert(1)", Some("javascript")),
            (b"JaVaScRiPt:alert(1)", Some("javascript")),
            (b"java\tscript:alert(1)", Some("javascript")),
            (b"java\x00\x01script\n:alert(1)", Some("javascript")),
            (b"vbscript:msgbox(1)", Some("vbscript")),
            (b"data:text/html,<script>", Some("data")),
            (b"data:text/html;base64,PHNjcmlwdD4=", Some("data")),
            (b"data:,alert(1)", Some("data")),
            (b"data:image/png;base64,iVBOR", None),
            (b"javascripts:", None),
            (b"http://example.com/javascript", None),
            (b"myjavascript:x", None),
        ];
        for (input, want) in cases {
            assert_eq!(
                find(input).map(|u| u.scheme),
                *want,
                "{}",
                String::from_utf8_lossy(input)
            );
        }
    }
}
