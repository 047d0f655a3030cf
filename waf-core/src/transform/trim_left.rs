//! `trimLeft`: white space (C `isspace`) removed at the start. ModSecurity v2, v3 and Coraza
//! agree.

use super::{is_space, trim::sub};
use std::borrow::Cow;

pub(super) fn apply(input: &[u8]) -> Cow<'_, [u8]> {
    let start = input
        .iter()
        .position(|&b| !is_space(b))
        .unwrap_or(input.len());
    sub(input, start, input.len())
}

#[cfg(test)]
mod tests {
    use super::apply;

    #[test]
    fn trims() {
        assert_eq!(&*apply(b" \t   Test \0 Case \t  "), b"Test \0 Case \t  ");
        assert!(matches!(
            apply(b"TestCase    "),
            std::borrow::Cow::Borrowed(_)
        ));
    }
}
