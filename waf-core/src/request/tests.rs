//! The request view against normal and hostile requests. Every test also checks, by
//! getting to its end, that building the view did not panic.

use super::*;
use std::net::{IpAddr, Ipv4Addr};

fn view_with(uri: &str, headers: &[(&str, &[u8])], body: &[u8], limits: &Limits) -> RequestView {
    RequestView::from_raw(
        RawRequest {
            method: "POST",
            uri,
            protocol: "HTTP/1.1",
            headers: headers
                .iter()
                .map(|(name, value)| (name.as_bytes(), *value))
                .collect(),
            body: Bytes::copy_from_slice(body),
            client: IpAddr::V4(Ipv4Addr::LOCALHOST),
        },
        limits,
    )
}

fn get(uri: &str) -> RequestView {
    view_with(uri, &[], b"", &Limits::default())
}

fn post(content_type: &str, body: &[u8]) -> RequestView {
    post_with(content_type, body, &Limits::default())
}

fn post_with(content_type: &str, body: &[u8], limits: &Limits) -> RequestView {
    view_with(
        "/",
        &[("Content-Type", content_type.as_bytes())],
        body,
        limits,
    )
}

/// Fields as `(name, value)` text, for compact assertions.
fn pairs(fields: &[Field]) -> Vec<(String, String)> {
    fields
        .iter()
        .map(|f| (f.name_lossy().into_owned(), f.value_lossy().into_owned()))
        .collect()
}

fn expect_pairs(fields: &[Field], expected: &[(&str, &str)]) {
    let expected: Vec<_> = expected
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect();
    assert_eq!(pairs(fields), expected);
}

fn error_kind(view: &RequestView) -> Option<BodyErrorKind> {
    view.facts.body_error.as_ref().map(|e| e.kind)
}

// --- URL encoding -------------------------------------------------------------------

#[test]
fn bad_percent_encoding_is_a_fact_and_bytes_are_kept() {
    for (raw, value) in [
        ("a=%zz", "%zz"),
        ("a=x%", "x%"),
        ("a=%4", "%4"),
        ("a=%4g1", "%4g1"),
        ("a=%41%", "A%"),
    ] {
        let query = get(&format!("/p?{raw}"));
        assert!(query.facts.invalid_url_encoding, "query {raw}");
        assert_eq!(query.args_get[0].value, value.as_bytes(), "query {raw}");

        let form = post("application/x-www-form-urlencoded", raw.as_bytes());
        assert!(form.facts.invalid_url_encoding, "body {raw}");
        assert_eq!(form.args_post[0].value, value.as_bytes(), "body {raw}");
        assert_eq!(form.facts.body_error, None);
    }
    assert!(get("/a%zz/b").facts.invalid_url_encoding);
    assert!(!get("/a%20b?x=%41+b").facts.invalid_url_encoding);
}

// --- invalid UTF-8 ------------------------------------------------------------------

#[test]
fn invalid_utf8_is_kept_as_raw_bytes() {
    let raw = [0xff, 0xfe];
    assert_eq!(get("/?a=%ff%fe").args_get[0].value, raw);

    let form = post("application/x-www-form-urlencoded", b"a=%ff%fe&b=\xff\xfe");
    assert_eq!(form.args_post[0].value, raw);
    assert_eq!(form.args_post[1].value, raw);

    let json = post("application/json", b"{\"k\xff\":\"\xff\xfe\"}");
    assert_eq!(json.facts.body_error, None);
    assert_eq!(json.args_post[0].name, b"k\xff");
    assert_eq!(json.args_post[0].value, raw);

    let xml = post("application/xml", b"<a t=\"\xff\">\xff\xfe</a>");
    assert_eq!(xml.facts.body_error, None);
    assert_eq!(xml.xml[0], Field::new(&b"/a/@t"[..], &[0xff][..]));
    assert_eq!(xml.xml[1], Field::new(&b"/a"[..], &raw[..]));

    let header = view_with("/", &[("X-Raw", b"a\xff\xfeb")], b"", &Limits::default());
    assert_eq!(header.header("x-raw"), Some(&b"a\xff\xfeb"[..]));
}

// --- argument budget ----------------------------------------------------------------

#[test]
fn argument_budget_keeps_the_first_max_args() {
    let query: Vec<String> = (0..10_000).map(|i| format!("p{i}={i}")).collect();
    let view = get(&format!("/?{}", query.join("&")));
    assert_eq!(view.args_get.len(), 1000);
    assert_eq!(view.args_get[999].name, b"p999");
    assert_eq!(view.facts.args_dropped, 9000);
}

#[test]
fn argument_budget_is_shared_by_query_and_body() {
    let query: Vec<String> = (0..600).map(|i| format!("q{i}=1")).collect();
    let uri = format!("/?{}", query.join("&"));
    let form: Vec<String> = (0..600).map(|i| format!("f{i}=1")).collect();
    let json = format!("[{}]", vec!["1"; 600].join(","));
    for (content_type, body) in [
        ("application/x-www-form-urlencoded", form.join("&")),
        ("application/json", json),
    ] {
        let view = view_with(
            &uri,
            &[("content-type", content_type.as_bytes())],
            body.as_bytes(),
            &Limits::default(),
        );
        assert_eq!(view.args_get.len(), 600, "{content_type}");
        assert_eq!(view.args_post.len(), 400, "{content_type}");
        assert_eq!(view.facts.args_dropped, 200, "{content_type}");
        assert_eq!(view.args().count(), 1000);
    }
}

// --- headers, cookies, content types -------------------------------------------------

#[test]
fn a_huge_header_value_is_kept_whole() {
    let value = vec![b'x'; 1 << 20];
    let view = view_with(
        "/",
        &[("X-Big", &value), ("Cookie", &value)],
        b"",
        &Limits::default(),
    );
    assert_eq!(view.header("x-big").map(<[u8]>::len), Some(1 << 20));
    assert_eq!(view.cookies[0].name.len(), 1 << 20);
}

#[test]
fn cookies_come_from_every_cookie_header() {
    let view = view_with(
        "/",
        &[("Cookie", b" a=1; b = two ;;flag"), ("cookie", b"c=x=y")],
        b"",
        &Limits::default(),
    );
    expect_pairs(
        &view.cookies,
        &[("a", "1"), ("b", "two"), ("flag", ""), ("c", "x=y")],
    );
}

#[test]
fn content_type_picks_the_body_processor() {
    for (content_type, processor) in [
        (
            "application/vnd.api+json; charset=utf-8",
            Some(BodyProcessor::Json),
        ),
        ("Application/JSON", Some(BodyProcessor::Json)),
        (
            "multipart/form-data; boundary=x",
            Some(BodyProcessor::Multipart),
        ),
        (
            "application/x-www-form-urlencoded;charset=UTF-8",
            Some(BodyProcessor::UrlEncoded),
        ),
        ("text/xml", Some(BodyProcessor::Xml)),
        ("application/soap+xml; action=x", Some(BodyProcessor::Xml)),
        ("text/plain", None),
        ("", None),
    ] {
        assert_eq!(
            BodyProcessor::for_content_type(content_type.as_bytes()),
            processor,
            "{content_type}"
        );
    }
    let view = post("application/vnd.api+json; charset=utf-8", br#"{"a":1}"#);
    assert_eq!(view.body_processor, Some(BodyProcessor::Json));
    expect_pairs(&view.args_post, &[("a", "1")]);
    assert_eq!(post("text/plain", b"a=1").args_post, []);
}

#[test]
fn a_body_over_the_parse_limit_is_parsed_up_to_the_limit() {
    let limits = Limits {
        max_body_parse_bytes: 7,
        ..Limits::default()
    };
    let view = post_with("application/x-www-form-urlencoded", b"a=1&b=2&c=3", &limits);
    assert_eq!(error_kind(&view), Some(BodyErrorKind::TooLarge));
    expect_pairs(&view.args_post, &[("a", "1"), ("b", "2")]);
    assert_eq!(view.body.len(), 11);
}

// --- JSON ---------------------------------------------------------------------------

#[test]
fn json_leaves_are_flattened_by_path() {
    let view = post(
        "application/json",
        br#" {"user": {"name": "ann", "age": -1.5e3}, "items": [1, {"x": true}],
             "grid": [[1, 2], [false]], "none": null, "empty": {}, "list": [], "": "blank"} "#,
    );
    assert_eq!(view.facts.body_error, None);
    expect_pairs(
        &view.args_post,
        &[
            ("user.name", "ann"),
            ("user.age", "-1.5e3"),
            ("items.0", "1"),
            ("items.1.x", "true"),
            ("grid.0.0", "1"),
            ("grid.0.1", "2"),
            ("grid.1.0", "false"),
            ("none", ""),
            ("", "blank"),
        ],
    );
    expect_pairs(
        &post("application/json", br#"[1, "a", [2]]"#).args_post,
        &[("0", "1"), ("1", "a"), ("2.0", "2")],
    );
    expect_pairs(
        &post("application/json", br#" "top" "#).args_post,
        &[("", "top")],
    );
    expect_pairs(&post("application/json", b"0").args_post, &[("", "0")]);
}

#[test]
fn json_strings_are_unescaped() {
    let view = post(
        "application/json",
        br#"["\"\\\/\b\f\n\r\t", "\u00e9\u20AC", "\ud83d\ude00", "\ud800x", "\udc00\ud800\u0041", "\ud800\ud800"]"#,
    );
    assert_eq!(view.facts.body_error, None);
    let values: Vec<_> = view.args_post.iter().map(|f| f.value.clone()).collect();
    assert_eq!(
        values,
        [
            &b"\"\\/\x08\x0c\n\r\t"[..],
            "é€".as_bytes(),
            "😀".as_bytes(),
            br"\ud800x",
            br"\udc00\ud800A",
            br"\ud800\ud800",
        ]
    );
}

#[test]
fn malformed_json_names_the_byte() {
    for (body, at) in [
        (&br#"{"a":1} x"#[..], 8),
        (br#"{"a":tru}"#, 5),
        (br#"{"a":"open"#, 10),
        (br#"{"a" 1}"#, 5),
        (br#"{"a":1,}"#, 7),
        (br#"[1,]"#, 3),
        (br#"[1 2]"#, 3),
        (br#"{1:2}"#, 1),
        (br#"["\x"]"#, 2),
        (br#"["\u12"]"#, 4),
        (b"[\"a\nb\"]", 3),
        (b"01", 1),
        (b"-", 1),
        (b"1.", 2),
        (b"1e+", 3),
        (b"   ", 3),
        (b"}", 0),
    ] {
        let view = post("application/json", body);
        let error = view.facts.body_error.as_ref().expect("an error");
        assert_eq!(
            error.kind,
            BodyErrorKind::Malformed,
            "{}",
            String::from_utf8_lossy(body)
        );
        assert!(
            error.message.contains(&format!("at byte {at}:")),
            "{}: {}",
            String::from_utf8_lossy(body),
            error.message
        );
    }
    // What came before the error stays.
    let view = post("application/json", br#"{"a":1,"b":[2,"#);
    expect_pairs(&view.args_post, &[("a", "1"), ("b.0", "2")]);
}

#[test]
fn json_nesting_is_limited_without_recursion() {
    let nested = |depth: usize| format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    assert_eq!(
        post("application/json", nested(64).as_bytes())
            .facts
            .body_error,
        None
    );

    let view = post(
        "application/json",
        format!(r#"{{"ok":1,"deep":{}}}"#, nested(65)).as_bytes(),
    );
    let error = view.facts.body_error.as_ref().expect("an error");
    assert_eq!(error.kind, BodyErrorKind::TooDeep);
    assert!(error.message.contains("at byte 78"), "{}", error.message);
    expect_pairs(&view.args_post, &[("ok", "1")]);

    let objects = format!("{}1", r#"{"a":"#.repeat(100_000));
    for body in [nested(100_000), objects, "[".repeat(1_000_000)] {
        assert_eq!(
            error_kind(&post("application/json", body.as_bytes())),
            Some(BodyErrorKind::TooDeep)
        );
    }
    // Without a depth limit the explicit stack takes a million levels in its stride.
    let unlimited = Limits {
        max_depth: usize::MAX,
        max_body_parse_bytes: usize::MAX,
        ..Limits::default()
    };
    let view = post_with(
        "application/json",
        "[".repeat(1_000_000).as_bytes(),
        &unlimited,
    );
    assert_eq!(error_kind(&view), Some(BodyErrorKind::Malformed));
}

#[test]
fn json_names_cannot_multiply_the_body() {
    // A 100 KB key over 1000 leaves would be 100 MB of names.
    let body = format!(
        r#"{{"{}":[{}]}}"#,
        "k".repeat(100_000),
        vec!["0"; 1000].join(",")
    );
    let view = post("application/json", body.as_bytes());
    assert_eq!(error_kind(&view), Some(BodyErrorKind::TooLarge));
    assert!(view.args_post.len() < 20);

    // Names of dropped leaves are never built, so they cost nothing and raise nothing.
    let query: Vec<String> = (0..1000).map(|i| format!("q{i}=1")).collect();
    let uri = format!("/?{}", query.join("&"));
    let view = view_with(
        &uri,
        &[("Content-Type", b"application/json")],
        body.as_bytes(),
        &Limits::default(),
    );
    assert_eq!(view.facts.body_error, None);
    assert_eq!(view.facts.args_dropped, 1000);
}

// --- multipart ----------------------------------------------------------------------

const FORM: &str = "multipart/form-data; boundary=XyZ";

/// A multipart body from lines joined by CRLF.
fn crlf(lines: &[&str]) -> Vec<u8> {
    lines.join("\r\n").into_bytes()
}

#[test]
fn multipart_fields_and_files() {
    let body = crlf(&[
        "--XyZ",
        r#"Content-Disposition: form-data; name="user""#,
        "",
        "ann",
        "--XyZ",
        "content-disposition: form-data; name=note",
        "",
        "two\r\nlines",
        "--XyZ",
        r#"Content-Disposition: form-data; name="doc"; filename="a \"b\".txt""#,
        "Content-Type: text/plain",
        "",
        "hello world",
        "--XyZ",
        r#"Content-Disposition: form-data; name="empty"; filename="""#,
        "",
        "",
        "--XyZ--",
        "",
    ]);
    let view = post(FORM, &body);
    assert_eq!(view.facts.body_error, None);
    assert_eq!(view.facts.multipart, MultipartFlags::default());
    expect_pairs(
        &view.args_post,
        &[("user", "ann"), ("note", "two\r\nlines")],
    );
    assert_eq!(
        view.files,
        [
            FileUpload {
                field: b"doc".to_vec(),
                filename: b"a \"b\".txt".to_vec(),
                size: 11,
                content_type: Some(b"text/plain".to_vec()),
            },
            FileUpload {
                field: b"empty".to_vec(),
                filename: Vec::new(),
                size: 0,
                content_type: None,
            },
        ]
    );
}

#[test]
fn multipart_with_bare_lf_lines() {
    let body = b"--XyZ\nContent-Disposition: form-data; name=a\n\n1\n--XyZ--\n";
    let view = post(FORM, body);
    assert_eq!(view.facts.body_error, None);
    expect_pairs(&view.args_post, &[("a", "1")]);
    assert!(view.facts.multipart.lf_line);
}

#[test]
fn broken_multipart_boundaries() {
    let field = |boundary: &str, close: bool| {
        let mut lines = vec![
            format!("--{boundary}"),
            r#"Content-Disposition: form-data; name="a""#.to_owned(),
            String::new(),
            "1".to_owned(),
        ];
        if close {
            lines.push(format!("--{boundary}--"));
        }
        lines.join("\r\n").into_bytes()
    };
    let flags = |set: fn(&mut MultipartFlags)| {
        let mut flags = MultipartFlags::default();
        set(&mut flags);
        flags
    };
    for (name, content_type, body, expected, args) in [
        (
            "other boundary",
            FORM,
            field("Other", true),
            flags(|f| {
                f.data_before = true;
                f.unmatched_boundary = true;
                f.incomplete = true;
            }),
            0,
        ),
        (
            "no closing boundary",
            FORM,
            field("XyZ", false),
            flags(|f| f.incomplete = true),
            1,
        ),
        (
            "no boundary parameter",
            "multipart/form-data",
            field("XyZ", true),
            MultipartFlags::default(),
            0,
        ),
        (
            "empty boundary",
            "multipart/form-data; boundary=",
            field("", true),
            MultipartFlags::default(),
            0,
        ),
        (
            "two boundaries",
            "multipart/form-data; boundary=XyZ; BOUNDARY=abc",
            field("XyZ", true),
            MultipartFlags::default(),
            0,
        ),
        (
            "unterminated quote",
            r#"multipart/form-data; boundary="XyZ"#,
            field("XyZ", true),
            flags(|f| f.boundary_quoted = true),
            0,
        ),
        (
            "boundary with a suffix",
            FORM,
            crlf(&[
                "--XyZ",
                "Content-Disposition: form-data; name=a",
                "",
                "1",
                "--XyZabc",
                "--XyZ--",
            ]),
            MultipartFlags::default(),
            1,
        ),
        (
            "quoted boundary line",
            FORM,
            crlf(&[
                "--XyZ",
                "Content-Disposition: form-data; name=a",
                "",
                "1",
                "--\"XyZ\"",
                "--XyZ--",
            ]),
            flags(|f| f.unmatched_boundary = true),
            1,
        ),
    ] {
        let view = post(content_type, &body);
        assert_eq!(error_kind(&view), Some(BodyErrorKind::Malformed), "{name}");
        assert_eq!(view.facts.multipart, expected, "{name}");
        assert_eq!(view.args_post.len(), args, "{name}");
    }
}

#[test]
fn multipart_anomalies_set_flags() {
    let part = |headers: &[&str]| {
        let mut lines = vec!["--XyZ"];
        lines.extend_from_slice(headers);
        lines.extend_from_slice(&["", "v", "--XyZ--", ""]);
        crlf(&lines)
    };
    let flags = |set: fn(&mut MultipartFlags)| {
        let mut flags = MultipartFlags::default();
        set(&mut flags);
        flags
    };
    for (name, content_type, body, expected, malformed) in [
        (
            "quoted boundary",
            r#"multipart/form-data; boundary="XyZ""#,
            part(&["Content-Disposition: form-data; name=a"]),
            flags(|f| f.boundary_quoted = true),
            false,
        ),
        (
            "boundary white space",
            "multipart/form-data; boundary = XyZ",
            part(&["Content-Disposition: form-data; name=a"]),
            flags(|f| f.boundary_whitespace = true),
            false,
        ),
        (
            "header folding",
            FORM,
            part(&["Content-Disposition: form-data;", "\tname=a"]),
            flags(|f| f.header_folding = true),
            false,
        ),
        (
            "header without colon",
            FORM,
            part(&["Content-Disposition: form-data; name=a", "garbage"]),
            flags(|f| f.invalid_header_folding = true),
            true,
        ),
        (
            "folding with nothing to fold",
            FORM,
            part(&[" name=a"]),
            flags(|f| {
                f.header_folding = true;
                f.invalid_header_folding = true;
                f.invalid_part = true;
            }),
            true,
        ),
        (
            "missing semicolon",
            FORM,
            part(&[r#"Content-Disposition: form-data; name="a" filename="b""#]),
            flags(|f| f.missing_semicolon = true),
            false,
        ),
        (
            "unterminated quote",
            FORM,
            part(&[r#"Content-Disposition: form-data; name="a"#]),
            flags(|f| f.invalid_quoting = true),
            false,
        ),
        (
            "quote in an unquoted value",
            FORM,
            part(&[r#"Content-Disposition: form-data; name=a"b"#]),
            flags(|f| f.invalid_quoting = true),
            false,
        ),
        (
            "no name",
            FORM,
            part(&["Content-Disposition: form-data; filename=x"]),
            flags(|f| f.invalid_part = true),
            false,
        ),
        (
            "no content disposition",
            FORM,
            part(&["Content-Type: text/plain"]),
            flags(|f| f.invalid_part = true),
            false,
        ),
        (
            "not form-data",
            FORM,
            part(&["Content-Disposition: attachment; name=a"]),
            flags(|f| f.invalid_part = true),
            false,
        ),
        (
            "repeated name",
            FORM,
            part(&["Content-Disposition: form-data; name=a; name=b"]),
            flags(|f| f.invalid_part = true),
            true,
        ),
        (
            "data before and after",
            FORM,
            [
                &b"preamble\r\n"[..],
                &part(&["Content-Disposition: form-data; name=a"]),
                b"epilogue",
            ]
            .concat(),
            flags(|f| {
                f.data_before = true;
                f.data_after = true;
            }),
            false,
        ),
    ] {
        let view = post(content_type, &body);
        assert_eq!(view.facts.multipart, expected, "{name}");
        assert!(view.facts.multipart.strict_error(), "{name}");
        let kind = malformed.then_some(BodyErrorKind::Malformed);
        assert_eq!(
            error_kind(&view),
            kind,
            "{name}: {:?}",
            view.facts.body_error
        );
    }
}

#[test]
fn multipart_files_over_the_limit_are_counted_not_kept() {
    let file = |n: usize| {
        format!(
            "--XyZ\r\nContent-Disposition: form-data; name=f{n}; filename=f{n}.txt\r\n\r\nx\r\n"
        )
    };
    let body = format!("{}{}{}--XyZ--\r\n", file(0), file(1), file(2));
    let limits = Limits {
        max_files: 2,
        ..Limits::default()
    };
    let view = post_with(FORM, body.as_bytes(), &limits);
    assert_eq!(view.files.len(), 2);
    assert!(view.facts.multipart.file_limit_exceeded);
    assert_eq!(view.args_post, []);
}

// --- XML ----------------------------------------------------------------------------

#[test]
fn xml_text_and_attributes_by_path() {
    let view = post(
        "application/xml",
        br#"<?xml version="1.0"?>
            <!-- a comment -->
            <order id="7" note="a &amp; b">
              <item sku='x&#65;&#x42;'>  two  &lt;tags&gt; </item>
              <empty flag="1"/>
              <code><![CDATA[<script>]]> &quot;x&quot;</code>
              <![CDATA[   ]]>
            </order>"#,
    );
    assert_eq!(view.facts.body_error, None);
    expect_pairs(
        &view.xml,
        &[
            ("/order/@id", "7"),
            ("/order/@note", "a & b"),
            ("/order/item/@sku", "xAB"),
            ("/order/item", "two  <tags>"),
            ("/order/empty/@flag", "1"),
            ("/order/code", "<script> \"x\""),
        ],
    );
    assert_eq!(view.args_post, []);
    // A byte-order mark is not text outside the root.
    expect_pairs(
        &post("text/xml", b"\xef\xbb\xbf<a>x</a>").xml,
        &[("/a", "x")],
    );
}

#[test]
fn xml_entities_from_a_doctype_stay_inert() {
    let view = post(
        "text/xml",
        br#"<?xml version="1.0"?>
            <!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd"> <!ENTITY a "<b>">]>
            <r>&xxe; &a; &unknown &#0; &#xD800; &#x+41;</r>"#,
    );
    assert_eq!(view.facts.body_error, None);
    expect_pairs(
        &view.xml,
        &[("/r", "&xxe; &a; &unknown &#0; &#xD800; &#x+41;")],
    );
}

#[test]
fn malformed_xml_is_an_error_with_a_position() {
    for (body, at) in [
        (&b"<a><b></a>"[..], 6),
        (b"<a><b></b>", 10),
        (b"garbage", 7),
        (b"<a/>trailing", 12),
        (b"<a/><b/>", 4),
        (b"</a>", 0),
        (b"<a b></a>", 0),
        (b"<a", 0),
        (b"", 0),
    ] {
        // An empty body is not parsed at all.
        if body.is_empty() {
            assert_eq!(post("application/xml", body).facts.body_error, None);
            continue;
        }
        let view = post("application/xml", body);
        let error = view.facts.body_error.as_ref().expect("an error");
        assert_eq!(
            error.kind,
            BodyErrorKind::Malformed,
            "{}",
            String::from_utf8_lossy(body)
        );
        assert!(
            error.message.contains(&format!("at byte {at}:")),
            "{}: {}",
            String::from_utf8_lossy(body),
            error.message
        );
    }
}

#[test]
fn xml_nesting_and_field_count_are_limited() {
    let deep = format!("{}x", "<a>".repeat(100_000));
    assert_eq!(
        error_kind(&post("text/xml", deep.as_bytes())),
        Some(BodyErrorKind::TooDeep)
    );
    let ok = format!("{}x{}", "<a>".repeat(64), "</a>".repeat(64));
    assert_eq!(post("text/xml", ok.as_bytes()).xml.len(), 1);

    let many = format!("<r>{}</r>", "<i v=\"1\">t</i>".repeat(1000));
    let view = post("text/xml", many.as_bytes());
    assert_eq!(view.facts.body_error, None);
    assert_eq!(view.xml.len(), 1000);
    assert_eq!(view.facts.args_dropped, 0);
}

// --- robustness ---------------------------------------------------------------------

#[test]
fn truncated_bodies_never_panic() {
    let json = br#"{"a":[1,-2.5e3,true,null,{"b":"\u00e9\ud83d\ude00\n"}],"c":{}}"#;
    let multipart = crlf(&[
        "--XyZ",
        r#"Content-Disposition: form-data; name="a"; filename="x\"y""#,
        "Content-Type: text/plain",
        "",
        "data",
        "--XyZ--",
    ]);
    let xml = br#"<?xml version="1.0"?><!DOCTYPE r><r a="&amp;">t&#65;<![CDATA[c]]><e/></r>"#;
    for (content_type, body) in [
        ("application/json", &json[..]),
        (FORM, &multipart),
        ("application/xml", &xml[..]),
        ("application/x-www-form-urlencoded", b"a=%4&b=%zz&%=="),
    ] {
        for end in 0..=body.len() {
            let mut cut = body[..end].to_vec();
            post(content_type, &cut);
            // And with a hostile byte in place of the last one.
            if let Some(last) = cut.last_mut() {
                *last = 0xff;
                post(content_type, &cut);
            }
        }
    }
}
