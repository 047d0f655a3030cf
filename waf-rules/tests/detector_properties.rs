//! Properties every detector keeps on any input: no panic, a confidence in [0, 1], a
//! fragment within bounds. Inputs are arbitrary bytes, and strings built from the
//! characters attacks are made of, where the detectors' scanners do the most work.

use proptest::prelude::*;
use waf_rules::detect::{Kind, MAX_FRAGMENT};

fn check(input: &[u8]) -> Result<(), TestCaseError> {
    for kind in Kind::ALL {
        if let Some(d) = kind.detect(input) {
            prop_assert!(
                (0.0..=1.0).contains(&d.confidence),
                "{kind:?}: {}",
                d.confidence
            );
            prop_assert!(
                d.confidence >= 0.5,
                "{kind:?}: Some below 0.5: {}",
                d.confidence
            );
            prop_assert!(
                d.fragment.len() <= MAX_FRAGMENT,
                "{kind:?}: fragment {}",
                d.fragment.len()
            );
        }
    }
    Ok(())
}

/// Tokens attacks are made of: quotes, brackets, separators, escapes, keywords.
fn tricky() -> impl Strategy<Value = Vec<u8>> {
    let pieces = prop::sample::select(vec![
        "'",
        "\"",
        "`",
        "<",
        ">",
        "(",
        ")",
        "{",
        "}",
        "[",
        "]",
        "%",
        "$",
        "\\",
        "/",
        ";",
        "|",
        "&",
        "#",
        "-",
        "*",
        "=",
        ":",
        "!",
        "@",
        "\n",
        "\r",
        "\0",
        " ",
        "\t",
        "..",
        "%00",
        "%2e",
        "%c0%ae",
        "&#x3c;",
        "\\u0027",
        "0x7f",
        "select",
        "union",
        "or",
        "and",
        "script",
        "on",
        "svg",
        "onload",
        "javascript",
        "jndi",
        "ldap",
        "${",
        "{{",
        "}}",
        "<!--",
        "-->",
        "$ne",
        "__proto__",
        "cat",
        "/etc/passwd",
        "http://",
        "127.0.0.1",
        "é",
        "\u{ff1c}",
        "\u{fffd}",
    ]);
    prop::collection::vec(pieces, 0..64).prop_map(|p| p.concat().into_bytes())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_bytes(input in prop::collection::vec(any::<u8>(), 0..2048)) {
        check(&input)?;
    }

    #[test]
    fn attack_alphabet(input in tricky()) {
        check(&input)?;
    }
}
