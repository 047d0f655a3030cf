//! `sha1`: the SHA-1 digest of the value, as 20 raw bytes (not hex: CRS follows it with
//! `t:hexEncode`). ModSecurity v2, v3 and Coraza agree.

use ::sha1::{Digest, Sha1};
use std::borrow::Cow;

pub(super) fn apply(input: &[u8]) -> Cow<'_, [u8]> {
    let digest = Sha1::digest(input);
    super::finish(input, digest.to_vec())
}

#[cfg(test)]
mod tests {
    use super::apply;

    #[test]
    fn digests() {
        assert_eq!(
            &*apply(b""),
            b"\xda\x39\xa3\xee\x5e\x6b\x4b\x0d\x32\x55\xbf\xef\x95\x60\x18\x90\xaf\xd8\x07\x09"
        );
        assert_eq!(apply(b"TestCase").len(), 20);
    }
}
