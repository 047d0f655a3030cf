use super::*;
use crate::detect::test_support;

#[test]
fn detects_traversal_and_inclusion() {
    let attacks: &[&[u8]] = &[
        b"../../../etc/passwd",
        b"..\\..\\..\\boot.ini",
        b"%2e%2e%2f%2e%2e%2fetc%2fpasswd",
        b"%252e%252e%252fetc%252fpasswd",
        b"%%32%65%%32%65/boot.ini",
        b"..%c0%af..%c0%afetc/passwd",
        &[b'.', b'.', 0xc0, 0xaf, b'x'],
        b"%c0%ae%c0%ae/%c0%ae%c0%ae/boot.ini",
        b"%uff0e%uff0e%u2215%uff0e%uff0e%u2215etc/passwd",
        b"..%u2215..%u2215boot.ini",
        b"0x2e0x2e0x2fetc0x2fpasswd",
        b"....//....//etc/passwd",
        b"..;/..;/admin",
        b"/..\\../..\\../boot.ini",
        b"../../../../etc/passwd%00",
        b"/index.php?page=../../../etc/passwd",
        b"https://app.example.net/search?q=..%2F..%2Fetc%2Fshadow",
        b"/etc/passwd",
        b"/etc/shadow",
        b"/proc/self/environ",
        b"/var/log/apache2/access.log",
        b"c:\\windows\\win.ini",
        b"C:/boot.ini",
        b"/C:\\home\\bin\\stable\\apache\\php.ini",
        b"c:WINDOWS/system32/",
        b"%SYSTEMROOT%\\repair\\SAM",
        b"~/.ssh/id_rsa",
        b"/home/user/.bash_history",
        b"WEB-INF/web.xml",
        b".htpasswd",
        b"/.git/config",
        b"boot.ini",
        b"php://filter/convert.base64-encode/resource=index.php",
        b"pHp://FilTer/read=string.rot13/resource=x",
        b"php://input",
        b"file:///etc/passwd",
        b"zip://shell.jpg%23payload.php",
        b"phar://uploads/x.phar",
        b"expect://id",
        b"data://text/plain;base64,PD9waHA=",
        b"convert.iconv.UTF8.CSISO2022KR",
        b"Li4vLi4vLi4vZXRjL3Bhc3N3ZA==",
        b"/./././././boot.ini",
        b"..2f..2fetc2fpasswd",
    ];
    for attack in attacks {
        let hit = traversal(attack);
        assert!(
            hit.as_ref().is_some_and(|d| d.confidence >= 0.5),
            "missed {}",
            String::from_utf8_lossy(attack)
        );
    }
}

#[test]
fn passes_ordinary_values() {
    let benign: &[&str] = &[
        "/blog/geekery/ssl-latency.html",
        "/presentations/logstash-puppetconf-2012/images/nagios-sms1.png",
        "/tienda1/publico/pagar.jsp",
        "/home",
        "/etc",
        "/logs/today",
        "/.well-known/security.txt",
        "http://www.google.com/search?q=http.//www..google&prev=/search",
        "https://blog.example.org/posts/a/b?x=1",
        "12/01/2024",
        "1/2 cup of flour",
        "Wait... / what?",
        "and so...",
        "O'Reilly & Sons",
        "c/ el breton, 187",
        "calle manuel de falla, 65 5?a",
        "db.php",
        "shadow",
        "passwd",
        "the etc/ and so on",
        "mobile-gws-hp.1.1.0l5.14884.0....0...1c.1.35",
        "C:\\Users\\me\\Pictures\\photo.jpg",
        "C:\\fakepath\\photo.jpg",
        "dGhpcyBpcyBqdXN0IHRleHQ=",
        "session=2f325859c4418fc132dfcfaa876be6e0",
        "data: 3 rows",
        "",
    ];
    for value in benign {
        assert!(traversal(value.as_bytes()).is_none(), "fired on {value}");
    }
}

#[test]
fn reports_climb_depth() {
    let hit = traversal(b"../../../etc/passwd").expect("traversal");
    assert_eq!(hit.fingerprint, "climb:3");
    assert!(hit.fragment.starts_with(b"../"));
}

#[test]
fn never_panics_on_hostile_input() {
    let all: Vec<u8> = (0..=255u8).collect();
    let fixed: Vec<Vec<u8>> = vec![
        all.clone(),
        b"%".repeat(100_000),
        b"..".repeat(100_000),
        b"../".repeat(50_000),
        b"%25".repeat(50_000),
        vec![0xc0; 100_000],
        vec![0xe0, 0x80],
        b"%u".to_vec(),
        b"0x2".to_vec(),
        b"/c:".to_vec(),
        b"A".repeat(1 << 20),
    ];
    for input in &fixed {
        test_support::assert_bounded(traversal, input);
    }
    test_support::assert_random_bounded(
        traversal,
        b"./\\%2e5cfu0x;:?=etcpaswd\0\xc0\xae\xaf\xe0\x80\xef\xbc\x8eA=",
        0x2545_f491_4f6c_dd1d,
        4000,
        71,
    );
}
