//! `trim`: white space removed at both ends. White space is C's `isspace` (HT, LF, VT, FF,
//! CR, space); NBSP and NUL are not. ModSecurity v2, v3 and Coraza agree.

use super::is_space;
use std::borrow::Cow;

pub(super) fn apply(input: &[u8]) -> Cow<'_, [u8]> {
    let start = input
        .iter()
        .position(|&b| !is_space(b))
        .unwrap_or(input.len());
    let end = input
        .iter()
        .rposition(|&b| !is_space(b))
        .map_or(start, |i| i + 1);
    sub(input, start, end)
}

/// `input[start..end]`, borrowed if it is the whole of `input`.
pub(super) fn sub(input: &[u8], start: usize, end: usize) -> Cow<'_, [u8]> {
    if start == 0 && end == input.len() {
        Cow::Borrowed(input)
    } else {
        Cow::Owned(input[start..end].to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::apply;

    #[test]
    fn trims() {
        assert_eq!(
            &*apply(b" \t   Test \0 Case \t  \x0b\x0c \r\n  "),
            b"Test \0 Case"
        );
        assert_eq!(&*apply(b" \t "), b"");
        assert_eq!(&*apply(b"\xa0x\0"), b"\xa0x\0");
    }
}
