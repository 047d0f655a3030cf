//! `@noMatch`: never matches, whatever the value; the argument is ignored.

pub(super) fn find(_value: &[u8]) -> Option<&[u8]> {
    None
}

#[cfg(test)]
mod tests {
    #[test]
    fn never_matches() {
        assert!(super::find(b"").is_none());
        assert!(super::find(b"TestCase").is_none());
    }
}
