//! `@unconditionalMatch`: matches every value, the empty one included; the argument is
//! ignored. The matched part is the whole value.

pub(super) fn find(value: &[u8]) -> &[u8] {
    value
}

#[cfg(test)]
mod tests {
    #[test]
    fn always_matches() {
        assert_eq!(super::find(b""), b"");
        assert_eq!(super::find(b"x"), b"x");
    }
}
