//! Folding tokens into a short fingerprint of their classes, for logs and tuning.
//!
//! Each token becomes one character (`s` string, `1` number, `n` name, `v` variable,
//! `f` function, `k` keyword, `U` union, `E` statement keyword, `&` logic, `!` not,
//! `=` comparison, `o` arithmetic, `(`, `)`, `,`, `;`, `c` comment, `?` other), then
//! runs that do not change the shape collapse: a unary sign merges into its operand,
//! `value o value` into one value, and repeated `value,value` lists into one value.
//! `1 UNION ALL SELECT 1,2,3--` folds to `1UkE1c`.

use super::lexer::{Tk, Token};
use super::vocab::{self, Kw};

/// The longest fingerprint kept, in characters.
const MAX_LEN: usize = 24;

/// Folds `toks` into a fingerprint of at most [`MAX_LEN`] characters.
pub(super) fn fingerprint(toks: &[Token]) -> String {
    let mut out: Vec<u8> = Vec::with_capacity(MAX_LEN);
    for t in toks {
        if out.len() >= MAX_LEN {
            break;
        }
        push_folded(&mut out, class_char(t.kind));
    }
    out.into_iter().map(char::from).collect()
}

fn class_char(kind: Tk) -> u8 {
    match kind {
        Tk::Str { .. } => b's',
        Tk::Num => b'1',
        Tk::Word | Tk::Junk => b'n',
        Tk::Var { .. } => b'v',
        Tk::Func(_) => b'f',
        Tk::Kw(Kw::Union | Kw::Except) => b'U',
        Tk::Kw(Kw::Literal) => b'1',
        Tk::Kw(kw) if vocab::starts_statement(kw) => b'E',
        Tk::Kw(_) => b'k',
        Tk::Logic => b'&',
        Tk::Not => b'!',
        Tk::Cmp => b'=',
        Tk::Arith(_) | Tk::Star => b'o',
        Tk::LParen => b'(',
        Tk::RParen => b')',
        Tk::Comma => b',',
        Tk::Semi => b';',
        Tk::Comment => b'c',
        Tk::Other => b'?',
    }
}

fn is_value(c: u8) -> bool {
    matches!(c, b's' | b'1' | b'n' | b'v')
}

/// Appends class `c`, merging it with what the tail of `out` already says.
fn push_folded(out: &mut Vec<u8>, c: u8) {
    if is_value(c) {
        match out.as_slice() {
            // `value o value` is one value.
            [.., v, b'o'] if is_value(*v) => {
                out.pop();
                return;
            }
            // A sign before a value at the start or after an operator is unary.
            [b'o'] => {
                out.pop();
            }
            [.., p, b'o'] if b"(,&=!kUE;".contains(p) => {
                out.pop();
            }
            // `a,b,c` lists fold to one item.
            [.., v, b','] if *v == c => {
                out.pop();
                return;
            }
            _ => {}
        }
    }
    out.push(c);
}
