//! `removeComments`: C (`/* */`), HTML (`<!-- -->`) and SQL/shell (`--`, `#`) comments
//! removed, as ModSecurity does it:
//! - `/*` or `<!--` opens a comment; inside it, `*/` or `-->` (either one, whichever opened
//!   it) closes it, and everything in between is dropped, delimiters included.
//! - The byte right after a closing delimiter is copied as it is, without being looked at (so
//!   `/*a*//*b*/` leaves `/*b*/`), and when the delimiter ends the value that byte is C's
//!   string terminator: a NUL byte is output (`/* x */` becomes a single NUL). This is an
//!   artefact of ModSecurity's C code, reproduced because v2, v3 and Coraza all agree on it
//!   and the conformance suite checks it.
//! - `--` or `#` outside a comment drops everything from there to the end.
//! - A comment still open at the end is dropped and replaced by one space.

use super::finish;
use std::borrow::Cow;

pub(super) fn apply(input: &[u8]) -> Cow<'_, [u8]> {
    if !input
        .iter()
        .any(|&b| matches!(b, b'/' | b'<' | b'-' | b'#'))
    {
        return Cow::Borrowed(input);
    }
    let len = input.len();
    let at = |i: usize, s: &[u8]| input.get(i..i + s.len()) == Some(s);
    let mut out = Vec::with_capacity(len);
    let mut in_comment = false;
    let mut i = 0;
    while i < len {
        if !in_comment {
            if at(i, b"/*") {
                in_comment = true;
                i += 2;
            } else if at(i, b"<!--") {
                in_comment = true;
                i += 4;
            } else if at(i, b"--") || input[i] == b'#' {
                break;
            } else {
                out.push(input[i]);
                i += 1;
            }
        } else {
            let close = if at(i, b"*/") {
                2
            } else if at(i, b"-->") {
                3
            } else {
                0
            };
            if close == 0 {
                i += 1;
            } else {
                in_comment = false;
                i += close;
                out.push(input.get(i).copied().unwrap_or(0));
                i += 1;
            }
        }
    }
    if in_comment {
        out.push(b' ');
    }
    finish(input, out)
}

#[cfg(test)]
mod tests {
    use super::apply;

    #[test]
    fn removes() {
        assert_eq!(
            &*apply(b"Before/* T*/ /* e */\r\nCase "),
            b"Before \r\nCase "
        );
        assert_eq!(&*apply(b"/* TestCase */"), b"\0");
        assert_eq!(&*apply(b"a<!-- x -->b--c"), b"ab");
        assert_eq!(&*apply(b"a/*x*//*b*/"), b"a/*b*/");
        assert_eq!(&*apply(b"/*Before/* Test\r\nCase "), b" ");
        assert_eq!(&*apply(b"id=1 # comment"), b"id=1 ");
        assert_eq!(
            &*apply(b"Before TestCase */ After"),
            b"Before TestCase */ After"
        );
    }
}
