//! `md5`: the MD5 digest of the value, as 16 raw bytes (not hex). ModSecurity v2, v3 and
//! Coraza agree.

use ::md5::{Digest, Md5};
use std::borrow::Cow;

pub(super) fn apply(input: &[u8]) -> Cow<'_, [u8]> {
    let digest = Md5::digest(input);
    super::finish(input, digest.to_vec())
}

#[cfg(test)]
mod tests {
    use super::apply;

    #[test]
    fn digests() {
        assert_eq!(
            &*apply(b""),
            b"\xd4\x1d\x8c\xd9\x8f\x00\xb2\x04\xe9\x80\x09\x98\xec\xf8\x42\x7e"
        );
        assert_eq!(apply(b"TestCase").len(), 16);
    }
}
