//! `urlEncode`: percent-encodes every byte except ASCII letters, digits and `*`; a space
//! becomes `+`. Hex digits are lower case (`%2f`), as in ModSecurity v3 (and v2).
//!
//! Note that `-`, `.`, `_` and `~` are encoded too: ModSecurity's set is narrower than
//! RFC 3986's unreserved characters, and we follow it.

use std::borrow::Cow;

const HEX: &[u8; 16] = b"0123456789abcdef";

pub(super) fn apply(input: &[u8]) -> Cow<'_, [u8]> {
    if input.iter().all(|&b| keep(b)) {
        return Cow::Borrowed(input);
    }
    let mut out = Vec::with_capacity(input.len() * 3);
    for &b in input {
        if keep(b) {
            out.push(b);
        } else if b == b' ' {
            out.push(b'+');
        } else {
            out.extend_from_slice(&[b'%', HEX[usize::from(b >> 4)], HEX[usize::from(b & 0xf)]]);
        }
    }
    Cow::Owned(out)
}

fn keep(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'*'
}

#[cfg(test)]
mod tests {
    use super::apply;

    #[test]
    fn encodes() {
        assert_eq!(&*apply(b"a b*-._~%\0\xff"), b"a+b*%2d%2e%5f%7e%25%00%ff");
        assert!(matches!(apply(b"Abc*09"), std::borrow::Cow::Borrowed(_)));
    }
}
