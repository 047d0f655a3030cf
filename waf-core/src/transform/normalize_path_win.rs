//! `normalizePathWin` (also spelled `normalisePathWin`): every `\` becomes `/`, then the path
//! is normalized exactly as by `normalizePath` (`\foo\.\..\bar` is `/bar`).
//!
//! Where engines disagree: ModSecurity converts backslashes lazily, only the byte under its
//! cursor and the next one, so when it skips over a run of separators (`a\\\b`, or `\.\\`
//! once the `.` segment is gone) it can copy the last one as a raw `\`, which later `..`
//! handling then does not treat as a separator (`a\\\b` comes out as `a\b`). Coraza converts
//! every backslash first. We follow Coraza here: converting first gives exactly ModSecurity's
//! result on every input where its lazy conversion does not leak a backslash, and never
//! leaves a separator that the operator after it would not recognise as one.

use super::{finish, normalize_path::normalize};
use std::borrow::Cow;

pub(super) fn apply(input: &[u8]) -> Cow<'_, [u8]> {
    if !input.iter().any(|&b| b == b'/' || b == b'.' || b == b'\\') {
        return Cow::Borrowed(input);
    }
    let converted = input
        .iter()
        .map(|&b| if b == b'\\' { b'/' } else { b })
        .collect();
    finish(input, normalize(converted))
}

#[cfg(test)]
mod tests {
    use super::apply;

    #[test]
    fn normalizes() {
        assert_eq!(&*apply(b"\\foo\\bar\\baz"), b"/foo/bar/baz");
        assert_eq!(&*apply(b"..\\..\\"), b"../../");
        assert_eq!(
            &*apply(b"dir\\\\.\\\\..\\\\.\\\\..\\\\..\\\\foo\\\\bar\\\\"),
            b"../../foo/bar/"
        );
        assert_eq!(&*apply(b"a\\\\\\b"), b"a/b");
        assert_eq!(
            &*apply(b"\\.\\..\\.\\..\\..\\0\\..\\etc\\.\\passwd"),
            b"/etc/passwd"
        );
        assert!(matches!(apply(b".."), std::borrow::Cow::Borrowed(_)));
    }
}
