//! Byte sets for the detectors' fast paths.
//!
//! Most values a detector sees are benign, and most detector shapes need a byte that
//! benign values rarely hold (a quote, a `<`, a `$`, a `%` that a decoding reading would
//! turn into anything). A [`ByteSet`] of the value, built in one pass, answers "could
//! this needle occur?" in constant time: a needle occurs in a text only if every byte of
//! the needle occurs in it. Fast paths use that, and only that, to skip work whose
//! result is known to be nothing; each fast path states which bytes every one of its
//! detector's shapes requires.

/// The set of bytes occurring in a text, as an over-approximation that is exact for
/// ASCII: bit `b` stands for ASCII byte `b` (below 127), bit 127 for DEL and every
/// non-ASCII byte together. "May occur" answers are therefore never wrong when they
/// say no.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct ByteSet(u128);

/// ASCII upper-case letters, as bits.
const UPPER: u128 = ((1u128 << 26) - 1) << b'A';

/// The bit standing for `b`.
const fn bit(b: u8) -> u128 {
    1u128 << if b < 127 { b } else { 127 }
}

impl ByteSet {
    /// No byte.
    pub(super) const EMPTY: Self = Self(0);

    /// The bytes of `text`, in one pass.
    pub(super) fn of(text: &[u8]) -> Self {
        // Each byte's bit, split in halves: a load and two `or`s per byte.
        const BITS: [(u64, u64); 256] = {
            let mut bits = [(0, 0); 256];
            let mut b = 0;
            while b < 256 {
                let set = bit(b as u8);
                bits[b] = (set as u64, (set >> 64) as u64);
                b += 1;
            }
            bits
        };
        let (mut lo, mut hi) = (0u64, 0u64);
        for &b in text {
            let (l, h) = BITS[usize::from(b)];
            lo |= l;
            hi |= h;
        }
        Self(u128::from(hi) << 64 | u128::from(lo))
    }

    /// The bytes of `needle`, for a set known at compile time.
    pub(super) const fn new(needle: &[u8]) -> Self {
        let mut set = 0u128;
        let mut i = 0;
        while i < needle.len() {
            set |= bit(needle[i]);
            i += 1;
        }
        Self(set)
    }

    /// The bytes of the ASCII-lower-cased text (`text.to_ascii_lowercase()`), from the
    /// set of `text`: upper-case letters become lower-case ones, nothing else changes.
    pub(super) const fn lowercased(self) -> Self {
        Self((self.0 & !UPPER) | ((self.0 & UPPER) << 32))
    }

    /// The bytes of either set.
    pub(super) const fn with(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }

    /// Whether `b` may occur.
    pub(super) const fn has(self, b: u8) -> bool {
        self.0 & bit(b) != 0
    }

    /// Whether some byte of `other` may occur.
    pub(super) const fn any_of(self, other: Self) -> bool {
        self.0 & other.0 != 0
    }

    /// Whether every byte of `other` may occur: necessary for any text made of
    /// `other`'s bytes, such as a needle, to occur.
    pub(super) const fn all_of(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether a byte outside printable ASCII and the usual whitespace (a control
    /// byte, DEL or any non-ASCII byte) may occur.
    pub(super) const fn has_unusual(self) -> bool {
        const USUAL: u128 = ((1u128 << 95) - 1) << b' ' | bit(b'\t') | bit(b'\n') | bit(b'\r');
        self.0 & !USUAL != 0
    }
}

/// The pairs of adjacent bytes occurring in a text, ASCII-lower-cased, hashed into 512
/// bits: an over-approximation (pairs may share a bit), so "may occur" answers are
/// never wrong when they say no. A needle occurs in a text only if each of its pairs
/// does, so a text that lacks one holds no needle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Pairs([u64; 8]);

/// The bit of the pair `a`, `b` (both lower-cased by the caller).
const fn pair_slot(a: u8, b: u8) -> usize {
    (a as usize * 31 + b as usize) & 511
}

impl Pairs {
    /// The pairs of `text.to_ascii_lowercase()`.
    pub(super) fn of_lower(text: &[u8]) -> Self {
        let mut bits = [0u64; 8];
        for w in text.windows(2) {
            let slot = pair_slot(w[0].to_ascii_lowercase(), w[1].to_ascii_lowercase());
            bits[slot >> 6] |= 1 << (slot & 63);
        }
        Self(bits)
    }

    /// The pairs of `needle.to_ascii_lowercase()`, for a needle known at compile time.
    pub(super) const fn new(needle: &[u8]) -> Self {
        let mut bits = [0u64; 8];
        let mut i = 0;
        while i + 1 < needle.len() {
            let slot = pair_slot(
                needle[i].to_ascii_lowercase(),
                needle[i + 1].to_ascii_lowercase(),
            );
            bits[slot >> 6] |= 1 << (slot & 63);
            i += 1;
        }
        Self(bits)
    }

    /// Whether every pair of `other` may occur.
    pub(super) fn all_of(&self, other: &Self) -> bool {
        self.0.iter().zip(&other.0).all(|(a, b)| a & b == *b)
    }
}

/// The pair sets of `N` needles (lower-cased), at compile time.
pub(super) const fn pairs_of<const N: usize>(needles: &[&[u8]]) -> [Pairs; N] {
    let mut pairs = [Pairs([0; 8]); N];
    let mut i = 0;
    while i < N {
        pairs[i] = Pairs::new(needles[i]);
        i += 1;
    }
    pairs
}

/// The byte sets of `N` needles, at compile time: `sets_of::<N>(needles)[i]` is
/// `ByteSet::new(needles[i])`.
pub(super) const fn sets_of<const N: usize>(needles: &[&[u8]]) -> [ByteSet; N] {
    let mut sets = [ByteSet::EMPTY; N];
    let mut i = 0;
    while i < N {
        sets[i] = ByteSet::new(needles[i]);
        i += 1;
    }
    sets
}

/// Whether every one of `sets` has a byte of `key`, for compile-time checks of fast
/// paths: then a text without any byte of `key` holds none of the needles.
pub(super) const fn each_meets(sets: &[ByteSet], key: ByteSet) -> bool {
    let mut i = 0;
    while i < sets.len() {
        if !sets[i].any_of(key) {
            return false;
        }
        i += 1;
    }
    true
}

/// Whether `needle` (lower-case ASCII) occurs in `hay` ignoring ASCII case, that is in
/// `hay.to_ascii_lowercase()`, without building that copy.
pub(super) fn contains_ignore_case(hay: &[u8], needle: &[u8]) -> bool {
    let Some((&first, rest)) = needle.split_first() else {
        return true;
    };
    if hay.len() < needle.len() {
        return false;
    }
    (0..=hay.len() - needle.len()).any(|i| {
        hay[i].to_ascii_lowercase() == first
            && hay[i + 1..i + needle.len()]
                .iter()
                .zip(rest)
                .all(|(a, b)| a.to_ascii_lowercase() == *b)
    })
}

/// The first position of `b` in `hay` (what `hay.iter().position(|&c| c == b)` gives),
/// looking at eight bytes at a time.
pub(super) fn position(hay: &[u8], b: u8) -> Option<usize> {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    let pattern = ONES * u64::from(b);
    let mut chunks = hay.chunks_exact(8);
    let mut offset = 0;
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        // A zero byte in `x` exactly where the chunk holds `b`; the expression is
        // non-zero if and only if `x` has a zero byte.
        let x = u64::from_ne_bytes(word) ^ pattern;
        if x.wrapping_sub(ONES) & !x & HIGHS != 0 {
            return chunk.iter().position(|&c| c == b).map(|p| offset + p);
        }
        offset += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(|&c| c == b)
        .map(|p| offset + p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets_track_bytes() {
        let s = ByteSet::of(b"Hello, World\xff");
        assert!(s.has(b'H') && s.has(b',') && s.has(b' ') && !s.has(b'h') && !s.has(b'x'));
        assert!(s.has(0x80) && s.has(0x7f) && s.has_unusual());
        assert!(!ByteSet::of(b"plain text, 1-2\r\n").has_unusual());
        assert!(ByteSet::of(b"a\x01").has_unusual());
        let lower = s.lowercased();
        assert_eq!(
            lower,
            ByteSet::of(&b"Hello, World\xff".to_ascii_lowercase())
        );
        assert!(lower.all_of(ByteSet::new(b"hello")) && !s.all_of(ByteSet::new(b"hello")));
        assert!(s.any_of(ByteSet::new(b"<,")) && !s.any_of(ByteSet::new(b"<>")));
        for b in 0..=255u8 {
            let text = [b, b'q'];
            let set = ByteSet::of(&text);
            assert!(set.has(b) && set.has(b'q'));
            assert_eq!(set.lowercased(), ByteSet::of(&text.to_ascii_lowercase()));
            assert_eq!(set, ByteSet::new(&text));
        }
    }

    #[test]
    fn finds_positions() {
        let hay: Vec<u8> = (0..=255u8).chain(0..=255u8).collect();
        for start in 0..40 {
            for b in 0..=255u8 {
                let want = hay[start..].iter().position(|&c| c == b);
                assert_eq!(position(&hay[start..], b), want);
            }
        }
        assert_eq!(position(b"", b'a'), None);
        assert_eq!(position(b"aaaaaaaaab", b'b'), Some(9));
        assert_eq!(
            position(b"\x80\x80\x80\x80\x80\x80\x80\x80\x00", 0),
            Some(8)
        );
    }

    #[test]
    fn pairs_of_needles_occur() {
        let text = b"The SysObjects table; x";
        let pairs = Pairs::of_lower(text);
        for needle in [&b"sysobjects"[..], b"the", b"le; x", b"e s", b"t"] {
            assert!(pairs.all_of(&Pairs::new(needle)));
        }
        assert!(!Pairs::of_lower(b"sys objects").all_of(&Pairs::new(b"sysobjects")));
    }

    #[test]
    fn case_insensitive_search() {
        assert!(contains_ignore_case(b"xxDB.Users", b"db."));
        assert!(!contains_ignore_case(b"xxD B.", b"db."));
        assert!(contains_ignore_case(b"", b""));
        assert!(!contains_ignore_case(b"d", b"db"));
    }
}
