//! Skipping rules without running them: one search per value for the literals of every
//! rule that reads it through the same transformations.
//!
//! Most `@rx` patterns of a rule set such as the CRS cannot match unless the value holds
//! one of a few literals (`union`, `<script`, `/etc/`, …; see the operator's
//! [`required_literals`](crate::operator::Operator::required_literals)). Rather than
//! let each of a few hundred regexes look for its own, the rule set builds, for each
//! transformation chain, one Aho-Corasick automaton over the literals of all the rules
//! that use the chain. A transaction searches each transformed value once (the result
//! is cached with the transformation) and a rule whose literals did not occur is
//! skipped for that value. Only rules whose match needs a literal take part: negated
//! and `multiMatch` rules always run.

use super::{Rule, RuleOperator};
use aho_corasick::{AhoCorasick, MatchKind};

/// The literal automata of a rule set, by transformation chain.
#[derive(Debug, Clone, Default)]
pub(crate) struct LiteralIndex {
    chains: Vec<Option<ChainLiterals>>,
}

#[derive(Debug, Clone)]
struct ChainLiterals {
    automaton: AhoCorasick,
    /// The slot (bit) of the rule each pattern belongs to.
    slot_of_pattern: Vec<usize>,
    /// Slots in use.
    slots: usize,
}

/// The slots of the rules whose literals occur in one value.
pub(crate) type Hits = Vec<u64>;

impl LiteralIndex {
    /// Gives every rule (chain links included) that can take part a slot in its
    /// transformation chain's automaton; `chains` is the number of chains.
    pub fn build<'r>(rules: impl Iterator<Item = &'r mut Rule>, chains: usize) -> Self {
        let mut patterns: Vec<Vec<(Vec<u8>, usize)>> = vec![Vec::new(); chains];
        let mut slots = vec![0usize; chains];
        for head in rules {
            let mut link = Some(head);
            while let Some(rule) = link {
                let literals = match &rule.operator {
                    RuleOperator::Compiled(op) if !rule.negated && !rule.multi_match => {
                        op.required_literals()
                    }
                    _ => None,
                };
                if let Some(literals) = literals {
                    let chain = rule.transform_chain;
                    let slot = slots[chain];
                    slots[chain] += 1;
                    rule.literal_slot = Some(slot);
                    patterns[chain].extend(literals.iter().map(|l| (l.clone(), slot)));
                }
                link = rule.chain.as_deref_mut();
            }
        }
        let chains = patterns
            .into_iter()
            .zip(slots)
            .map(|(patterns, slots)| {
                if patterns.is_empty() {
                    return None;
                }
                // Literals are lowercased; searching ignoring ASCII case finds every
                // place a case-sensitive pattern could match too (a superset is safe).
                let automaton = AhoCorasick::builder()
                    .ascii_case_insensitive(true)
                    .match_kind(MatchKind::Standard)
                    .build(patterns.iter().map(|(literal, _)| literal))
                    .ok()?;
                Some(ChainLiterals {
                    automaton,
                    slot_of_pattern: patterns.iter().map(|&(_, slot)| slot).collect(),
                    slots,
                })
            })
            .collect();
        Self { chains }
    }

    /// The rules of `chain` whose literals occur in `value` (a transformed value).
    pub fn hits(&self, chain: usize, value: &[u8]) -> Hits {
        let Some(Some(literals)) = self.chains.get(chain) else {
            return Hits::new();
        };
        let mut hits = vec![0u64; literals.slots.div_ceil(64)];
        for found in literals.automaton.find_overlapping_iter(value) {
            let slot = literals.slot_of_pattern[found.pattern().as_usize()];
            hits[slot / 64] |= 1 << (slot % 64);
        }
        hits
    }
}

/// Whether `slot` is among `hits`.
pub(crate) fn contains(hits: &Hits, slot: usize) -> bool {
    hits.get(slot / 64)
        .is_some_and(|word| word & (1 << (slot % 64)) != 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rule::RuleSet;

    #[test]
    fn rules_are_skipped_only_when_none_of_their_literals_occur() {
        let text = r#"
SecRule ARGS "@rx (?i)union\s+select" "id:1,phase:2,pass,t:lowercase"
SecRule ARGS "@rx <script" "id:2,phase:2,pass,t:lowercase"
SecRule ARGS "!@rx <script" "id:3,phase:2,pass,t:lowercase"
SecRule ARGS "@rx ^\d+$" "id:4,phase:2,pass,t:lowercase"
"#;
        let set = RuleSet::from_seclang("t", &waf_rules::seclang::parse("t.conf", text).unwrap())
            .unwrap();
        let slot = |id: u32| {
            set.rules()
                .iter()
                .find(|r| r.id == id)
                .unwrap()
                .literal_slot
        };
        assert!(slot(1).is_some() && slot(2).is_some());
        assert_eq!(slot(3), None, "negated rules always run");
        assert_eq!(slot(4), None, "no literal is required");
        let chain = set.rules()[0].transform_chain;
        let hits = set.literal_index().hits(chain, b"1 UNION select <SCRIPT>");
        assert!(contains(&hits, slot(1).unwrap()) && contains(&hits, slot(2).unwrap()));
        let hits = set.literal_index().hits(chain, b"harmless");
        assert!(!contains(&hits, slot(1).unwrap()) && !contains(&hits, slot(2).unwrap()));
    }
}
