//! `removeWhitespace`: every white-space byte (including NBSP) removed.

use super::is_space;
use std::borrow::Cow;

pub(super) fn apply(input: &[u8]) -> Cow<'_, [u8]> {
    if !input.iter().any(|&b| is_space(b)) {
        return Cow::Borrowed(input);
    }
    Cow::Owned(input.iter().copied().filter(|&b| !is_space(b)).collect())
}
