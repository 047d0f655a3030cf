//! Tests for the SQL injection detector: attack and benign tables, the tokenizer and
//! folding, and hostile inputs that must neither panic nor take long.

use super::lexer::{self, Lexed, Tk};
use super::{fold, sqli};
use crate::detect::test_support::{self, Xorshift};

/// Injections from every family the detector knows, in every quote context.
const ATTACKS: &[&str] = &[
    // Tautologies after a closing quote.
    "1' OR '1'='1",
    "' or ''='",
    "\" or \"\"=\"",
    "admin' or '1'='1'#",
    "admin') or ('1'='1'/*",
    "x' or 1=1 or 'x'='y",
    "' or 'a' like 'a",
    "' OR 2 BETWEEN 1 AND 3",
    "' or 'whatever' in ('whatever')",
    "' or uid like '%",
    "fake@ema'or'il.nl'='il.nl",
    "'or'1=1",
    "\")) or ((\"x\"))=((\"x",
    "' or a=a--",
    "' OR x=y--",
    "1' || '1'='1",
    // Numeric context.
    "1 or 1=1",
    "1 AND 1=2",
    "-3361 or 5521=5521#",
    "1) and 8734=5844",
    "or 1=1--",
    " AND 1=1 AND '%'='",
    "1 OR 2>1",
    "AND true",
    "\u{fd} or 1=1 --",
    "\u{18} or 1=1 --",
    // Comments cutting the query.
    "admin'--",
    "admin'#",
    "1')/*",
    "'=0--+",
    "' or 1 --",
    "\" or true--",
    // UNION.
    "1 union all select null,null,null--",
    "-7379 union all select 9813,9813#",
    "' UNION SELECT username, password FROM users--",
    "1%') union all select null,null#",
    "/*!50000UNION*/ /*!50000SELECT*/ 1,2,3",
    "1'/**/UNION/**/SELECT/**/1,2,3--",
    "1 UnIoN SeLeCt 1,@@version--",
    "' union select",
    "' AND 5650=CONVERT(INT,(UNION ALL SELECTCHAR(73)+CHAR(78)))",
    // Stacked statements and T-SQL batches.
    "1; drop table users--",
    "'; exec master..xp_cmdshell 'dir'--",
    "';DECLARE @x CHAR(9);SET @x=0x303a303a35;WAITFOR DELAY @x--",
    "1)));waitfor delay '0:0:5'--",
    "1\") as ymsc where 3694=3694 waitfor delay '0:0:5'--",
    "1));select pg_sleep(5)--",
    "1'));iif(5257=5257,1,1/0)",
    "'; shutdown --",
    "1;SELECT *",
    "IF(7423=7424) SELECT 7423 ELSE DROP FUNCTION xcjl--",
    "declare @s varchar(200) select @s = 0x77616974666F722064656C61792027303A303A31302700 exec(@s)",
    "exec master..xp_cmdshell 'net view'",
    // Time and error based.
    "1' AND SLEEP(5)#",
    "1%\" rlike sleep(5)#",
    "' OR pg_sleep(5)--",
    "'||pg_sleep(5)--",
    "benchmark(50000000,MD5(1))--",
    "(SELECT * FROM (SELECT(SLEEP(5)))ecMj)",
    "1' and extractvalue(1,concat(0x7e,(select version())))--",
    "1 and updatexml(1,concat(0x7e,(select database())),1)",
    "1' AND 1=dbms_pipe.receive_message(('a'),5)--",
    "1' and make_set(8403=8403,8899) and 'lnwe'='lnwe",
    "iif(9229=4158,1,1/0)",
    "||UTL_HTTP.REQUEST",
    // Subqueries, clauses, functions.
    "1 AND (SELECT 1 FROM (SELECT COUNT(*),CONCAT(version(),FLOOR(RAND(0)*2))x FROM information_schema.tables GROUP BY x)a)",
    "1'+(select 'gqsk' where 3087=3087 union all select null--",
    "-6843' or 2724 in ((char(113)+char(113)+(select (case when (2724=2724) then char(49) else char(48) end)))) and 'eeff'='eeff",
    "' ORDER BY 1,SLEEP(5),BENCHMARK(1000000,MD5('A')),4#",
    "1' ORDER BY 3--+",
    "' having 1=1--",
    "' AS INJECTX WHERE 1=1 AND 1=0#",
    "1 INTO OUTFILE '/tmp/x'",
    "1 and substring(version(),1,1)=5",
    "x' AND email IS NULL; --",
    "select * from information_schema.tables",
    "select session_user;",
    "SELECT CASE WHEN (1=1) THEN pg_sleep(5) ELSE pg_sleep(0) END",
    "char(113)||char(113)",
    "0x77616974666F722064656C61792027303A303A31302700",
    // Encoded where nothing decoded it (cookies, headers, Referer query strings).
    "1'||(select%20'awba'%20from%20dual%20where%203749=3749--",
    "https://example.com/search?q=-4562')+or+3038%3D3038",
    "1'+UNION+SELECT+1,2--",
    "\u{2018} or 1=1 --",
    "1%2527%2520or%25201=1--",
    "1%u0027%u0020or%u00201=1--",
    "sleep(__TIME__)",
    "uni/**/on sel/**/ect",
    "'; COPY (SELECT '') TO PROGRAM 'id'--",
    // In a URL path.
    "/login/ or a=a--",
    "/api/v1/users/-7379 union all select 9813,9813--",
    // A delay call joined to the closing quote; the `+`s may have become spaces, and
    // `20.to_i` is the number `20.` then a name.
    "x'+sleep(20.to_i)+'",
    "2010-01-01' sleep(20.to_i) '",
    "a@b.example\" pg_sleep(7.seconds) \"",
    "/post/2010-01-01' benchmark(9.e9,md5(1)) '",
    "k' extractvalue(1,concat(0x7e,version.x)) '",
    // Breaking out of the string and back in around an operand.
    "\" | type %SystemDrive%\\config.ini | \"",
    "' || current_user || '",
    "x'+whoami+'",
    "\"&(net user)&\"",
    // Code after a comment that dialects close in different places.
    "/post/*/*/2 union all/bar",
    "1/*/*/and 2>1",
    "x /* a /* b */ or 1",
    "1' or 1.e(1) or '1'='1",
];

/// Values that must not be flagged: prose, apostrophes, names, numbers, URLs, agents.
const BENIGN: &[&str] = &[
    "O'Reilly",
    "O'Reilly and sons",
    "don't stop me now",
    "l'\u{e9}t\u{e9} est chaud",
    "Rock 'n' roll",
    "1 or 2 items",
    "rock & roll",
    "select a size",
    "select size 10",
    "drop shipping",
    "union jack flag",
    "and then there were none",
    "it's 5 o'clock",
    "best price -- limited offer",
    "2024-01-02",
    "555-123-4567",
    "user@example.com",
    "email: o'neil@example.com",
    "1-2",
    "C++ and C#",
    "Q&A",
    "50% off",
    "what's up?",
    "I'm here; you're there",
    "say 'hello' -- then leave",
    "he said \"it's fine\" -- or not",
    "Where's Bohemia? speak.",
    "having-office-space-moment",
    "I like it and you like him",
    "this or that",
    "The union select committee met on 5/6",
    "Please select one from the list",
    "select one from amazon",
    "order by phone",
    "Drop table lamp with shade",
    "update your profile",
    "delete my account",
    "exec summary",
    "declare war",
    "sleep well tonight",
    "sleep (see #12)",
    "the boys' and girls' toys",
    "students' or teachers' rooms",
    "\"or\"",
    "'and'",
    "5' 11\"",
    "2'6\" x 4'",
    ":-) ;-) :'( <3",
    "#1 best seller",
    "Calle Mayor 5, 3\u{ba} izq",
    "Garc\u{ed}a-L\u{f3}pez",
    "RUSTFLAGS='--cfg=unstable' cargo build",
    "use `--cfg` and `where` clauses",
    "https://www.google.com/search?q=sql+union+select+tutorial",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36",
    "/files/blogposts/20070901/?C=D;O=A",
    "/presentations/logstash-monitorama-2013/images/kibana-search.png",
    "'Tis well borne up; drop it, and say 'Fine;'--",
    "run the benchmark(s) again",
    "need sleep(5 hours)",
    "I declare @john the winner",
    "/admin/all_users",
    "http://xp_pen.example.com/x",
    "IF(A1>5,\"yes\",\"no\")",
    "c/ l' or 125",
    "copy that from me",
    "join the credit union select",
    "And 'twere the cheaper way:",
    "And therefore is he",
    "Now, by mine honour, by my life, by my troth,\nI will appeach the villain.",
    "can't sleep(8 hours)",
    "x' sleep(well) '",
    "it's 20.to_i in Ruby",
    "v1.2a and 3.x",
    "/static/*/*/logo.png",
    "/* see /* nested */ notes */",
    "' | '",
    "\"a\" | \"b\"",
    "'tis | the end | '",
];

#[test]
fn detects_attacks() {
    for &attack in ATTACKS {
        let hit = sqli(attack.as_bytes());
        assert!(hit.is_some(), "missed: {attack:?}");
    }
}

#[test]
fn ignores_benign_values() {
    for &value in BENIGN {
        let hit = sqli(value.as_bytes());
        assert!(hit.is_none(), "false positive: {value:?} -> {hit:?}");
    }
}

#[test]
fn strong_shapes_are_confident() {
    for attack in [
        "' UNION SELECT username, password FROM users--",
        "1; drop table users--",
        "1' AND SLEEP(5)#",
        "1' OR '1'='1",
    ] {
        let hit = sqli(attack.as_bytes()).expect("detected");
        assert!(hit.confidence >= 0.9, "{attack:?}: {hit:?}");
    }
    let weak = sqli(b"1 and 1=1").expect("detected");
    assert!((0.5..0.9).contains(&weak.confidence), "{weak:?}");
}

#[test]
fn evidence_names_context_and_shape() {
    let hit = sqli(b"abc' or 1=1--").expect("detected");
    assert!(hit.fingerprint.starts_with("s:"), "{hit:?}");
    assert_eq!(hit.fragment, b"' or 1=1--");
    let hit = sqli(b"1 union all select 1,2,3--").expect("detected");
    assert!(hit.fingerprint.starts_with("n:union select:"), "{hit:?}");
}

fn lex(src: &str) -> Vec<Tk> {
    let mut out = Lexed::default();
    lexer::lex_into(src.as_bytes(), 0, &mut out);
    out.toks.iter().map(|t| t.kind).collect()
}

#[test]
fn tokenizer_classifies() {
    use super::vocab::{FnClass, Kw};
    let str_ = |quote| Tk::Str {
        closed: true,
        quote,
    };
    let table: &[(&str, &[Tk])] = &[
        ("'it''s'", &[str_(b'\'')]),
        ("'a\\'b'", &[str_(b'\'')]),
        (
            "\"x",
            &[Tk::Str {
                closed: false,
                quote: b'"',
            }],
        ),
        ("0x41 0b1 1.5e3 .5", &[Tk::Num, Tk::Num, Tk::Num, Tk::Num]),
        ("3pm 1union", &[Tk::Word, Tk::Num, Tk::Kw(Kw::Union)]),
        ("20.to_i 1.5x", &[Tk::Num, Tk::Word, Tk::Num, Tk::Word]),
        (
            "1.e(1)",
            &[Tk::Func(FnClass::Unknown), Tk::LParen, Tk::Num, Tk::RParen],
        ),
        (
            "sleep(5)",
            &[Tk::Func(FnClass::Time), Tk::LParen, Tk::Num, Tk::RParen],
        ),
        ("sleep /**/ (", &[Tk::Func(FnClass::Time), Tk::LParen]),
        ("left join", &[Tk::Word, Tk::Kw(Kw::Join)]),
        (
            "@@version @x @",
            &[
                Tk::Var { system: true },
                Tk::Var { system: false },
                Tk::Other,
            ],
        ),
        (
            "a && b || !c",
            &[Tk::Word, Tk::Logic, Tk::Word, Tk::Logic, Tk::Not, Tk::Word],
        ),
        ("<=> <> != :=", &[Tk::Cmp, Tk::Cmp, Tk::Cmp, Tk::Cmp]),
        ("master..xp_cmdshell", &[Tk::Word]),
        ("N'x' `t` [u]", &[str_(b'\''), Tk::Word, Tk::Word]),
        ("1 -- rest", &[Tk::Num, Tk::Comment]),
        ("1 /* x */ 2 # c", &[Tk::Num, Tk::Num, Tk::Comment]),
        ("1 --x\n2", &[Tk::Num, Tk::Num]),
        ("/*!50000union*/", &[Tk::Kw(Kw::Union)]),
        ("\u{e9}t\u{e9} \u{65e5}\u{672c}", &[Tk::Word, Tk::Junk]),
    ];
    for (src, want) in table {
        assert_eq!(lex(src), *want, "{src:?}");
    }
}

#[test]
fn folding_collapses_values() {
    let mut out = Lexed::default();
    let src = b"1 UNION ALL SELECT 1,2,3-- ";
    lexer::lex_into(src, 0, &mut out);
    assert_eq!(fold::fingerprint(&out.toks), "1UkE1c");
    out.toks.clear();
    lexer::lex_into(b"-1 or -2+3=3", 0, &mut out);
    assert_eq!(fold::fingerprint(&out.toks), "1&1=1");
}

/// Inputs built to hurt: every byte, long runs of metacharacters, deep nesting,
/// unterminated constructs, and every prefix of a long payload.
fn hostile_inputs() -> Vec<Vec<u8>> {
    let mut inputs: Vec<Vec<u8>> = (0..=255u8).map(|b| vec![b]).collect();
    inputs.push((0..=255u8).collect());
    for unit in [
        "'",
        "\"",
        "`",
        "(",
        ")",
        "/*",
        "*/",
        "/*!",
        "--",
        "#",
        ";",
        "\\",
        "@@",
        "0x",
        "%",
        "%2",
        "select ",
        "union select ",
        "(select ",
        "case when ",
        "; exec ",
        "' or '",
        "1=1 and ",
        "sleep(",
        "\u{2019}",
        "\u{ff}",
        "?a=",
        "&",
    ] {
        inputs.push(unit.repeat(20_000).into_bytes());
    }
    let payload = "1') as x where 1=1 union all select null,@@version,sleep(5) from \
                   information_schema.tables;declare @s varchar(9) exec(@s)--";
    for end in 0..=payload.len() {
        inputs.push(payload.as_bytes()[..end].to_vec());
    }
    inputs
}

fn check(input: &[u8]) {
    test_support::assert_sound(sqli, input);
}

#[test]
fn hostile_inputs_are_safe_and_fast() {
    let start = std::time::Instant::now();
    for input in hostile_inputs() {
        check(&input);
    }
    // Generous for debug builds; quadratic behaviour would take minutes.
    assert!(start.elapsed().as_secs() < 60, "{:?}", start.elapsed());
}

#[test]
fn pseudo_random_inputs_are_safe() {
    const ALPHABET: &[&[u8]] = &[
        b"'", b"\"", b"`", b"(", b")", b",", b";", b"=", b"-", b"--", b"#", b"/*", b"*/", b"/*!",
        b" ", b"1", b"0x4f", b"a", b"or", b"and", b"select", b"union", b"from", b"where", b"sleep",
        b"char", b"case", b"when", b"then", b"end", b"exec", b"@@v", b"\\", b"%27", b"\xff",
        b"\x00", b"+", b"|", b"&", b"?q=",
    ];
    let mut rng = Xorshift::new(0x9e37_79b9_7f4a_7c15);
    for _ in 0..5_000 {
        let len = (rng.next() % 40) as usize;
        let mut input = Vec::new();
        for _ in 0..len {
            let r = rng.next();
            if r.is_multiple_of(5) {
                input.push((r >> 8) as u8);
            } else {
                input.extend_from_slice(ALPHABET[(r >> 8) as usize % ALPHABET.len()]);
            }
        }
        check(&input);
    }
}
