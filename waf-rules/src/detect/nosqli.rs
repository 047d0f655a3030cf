//! NoSQL injection (MongoDB-style query operators and server-side JavaScript).
//!
//! Two families. *Operator injection*: a value or a parameter name that turns a
//! comparison into a query operator — `{"password": {"$ne": ""}}`, `password[$ne]=x`,
//! or, once a JSON body has been flattened by the request parser, a name segment
//! like `password.$ne`. The operator must sit where the query language puts it: as an
//! object key (followed by `:`), as a bracketed name (`[$gt]`) or as a dotted name
//! segment; the same word in prose ("cost $in dollars") does not fire.
//!
//! *JavaScript injection* into `$where` or `mapReduce` code: a quote that closes the
//! string followed by a statement (`';return true;var a='`, `';sleep(5000);'`,
//! `';it=new Date();…`), a statement returning a constant (`0;return true`), a
//! boolean tail comparing with `==` (`' || '1'=='1`, `|| 1==1`), `this.field`
//! conditions (`' && this.password.match(/.*/)//`), and Mongo shell calls
//! (`db.collection.find(`, `db.getCollectionNames()`).
//!
//! All scans move forward only; values the parser left encoded are decoded once more
//! (percent escapes, then `+` as a space) and scanned again.

use super::Detection;
use super::bytes::ByteSet;
use super::jndi::{find, on_renderings};

/// MongoDB query and aggregation operators that change what a filter matches.
const OPERATORS: &[&[u8]] = &[
    b"ne",
    b"eq",
    b"gt",
    b"gte",
    b"lt",
    b"lte",
    b"in",
    b"nin",
    b"regex",
    b"where",
    b"exists",
    b"expr",
    b"or",
    b"and",
    b"not",
    b"nor",
    b"elemmatch",
    b"all",
    b"size",
    b"type",
    b"mod",
    b"text",
    b"search",
    b"function",
    b"accumulator",
    b"jsonschema",
    b"match",
    b"lookup",
    b"group",
    b"unionwith",
    b"out",
    b"merge",
    b"comment",
];

/// JavaScript statements that follow a string break in `$where` injection.
const JS_STATEMENTS: &[&[u8]] = &[
    b"return", b"sleep(", b"while(", b"var ", b"this.", b"db.", b"if(",
];

/// Mongo shell collection methods (`db.users.find(`).
const COLLECTION_METHODS: &[&[u8]] = &[
    b"find",
    b"findone",
    b"insert",
    b"insertone",
    b"update",
    b"updateone",
    b"remove",
    b"drop",
    b"mapreduce",
    b"aggregate",
    b"count",
    b"deletemany",
    b"deleteone",
];

/// Detects NoSQL operator or `$where` JavaScript injection in `input` (also read
/// decoded once more).
pub fn nosqli(input: &[u8]) -> Option<Detection> {
    on_renderings(input, detect)
}

fn detect(input: &[u8]) -> Option<Detection> {
    // Fast path: each scan runs only if the value has bytes all its hits contain, in
    // any case: `$` (operators), a quote and `;` (string breaks), `this.` and a quote,
    // `&` or `|` (`this.` conditions), `db.` and `(` (shell calls), `&` or `|` (the
    // `&&` / `||` of boolean tails), `return` and `;`. A scan that cannot hit is
    // skipped, which leaves the first hit of the chain unchanged.
    let set = ByteSet::of(input).lowercased();
    let quote = set.any_of(ByteSet::new(b"'\""));
    let logic = set.any_of(ByteSet::new(b"&|"));
    let gates = [
        set.has(b'$'),
        quote && set.has(b';'),
        set.all_of(ByteSet::new(b"this.")) && (quote || logic),
        set.all_of(ByteSet::new(b"db.(")),
        logic,
        set.all_of(ByteSet::new(b"return;")),
    ];
    if !gates.contains(&true) {
        return None;
    }
    let lower = input.to_ascii_lowercase();
    let lower = lower.as_slice();
    let gated = |gate: bool, scan: fn(&[u8]) -> Option<Found>| {
        move || if gate { scan(lower) } else { None }
    };
    let found = gated(gates[0], operator)()
        .or_else(gated(gates[1], string_break_statement))
        .or_else(gated(gates[2], this_condition))
        .or_else(gated(gates[3], shell_call))
        .or_else(gated(gates[4], boolean_tail))
        .or_else(gated(gates[5], return_truth))?;
    let (confidence, start, end, fingerprint) = found;
    let fragment = input.get(start..end.min(input.len())).unwrap_or(input);
    Some(Detection::new(confidence, fragment, fingerprint))
}

/// Evidence: confidence, span, fingerprint.
type Found = (f64, usize, usize, &'static str);

/// How many bytes after a finding go into the fragment.
const CONTEXT: usize = 40;

fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

fn skip_spaces(s: &[u8], mut i: usize) -> usize {
    while s.get(i).is_some_and(u8::is_ascii_whitespace) {
        i += 1;
    }
    i
}

/// The index of the last non-space byte before `i`, if any.
fn prev_non_space(s: &[u8], i: usize) -> Option<usize> {
    (0..i)
        .rev()
        .find(|&j| !s.get(j).is_some_and(u8::is_ascii_whitespace))
}

/// `$op` as an object key, a bracketed name or a dotted name segment.
fn operator(lower: &[u8]) -> Option<Found> {
    let mut from = 0;
    while let Some(dollar) = find(lower, b"$", from) {
        from = dollar + 1;
        let name_end = (dollar + 1..=lower.len())
            .find(|&j| !lower.get(j).is_some_and(u8::is_ascii_alphabetic))
            .unwrap_or(lower.len());
        let name = lower.get(dollar + 1..name_end).unwrap_or_default();
        if !OPERATORS.contains(&name) {
            continue;
        }
        let quoted_before = dollar
            .checked_sub(1)
            .and_then(|p| lower.get(p))
            .is_some_and(|&c| c == b'"' || c == b'\'');
        let key_start = if quoted_before { dollar - 1 } else { dollar };
        let before = prev_non_space(lower, key_start)
            .and_then(|p| lower.get(p))
            .copied();
        let mut after = name_end;
        if matches!(lower.get(after), Some(b'"' | b'\'')) {
            after += 1;
        }
        let next = lower.get(skip_spaces(lower, after)).copied();
        let end = name_end + CONTEXT;
        // `/` for operators placed in a URL path segment (`/api/items/$where:…`).
        let key_position = matches!(before, None | Some(b'{' | b',' | b'[' | b'/'));
        if key_position && next == Some(b':') {
            return Some((0.9, key_start, end, "nosql:operator-key"));
        }
        if before == Some(b'[') && lower.get(name_end) == Some(&b']') {
            return Some((0.9, dollar.saturating_sub(1), end, "nosql:operator-name"));
        }
        let segment_end = matches!(lower.get(name_end), None | Some(b'.' | b'['));
        if lower.get(dollar.wrapping_sub(1)) == Some(&b'.') && dollar > 1 && segment_end {
            return Some((0.85, dollar - 1, end, "nosql:operator-path"));
        }
    }
    None
}

/// A quote closing the string, `;`, then a JavaScript statement:
/// `';return true;var a='`, `';sleep(5000);'`.
fn string_break_statement(lower: &[u8]) -> Option<Found> {
    let mut i = 0;
    while let Some(&c) = lower.get(i) {
        i += 1;
        if c != b'\'' && c != b'"' {
            continue;
        }
        let semi = skip_spaces(lower, i);
        if lower.get(semi) != Some(&b';') {
            continue;
        }
        let stmt = skip_spaces(lower, semi + 1);
        let rest = lower.get(stmt..).unwrap_or_default();
        if JS_STATEMENTS.iter().any(|s| rest.starts_with(s)) || js_assignment(rest) {
            return Some((0.85, i - 1, stmt + CONTEXT, "nosql:js-statement"));
        }
    }
    None
}

/// `it=new Date()`, `x = 1`: an assignment starting a statement (not `==`).
fn js_assignment(rest: &[u8]) -> bool {
    let name_end = rest
        .iter()
        .position(|&c| !is_ident(c))
        .unwrap_or(rest.len());
    let eq = skip_spaces(rest, name_end);
    name_end > 0
        && rest.first().is_some_and(u8::is_ascii_alphabetic)
        && rest.get(eq) == Some(&b'=')
        && rest.get(eq + 1) != Some(&b'=')
}

/// `;return true`, `0; return 1`: a statement returning a constant truth, as in a
/// numeric `$where` injection.
fn return_truth(lower: &[u8]) -> Option<Found> {
    let mut from = 0;
    while let Some(p) = find(lower, b"return", from) {
        from = p + 1;
        let before = prev_non_space(lower, p).and_then(|b| lower.get(b));
        let value_at = skip_spaces(lower, p + 6);
        let value = lower.get(value_at..).unwrap_or_default();
        let constant = [&b"true"[..], b"1", b"(true)", b"(1)"]
            .into_iter()
            .find(|c| value.starts_with(c));
        // The statement must end after the constant (`return 1 item` is prose).
        let ends = constant.is_some_and(|c| {
            let next = lower.get(skip_spaces(lower, value_at + c.len())).copied();
            matches!(next, None | Some(b';' | b'/' | b'}' | b'\'' | b'"' | b')'))
        });
        if before == Some(&b';') && ends {
            return Some((0.75, p, p + CONTEXT, "nosql:js-return"));
        }
    }
    None
}

/// `this.field` used as a `$where` condition after a quote or logical operator:
/// `' && this.password.match(/.*/)//`.
fn this_condition(lower: &[u8]) -> Option<Found> {
    // Where the first quote or logical operator is: conditions after it are injected.
    let first_break = [
        lower.iter().position(|&c| c == b'\'' || c == b'"'),
        find(lower, b"&&", 0),
        find(lower, b"||", 0),
    ]
    .into_iter()
    .flatten()
    .min()?;
    let mut from = first_break;
    while let Some(p) = find(lower, b"this.", from) {
        from = p + 1;
        if p > 0 && lower.get(p - 1).is_some_and(|&c| is_ident(c) || c == b'.') {
            continue;
        }
        let field_end = (p + 5..=lower.len())
            .find(|&j| !lower.get(j).is_some_and(|&c| is_ident(c)))
            .unwrap_or(lower.len());
        if field_end == p + 5 {
            continue;
        }
        let follows = lower.get(field_end..).unwrap_or_default();
        let condition = [&b".match("[..], b"==", b"!=", b".length", b".test("]
            .iter()
            .any(|op| follows.starts_with(op) || skip_spaces_slice(follows).starts_with(op));
        if condition {
            return Some((0.8, p, field_end + CONTEXT, "nosql:where-this"));
        }
    }
    None
}

fn skip_spaces_slice(s: &[u8]) -> &[u8] {
    s.get(skip_spaces(s, 0)..).unwrap_or_default()
}

/// Mongo shell calls: `db.users.find(`, `db.stores.mapReduce(`.
fn shell_call(lower: &[u8]) -> Option<Found> {
    let mut from = 0;
    while let Some(p) = find(lower, b"db.", from) {
        from = p + 1;
        if p > 0 && lower.get(p - 1).is_some_and(|&c| is_ident(c) || c == b'.') {
            continue;
        }
        let coll_end = (p + 3..=lower.len())
            .find(|&j| !lower.get(j).is_some_and(|&c| is_ident(c)))
            .unwrap_or(lower.len());
        if coll_end == p + 3 {
            continue;
        }
        // `db.getCollectionNames()`, `db.dropDatabase()`: a method on the database.
        if lower.get(coll_end) == Some(&b'(') {
            return Some((0.75, p, coll_end + CONTEXT, "nosql:shell-call"));
        }
        if lower.get(coll_end) != Some(&b'.') {
            continue;
        }
        let method_end = (coll_end + 1..=lower.len())
            .find(|&j| !lower.get(j).is_some_and(|&c| is_ident(c)))
            .unwrap_or(lower.len());
        let method = lower.get(coll_end + 1..method_end).unwrap_or_default();
        if COLLECTION_METHODS.contains(&method) && lower.get(method_end) == Some(&b'(') {
            return Some((0.85, p, method_end + CONTEXT, "nosql:shell-call"));
        }
    }
    None
}

/// A string break followed by a JavaScript boolean tail: `' || '1'=='1`, `'||1==1//`,
/// or a bare `|| 1==1`: a quote (or the start), `||` / `&&`, one operand, then `==`.
fn boolean_tail(lower: &[u8]) -> Option<Found> {
    let starts = std::iter::once(0).chain(
        lower
            .iter()
            .enumerate()
            .filter(|&(_, &c)| c == b'\'' || c == b'"')
            .map(|(i, _)| i + 1),
    );
    for start in starts {
        let op = skip_spaces(lower, start);
        let logical = lower
            .get(op..op + 2)
            .is_some_and(|w| w == b"||" || w == b"&&");
        if !logical {
            continue;
        }
        let operand = skip_spaces(lower, op + 2);
        let after = skip_spaces(lower, operand_end(lower, operand)?);
        let compares = lower
            .get(after..after + 2)
            .is_some_and(|w| w == b"==" || w == b"!=");
        if compares {
            return Some((
                0.75,
                start.saturating_sub(1),
                after + CONTEXT,
                "nosql:js-boolean",
            ));
        }
    }
    None
}

/// The end of one short operand at `i`: a quoted literal, a number or a name.
fn operand_end(s: &[u8], i: usize) -> Option<usize> {
    let first = *s.get(i)?;
    let len = if first == b'\'' || first == b'"' {
        let window = s.get(i + 1..(i + 1 + MAX_OPERAND).min(s.len()))?;
        window.iter().position(|&c| c == first)? + 2
    } else {
        s.get(i..)?
            .iter()
            .take(MAX_OPERAND)
            .take_while(|&&c| is_ident(c) || c == b'.')
            .count()
    };
    (len > 0).then_some(i + len)
}

/// Longest operand read in a boolean tail.
const MAX_OPERAND: usize = 32;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::test_support::{self, Hostile};

    #[test]
    fn attacks() {
        let cases: &[&[u8]] = &[
            b"{\"username\": {\"$ne\": \"foo\"}, \"password\": {\"$ne\": \"bar\"}}",
            b"username[$ne]=toto&password[$regex]=mdp",
            b"password[$ne]",
            b"[$ne]=1",
            b"user.$ne",
            b"login.$regex.x",
            b"{$gt: ''}",
            b"', $where: '1 == 1'",
            b"$where: '1 == 1'",
            b"';sleep(5000);'",
            b"';return 'a'=='a' && ''=='",
            b"';return true;var a='",
            b"' && this.password.match(/.*/)//+%00",
            b"'%20%26%26%20this.passwordzz.match(/.*/)//+%00",
            b"db.products.find({ \"price\": { \"$gt\": 0 } })",
            b"db.injection.insert({success:1});",
            b"' || '1'=='1",
            b"{\"$where\": \"sleep(100)\"}",
            b"/api/items/$where: '1 == 1'",
            b"db.getCollectionNames()",
            b"[{\"$lookup\": {\"from\": \"users\"}}]",
            b"|| 1==1",
            b"';it=new Date();do{pt=new Date();}while(pt-it<5000);",
            b"0;return true",
            b"https://x.example/login?u='+||+'1'=='1",
        ];
        test_support::assert_detects_all(nosqli, cases);
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
            b"costs $in dollars: 5",
            b"$100 or $200",
            b"price $gt than expected",
            b"this.is a sentence",
            b"I said 'this' and || that",
            b"user@example.com",
            b"http://example.com/?a=b&c=d",
            b"$nefarious",
            b"db.example.com",
            b"a.$ne b",
            b"he said 'no'; then left",
            b"return to sender; return 1 item",
            b"a || b",
            b"\"en\" class=\"x\" || y && z == w",
            b"($expr:expr) => {}",
        ];
        test_support::assert_passes_all(nosqli, cases);
    }

    #[test]
    fn hostile_inputs_do_not_panic() {
        test_support::assert_total(
            nosqli,
            Hostile {
                fixed: vec![
                    b"$".repeat(100_000),
                    b"'".repeat(100_000),
                    b"this.".repeat(20_000),
                    b"db.a.".repeat(20_000),
                    b"'||".repeat(20_000),
                    b"[$ne".repeat(20_000),
                ],
                // Every truncation of a payload that exercises most of the scanner.
                sample: b"{\"u\": {\"$ne\": 1}, \"$where\": \"this.pw.match(/.*/)\"}';return true;var a=' || '1'=='1 db.users.find(",
                alphabet: b"$ne[]{}:'\";.thisdb|&=returnsleep(",
                seed: 0xDEAD_BEEF_CAFE_F00D,
                count: 3000,
                max_len: 40,
            },
        );
    }
}
