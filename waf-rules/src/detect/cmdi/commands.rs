//! The commands an injection runs, and what their arguments look like.
//!
//! A command name alone proves little (`cat`, `ping`, `type`, `more` are English words),
//! so each command comes with the shape of arguments it takes when it is really run:
//! `cat` a path, `ping` a host, `sleep` a number, `net` a subcommand. Unix names match
//! case-sensitively (the shell does); Windows names, like `cmd.exe`, ignore case.

/// What the arguments of a command must look like for the command line to be real.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Args {
    /// Reconnaissance commands that take no operands (`id`, `whoami`): only flags.
    Flags,
    /// File commands: a path, a glob, a file name with an extension, or a flag.
    Files,
    /// Network commands: a URL, an address, a host name or a flag.
    Network,
    /// Interpreters and shells: a flag (`-c`, `-e`, `/c`), a path or a URL.
    Interpreter,
    /// `sleep`-like: a number.
    Number,
    /// `echo`-like: with a redirection into a file (or, see the caller, where prose
    /// cannot put it).
    Redirected,
    /// `which`-like: the name of another command.
    CommandName,
    /// Windows administration tools (`net`, `reg`): one of their subcommands first.
    Subcommand(&'static [&'static str]),
    /// Tools with no other use (`netsh`, `wmic`, `certutil`): any argument.
    Any,
}

/// A command name and what it takes.
#[derive(Debug, Clone, Copy)]
pub(super) struct Command {
    /// The name, lower case.
    pub name: &'static str,
    /// The arguments it needs.
    pub args: Args,
    /// Whether it is a command on its own, without arguments, after a separator.
    pub bare: bool,
    /// Whether it is a Windows command (matched ignoring case, with or without `.exe`).
    pub windows: bool,
}

const fn unix(name: &'static str, args: Args, bare: bool) -> Command {
    Command {
        name,
        args,
        bare,
        windows: false,
    }
}

const fn win(name: &'static str, args: Args, bare: bool) -> Command {
    Command {
        name,
        args,
        bare,
        windows: true,
    }
}

/// The commands recognised.
const COMMANDS: &[Command] = &[
    // Reconnaissance.
    unix("id", Args::Flags, true),
    win("whoami", Args::Flags, true),
    unix("pwd", Args::Flags, true),
    unix("uname", Args::Flags, true),
    unix("ifconfig", Args::Flags, true),
    win("ipconfig", Args::Flags, true),
    win("systeminfo", Args::Flags, true),
    unix("sysinfo", Args::Flags, true),
    win("hostname", Args::Flags, true),
    win("netstat", Args::Flags, true),
    win("tasklist", Args::Flags, true),
    win("ver", Args::Flags, false),
    unix("ps", Args::Flags, true),
    unix("env", Args::Flags, false),
    unix("printenv", Args::Flags, true),
    unix("lsb_release", Args::Flags, true),
    unix("uptime", Args::Flags, false),
    unix("crontab", Args::Flags, false),
    unix("lsof", Args::Flags, true),
    unix("getent", Args::Files, false),
    win("arp", Args::Flags, false),
    // Files.
    unix("cat", Args::Files, false),
    unix("tac", Args::Files, false),
    unix("nl", Args::Files, false),
    unix("more", Args::Files, false),
    unix("less", Args::Files, false),
    unix("head", Args::Files, false),
    unix("tail", Args::Files, false),
    unix("ls", Args::Files, true),
    win("dir", Args::Files, true),
    win("type", Args::Files, false),
    unix("rm", Args::Files, false),
    unix("cp", Args::Files, false),
    unix("mv", Args::Files, false),
    unix("chmod", Args::Files, false),
    unix("chown", Args::Files, false),
    unix("touch", Args::Files, false),
    unix("mkdir", Args::Files, false),
    unix("find", Args::Files, false),
    unix("grep", Args::Files, false),
    unix("strings", Args::Files, false),
    unix("od", Args::Files, false),
    unix("xxd", Args::Files, false),
    unix("base64", Args::Files, false),
    unix("tar", Args::Files, false),
    unix("unzip", Args::Files, false),
    unix("ln", Args::Files, false),
    unix("dd", Args::Files, false),
    unix("gcc", Args::Files, false),
    unix("cd", Args::Files, false),
    unix("tee", Args::Files, false),
    unix("mkfifo", Args::Files, false),
    win("findstr", Args::Any, false),
    unix("expr", Args::Number, false),
    unix("sudo", Args::Flags, false),
    unix(
        "ip",
        Args::Subcommand(&["addr", "address", "a", "route", "link", "neigh"]),
        false,
    ),
    win("del", Args::Files, false),
    win("copy", Args::Files, false),
    win("attrib", Args::Files, false),
    win("icacls", Args::Files, false),
    // Network.
    win("curl", Args::Network, false),
    unix("wget", Args::Network, false),
    unix("nc", Args::Network, false),
    unix("ncat", Args::Network, false),
    unix("netcat", Args::Network, false),
    unix("socat", Args::Network, false),
    win("telnet", Args::Network, false),
    win("ftp", Args::Network, false),
    win("tftp", Args::Network, false),
    win("ssh", Args::Network, false),
    unix("scp", Args::Network, false),
    win("nslookup", Args::Network, false),
    unix("dig", Args::Network, false),
    win("ping", Args::Network, false),
    unix("ping6", Args::Network, false),
    unix("traceroute", Args::Network, false),
    win("tracert", Args::Network, false),
    // Interpreters.
    unix("sh", Args::Interpreter, false),
    unix("bash", Args::Interpreter, false),
    unix("zsh", Args::Interpreter, false),
    unix("ksh", Args::Interpreter, false),
    unix("dash", Args::Interpreter, false),
    unix("csh", Args::Interpreter, false),
    unix("python", Args::Interpreter, false),
    unix("python2", Args::Interpreter, false),
    unix("python3", Args::Interpreter, false),
    unix("perl", Args::Interpreter, false),
    unix("ruby", Args::Interpreter, false),
    unix("php", Args::Interpreter, false),
    unix("node", Args::Interpreter, false),
    unix("lua", Args::Interpreter, false),
    unix("awk", Args::Interpreter, false),
    win("cmd", Args::Interpreter, false),
    win("powershell", Args::Interpreter, false),
    win("pwsh", Args::Interpreter, false),
    win("cscript", Args::Interpreter, false),
    win("wscript", Args::Interpreter, false),
    win("mshta", Args::Interpreter, false),
    win("rundll32", Args::Interpreter, false),
    win("regsvr32", Args::Interpreter, false),
    // Delays (blind injection).
    unix("sleep", Args::Number, false),
    win("timeout", Args::Number, false),
    // Writing files.
    win("echo", Args::Redirected, false),
    unix("printf", Args::Redirected, false),
    // Probing for tools.
    unix("which", Args::CommandName, false),
    unix("whereis", Args::CommandName, false),
    // Windows administration.
    win(
        "net",
        Args::Subcommand(&[
            "user",
            "users",
            "view",
            "localgroup",
            "group",
            "share",
            "use",
            "start",
            "stop",
            "session",
            "accounts",
            "config",
        ]),
        false,
    ),
    win(
        "reg",
        Args::Subcommand(&["add", "query", "delete", "save", "export", "import", "load"]),
        false,
    ),
    win(
        "sc",
        Args::Subcommand(&["query", "create", "start", "stop", "config", "qc", "delete"]),
        false,
    ),
    win("netsh", Args::Any, false),
    win("regedit", Args::Any, false),
    win("wmic", Args::Any, true),
    win("certutil", Args::Any, false),
    win("bitsadmin", Args::Any, false),
    win("schtasks", Args::Any, false),
    win("taskkill", Args::Any, false),
    // PowerShell cmdlets and aliases that fetch or run code.
    win("iex", Args::Any, false),
    win("invoke-expression", Args::Any, false),
    win("invoke-webrequest", Args::Any, false),
    win("iwr", Args::Any, false),
    win("invoke-restmethod", Args::Any, false),
    win("start-process", Args::Any, false),
    win("new-object", Args::Any, false),
];

/// Whether some command name may start at a word boundary of `value`: at its start or
/// after a byte that is not an ASCII letter or digit, spelled in any case, and followed
/// by its end or a byte that is not a letter. `false` means no word of `value` (nor any
/// part of one after a `/`) names a command the way [`lookup`] reads it.
pub(super) fn may_name_command(value: &[u8]) -> bool {
    // Whether position `p` is a boundary: the start, or after a non-alphanumeric byte.
    let mut boundary = true;
    for p in 0..value.len().saturating_sub(1) {
        let a = value[p];
        if boundary && COMMAND_HEADS.has(a, value[p + 1]) && names_command_at(value, p) {
            return true;
        }
        boundary = !a.is_ascii_alphanumeric();
    }
    false
}

/// Whether a command name starts at `value[p]` (whose first two bytes start a name),
/// in any case, followed by the end or a byte that is not a letter.
fn names_command_at(value: &[u8], p: usize) -> bool {
    BY_INITIAL[usize::from(value[p].to_ascii_lowercase() - b'a')]
        .iter()
        .any(|&i| {
            let name = COMMANDS[usize::from(i)].name.as_bytes();
            value
                .get(p..p + name.len())
                .is_some_and(|w| w.eq_ignore_ascii_case(name))
                && !value
                    .get(p + name.len())
                    .is_some_and(u8::is_ascii_alphabetic)
        })
}

/// Whether a glob in `value` may name a command: [`lookup_glob`] reads the last `/`
/// segment of a word and needs it to be made of lower-case letters, digits, `?` and
/// `*` only. When words are runs of the value (see the caller), such a segment is a
/// whole run of those bytes (its neighbours, `/` or word boundaries, are none of
/// them), so looking up every run with a wildcard finds every glob there is.
pub(super) fn may_glob_command(value: &[u8]) -> bool {
    let globbing =
        |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'?' | b'*');
    value
        .split(|b| !globbing(b))
        .any(|run| run.iter().any(|&b| b == b'?' || b == b'*') && lookup_glob(run).is_some())
}

/// The first two bytes of every command name, lower-cased, as a set of pairs of ASCII
/// bytes (every name has at least two bytes, checked when compiling).
const COMMAND_HEADS: Pairs = {
    let mut pairs = Pairs([0; 256]);
    let mut i = 0;
    while i < COMMANDS.len() {
        let name = COMMANDS[i].name.as_bytes();
        assert!(name.len() >= 2 && name[0].is_ascii() && name[1].is_ascii());
        pairs.insert(name[0].to_ascii_lowercase(), name[1].to_ascii_lowercase());
        i += 1;
    }
    pairs
};

/// The indices in [`COMMANDS`] of the names starting with each letter `a`–`z` (every
/// name starts with a lower-case letter, checked when compiling).
const BY_INITIAL: [&[u8]; 26] = {
    const fn count(letter: u8) -> usize {
        let (mut n, mut i) = (0, 0);
        while i < COMMANDS.len() {
            n += (COMMANDS[i].name.as_bytes()[0] == letter) as usize;
            i += 1;
        }
        n
    }
    /// Room for the most names one letter has.
    const MOST: usize = 16;
    const fn bucket(letter: u8) -> ([u8; MOST], usize) {
        let mut out = [0u8; MOST];
        let (mut n, mut i) = (0, 0);
        while i < COMMANDS.len() {
            if COMMANDS[i].name.as_bytes()[0] == letter {
                out[n] = i as u8;
                n += 1;
            }
            i += 1;
        }
        (out, n)
    }
    const BUCKETS: [([u8; MOST], usize); 26] = {
        let mut all = [([0u8; MOST], 0); 26];
        let mut l = 0;
        let mut total = 0;
        while l < 26 {
            assert!(count(b'a' + l as u8) <= MOST);
            all[l] = bucket(b'a' + l as u8);
            total += all[l].1;
            l += 1;
        }
        assert!(total == COMMANDS.len() && COMMANDS.len() <= 256);
        all
    };
    let mut out: [&[u8]; 26] = [&[]; 26];
    let mut l = 0;
    while l < 26 {
        let (indices, n) = &BUCKETS[l];
        out[l] = indices.split_at(*n).0;
        l += 1;
    }
    out
};

/// A set of pairs of ASCII bytes, one bit each.
struct Pairs([u64; 256]);

impl Pairs {
    const fn insert(&mut self, a: u8, b: u8) {
        let bit = (a as usize) << 7 | b as usize;
        self.0[bit >> 6] |= 1 << (bit & 63);
    }

    /// Whether `a`, `b` (in any case) is in the set.
    const fn has(&self, a: u8, b: u8) -> bool {
        // Lower-casing keeps non-ASCII bytes non-ASCII; their high bits are cleared
        // here, and no pair of the set has a non-ASCII byte anyway.
        let (a, b) = (a.to_ascii_lowercase(), b.to_ascii_lowercase());
        let bit = ((a & 0x7f) as usize) << 7 | (b & 0x7f) as usize;
        a.is_ascii() && b.is_ascii() && self.0[bit >> 6] & 1 << (bit & 63) != 0
    }
}

/// Words that run the command after them (`sudo id`, `nohup nc …`): the command is the
/// next word.
pub(super) const PREFIXES: &[&str] = &[
    "sudo", "nohup", "exec", "nice", "busybox", "command", "builtin", "xargs",
];

/// Directories the command name may be spelled with (`/bin/cat`, `/usr/bin/id`).
const BIN_DIRS: &[&[u8]] = &[
    b"/bin/",
    b"/usr/bin/",
    b"/sbin/",
    b"/usr/sbin/",
    b"/usr/local/bin/",
    b"/usr/local/sbin/",
    b"usr/bin/",
    b"bin/",
];

/// The command a word names, if any.
pub(super) fn lookup(word: &[u8]) -> Option<&'static Command> {
    // `%COMSPEC%` is the path of `cmd.exe`, `$SHELL` that of the user's shell.
    let name: &[u8] = if word.eq_ignore_ascii_case(b"%comspec%") {
        b"cmd"
    } else if word == b"$SHELL" || word == b"${SHELL}" {
        b"sh"
    } else {
        strip_bin_dir(word)
    };
    if name.is_empty() || name.len() > 24 {
        return None;
    }
    let exact = named(name).find(|c| c.name.as_bytes() == name);
    exact
        .or_else(|| {
            // `name` has at most 24 bytes (see above).
            let mut buf = [0u8; 24];
            let lower = &mut buf[..name.len()];
            lower.copy_from_slice(name);
            lower.make_ascii_lowercase();
            let lower = lower.strip_suffix(b".exe").unwrap_or(lower);
            named(lower).find(|c| c.windows && c.name.as_bytes() == lower)
        })
        .or_else(|| {
            // `python3.10`, `php7.4`: an interpreter with its version.
            let base = name.trim_ascii_end();
            let digits = base
                .iter()
                .rev()
                .take_while(|b| b.is_ascii_digit() || **b == b'.')
                .count();
            let stem = &base[..base.len() - digits];
            (digits > 0 && !stem.is_empty())
                .then(|| {
                    named(stem).find(|c| c.args == Args::Interpreter && c.name.as_bytes() == stem)
                })
                .flatten()
        })
}

/// The commands, in the order of [`COMMANDS`], whose name may equal `word`: those
/// with its first byte (none if that is not a lower-case letter, as every name's is).
fn named(word: &[u8]) -> impl Iterator<Item = &'static Command> {
    let bucket: &[u8] = match word.first() {
        Some(&initial) if initial.is_ascii_lowercase() => BY_INITIAL[usize::from(initial - b'a')],
        _ => &[],
    };
    bucket.iter().map(|&i| &COMMANDS[usize::from(i)])
}

/// The command a glob spells (`/???/c?t`, `/bin/ca?`, `/usr/bin/wh*`): the last path
/// segment, with `?` for one character and at most one `*`, matched against the names.
pub(super) fn lookup_glob(word: &[u8]) -> Option<&'static Command> {
    let name = word.rsplit(|&b| b == b'/').next().unwrap_or(word);
    let stars = name.iter().filter(|&&b| b == b'*').count();
    let wild = stars + name.iter().filter(|&&b| b == b'?').count();
    let literal = name.len() - wild;
    // The pattern must pin a name down: `c?t`, `??t` in `/???/??t`, not `*` or `??`.
    let pinned = literal >= 1 && name.len() - stars >= 2;
    if wild == 0 || stars > 1 || name.len() > 24 || !pinned {
        return None;
    }
    if !name
        .iter()
        .all(|&b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'?' || b == b'*')
    {
        return None;
    }
    let star = name.iter().position(|&b| b == b'*');
    let matches = |c: &&'static Command| glob_matches(name, star, c.name.as_bytes());
    match name.first() {
        // A literal first letter: only names with that initial can match, and
        // [`BY_INITIAL`] keeps them in the order of [`COMMANDS`].
        Some(&initial) if initial.is_ascii_lowercase() => BY_INITIAL[usize::from(initial - b'a')]
            .iter()
            .map(|&i| &COMMANDS[usize::from(i)])
            .find(matches),
        _ => COMMANDS.iter().find(matches),
    }
}

/// Whether `pattern` (`?` any one byte, at most one `*` any run) matches `name`.
/// `star` is where the `*` of `pattern` is, if it has one.
fn glob_matches(pattern: &[u8], star: Option<usize>, name: &[u8]) -> bool {
    let one = |p: &[u8], n: &[u8]| {
        p.len() == n.len() && p.iter().zip(n).all(|(a, b)| *a == b'?' || a == b)
    };
    match star {
        None => one(pattern, name),
        Some(star) => {
            let (head, tail) = (&pattern[..star], &pattern[star + 1..]);
            name.len() >= head.len() + tail.len()
                && one(head, &name[..head.len()])
                && one(tail, &name[name.len() - tail.len()..])
        }
    }
}

/// `word` without a leading binary directory (`/usr/bin/id` is `id`, and so is
/// `/x//usr/bin/id`: any path through a `bin/` directory).
fn strip_bin_dir(word: &[u8]) -> &[u8] {
    if let Some(name) = BIN_DIRS.iter().find_map(|dir| word.strip_prefix(*dir)) {
        return name;
    }
    match word.iter().rposition(|&b| b == b'/') {
        Some(slash) if word[..=slash].ends_with(b"bin/") => &word[slash + 1..],
        _ => word,
    }
}

/// Whether a word is a flag: `-l`, `-lvvp`, `--help`, or Windows `/c`, `/all`.
pub(super) fn is_flag(arg: &[u8]) -> bool {
    match arg {
        [b'-', rest @ ..] => {
            !rest.is_empty()
                && rest.len() <= 24
                && rest.iter().all(|&b| b.is_ascii_alphanumeric() || b == b'-')
        }
        [b'/', rest @ ..] => {
            (1..=8).contains(&rest.len()) && rest.iter().all(u8::is_ascii_alphabetic)
        }
        // `chmod +x`, `+s`.
        [b'+', rest @ ..] => {
            (1..=3).contains(&rest.len()) && rest.iter().all(u8::is_ascii_lowercase)
        }
        _ => false,
    }
}

/// Whether a word names a file: an absolute, home or relative path, a drive path, a
/// glob, a Windows variable path or a name with an extension.
pub(super) fn is_path(arg: &[u8]) -> bool {
    if let [letter, b':', ..] = arg {
        // A drive (`c:\`, whose backslash the shell lexing dropped).
        return letter.is_ascii_alphabetic();
    }
    if arg.contains(&b' ') {
        return false;
    }
    match arg {
        [b'/' | b'~' | b'\\', _, ..] => true,
        // A variable (`$HOME`, `${HOME:0:1}etc`).
        [b'$', b'{' | b'A'..=b'Z', ..] => true,
        [b'.', b'/' | b'.', ..] => true,
        [b'%', ..] => arg.iter().skip(1).any(|&b| b == b'%'),
        _ => {
            let globbed = arg.iter().any(|&b| b == b'*' || b == b'?') && arg.len() > 1;
            let slashed = arg.contains(&b'/') && arg.iter().any(u8::is_ascii_alphanumeric);
            globbed || has_extension(arg) || slashed
        }
    }
}

/// `name.ext` with a short alphanumeric extension.
fn has_extension(arg: &[u8]) -> bool {
    match arg.iter().rposition(|&b| b == b'.') {
        Some(dot) if dot > 0 => {
            let ext = &arg[dot + 1..];
            (1..=5).contains(&ext.len())
                && ext
                    .iter()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
                && ext.iter().any(u8::is_ascii_lowercase)
                && arg[..dot]
                    .iter()
                    .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
        }
        _ => false,
    }
}

/// Whether a word is a network target: a URL, a dotted address, a host name.
pub(super) fn is_host(arg: &[u8]) -> bool {
    if arg.windows(3).any(|w| w == b"://") {
        return true;
    }
    let dots = arg.iter().filter(|&&b| b == b'.').count();
    let hostish = arg
        .iter()
        .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'_' | b'@'));
    let ends_well = arg.last().is_some_and(u8::is_ascii_alphanumeric);
    let first_ok = arg.first().is_some_and(u8::is_ascii_alphanumeric);
    (hostish && dots >= 1 && ends_well && first_ok) || arg == b"localhost"
}

/// Whether a word is a number (`5`, `10s`, `0.5`).
pub(super) fn is_number(arg: &[u8]) -> bool {
    let digits = arg
        .iter()
        .take_while(|b| b.is_ascii_digit() || **b == b'.')
        .count();
    digits > 0 && digits + 1 >= arg.len() && arg.first().is_some_and(u8::is_ascii_digit)
}

/// Whether `args` fit what `cmd` takes; `redirected` tells whether the command line
/// writes to a file.
pub(super) fn args_fit(cmd: &Command, args: &[&[u8]], redirected: bool) -> bool {
    match cmd.args {
        Args::Flags => args.iter().all(|a| is_flag(a)),
        Args::Files => args.iter().any(|a| is_flag(a) || is_path(a)),
        Args::Network => args.iter().any(|a| is_flag(a) || is_host(a)),
        Args::Interpreter => args.iter().any(|a| is_flag(a) || is_path(a) || is_host(a)),
        Args::Number => args.first().is_some_and(|a| is_number(a) || is_flag(a)),
        Args::Redirected => redirected,
        Args::CommandName => args.first().is_some_and(|a| lookup(a).is_some()),
        Args::Subcommand(subs) => args.first().is_some_and(|a| {
            let lower = a.to_ascii_lowercase();
            subs.iter().any(|s| s.as_bytes() == lower)
        }),
        Args::Any => !args.is_empty(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn looks_up_names() {
        assert_eq!(lookup(b"cat").map(|c| c.name), Some("cat"));
        assert_eq!(lookup(b"/usr/bin/id").map(|c| c.name), Some("id"));
        assert_eq!(lookup(b"PING.EXE").map(|c| c.name), Some("ping"));
        assert_eq!(lookup(b"Dir").map(|c| c.name), Some("dir"));
        assert!(lookup(b"Cat").is_none(), "unix names are case-sensitive");
        assert!(lookup(b"catalog").is_none());
        assert!(lookup(b"").is_none());
        assert_eq!(lookup(b"python3.10").map(|c| c.name), Some("python"));
        assert_eq!(lookup(b"$SHELL").map(|c| c.name), Some("sh"));
        assert!(lookup(b"catalog2").is_none());
    }

    #[test]
    fn matches_globs() {
        assert_eq!(lookup_glob(b"/???/c?t").map(|c| c.name), Some("cat"));
        assert_eq!(lookup_glob(b"/bin/ca?").map(|c| c.name), Some("cat"));
        assert_eq!(lookup_glob(b"/???/b??h").map(|c| c.name), Some("bash"));
        assert_eq!(
            lookup_glob(b"/usr/bin/who*").map(|c| c.name),
            Some("whoami")
        );
        assert!(lookup_glob(b"cat").is_none());
        assert!(lookup_glob(b"???").is_none());
        assert!(lookup_glob(b"*a*t").is_none());
        assert!(lookup_glob(b"What?").is_none());
        assert!(lookup_glob(b"1=1/*").is_none());
        assert!(lookup_glob(b"/*").is_none());
        assert!(lookup_glob(b"/??").is_none());
    }

    #[test]
    fn classifies_arguments() {
        assert!(is_flag(b"-lvvp") && is_flag(b"/all") && is_flag(b"--help"));
        assert!(!is_flag(b"-") && !is_flag(b"/etc/passwd") && !is_flag(b"me"));
        assert!(is_path(b"/etc/passwd") && is_path(b"C:\\boot.ini") && is_path(b"config.php"));
        assert!(is_path(b"%SYSTEMROOT%\\repair") && is_path(b"*.txt"));
        assert!(!is_path(b"me") && !is_path(b"dog.") && !is_path(b"Mr.Smith"));
        assert!(is_host(b"127.0.0.1") && is_host(b"evil.com") && is_host(b"http://x"));
        assert!(!is_host(b"me") && !is_host(b"later.") && !is_host(b"1."));
        assert!(is_number(b"5") && is_number(b"10s") && is_number(b"0.5"));
        assert!(!is_number(b"well") && !is_number(b"") && !is_number(b"5hours"));
    }
}
