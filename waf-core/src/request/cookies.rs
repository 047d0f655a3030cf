//! `Cookie` request headers.

use super::Field;

/// Splits one `Cookie` header value at `;` into name/value pairs, trimming the blanks
/// around each. Values are kept as sent (cookies are not URL-decoded by browsers either).
pub(super) fn parse(header: &[u8], out: &mut Vec<Field>) {
    for pair in header.split(|&b| b == b';') {
        let pair = pair.trim_ascii();
        if pair.is_empty() {
            continue;
        }
        let (name, value) = match pair.iter().position(|&b| b == b'=') {
            Some(at) => (&pair[..at], &pair[at + 1..]),
            None => (pair, &[][..]),
        };
        out.push(Field::new(name.trim_ascii(), value.trim_ascii()));
    }
}
