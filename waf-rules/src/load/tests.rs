use super::*;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A scratch directory, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Self {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "waf-rules-load-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    fn write(&self, name: &str, text: impl AsRef<[u8]>) -> PathBuf {
        let path = self.0.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        path
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `(file name relative to the scratch dir, line, directive name)` of every directive.
fn summary(scratch: &Scratch, source: &RuleSource) -> Vec<(String, usize, &'static str)> {
    let root = scratch.0.to_string_lossy().into_owned() + "/";
    source
        .rules
        .directives
        .iter()
        .map(|(at, d)| {
            (
                at.file.strip_prefix(&root).unwrap_or(&at.file).to_owned(),
                at.line,
                d.name(),
            )
        })
        .collect()
}

fn marker(name: &str) -> String {
    format!("SecMarker {name}\n")
}

#[test]
fn includes_are_expanded_in_place_relative_to_the_including_file() {
    let s = Scratch::new();
    s.write(
        "main.conf",
        "SecMarker A\nInclude conf.d/*.conf\nInclude \"other/./x.conf\"\nSecMarker Z\n",
    );
    s.write("conf.d/20-b.conf", marker("B2"));
    s.write(
        "conf.d/10-a.conf",
        "Include ../other/y.conf\nSecMarker B1\n",
    );
    s.write("conf.d/skip.conf.example", marker("NO"));
    s.write("conf.d/.hidden.conf", marker("NO"));
    s.write("other/x.conf", marker("X"));
    s.write("other/y.conf", marker("Y"));
    let source = load_file(s.path("main.conf")).unwrap();
    assert_eq!(
        summary(&s, &source),
        [
            ("main.conf".into(), 1, "SecMarker"),
            ("other/y.conf".into(), 1, "SecMarker"),
            ("conf.d/10-a.conf".into(), 2, "SecMarker"),
            ("conf.d/20-b.conf".into(), 1, "SecMarker"),
            ("other/x.conf".into(), 1, "SecMarker"),
            ("main.conf".into(), 4, "SecMarker"),
        ]
    );
    let markers: Vec<_> = source
        .rules
        .directives
        .iter()
        .map(|(_, d)| match d {
            Directive::Marker(m) => m.as_str(),
            _ => "?",
        })
        .collect();
    assert_eq!(markers, ["A", "Y", "B1", "B2", "X", "Z"]);
    let files: Vec<_> = source
        .files
        .iter()
        .map(|p| p.strip_prefix(&s.0).unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        files,
        [
            "main.conf",
            "conf.d/10-a.conf",
            "other/y.conf",
            "conf.d/20-b.conf",
            "other/x.conf"
        ]
    );
}

#[test]
fn wildcards_in_directories() {
    let s = Scratch::new();
    s.write("main.conf", "Include sites/*/rules-?.conf\n");
    s.write("sites/b/rules-1.conf", marker("B1"));
    s.write("sites/a/rules-2.conf", marker("A2"));
    s.write("sites/a/rules-1.conf", marker("A1"));
    s.write("sites/a/rules-10.conf", marker("NO"));
    s.write("sites/plain-file", marker("NO"));
    let source = load_file(s.path("main.conf")).unwrap();
    let files: Vec<_> = summary(&s, &source).into_iter().map(|t| t.0).collect();
    assert_eq!(
        files,
        [
            "sites/a/rules-1.conf",
            "sites/a/rules-2.conf",
            "sites/b/rules-1.conf"
        ]
    );
}

#[test]
fn optional_and_missing_includes() {
    let s = Scratch::new();
    s.write(
        "ok.conf",
        "IncludeOptional nothing/*.conf\nIncludeOptional missing.conf\nSecMarker M\n",
    );
    assert_eq!(
        load_file(s.path("ok.conf")).unwrap().rules.directives.len(),
        1
    );

    s.write("glob.conf", "SecMarker M\n\nInclude nothing/*.conf\n");
    let e = load_file(s.path("glob.conf")).unwrap_err();
    assert_eq!(e.line(), Some(3), "{e}");
    assert!(e.file().ends_with("glob.conf"), "{e}");
    assert!(e.message().contains("no file matches"), "{e}");

    s.write("missing.conf", "Include missing-file.conf\n");
    let e = load_file(s.path("missing.conf")).unwrap_err();
    assert_eq!(
        (e.line(), e.file().ends_with("missing.conf")),
        (Some(1), true)
    );
    assert!(e.message().contains("missing-file.conf"), "{e}");

    std::fs::create_dir_all(s.path("adir")).unwrap();
    s.write("dir.conf", "Include adir\n");
    let e = load_file(s.path("dir.conf")).unwrap_err();
    assert!(e.message().contains("is a directory"), "{e}");

    let e = load_file(s.path("not-there.conf")).unwrap_err();
    assert_eq!(e.line(), None);
    assert!(e.to_string().contains("not-there.conf: cannot read"), "{e}");
}

#[test]
fn include_cycles_are_errors() {
    let s = Scratch::new();
    s.write("a.conf", "SecMarker A\nInclude b.conf\n");
    s.write("b.conf", "SecMarker B\n\nInclude ./sub/../a.conf\n");
    let e = load_file(s.path("a.conf")).unwrap_err();
    assert!(e.file().ends_with("b.conf"), "{e}");
    assert_eq!(e.line(), Some(3));
    assert!(e.message().starts_with("include cycle: "), "{e}");
    assert!(e.message().ends_with("a.conf"), "{e}");

    s.write("self.conf", "Include self.conf\n");
    let e = load_file(s.path("self.conf")).unwrap_err();
    assert!(e.message().contains("include cycle"), "{e}");

    // The same file twice, not nested, is no cycle.
    s.write("twice.conf", "Include leaf.conf\nInclude leaf.conf\n");
    s.write("leaf.conf", marker("L"));
    assert_eq!(
        load_file(s.path("twice.conf"))
            .unwrap()
            .rules
            .directives
            .len(),
        2
    );
}

#[test]
fn include_depth_is_limited() {
    let s = Scratch::new();
    for i in 0..MAX_INCLUDE_DEPTH + 5 {
        s.write(&format!("d{i}.conf"), format!("Include d{}.conf\n", i + 1));
    }
    s.write(&format!("d{}.conf", MAX_INCLUDE_DEPTH + 5), marker("END"));
    let e = load_file(s.path("d0.conf")).unwrap_err();
    assert!(e.message().contains("nest deeper"), "{e}");

    let s = Scratch::new();
    for i in 0..10 {
        s.write(&format!("d{i}.conf"), format!("Include d{}.conf\n", i + 1));
    }
    s.write("d10.conf", marker("END"));
    assert_eq!(load_file(s.path("d0.conf")).unwrap().files.len(), 11);
}

#[test]
fn errors_in_included_files_name_that_file_and_line() {
    let s = Scratch::new();
    s.write("main.conf", "Include sub/bad.conf\n");
    s.write("sub/bad.conf", "SecMarker A\n# c\nSecNoSuchThing 1\n");
    let e = load_file(s.path("main.conf")).unwrap_err();
    assert!(e.file().ends_with("sub/bad.conf"), "{e}");
    assert_eq!(e.line(), Some(3));
    assert!(e.message().contains("SecNoSuchThing"), "{e}");

    s.write("latin1.conf", b"SecMarker \xe9t\xe9\n");
    let e = load_file(s.path("latin1.conf")).unwrap_err();
    assert!(e.message().contains("UTF-8"), "{e}");
}

#[test]
fn data_files_are_read_relative_to_the_rule_file() {
    let s = Scratch::new();
    s.write(
        "main.conf",
        "Include rules/r.conf\nSecRule REMOTE_ADDR \"@ipMatchFromFile rules/ips.data\" \"id:3\"\n",
    );
    s.write(
        "rules/r.conf",
        concat!(
            "SecRule ARGS \"@pmFromFile words.data\" \"id:1\"\n",
            "SecRule ARGS \"!@PMF words.data ../more.data\" \"id:2\"\n",
            "SecRule ARGS \"@rx words.data\" \"id:4\"\n",
        ),
    );
    s.write("rules/words.data", "# words\nfoo\nbar\r\n");
    s.write("more.data", "baz\n");
    s.write("rules/ips.data", "10.0.0.0/8\n");
    let source = load_file(s.path("main.conf")).unwrap();
    let root = s.0.to_string_lossy();
    let keys: Vec<_> = source
        .data
        .keys()
        .map(|k| k.strip_prefix(&*root).unwrap())
        .collect();
    assert_eq!(keys, ["/more.data", "/rules/ips.data", "/rules/words.data"]);
    let (at, rule) = source
        .rules
        .directives
        .iter()
        .find_map(|(at, d)| match d {
            Directive::Rule(r) if r.action("id") == Some("2") => Some((at, r)),
            _ => None,
        })
        .unwrap();
    let texts: Vec<_> = data_file_names(&rule.operator)
        .map(|name| source.data_file(&at.file, name).unwrap())
        .collect();
    assert_eq!(texts, ["# words\nfoo\nbar\r\n", "baz\n"]);
    assert_eq!(data_entries(texts[0]).collect::<Vec<_>>(), ["foo", "bar"]);

    s.write(
        "nodata.conf",
        "SecMarker A\nSecRule ARGS \"@pmf gone.data\" \"id:1\"\n",
    );
    let e = load_file(s.path("nodata.conf")).unwrap_err();
    assert!(e.file().ends_with("nodata.conf"), "{e}");
    assert_eq!(e.line(), Some(2));
    assert!(e.message().contains("gone.data"), "{e}");

    s.write(
        "remote.conf",
        "SecRule ARGS \"@pmFromFile https://x/y.data\" \"id:1\"\n",
    );
    let e = load_file(s.path("remote.conf")).unwrap_err();
    assert!(e.message().contains("remote data files"), "{e}");
}

#[test]
fn crs_layout() {
    let s = Scratch::new();
    s.write("crs/crs-setup.conf.example", marker("EXAMPLE-SETUP"));
    s.write("crs/rules/REQUEST-911-B.conf", marker("911"));
    s.write("crs/rules/REQUEST-901-A.conf", marker("901"));
    s.write("crs/rules/RESPONSE-950-C.conf", marker("950"));
    s.write(
        "crs/rules/REQUEST-900-EXCLUSION-RULES-BEFORE-CRS.conf.example",
        "bad",
    );
    s.write("crs/rules/x.data", "not rules");
    let markers = |source: &RuleSource| -> Vec<String> {
        source
            .rules
            .directives
            .iter()
            .map(|(_, d)| match d {
                Directive::Marker(m) => m.clone(),
                other => other.name().to_owned(),
            })
            .collect()
    };
    let source = load_crs(s.path("crs")).unwrap();
    assert_eq!(markers(&source), ["EXAMPLE-SETUP", "901", "911", "950"]);

    s.write("crs/crs-setup.conf", marker("SETUP"));
    s.write("crs/plugins/a-after.conf", marker("A-AFTER"));
    s.write("crs/plugins/a-before.conf", marker("A-BEFORE"));
    s.write("crs/plugins/a-config.conf", marker("A-CONFIG"));
    s.write("crs/plugins/b-config.conf", marker("B-CONFIG"));
    let source = load_crs(s.path("crs")).unwrap();
    assert_eq!(
        markers(&source),
        [
            "SETUP", "A-CONFIG", "B-CONFIG", "A-BEFORE", "901", "911", "950", "A-AFTER"
        ]
    );

    let e = load_crs(s.path("nothing")).unwrap_err();
    assert!(e.message().contains("not an OWASP CRS directory"), "{e}");

    // Exclusions loaded after the CRS.
    let mut source = load_crs(s.path("crs")).unwrap();
    s.write("after.conf", "SecRuleRemoveById 901 911-950\n");
    source.add_file(s.path("after.conf")).unwrap();
    assert_eq!(markers(&source).last().unwrap(), "SecRuleRemoveById");
}

#[test]
fn normalize_paths() {
    let cases = [
        ("a/./b/../c", "a/c"),
        ("../a/../../b", "../../b"),
        ("/../a", "/a"),
        ("./x", "x"),
        ("a/..", ""),
        ("/a/b/../../..", "/"),
    ];
    for (path, expected) in cases {
        assert_eq!(normalize(Path::new(path)), Path::new(expected), "{path}");
    }
}
