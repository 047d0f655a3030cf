//! `urlDecode`: `%XX` to its byte and `+` to a space. A `%` without two hex digits is
//! kept as it is, as ModSecurity does, so that an attacker cannot hide bytes behind it.

use std::borrow::Cow;

pub(super) fn apply(input: &[u8]) -> Cow<'_, [u8]> {
    if !input.iter().any(|&b| b == b'%' || b == b'+') {
        return Cow::Borrowed(input);
    }
    Cow::Owned(crate::request::percent_decode(input))
}
