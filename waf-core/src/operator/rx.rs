//! `@rx`: a regular expression over the value's bytes.
//!
//! ModSecurity v3: the pattern is PCRE2 compiled with `PCRE2_DOTALL | PCRE2_MULTILINE` and no
//! UTF mode, searched once, unanchored; the operator matches when the pattern matches
//! anywhere in the value. An empty pattern matches everything. Case-insensitivity comes only
//! from the pattern (`(?i)`) and folds ASCII letters only, as PCRE without UTF does.
//!
//! Here the pattern is read as PCRE reads it and rewritten for the `regex` crate (see
//! [`super::pcre`] for every difference and what is refused): matching time is linear in the
//! value, so no pattern can backtrack catastrophically and no match limit is needed
//! (ModSecurity's `MSC_PCRE_LIMITS_EXCEEDED` cannot happen). Values are bytes; invalid UTF-8
//! is searched like anything else. The matched part is the whole match (group 0), ending
//! where a rewritten final lookahead starts.
//!
//! Before the regex runs, a [`Prefilter`] derived from the pattern rules out values that
//! are too short or lack every literal a match must contain; most patterns of the OWASP
//! CRS never reach their regex on a benign value.

use super::pcre;
use super::prefilter::Prefilter;
use regex::bytes::{CaptureLocations, Regex, RegexBuilder};
use std::ops::Range;

/// A compiled `@rx` pattern.
#[derive(Debug, Clone)]
pub struct Rx {
    re: Regex,
    /// Capture groups that stand for rewritten lookaheads (see [`pcre`]).
    lookaheads: Vec<usize>,
    /// Rules out values the regex cannot match, cheaply; `None` when nothing can be ruled
    /// out.
    prefilter: Option<Prefilter>,
}

impl Rx {
    /// Compiles PCRE `pattern`; the error names the pattern and what is wrong with it.
    pub(super) fn new(pattern: &str) -> Result<Self, String> {
        let bad = |why: &str| format!("bad regex {pattern:?}: {why}");
        let translated = pcre::translate(pattern).map_err(|e| bad(&e))?;
        let re = RegexBuilder::new(&translated.pattern)
            // Values are bytes; classes and `.` must not insist on UTF-8.
            .unicode(false)
            .dot_matches_new_line(true)
            .multi_line(true)
            .size_limit(64 << 20)
            .build()
            .map_err(|e| {
                // The crate's message quotes the rewritten pattern; keep its last line.
                let message = e.to_string();
                bad(message.lines().last().unwrap_or(&message).trim())
            })?;
        let lookaheads = translated
            .lookaheads
            .iter()
            .filter_map(|name| re.capture_names().position(|n| n == Some(name.as_str())))
            .collect();
        let prefilter = Prefilter::new(&translated.pattern);
        Ok(Self {
            re,
            lookaheads,
            prefilter,
        })
    }

    /// Literals one of which every match contains, lowercased; see
    /// [`super::Operator::required_literals`].
    pub(super) fn required_literals(&self) -> Option<&[Vec<u8>]> {
        self.prefilter.as_ref()?.required()
    }

    /// Whether a match may start at or after `start` in `value`; `false` only if none can.
    fn may_match(&self, value: &[u8], start: usize) -> bool {
        // A match starting at or after `start` lies entirely within `value[start..]`; the
        // bytes before it are only looked at by assertions, which the prefilter ignores.
        self.prefilter
            .as_ref()
            .is_none_or(|p| p.may_match(value.get(start..).unwrap_or_default()))
    }

    /// The first match, if any.
    pub(super) fn find<'v>(&self, value: &'v [u8]) -> Option<&'v [u8]> {
        if !self.may_match(value, 0) {
            return None;
        }
        self.find_unfiltered(value)
    }

    /// [`Rx::find`] without the prefilter.
    fn find_unfiltered<'v>(&self, value: &'v [u8]) -> Option<&'v [u8]> {
        if self.lookaheads.is_empty() {
            return self.re.find(value).map(|m| m.as_bytes());
        }
        let mut locations = self.locations();
        self.read_at_unfiltered(&mut locations, value, 0)
            .map(|span| &value[span])
    }

    /// Storage for [`Rx::read_at`].
    pub(super) fn locations(&self) -> CaptureLocations {
        self.re.capture_locations()
    }

    /// The first match starting at or after `start`, the bytes before `start` still seen
    /// by anchors and `\b`; its span, without a rewritten lookahead's part. The spans of the
    /// pattern's groups are left in `locations` (see [`Rx::groups`]).
    pub(super) fn read_at(
        &self,
        locations: &mut CaptureLocations,
        value: &[u8],
        start: usize,
    ) -> Option<Range<usize>> {
        if !self.may_match(value, start) {
            return None;
        }
        self.read_at_unfiltered(locations, value, start)
    }

    /// [`Rx::read_at`] without the prefilter.
    fn read_at_unfiltered(
        &self,
        locations: &mut CaptureLocations,
        value: &[u8],
        start: usize,
    ) -> Option<Range<usize>> {
        let whole = self.re.captures_read_at(locations, value, start)?;
        let end = self
            .lookaheads
            .iter()
            .filter_map(|&i| locations.get(i))
            .map(|(start, _)| start)
            .min()
            .unwrap_or(whole.end());
        Some(whole.start()..end)
    }

    /// The spans of the pattern's own groups, by number (group 0 excluded), for the match
    /// last read into `locations`; `None` for a group that took no part in it.
    pub(super) fn numbered_groups<'a>(
        &'a self,
        locations: &'a CaptureLocations,
    ) -> impl Iterator<Item = Option<Range<usize>>> + 'a {
        (1..locations.len())
            .filter(|i| !self.lookaheads.contains(i))
            .map(|i| locations.get(i).map(|(start, end)| start..end))
    }

    /// The spans of the groups of the pattern's own that took part in the match last read
    /// into `locations` (group 0 excluded).
    pub(super) fn groups<'a>(
        &'a self,
        locations: &'a CaptureLocations,
    ) -> impl Iterator<Item = Range<usize>> + 'a {
        (1..locations.len())
            .filter(|i| !self.lookaheads.contains(i))
            .filter_map(|i| locations.get(i))
            .map(|(start, end)| start..end)
    }
}

#[cfg(test)]
mod tests {
    use super::Rx;

    #[test]
    fn matches_bytes_with_pcre_flags() {
        let rx = Rx::new(r"a.c").unwrap();
        assert_eq!(rx.find(b"xa\ncx"), Some(&b"a\nc"[..]));
        let rx = Rx::new(r"^b").unwrap();
        assert!(rx.find(b"a\nb").is_some());
        let rx = Rx::new(r"\xff\x{fe}").unwrap();
        assert!(rx.find(b"\x00\xff\xfe").is_some());
        let rx = Rx::new("").unwrap();
        assert_eq!(rx.find(b"abc"), Some(&b""[..]));
    }

    #[test]
    fn a_rewritten_lookahead_is_not_part_of_the_match() {
        let rx = Rx::new(r"<\?(?!xml)").unwrap();
        assert_eq!(rx.find(b"<?xml <?php"), Some(&b"<?"[..]));
        assert_eq!(rx.find(b"<?xml"), None);
        let rx = Rx::new(r"(a)(?=b)|c").unwrap();
        assert_eq!(rx.find(b"ab"), Some(&b"a"[..]));
        assert_eq!(rx.find(b"xc"), Some(&b"c"[..]));
        let mut locations = rx.locations();
        assert_eq!(rx.read_at(&mut locations, b"ab", 0), Some(0..1));
        assert_eq!(rx.groups(&locations).collect::<Vec<_>>(), vec![0..1]);
    }

    #[test]
    fn errors_name_the_pattern() {
        let err = Rx::new(r"(a)\1").unwrap_err();
        assert!(
            err.contains(r#""(a)\\1""#) && err.contains("backreference"),
            "{err}"
        );
        let err = Rx::new(r"a{5,2}").unwrap_err();
        assert!(err.contains("a{5,2}"), "{err}");
    }
}

/// The prefilter against every `@rx` pattern of the OWASP CRS and every payload of its
/// regression tests and of the corpus: it must never rule out a value the regex matches.
#[cfg(test)]
mod crs {
    use super::Rx;
    use crate::operator::Operator;
    use crate::operator::prefilter::Prefilter;
    use std::collections::BTreeSet;
    use std::path::PathBuf;

    /// `$WAF_CRS_DIR`, else `../shared/crs` beside the workspace.
    fn crs_dir() -> PathBuf {
        std::env::var_os("WAF_CRS_DIR").map_or_else(
            || PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/crs")),
            PathBuf::from,
        )
    }

    /// The shared corpus directory, beside the CRS.
    fn corpus_dir() -> PathBuf {
        crs_dir().join("../corpus")
    }

    /// Whether the CRS is there; if not, fails under CI and says so otherwise.
    fn crs_present() -> bool {
        let present = crs_dir().join("rules").is_dir();
        if !present {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "the OWASP CRS is missing at {} (set WAF_CRS_DIR)",
                crs_dir().display()
            );
            eprintln!(
                "skipped: the OWASP CRS is missing at {} (set WAF_CRS_DIR)",
                crs_dir().display()
            );
        }
        present
    }

    fn files(dir: PathBuf, extension: &str) -> Vec<PathBuf> {
        let mut out = Vec::new();
        let mut todo = vec![dir];
        while let Some(dir) = todo.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                if path.is_dir() {
                    todo.push(path);
                } else if path.extension().is_some_and(|e| e == extension) {
                    out.push(path);
                }
            }
        }
        out.sort();
        out
    }

    /// Every distinct `@rx` argument of `rules/*.conf`.
    fn crs_patterns() -> BTreeSet<String> {
        let mut patterns = BTreeSet::new();
        for path in files(crs_dir().join("rules"), "conf") {
            let text = std::fs::read_to_string(&path).unwrap();
            let file = waf_rules::seclang::parse(&path.to_string_lossy(), &text).unwrap();
            for rule in file.rules() {
                if rule.operator.name.eq_ignore_ascii_case("rx") {
                    patterns.insert(rule.operator.argument.clone());
                }
            }
        }
        patterns
    }

    /// The CRS patterns that compile (some need macro expansion, which is refused).
    fn compiled() -> Vec<(String, Rx)> {
        crs_patterns()
            .into_iter()
            .filter_map(|pattern| match Operator::compile("rx", &pattern) {
                Ok(Operator::Rx(rx)) => Some((pattern, rx)),
                _ => None,
            })
            .collect()
    }

    fn hex(b: u8) -> Option<u8> {
        char::from(b)
            .to_digit(16)
            .and_then(|d| u8::try_from(d).ok())
    }

    /// `%XX` decoded and `+` read as a blank; malformed escapes stay.
    fn percent_decode(s: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(s.len());
        let mut i = 0;
        while i < s.len() {
            match s[i] {
                b'%' if i + 2 < s.len() => match (hex(s[i + 1]), hex(s[i + 2])) {
                    (Some(h), Some(l)) => {
                        out.push(h << 4 | l);
                        i += 3;
                        continue;
                    }
                    _ => out.push(b'%'),
                },
                b'+' => out.push(b' '),
                b => out.push(b),
            }
            i += 1;
        }
        out
    }

    /// `s`, its decoding, the values of the `name=value` pairs in it, and all of those
    /// lowercased.
    fn add_variants(values: &mut BTreeSet<Vec<u8>>, s: &[u8]) {
        let decoded = percent_decode(s);
        let mut found = vec![s.to_vec(), decoded.clone()];
        for raw in s.split(|&b| b == b'&' || b == b'?') {
            let value = raw.splitn(2, |&b| b == b'=').last().unwrap_or_default();
            found.push(percent_decode(value));
        }
        for value in found {
            values.insert(value.to_ascii_lowercase());
            values.insert(value);
        }
    }

    /// A YAML scalar as written after `key: ` or `- `: quoted scalars unescaped (the escapes
    /// the CRS tests use), plain ones as they are.
    fn yaml_scalar(text: &str) -> Vec<u8> {
        let text = text.trim();
        if let Some(inner) = text.strip_prefix('\'').and_then(|t| t.strip_suffix('\'')) {
            return inner.replace("''", "'").into_bytes();
        }
        let Some(inner) = text.strip_prefix('"').and_then(|t| t.strip_suffix('"')) else {
            return text.as_bytes().to_vec();
        };
        let bytes = inner.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] != b'\\' || i + 1 == bytes.len() {
                out.push(bytes[i]);
                i += 1;
                continue;
            }
            i += 2;
            match bytes[i - 1] {
                b'n' => out.push(b'\n'),
                b'r' => out.push(b'\r'),
                b't' => out.push(b'\t'),
                b'0' => out.push(0),
                b'x' if i + 2 <= bytes.len() => {
                    match (hex(bytes[i]), hex(bytes[i + 1])) {
                        (Some(h), Some(l)) => out.push(h << 4 | l),
                        _ => out.extend_from_slice(b"\\x"),
                    }
                    i += 2;
                }
                b'u' if i + 4 <= bytes.len() => {
                    let code = std::str::from_utf8(&bytes[i..i + 4])
                        .ok()
                        .and_then(|h| u32::from_str_radix(h, 16).ok())
                        .and_then(char::from_u32)
                        .unwrap_or('?');
                    out.extend_from_slice(code.to_string().as_bytes());
                    i += 4;
                }
                other => out.push(other),
            }
        }
        out
    }

    /// Every scalar of the CRS regression tests (block scalars joined by newlines), with
    /// the variants of [`add_variants`].
    fn regression_values(values: &mut BTreeSet<Vec<u8>>) {
        for path in files(crs_dir().join("tests/regression/tests"), "yaml") {
            let text = std::fs::read_to_string(&path).unwrap();
            let lines: Vec<&str> = text.lines().collect();
            let mut i = 0;
            while i < lines.len() {
                let line = lines[i];
                i += 1;
                let indent = line.len() - line.trim_start().len();
                let item = line.trim_start().trim_start_matches("- ");
                let scalar = item.split_once(": ").map_or(item, |(_, v)| v);
                if matches!(scalar.trim(), "|" | "|-" | ">" | ">-" | "|+") {
                    let mut block = Vec::new();
                    while i < lines.len()
                        && (lines[i].trim().is_empty()
                            || lines[i].len() - lines[i].trim_start().len() > indent)
                    {
                        block.push(lines[i].trim());
                        i += 1;
                    }
                    add_variants(values, block.join("\n").as_bytes());
                } else {
                    add_variants(values, &yaml_scalar(scalar));
                }
            }
        }
    }

    /// The URI, header values and body of every request of a corpus file, with the
    /// variants of [`add_variants`].
    fn corpus_values(values: &mut BTreeSet<Vec<u8>>, file: &str) {
        let Ok(text) = std::fs::read_to_string(corpus_dir().join(file)) else {
            eprintln!("skipped: no corpus file {file}");
            return;
        };
        for line in text.lines() {
            let Ok(request) = serde_json::from_str::<serde_json::Value>(line) else {
                continue;
            };
            let mut strings = vec![&request["uri"], &request["body"], &request["payload"]];
            if let Some(headers) = request["headers"].as_array() {
                strings.extend(headers.iter().map(|h| &h[1]));
            }
            for s in strings.into_iter().filter_map(serde_json::Value::as_str) {
                add_variants(values, s.as_bytes());
            }
        }
    }

    /// Checks every compiled CRS pattern against `values`; the report says what was
    /// compared.
    fn check(values: &BTreeSet<Vec<u8>>) {
        let patterns = compiled();
        let with_literals = patterns
            .iter()
            .filter(|(_, rx)| rx.prefilter.as_ref().is_some_and(|p| p.has_literals()))
            .count();
        let filtered: Vec<_> = patterns
            .iter()
            .filter(|(_, rx)| rx.prefilter.is_some())
            .collect();
        let (mut compared, mut ruled_out) = (0usize, 0usize);
        let mut analysed = 0usize;
        for (pattern, rx) in &patterns {
            // Every literal set the analysis finds, also those not used for speed.
            let Some(unrestricted) = Prefilter::unrestricted(rx.re.as_str()) else {
                continue;
            };
            analysed += usize::from(unrestricted.has_literals());
            for value in values {
                compared += 1;
                if !unrestricted.may_match(value) {
                    ruled_out += 1;
                    assert!(
                        !rx.re.is_match(value),
                        "{pattern:?} matches {:?} but its literals are missing",
                        String::from_utf8_lossy(value)
                    );
                }
            }
        }
        for (pattern, rx) in &filtered {
            for value in values {
                // Searches from the start (`find`) and from inside the value (`read_at`,
                // as `@verify…` does). Where the prefilter lets a value through the
                // results are the regex's own; where it says no, the regex must too
                // (asked the cheapest way: it matches at or after `start` exactly when
                // `read_at_unfiltered` finds something).
                for start in [0, value.len() / 2] {
                    compared += 1;
                    if rx.may_match(value, start) {
                        continue;
                    }
                    ruled_out += 1;
                    assert!(
                        !rx.re.is_match_at(value, start),
                        "{pattern:?} matches {:?} from {start} but was ruled out",
                        String::from_utf8_lossy(value)
                    );
                }
            }
        }
        eprintln!(
            "{} CRS @rx patterns, {} compile: {} with a prefilter, {with_literals} of them \
             searching for literals ({analysed} with a literal set before the choice of what \
             pays); {} values; {compared} (pattern, value, start) searches compared, \
             {ruled_out} ruled out by a prefilter and confirmed by the regex",
            crs_patterns().len(),
            patterns.len(),
            filtered.len(),
            values.len(),
        );
        assert!(
            with_literals > 10 && analysed > 150,
            "{with_literals} {analysed}"
        );
        assert!(ruled_out > 0);
    }

    #[test]
    fn never_rules_out_a_match() {
        if !crs_present() {
            return;
        }
        let mut values = BTreeSet::new();
        regression_values(&mut values);
        check(&values);
    }

    /// Also every request of the development corpus: minutes in a debug build.
    #[test]
    #[ignore = "slow; run with --release -- --ignored"]
    fn never_rules_out_a_match_in_the_corpus() {
        if !crs_present() {
            return;
        }
        let mut values = BTreeSet::new();
        regression_values(&mut values);
        corpus_values(&mut values, "dev-attacks.jsonl");
        corpus_values(&mut values, "dev-benign.jsonl");
        check(&values);
    }

    /// A throwaway measurement, not a test: every compiled CRS pattern over the field
    /// values of the benign development corpus, with and without the prefilter. Each
    /// pattern's time is the best of a few alternating rounds, so that load from elsewhere
    /// on the machine counts against neither.
    #[test]
    #[ignore = "a timing; run with --release -- --ignored --nocapture"]
    fn timing() {
        use std::time::{Duration, Instant};
        if !crs_present() {
            return;
        }
        let patterns = compiled();
        let mut values = BTreeSet::new();
        corpus_values(&mut values, "dev-benign.jsonl");
        let values: Vec<Vec<u8>> = values.into_iter().collect();
        let bytes: usize = values.iter().map(Vec::len).sum();
        let mut rows = Vec::new();
        let (mut total_without, mut total_with) = (Duration::ZERO, Duration::ZERO);
        for (pattern, rx) in &patterns {
            let mut best = [Duration::MAX; 2];
            let mut matches = [0usize; 2];
            for _ in 0..3 {
                for (i, filtered) in [false, true].into_iter().enumerate() {
                    let started = Instant::now();
                    matches[i] = values
                        .iter()
                        .filter(|v| {
                            if filtered {
                                rx.find(v).is_some()
                            } else {
                                rx.find_unfiltered(v).is_some()
                            }
                        })
                        .count();
                    best[i] = best[i].min(started.elapsed());
                }
            }
            assert_eq!(matches[0], matches[1], "{pattern}");
            total_without += best[0];
            total_with += best[1];
            rows.push((best[0].as_secs_f64() - best[1].as_secs_f64(), best, pattern));
        }
        rows.sort_by(|a, b| a.0.total_cmp(&b.0));
        for (_, [without, with], pattern) in rows.iter().take(8).chain(rows.iter().rev().take(8)) {
            let shown: String = pattern.chars().take(70).collect();
            eprintln!("{without:>10.2?} -> {with:>10.2?}  {shown}");
        }
        rows.sort_by_key(|r| std::cmp::Reverse(r.1[1]));
        eprintln!("slowest with the prefilter:");
        for (_, [without, with], pattern) in rows.iter().take(25) {
            let shown: String = pattern.chars().take(70).collect();
            eprintln!("{without:>10.2?} -> {with:>10.2?}  {shown}");
        }
        eprintln!(
            "{} patterns x {} values ({bytes} bytes): without prefilter {total_without:?}, \
             with {total_with:?}; {} patterns faster, {} slower",
            patterns.len(),
            values.len(),
            rows.iter().filter(|r| r.0 > 0.0).count(),
            rows.iter().filter(|r| r.0 < 0.0).count(),
        );
    }
}
