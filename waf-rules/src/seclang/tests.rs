use super::*;

fn rule(text: &str) -> SecRule {
    let file = parse("t.conf", text).unwrap_or_else(|e| panic!("{text}: {e}"));
    file.rules().next().expect("one rule").clone()
}

#[test]
fn operators() {
    // (operator text, negated, name, argument)
    let cases = [
        (r#""@rx ^a b$""#, false, "rx", "^a b$"),
        (r#""!@streq GET""#, true, "streq", "GET"),
        (r#""@unconditionalMatch""#, false, "unconditionalMatch", ""),
        (r#""^bare regex""#, false, "rx", "^bare regex"),
        (r#""!bare""#, true, "rx", "bare"),
        (r#""@rx a\"b""#, false, "rx", "a\"b"),
        (r#""@rx \d+\s""#, false, "rx", r"\d+\s"),
    ];
    for (text, negated, name, argument) in cases {
        let r = rule(&format!("SecRule ARGS {text} \"id:1\""));
        assert_eq!(
            (
                r.operator.negated,
                r.operator.name.as_str(),
                r.operator.argument.as_str()
            ),
            (negated, name, argument),
            "{text}"
        );
    }
}

#[test]
fn variables() {
    let r = rule(
        r#"SecRule ARGS|!ARGS:id|&REQUEST_HEADERS:Host|REQUEST_COOKIES:/^s|x/|tx:'a.b'|XML:/*|XML://@* "@rx x" "id:1""#,
    );
    let got: Vec<_> = r
        .variables
        .iter()
        .map(|v| {
            (
                v.exclude,
                v.count,
                v.collection.as_str(),
                v.selector.clone(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (false, false, "ARGS", None),
            (true, false, "ARGS", Some(Selector::Key("id".into()))),
            (
                false,
                true,
                "REQUEST_HEADERS",
                Some(Selector::Key("Host".into()))
            ),
            (
                false,
                false,
                "REQUEST_COOKIES",
                Some(Selector::Regex("^s|x".into()))
            ),
            (false, false, "TX", Some(Selector::Key("a.b".into()))),
            (false, false, "XML", Some(Selector::Key("/*".into()))),
            (false, false, "XML", Some(Selector::Key("//@*".into()))),
        ]
    );
}

#[test]
fn actions_with_quotes_and_commas() {
    let r =
        rule(r#"SecRule ARGS "@rx x" "id:7, phase:2,msg:'a, b \'c\'',t:none,t:lowercase,deny""#);
    let got: Vec<_> = r
        .actions
        .iter()
        .map(|a| (a.name.as_str(), a.value.as_deref()))
        .collect();
    assert_eq!(
        got,
        [
            ("id", Some("7")),
            ("phase", Some("2")),
            ("msg", Some("a, b 'c'")),
            ("t", Some("none")),
            ("t", Some("lowercase")),
            ("deny", None),
        ]
    );
}

#[test]
fn continuation_lines_and_comments() {
    let text = "# a comment\n\nSecRule ARGS \"@rx x\" \\\n    \"id:5,\\\n    deny\"\n  # another\nSecMarker END\n";
    let file = parse("t.conf", text).unwrap();
    assert_eq!(file.directives.len(), 2);
    assert_eq!(file.directives[0].0.line, 3);
    assert_eq!(file.directives[1].0.line, 7);
    assert_eq!(file.directives[1].1, Directive::Marker("END".into()));
    let Directive::Rule(r) = &file.directives[0].1 else {
        panic!("not a rule")
    };
    assert_eq!(r.action("deny"), Some(""));
}

#[test]
fn errors_name_file_and_line() {
    let cases = [
        ("SecRule ARGS \"@rx x", 1, "unterminated"),
        ("\n\nSecFoo bar", 3, "unsupported directive SecFoo"),
        ("SecRule ARGS", 1, "takes 2 to 3"),
        ("SecRule ARGS:/x \"@rx a\"", 1, "unterminated regex"),
        ("SecRule A%B \"@rx a\"", 1, "bad variable name"),
        (
            "SecRule ARGS \"@rx a\" \"id:'1\"",
            1,
            "unterminated single-quoted",
        ),
        ("SecRule ARGS \"@rx a\" \"id:1 deny\"", 1, ""),
        ("SecRuleEngine Maybe", 1, "unknown mode"),
        ("SecRule ARGS \"@\" \"id:1\"", 1, "operator name missing"),
    ];
    for (text, line, needle) in cases {
        match parse("bad.conf", text) {
            Err(e) => {
                assert_eq!((e.file(), e.line()), ("bad.conf", line), "{text}");
                assert!(e.message().contains(needle), "{text}: {e}");
            }
            // `id:1 deny` is one action whose value is `1 deny`, as ModSecurity reads it.
            Ok(_) if needle.is_empty() => {}
            Ok(f) => panic!("{text} parsed: {f:?}"),
        }
    }
}

#[test]
fn never_panics_on_odd_input() {
    let inputs = [
        "",
        "\\",
        "\"",
        "SecRule \"\" \"\" \"\"",
        "SecRule | \"@rx\"",
        "SecAction ,,,",
        "SecRule ARGS:'' x",
        "SecRule !& x",
        "\u{0}\u{ffff}",
        "SecRule ARGS \"@rx é\" \"msg:'é\"",
    ];
    for input in inputs {
        let _ = parse("odd.conf", input);
    }
}
