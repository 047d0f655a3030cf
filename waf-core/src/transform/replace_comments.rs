//! `replaceComments`: each C-style comment (`/* ... */`) becomes one space; a comment still
//! open at the end is replaced by one space too. A `*/` without an opening `/*` is kept.
//! ModSecurity v2, v3 and Coraza agree.

use std::borrow::Cow;

pub(super) fn apply(input: &[u8]) -> Cow<'_, [u8]> {
    let Some(first) = input.windows(2).position(|w| w == b"/*") else {
        return Cow::Borrowed(input);
    };
    let mut out = Vec::with_capacity(input.len());
    out.extend_from_slice(&input[..first]);
    let mut in_comment = false;
    let mut i = first;
    while i < input.len() {
        let pair = input.get(i..i + 2);
        if !in_comment && pair == Some(b"/*") {
            in_comment = true;
            i += 2;
        } else if in_comment && pair == Some(b"*/") {
            in_comment = false;
            out.push(b' ');
            i += 2;
        } else {
            if !in_comment {
                out.push(input[i]);
            }
            i += 1;
        }
    }
    if in_comment {
        out.push(b' ');
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::apply;

    #[test]
    fn replaces() {
        assert_eq!(&*apply(b"Before /* TestCase */ After"), b"Before   After");
        assert_eq!(&*apply(b"Before/* Test\r\nCase "), b"Before ");
        assert_eq!(&*apply(b"/*/"), b" ");
        assert!(matches!(
            apply(b"Test\nCase */ After"),
            std::borrow::Cow::Borrowed(_)
        ));
    }
}
