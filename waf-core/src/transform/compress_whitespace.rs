//! `compressWhitespace`: every run of white space (including NBSP) becomes one space.

use super::is_space;
use std::borrow::Cow;

pub(super) fn apply(input: &[u8]) -> Cow<'_, [u8]> {
    let already = input
        .windows(2)
        .all(|w| !(is_space(w[0]) && is_space(w[1])))
        && input.iter().all(|&b| b == b' ' || !is_space(b));
    if already {
        return Cow::Borrowed(input);
    }
    let mut out = Vec::with_capacity(input.len());
    let mut in_space = false;
    for &b in input {
        if is_space(b) {
            if !in_space {
                out.push(b' ');
            }
            in_space = true;
        } else {
            out.push(b);
            in_space = false;
        }
    }
    Cow::Owned(out)
}
