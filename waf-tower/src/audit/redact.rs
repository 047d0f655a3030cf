//! What the audit log and the attack store never write down: secrets in headers,
//! cookies and named arguments.

use std::borrow::Cow;

/// The text written instead of a redacted value.
pub const REDACTED: &str = "[redacted]";

/// The header and argument names whose values are redacted.
///
/// By default `Cookie`, `Authorization`, `Proxy-Authorization` and `Set-Cookie`, and
/// every cookie's value; add names with [`header`](Self::header) and
/// [`arg`](Self::arg). Names compare case-insensitively.
///
/// ```
/// use waf_tower::audit::Redaction;
///
/// let redaction = Redaction::default().arg("password").header("X-Api-Key");
/// assert!(redaction.redacts_variable("ARGS:password"));
/// assert!(redaction.redacts_variable("REQUEST_HEADERS:x-api-key"));
/// assert!(redaction.redacts_variable("REQUEST_COOKIES:session"));
/// assert!(!redaction.redacts_variable("ARGS:q"));
/// assert_eq!(redaction.query("q=1&password=hunter2"), "q=1&password=[redacted]");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redaction {
    headers: Vec<String>,
    args: Vec<String>,
}

impl Default for Redaction {
    fn default() -> Self {
        Self {
            headers: [
                "cookie",
                "authorization",
                "proxy-authorization",
                "set-cookie",
            ]
            .map(String::from)
            .to_vec(),
            args: Vec::new(),
        }
    }
}

impl Redaction {
    /// Also redacts the header `name`.
    pub fn header(mut self, name: impl AsRef<str>) -> Self {
        self.headers.push(name.as_ref().to_ascii_lowercase());
        self
    }

    /// Also redacts the argument `name` (query, form, JSON or multipart field). A JSON
    /// field matches by its last name too: `arg("password")` covers `user.password`.
    pub fn arg(mut self, name: impl AsRef<str>) -> Self {
        self.args.push(name.as_ref().to_ascii_lowercase());
        self
    }

    /// Whether the header `name`'s value is redacted.
    pub fn redacts_header(&self, name: &str) -> bool {
        self.headers.iter().any(|h| h.eq_ignore_ascii_case(name))
    }

    /// Whether the argument `name`'s value is redacted.
    pub fn redacts_arg(&self, name: &str) -> bool {
        let last = name.rsplit(['.', '[', ']']).find(|s| !s.is_empty());
        self.args.iter().any(|a| {
            a.eq_ignore_ascii_case(name) || last.is_some_and(|l| a.eq_ignore_ascii_case(l))
        })
    }

    /// Whether a match on `variable` (as in [`RuleMatch::variable`], e.g. `ARGS:password`)
    /// holds a redacted value: a redacted argument or header, or any cookie.
    ///
    /// [`RuleMatch::variable`]: waf_core::RuleMatch::variable
    pub fn redacts_variable(&self, variable: &str) -> bool {
        let (collection, key) = variable.split_once(':').unwrap_or((variable, ""));
        let collection = collection.to_ascii_uppercase();
        match collection.as_str() {
            "REQUEST_COOKIES" | "RESPONSE_COOKIES" => true,
            "REQUEST_HEADERS" | "RESPONSE_HEADERS" => self.redacts_header(key),
            "ARGS" | "ARGS_GET" | "ARGS_POST" => self.redacts_arg(key),
            _ => false,
        }
    }

    /// The query string with the values of redacted arguments replaced by
    /// [`REDACTED`]; argument names may be percent-encoded.
    pub fn query<'q>(&self, query: &'q str) -> Cow<'q, str> {
        if self.args.is_empty() {
            return Cow::Borrowed(query);
        }
        let mut changed = false;
        let parts: Vec<Cow<'q, str>> = query
            .split('&')
            .map(|part| {
                let name = part.split_once('=').map_or(part, |(name, _)| name);
                if part.contains('=') && self.redacts_arg(&decode(name)) {
                    changed = true;
                    Cow::Owned(format!("{name}={REDACTED}"))
                } else {
                    Cow::Borrowed(part)
                }
            })
            .collect();
        if changed {
            Cow::Owned(parts.join("&"))
        } else {
            Cow::Borrowed(query)
        }
    }

    /// The request target with its query redacted (see [`query`](Self::query)).
    pub fn uri<'u>(&self, uri: &'u str) -> Cow<'u, str> {
        match uri.split_once('?') {
            Some((path, query)) => match self.query(query) {
                Cow::Borrowed(_) => Cow::Borrowed(uri),
                Cow::Owned(query) => Cow::Owned(format!("{path}?{query}")),
            },
            None => Cow::Borrowed(uri),
        }
    }
}

/// Form decoding of a name: `+` is a space, `%XX` a byte; a broken escape stays as is.
fn decode(name: &str) -> String {
    let bytes = name.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                if let Some(byte) = hex {
                    out.push(byte);
                    i += 2;
                } else {
                    out.push(b'%');
                }
            }
            byte => out.push(byte),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variables() {
        let redaction = Redaction::default().arg("password").header("x-api-key");
        // (variable, redacted)
        let cases = [
            ("ARGS:password", true),
            ("ARGS_GET:PassWord", true),
            ("ARGS_POST:user.password", true),
            ("ARGS_POST:json.user[password]", true),
            ("ARGS:q", false),
            ("ARGS:password_hint", false),
            ("ARGS_NAMES:password", false),
            ("REQUEST_HEADERS:Authorization", true),
            ("REQUEST_HEADERS:cookie", true),
            ("REQUEST_HEADERS:X-Api-Key", true),
            ("REQUEST_HEADERS:User-Agent", false),
            ("RESPONSE_HEADERS:Set-Cookie", true),
            ("REQUEST_COOKIES:session", true),
            ("REQUEST_COOKIES", true),
            ("REQUEST_URI", false),
            ("REMOTE_ADDR", false),
        ];
        for (variable, redacted) in cases {
            assert_eq!(redaction.redacts_variable(variable), redacted, "{variable}");
        }
    }

    #[test]
    fn queries() {
        let redaction = Redaction::default().arg("password").arg("token");
        // (query, redacted)
        let cases = [
            ("q=1", "q=1"),
            ("password=x", "password=[redacted]"),
            (
                "q=1&PASSWORD=x&token=y&z",
                "q=1&PASSWORD=[redacted]&token=[redacted]&z",
            ),
            ("pass%77ord=x", "pass%77ord=[redacted]"),
            ("password", "password"),
            ("%zz=1&%=2", "%zz=1&%=2"),
            ("", ""),
        ];
        for (query, redacted) in cases {
            assert_eq!(redaction.query(query), redacted, "{query}");
        }
        assert_eq!(
            redaction.uri("/login?user=ann&password=x"),
            "/login?user=ann&password=[redacted]"
        );
        assert_eq!(Redaction::default().query("password=x"), "password=x");
    }
}
