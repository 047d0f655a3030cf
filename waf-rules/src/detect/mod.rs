//! Detectors: code that understands the languages attacks are written in.
//!
//! Each detector reads one value (already decoded from its transport encoding) and says
//! whether it carries an attack in its language, with a [`Detection`]: a confidence in
//! [0, 1] and the evidence (the fragment that shows it and a fingerprint of its shape).
//! Every detector is also a SecLang operator (`@detectSQLi`, `@detectXSS`, …) in
//! `waf-core`.
//!
//! # Promises
//!
//! Detectors take any bytes (invalid UTF-8 included), never panic, never backtrack, and
//! take time linear in the length of their input. They allocate at most in proportion
//! to their input.
//!
//! ```
//! use waf_rules::detect;
//!
//! let hit = detect::sqli(b"1' OR '1'='1").expect("a tautology");
//! assert!(hit.confidence >= 0.5);
//! assert!(detect::sqli(b"O'Reilly and sons").is_none());
//! ```

mod bytes;
mod cmdi;
mod code;
mod crlf;
mod jndi;
mod ldapi;
mod nosqli;
mod open_redirect;
mod proto_pollution;
mod sqli;
mod ssi;
mod ssrf;
mod ssti;
#[cfg(test)]
pub(crate) mod test_support;
mod traversal;
mod xss;
mod xxe;

pub use cmdi::cmdi;
pub use code::code;
pub use crlf::crlf;
pub use jndi::jndi;
pub use ldapi::ldapi;
pub use nosqli::nosqli;
pub use open_redirect::open_redirect;
pub use proto_pollution::proto_pollution;
pub use sqli::sqli;
pub use ssi::ssi;
pub use ssrf::ssrf;
pub use ssti::ssti;
pub use traversal::traversal;
pub use xss::xss;
pub use xxe::xxe;

/// Every detector, by name: what `waf-core` turns into the `@detect…` operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// SQL injection: SQL tokenized in each quote context and recognised by shape.
    Sqli,
    /// Cross-site scripting: HTML, attribute, URL and script contexts.
    Xss,
    /// OS command injection: shell and Windows cmd/PowerShell syntax.
    Cmdi,
    /// Path traversal and local file inclusion, after normalising encodings.
    Traversal,
    /// Remote file inclusion and server-side request forgery: URLs to remote code or internal addresses.
    Ssrf,
    /// Open redirect: values that send a browser to another site.
    OpenRedirect,
    /// CR/LF injection: header or log splitting.
    Crlf,
    /// Server-side template injection.
    Ssti,
    /// NoSQL injection: MongoDB-style operators and JavaScript in queries.
    Nosqli,
    /// LDAP filter injection.
    Ldapi,
    /// XML external entities and entity expansion.
    Xxe,
    /// JNDI lookups (Log4Shell), with their nested-lookup evasions.
    Jndi,
    /// PHP and Java code, expression-language and deserialization markers.
    Code,
    /// Server-side includes and XPath injection.
    Ssi,
    /// JavaScript prototype pollution.
    ProtoPollution,
}

impl Kind {
    /// Every kind, in a fixed order.
    pub const ALL: &'static [Kind] = &[
        Kind::Sqli,
        Kind::Xss,
        Kind::Cmdi,
        Kind::Traversal,
        Kind::Ssrf,
        Kind::OpenRedirect,
        Kind::Crlf,
        Kind::Ssti,
        Kind::Nosqli,
        Kind::Ldapi,
        Kind::Xxe,
        Kind::Jndi,
        Kind::Code,
        Kind::Ssi,
        Kind::ProtoPollution,
    ];

    /// The SecLang operator name, without `@` (`detectSQLi`, …).
    pub fn operator(self) -> &'static str {
        match self {
            Kind::Sqli => "detectSQLi",
            Kind::Xss => "detectXSS",
            Kind::Cmdi => "detectCmdi",
            Kind::Traversal => "detectTraversal",
            Kind::Ssrf => "detectSSRF",
            Kind::OpenRedirect => "detectOpenRedirect",
            Kind::Crlf => "detectCRLF",
            Kind::Ssti => "detectSSTI",
            Kind::Nosqli => "detectNoSQLi",
            Kind::Ldapi => "detectLDAPi",
            Kind::Xxe => "detectXXE",
            Kind::Jndi => "detectJNDI",
            Kind::Code => "detectCodeInjection",
            Kind::Ssi => "detectSSI",
            Kind::ProtoPollution => "detectProtoPollution",
        }
    }

    /// The kind whose operator is `name` (ASCII case-insensitive, without `@`).
    pub fn from_operator(name: &str) -> Option<Self> {
        Self::ALL
            .iter()
            .copied()
            .find(|k| k.operator().eq_ignore_ascii_case(name))
    }

    /// Runs this detector on `input`.
    pub fn detect(self, input: &[u8]) -> Option<Detection> {
        match self {
            Kind::Sqli => sqli(input),
            Kind::Xss => xss(input),
            Kind::Cmdi => cmdi(input),
            Kind::Traversal => traversal(input),
            Kind::Ssrf => ssrf(input),
            Kind::OpenRedirect => open_redirect(input),
            Kind::Crlf => crlf(input),
            Kind::Ssti => ssti(input),
            Kind::Nosqli => nosqli(input),
            Kind::Ldapi => ldapi(input),
            Kind::Xxe => xxe(input),
            Kind::Jndi => jndi(input),
            Kind::Code => code(input),
            Kind::Ssi => ssi(input),
            Kind::ProtoPollution => proto_pollution(input),
        }
    }
}

/// The longest fragment a [`Detection`] keeps, in bytes.
pub const MAX_FRAGMENT: usize = 120;

/// What a detector found.
#[derive(Debug, Clone, PartialEq)]
pub struct Detection {
    /// How sure the detector is that this is an attack, in [0, 1].
    pub confidence: f64,
    /// The part of the value that shows the attack, at most [`MAX_FRAGMENT`] bytes.
    pub fragment: Vec<u8>,
    /// A short description of the attack's shape (e.g. SQL token classes `s&sos`, or
    /// `tag:svg/onload`), for logs and tuning.
    pub fingerprint: String,
}

impl Detection {
    /// A detection with `confidence` clamped to [0, 1] and `fragment` cut to
    /// [`MAX_FRAGMENT`] bytes.
    pub fn new(confidence: f64, fragment: &[u8], fingerprint: impl Into<String>) -> Self {
        Self {
            confidence: if confidence.is_nan() {
                0.0
            } else {
                confidence.clamp(0.0, 1.0)
            },
            fragment: fragment[..fragment.len().min(MAX_FRAGMENT)].to_vec(),
            fingerprint: fingerprint.into(),
        }
    }
}
