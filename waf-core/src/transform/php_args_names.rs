//! `phpArgsNames`: an argument name as PHP registers it (`php_register_variable_ex`), as
//! ModSecurity's `phpArgsNames` computes it:
//! - A name starting with `[` or `=` becomes empty.
//! - Leading spaces are dropped.
//! - Up to the first `[`, spaces and dots become `_`.
//! - At the first `[`: if a `]` follows somewhere, the name is an array: from there on only
//!   the bracketed parts are kept, one after another (`a[b][c]d` is `a[b][c]`), a part that
//!   is exactly `[ ]` becoming `[]`; anything after the last part is dropped. If no `]`
//!   follows, that `[` becomes `_` and the rest is copied as it is (`a[b c.` is `a_b c.`).
//! - Searches for `]` stop at a NUL byte, as C's `strchr` does.
//!
//! This transformation exists in a ModSecurity v3 development branch and in the conformance
//! suite, not in ModSecurity v2, v3 releases or Coraza; CRS does not use it.

use super::finish;
use std::borrow::Cow;

/// The index of the first `]` in `s[from..]`, not looking past a NUL byte.
fn close_bracket(s: &[u8], from: usize) -> Option<usize> {
    s.get(from..)?
        .iter()
        .take_while(|&&b| b != 0)
        .position(|&b| b == b']')
        .map(|p| from + p)
}

pub(super) fn apply(input: &[u8]) -> Cow<'_, [u8]> {
    if matches!(input.first(), Some(b'[' | b'=')) {
        return finish(input, Vec::new());
    }
    let len = input.len();
    let mut out = Vec::with_capacity(len);
    let mut i = input.iter().take_while(|&&b| b == b' ').count();
    let mut open_bracket = false;
    let mut array = false;
    while i < len {
        let b = input[i];
        if b == b'[' && !open_bracket {
            if close_bracket(input, i).is_some() {
                array = true;
                break;
            }
            out.push(b'_');
            open_bracket = true;
        } else if !open_bracket && (b == b' ' || b == b'.') {
            out.push(b'_');
        } else {
            out.push(b);
        }
        i += 1;
    }
    if array {
        // `input[i]` is `[` here, each time round.
        while let Some(close) = close_bracket(input, i) {
            let part_end = close + 1;
            if part_end - i == 3 && input[i + 1] == b' ' {
                out.push(b'[');
                i += 2;
            }
            out.extend_from_slice(&input[i..part_end]);
            i = part_end;
            if input.get(i) != Some(&b'[') {
                break;
            }
        }
    }
    finish(input, out)
}

#[cfg(test)]
mod tests {
    use super::apply;

    #[test]
    fn mangles() {
        let cases: &[(&[u8], &[u8])] = &[
            (b"a_b.c", b"a_b_c"),
            (b"a[_b c.", b"a__b c."),
            (b". a_b]c", b"__a_b]c"),
            (b"[a_[b][]c d_", b""),
            (b"a_[b][ ]c d_", b"a_[b][]"),
            (b"   ] [a][c][f. _ ]", b"]_[a][c][f. _ ]"),
            (b"a[]b", b"a[]"),
            (b"sc ript._[a[_xss]", b"sc_ript__[a[_xss]"),
            (b"=x", b""),
            (b"a[\0]", b"a_\0]"),
        ];
        for (input, expected) in cases {
            assert_eq!(
                &*apply(input),
                *expected,
                "{:?}",
                String::from_utf8_lossy(input)
            );
        }
        assert!(matches!(apply(b"abc"), std::borrow::Cow::Borrowed(_)));
    }
}
