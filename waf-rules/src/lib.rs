//! Rule languages and rule sets for the `waf` engine.
//!
//! This crate reads rules; it does not evaluate them. A rule file is parsed into an
//! abstract syntax tree ([`seclang::RuleFile`]) that `waf-core` compiles into its own
//! evaluation IR. Keeping the front end separate keeps the core free of any one rule
//! language: SecLang today, other front ends later.
//!
//! ```
//! use waf_rules::seclang;
//!
//! let file = seclang::parse(
//!     "example.conf",
//!     r#"SecRule ARGS "@rx (?i)union\s+select" "id:1001,phase:2,deny,msg:'SQLi'""#,
//! )?;
//! let rule = file.rules().next().unwrap();
//! assert_eq!(rule.operator.name, "rx");
//! assert_eq!(rule.variables[0].collection, "ARGS");
//! # Ok::<(), waf_rules::seclang::ParseError>(())
//! ```
//!
//! Rule sets on disk, with `Include`s, the OWASP CRS layout and the data files of
//! `@pmFromFile` rules, are read by [`load`]. The built-in default rules ship inside
//! this crate, see [`builtin`].

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod builtin;
pub mod detect;
pub mod load;
pub mod seclang;
