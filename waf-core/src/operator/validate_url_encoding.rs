//! `@validateUrlEncoding`: matches when the value has a malformed `%` escape.
//!
//! ModSecurity v3: every `%` must be followed by two hexadecimal digits (either case); the
//! value is scanned from the start, skipping each valid `%HH`, and the first `%` with fewer
//! than two characters after it, or with a non-hex one, is a match. Any other byte is fine,
//! `%00` and `+` included. An empty value never matches. The matched part is the bad escape
//! (the `%` and up to two bytes after it).

pub(super) fn find(value: &[u8]) -> Option<&[u8]> {
    let mut i = 0;
    while i < value.len() {
        if value[i] != b'%' {
            i += 1;
            continue;
        }
        let valid = value.len() - i > 2
            && value[i + 1].is_ascii_hexdigit()
            && value[i + 2].is_ascii_hexdigit();
        if !valid {
            return Some(&value[i..value.len().min(i + 3)]);
        }
        i += 3;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::find;

    #[test]
    fn finds_bad_escapes() {
        for good in ["", "Hello%20World!", "Hello+World!", "%00", "%ff%FF", "a%2"] {
            let got = find(good.as_bytes());
            assert_eq!(got.is_none(), !good.ends_with("%2"), "{good}");
        }
        assert_eq!(find(b"%0"), Some(&b"%0"[..]));
        assert_eq!(find(b"%"), Some(&b"%"[..]));
        assert_eq!(find(b"ok%zz%41"), Some(&b"%zz"[..]));
        assert_eq!(find(b"%0%"), Some(&b"%0%"[..]));
        assert_eq!(find(b"%41%4"), Some(&b"%4"[..]));
    }
}
