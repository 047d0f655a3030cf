//! The whole OWASP CRS through the SecLang front end and the loader.
//!
//! The CRS is read from `$WAF_CRS_DIR`, by default the snapshot next to the workspace
//! (`../../shared/crs` from this crate). Without it the tests print a notice and pass,
//! unless `CI=true`, where a missing CRS is a failure.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;
use waf_rules::load::{self, RuleSource};
use waf_rules::seclang::{self, Directive, IdRange, SecRule};

fn crs_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("WAF_CRS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/crs")));
    if dir.join("rules").is_dir() {
        return Some(dir);
    }
    let ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
    assert!(
        !ci,
        "CI=true but there is no OWASP CRS at {} (set WAF_CRS_DIR)",
        dir.display()
    );
    eprintln!(
        "skipped: no OWASP CRS at {} (set WAF_CRS_DIR to run these tests)",
        dir.display()
    );
    None
}

fn load(dir: &Path) -> RuleSource {
    load::load_crs(dir).unwrap_or_else(|e| panic!("the CRS does not load: {e}"))
}

fn rule<'a>(source: &'a RuleSource, id: &str) -> &'a SecRule {
    source
        .rules
        .rules()
        .find(|r| r.action("id") == Some(id))
        .unwrap_or_else(|| panic!("no rule {id}"))
}

#[derive(Default)]
struct Counts {
    rules: usize,
    actions: usize,
    directives: usize,
}

#[test]
fn the_whole_crs_loads() {
    let Some(dir) = crs_dir() else { return };
    let started = Instant::now();
    let source = load(&dir);
    let elapsed = started.elapsed();

    // Per-file counts, from each directive's location.
    let mut per_file: BTreeMap<&str, Counts> = BTreeMap::new();
    for (at, directive) in &source.rules.directives {
        let counts = per_file.entry(&at.file).or_default();
        counts.directives += 1;
        match directive {
            Directive::Rule(_) => counts.rules += 1,
            Directive::Action(_) => counts.actions += 1,
            _ => {}
        }
        assert!(
            !matches!(
                directive,
                Directive::Ignored { .. } | Directive::Include { .. }
            ),
            "{at}: {}",
            directive.name()
        );
    }
    for (file, counts) in &per_file {
        let name = Path::new(file).file_name().unwrap().to_string_lossy();
        eprintln!(
            "  {name:<50} {:>4} directives {:>4} SecRule {:>3} SecAction",
            counts.directives, counts.rules, counts.actions
        );
    }

    // Cross-check with a plain count of the lines that start a directive.
    for path in &source.files {
        let text = std::fs::read_to_string(path).unwrap();
        let starts = |word: &str| {
            text.lines()
                .filter(|l| l.trim_start().starts_with(word))
                .count()
        };
        let counts = &per_file[&*path.to_string_lossy()];
        assert_eq!(counts.rules, starts("SecRule "), "{}", path.display());
        assert_eq!(counts.actions, starts("SecAction"), "{}", path.display());
    }

    let rules = source.rules.rules().count();
    let actions = per_file.values().map(|c| c.actions).sum::<usize>();
    let signature = source
        .rules
        .directives
        .iter()
        .find_map(|(_, d)| match d {
            Directive::ComponentSignature(s) => Some(s.as_str()),
            _ => None,
        })
        .expect("a SecComponentSignature");
    // The files are the setup file and the 27 rule files of CRS v4.
    assert_eq!(source.files.len(), 28, "{:?}", source.files);
    assert!(rules > 600, "{rules} rules");
    eprintln!(
        "CRS 4.28 ({signature}): {} files, {} directives, {rules} SecRule, {actions} SecAction, {} data files; loaded in {:.1} ms ({} build)",
        source.files.len(),
        source.rules.directives.len(),
        source.data.len(),
        elapsed.as_secs_f64() * 1e3,
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        },
    );
}

#[test]
fn exact_parses() {
    let Some(dir) = crs_dir() else { return };
    let source = load(&dir);

    // 942100: libinjection, no argument.
    let sqli = rule(&source, "942100");
    assert_eq!(sqli.operator.name, "detectSQLi");
    assert_eq!(sqli.operator.argument, "");
    assert!(!sqli.operator.negated);
    let targets: Vec<_> = sqli
        .variables
        .iter()
        .map(|v| v.collection.as_str())
        .collect();
    assert_eq!(
        targets,
        [
            "REQUEST_COOKIES",
            "REQUEST_COOKIES_NAMES",
            "REQUEST_HEADERS",
            "REQUEST_HEADERS",
            "ARGS_NAMES",
            "ARGS",
            "XML",
            "XML"
        ]
    );

    // 920100: the regex is the text of the file between `"!@rx ` and the closing quote
    // (it holds no `\"` or `\\`, so nothing is unescaped).
    let text =
        std::fs::read_to_string(dir.join("rules/REQUEST-920-PROTOCOL-ENFORCEMENT.conf")).unwrap();
    let line = text
        .lines()
        .take_while(|l| !l.contains("id:920100,"))
        .filter(|l| l.starts_with("SecRule REQUEST_LINE "))
        .last()
        .unwrap();
    let in_file = line
        .strip_prefix("SecRule REQUEST_LINE \"!@rx ")
        .and_then(|l| l.strip_suffix("\" \\"))
        .unwrap();
    let line_rule = rule(&source, "920100");
    assert!(line_rule.operator.negated);
    assert_eq!(line_rule.operator.name, "rx");
    assert_eq!(line_rule.operator.argument, in_file);
    assert!(in_file.starts_with(r"(?i)^(?:connect (?:(?:[0-9]{1,3}\.){3}"));

    // 901001: every action, in order.
    let check = rule(&source, "901001");
    let got: Vec<_> = check
        .actions
        .iter()
        .map(|a| (a.name.as_str(), a.value.as_deref()))
        .collect();
    assert_eq!(
        got,
        [
            ("id", Some("901001")),
            ("phase", Some("1")),
            ("deny", None),
            ("status", Some("500")),
            ("log", None),
            ("auditlog", None),
            (
                "msg",
                Some(
                    "CRS is deployed without configuration! Please copy the crs-setup.conf.example \
                     template to crs-setup.conf, and include the crs-setup.conf file in your \
                     webserver configuration before including the CRS rules. See the INSTALL file \
                     in the CRS directory for detailed instructions"
                )
            ),
            ("tag", Some("OWASP_CRS")),
            ("ver", Some(signature(&source))),
            ("severity", Some("CRITICAL")),
        ]
    );
    assert_eq!(check.variables[0].collection, "TX");
    assert!(check.variables[0].count);

    // 913100: its word list was loaded, keyed by the rule file's directory.
    let (at, scanner) = source
        .rules
        .directives
        .iter()
        .find_map(|(at, d)| match d {
            Directive::Rule(r) if r.action("id") == Some("913100") => Some((at, r)),
            _ => None,
        })
        .unwrap();
    assert_eq!(scanner.operator.name, "pmFromFile");
    let words = source
        .data_file(&at.file, &scanner.operator.argument)
        .expect("scanners-user-agents.data loaded");
    assert!(load::data_entries(words).any(|w| w == "nikto"));
    let key = load::data_key(&at.file, "scanners-user-agents.data");
    assert!(key.ends_with("/rules/scanners-user-agents.data"), "{key}");
    assert!(Path::new(&key).is_file(), "{key}");
    assert!(source.data.contains_key(&key));

    // REQUEST-999: a regex target exclusion.
    let update = source
        .rules
        .directives
        .iter()
        .find_map(|(_, d)| match d {
            Directive::RuleUpdateTargetById { ids, targets, .. }
                if ids == &[IdRange::single(932_240)] =>
            {
                Some(targets)
            }
            _ => None,
        })
        .expect("SecRuleUpdateTargetById 932240");
    assert!(update[0].exclude);
    assert_eq!(update[0].collection, "REQUEST_COOKIES");
    assert_eq!(
        update[0].selector,
        Some(seclang::Selector::Regex(r"^_ga(?:_\w+)?$".into()))
    );
}

fn signature(source: &RuleSource) -> &str {
    source
        .rules
        .directives
        .iter()
        .find_map(|(_, d)| match d {
            Directive::ComponentSignature(s) => Some(s.as_str()),
            _ => None,
        })
        .unwrap()
}

/// The examples the CRS ships commented out (in `crs-setup.conf.example` and the two
/// exclusion-rule templates) parse once uncommented, as users do.
#[test]
fn commented_examples_parse_when_uncommented() {
    let Some(dir) = crs_dir() else { return };
    let files = [
        "crs-setup.conf.example",
        "rules/REQUEST-900-EXCLUSION-RULES-BEFORE-CRS.conf.example",
        "rules/RESPONSE-999-EXCLUSION-RULES-AFTER-CRS.conf.example",
    ];
    let mut total = 0;
    for name in files {
        let text = std::fs::read_to_string(dir.join(name)).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let mut i = 0;
        while i < lines.len() {
            let Some(first) = uncomment(lines[i]).filter(|l| starts_directive(l)) else {
                i += 1;
                continue;
            };
            let start = i + 1;
            let mut block = vec![first];
            while block.last().unwrap().ends_with('\\') {
                i += 1;
                match lines.get(i).and_then(|l| uncomment(l)) {
                    Some(line) => block.push(line),
                    None => break,
                }
            }
            i += 1;
            let block = block.join("\n");
            let file = seclang::parse(name, &block)
                .unwrap_or_else(|e| panic!("{name}:{start}: {e}\n{block}"));
            assert_eq!(file.directives.len(), 1, "{name}:{start}\n{block}");
            total += 1;
        }
    }
    eprintln!("{total} commented-out CRS examples parse");
    assert!(total > 50, "{total}");
}

/// `# SecRule …` or `#SecAction …` → the directive text; `None` for other lines.
fn uncomment(line: &str) -> Option<&str> {
    let rest = line.strip_prefix('#')?;
    Some(rest.strip_prefix(' ').unwrap_or(rest))
}

/// A commented line that starts an example directive, not prose that names one
/// (`# SecRuleRemoveById         -> place in …`, `# SecRequestBodyAccess, SecAuditEngine…`).
fn starts_directive(line: &str) -> bool {
    let Some(word) = line.split_whitespace().next() else {
        return false;
    };
    (word.starts_with("Sec") || word == "Include")
        && word.len() > 3
        && word.chars().all(|c| c.is_ascii_alphanumeric())
        && !line.contains(" -> ")
        && line.len() > word.len()
}
