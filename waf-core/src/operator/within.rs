//! `@within`: the value occurs somewhere in the argument (case-sensitive), as in
//! `@within GET HEAD POST` for allowed methods. An empty value is within anything.

pub(super) fn test(value: &[u8], haystack: &[u8]) -> bool {
    value.is_empty() || haystack.windows(value.len()).any(|w| w == value)
}
