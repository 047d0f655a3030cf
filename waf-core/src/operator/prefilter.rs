//! A cheap test that rules out most values before an `@rx` regex runs.
//!
//! Most of the OWASP CRS's `@rx` patterns match almost no benign value, and almost every
//! one of them can only match text that contains one of a few literal strings (`select`,
//! `<script`, `../`, …). [`Prefilter::new`] reads the rewritten pattern's syntax tree (the
//! same flags as [`super::rx`] compiles it with) and derives such a set: any match of the
//! regex contains at least one of the literals. A value without any of them, or shorter
//! than the shortest possible match, cannot match, and the regex is not run. A pattern for
//! which no selective set exists (`^.*$`, `\d+`, the empty pattern) gets only the length
//! check.
//!
//! The `regex` crate already searches for literals itself where a pattern starts with
//! them, and that search is as fast as this one; an automaton that looks at every byte
//! (many literals, or case-insensitive ones) is no faster than the regex's own. So the
//! literals are searched only where neither holds (see [`Prefilter::new`]). Measured over
//! the CRS's patterns and the field values of the development corpus, that is 18 of 295
//! patterns, some of them 5 times faster (`.*\.ph(?:p\d*|…)\..*$`); 190 have a literal set,
//! and most of the others were slower with it.
//!
//! Soundness is the whole point: the prefilter may let through values the regex then
//! rejects, never the other way round. Every step below only ever widens:
//!
//! - the syntax tree is exact: `(?i)` already became classes such as `[Ss]`. For a pattern
//!   that uses `(?i)` anywhere the analysis runs on ASCII-lowercased bytes and the literals
//!   are then searched in every ASCII case, so `[Ss]` is one byte instead of doubling the
//!   set at every letter (and a case-sensitive part's `UNION` also lets `union` through);
//!   other patterns keep their exact bytes;
//! - a substring of a required literal is itself required, so oversized sets are shrunk
//!   by cutting literals short;
//! - zero-width assertions (`^`, `$`, `\b`, `\z`) match the empty string: requiring a
//!   literal of the bytes a match consumes ignores what they look at, including the bytes
//!   before the start of a search;
//! - the groups that stand for rewritten final lookaheads (see [`super::pcre`]) are taken
//!   to match anything: the regex does consume them, but nothing is gained by relying on
//!   the exact form of the rewriting.

use aho_corasick::AhoCorasick;
use regex_syntax::hir::literal::{ExtractKind, Extractor};
use regex_syntax::hir::{Class, Hir, HirKind};
use std::collections::BTreeSet;

/// Literals are at least this long: a set holding a single byte lets too much through to
/// be worth its search.
const MIN_LITERAL: usize = 2;
/// At most this many literals in any set the analysis carries; larger sets are shrunk
/// (see [`shrink`]) or dropped.
const MAX_SET: usize = 64;
/// A set more likely than this (see [`cost`]) to be found in a benign value is not used:
/// measured on the CRS, such sets let most values through.
const MAX_COST: f64 = 0.25;
/// At most this many literals when every ASCII case of a case-insensitive set is spelled
/// out (see [`case_variants`]).
const MAX_VARIANTS: usize = 64;
/// Case variants are cut to no fewer bytes than this.
const MIN_VARIANT: usize = 3;
/// A class of at most this many (lowercased) bytes counts as a set of literals.
const MAX_CLASS: usize = 8;
/// Repetitions are unrolled at most this many times when deriving literals.
const MAX_UNROLL: u32 = 3;
/// The prefix of rewritten lookahead group names (see [`super::pcre`]).
const LOOKAHEAD_GROUP: &str = "__waf_lookahead";

/// The prefilter of one pattern: a shortest match length and, when one was found, a set of
/// literals one of which every match contains.
#[derive(Debug, Clone)]
pub(super) struct Prefilter {
    /// No match is shorter.
    min_len: usize,
    /// Every match contains one of its literals; `None` when the pattern has no selective
    /// set, or searching for it would not pay.
    literals: Option<AhoCorasick>,
    /// The required literals, lowercased, whether or not searching for them alone pays:
    /// a rule set searches the literals of all its rules in one pass.
    required: Option<Vec<Vec<u8>>>,
}

impl Prefilter {
    /// Derives the prefilter of `pattern`, a pattern already rewritten for the `regex`
    /// crate and compiled by [`super::rx`] with the flags used here; `None` when there is
    /// nothing to check (no required literals and an empty match possible).
    pub(super) fn new(pattern: &str) -> Option<Self> {
        Self::build(pattern, true)
    }

    /// [`Prefilter::new`] with every literal set the analysis finds, also where searching
    /// for it does not pay: for testing the analysis.
    #[cfg(test)]
    pub(super) fn unrestricted(pattern: &str) -> Option<Self> {
        Self::build(pattern, false)
    }

    /// With `fast_only`, literal sets are used only where searching for them is faster
    /// than what the `regex` crate does by itself (measured on the CRS: the crate already
    /// searches for literal prefixes, and an automaton over every byte is no faster than
    /// its own).
    fn build(pattern: &str, fast_only: bool) -> Option<Self> {
        let hir = regex_syntax::ParserBuilder::new()
            .unicode(false)
            .utf8(false)
            .dot_matches_new_line(true)
            .multi_line(true)
            .build()
            .parse(pattern)
            .ok()?;
        // `None` means the pattern matches nothing at all; rather than rely on that, check
        // nothing.
        let min_len = hir.properties().minimum_len().unwrap_or(0);
        let fold = case_insensitive(pattern);
        // The analysis is the costly part of loading a rule set: run it once.
        let found = required_literals(&hir, fold);
        let required = found
            .as_ref()
            .map(|set| set.iter().map(|l| l.to_ascii_lowercase()).collect());
        let literals = (!(fast_only && has_prefixes(&hir)))
            .then_some(found)
            .flatten()
            .and_then(|set| {
                // Exact literals are searched fast (one by `memmem`, a few with SIMD); every
                // ASCII case of a few short literals is still a small set. Searching
                // case-insensitively, or for many literals, takes an automaton over every
                // byte.
                let variants = if fold { case_variants(&set) } else { None };
                if fast_only && fold && variants.is_none() {
                    return None;
                }
                let folded = fold && variants.is_none();
                AhoCorasick::builder()
                    .ascii_case_insensitive(folded)
                    .build(variants.unwrap_or(set))
                    .ok()
            });
        (min_len > 0 || required.is_some()).then_some(Self {
            min_len,
            literals,
            required,
        })
    }

    /// Whether the regex may match in `haystack` (the part of the value a match must lie
    /// in); `false` only if it certainly does not.
    pub(super) fn may_match(&self, haystack: &[u8]) -> bool {
        haystack.len() >= self.min_len
            && self
                .literals
                .as_ref()
                .is_none_or(|literals| literals.is_match(haystack))
    }

    /// Literals one of which every match contains, lowercased (to be searched ignoring
    /// ASCII case); `None` when no selective set exists.
    pub(super) fn required(&self) -> Option<&[Vec<u8>]> {
        self.required.as_deref()
    }

    /// Whether a literal set was found (for reports).
    #[cfg(test)]
    pub(super) fn has_literals(&self) -> bool {
        self.literals.is_some()
    }
}

/// Whether every match of `hir` starts with one of a finite set of non-empty literals. The
/// `regex` crate then searches for those itself before it runs any automaton (as fast as
/// a search for the required literals could), so a prefilter would only repeat that work.
/// The extraction is the one the crate makes. A single letter or digit among them (`s` of
/// `(?i)select|sleep`) finds too many places to start at: then the prefilter is worth it.
fn has_prefixes(hir: &Hir) -> bool {
    let mut prefixes = Extractor::new().kind(ExtractKind::Prefix).extract(hir);
    prefixes.optimize_for_prefix_by_preference();
    prefixes.literals().is_some_and(|literals| {
        !literals.is_empty()
            && literals.iter().all(|l| match l.as_bytes() {
                [] => false,
                [b] => !b.is_ascii_alphanumeric(),
                _ => true,
            })
    })
}

/// Every ASCII case of every literal of `set` (lowercase), each cut to its first bytes as far
/// as needed (but not below [`MIN_VARIANT`] bytes) for at most [`MAX_VARIANTS`] strings;
/// `None` if there would be more.
fn case_variants(set: &[Vec<u8>]) -> Option<Vec<Vec<u8>>> {
    let count = |set: &Set| -> usize {
        set.iter()
            .map(|s| 1usize << s.iter().filter(|b| b.is_ascii_lowercase()).count().min(16))
            .sum()
    };
    let longest = set.iter().map(Vec::len).max()?;
    let cut = (MIN_VARIANT..=longest).rev().find_map(|keep| {
        let cut: Set = set
            .iter()
            .map(|s| s[..s.len().min(keep)].to_vec())
            .collect();
        (count(&cut) <= MAX_VARIANTS).then_some(cut)
    })?;
    let mut variants = Vec::new();
    for literal in cut {
        let mut all = vec![Vec::new()];
        for &b in &literal {
            let next = all.iter().flat_map(|prefix: &Vec<u8>| {
                let cases = if b.is_ascii_lowercase() {
                    vec![b, b.to_ascii_uppercase()]
                } else {
                    vec![b]
                };
                cases.into_iter().map(move |c| {
                    let mut s = prefix.clone();
                    s.push(c);
                    s
                })
            });
            all = next.collect();
        }
        variants.extend(all);
    }
    Some(variants)
}

/// Whether `pattern` (as [`super::pcre`] writes it, where every `(` that is not syntax is
/// escaped) turns on case-insensitivity anywhere: `(?i)`, `(?is:`, ….
fn case_insensitive(pattern: &str) -> bool {
    pattern.match_indices("(?").any(|(at, _)| {
        pattern[at + 2..]
            .bytes()
            .take_while(|b| b.is_ascii_alphabetic() || *b == b'-')
            .any(|b| b == b'i')
    })
}

/// Literals one of which every match of `hir` contains, lowercased if `fold` (then they
/// are to be searched ignoring ASCII case); `None` when no set is small and selective
/// enough.
pub(super) fn required_literals(hir: &Hir, fold: bool) -> Option<Vec<Vec<u8>>> {
    let set = Info::of(hir, fold).best()?;
    // An empty set would mean the pattern matches nothing; leave that to the regex. A set
    // most values contain is not worth searching for.
    (!set.is_empty() && cost(&set) <= MAX_COST).then(|| set.into_iter().collect())
}

/// A set of lowercased byte strings.
type Set = BTreeSet<Vec<u8>>;

/// What the analysis knows about the strings a part of the pattern matches (lowercased).
/// `None` in a field means nothing is known.
#[derive(Debug, Clone, Default)]
struct Info {
    /// Every string it can match, when there are few.
    exact: Option<Set>,
    /// Every match starts with one of these.
    prefix: Option<Set>,
    /// Every match ends with one of these.
    suffix: Option<Set>,
    /// Every match contains one of these.
    inner: Option<Set>,
}

impl Info {
    /// Matches exactly the strings of `set`.
    fn exact(set: Set) -> Self {
        Self {
            exact: Some(set),
            ..Self::default()
        }
    }

    /// Matches the empty string only (as far as the bytes consumed go).
    fn empty() -> Self {
        Self::exact(Set::from([Vec::new()]))
    }

    /// What `hir` matches; with `fold`, ASCII-lowercased.
    fn of(hir: &Hir, fold: bool) -> Self {
        let of = |hir: &Hir| Self::of(hir, fold);
        match hir.kind() {
            HirKind::Empty | HirKind::Look(_) => Self::empty(),
            HirKind::Literal(literal) => Self::exact(Set::from([if fold {
                literal.0.to_ascii_lowercase()
            } else {
                literal.0.to_vec()
            }])),
            HirKind::Class(class) => class_bytes(class, fold).map_or_else(Self::default, |bytes| {
                Self::exact(bytes.into_iter().map(|b| vec![b]).collect())
            }),
            HirKind::Capture(capture) => {
                if capture
                    .name
                    .as_deref()
                    .is_some_and(|name| name.starts_with(LOOKAHEAD_GROUP))
                {
                    Self::default()
                } else {
                    of(&capture.sub)
                }
            }
            HirKind::Repetition(rep) => {
                let sub = of(&rep.sub);
                match (rep.min, rep.max) {
                    (_, Some(0)) => Self::empty(),
                    (0, Some(1)) => match sub.exact {
                        // `x?`: x or nothing.
                        Some(mut set) => {
                            set.insert(Vec::new());
                            Self::exact(set)
                        }
                        None => Self::default(),
                    },
                    (0, _) => Self::default(),
                    (min, max) => {
                        // `x{n,m}` with n ≥ 1 starts and ends with `x{k}` for any k ≤ n,
                        // and contains it.
                        let copies = min.min(MAX_UNROLL);
                        let mut info = Self::concat(&vec![sub; copies as usize]);
                        if max != Some(copies) {
                            // Not all of it, but each match starts and ends with it.
                            if let Some(exact) = info.exact.take() {
                                info.prefix = Some(exact.clone());
                                info.suffix = Some(exact);
                            }
                        }
                        info
                    }
                }
            }
            HirKind::Concat(parts) => {
                let infos: Vec<Self> = parts.iter().map(of).collect();
                Self::concat(&infos)
            }
            HirKind::Alternation(branches) => {
                let infos: Vec<Self> = branches.iter().map(of).collect();
                Self::either(&infos)
            }
        }
    }

    /// Every match starts with one of these.
    fn prefixes(&self) -> Option<&Set> {
        self.exact.as_ref().or(self.prefix.as_ref())
    }

    /// Every match ends with one of these.
    fn suffixes(&self) -> Option<&Set> {
        self.exact.as_ref().or(self.suffix.as_ref())
    }

    /// The most selective set every match contains one of.
    fn best(&self) -> Option<Set> {
        [&self.exact, &self.prefix, &self.suffix, &self.inner]
            .into_iter()
            .flatten()
            .min_by(|a, b| cost(a).total_cmp(&cost(b)))
            .map(|set| shrink(set.clone(), Cut::KeepStart))
            .filter(|set| cost(set).is_finite())
    }

    /// `parts` one after the other.
    fn concat(parts: &[Self]) -> Self {
        let exact = parts.iter().try_fold(Set::from([Vec::new()]), |all, part| {
            let set = part.exact.as_ref()?;
            (all.len() * set.len() <= MAX_SET).then(|| cross(&all, set))
        });
        // Exact parts from the left, then the prefixes of the first part that is not.
        let mut prefix = Set::from([Vec::new()]);
        for part in parts {
            match part.prefixes() {
                Some(set) if fits(&prefix, set) => prefix = cross(&prefix, set),
                _ => break,
            }
            if part.exact.is_none() {
                break;
            }
        }
        let mut suffix = Set::from([Vec::new()]);
        for part in parts.iter().rev() {
            match part.suffixes() {
                Some(set) if fits(set, &suffix) => suffix = cross(set, &suffix),
                _ => break,
            }
            if part.exact.is_none() {
                break;
            }
        }
        // Required: what any part requires, or a run of exact parts, with or without the
        // end of the part before it and the start of the part after it.
        let mut candidates: Vec<Set> = parts.iter().filter_map(Self::best).collect();
        let mut at = 0;
        while at < parts.len() {
            let Some(first) = &parts[at].exact else {
                // Two inexact parts meet: an end of one, a start of the other.
                if let (Some(a), Some(b)) = (
                    parts[at].suffix.as_ref(),
                    parts.get(at + 1).and_then(|next| next.prefix.as_ref()),
                ) && fits(a, b)
                {
                    candidates.push(cross(a, b));
                }
                at += 1;
                continue;
            };
            let mut run = first.clone();
            let mut end = at + 1;
            while let Some(set) = parts.get(end).and_then(|p| p.exact.as_ref()) {
                if !fits(&run, set) {
                    break;
                }
                run = cross(&run, set);
                end += 1;
            }
            let before = at.checked_sub(1).and_then(|i| parts[i].suffix.as_ref());
            let after = parts.get(end).and_then(|p| p.prefix.as_ref());
            if let Some(before) = before.filter(|b| fits(b, &run)) {
                let extended = cross(before, &run);
                if let Some(after) = after.filter(|a| fits(&extended, a)) {
                    candidates.push(cross(&extended, after));
                }
                candidates.push(extended);
            }
            if let Some(after) = after.filter(|a| fits(&run, a)) {
                candidates.push(cross(&run, after));
            }
            candidates.push(run);
            at = end;
        }
        let inner = candidates
            .into_iter()
            .map(|set| shrink(set, Cut::KeepStart))
            .min_by(|a, b| cost(a).total_cmp(&cost(b)));
        Self {
            exact,
            prefix: Some(shrink(prefix, Cut::KeepStart)),
            suffix: Some(shrink(suffix, Cut::KeepEnd)),
            inner,
        }
    }

    /// Any one of `branches`.
    fn either(branches: &[Self]) -> Self {
        // The union of one set of each branch; `None` if a branch has none.
        let union = |field: &dyn Fn(&Self) -> Option<Set>| {
            let mut all = Set::new();
            for branch in branches {
                all.extend(field(branch)?);
            }
            Some(all)
        };
        Self {
            exact: union(&|b| b.exact.clone()).filter(|set| set.len() <= MAX_SET),
            prefix: union(&|b| b.prefixes().cloned()).map(|set| shrink(set, Cut::KeepStart)),
            suffix: union(&|b| b.suffixes().cloned()).map(|set| shrink(set, Cut::KeepEnd)),
            inner: union(&Self::best).map(|set| shrink(set, Cut::KeepStart)),
        }
    }
}

/// The bytes of a class (lowercased if `fold`), if there are few.
fn class_bytes(class: &Class, fold: bool) -> Option<BTreeSet<u8>> {
    let ranges: Vec<(u32, u32)> = match class {
        Class::Bytes(class) => class
            .iter()
            .map(|r| (u32::from(r.start()), u32::from(r.end())))
            .collect(),
        Class::Unicode(class) => class
            .iter()
            .map(|r| (u32::from(r.start()), u32::from(r.end())))
            .collect(),
    };
    let mut bytes = BTreeSet::new();
    for (start, end) in ranges {
        // A character beyond ASCII would be several bytes under Unicode rules; give up.
        if (end > 0x7f && matches!(class, Class::Unicode(_))) || end > 0xff {
            return None;
        }
        if end - start >= MAX_CLASS as u32 * 2 {
            return None;
        }
        for c in start..=end {
            let b = u8::try_from(c).ok()?;
            bytes.insert(if fold { b.to_ascii_lowercase() } else { b });
        }
        if bytes.len() > MAX_CLASS {
            return None;
        }
    }
    Some(bytes)
}

/// Which end of a literal survives when a set is shrunk by cutting literals short.
#[derive(Debug, Clone, Copy)]
enum Cut {
    /// Keep the first bytes: right for prefixes (and any required set).
    KeepStart,
    /// Keep the last bytes: right for suffixes.
    KeepEnd,
}

/// Whether every `a` followed by every `b` is few enough strings to build.
fn fits(a: &Set, b: &Set) -> bool {
    a.len().saturating_mul(b.len()) <= MAX_SET * MAX_SET
}

/// Every `a` followed by every `b`.
fn cross(a: &Set, b: &Set) -> Set {
    a.iter()
        .flat_map(|x| {
            b.iter().map(move |y| {
                let mut s = x.clone();
                s.extend_from_slice(y);
                s
            })
        })
        .collect()
}

/// `set` with at most [`MAX_SET`] members: literals are cut to ever shorter lengths (a
/// prefix of a prefix, a suffix of a suffix and any part of a required literal remain
/// valid) until few enough remain; the set is returned unchanged if already small.
fn shrink(set: Set, cut: Cut) -> Set {
    if set.len() <= MAX_SET {
        return set;
    }
    let longest = set.iter().map(Vec::len).max().unwrap_or(0);
    for keep in (1..longest).rev() {
        let shorter: Set = set
            .iter()
            .map(|s| match cut {
                Cut::KeepStart => s[..s.len().min(keep)].to_vec(),
                Cut::KeepEnd => s[s.len().saturating_sub(keep)..].to_vec(),
            })
            .collect();
        if shorter.len() <= MAX_SET {
            return shorter;
        }
    }
    // Even single bytes are too many: only the empty string is certain.
    Set::from([Vec::new()])
}

/// How likely a benign value is to contain one of `set`: the sum over its literals of a
/// rough per-byte frequency product; infinite for sets that cannot serve (too many, or a
/// literal that is too short).
fn cost(set: &Set) -> f64 {
    if set.len() > MAX_SET || set.iter().any(|s| s.len() < MIN_LITERAL) {
        return f64::INFINITY;
    }
    set.iter()
        .map(|s| {
            s.iter()
                .enumerate()
                .map(|(i, &b)| match b {
                    // Beyond a few bytes a literal is rare anyway; counting them fully
                    // would favour many long literals over one shorter one.
                    _ if i >= 4 => 0.9,
                    b' ' => 0.2,
                    b'a'..=b'z' | b'0'..=b'9' => 0.1,
                    b'.' | b'/' | b'-' | b'_' | b'=' | b'&' | b'%' | b',' | b':' => 0.1,
                    _ => 0.03,
                })
                .product::<f64>()
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::Prefilter;
    use crate::operator::pcre;

    /// The literal set derived from PCRE `pattern`, sorted, or `None`.
    fn literals(pattern: &str) -> Option<Vec<String>> {
        let translated = pcre::translate(pattern).unwrap();
        let hir = regex_syntax::ParserBuilder::new()
            .unicode(false)
            .utf8(false)
            .dot_matches_new_line(true)
            .multi_line(true)
            .build()
            .parse(&translated.pattern)
            .unwrap();
        super::required_literals(&hir, super::case_insensitive(&translated.pattern)).map(|set| {
            set.into_iter()
                .map(|s| String::from_utf8_lossy(&s).into_owned())
                .collect()
        })
    }

    #[test]
    fn table() {
        // (pattern, expected literals or none)
        let cases: &[(&str, Option<&[&str]>)] = &[
            ("abc", Some(&["abc"])),
            ("(?i)union\\s+select", Some(&["select"])),
            ("UNION", Some(&["UNION"])),
            ("(?i)UNION", Some(&["union"])),
            ("x(?i:Sel)", Some(&["xsel"])),
            ("a|bc", None),
            ("ab|cd", Some(&["ab", "cd"])),
            ("^.*$", None),
            (r"\d+", None),
            ("", None),
            ("a", None),
            ("x*abc*", Some(&["ab"])),
            ("(?:abc)?def", Some(&["def"])),
            ("(?:abc)*", None),
            ("(?:ab)+", Some(&["ab"])),
            (r"\bselect\b", Some(&["select"])),
            ("[Ss][Ee]L", Some(&["SEL", "SeL", "sEL", "seL"])),
            ("a[bc]d", Some(&["abd", "acd"])),
            (r"<\?(?!xml)", Some(&["<?"])),
            ("x(?=abcdef)", None),
            ("on(?:load|error)=", Some(&["onerror=", "onload="])),
            (r"\.\./", Some(&["../"])),
            ("(?:a|b)(?:c|d)", Some(&["ac", "ad", "bc", "bd"])),
            (r"a.b", None),
            (r"ab.cd", Some(&["ab"])),
            (r"\x00\xff", Some(&["\0\u{fffd}"])),
        ];
        for (pattern, expected) in cases {
            let expected = expected.map(|e| e.iter().map(|s| s.to_string()).collect::<Vec<_>>());
            assert_eq!(literals(pattern), expected, "{pattern}");
        }
    }

    #[test]
    fn large_alternations_are_cut_short() {
        let words: Vec<String> = (0..200).map(|i| format!("w{i:03}xyz")).collect();
        let set = literals(&words.join("|")).unwrap();
        assert!(set.len() <= super::MAX_SET, "{set:?}");
        assert!(set.iter().all(|s| s.len() >= 2), "{set:?}");
    }

    #[test]
    fn checks_length_and_literals() {
        let filter = |p: &str| Prefilter::new(&pcre::translate(p).unwrap().pattern);
        assert!(filter("").is_none());
        assert!(filter(r"\d*").is_none());
        let digits = filter(r"\d{3}").unwrap();
        assert!(!digits.has_literals());
        assert!(!digits.may_match(b"12"));
        assert!(digits.may_match(b"abc"));
        // The regex finds a literal prefix itself: only the length is checked.
        let select = filter(r"(?i)select").unwrap();
        assert!(!select.has_literals());
        assert!(!select.may_match(b"selec"));
        assert!(select.may_match(b"selecx t"));
        // No usable prefix: the required literals are searched, in every ASCII case.
        let inner = filter(r"(?i)[a-z]+=url\(").unwrap();
        assert!(inner.has_literals());
        assert!(inner.may_match(b"x=URL(y"));
        assert!(!inner.may_match(b"x=ur l(y"));
        let exact = filter(r".*Select").unwrap();
        assert!(exact.may_match(b"x Select y"));
        assert!(!exact.may_match(b"x select y"));
        // Unrestricted, as the analysis has it.
        let all = |p: &str| Prefilter::unrestricted(&pcre::translate(p).unwrap().pattern);
        let select = all(r"(?i)select").unwrap();
        assert!(select.may_match(b"x SeLeCt y"));
        assert!(!select.may_match(b"selecx t"));
        let many = all(r"(?i).(?:alpha|bravo|charlie|delta|echo|foxtrot|golf|hotel)").unwrap();
        assert!(many.has_literals());
        assert!(many.may_match(b"x FoXtRoT"));
        // Spelled out in every case, the literals are cut to their first three bytes.
        assert!(many.may_match(b"x fox"));
        assert!(!many.may_match(b"x trot fo"));
    }
}
