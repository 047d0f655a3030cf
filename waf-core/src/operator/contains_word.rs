//! `@containsWord`: the argument occurs in the value as a whole word (case-sensitive).
//!
//! ModSecurity v3: an empty argument always matches, an empty value (with a non-empty
//! argument) never does, a value equal to the argument does. Otherwise some occurrence of
//! the argument must have, on each side, either the edge of the value or a character that
//! is not an ASCII letter: only `A`–`Z` and `a`–`z` continue a word, so digits, `_`,
//! punctuation, NUL and bytes above 0x7F all end one (`abc0def` contains the word `def`).
//! Every occurrence is tried, overlapping ones included.

use super::contains::Needle;

/// A compiled `@containsWord`.
#[derive(Debug, Clone)]
pub struct ContainsWord {
    word: Vec<u8>,
    needle: Needle,
}

impl ContainsWord {
    pub(super) fn new(argument: &[u8]) -> Result<Self, String> {
        Ok(Self {
            word: argument.to_vec(),
            needle: Needle::new(argument)?,
        })
    }

    pub(super) fn find<'v>(&self, value: &'v [u8]) -> Option<&'v [u8]> {
        if self.needle.is_empty() {
            return Some(&value[..0]);
        }
        if value.is_empty() {
            return None;
        }
        if value == self.word.as_slice() {
            return Some(value);
        }
        let boundary = |at: Option<&u8>| at.is_none_or(|b| !b.is_ascii_alphabetic());
        self.needle
            .find_all(value)
            .find(|r| {
                let before = r.start.checked_sub(1).map(|i| &value[i]);
                boundary(before) && boundary(value.get(r.end))
            })
            .map(|r| &value[r])
    }
}

#[cfg(test)]
mod tests {
    use super::ContainsWord;

    #[test]
    fn needs_non_letters_around() {
        let cases: &[(&str, &[u8], bool)] = &[
            ("abc", b"abcdefghi", false),
            ("def", b"abc def ghi", true),
            ("def", b"abc\\0def ghi", true),
            ("def", b"abc_def", true),
            ("def", b"abcdef", false),
            ("x", b" x ", true),
            ("y", b"xyz", false),
            (
                "hiding",
                b"hidingX<-not on word boundary, but is later on->hiding",
                true,
            ),
            ("aa", b"aaa aa", true),
            ("é", "é".as_bytes(), true),
            ("", b"", true),
            ("x", b"", false),
        ];
        for (word, value, expected) in cases {
            let op = ContainsWord::new(word.as_bytes()).unwrap();
            assert_eq!(op.find(value).is_some(), *expected, "{word} in {value:?}");
        }
    }
}
