//! Features of one input value, exactly as the training pipeline computes them
//! (`waf-core/ml/features.py`; the test `ml_features` compares both on a golden file).
//!
//! A request becomes up to [`MAX_VALUES`] (location, value) pairs ([`request_values`]),
//! each value one row of [`DIM`] features ([`value_features`]):
//!
//! * [`HASH_DIM`] hashed character n-grams (n = 1, 2, 3) of the [`normalise`]d value,
//!   framed by `\x02` … `\x03`: FNV-1a 32 of `[n] ++ gram`, masked to [`HASH_DIM`];
//!   each bucket holds `ln(1 + count)`. They see the characters attacks are made of
//!   (`' or`, `<sc`, `../`, `${`) wherever they sit in the value;
//! * [`DENSE`] shape features ([`dense_features`]): length, entropy, character-class
//!   fractions, word count, longest punctuation run, whether decoding changed the value;
//! * a one-hot of the value's [`Location`].

use crate::request::{BodyProcessor, Field, RequestView};
use std::sync::OnceLock;

/// Bytes of a value that are read (the rest changes only the length feature).
pub const MAX_VALUE: usize = 1024;
/// Values of one request that are scored, in [`request_values`]' order.
pub const MAX_VALUES: usize = 64;
/// Buckets of hashed n-grams (a power of two).
pub const HASH_DIM: usize = 512;
/// Shape features after the n-gram buckets.
pub const DENSE: usize = 11;
/// Features per value: n-gram buckets, shape features, location one-hot.
pub const DIM: usize = HASH_DIM + DENSE + Location::ALL.len();

const NGRAMS: [usize; 3] = [1, 2, 3];
const FNV_OFFSET: u32 = 0x811c_9dc5;
const FNV_PRIME: u32 = 0x0100_0193;

/// Where a value sits in the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    /// The decoded path.
    Path,
    /// A query argument's value.
    Query,
    /// A body argument's value (form field, JSON leaf, multipart text field).
    Body,
    /// A cookie's value.
    Cookie,
    /// A header's value (other than `Cookie`).
    Header,
    /// A body that no argument parser reads (XML, unknown types), whole.
    RawBody,
}

impl Location {
    /// Every location, in the order of the one-hot features.
    pub const ALL: [Location; 6] = [
        Location::Path,
        Location::Query,
        Location::Body,
        Location::Cookie,
        Location::Header,
        Location::RawBody,
    ];

    /// The name the training pipeline uses (`path`, `query`, …).
    pub fn name(self) -> &'static str {
        match self {
            Location::Path => "path",
            Location::Query => "query",
            Location::Body => "body",
            Location::Cookie => "cookie",
            Location::Header => "header",
            Location::RawBody => "raw_body",
        }
    }

    /// The location called `name`, if any.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|l| l.name() == name)
    }

    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

/// The values of `request` that are scored, in order: the decoded path, query
/// arguments, body arguments (or the raw body when no argument parser reads it: XML,
/// unknown types), cookies, then the other headers; at most [`MAX_VALUES`].
pub fn request_values(request: &RequestView) -> Vec<(Location, &[u8])> {
    let mut values = vec![(Location::Path, &request.path_decoded[..])];
    values.extend(args(Location::Query, &request.args_get));
    let raw_body = matches!(request.body_processor, None | Some(BodyProcessor::Xml));
    if raw_body && !request.body.is_empty() {
        values.push((Location::RawBody, &request.body[..]));
    } else {
        values.extend(args(Location::Body, &request.args_post));
    }
    values.extend(args(Location::Cookie, &request.cookies));
    values.extend(
        request
            .headers
            .iter()
            .filter(|h| !h.name.eq_ignore_ascii_case(b"cookie"))
            .map(|h| (Location::Header, &h.value[..])),
    );
    values.truncate(MAX_VALUES);
    values
}

fn args(location: Location, fields: &[Field]) -> impl Iterator<Item = (Location, &[u8])> {
    fields.iter().map(move |f| (location, &f.value[..]))
}

/// The first [`MAX_VALUE`] bytes, `%XX` decoded once more (invalid escapes stay as
/// written, `+` stays a plus) and ASCII lower-cased: what the n-grams read.
pub fn normalise(raw: &[u8]) -> Vec<u8> {
    let mut buffer = [0u8; MAX_VALUE];
    normalise_into(raw, &mut buffer).to_vec()
}

/// [`normalise`] into `out`, on the request path without an allocation; returns the
/// part of `out` written (decoding only shrinks, so the buffer always suffices).
fn normalise_into<'o>(raw: &[u8], out: &'o mut [u8; MAX_VALUE]) -> &'o [u8] {
    let raw = &raw[..raw.len().min(MAX_VALUE)];
    let (mut i, mut len) = (0, 0);
    while i < raw.len() {
        let escape = (raw[i] == b'%')
            .then(|| Some(hex(*raw.get(i + 1)?)? * 16 + hex(*raw.get(i + 2)?)?))
            .flatten();
        match escape {
            Some(byte) => {
                out[len] = byte.to_ascii_lowercase();
                i += 3;
            }
            None => {
                out[len] = raw[i].to_ascii_lowercase();
                i += 1;
            }
        }
        len += 1;
    }
    &out[..len]
}

fn hex(byte: u8) -> Option<u8> {
    match byte {
        b'0'..=b'9' => Some(byte - b'0'),
        b'a'..=b'f' => Some(byte - b'a' + 10),
        b'A'..=b'F' => Some(byte - b'A' + 10),
        _ => None,
    }
}

/// Counts of the hashed n-grams of a normalised value, per bucket.
pub fn ngram_counts(norm: &[u8]) -> [u32; HASH_DIM] {
    let mut counts = [0; HASH_DIM];
    for_each_ngram(norm, |bucket| counts[bucket] += 1);
    counts
}

/// Calls `f` with the bucket of every n-gram of the framed value (`\x02` … `\x03`): all
/// 1-grams, then all 2-grams, then all 3-grams, each hashed as FNV-1a of `[n] ++ gram`.
fn for_each_ngram(norm: &[u8], mut f: impl FnMut(usize)) {
    // On the stack: a normalised value is at most MAX_VALUE bytes (decoding shrinks).
    let mut buffer = [0u8; MAX_VALUE + 2];
    let norm = &norm[..norm.len().min(MAX_VALUE)];
    let framed = &mut buffer[..norm.len() + 2];
    framed[0] = 2;
    framed[1..=norm.len()].copy_from_slice(norm);
    framed[norm.len() + 1] = 3;
    for n in NGRAMS {
        // The hash of `[n]` is the same for every gram of length n.
        let seed = fnv(FNV_OFFSET, n as u8);
        for gram in framed.windows(n) {
            let hash = gram.iter().fold(seed, |h, &b| fnv(h, b));
            f(hash as usize & (HASH_DIM - 1));
        }
    }
}

fn fnv(hash: u32, byte: u8) -> u32 {
    (hash ^ u32::from(byte)).wrapping_mul(FNV_PRIME)
}

/// The shape features of a value (`raw`, as sent) and its normalised form, in order:
/// `ln(1 + length)`, byte entropy (bits), fractions of letters, digits, whitespace,
/// ASCII punctuation, non-ASCII and control bytes, `ln(1 + words)`,
/// `ln(1 + longest punctuation run)`, and 1 if decoding or lower-casing changed it.
pub fn dense_features(raw: &[u8], norm: &[u8]) -> [f64; DENSE] {
    let mut histogram = [0u32; 256];
    let (mut letters, mut digits, mut spaces, mut punct, mut high, mut control) =
        (0u32, 0u32, 0u32, 0u32, 0u32, 0u32);
    let (mut words, mut in_word, mut run, mut longest_run) = (0u32, false, 0u32, 0u32);
    // The bytes that occur, in order of first occurrence: the entropy sums over them
    // alone.
    let (mut distinct, mut distinct_len) = ([0u8; 256], 0);
    for &b in norm {
        if histogram[usize::from(b)] == 0 {
            distinct[distinct_len] = b;
            distinct_len += 1;
        }
        histogram[usize::from(b)] += 1;
        match b {
            b'a'..=b'z' => letters += 1,
            b'0'..=b'9' => digits += 1,
            b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c => spaces += 1,
            0x21..=0x7e => punct += 1,
            0x80.. => high += 1,
            _ => control += 1,
        }
        let word_char = b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_';
        if word_char && !in_word {
            words += 1;
        }
        in_word = word_char;
        let is_punct = (0x21..=0x7e).contains(&b) && !b.is_ascii_lowercase() && !b.is_ascii_digit();
        run = if is_punct { run + 1 } else { 0 };
        longest_run = longest_run.max(run);
    }
    let n = norm.len() as f64;
    // −Σ p·log2 p = (n·log2 n − Σ c·log2 c) / n, with c·log2 c from a table: no libm call
    // on the request path (interleaved with the model's vector kernels, each one costs
    // far more than its arithmetic; see benches/ml.rs).
    let entropy = if norm.is_empty() {
        0.0
    } else {
        let c_log2_c = &tables().c_log2_c;
        let sum: f64 = distinct[..distinct_len]
            .iter()
            .map(|&b| c_log2_c[histogram[usize::from(b)] as usize])
            .sum();
        (tables().c_log2_c[norm.len()] - sum) / n
    };
    let fraction = |count: u32| f64::from(count) / n.max(1.0);
    let cut = &raw[..raw.len().min(MAX_VALUE)];
    let changed = norm.len() != cut.len()
        || norm
            .iter()
            .zip(cut)
            .any(|(n, r)| *n != r.to_ascii_lowercase());
    [
        ln_1p(u32::try_from(raw.len()).unwrap_or(u32::MAX)),
        entropy,
        fraction(letters),
        fraction(digits),
        fraction(spaces),
        fraction(punct),
        fraction(high),
        fraction(control),
        ln_1p(words),
        ln_1p(longest_run),
        if changed { 1.0 } else { 0.0 },
    ]
}

/// Logarithms of the small integers the features take them of, computed once.
struct Tables {
    /// `ln(1 + k)` for every count an n-gram bucket, word count or run can reach.
    ln_1p: Vec<f64>,
    /// `c · log2(c)` (0 for 0) for every byte count of a value.
    c_log2_c: Vec<f64>,
}

fn tables() -> &'static Tables {
    static TABLES: OnceLock<Tables> = OnceLock::new();
    TABLES.get_or_init(|| Tables {
        ln_1p: (0..=NGRAMS.len() * (MAX_VALUE + 2))
            .map(|k| (k as f64).ln_1p())
            .collect(),
        c_log2_c: (0..=MAX_VALUE)
            .map(|c| {
                if c == 0 {
                    0.0
                } else {
                    c as f64 * (c as f64).log2()
                }
            })
            .collect(),
    })
}

/// `ln(1 + k)`; from the table for the counts and lengths of one value.
fn ln_1p(k: u32) -> f64 {
    let table = &tables().ln_1p;
    table
        .get(k as usize)
        .copied()
        .unwrap_or_else(|| f64::from(k).ln_1p())
}

/// Writes the [`DIM`] features of `raw` at `location` into `row` (which must hold
/// [`DIM`] values; it is overwritten).
pub fn value_features(location: Location, raw: &[u8], row: &mut [f32]) {
    let mut buffer = [0u8; MAX_VALUE];
    let norm = normalise_into(raw, &mut buffer);
    row.fill(0.0);
    // Count in the row itself, then take the logarithm of each bucket that counted
    // (same values as `ngram_counts`). Everything on the stack: this runs for every
    // value of every request.
    for_each_ngram(norm, |bucket| row[bucket] += 1.0);
    let ln_1p_table = &tables().ln_1p;
    for count in &mut row[..HASH_DIM] {
        if *count != 0.0 {
            // Counts are below 2^24: exact in f32, and within the table.
            *count = ln_1p_table[*count as usize] as f32;
        }
    }
    for (feature, value) in row[HASH_DIM..].iter_mut().zip(dense_features(raw, norm)) {
        *feature = value as f32;
    }
    row[HASH_DIM + DENSE + location.index()] = 1.0;
}
