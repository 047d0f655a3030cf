//! `@pmFromFile` (alias `@pmf`): `@pm` with its phrases read from a file.
//!
//! ModSecurity v3: the argument is one path (relative paths are resolved against the rule
//! file's directory; `https://` URLs are downloaded). Each line of the file is a phrase,
//! taken whole, inner and surrounding spaces included; a line is skipped when it is empty
//! or when its first `#` has only white space before it (a comment). The phrases are matched
//! like `@pm`'s: anywhere in the value, ASCII case-insensitive. A file with no phrase is
//! accepted and never matches.
//!
//! The operator compiler does no I/O: [`super::Operator::compile_with_files`] hands the
//! argument (trimmed) to the caller's loader, which resolves and reads it. One deliberate
//! difference: a CR ending a line is dropped, so a file saved with CRLF line ends means the
//! same as with LF ones (ModSecurity would keep the CR in every phrase, which then never
//! matches).

use super::pm::{Pm, is_space};

/// Builds the phrase set from the file's `contents`.
pub(super) fn compile(contents: &[u8]) -> Result<Pm, String> {
    Pm::new(phrases(contents))
}

fn phrases(contents: &[u8]) -> impl Iterator<Item = &[u8]> {
    contents
        .split(|&b| b == b'\n')
        .map(|line| line.strip_suffix(b"\r").unwrap_or(line))
        .filter(|line| !is_comment(line))
}

/// ModSecurity's `isComment`: empty, or white space up to the first `#`.
fn is_comment(line: &[u8]) -> bool {
    match line.iter().position(|&b| b == b'#') {
        _ if line.is_empty() => true,
        Some(hash) => line[..hash].iter().all(|&b| is_space(b)),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::{compile, phrases};

    #[test]
    fn reads_lines_as_phrases() {
        let file = b"abc\n# comment\n  # indented comment\n\nxxx yyy zzz\r\na#b\n";
        let got: Vec<&[u8]> = phrases(file).collect();
        assert_eq!(got, [&b"abc"[..], b"xxx yyy zzz", b"a#b"]);
        let pm = compile(file).unwrap();
        assert!(pm.find(b"..XXX YYY ZZZ..").is_some());
        assert!(pm.find(b"xxx yyy").is_none());
        assert!(pm.find(b"a#b").is_some());
    }

    #[test]
    fn an_empty_file_never_matches() {
        let pm = compile(b"# nothing\n\n").unwrap();
        assert!(pm.find(b"anything").is_none());
    }
}
