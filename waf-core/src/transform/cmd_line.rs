//! `cmdLine`: undoes common command-line obfuscation (Windows `cmd` and POSIX shells), as
//! ModSecurity does it, in one pass over the bytes:
//! - `"`, `'`, `\` and `^` are deleted;
//! - each run of space, `,`, `;`, HT, CR and LF becomes one space (a run may have deleted
//!   characters inside it: `a ^ b` is `a b`);
//! - a space right before `/` or `(` is dropped (`cmd /c` is `cmd/c`);
//! - every other byte is lower-cased (ASCII only).
//!
//! ModSecurity v2, v3 and Coraza agree.

use super::finish;
use std::borrow::Cow;

pub(super) fn apply(input: &[u8]) -> Cow<'_, [u8]> {
    let mut out = Vec::with_capacity(input.len());
    let mut space = false;
    for &b in input {
        match b {
            b'"' | b'\'' | b'\\' | b'^' => {}
            b' ' | b',' | b';' | b'\t' | b'\r' | b'\n' => {
                if !space {
                    out.push(b' ');
                    space = true;
                }
            }
            b'/' | b'(' => {
                if space {
                    out.pop();
                }
                space = false;
                out.push(b);
            }
            _ => {
                out.push(b.to_ascii_lowercase());
                space = false;
            }
        }
    }
    finish(input, out)
}

#[cfg(test)]
mod tests {
    use super::apply;

    #[test]
    fn deobfuscates() {
        assert_eq!(&*apply(b"C^OMMAND /C DIR"), b"command/c dir");
        assert_eq!(&*apply(b"\"command\" /c DiR"), b"command/c dir");
        assert_eq!(&*apply(b"cmd,/c DiR"), b"cmd/c dir");
        assert_eq!(&*apply(b"a ^ ;b\t(c)"), b"a b(c)");
        assert_eq!(&*apply(b" /"), b"/");
        assert!(matches!(apply(b"test"), std::borrow::Cow::Borrowed(_)));
    }
}
