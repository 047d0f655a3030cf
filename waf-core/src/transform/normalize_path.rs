//! `normalizePath` (also spelled `normalisePath`): removes `//`, `./` and `x/../` from a
//! path, with ModSecurity's exact rules (its `normalize_path_inplace`), which differ from a
//! textbook path cleaner in the corners:
//! - Runs of `/` become one `/`; `.` segments disappear (`./` at the start too: `./x/` is
//!   `x/`, `.` and `./` become empty).
//! - `seg/..` removes `seg`. Above the start of a relative path the `..` is kept
//!   (`dir/../../foo` is `../foo`, `..` stays `..`); above the root of an absolute path it is
//!   dropped (`/../../etc/passwd` is `/etc/passwd`).
//! - A trailing `/` is kept if the input had one and removed otherwise (`foo/bar/.` is
//!   `foo/bar`, `foo/bar/./` is `foo/bar/`).
//! - Segments are only recognised as `.`/`..` when the byte before them was written as a
//!   `/` or they start the path; other bytes, NUL included, are ordinary.
//!
//! Coraza uses Go's `filepath.Clean` and differs in these corners; we follow ModSecurity, whose
//! C code this is a port of (a state machine over one output buffer, linear in the input).

use super::finish;
use std::borrow::Cow;

pub(super) fn apply(input: &[u8]) -> Cow<'_, [u8]> {
    if !input.iter().any(|&b| b == b'/' || b == b'.') {
        return Cow::Borrowed(input);
    }
    let out = normalize(input.to_vec());
    finish(input, out)
}

/// Normalizes `buf` (already using `/` as the only separator) in place and returns it.
pub(super) fn normalize(mut buf: Vec<u8>) -> Vec<u8> {
    if buf.is_empty() {
        return buf;
    }
    let end = buf.len() - 1;
    let relative = buf[0] != b'/';
    let trailing = buf[end] == b'/';
    let mut hit_root = false;
    let mut done = false;
    // `dst <= src` throughout: the output is written over bytes already read.
    let mut src = 0usize;
    let mut dst = 0usize;

    while !done && src <= end && dst <= end {
        let at_segment_end = if src == end {
            done = true;
            true
        } else {
            buf[src + 1] == b'/'
        };

        // Normalize the path segment that ends at `src`.
        if at_segment_end {
            if src != end && buf[src] == b'/' {
                // An empty segment: the copy below skips the repeated slashes.
            } else if buf[src] == b'.' {
                if dst > 0 && buf[dst - 1] == b'.' {
                    if relative && (hit_root || dst <= 2) {
                        // A `..` with nothing before it to remove: keep it.
                        hit_root = true;
                    } else {
                        // Remove the `..` and the segment before it.
                        let mut d = dst.saturating_sub(3);
                        while d > 0 && buf[d] != b'/' {
                            d -= 1;
                        }
                        if d == 0 {
                            // Do not go above the root (or the start).
                            hit_root = true;
                            if !relative && src == end {
                                d = 1;
                            }
                        }
                        dst = d;
                        if done {
                            break;
                        }
                        src += 1;
                    }
                } else if dst == 0 {
                    // A `.` at the start of a relative path.
                    if done {
                        break;
                    }
                    src += 1;
                } else if buf[dst - 1] == b'/' {
                    // A `.` segment.
                    if done {
                        break;
                    }
                    dst -= 1;
                    src += 1;
                }
            } else if dst > 0 {
                hit_root = false;
            }
        }

        // Copy the byte at `src`, collapsing runs of slashes to their last one.
        if buf[src] == b'/' {
            while src < end && buf[src + 1] == b'/' {
                src += 1;
            }
            if relative && dst == 0 {
                // A relative path does not start with the slash left by a removal.
                src += 1;
                continue;
            }
        }
        buf[dst] = buf[src];
        dst += 1;
        src += 1;
    }

    if !trailing && dst > 0 && buf[dst - 1] == b'/' {
        dst -= 1;
    }
    buf.truncate(dst);
    buf
}

#[cfg(test)]
mod tests {
    use super::apply;

    #[test]
    fn normalizes() {
        let cases: &[(&[u8], &[u8])] = &[
            (b".", b""),
            (b"./", b""),
            (b"./..", b".."),
            (b"../.", b".."),
            (b"../..", b"../.."),
            (b"/dir/foo//bar", b"/dir/foo/bar"),
            (b"dir/./.././../../foo/bar/..", b"../../foo"),
            (b"dir//.//..//.//..//..//foo//bar//", b"../../foo/bar/"),
            (b"/dir/./subdir/../subsubdir/../subsubsubdir/../", b"/dir/"),
            (
                b"/./.././../../../../../../../\0/../etc/./passwd",
                b"/etc/passwd",
            ),
            // ModSecurity drops the root slash when the path ends on a `..` that reaches it.
            (b"/..", b""),
            (b"/a/..", b""),
            (b"/a/../", b"/"),
            (b"a/..", b""),
            (b"a./b", b"a./b"),
            (b"...", b"..."),
        ];
        for (input, expected) in cases {
            assert_eq!(
                &*apply(input),
                *expected,
                "{:?}",
                String::from_utf8_lossy(input)
            );
        }
        assert!(matches!(
            apply(b"/foo/bar/baz"),
            std::borrow::Cow::Borrowed(_)
        ));
        assert!(matches!(apply(b"../../"), std::borrow::Cow::Borrowed(_)));
    }
}
