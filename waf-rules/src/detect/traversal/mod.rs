//! Path traversal and local file inclusion.
//!
//! A value is first stripped of stacked percent-encodings (`%252e`, `%%32%65`, `%u2215`)
//! and folded into a canonical path (overlong UTF-8 `%c0%ae`, full-width dots, `0x2e`
//! text and backslashes all become `.` and `/`, see [`fold`]). The canonical path is then
//! read for the shapes file-inclusion attacks take:
//!
//! * climbing: a segment of two or more dots followed by a separator (`../`, `....//`,
//!   `..;/`), starting the value or a path/parameter token; failing that, a run of `./`
//!   segments that only normalisation probes send;
//! * stream wrappers that turn an include into a read or an exec (`php://filter`,
//!   `phar://`, `zip://`, `expect://`, `file:/`…) and PHP filter-chain vocabulary;
//! * absolute paths into system directories (`/etc/…`, `/proc/…`, `/var/log/…`,
//!   `c:\windows\…`, `%SYSTEMROOT%\…`), system files at any depth (`…/proc/self/…`),
//!   dot files (`/app/.env`) and the well-known sensitive files (`boot.ini`,
//!   `.htpasswd`, `WEB-INF/web.xml`, `id_rsa`);
//! * any of the above hidden in a base64 value, or in a parameter of a URL-shaped value
//!   (a Referer's `?q=..%2F..%2Fetc%2Fpasswd`).
//!
//! Ordinary URLs, dates (`12/01/2024`) and prose ellipses (`wait... /`) have none of these
//! shapes: a dot run must stand alone as a path segment to count as a climb.

pub(super) mod decode;
mod fold;

use super::Detection;
use super::bytes::{ByteSet, Pairs, each_meets, pairs_of, sets_of};
use decode::decode_layers;
use fold::fold_path;

/// Recognises path traversal and local file inclusion; see the module documentation.
pub fn traversal(input: &[u8]) -> Option<Detection> {
    if input.is_empty() {
        return None;
    }
    inspect(input).or_else(|| decode::query_values(input).find_map(inspect))
}

/// Every shape, in a value and in a base64 value.
fn inspect(value: &[u8]) -> Option<Detection> {
    let last_segment = value.rsplit(|&b| b == b'/').next().unwrap_or(value);
    let set = ByteSet::of(value);
    if !may_fold_to_path(set) {
        // Fast path: the folded path has none of the bytes `scan` needs.
        return base64_layer(last_segment);
    }
    // Without a `%` there is no layer to decode (and nothing to copy); without a `\`,
    // a `0x` spelled out or a non-ASCII byte, folding only lower-cases.
    let path = if set.has(b'%') {
        fold_path(&decode_layers(value))
    } else if may_fold_specially(set) {
        fold_path(value)
    } else {
        value.to_ascii_lowercase()
    };
    scan(&path).or_else(|| base64_layer(last_segment))
}

/// Bytes one of which every shape [`scan`] recognises has in the folded path: a dot
/// run or `.` segment (`.`), a separator (`/`), a scheme or drive (`:`), a home (`~`),
/// an environment variable (`%`), a bare sensitive file (its `.` or `-`); every
/// filter name has a `.` or a `/` (checked when compiling).
const PATH_BYTES: ByteSet = ByteSet::new(b"./:~%-");

const _: () = assert!(each_meets(
    &sets_of::<{ FILTERS.len() }>(FILTERS),
    PATH_BYTES
));

/// Whether the folded path of a value with bytes `set` may have a byte of
/// [`PATH_BYTES`]: decoding needs a `%`, and folding makes one only from a `\`, a
/// `0x` spelled out, or a non-ASCII sequence; other bytes are only lower-cased.
fn may_fold_to_path(set: ByteSet) -> bool {
    set.any_of(PATH_BYTES) || may_fold_specially(set)
}

/// Whether folding a value with bytes `set` may do more than lower-case it: only a
/// `\`, a `0x` spelled out and non-ASCII sequences fold to other bytes.
fn may_fold_specially(set: ByteSet) -> bool {
    set.any_of(ByteSet::new(b"\\\x80")) || (set.has(b'0') && set.any_of(ByteSet::new(b"xX")))
}

/// Every shape, on a folded path.
fn scan(path: &[u8]) -> Option<Detection> {
    climb(path)
        .or_else(|| wrapper(path))
        .or_else(|| filter_chain(path))
        .or_else(|| system_path(path))
        .or_else(|| sensitive_file(path))
}

/// Bytes after which a dot run starts a path token: a separator, a parameter boundary,
/// quoting or space.
fn starts_token(b: u8) -> bool {
    matches!(
        b,
        b'/' | b'='
            | b'?'
            | b'&'
            | b':'
            | b';'
            | b','
            | b'\''
            | b'"'
            | b'('
            | b'['
            | b'{'
            | b'|'
            | b'<'
            | b'>'
            | b' '
            | b'\t'
            | b'+'
            | b'*'
            | b'\0'
    )
}

/// Whether the dot run ending before `path[end]` is followed by a separator: `/`, or a
/// short path parameter and then `/` (`..;/`, `..;x=1/`), or a NUL byte.
fn ends_segment(path: &[u8], end: usize) -> bool {
    match path.get(end) {
        Some(b'/' | b'\0') => true,
        // `..2f`, `..5c`: a slash whose `%` a broken encoder dropped, still decoded by some.
        Some(b'2') => path.get(end + 1) == Some(&b'f'),
        Some(b'5') => path.get(end + 1) == Some(&b'c'),
        Some(b';') => path
            .get(end..)
            .unwrap_or_default()
            .iter()
            .take(16)
            .take_while(|&&c| c != b' ')
            .any(|&c| c == b'/'),
        _ => false,
    }
}

/// `../` climbing: the number of dot-run segments that start a token and end in a
/// separator (a trailing `/..` counts too).
fn climb(path: &[u8]) -> Option<Detection> {
    let mut climbs = 0usize;
    let mut first = None;
    let mut i = 0;
    while i < path.len() {
        if path[i] != b'.' {
            i += 1;
            continue;
        }
        let start = i;
        while path.get(i) == Some(&b'.') {
            i += 1;
        }
        let left = start == 0 || starts_token(path[start - 1]);
        let trailing = i == path.len() && start > 0 && path[start - 1] == b'/';
        if i - start >= 2 && left && (ends_segment(path, i) || trailing) {
            climbs += 1;
            first.get_or_insert(start);
        }
    }
    let Some(start) = first else {
        return dot_segments(path);
    };
    let confidence = if climbs >= 2 { 0.95 } else { 0.8 };
    Some(Detection::new(
        confidence,
        &path[start..],
        format!("climb:{}", climbs.min(99)),
    ))
}

/// Three or more `.` segments (`/./././`, `.\/\.\`): no client sends them, path
/// normalisation probes do.
fn dot_segments(path: &[u8]) -> Option<Detection> {
    let count = path
        .split(|&b| b == b'/')
        .skip(1)
        .filter(|seg| segment_name(seg) == b".")
        .take(3)
        .count();
    (count >= 3).then(|| Detection::new(0.6, path, "dot-segments"))
}

/// PHP stream wrappers and other URL schemes that read local files or run code when
/// included. `data:` and `file:` need the slashes of a URL so prose (`data: 3 rows`) is
/// not mistaken for one.
const WRAPPERS: &[(&[u8], &[u8])] = &[
    (b"php", b"//"),
    (b"phar", b"//"),
    (b"zip", b"//"),
    (b"zlib", b"//"),
    (b"glob", b"//"),
    (b"expect", b"//"),
    (b"ogg", b"//"),
    (b"rar", b"//"),
    (b"compress.zlib", b"//"),
    (b"compress.bzip2", b"//"),
    (b"ssh2.shell", b"//"),
    (b"ssh2.exec", b"//"),
    (b"ssh2.sftp", b"//"),
    (b"data", b"//"),
    (b"data", b"text/plain"),
    (b"file", b"/"),
];

/// A stream wrapper (`php://filter/…`, `file:///etc/passwd`) anywhere in the value.
fn wrapper(path: &[u8]) -> Option<Detection> {
    for (colon, _) in path.iter().enumerate().filter(|&(_, &b)| b == b':') {
        let mut start = colon;
        while start > 0 && is_scheme_byte(path[start - 1]) {
            start -= 1;
        }
        if start > 0 && path[start - 1].is_ascii_alphanumeric() {
            continue;
        }
        let scheme = &path[start..colon];
        let rest = &path[colon + 1..];
        if WRAPPERS
            .iter()
            .any(|(name, after)| scheme == *name && rest.starts_with(after))
        {
            let fingerprint = format!("wrapper:{}", String::from_utf8_lossy(scheme));
            return Some(Detection::new(0.9, &path[start..], fingerprint));
        }
    }
    None
}

/// Bytes of a URL scheme name.
fn is_scheme_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'+' | b'-')
}

/// Names of PHP stream filters: `php://filter` chains are sent piecemeal too
/// (`convert.iconv.UTF8.CSISO2022KR|convert.base64-decode`), and these names occur in no
/// ordinary value.
const FILTERS: &[&[u8]] = &[
    b"convert.iconv.",
    b"convert.base64-",
    b"convert.quoted-printable-",
    b"string.rot13",
    b"string.toupper",
    b"string.tolower",
    b"string.strip_tags",
    b"zlib.deflate",
    b"zlib.inflate",
    b"bzip2.compress",
    b"/resource=",
];

/// PHP filter-chain vocabulary anywhere in the value.
fn filter_chain(path: &[u8]) -> Option<Detection> {
    // A filter name occurs only if all its bytes and pairs of bytes do (the pairs are
    // computed only if some name has all its bytes there).
    const SETS: [ByteSet; FILTERS.len()] = sets_of(FILTERS);
    const PAIRS: [Pairs; FILTERS.len()] = pairs_of(FILTERS);
    let set = ByteSet::of(path);
    let pairs = std::cell::OnceCell::new();
    let possible = |needs: &ByteSet, needs_pairs: &Pairs| {
        set.all_of(*needs)
            && pairs
                .get_or_init(|| Pairs::of_lower(path))
                .all_of(needs_pairs)
    };
    let at =
        FILTERS
            .iter()
            .zip(SETS.iter().zip(&PAIRS))
            .find_map(|(f, (needs, needs_pairs))| {
                possible(needs, needs_pairs)
                    .then(|| find(path, f))
                    .flatten()
            })?;
    Some(Detection::new(0.75, &path[at..], "php-filter"))
}

/// The first position of `needle` in `hay` (none for an empty needle).
fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    super::jndi::find(hay, needle, 0)
}

/// Top-level directories of Unix and Windows systems and of common server installs:
/// an absolute path into one of them names a system file, not a web resource.
const SYSTEM_ROOTS: &[&[u8]] = &[
    b"etc",
    b"sys",
    b"proc",
    b"var",
    b"usr",
    b"root",
    b"boot",
    b"opt",
    b"sbin",
    b"bin",
    b"srv",
    b"private",
    b"volumes",
    b"xampp",
    b"lampp",
    b"wamp",
    b"apache",
    b"apache2",
    b"httpd",
    b"nginx",
    b"inetpub",
    b"windows",
    b"winnt",
    b"system32",
    b"program files",
    b"program files (x86)",
    b"programfiles",
    b"netserver",
    b"appserv",
];

/// Top-level directories that also name web resources (`/home/`, `/logs/`, `/php/`):
/// a path into them counts only when it ends in a system-looking file.
const AMBIGUOUS_ROOTS: &[&[u8]] = &[
    b"home", b"home2", b"logs", b"log", b"tmp", b"dev", b"lib", b"php", b"php4", b"php5", b"mysql",
    b"pgsql", b"admin", b"config", b"conf", b"www",
];

/// Windows profile folders and the placeholder browsers show for a chosen file: a
/// drive path into them is ordinary (an uploaded file's name as old browsers send it)
/// unless it ends in a sensitive file.
const PROFILE_ROOTS: &[&[u8]] = &[b"users", b"documents and settings", b"fakepath"];

/// File names whose only use in a request is to read them.
const SENSITIVE_FILES: &[&[u8]] = &[
    b"passwd",
    b"master.passwd",
    b"shadow",
    b"boot.ini",
    b"win.ini",
    b"system.ini",
    b"web.config",
    b"web-inf",
    b"meta-inf",
    b"php.ini",
    b"httpd.conf",
    b"apache2.conf",
    b"my.cnf",
    b"my.ini",
    b"id_rsa",
    b"id_dsa",
    b"id_ecdsa",
    b"id_ed25519",
    b"authorized_keys",
    b"known_hosts",
    b"wp-config.php",
    b"ntuser.dat",
    b"access.log",
    b"error.log",
    b"access_log",
    b"error_log",
];

/// Dot files (shell histories, credentials, VCS metadata) that are sensitive even as a
/// bare name.
const DOTFILES: &[&[u8]] = &[
    b".htaccess",
    b".htpasswd",
    b".bash_history",
    b".bashrc",
    b".bash_profile",
    b".profile",
    b".ssh",
    b".git",
    b".svn",
    b".env",
    b".mysql_history",
    b".viminfo",
    b".netrc",
    b".pgpass",
    b".aws",
    b".kube",
    b".docker",
];

/// Extensions of configuration, log and key files.
const SYSTEM_EXTENSIONS: &[&[u8]] = &[
    b"log", b"conf", b"cnf", b"ini", b"cfg", b"pem", b"key", b"crt", b"history", b"pid", b"db",
    b"sqlite",
];

/// A path segment without its NUL-truncation tail, path parameters or query.
fn segment_name(seg: &[u8]) -> &[u8] {
    let end = seg
        .iter()
        .position(|&b| matches!(b, b'\0' | b';' | b'?' | b'#'))
        .unwrap_or(seg.len());
    &seg[..end]
}

/// The non-empty, non-`.` segments of a path, names only.
fn segments(path: &[u8]) -> impl Iterator<Item = &[u8]> {
    path.split(|&b| b == b'/')
        .map(segment_name)
        .filter(|s| !s.is_empty() && *s != b".")
}

/// A file name that only a system file has: sensitive, a dot file, or a configuration,
/// key or log file.
fn is_system_file(name: &[u8]) -> bool {
    if SENSITIVE_FILES.contains(&name) || DOTFILES.contains(&name) {
        return true;
    }
    if (name.len() > 3 && name.ends_with(b"log")) || name.starts_with(b"sess_") {
        return true;
    }
    match name.iter().rposition(|&b| b == b'.') {
        Some(dot) if dot > 0 => SYSTEM_EXTENSIONS.contains(&&name[dot + 1..]),
        Some(_) => name.len() > 1,
        None => false,
    }
}

/// An absolute path into a system directory: `/etc/…`, `c:\windows\…`, `~/.ssh`,
/// `%SYSTEMROOT%\…`.
fn system_path(path: &[u8]) -> Option<Detection> {
    let t = trim_start(path);
    if let Some(rest) = t.strip_prefix(b"~/") {
        let first = segments(rest).next()?;
        return (first.starts_with(b".") || is_system_file(first))
            .then(|| Detection::new(0.8, t, "home-dotfile"));
    }
    if let Some(d) = env_var_path(t) {
        return Some(d);
    }
    let (body, drive) = match drive_path(t) {
        Some(body) => (body, true),
        None if t.first() == Some(&b'/') => (t, false),
        None => return None,
    };
    let names: Vec<&[u8]> = segments(body).collect();
    let (&first, rest) = names.split_first()?;
    if !drive && names.iter().any(|n| is_hidden_dir(n)) {
        return Some(Detection::new(0.7, t, "dotfile"));
    }
    if let Some(at) = names
        .windows(2)
        .position(|pair| is_system_pair(pair[0], pair[1]))
    {
        let fingerprint = format!("system-path:{}", String::from_utf8_lossy(names[at]));
        return Some(Detection::new(0.8, t, fingerprint));
    }
    let last = names.last().copied().unwrap_or_default();
    let strong = SYSTEM_ROOTS.contains(&first) && !rest.is_empty();
    let weak = AMBIGUOUS_ROOTS.contains(&first) && !rest.is_empty() && is_system_file(last);
    let windows = drive && (!PROFILE_ROOTS.contains(&first) || is_system_file(last));
    (strong || weak || windows).then(|| {
        let fingerprint = if drive { "drive-path" } else { "system-path" };
        Detection::new(0.8, t, fingerprint)
    })
}

/// Kernel interfaces under `/proc` and `/dev`.
const PROC_DEV_FILES: &[&[u8]] = &[
    b"self",
    b"version",
    b"cpuinfo",
    b"meminfo",
    b"interrupts",
    b"mounts",
    b"net",
    b"sys",
    b"cmdline",
    b"environ",
    b"sched_debug",
    b"kcore",
    b"null",
    b"zero",
    b"random",
    b"urandom",
    b"tcp",
    b"udp",
    b"shm",
    b"stdin",
    b"stdout",
    b"fd",
    b"mem",
    b"kmem",
];

/// `etc/passwd`, `proc/self`, `dev/tcp` at any depth of a path (`/download/proc/self/…`):
/// a system directory with one of its own files under it.
fn is_system_pair(dir: &[u8], name: &[u8]) -> bool {
    match dir {
        b"etc" => {
            is_system_file(name)
                || matches!(
                    name,
                    b"group"
                        | b"hosts"
                        | b"issue"
                        | b"hostname"
                        | b"crontab"
                        | b"sudoers"
                        | b"fstab"
                        | b"motd"
                        | b"ssh"
                        | b"apache2"
                        | b"httpd"
                        | b"nginx"
                        | b"mysql"
                )
        }
        b"proc" => PROC_DEV_FILES.contains(&name) || name.iter().all(u8::is_ascii_digit),
        b"dev" => PROC_DEV_FILES.contains(&name),
        _ => false,
    }
}

/// A dot file or directory in a path (`/.rhosts`, `/.git/config`, `/app/.env`), which no
/// web resource is, except the standard `/.well-known/`.
fn is_hidden_dir(name: &[u8]) -> bool {
    name.len() > 1 && name[0] == b'.' && name[1].is_ascii_alphanumeric() && name != b".well-known"
}

/// `path` without leading spaces and quotes.
fn trim_start(path: &[u8]) -> &[u8] {
    let skip = path
        .iter()
        .take_while(|&&b| matches!(b, b' ' | b'\t' | b'"' | b'\'' | b'\r' | b'\n'))
        .count();
    &path[skip..]
}

/// The path after a drive letter (`c:/…`, also after a leading `/` as in `/c:/…`).
fn drive_path(t: &[u8]) -> Option<&[u8]> {
    let t = t.strip_prefix(b"/").unwrap_or(t);
    match t {
        [letter, b':', b'/', rest @ ..] if letter.is_ascii_alphabetic() => Some(rest),
        // `c:windows/…`: a drive-relative path, as cmd resolves it.
        [letter, b':', rest @ ..] if letter.is_ascii_alphabetic() => {
            let first = rest.split(|&b| b == b'/').next().unwrap_or_default();
            (rest.len() > first.len() && SYSTEM_ROOTS.contains(&first)).then_some(rest)
        }
        _ => None,
    }
}

/// A Windows environment-variable path, `%SYSTEMROOT%\…`, anywhere in the value.
fn env_var_path(t: &[u8]) -> Option<Detection> {
    let mut i = 0;
    while let Some(off) = t.get(i..)?.iter().position(|&b| b == b'%') {
        let open = i + off;
        let name_len = t[open + 1..]
            .iter()
            .take_while(|&&b| b.is_ascii_alphabetic() || b == b'_')
            .count();
        let close = open + 1 + name_len;
        if name_len >= 3 && t.get(close) == Some(&b'%') && t.get(close + 1) == Some(&b'/') {
            return Some(Detection::new(0.8, &t[open..], "env-path"));
        }
        i = open + 1;
    }
    None
}

/// A sensitive file named in a path (`WEB-INF/web.xml`, `x/.htpasswd`), or a bare
/// sensitive dot file or Windows ini (`.htpasswd`, `boot.ini`).
fn sensitive_file(path: &[u8]) -> Option<Detection> {
    let t = trim_start(path);
    let hit = if t.contains(&b'/') {
        segments(t).any(|name| SENSITIVE_FILES.contains(&name) || DOTFILES.contains(&name))
    } else {
        // A bare word: only names no prose uses (`.htpasswd`, `boot.ini`), not `shadow`.
        let name = segment_name(t);
        DOTFILES.contains(&name)
            || (SENSITIVE_FILES.contains(&name) && name.iter().any(|&b| b == b'.' || b == b'-'))
    };
    hit.then(|| Detection::new(0.7, t, "sensitive-file"))
}

/// Base64 characters (standard and URL-safe alphabets).
fn is_base64_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'-' | b'_')
}

/// The same shapes inside a value that is entirely base64 (`Li4vLi4vZXRjL3Bhc3N3ZA==`).
fn base64_layer(input: &[u8]) -> Option<Detection> {
    let t = input
        .strip_suffix(b"==")
        .or_else(|| input.strip_suffix(b"="))
        .unwrap_or(input);
    if t.len() < 8 || !t.iter().all(|&b| is_base64_byte(b)) {
        return None;
    }
    // Most base64-looking values (hex tokens, long words) decode to unprintable bytes:
    // find out before decoding into a buffer.
    let printable = |b: u8| b.is_ascii_graphic() || b == b' ';
    if !base64_bytes(t).all(printable) {
        return None;
    }
    let decoded = base64_decode(t);
    let path = fold_path(&decode_layers(&decoded));
    let hit = climb(&path)
        .or_else(|| wrapper(&path))
        .or_else(|| system_path(&path))
        .or_else(|| sensitive_file(&path))?;
    Some(Detection::new(
        hit.confidence,
        &hit.fragment,
        format!("base64/{}", hit.fingerprint),
    ))
}

/// Decodes unpadded base64 in either alphabet (the caller checked the characters).
fn base64_decode(t: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(t.len() / 4 * 3 + 2);
    out.extend(base64_bytes(t));
    out
}

/// The bytes unpadded base64 `t` decodes to, one at a time.
fn base64_bytes(t: &[u8]) -> impl Iterator<Item = u8> + '_ {
    let (mut acc, mut bits) = (0u32, 0u32);
    t.iter().filter_map(move |&b| {
        let v = match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'+' | b'-' => 62,
            _ => 63,
        };
        acc = (acc << 6 | u32::from(v)) & 0xff_ffff;
        bits += 6;
        (bits >= 8).then(|| {
            bits -= 8;
            (acc >> bits) as u8
        })
    })
}

#[cfg(test)]
mod tests;
