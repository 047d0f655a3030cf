//! `parityOdd7bit`: bit 7 of every byte becomes an odd-parity bit for the byte: set when the
//! byte, as it was, had an even number of one bits, cleared otherwise (parity over all eight
//! original bits, as in ModSecurity). ModSecurity v2 and v3 agree; Coraza has none.

use std::borrow::Cow;

pub(super) fn apply(input: &[u8]) -> Cow<'_, [u8]> {
    super::parity_even_7bit::set_parity(input, false)
}

#[cfg(test)]
mod tests {
    use super::apply;

    #[test]
    fn sets_parity() {
        assert_eq!(&*apply(b"abc\x000"), b"ab\xe3\x80\xb0");
        assert!(matches!(
            apply(b"abdghkmnpsuvyz12478CEFIJLOQRTW"),
            std::borrow::Cow::Borrowed(_)
        ));
    }
}
