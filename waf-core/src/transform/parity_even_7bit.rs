//! `parityEven7bit`: bit 7 of every byte becomes an even-parity bit for the byte: set when
//! the byte, as it was, had an odd number of one bits, cleared otherwise. As in ModSecurity,
//! the parity is computed over all eight bits of the original byte. ModSecurity v2 and v3
//! agree; Coraza has no parity transformations.

use std::borrow::Cow;

/// Sets bit 7 of every byte whose eight bits have odd parity (`set_when_odd`) or even
/// parity (`!set_when_odd`), and clears it in the others.
pub(super) fn set_parity(input: &[u8], set_when_odd: bool) -> Cow<'_, [u8]> {
    let map = |b: u8| {
        if (b.count_ones() % 2 == 1) == set_when_odd {
            b | 0x80
        } else {
            b & 0x7f
        }
    };
    if input.iter().all(|&b| map(b) == b) {
        return Cow::Borrowed(input);
    }
    Cow::Owned(input.iter().map(|&b| map(b)).collect())
}

pub(super) fn apply(input: &[u8]) -> Cow<'_, [u8]> {
    set_parity(input, true)
}

#[cfg(test)]
mod tests {
    use super::apply;

    #[test]
    fn sets_parity() {
        assert_eq!(&*apply(b"abc\x000"), b"\xe1\xe2c\x000");
        assert!(matches!(
            apply(b"cefijloqrtwx03569ABDGHKMNPSUVYZ"),
            std::borrow::Cow::Borrowed(_)
        ));
    }
}
