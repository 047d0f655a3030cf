//! `@contains`: the argument occurs somewhere in the value (case-sensitive).

pub(super) fn find<'v>(value: &'v [u8], needle: &[u8]) -> Option<&'v [u8]> {
    if needle.is_empty() {
        return Some(&value[..0]);
    }
    value
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|at| &value[at..at + needle.len()])
}
