//! `@rxGlobal`: `@rx`, but capturing every match instead of the first.
//!
//! ModSecurity v3 (3.0.13+): the same pattern compilation as `@rx` (PCRE2, `DOTALL |
//! MULTILINE`, bytes), then a global search: the operator matches when there is at least one
//! match, and with `capture` every match's groups go to `TX.0`, `TX.1`, …. Whether it matches
//! is therefore exactly `@rx`'s answer; this engine reports one matched part, the first
//! match, so the operator shares [`super::rx::Rx`].

pub(super) use super::rx::Rx as RxGlobal;

#[cfg(test)]
mod tests {
    use super::RxGlobal;

    #[test]
    fn matches_like_rx() {
        let rx = RxGlobal::new("[a-z]*").unwrap();
        assert_eq!(rx.find(b"aaa0bbb"), Some(&b"aaa"[..]));
        assert!(RxGlobal::new("ghij").unwrap().find(b"abcdefghi").is_none());
    }
}
