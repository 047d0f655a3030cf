//! A ModSecurity SecLang front end: text in, an abstract syntax tree out.
//!
//! [`parse`] reads one file's text. It joins continuation lines (a trailing `\`), skips
//! comments, splits each directive into its arguments with ModSecurity's quoting rules and
//! parses every argument into a typed [`Directive`]: `SecRule` variables, operators and
//! action lists, rule ids and id ranges, sizes, `On`/`Off` switches. It never panics on
//! any input; every problem is a [`ParseError`] that names the file and line. `Include`
//! is returned as a directive; [`crate::load`] reads files and follows includes.
//!
//! # Reading rules the way ModSecurity does
//!
//! The reference is ModSecurity 2 (the Apache module the OWASP CRS is developed
//! against), whose directives are split into words by Apache's configuration reader:
//!
//! * Continuation: a line ending in `\` continues on the next line; comment lines too.
//! * Words: `"…"` or `'…'` quote a word; inside, `\"` (or `\'`) is the quote and `\\` one
//!   backslash; every other backslash stays, so `"@rx \d+\x5c"` reaches the operator as
//!   `@rx \d+\x5c` and `"@rx a\"b"` as `@rx a"b`. (Coraza keeps both escapes as
//!   written, which means the same inside a regex; the CRS never writes `\\` outside
//!   comments, it writes `\x5c`.)
//! * Operators: `[!]@name argument`; blanks after `!` and after the name are skipped;
//!   anything not starting with `@` is a regular expression (`rx`).
//! * Actions: see [`Action`]; `msg:'a, b'`, `setvar:'tx.x=%{tx.y}'`,
//!   `ctl:ruleRemoveTargetById=920450;REQUEST_HEADERS:x` keep their text exactly.
//! * Variables: see [`Variable`].
//!
//! Where ModSecurity 2 rejects an input that libmodsecurity 3 or Coraza accept, the
//! parser takes the obvious meaning (for example `msg:'C:\Windows'`); everything
//! ModSecurity 2 accepts means the same here, except two things Apache reads in a way
//! nobody intends, which are errors: an unterminated quote and a closing quote followed
//! by something other than a blank.
//!
//! # Directives
//!
//! Every directive the OWASP CRS v4 and its `crs-setup.conf.example` use is supported,
//! together with the ones exclusion files and `modsecurity.conf-recommended` use; see
//! [`Directive`]. Directives that only configure logging, audit logging or where files
//! are stored on disk are accepted and returned as [`Directive::Ignored`]; the list, with
//! the reason for each, is [`IGNORED_DIRECTIVES`]. Any other directive is an error that
//! names it.

mod actions;
mod directives;
mod error;
mod lexer;
mod variables;

pub use directives::IGNORED_DIRECTIVES;
pub use error::ParseError;

use std::sync::Arc;

/// Where a directive starts: file name and 1-based line number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The file name as given to [`parse`].
    pub file: Arc<str>,
    /// The line on which the directive starts, counting from 1.
    pub line: usize,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// A parsed rule file: its directives in order.
#[derive(Debug, Clone, Default)]
pub struct RuleFile {
    /// Every directive with the place it was read from.
    pub directives: Vec<(Location, Directive)>,
}

impl RuleFile {
    /// The `SecRule` directives, in file order.
    pub fn rules(&self) -> impl Iterator<Item = &SecRule> {
        self.directives.iter().filter_map(|(_, d)| match d {
            Directive::Rule(rule) => Some(rule),
            _ => None,
        })
    }
}

/// One directive.
///
/// New directives may be added in later versions, so code outside this crate must have a
/// catch-all arm when it matches on this type; [`Directive::name`] gives the directive's
/// canonical name for messages.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Directive {
    /// `SecRule VARIABLES OPERATOR [ACTIONS]`.
    Rule(SecRule),
    /// `SecAction ACTIONS`: a rule that always matches.
    Action(Vec<Action>),
    /// `SecMarker NAME`: a target for `skipAfter`.
    Marker(String),
    /// `SecDefaultAction ACTIONS`: the defaults for the rules of one phase.
    DefaultAction(Vec<Action>),
    /// `SecRuleEngine On|Off|DetectionOnly`.
    RuleEngine(EngineMode),
    /// `SecComponentSignature TEXT`: informational only.
    ComponentSignature(String),

    /// `Include PATH` or `IncludeOptional PATH`: read another rule file here. `PATH` may
    /// hold wildcards (`*`, `?`, `[…]`) and is relative to the directory of the file that
    /// includes it. `IncludeOptional` is not an error when nothing matches.
    Include {
        /// The path or wildcard pattern, as written.
        path: String,
        /// `IncludeOptional`.
        optional: bool,
    },

    /// `SecRequestBodyAccess On|Off`: whether request bodies are buffered and inspected.
    RequestBodyAccess(OnOff),
    /// `SecResponseBodyAccess On|Off`: whether response bodies are buffered and inspected.
    ResponseBodyAccess(OnOff),
    /// `SecResponseBodyMimeType TYPE…`: adds response MIME types whose bodies are
    /// inspected (as written; ModSecurity compares them case-insensitively).
    ResponseBodyMimeType(Vec<String>),
    /// `SecResponseBodyMimeTypesClear`: empties the list of inspected response types.
    ResponseBodyMimeTypesClear,
    /// `SecRequestBodyLimit BYTES`: the largest request body accepted.
    RequestBodyLimit(u64),
    /// `SecRequestBodyNoFilesLimit BYTES`: the largest request body, not counting files
    /// in a multipart body.
    RequestBodyNoFilesLimit(u64),
    /// `SecRequestBodyInMemoryLimit BYTES`: how much of a request body is kept in memory.
    RequestBodyInMemoryLimit(u64),
    /// `SecRequestBodyLimitAction Reject|ProcessPartial`.
    RequestBodyLimitAction(BodyLimitAction),
    /// `SecResponseBodyLimit BYTES`: the largest response body inspected.
    ResponseBodyLimit(u64),
    /// `SecResponseBodyLimitAction Reject|ProcessPartial`.
    ResponseBodyLimitAction(BodyLimitAction),
    /// `SecRequestBodyJsonDepthLimit N`: the deepest JSON nesting parsed.
    RequestBodyJsonDepthLimit(u64),
    /// `SecArgumentsLimit N`: the most arguments parsed from a request.
    ArgumentsLimit(u64),
    /// `SecUploadFileLimit N`: the most files parsed from a multipart body.
    UploadFileLimit(u64),
    /// `SecPcreMatchLimit N`: PCRE's backtracking limit (an engine without backtracking
    /// may ignore it).
    PcreMatchLimit(u64),
    /// `SecPcreMatchLimitRecursion N`: PCRE's recursion limit.
    PcreMatchLimitRecursion(u64),
    /// `SecArgumentSeparator CHAR`: the byte between `application/x-www-form-urlencoded`
    /// parameters (default `&`).
    ArgumentSeparator(u8),
    /// `SecCookieFormat 0|1`: version 0 (Netscape) or version 1 cookies.
    CookieFormat(u8),
    /// `SecUnicodeMapFile PATH [CODE_PAGE]`: the table `t:urlDecodeUni` uses for `%uXXXX`.
    UnicodeMapFile {
        /// The mapping file, as written.
        path: String,
        /// The code page to use from it.
        code_page: Option<u32>,
    },
    /// `SecUnicodeCodePage N`: the code page used from the unicode map file.
    UnicodeCodePage(u32),
    /// `SecCollectionTimeout SECONDS`: how long persistent collections live.
    CollectionTimeout(u64),
    /// `SecWebAppId NAME`: the application namespace of persistent collections.
    WebAppId(String),
    /// `SecXmlExternalEntity On|Off`: whether the XML parser loads external entities.
    XmlExternalEntity(OnOff),

    /// `SecRuleRemoveById ID|RANGE…`: removes rules defined before this directive.
    /// Arguments may also hold several comma-separated ids (`"1,5-9"`).
    RuleRemoveById(Vec<IdRange>),
    /// `SecRuleRemoveByTag PATTERN…`: removes rules with a matching tag.
    RuleRemoveByTag(Vec<Pattern>),
    /// `SecRuleRemoveByMsg PATTERN…`: removes rules with a matching message.
    RuleRemoveByMsg(Vec<Pattern>),
    /// `SecRuleUpdateTargetById IDS TARGETS [REPLACED]`: adds targets to (or, with `!`,
    /// excludes them from) the rules with these ids.
    RuleUpdateTargetById {
        /// The rules changed.
        ids: Vec<IdRange>,
        /// What to add, e.g. `!REQUEST_COOKIES:/^_ga/`.
        targets: Vec<Variable>,
        /// With a third argument, the targets that `targets` replace.
        replaced: Option<Vec<Variable>>,
    },
    /// `SecRuleUpdateTargetByTag PATTERN TARGETS [REPLACED]`.
    RuleUpdateTargetByTag {
        /// The tag of the rules changed.
        tag: Pattern,
        /// What to add or exclude.
        targets: Vec<Variable>,
        /// With a third argument, the targets that `targets` replace.
        replaced: Option<Vec<Variable>>,
    },
    /// `SecRuleUpdateTargetByMsg PATTERN TARGETS [REPLACED]`.
    RuleUpdateTargetByMsg {
        /// The message of the rules changed.
        msg: Pattern,
        /// What to add or exclude.
        targets: Vec<Variable>,
        /// With a third argument, the targets that `targets` replace.
        replaced: Option<Vec<Variable>>,
    },
    /// `SecRuleUpdateActionById ID[:CHAIN_OFFSET] ACTIONS`: changes the actions of a rule
    /// defined before this directive. ModSecurity merges them: single-valued actions
    /// (the disruptive action, `msg`, `severity`, …) are replaced, the others (`t:`,
    /// `setvar`, `tag`, …) appended.
    RuleUpdateActionById {
        /// The rule changed.
        id: u32,
        /// `ID:N` changes the N-th rule of the chain `ID` starts (counting from 1 for the
        /// rule that carries the id).
        chain_offset: Option<u32>,
        /// The actions.
        actions: Vec<Action>,
    },

    /// A directive that only configures logging, audit logging or on-disk storage, read
    /// and otherwise ignored; see [`IGNORED_DIRECTIVES`].
    Ignored {
        /// Its canonical name, e.g. `SecAuditEngine`.
        directive: &'static str,
        /// Its arguments, unquoted.
        args: Vec<String>,
    },
}

impl Directive {
    /// The canonical name of the directive, e.g. `SecRuleUpdateTargetById`.
    ///
    /// ```
    /// let file = waf_rules::seclang::parse("x.conf", "secruleremovebyid 1").unwrap();
    /// assert_eq!(file.directives[0].1.name(), "SecRuleRemoveById");
    /// ```
    pub fn name(&self) -> &'static str {
        match self {
            Directive::Rule(_) => "SecRule",
            Directive::Action(_) => "SecAction",
            Directive::Marker(_) => "SecMarker",
            Directive::DefaultAction(_) => "SecDefaultAction",
            Directive::RuleEngine(_) => "SecRuleEngine",
            Directive::ComponentSignature(_) => "SecComponentSignature",
            Directive::Include {
                optional: false, ..
            } => "Include",
            Directive::Include { optional: true, .. } => "IncludeOptional",
            Directive::RequestBodyAccess(_) => "SecRequestBodyAccess",
            Directive::ResponseBodyAccess(_) => "SecResponseBodyAccess",
            Directive::ResponseBodyMimeType(_) => "SecResponseBodyMimeType",
            Directive::ResponseBodyMimeTypesClear => "SecResponseBodyMimeTypesClear",
            Directive::RequestBodyLimit(_) => "SecRequestBodyLimit",
            Directive::RequestBodyNoFilesLimit(_) => "SecRequestBodyNoFilesLimit",
            Directive::RequestBodyInMemoryLimit(_) => "SecRequestBodyInMemoryLimit",
            Directive::RequestBodyLimitAction(_) => "SecRequestBodyLimitAction",
            Directive::ResponseBodyLimit(_) => "SecResponseBodyLimit",
            Directive::ResponseBodyLimitAction(_) => "SecResponseBodyLimitAction",
            Directive::RequestBodyJsonDepthLimit(_) => "SecRequestBodyJsonDepthLimit",
            Directive::ArgumentsLimit(_) => "SecArgumentsLimit",
            Directive::UploadFileLimit(_) => "SecUploadFileLimit",
            Directive::PcreMatchLimit(_) => "SecPcreMatchLimit",
            Directive::PcreMatchLimitRecursion(_) => "SecPcreMatchLimitRecursion",
            Directive::ArgumentSeparator(_) => "SecArgumentSeparator",
            Directive::CookieFormat(_) => "SecCookieFormat",
            Directive::UnicodeMapFile { .. } => "SecUnicodeMapFile",
            Directive::UnicodeCodePage(_) => "SecUnicodeCodePage",
            Directive::CollectionTimeout(_) => "SecCollectionTimeout",
            Directive::WebAppId(_) => "SecWebAppId",
            Directive::XmlExternalEntity(_) => "SecXmlExternalEntity",
            Directive::RuleRemoveById(_) => "SecRuleRemoveById",
            Directive::RuleRemoveByTag(_) => "SecRuleRemoveByTag",
            Directive::RuleRemoveByMsg(_) => "SecRuleRemoveByMsg",
            Directive::RuleUpdateTargetById { .. } => "SecRuleUpdateTargetById",
            Directive::RuleUpdateTargetByTag { .. } => "SecRuleUpdateTargetByTag",
            Directive::RuleUpdateTargetByMsg { .. } => "SecRuleUpdateTargetByMsg",
            Directive::RuleUpdateActionById { .. } => "SecRuleUpdateActionById",
            Directive::Ignored { directive, .. } => directive,
        }
    }
}

/// `On` or `Off`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnOff {
    /// `On`.
    On,
    /// `Off`.
    Off,
}

impl OnOff {
    /// `true` for `On`.
    pub fn is_on(self) -> bool {
        self == OnOff::On
    }
}

/// What to do with a body larger than its limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyLimitAction {
    /// `Reject`: refuse the transaction.
    Reject,
    /// `ProcessPartial`: inspect the part up to the limit and let the rest through.
    ProcessPartial,
}

/// An inclusive range of rule ids, e.g. `942100-942199`; a single id `942100` is the
/// range `942100-942100`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IdRange {
    /// The first id in the range.
    pub first: u32,
    /// The last id in the range, not less than `first`.
    pub last: u32,
}

impl IdRange {
    /// The range holding the one id `id`.
    pub fn single(id: u32) -> Self {
        Self {
            first: id,
            last: id,
        }
    }

    /// Whether `id` is in the range.
    pub fn contains(&self, id: u32) -> bool {
        (self.first..=self.last).contains(&id)
    }
}

impl std::fmt::Display for IdRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.first == self.last {
            write!(f, "{}", self.first)
        } else {
            write!(f, "{}-{}", self.first, self.last)
        }
    }
}

/// The argument of `SecRuleRemoveByTag`, `SecRuleRemoveByMsg` and the `…ByTag` /
/// `…ByMsg` update directives.
///
/// ModSecurity 2 compiles it as a regular expression and selects a rule when the
/// expression matches anywhere in one of its tags (or its message); libmodsecurity 3 and
/// Coraza select a rule whose tag equals the text. An argument without regular
/// expression metacharacters is [`Pattern::Literal`]; an engine that wants to accept
/// exclusion files written for either should select a rule when the text equals the tag
/// exactly or, for [`Pattern::Regex`], when the expression matches in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pattern {
    /// Text without any of `\ . + * ? ( ) [ ] { } | ^ $`, e.g. `attack-sqli`.
    Literal(String),
    /// Anything else, e.g. `OWASP_CRS/.*` or `^attack-(?:sqli|xss)$`.
    Regex(String),
}

impl Pattern {
    /// Classifies `text`.
    pub fn new(text: &str) -> Self {
        const META: &[char] = &[
            '\\', '.', '+', '*', '?', '(', ')', '[', ']', '{', '}', '|', '^', '$',
        ];
        if text.contains(META) {
            Pattern::Regex(text.to_owned())
        } else {
            Pattern::Literal(text.to_owned())
        }
    }

    /// The text as written.
    pub fn as_str(&self) -> &str {
        match self {
            Pattern::Literal(text) | Pattern::Regex(text) => text,
        }
    }
}

/// What `SecRuleEngine` selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EngineMode {
    /// Rules run and disruptive actions take effect.
    On,
    /// Rules do not run.
    Off,
    /// Rules run and log, but nothing is blocked.
    DetectionOnly,
}

/// A `SecRule`: where to look, what to look for, what to do.
#[derive(Debug, Clone, PartialEq)]
pub struct SecRule {
    /// The variables (targets) the operator runs against.
    pub variables: Vec<Variable>,
    /// The operator, with its argument.
    pub operator: Operator,
    /// The action list, in order.
    pub actions: Vec<Action>,
}

impl SecRule {
    /// The value of the first action called `name`, if any (`Some("")` for a flag).
    pub fn action(&self, name: &str) -> Option<&str> {
        self.actions
            .iter()
            .find(|a| a.name.eq_ignore_ascii_case(name))
            .map(|a| a.value.as_deref().unwrap_or(""))
    }
}

/// One variable of a rule, e.g. `ARGS`, `!ARGS:id`, `&REQUEST_HEADERS:Host`,
/// `REQUEST_COOKIES:/^sess/`.
///
/// In a list, variables are separated by `|` (or `,`, as ModSecurity 2 allows). A
/// selector may be quoted (`TX:'a.b'`); a selector of more than two characters between
/// slashes, quoted or not, is a regular expression, except after `XML:`, where it is an
/// XPath expression such as `/*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variable {
    /// `&`: the rule tests how many values there are, not the values.
    pub count: bool,
    /// `!`: removes matching members from the rule's other variables.
    pub exclude: bool,
    /// The collection name, upper-cased (`ARGS`, `REQUEST_HEADERS`, `TX`, …).
    pub collection: String,
    /// The member selector after `:`, if any.
    pub selector: Option<Selector>,
}

/// Which members of a collection a variable names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selector {
    /// A member name (matched case-insensitively by the engine).
    Key(String),
    /// A regular expression between slashes, without the slashes.
    Regex(String),
}

/// An operator, e.g. `@rx pattern`, `!@streq x`; a bare string is `@rx`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operator {
    /// `!@…`: the rule matches when the operator does not.
    pub negated: bool,
    /// The operator name without `@`, as written (`rx`, `pmFromFile`, …).
    pub name: String,
    /// Everything after the name and the blanks that follow it, unchanged (trailing
    /// blanks included).
    pub argument: String,
}

/// One action of an action list, e.g. `id:1001`, `t:lowercase`, `deny`.
///
/// Actions are separated by commas (ModSecurity 2 also accepts `|` and blanks). A value
/// is either single-quoted, `msg:'a, b'`, where `\'` is a quote and `\\` a backslash, or
/// runs to the next `,`, `|` or blank: `ctl:ruleRemoveTargetById=920450;ARGS:x`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Action {
    /// The action name, lower-cased.
    pub name: String,
    /// Its value after `:`, with surrounding single quotes removed and `\'` unescaped.
    /// `Some("")` for `name:` with nothing after the colon.
    pub value: Option<String>,
}

/// Parses a variable list as a rule or a `ctl:ruleRemoveTarget…` action writes it, e.g.
/// `ARGS:foo|!ARGS:bar|&REQUEST_HEADERS`.
///
/// ```
/// let vars = waf_rules::seclang::parse_variables("ARGS:/^id_/|!ARGS:x").unwrap();
/// assert_eq!(vars.len(), 2);
/// assert!(vars[1].exclude);
/// ```
pub fn parse_variables(text: &str) -> Result<Vec<Variable>, String> {
    variables::parse(text)
}

/// Parses rule ids and ranges as `SecRuleRemoveById` and `ctl:ruleRemoveById` take them:
/// `942100`, `942100-942199`, `1,5-9`.
///
/// ```
/// let ids = waf_rules::seclang::parse_ids("1,5-9").unwrap();
/// assert!(ids[1].contains(7));
/// ```
pub fn parse_ids(text: &str) -> Result<Vec<IdRange>, String> {
    directives::ids(&[text.to_owned()])
}

/// Parses the SecLang text of one file. `file` names it in errors.
///
/// ```
/// let err = waf_rules::seclang::parse("my.conf", "SecRule ARGS\n").unwrap_err();
/// assert_eq!(err.line(), 1);
/// assert!(err.to_string().starts_with("my.conf:1:"));
/// ```
pub fn parse(file: &str, text: &str) -> Result<RuleFile, ParseError> {
    let file: Arc<str> = Arc::from(file);
    let mut out = RuleFile::default();
    for line in lexer::logical_lines(text) {
        let location = Location {
            file: file.clone(),
            line: line.number,
        };
        let err = |message: String| ParseError::new(location.clone(), message);
        let words = lexer::split_words(&line.text).map_err(err)?;
        let Some((name, args)) = words.split_first() else {
            continue;
        };
        let directive = directives::directive(name, args).map_err(err)?;
        out.directives.push((location, directive));
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
