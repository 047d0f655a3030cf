//! `replaceNulls`: every NUL byte becomes a space. ModSecurity v2, v3 and Coraza agree.

use std::borrow::Cow;

pub(super) fn apply(input: &[u8]) -> Cow<'_, [u8]> {
    if !input.contains(&0) {
        return Cow::Borrowed(input);
    }
    Cow::Owned(
        input
            .iter()
            .map(|&b| if b == 0 { b' ' } else { b })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::apply;

    #[test]
    fn replaces() {
        assert_eq!(&*apply(b"\0Test\0\0Case\0"), b" Test  Case ");
        assert!(matches!(apply(b"TestCase"), std::borrow::Cow::Borrowed(_)));
    }
}
