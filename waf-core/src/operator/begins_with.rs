//! `@beginsWith`: the value starts with the argument (case-sensitive).

pub(super) fn test(value: &[u8], prefix: &[u8]) -> bool {
    value.starts_with(prefix)
}
