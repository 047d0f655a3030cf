//! `@ipMatchFromFile` (alias `@ipMatchF`): `@ipMatch` with its entries read from a file.
//!
//! ModSecurity v3: the argument is one path (relative to the rule file; `https://` URLs are
//! downloaded). Everything from a `#` to the end of its line is a comment; each line is then
//! an `@ipMatch` list (usually one address or network, commas allowed). An entry that does
//! not parse makes the rule fail to load. As with `@ipMatch`, white space around entries is
//! ignored, so blank lines and CRLF line ends are fine.
//!
//! The operator compiler does no I/O: [`super::Operator::compile_with_files`] hands the
//! argument (trimmed) to the caller's loader.

use super::ip_match::IpMatch;

/// Builds the address list from the file's `contents`.
pub(super) fn compile(contents: &[u8]) -> Result<IpMatch, String> {
    let text =
        std::str::from_utf8(contents).map_err(|e| format!("the address file is not text: {e}"))?;
    let mut set = IpMatch::default();
    for (number, line) in text.lines().enumerate() {
        let line = line.split_once('#').map_or(line, |(before, _)| before);
        set.add_list(line)
            .map_err(|e| format!("line {}: {e}", number + 1))?;
    }
    Ok(set)
}

#[cfg(test)]
mod tests {
    use super::compile;

    #[test]
    fn reads_one_list_per_line() {
        let set = compile(b"# trusted\n10.0.0.0/8 # office\r\n\n192.168.1.1,::1\n").unwrap();
        assert!(set.test(b"10.1.2.3"));
        assert!(set.test(b"192.168.1.1"));
        assert!(set.test(b"::1"));
        assert!(!set.test(b"192.168.1.2"));
        let err = compile(b"10.0.0.1\nbogus\n").unwrap_err();
        assert!(err.starts_with("line 2:") && err.contains("bogus"), "{err}");
    }
}
