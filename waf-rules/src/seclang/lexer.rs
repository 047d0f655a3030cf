//! Lines and words, as ModSecurity's configuration reader sees them.

/// A directive's text after joining continuation lines.
pub(super) struct LogicalLine {
    /// Where it starts, counting from 1.
    pub number: usize,
    pub text: String,
}

/// Joins lines that end in `\` with the next one and drops blank and comment lines.
pub(super) fn logical_lines(text: &str) -> Vec<LogicalLine> {
    let mut out = Vec::new();
    let mut current: Option<LogicalLine> = None;
    for (index, raw) in text.lines().enumerate() {
        let raw = raw.trim_end_matches('\r');
        let (body, continues) = match raw.strip_suffix('\\') {
            Some(body) => (body, true),
            None => (raw, false),
        };
        match current.as_mut() {
            Some(line) => line.text.push_str(body),
            None => {
                let trimmed = body.trim_start();
                if trimmed.is_empty() && !continues || trimmed.starts_with('#') {
                    continue;
                }
                current = Some(LogicalLine {
                    number: index + 1,
                    text: body.to_owned(),
                });
            }
        }
        if !continues {
            out.extend(current.take());
        }
    }
    out.extend(current);
    out
}

/// Splits a directive into words: runs of non-blank characters, or double-quoted strings
/// in which `\"` stands for a quote (other backslashes are kept for the operator to read).
pub(super) fn split_words(line: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let Some(&first) = chars.peek() else {
            return Ok(words);
        };
        let mut word = String::new();
        if first == '"' {
            chars.next();
            loop {
                match chars.next() {
                    None => return Err("unterminated double-quoted argument".into()),
                    Some('"') => break,
                    Some('\\') if chars.peek() == Some(&'"') => {
                        chars.next();
                        word.push('"');
                    }
                    Some(c) => word.push(c),
                }
            }
            if chars.peek().is_some_and(|c| !c.is_whitespace()) {
                return Err("expected white space after a closing quote".into());
            }
        } else {
            while let Some(c) = chars.next_if(|c| !c.is_whitespace()) {
                word.push(c);
            }
        }
        words.push(word);
    }
}
