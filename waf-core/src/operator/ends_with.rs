//! `@endsWith`: the value ends with the argument (case-sensitive).

pub(super) fn test(value: &[u8], suffix: &[u8]) -> bool {
    value.ends_with(suffix)
}
