//! `removeNulls`: NUL bytes removed. ModSecurity v2, v3 and Coraza agree.

use std::borrow::Cow;

pub(super) fn apply(input: &[u8]) -> Cow<'_, [u8]> {
    if !input.contains(&0) {
        return Cow::Borrowed(input);
    }
    Cow::Owned(input.iter().copied().filter(|&b| b != 0).collect())
}

#[cfg(test)]
mod tests {
    use super::apply;

    #[test]
    fn removes() {
        assert_eq!(&*apply(b"\0Test\0\0Case\0"), b"TestCase");
        assert!(matches!(
            apply(b"Test\x01Case"),
            std::borrow::Cow::Borrowed(_)
        ));
    }
}
