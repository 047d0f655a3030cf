//! `@strmatch`: the argument occurs somewhere in the value (case-sensitive).
//!
//! ModSecurity v3: `input.find(param) != npos`, the same test as `@contains` (v2 used a
//! Boyer-Moore-Horspool search for it; the answer is the same). An empty argument matches
//! every value. Linear in the value.

pub(super) use super::contains::Contains as StrMatch;

#[cfg(test)]
mod tests {
    use super::StrMatch;

    #[test]
    fn finds_the_argument() {
        let op = StrMatch::new(b"def").unwrap();
        assert!(op.find(b"abcdefghi").is_some());
        assert!(StrMatch::new(b"ghij").unwrap().find(b"abcdefghi").is_none());
        assert!(StrMatch::new(b"x").unwrap().find(b"").is_none());
    }
}
