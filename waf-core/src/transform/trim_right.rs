//! `trimRight`: white space (C `isspace`) removed at the end. ModSecurity v2, v3 and Coraza
//! agree.

use super::{is_space, trim::sub};
use std::borrow::Cow;

pub(super) fn apply(input: &[u8]) -> Cow<'_, [u8]> {
    let end = input
        .iter()
        .rposition(|&b| !is_space(b))
        .map_or(0, |i| i + 1);
    sub(input, 0, end)
}

#[cfg(test)]
mod tests {
    use super::apply;

    #[test]
    fn trims() {
        assert_eq!(
            &*apply(b" \t   Test12 \0 Case \t  \r\n  "),
            b" \t   Test12 \0 Case"
        );
        assert!(matches!(
            apply(b"    TestCase"),
            std::borrow::Cow::Borrowed(_)
        ));
    }
}
