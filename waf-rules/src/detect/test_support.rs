//! Scaffolding shared by the detectors' tests: the promises every detector makes
//! (confidence in range, fragment at most [`MAX_FRAGMENT`] bytes, no panic), checked
//! on hostile and pseudo-random inputs.

use std::ops::RangeInclusive;

use super::{Detection, MAX_FRAGMENT};

/// A detector under test.
pub(crate) type Detector = fn(&[u8]) -> Option<Detection>;

/// The xorshift64 generator the tests draw pseudo-random inputs from.
pub(crate) struct Xorshift(u64);

impl Xorshift {
    pub(crate) fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// A short, printable name for an input in a failure message.
fn describe(input: &[u8]) -> String {
    let head = input.get(..input.len().min(80)).unwrap_or_default();
    format!("{} bytes: {:?}", input.len(), String::from_utf8_lossy(head))
}

/// Asserts a detection, if any, has a confidence in `confidence` and a fragment of at
/// most [`MAX_FRAGMENT`] bytes.
fn assert_promises(detector: Detector, input: &[u8], confidence: RangeInclusive<f64>) {
    if let Some(d) = detector(input) {
        assert!(
            confidence.contains(&d.confidence),
            "confidence {} on {}",
            d.confidence,
            describe(input)
        );
        assert!(
            d.fragment.len() <= MAX_FRAGMENT,
            "fragment of {} bytes on {}",
            d.fragment.len(),
            describe(input)
        );
    }
}

/// Asserts a detection, if any, has a confidence in [0.5, 1] and a fragment of at most
/// [`MAX_FRAGMENT`] bytes.
pub(crate) fn assert_sound(detector: Detector, input: &[u8]) {
    assert_promises(detector, input, 0.5..=1.0);
}

/// Asserts a detection, if any, has a confidence in [0, 1] and a fragment of at most
/// [`MAX_FRAGMENT`] bytes.
pub(crate) fn assert_bounded(detector: Detector, input: &[u8]) {
    assert_promises(detector, input, 0.0..=1.0);
}

/// Hostile inputs for [`assert_total`].
pub(crate) struct Hostile<'a> {
    /// Detector-specific inputs (long repeats and the like), checked as given.
    pub(crate) fixed: Vec<Vec<u8>>,
    /// A payload that exercises most of the scanner: every truncation is checked.
    pub(crate) sample: &'a [u8],
    /// Bytes the pseudo-random inputs are drawn from.
    pub(crate) alphabet: &'a [u8],
    /// Seed of the pseudo-random inputs.
    pub(crate) seed: u64,
    /// How many pseudo-random inputs to check.
    pub(crate) count: usize,
    /// Pseudo-random inputs are shorter than this.
    pub(crate) max_len: u64,
}

/// Checks [`assert_sound`] on every byte value in one input, on `hostile.fixed`, on
/// every truncation of `hostile.sample`, and on `hostile.count` pseudo-random inputs.
pub(crate) fn assert_total(detector: Detector, hostile: Hostile<'_>) {
    let all: Vec<u8> = (0..=255).collect();
    assert_sound(detector, &all);
    for input in &hostile.fixed {
        assert_sound(detector, input);
    }
    for end in 0..=hostile.sample.len() {
        assert_sound(detector, hostile.sample.get(..end).unwrap_or_default());
    }
    let mut rng = Xorshift::new(hostile.seed);
    let alphabet = hostile.alphabet;
    for _ in 0..hostile.count {
        let len = (rng.next() % hostile.max_len) as usize;
        let input: Vec<u8> = (0..len)
            .map(|_| {
                let r = rng.next() as usize;
                alphabet
                    .get(r % alphabet.len())
                    .copied()
                    .unwrap_or_default()
            })
            .collect();
        assert_sound(detector, &input);
    }
}

/// Checks [`assert_bounded`] on `count` pseudo-random inputs over `alphabet`, the
/// `n`th of length `n % modulus`.
pub(crate) fn assert_random_bounded(
    detector: Detector,
    alphabet: &[u8],
    seed: u64,
    count: usize,
    modulus: usize,
) {
    let mut rng = Xorshift::new(seed);
    for len in 0..count {
        let input: Vec<u8> = (0..len % modulus)
            .map(|_| {
                let r = rng.next();
                alphabet
                    .get((r % alphabet.len() as u64) as usize)
                    .copied()
                    .unwrap_or_default()
            })
            .collect();
        assert_bounded(detector, &input);
    }
}

/// Asserts the detector fires on every case.
pub(crate) fn assert_detects_all<T: AsRef<[u8]>>(detector: Detector, cases: &[T]) {
    for case in cases {
        let case = case.as_ref();
        assert!(
            detector(case).is_some(),
            "missed {}",
            String::from_utf8_lossy(case)
        );
    }
}

/// Asserts the detector fires on none of the cases.
pub(crate) fn assert_passes_all<T: AsRef<[u8]>>(detector: Detector, cases: &[T]) {
    for case in cases {
        let case = case.as_ref();
        assert!(
            detector(case).is_none(),
            "fired on {}",
            String::from_utf8_lossy(case)
        );
    }
}
