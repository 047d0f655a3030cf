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
            // `id:1 deny` is two actions, `id:1` and `deny`, as ModSecurity 2 reads it.
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

fn directive(text: &str) -> Directive {
    let file = parse("t.conf", text).unwrap_or_else(|e| panic!("{text}: {e}"));
    assert_eq!(file.directives.len(), 1, "{text}");
    file.directives.into_iter().next().unwrap().1
}

fn actions_of(text: &str) -> Vec<(String, Option<String>)> {
    let actions = match directive(text) {
        Directive::Rule(rule) => rule.actions,
        Directive::Action(actions) | Directive::DefaultAction(actions) => actions,
        Directive::RuleUpdateActionById { actions, .. } => actions,
        other => panic!("no actions in {other:?}"),
    };
    actions.into_iter().map(|a| (a.name, a.value)).collect()
}

fn pairs(expected: &[(&str, Option<&str>)]) -> Vec<(String, Option<String>)> {
    expected
        .iter()
        .map(|(n, v)| (n.to_string(), v.map(str::to_owned)))
        .collect()
}

/// Operators of real CRS v4 lines: `\"` becomes `"`, every other backslash and every
/// single quote reaches the operator unchanged.
#[test]
fn crs_operators() {
    // (SecRule line as in the CRS, with its action list cut to the id; negated, name, argument)
    let cases: &[(&str, bool, &str, &str)] = &[
        (
            r#"SecRule REQUEST_HEADERS:Content-Type "@rx charset\s*=\s*[\"']?([^;\"'\s]+)" "id:920480""#,
            false,
            "rx",
            r#"charset\s*=\s*["']?([^;"'\s]+)"#,
        ),
        (
            r#"SecRule FILES_NAMES|FILES "@rx ['\";=\x5c]" "id:920120""#,
            false,
            "rx",
            r#"['";=\x5c]"#,
        ),
        (
            r#"SecRule REQUEST_COOKIES|REQUEST_COOKIES_NAMES|ARGS_NAMES|ARGS|XML:/*|XML://@* "@rx ^(?:[^']*'|[^\"]*\"|[^`]*`)[\s\x0b]*;" "id:942510""#,
            false,
            "rx",
            r#"^(?:[^']*'|[^"]*"|[^`]*`)[\s\x0b]*;"#,
        ),
        (
            r#"SecRule ARGS_NAMES|ARGS|XML:/*|XML://@* "@rx \x5c['\"`](?:.*?['\"`])?\s*(?:and|or)\b" "id:942XXX""#,
            false,
            "rx",
            r#"\x5c['"`](?:.*?['"`])?\s*(?:and|or)\b"#,
        ),
        (
            r#"SecRule RESPONSE_BODY "@rx <title>lama's'hell v. [0-9.]+</title>" "id:955220""#,
            false,
            "rx",
            "<title>lama's'hell v. [0-9.]+</title>",
        ),
        (
            r#"SecRule RESPONSE_BODY "@contains <h1 style=\"margin-bottom: 0\">webadmin.php</h1>" "id:955XXX""#,
            false,
            "contains",
            r#"<h1 style="margin-bottom: 0">webadmin.php</h1>"#,
        ),
        (
            r#"SecRule RESPONSE_BODY "@rx ^<html>\r\n<head>\r\n<meta http-equiv=\"Content-Type\" content=\"text/html; charset=gb2312\">" "id:955XXX""#,
            false,
            "rx",
            r#"^<html>\r\n<head>\r\n<meta http-equiv="Content-Type" content="text/html; charset=gb2312">"#,
        ),
        (
            r#"SecRule REQUEST_FILENAME "!@validateByteRange 20,45-47,48-57,65-90,95,97-122" "id:941010""#,
            true,
            "validateByteRange",
            "20,45-47,48-57,65-90,95,97-122",
        ),
        (
            r#"SecRule TX:content_type_charset "!@within %{tx.allowed_request_content_type_charset}" "t:lowercase""#,
            true,
            "within",
            "%{tx.allowed_request_content_type_charset}",
        ),
        (
            r#"SecRule RESPONSE_BODY "!@pmFromFile sql-errors.data" "id:951100""#,
            true,
            "pmFromFile",
            "sql-errors.data",
        ),
        (
            r#"SecRule REQUEST_COOKIES|ARGS_NAMES|ARGS|XML:/*|XML://@* "@detectSQLi" "id:942100""#,
            false,
            "detectSQLi",
            "",
        ),
        (
            r#"SecRule &TX:crs_setup_version "@eq 0" "id:901001""#,
            false,
            "eq",
            "0",
        ),
        (
            r#"SecRule REQUEST_BASENAME "@endsWith .php" "id:1""#,
            false,
            "endsWith",
            ".php",
        ),
        // ModSecurity 2 skips every blank after the name and after `!`.
        (r#"SecRule ARGS "! @rx  a b " "id:1""#, true, "rx", "a b "),
        // Outside the operator, `\\` is one backslash, as Apache reads it.
        (
            r#"SecRule ARGS "@rx C:\\\\Windows" "id:1""#,
            false,
            "rx",
            r"C:\\Windows",
        ),
        (
            r#"SecRule ARGS "@streq a\\b" "id:1""#,
            false,
            "streq",
            r"a\b",
        ),
        (r#"SecRule ARGS '@rx it\'s' "id:1""#, false, "rx", "it's"),
        (r#"SecRule ARGS @rx\\d "id:1""#, false, "rx", ""),
    ];
    for &(text, negated, name, argument) in cases {
        let r = rule(text);
        if text.contains(r"@rx\\d") {
            // An unquoted operator word: `@rx\d` is an operator named `rx\d`.
            assert_eq!(r.operator.name, r"rx\d");
            continue;
        }
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

/// Action lists of real CRS v4 rules come out exactly as written between the quotes.
#[test]
fn crs_actions() {
    type Expected<'a> = &'a [(&'a str, Option<&'a str>)];
    let cases: &[(&str, Expected)] = &[
        (
            concat!(
                "SecRule REQUEST_HEADERS:User-Agent \"@pmFromFile scanners-user-agents.data\" \\\n",
                "    \"id:913100,\\\n",
                "    phase:1,\\\n",
                "    block,\\\n",
                "    capture,\\\n",
                "    t:none,\\\n",
                "    msg:'Found User-Agent associated with security scanner',\\\n",
                "    logdata:'Matched Data: %{TX.0} found within %{MATCHED_VAR_NAME}: %{MATCHED_VAR}',\\\n",
                "    tag:'application-multi',\\\n",
                "    tag:'OWASP_CRS/SCANNER-DETECTION',\\\n",
                "    tag:'capec/1000/118/224/541/310',\\\n",
                "    ver:'OWASP_CRS/4.29.0-dev',\\\n",
                "    severity:'CRITICAL',\\\n",
                "    setvar:'tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}'\"\n",
            ),
            &[
                ("id", Some("913100")),
                ("phase", Some("1")),
                ("block", None),
                ("capture", None),
                ("t", Some("none")),
                (
                    "msg",
                    Some("Found User-Agent associated with security scanner"),
                ),
                (
                    "logdata",
                    Some("Matched Data: %{TX.0} found within %{MATCHED_VAR_NAME}: %{MATCHED_VAR}"),
                ),
                ("tag", Some("application-multi")),
                ("tag", Some("OWASP_CRS/SCANNER-DETECTION")),
                ("tag", Some("capec/1000/118/224/541/310")),
                ("ver", Some("OWASP_CRS/4.29.0-dev")),
                ("severity", Some("CRITICAL")),
                (
                    "setvar",
                    Some("tx.inbound_anomaly_score_pl1=+%{tx.critical_anomaly_score}"),
                ),
            ],
        ),
        (
            r#"SecRule TX:DETECTION_PARANOIA_LEVEL "@lt 2" "id:913013,phase:1,pass,nolog,tag:'OWASP_CRS',ver:'OWASP_CRS/4.29.0-dev',skipAfter:END-REQUEST-913-SCANNER-DETECTION""#,
            &[
                ("id", Some("913013")),
                ("phase", Some("1")),
                ("pass", None),
                ("nolog", None),
                ("tag", Some("OWASP_CRS")),
                ("ver", Some("OWASP_CRS/4.29.0-dev")),
                ("skipafter", Some("END-REQUEST-913-SCANNER-DETECTION")),
            ],
        ),
        (
            r#"SecRule &REQUEST_HEADERS:x-up-devcap-post-charset "@ge 1" "id:920490,msg:'Request header x-up-devcap-post-charset detected in combination with prefix \'UP\' to User-Agent',logdata:'%{MATCHED_VAR_NAME}=%{MATCHED_VAR}'""#,
            &[
                ("id", Some("920490")),
                (
                    "msg",
                    Some(
                        "Request header x-up-devcap-post-charset detected in combination with prefix 'UP' to User-Agent",
                    ),
                ),
                ("logdata", Some("%{MATCHED_VAR_NAME}=%{MATCHED_VAR}")),
            ],
        ),
        (
            r#"SecRule REQUEST_FILENAME "!@validateByteRange 20,45-47" "id:941010,phase:1,pass,t:none,nolog,tag:'OWASP_CRS',ctl:ruleRemoveTargetByTag=xss-perf-disable;REQUEST_FILENAME,ver:'OWASP_CRS/4.29.0-dev'""#,
            &[
                ("id", Some("941010")),
                ("phase", Some("1")),
                ("pass", None),
                ("t", Some("none")),
                ("nolog", None),
                ("tag", Some("OWASP_CRS")),
                (
                    "ctl",
                    Some("ruleRemoveTargetByTag=xss-perf-disable;REQUEST_FILENAME"),
                ),
                ("ver", Some("OWASP_CRS/4.29.0-dev")),
            ],
        ),
        (
            // From REQUEST-900-EXCLUSION-RULES-BEFORE-CRS.conf.example.
            r#"SecRule REQUEST_URI "@beginsWith /index.php" "id:1001,phase:1,pass,nolog,ctl:ruleRemoveTargetById=942100;ARGS:password""#,
            &[
                ("id", Some("1001")),
                ("phase", Some("1")),
                ("pass", None),
                ("nolog", None),
                ("ctl", Some("ruleRemoveTargetById=942100;ARGS:password")),
            ],
        ),
        (
            r#"SecRule REQUEST_HEADERS:Content-Type "@rx x" "id:920480,setvar:'tx.content_type_charset=|%{tx.1}|',chain""#,
            &[
                ("id", Some("920480")),
                ("setvar", Some("tx.content_type_charset=|%{tx.1}|")),
                ("chain", None),
            ],
        ),
        (
            r#"SecAction "id:900990,phase:1,pass,t:none,nolog,tag:'OWASP_CRS',ver:'OWASP_CRS/4.29.0-dev',setvar:tx.crs_setup_version=4290""#,
            &[
                ("id", Some("900990")),
                ("phase", Some("1")),
                ("pass", None),
                ("t", Some("none")),
                ("nolog", None),
                ("tag", Some("OWASP_CRS")),
                ("ver", Some("OWASP_CRS/4.29.0-dev")),
                ("setvar", Some("tx.crs_setup_version=4290")),
            ],
        ),
        (
            r#"SecAction "id:900200,phase:1,pass,t:none,nolog,setvar:'tx.allowed_methods=GET HEAD POST OPTIONS'""#,
            &[
                ("id", Some("900200")),
                ("phase", Some("1")),
                ("pass", None),
                ("t", Some("none")),
                ("nolog", None),
                ("setvar", Some("tx.allowed_methods=GET HEAD POST OPTIONS")),
            ],
        ),
        (
            r#"SecDefaultAction "phase:2,log,auditlog,redirect:'http://%{request_headers.host}/',tag:'Host: %{request_headers.host}'""#,
            &[
                ("phase", Some("2")),
                ("log", None),
                ("auditlog", None),
                ("redirect", Some("http://%{request_headers.host}/")),
                ("tag", Some("Host: %{request_headers.host}")),
            ],
        ),
        (
            r#"SecRuleUpdateActionById 949110 "t:none,redirect:'http://example.com/report_problem'""#,
            &[
                ("t", Some("none")),
                ("redirect", Some("http://example.com/report_problem")),
            ],
        ),
        // ModSecurity 2: blanks and `|` separate actions too; an unquoted value ends at
        // a blank; `\\` in a quoted value is one backslash; a lone backslash is kept.
        (
            r#"SecAction "id:1 deny|log ,, msg:'a\\b\c', t: lowercase,""#,
            &[
                ("id", Some("1")),
                ("deny", None),
                ("log", None),
                ("msg", Some(r"a\b\c")),
                ("t", Some("lowercase")),
            ],
        ),
        (
            r#"SecAction "ID:'2',Phase:2,msg:'',nolog:""#,
            &[
                ("id", Some("2")),
                ("phase", Some("2")),
                ("msg", Some("")),
                ("nolog", Some("")),
            ],
        ),
    ];
    for &(text, expected) in cases {
        assert_eq!(actions_of(text), pairs(expected), "{text}");
    }
}

#[test]
fn directives() {
    let vars = |text: &str| variables::parse(text).unwrap();
    let cases: Vec<(&str, Directive)> = vec![
        (
            r#"SecComponentSignature "OWASP_CRS/4.29.0-dev""#,
            Directive::ComponentSignature("OWASP_CRS/4.29.0-dev".into()),
        ),
        (
            r#"SecMarker "END-REQUEST-920-PROTOCOL-ENFORCEMENT""#,
            Directive::Marker("END-REQUEST-920-PROTOCOL-ENFORCEMENT".into()),
        ),
        (
            "SecRuleEngine DetectionOnly",
            Directive::RuleEngine(EngineMode::DetectionOnly),
        ),
        ("secruleengine on", Directive::RuleEngine(EngineMode::On)),
        (
            "SecRequestBodyAccess On",
            Directive::RequestBodyAccess(OnOff::On),
        ),
        (
            "SecResponseBodyAccess off",
            Directive::ResponseBodyAccess(OnOff::Off),
        ),
        (
            "SecXmlExternalEntity Off",
            Directive::XmlExternalEntity(OnOff::Off),
        ),
        (
            "SecResponseBodyMimeType text/plain text/html \"text/xml\"",
            Directive::ResponseBodyMimeType(vec![
                "text/plain".into(),
                "text/html".into(),
                "text/xml".into(),
            ]),
        ),
        (
            "SecResponseBodyMimeTypesClear",
            Directive::ResponseBodyMimeTypesClear,
        ),
        (
            "SecRequestBodyLimit 13107200",
            Directive::RequestBodyLimit(13_107_200),
        ),
        (
            "SecRequestBodyNoFilesLimit 131072",
            Directive::RequestBodyNoFilesLimit(131_072),
        ),
        (
            "SecRequestBodyInMemoryLimit 131072",
            Directive::RequestBodyInMemoryLimit(131_072),
        ),
        (
            "SecRequestBodyLimitAction Reject",
            Directive::RequestBodyLimitAction(BodyLimitAction::Reject),
        ),
        (
            "SecResponseBodyLimit 524288",
            Directive::ResponseBodyLimit(524_288),
        ),
        (
            "SecResponseBodyLimitAction ProcessPartial",
            Directive::ResponseBodyLimitAction(BodyLimitAction::ProcessPartial),
        ),
        (
            "SecRequestBodyJsonDepthLimit 512",
            Directive::RequestBodyJsonDepthLimit(512),
        ),
        ("SecArgumentsLimit 1000", Directive::ArgumentsLimit(1000)),
        ("SecUploadFileLimit 10", Directive::UploadFileLimit(10)),
        ("SecPcreMatchLimit 1000", Directive::PcreMatchLimit(1000)),
        (
            "SecPcreMatchLimitRecursion 1000",
            Directive::PcreMatchLimitRecursion(1000),
        ),
        ("SecArgumentSeparator &", Directive::ArgumentSeparator(b'&')),
        ("SecArgumentSeparator ;", Directive::ArgumentSeparator(b';')),
        ("SecCookieFormat 0", Directive::CookieFormat(0)),
        (
            "SecUnicodeMapFile unicode.mapping 20127",
            Directive::UnicodeMapFile {
                path: "unicode.mapping".into(),
                code_page: Some(20127),
            },
        ),
        (
            "SecUnicodeCodePage 20127",
            Directive::UnicodeCodePage(20127),
        ),
        (
            "SecCollectionTimeout 600",
            Directive::CollectionTimeout(600),
        ),
        ("SecWebAppId shop", Directive::WebAppId("shop".into())),
        (
            "Include rules/*.conf",
            Directive::Include {
                path: "rules/*.conf".into(),
                optional: false,
            },
        ),
        (
            "IncludeOptional \"/etc/crs4/plugins/*-config.conf\"",
            Directive::Include {
                path: "/etc/crs4/plugins/*-config.conf".into(),
                optional: true,
            },
        ),
        (
            "SecRuleRemoveById 942100",
            Directive::RuleRemoveById(vec![IdRange::single(942_100)]),
        ),
        (
            "SecRuleRemoveById 942100-942199 \"920100,920200-920299\" 1",
            Directive::RuleRemoveById(vec![
                IdRange {
                    first: 942_100,
                    last: 942_199,
                },
                IdRange::single(920_100),
                IdRange {
                    first: 920_200,
                    last: 920_299,
                },
                IdRange::single(1),
            ]),
        ),
        (
            r#"SecRuleRemoveByTag "attack-injection-php""#,
            Directive::RuleRemoveByTag(vec![Pattern::Literal("attack-injection-php".into())]),
        ),
        (
            r#"SecRuleRemoveByTag "OWASP_CRS/.*" paranoia-level/4"#,
            Directive::RuleRemoveByTag(vec![
                Pattern::Regex("OWASP_CRS/.*".into()),
                Pattern::Literal("paranoia-level/4".into()),
            ]),
        ),
        (
            r#"SecRuleRemoveByMsg "SQL Injection Attack Detected via libinjection""#,
            Directive::RuleRemoveByMsg(vec![Pattern::Literal(
                "SQL Injection Attack Detected via libinjection".into(),
            )]),
        ),
        (
            r#"SecRuleUpdateTargetById 932240 "!REQUEST_COOKIES:/^_ga(?:_\w+)?$/""#,
            Directive::RuleUpdateTargetById {
                ids: vec![IdRange::single(932_240)],
                targets: vars(r"!REQUEST_COOKIES:/^_ga(?:_\w+)?$/"),
                replaced: None,
            },
        ),
        (
            "SecRuleUpdateTargetById 930120 !ARGS_NAMES:json.profile",
            Directive::RuleUpdateTargetById {
                ids: vec![IdRange::single(930_120)],
                targets: vars("!ARGS_NAMES:json.profile"),
                replaced: None,
            },
        ),
        (
            "SecRuleUpdateTargetById 958895-958899 REQUEST_FILENAME REQUEST_URI",
            Directive::RuleUpdateTargetById {
                ids: vec![IdRange {
                    first: 958_895,
                    last: 958_899,
                }],
                targets: vars("REQUEST_FILENAME"),
                replaced: Some(vars("REQUEST_URI")),
            },
        ),
        (
            r#"SecRuleUpdateTargetByTag "attack-sqli" "!ARGS:foo""#,
            Directive::RuleUpdateTargetByTag {
                tag: Pattern::Literal("attack-sqli".into()),
                targets: vars("!ARGS:foo"),
                replaced: None,
            },
        ),
        (
            r#"SecRuleUpdateTargetByMsg "System Command Injection" "!ARGS:foo|!ARGS:bar""#,
            Directive::RuleUpdateTargetByMsg {
                msg: Pattern::Literal("System Command Injection".into()),
                targets: vars("!ARGS:foo|!ARGS:bar"),
                replaced: None,
            },
        ),
        (
            r#"SecRuleUpdateActionById 901450 "nolog""#,
            Directive::RuleUpdateActionById {
                id: 901_450,
                chain_offset: None,
                actions: vec![Action {
                    name: "nolog".into(),
                    value: None,
                }],
            },
        ),
        (
            r#"SecRuleUpdateActionById 920480:2 "t:none""#,
            Directive::RuleUpdateActionById {
                id: 920_480,
                chain_offset: Some(2),
                actions: vec![Action {
                    name: "t".into(),
                    value: Some("none".into()),
                }],
            },
        ),
        (
            "SecAuditEngine RelevantOnly",
            Directive::Ignored {
                directive: "SecAuditEngine",
                args: vec!["RelevantOnly".into()],
            },
        ),
        (
            r#"secauditlogrelevantstatus "^(?:5|4(?!04))""#,
            Directive::Ignored {
                directive: "SecAuditLogRelevantStatus",
                args: vec!["^(?:5|4(?!04))".into()],
            },
        ),
        (
            "SecDataDir /tmp/",
            Directive::Ignored {
                directive: "SecDataDir",
                args: vec!["/tmp/".into()],
            },
        ),
    ];
    for (text, expected) in cases {
        let got = directive(text);
        assert_eq!(got, expected, "{text}");
        assert!(
            text.to_ascii_lowercase()
                .starts_with(&got.name().to_ascii_lowercase()),
            "{text}: {}",
            got.name()
        );
    }
    for (name, _) in IGNORED_DIRECTIVES {
        assert_eq!(directive(&format!("{name} x y")).name(), *name);
    }
}

#[test]
fn directive_argument_errors() {
    let cases = [
        ("SecRequestBodyAccess Maybe", "takes On or Off"),
        ("SecRequestBodyLimit 10K", "non-negative decimal number"),
        ("SecRequestBodyLimit -1", "non-negative decimal number"),
        ("SecRequestBodyLimit", "takes 1 argument(s), found 0"),
        ("SecRequestBodyLimitAction Drop", "Reject or ProcessPartial"),
        ("SecRuleRemoveById 942199-942100", "942199 > 942100"),
        ("SecRuleRemoveById abc", "bad rule id"),
        ("SecRuleRemoveById 99999999999", "bad rule id"),
        ("SecRuleRemoveById", "at least 1"),
        ("SecRuleRemoveById \",\"", "no rule id"),
        ("SecRuleUpdateTargetById 1", "takes 2 to 3"),
        (
            "SecRuleUpdateTargetById 1 \"!ARGS:/x\"",
            "unterminated regex",
        ),
        ("SecRuleUpdateActionById 1:0 \"nolog\"", "bad chain offset"),
        ("SecRuleUpdateActionById 1-5 \"nolog\"", "bad rule id"),
        ("SecArgumentSeparator &&", "one character"),
        ("SecCookieFormat 2", "0 or 1"),
        ("SecResponseBodyMimeTypesClear now", "takes 0"),
        ("SecRuleScript /x.lua", "Lua rules are not supported"),
        (
            "<IfModule security2_module>",
            "unsupported directive <IfModule",
        ),
        (
            "SecNoSuchDirective On",
            "unsupported directive SecNoSuchDirective",
        ),
    ];
    for (text, needle) in cases {
        let e = parse("bad.conf", text).expect_err(text);
        assert_eq!((e.file(), e.line()), ("bad.conf", 1), "{text}");
        assert!(e.message().contains(needle), "{text}: {e}");
    }
}

#[test]
fn words_and_lines_as_apache_reads_them() {
    // A comment ending in `\` continues onto the next line, as in Apache.
    let file = parse("t.conf", "# note \\\nSecMarker HIDDEN\nSecMarker SEEN\n").unwrap();
    assert_eq!(file.directives.len(), 1);
    assert_eq!(file.directives[0].0.line, 3);
    // CRLF line ends, a continuation across CRLF, and blank lines that only hold spaces.
    let file = parse("t.conf", "SecMarker \\\r\n A\r\n   \r\n\tSecMarker B\r\n").unwrap();
    let markers: Vec<_> = file.directives.iter().map(|(_, d)| d.clone()).collect();
    assert_eq!(
        markers,
        [Directive::Marker("A".into()), Directive::Marker("B".into())]
    );
    // Quoted and unquoted words.
    let cases = [
        (r#"SecMarker "a b""#, "a b"),
        (r#"SecMarker 'a b'"#, "a b"),
        (r#"SecMarker "a\"b""#, "a\"b"),
        (r#"SecMarker 'a\'b'"#, "a'b"),
        (r#"SecMarker "a\'b""#, r"a\'b"),
        (r#"SecMarker "a\\b""#, r"a\b"),
        (r#"SecMarker a\\b"#, r"a\b"),
        (r#"SecMarker a\b"#, r"a\b"),
        (r#"SecMarker a"b"#, "a\"b"),
        (r#"SecMarker """#, ""),
    ];
    for (text, expected) in cases {
        assert_eq!(
            directive(text),
            Directive::Marker(expected.into()),
            "{text}"
        );
    }
    for (text, needle) in [
        (r#"SecMarker "a"b"#, "white space after a closing quote"),
        (r#"SecMarker 'a"#, "unterminated single-quoted"),
        (r#"SecMarker "a\""#, "unterminated double-quoted"),
    ] {
        let e = parse("t.conf", text).expect_err(text);
        assert!(e.message().contains(needle), "{text}: {e}");
    }
}

#[test]
fn variable_lists() {
    /// (exclude, count, collection, selector)
    type Expected<'a> = &'a [(bool, bool, &'a str, Option<Selector>)];
    let cases: &[(&str, Expected)] = &[
        (
            "REQUEST_COOKIES|!REQUEST_COOKIES:/__utm/|REQUEST_COOKIES_NAMES",
            &[
                (false, false, "REQUEST_COOKIES", None),
                (
                    true,
                    false,
                    "REQUEST_COOKIES",
                    Some(Selector::Regex("__utm".into())),
                ),
                (false, false, "REQUEST_COOKIES_NAMES", None),
            ],
        ),
        (
            "ARGS, ARGS_NAMES | !ARGS:'/^(a|b),c$/'",
            &[
                (false, false, "ARGS", None),
                (false, false, "ARGS_NAMES", None),
                (
                    true,
                    false,
                    "ARGS",
                    Some(Selector::Regex("^(a|b),c$".into())),
                ),
            ],
        ),
        (
            "TX:'it\\'s'|ARGS://|ARGS:it's",
            &[
                (false, false, "TX", Some(Selector::Key("it's".into()))),
                (false, false, "ARGS", Some(Selector::Key("//".into()))),
                (false, false, "ARGS", Some(Selector::Key("it's".into()))),
            ],
        ),
        (
            "REQUEST_HEADERS:/(?:a|b)\\/c/",
            &[(
                false,
                false,
                "REQUEST_HEADERS",
                Some(Selector::Regex("(?:a|b)\\/c".into())),
            )],
        ),
    ];
    for &(text, expected) in cases {
        let got: Vec<_> = variables::parse(text)
            .unwrap_or_else(|e| panic!("{text}: {e}"))
            .into_iter()
            .map(|v| (v.exclude, v.count, v.collection, v.selector))
            .collect();
        let expected: Vec<_> = expected
            .iter()
            .map(|(e, c, n, s)| (*e, *c, n.to_string(), s.clone()))
            .collect();
        assert_eq!(got, expected, "{text}");
    }
    assert!(variables::parse("TX:'open").is_err());
}

/// The configuration users load before the CRS: ModSecurity's
/// `modsecurity.conf-recommended` (v3), with its multi-line quoted message.
#[test]
fn modsecurity_conf_recommended() {
    let text = r#"
SecRuleEngine DetectionOnly
SecRequestBodyAccess On
SecRule REQUEST_HEADERS:Content-Type "^(?:application(?:/soap\+|/)|text/)xml" \
     "id:'200000',phase:1,t:none,t:lowercase,pass,nolog,ctl:requestBodyProcessor=XML"
SecRule REQUEST_HEADERS:Content-Type "^application/json" \
     "id:'200001',phase:1,t:none,t:lowercase,pass,nolog,ctl:requestBodyProcessor=JSON"
SecRequestBodyLimit 13107200
SecRequestBodyNoFilesLimit 131072
SecRequestBodyLimitAction Reject
SecRequestBodyJsonDepthLimit 512
SecArgumentsLimit 1000
SecRule &ARGS "@ge 1000" \
"id:'200007', phase:2,t:none,log,deny,status:400,msg:'Failed to fully parse request body due to large argument count',severity:2"
SecRule REQBODY_ERROR "!@eq 0" \
"id:'200002', phase:2,t:none,log,deny,status:400,msg:'Failed to parse request body.',logdata:'%{reqbody_error_msg}',severity:2"
SecRule MULTIPART_STRICT_ERROR "!@eq 0" \
"id:'200003',phase:2,t:none,log,deny,status:400, \
msg:'Multipart request body failed strict validation: \
PE %{REQBODY_PROCESSOR_ERROR}, \
BQ %{MULTIPART_BOUNDARY_QUOTED}, \
IH %{MULTIPART_FILE_LIMIT_EXCEEDED}'"
SecRule MULTIPART_UNMATCHED_BOUNDARY "@eq 1" \
    "id:'200004',phase:2,t:none,log,deny,msg:'Multipart parser detected a possible unmatched boundary.'"
SecPcreMatchLimit 1000
SecPcreMatchLimitRecursion 1000
SecRule TX:/^MSC_/ "!@streq 0" \
        "id:'200005',phase:2,t:none,deny,msg:'ModSecurity internal error flagged: %{MATCHED_VAR_NAME}'"
SecResponseBodyAccess On
SecResponseBodyMimeType text/plain text/html text/xml
SecResponseBodyLimit 524288
SecResponseBodyLimitAction ProcessPartial
SecTmpDir /tmp/
SecDataDir /tmp/
#SecUploadDir /opt/modsecurity/var/upload/
#SecUploadKeepFiles RelevantOnly
#SecUploadFileMode 0600
#SecDebugLog /opt/modsecurity/var/log/debug.log
#SecDebugLogLevel 3
SecAuditEngine RelevantOnly
SecAuditLogRelevantStatus "^(?:5|4(?!04))"
SecAuditLogParts ABIJDEFHZ
SecAuditLogType Serial
SecAuditLog /var/log/modsec_audit.log
SecArgumentSeparator &
SecCookieFormat 0
SecUnicodeMapFile unicode.mapping 20127
SecStatusEngine On
"#;
    let file = parse("modsecurity.conf", text).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(file.directives.len(), 31);
    assert_eq!(file.rules().count(), 7);
    let multipart = file
        .rules()
        .find(|r| r.action("id") == Some("200003"))
        .unwrap();
    assert_eq!(
        multipart.action("msg"),
        Some(
            "Multipart request body failed strict validation: PE %{REQBODY_PROCESSOR_ERROR}, \
             BQ %{MULTIPART_BOUNDARY_QUOTED}, IH %{MULTIPART_FILE_LIMIT_EXCEEDED}"
        )
    );
    let msc = file
        .rules()
        .find(|r| r.action("id") == Some("200005"))
        .unwrap();
    assert_eq!(
        msc.variables[0].selector,
        Some(Selector::Regex("^MSC_".into()))
    );
    let ignored = file
        .directives
        .iter()
        .filter(|(_, d)| matches!(d, Directive::Ignored { .. }))
        .count();
    assert_eq!(ignored, 8);
}

mod properties {
    use super::super::{actions, parse, variables};
    use proptest::prelude::*;

    /// Text made of the characters SecLang syntax is made of, where the parser's
    /// branches are.
    fn seclang_text() -> impl Strategy<Value = String> {
        let pieces = prop::sample::select(vec![
            "SecRule ",
            "SecAction ",
            "SecRuleRemoveById ",
            "SecRuleUpdateTargetById ",
            "SecRuleUpdateActionById ",
            "Include ",
            "SecRequestBodyLimit ",
            "SecAuditEngine ",
            "ARGS",
            "!",
            "&",
            ":",
            "|",
            ",",
            "/",
            "'",
            "\"",
            "\\",
            "\\\n",
            "\n",
            "#",
            " ",
            "\t",
            "@rx ",
            "@pmFromFile ",
            "id:",
            "msg:'",
            "t:none",
            "-",
            "1",
            "942100",
            "é",
            "\r\n",
            "XML:/*",
            "=",
            ";",
            "%{tx.1}",
            "[",
            "]",
            "*",
        ]);
        prop::collection::vec(pieces, 0..40).prop_map(|p| p.concat())
    }

    proptest! {
        #[test]
        fn parse_never_panics(text in seclang_text()) {
            let _ = parse("p.conf", &text);
            let _ = actions::parse(&text);
            let _ = variables::parse(&text);
        }

        #[test]
        fn parse_never_panics_on_any_string(text in ".*") {
            let _ = parse("p.conf", &text);
        }

        /// Every error names the file and a line of the input.
        #[test]
        fn errors_point_into_the_input(text in seclang_text()) {
            if let Err(e) = parse("p.conf", &text) {
                prop_assert_eq!(e.file(), "p.conf");
                prop_assert!(e.line() >= 1 && e.line() <= text.split('\n').count());
            }
        }
    }
}
