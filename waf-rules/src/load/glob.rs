//! Wildcard paths for `Include`, as Apache httpd expands them.
//!
//! Any path component may hold `*` (any run of characters), `?` (one character),
//! `[abc]`, `[a-z]`, `[!a-z]` or `[^a-z]` (one character of, or not of, a set) and `\x`
//! (the character `x` itself). A wildcard never matches `/`, and never matches a leading
//! `.` of a name unless the pattern component starts with `.` too. Matches are sorted by
//! name at every directory level; only regular files (or links to them) match the last
//! component, only directories the others.

use std::io;
use std::path::{Component, Path, PathBuf};

/// Whether `text` holds a wildcard character.
pub(super) fn has_wildcard(text: &str) -> bool {
    text.contains(['*', '?', '['])
}

/// The files `pattern` names, sorted. `pattern` has no wildcard-free shortcut: call it
/// only when [`has_wildcard`] says so.
pub(super) fn expand(pattern: &Path) -> io::Result<Vec<PathBuf>> {
    let components: Vec<Component<'_>> = pattern.components().collect();
    let mut out = Vec::new();
    walk(PathBuf::new(), &components, &mut out)?;
    Ok(out)
}

fn walk(base: PathBuf, rest: &[Component<'_>], out: &mut Vec<PathBuf>) -> io::Result<()> {
    let Some((first, rest)) = rest.split_first() else {
        if base.is_file() {
            out.push(base);
        }
        return Ok(());
    };
    let text = first.as_os_str().to_string_lossy();
    if !matches!(first, Component::Normal(_)) || !has_wildcard(&text) {
        return walk(base.join(first), rest, out);
    }
    let dir = if base.as_os_str().is_empty() {
        Path::new(".")
    } else {
        &base
    };
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        // A directory that does not exist matches nothing.
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    let mut names = Vec::new();
    for entry in entries {
        let name = entry?.file_name();
        // Names that are not UTF-8 cannot match a UTF-8 pattern reliably; skip them.
        if let Some(name) = name.to_str()
            && fnmatch(&text, name)
        {
            names.push(name.to_owned());
        }
    }
    names.sort();
    for name in names {
        let path = base.join(&name);
        if rest.is_empty() || path.is_dir() {
            walk(path, rest, out)?;
        }
    }
    Ok(())
}

/// Whether the file name `name` matches the one-component pattern `pattern`.
pub(super) fn fnmatch(pattern: &str, name: &str) -> bool {
    if name.starts_with('.') && !pattern.starts_with('.') {
        return false;
    }
    let pattern: Vec<char> = pattern.chars().collect();
    let name: Vec<char> = name.chars().collect();
    // Classic wildcard matching with one backtracking point: the last `*` seen.
    let (mut p, mut n) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while n < name.len() {
        let step = match pattern.get(p) {
            Some('*') => {
                star = Some((p, n));
                p += 1;
                continue;
            }
            Some('?') => Some(1),
            Some('[') => match class(&pattern[p..], name[n]) {
                Some((true, len)) => Some(len),
                Some((false, _)) => None,
                // No closing bracket: `[` is an ordinary character.
                None => (name[n] == '[').then_some(1),
            },
            Some('\\') if p + 1 < pattern.len() => (pattern[p + 1] == name[n]).then_some(2),
            Some(&c) => (c == name[n]).then_some(1),
            None => None,
        };
        match (step, star) {
            (Some(len), _) => {
                p += len;
                n += 1;
            }
            (None, Some((star_p, star_n))) => {
                // Let the last `*` swallow one more character and retry.
                p = star_p + 1;
                n = star_n + 1;
                star = Some((star_p, star_n + 1));
            }
            (None, None) => return false,
        }
    }
    pattern[p..].iter().all(|&c| c == '*')
}

/// Matches `c` against the bracket expression at the start of `pattern`; returns whether
/// it matched and the expression's length, or `None` if the bracket is never closed.
fn class(pattern: &[char], c: char) -> Option<(bool, usize)> {
    let mut i = 1;
    let negated = matches!(pattern.get(i), Some('!' | '^'));
    if negated {
        i += 1;
    }
    let mut matched = false;
    let mut first = true;
    loop {
        let mut lo = *pattern.get(i)?;
        if lo == ']' && !first {
            return Some((matched != negated, i + 1));
        }
        first = false;
        if lo == '\\' {
            i += 1;
            lo = *pattern.get(i)?;
        }
        i += 1;
        let mut hi = lo;
        if pattern.get(i) == Some(&'-') && pattern.get(i + 1).is_some_and(|&h| h != ']') {
            hi = pattern[i + 1];
            if hi == '\\' {
                hi = *pattern.get(i + 2)?;
                i += 1;
            }
            i += 2;
        }
        if (lo..=hi).contains(&c) {
            matched = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fnmatch;

    #[test]
    fn patterns() {
        let cases = [
            ("*.conf", "REQUEST-901-INITIALIZATION.conf", true),
            (
                "*.conf",
                "REQUEST-900-EXCLUSION-RULES-BEFORE-CRS.conf.example",
                false,
            ),
            ("*.conf", ".hidden.conf", false),
            (".*.conf", ".hidden.conf", true),
            ("*", "", true),
            ("a*b*c", "aXbYc", true),
            ("a*b*c", "aXbYcZ", false),
            ("a*b", "abab", true),
            ("?", "é", true),
            ("??", "a", false),
            ("[ab]x", "bx", true),
            ("[!ab]x", "bx", false),
            ("[^ab]x", "cx", true),
            ("[a-c]", "b", true),
            ("[a-c]", "d", false),
            ("[]]", "]", true),
            ("[a-]", "-", true),
            ("[", "[", true),
            ("[abc", "[abc", true),
            ("\\*", "*", true),
            ("\\*", "x", false),
            ("*-config.conf", "my-plugin-config.conf", true),
            ("*-before.conf", "my-plugin-config.conf", false),
            ("***", "abc", true),
        ];
        for (pattern, name, expected) in cases {
            assert_eq!(fnmatch(pattern, name), expected, "{pattern:?} {name:?}");
        }
    }

    #[test]
    fn no_blowup_on_many_stars() {
        let pattern = "*a".repeat(40) + "b";
        let name = "a".repeat(200);
        assert!(!fnmatch(&pattern, &name));
    }

    proptest::proptest! {
        #[test]
        fn never_panics(pattern in "[*?\\[\\]!^a-c.-]{0,12}", name in "[a-c.\\[\\]*-]{0,12}") {
            let _ = fnmatch(&pattern, &name);
        }

        #[test]
        fn a_name_matches_itself_escaped(name in "[^/.][^/]{0,11}") {
            let escaped: String = name.chars().flat_map(|c| ['\\', c]).collect();
            proptest::prop_assert!(fnmatch(&escaped, &name));
            proptest::prop_assert!(fnmatch("*", &name));
        }
    }
}
