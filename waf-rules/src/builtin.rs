//! The built-in default rule set, written in SecLang and embedded in the binary.
//!
//! It is what `Waf::default()` loads: enough to stop common injection, traversal and
//! scanner traffic with no configuration. Its rule ids live in the 100000–199999 range,
//! away from the OWASP CRS ids.

/// Where the built-in rules say they come from, in verdicts and logs.
pub const SOURCE: &str = "builtin";

/// The text of the built-in rule file (`rules/builtin.conf` in this crate).
pub const RULES: &str = include_str!("../rules/builtin.conf");

/// Parses the built-in rule file.
///
/// ```
/// let file = waf_rules::builtin::parse();
/// assert!(file.rules().count() > 5);
/// ```
pub fn parse() -> crate::seclang::RuleFile {
    // The file is part of this crate and covered by its tests, so a parse failure is a
    // build defect, not a run-time condition.
    crate::seclang::parse("builtin.conf", RULES).expect("the built-in rule file parses")
}

#[cfg(test)]
mod tests {
    #[test]
    fn builtin_rules_parse_with_unique_ids() {
        let file = super::parse();
        // Every rule has an id, except the links that follow a `chain` rule.
        let mut ids = Vec::new();
        let mut in_chain = false;
        for rule in file.rules() {
            match (rule.action("id"), in_chain) {
                (Some(id), false) => ids.push(id.to_owned()),
                (None, true) => {}
                (id, _) => panic!("rule {id:?}: id expected only on chain heads"),
            }
            in_chain = rule.action("chain").is_some();
        }
        let n = ids.len();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), n, "duplicate rule id in builtin.conf");
    }
}
