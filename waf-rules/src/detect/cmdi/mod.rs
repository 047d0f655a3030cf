//! OS command injection: shell and Windows `cmd` / PowerShell command lines.
//!
//! The value is tokenized as a shell would ([`lexer`]), from three starting points: at
//! the top level, and as the tail of a single- or double-quoted string the application
//! built (`';id;'`, `"|whoami"`). A command word is then judged by *where* it stands and
//! *what follows it* ([`commands`]):
//!
//! * after a separator (`;`, `|`, `||`, `&`, `&&`, a line break) or inside a substitution
//!   (`` `…` ``, `$(…)`), a known command with arguments of its shape (or a reconnaissance
//!   command alone, `;id`) is an injection;
//! * at the very start of the value, the command line must prove itself: arguments of the
//!   command's shape (`cat /etc/passwd`, `ping -c 10 127.0.0.1`) or a separator right after
//!   a bare command (`id;`).
//!
//! Prose passes: English uses `cat`, `ping`, `sleep`, `type` and `&`, but not followed by
//! a path, a host, a number or a flag, and Unix command names are case-sensitive. A few
//! shell-only constructs fire alone: `$IFS` word splitting, the Shellshock function
//! prefix `() {`, `/dev/tcp/` reverse shells, glob-spelled binaries (`/???/c?t`) and the
//! command string of `system('…')`-style calls.

mod commands;
mod lexer;

use super::Detection;
use super::bytes::ByteSet;
use super::jndi::find;
use super::traversal::decode::{decode_layers, query_values};
use commands::{Args, Command, PREFIXES, args_fit, is_flag, lookup, lookup_glob};
use lexer::{Sep, Start, Tok, lex};
use std::borrow::Cow;

/// Recognises OS command injection; see the module documentation.
pub fn cmdi(input: &[u8]) -> Option<Detection> {
    if input.is_empty() || surely_clean(input) {
        return None;
    }
    inspect(input).or_else(|| {
        query_values(input).find_map(|v| {
            let spaced: Vec<u8> = v
                .iter()
                .map(|&b| if b == b'+' { b' ' } else { b })
                .collect();
            inspect(&decode_layers(&spaced))
        })
    })
}

/// Whether no reading of `value` can hold a finding, judged from its bytes and words;
/// `false` when unsure.
///
/// Without `\`, `$` or `%`, nothing rebuilds a word from pieces but quotes: no escape
/// is removed, no expansion is spliced out, no escape is decoded (and `+` read as a
/// space only splits words). Every word a reading lexes is then a run of the value
/// with some quote characters taken out, starting at the value's beginning or after a
/// byte that is not a letter or digit (a space, a separator, a bracket, `/`, `+`,
/// `=`); so is the command name looked up in it (after a `bin/` directory), which has
/// no quote: it is a run of the value with every quote character taken out, at such a
/// boundary. Every finding but the markers needs such a name, spelled in any case
/// (Windows) and followed by nothing, `.exe` or a version, that is by a byte that is
/// not a letter; or a glob naming a command (see [`commands::may_glob_command`]).
/// The markers need `/dev/` or a function definition's `(`, `)`, `{` and `:`.
fn surely_clean(value: &[u8]) -> bool {
    let set = ByteSet::of(value);
    if set.any_of(ByteSet::new(b"\\$%"))
        || set.all_of(ByteSet::new(b"(){:"))
        || (set.all_of(ByteSet::new(b"/dev")) && find(value, b"/dev/", 0).is_some())
    {
        return false;
    }
    let unquoted: Cow<'_, [u8]> = if set.any_of(ByteSet::new(b"'\"")) {
        Cow::Owned(
            value
                .iter()
                .copied()
                .filter(|&b| b != b'\'' && b != b'"')
                .collect(),
        )
    } else {
        Cow::Borrowed(value)
    };
    let globbed = set.any_of(ByteSet::new(b"?*")) && commands::may_glob_command(&unquoted);
    !globbed && !commands::may_name_command(&unquoted)
}

/// The value as sent, then its spellings an application could decode it into.
fn inspect(value: &[u8]) -> Option<Detection> {
    let mut best = analyse(value);
    for variant in variants(value) {
        if best.as_ref().is_some_and(|d| d.confidence >= 0.9) {
            break;
        }
        let hit = analyse(&variant);
        if hit.as_ref().map(|d| d.confidence) > best.as_ref().map(|d| d.confidence) {
            best = hit;
        }
    }
    best
}

/// Other spellings of `value`: percent-decoded once more (`%0aid`), with `+` as a space
/// (`+|+dir+c:\`), with the `\n` escapes of payload lists read as line breaks, and, for
/// a URL path, the last segment on its own (`/comments/net view`).
fn variants(value: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let decoded = decode_layers(value);
    let mut current = if decoded == value {
        value.to_vec()
    } else {
        decoded.clone()
    };
    if decoded != value {
        out.push(decoded);
    }
    if current.contains(&b'+') {
        current = current
            .iter()
            .map(|&b| if b == b'+' { b' ' } else { b })
            .collect();
        out.push(current.clone());
    }
    if let Some(unescaped) = newline_escapes(&current) {
        current = unescaped;
        out.push(current.clone());
    }
    if let Some(tail) = path_tail(&current) {
        out.push(tail.to_vec());
    }
    out
}

/// The text after the last `/` of a URL path's first word (`net view` in
/// `/comments/net view`), where a payload appended to a path starts.
fn path_tail(value: &[u8]) -> Option<&[u8]> {
    if value.first() != Some(&b'/') {
        return None;
    }
    let word_end = value
        .iter()
        .position(|&b| b.is_ascii_whitespace() || matches!(b, b';' | b'|' | b'&'))
        .unwrap_or(value.len());
    let slash = value[..word_end].iter().rposition(|&b| b == b'/')?;
    let tail = &value[slash + 1..];
    (!tail.is_empty()).then_some(tail)
}

/// `value` with literal `\n` / `\r` escapes at a word boundary turned into line breaks,
/// or `None` when it has none.
fn newline_escapes(value: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(value.len());
    let mut changed = false;
    let mut i = 0;
    while let Some(&b) = value.get(i) {
        if b == b'\\' && matches!(value.get(i + 1), Some(b'n' | b'r')) {
            let before = i.checked_sub(1).and_then(|p| value.get(p));
            let after = value.get(i + 2);
            let boundary = !before.is_some_and(u8::is_ascii_alphanumeric)
                || !after.is_some_and(u8::is_ascii_alphanumeric);
            if boundary {
                out.push(b'\n');
                i += 2;
                changed = true;
                continue;
            }
        }
        out.push(b);
        i += 1;
    }
    changed.then_some(out)
}

/// The strongest command line in `value`, lexed from each starting context.
fn analyse(value: &[u8]) -> Option<Detection> {
    if let Some(hit) = markers(value) {
        return Some(hit);
    }
    let mut best: Option<Detection> = None;
    for start in [Start::Unquoted, Start::Single, Start::Double] {
        let Some(toks) = lex(value, start) else {
            continue;
        };
        if let Some(hit) = scan(value, &toks, start == Start::Unquoted)
            && best.as_ref().is_none_or(|b| hit.confidence > b.confidence)
        {
            best = Some(hit);
        }
    }
    best
}

/// Shell-only constructs that prove an injection on their own.
fn markers(value: &[u8]) -> Option<Detection> {
    if let Some(hit) = function_definition(value) {
        return Some(hit);
    }
    const MARKERS: &[(&[u8], &str)] = &[
        (b"${IFS}", "ifs"),
        (b"$IFS$", "ifs"),
        (b"/dev/tcp/", "dev-tcp"),
        (b"/dev/udp/", "dev-tcp"),
    ];
    MARKERS.iter().find_map(|(needle, fp)| {
        let at = find(value, needle, 0)?;
        Some(Detection::new(0.85, &value[at..], *fp))
    })
}

/// A shell function defined in a value: the Shellshock prefix `() { :;};` and the fork
/// bomb `:(){ :|:& };:`. Program code (`function() {`, `foo() {`) names its function
/// with a word right before the parentheses, and its body does not open with `:`.
fn function_definition(value: &[u8]) -> Option<Detection> {
    let mut from = 0;
    while let Some(at) = find(value, b"()", from) {
        let named = at > 0 && (value[at - 1].is_ascii_alphanumeric() || value[at - 1] == b'_');
        let body = value[at + 2..].trim_ascii_start();
        if !named
            && body.first() == Some(&b'{')
            && body[1..].trim_ascii_start().first() == Some(&b':')
        {
            return Some(Detection::new(0.95, &value[at..], "function-definition"));
        }
        from = at + 2;
    }
    None
}

/// How a command word was reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Position {
    /// The first word of the value.
    Leading,
    /// After a separator.
    Chained(Sep),
    /// First in a command substitution.
    Substituted,
    /// First in a `(…)` or `{…}` group.
    Grouped,
}

/// Reads the tokens for command lines; `leading` tells whether the first word is in
/// command position.
fn scan(value: &[u8], toks: &[Tok<'_>], leading: bool) -> Option<Detection> {
    let mut best: Option<Detection> = None;
    let mut position = leading.then_some(Position::Leading);
    let mut i = 0;
    while i < toks.len() {
        let next_position = match &toks[i] {
            Tok::Sep(sep) => Some(Position::Chained(*sep)),
            Tok::SubstOpen => Some(Position::Substituted),
            // `(id)` and `{cat,x}` group commands only where a command may start:
            // `eval(id)` and `(Windows NT 10.0; …)` are no subshells.
            Tok::GroupOpen => position.map(|_| Position::Grouped),
            Tok::Word { text, .. } => {
                if let Some(hit) = call_string(value, toks, i) {
                    return Some(hit);
                }
                if let Some(pos) = position
                    && let Some(hit) = command_line(value, toks, i, pos)
                    && best.as_ref().is_none_or(|b| hit.confidence > b.confidence)
                {
                    best = Some(hit);
                }
                // `sudo`, `nohup`: the next word is still in command position.
                position.filter(|_| PREFIXES.iter().any(|p| p.as_bytes() == &**text))
            }
            Tok::SubstClose | Tok::GroupClose | Tok::Redirect => None,
        };
        position = next_position;
        i += 1;
    }
    best
}

/// The simple command starting at `toks[at]`: its words up to the next separator or
/// substitution boundary, and whether it redirects into a file.
struct SimpleCommand<'t> {
    args: Vec<&'t [u8]>,
    redirected: bool,
    /// Whether a separator or a closing substitution or group ends the command.
    terminated: bool,
    /// Whether a `)` or `}` ends it.
    closes_group: bool,
    /// Whether a `q=` weight follows its separator (an Accept-Language list).
    quality: bool,
    /// Where its last word ends.
    end: usize,
}

/// Most words of one simple command read: more than any command line has, and a bound
/// on the work a chain of `sudo sudo sudo …` prefixes can cause.
const MAX_ARGS: usize = 256;

fn simple_command<'t>(toks: &'t [Tok<'_>], at: usize) -> SimpleCommand<'t> {
    let mut cmd = SimpleCommand {
        args: Vec::new(),
        redirected: false,
        terminated: false,
        closes_group: false,
        quality: false,
        end: 0,
    };
    for (i, tok) in toks.iter().enumerate().skip(at + 1).take(MAX_ARGS) {
        match tok {
            Tok::Word { text, end, .. } => {
                cmd.args.push(text);
                cmd.end = *end;
            }
            Tok::Redirect => cmd.redirected = true,
            Tok::Sep(_) | Tok::SubstClose | Tok::GroupClose => {
                cmd.terminated = true;
                cmd.closes_group = *tok == Tok::GroupClose;
                cmd.quality = matches!(
                    toks.get(i + 1),
                    Some(Tok::Word { text, .. }) if text.starts_with(b"q=")
                );
                break;
            }
            Tok::SubstOpen | Tok::GroupOpen => break,
        }
    }
    cmd
}

/// Judges the command word at `toks[at]`, reached from `position`.
fn command_line(
    value: &[u8],
    toks: &[Tok<'_>],
    at: usize,
    position: Position,
) -> Option<Detection> {
    let Tok::Word { text, start, end } = &toks[at] else {
        return None;
    };
    let simple = simple_command(toks, at);
    let fragment = value.get(*start..simple.end.max(*end)).unwrap_or_default();
    if let Some(cmd) = lookup_glob(text) {
        // `/???/c?t`: a command name spelled as a glob only hides it.
        let alone =
            position == Position::Leading && simple.args.is_empty() && !text.contains(&b'/');
        return (!alone).then(|| Detection::new(0.85, fragment, format!("glob:{}", cmd.name)));
    }
    if let Some(cmd) = lookup(text) {
        // Quotes or escapes inside a command name (`w'h'o'am'i`, `c\at`) only hide it.
        let raw = value.get(*start..*end).unwrap_or_default();
        if is_obfuscated(raw, text) {
            return Some(Detection::new(
                0.85,
                fragment,
                format!("obfuscated:{}", cmd.name),
            ));
        }
        return judge(cmd, &simple, position)
            .map(|confidence| Detection::new(confidence, fragment, fingerprint(cmd, position)));
    }
    None
}

/// The confidence that `cmd` with `simple`'s arguments, reached from `position`, is an
/// injected command, if it is one.
fn judge(cmd: &Command, simple: &SimpleCommand<'_>, position: Position) -> Option<f64> {
    let args = &simple.args;
    let fits = !args.is_empty() && args_fit(cmd, args, simple.redirected);
    match position {
        Position::Leading => {
            // A value that is a whole command line: arguments of the right shape, or a
            // bare reconnaissance command cut off by a separator (`id;`, but not the
            // language tag of `id;q=0.8`).
            let bare = args.is_empty() && cmd.bare && simple.terminated && !simple.quality;
            (fits || bare).then_some(0.8)
        }
        Position::Chained(sep) => {
            // `; U; id)` in a User-Agent is a language tag closing a comment.
            let bare =
                args.is_empty() && (cmd.bare || reads_stdin(cmd, sep)) && !simple.closes_group;
            // `&& echo marker`: scanners echo a token to see it come back; prose chains
            // with `;` and `&`, not with `&&`, `||` or `|`.
            let probe = cmd.args == Args::Redirected
                && !args.is_empty()
                && matches!(sep, Sep::And | Sep::Or | Sep::Pipe);
            (fits || bare || probe || flags_only(cmd, args)).then_some(0.9)
        }
        // `$(…)` and backticks are shell syntax through and through: any command in
        // them runs.
        Position::Substituted => Some(0.95),
        Position::Grouped => {
            let bare = args.is_empty() && cmd.bare;
            (fits || bare || flags_only(cmd, args)).then_some(0.95)
        }
    }
}

/// A shell or interpreter right after a pipe runs what is piped in (`| sh`).
fn reads_stdin(cmd: &Command, sep: Sep) -> bool {
    sep == Sep::Pipe && cmd.args == Args::Interpreter
}

/// A bare command that only takes flags, given flags (`; uname -a`).
fn flags_only(cmd: &Command, args: &[&[u8]]) -> bool {
    cmd.bare && !args.is_empty() && args.iter().all(|a| is_flag(a))
}

/// `how:command`, for logs: `chain:id`, `subst:whoami`.
fn fingerprint(cmd: &Command, position: Position) -> String {
    let how = match position {
        Position::Leading => "line",
        Position::Chained(_) => "chain",
        Position::Substituted => "subst",
        Position::Grouped => "group",
    };
    format!("{how}:{}", cmd.name)
}

/// Whether the command name `text` was spelled `raw` with quotes, escapes or empty
/// expansions inside it (not around it, as in `"id"`).
fn is_obfuscated(raw: &[u8], text: &[u8]) -> bool {
    let inner = match raw {
        [first, inner @ .., last] if first == last && matches!(first, b'\'' | b'"') => inner,
        _ => raw,
    };
    inner.len() > text.len()
        && inner
            .iter()
            .any(|&b| matches!(b, b'\'' | b'"' | b'\\' | b'$'))
        && text.iter().all(u8::is_ascii_alphanumeric)
}

/// Functions of PHP, Perl, Python and the like that hand a string to the shell.
const SHELL_CALLS: &[&[u8]] = &[
    b"system",
    b"exec",
    b"shell_exec",
    b"passthru",
    b"popen",
    b"proc_open",
    b"pcntl_exec",
    b"eval",
    b"assert",
];

/// `system('cat /etc/passwd')`: a shell-executing call whose string argument is itself
/// a command line.
fn call_string(value: &[u8], toks: &[Tok<'_>], at: usize) -> Option<Detection> {
    let Tok::Word { text, start, .. } = &toks[at] else {
        return None;
    };
    if !SHELL_CALLS.contains(&&**text) || toks.get(at + 1) != Some(&Tok::GroupOpen) {
        return None;
    }
    let Some(Tok::Word {
        start: arg_start,
        end: arg_end,
        ..
    }) = toks.get(at + 2)
    else {
        return None;
    };
    let quoted = value.get(*arg_start..*arg_end)?;
    let body = match quoted {
        [q @ (b'\'' | b'"'), rest @ ..] => rest.strip_suffix(&[*q]).unwrap_or(rest),
        _ => return None,
    };
    let toks = lex(body, Start::Unquoted)?;
    let Some(Tok::Word { text: name, .. }) = toks.first() else {
        return None;
    };
    // Whatever the arguments: the string goes to a shell.
    let cmd = lookup(name)?;
    let fragment = value.get(*start..*arg_end).unwrap_or_default();
    Some(Detection::new(0.9, fragment, format!("call:{}", cmd.name)))
}

#[cfg(test)]
mod tests;
