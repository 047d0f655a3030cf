//! `removeCommentsChar`: comment delimiters removed, comment text kept: `/*`, `*/`, `<!--`,
//! `-->`, `--` and `#` are deleted wherever they appear (scanning left to right, the first
//! of those that starts at a position wins). ModSecurity v2, v3 and Coraza agree.

use super::finish;
use std::borrow::Cow;

pub(super) fn apply(input: &[u8]) -> Cow<'_, [u8]> {
    if !input
        .iter()
        .any(|&b| matches!(b, b'/' | b'*' | b'<' | b'-' | b'#'))
    {
        return Cow::Borrowed(input);
    }
    let at = |i: usize, s: &[u8]| input.get(i..i + s.len()) == Some(s);
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        let skip = if at(i, b"/*") || at(i, b"*/") {
            2
        } else if at(i, b"<!--") {
            4
        } else if at(i, b"-->") {
            3
        } else if at(i, b"--") {
            2
        } else if input[i] == b'#' {
            1
        } else {
            0
        };
        if skip == 0 {
            out.push(input[i]);
            i += 1;
        } else {
            i += skip;
        }
    }
    finish(input, out)
}

#[cfg(test)]
mod tests {
    use super::apply;

    #[test]
    fn removes_delimiters() {
        assert_eq!(
            &*apply(b"Before /* TestCase */ After"),
            b"Before  TestCase  After"
        );
        assert_eq!(&*apply(b"a<!--b-->c--d#e"), b"abcde");
        assert_eq!(&*apply(b"a-b<!-c*"), b"a-b<!-c*");
    }
}
