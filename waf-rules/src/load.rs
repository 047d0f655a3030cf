//! Loading SecLang rule sets from disk: files, `Include`s, the OWASP CRS layout and the
//! data files rules read with `@pmFromFile` and `@ipMatchFromFile`.
//!
//! [`seclang::parse`] reads text; this module reads files. It
//! follows `Include` and `IncludeOptional` (wildcards allowed, paths relative to the
//! including file's directory), refuses include cycles and nesting deeper than
//! [`MAX_INCLUDE_DEPTH`], and reads every data file a rule names, so that the result,
//! a [`RuleSource`], holds everything a compiler needs without touching the disk again.
//!
//! ```no_run
//! use waf_rules::load;
//!
//! // crs-setup.conf (or crs-setup.conf.example), then rules/*.conf in name order.
//! let crs = load::load_crs("/etc/crs4")?;
//! println!("{} rules from {} files", crs.rules.rules().count(), crs.files.len());
//!
//! // The word list of a `@pmFromFile` rule, found from the rule's own location.
//! for (location, directive) in &crs.rules.directives {
//!     if let waf_rules::seclang::Directive::Rule(rule) = directive {
//!         for name in load::data_file_names(&rule.operator) {
//!             let words = crs.data_file(&location.file, name).expect("loaded");
//!             let _entries: Vec<&str> = load::data_entries(words).collect();
//!         }
//!     }
//! }
//! # Ok::<(), load::LoadError>(())
//! ```
//!
//! A runnable example, on files written for it:
//!
//! ```
//! use waf_rules::load;
//! use waf_rules::seclang::Directive;
//!
//! let dir = std::env::temp_dir().join(format!("waf-rules-load-doc-{}", std::process::id()));
//! std::fs::create_dir_all(dir.join("conf.d"))?;
//! std::fs::write(
//!     dir.join("main.conf"),
//!     "SecRuleEngine On\nInclude conf.d/*.conf\nSecRuleRemoveById 1001\n",
//! )?;
//! std::fs::write(
//!     dir.join("conf.d/10-bots.conf"),
//!     "SecRule REQUEST_HEADERS:User-Agent \"@pmFromFile bots.data\" \"id:1001,deny\"\n",
//! )?;
//! std::fs::write(dir.join("conf.d/bots.data"), "# scanners\nnikto\nsqlmap\n")?;
//!
//! let source = load::load_file(dir.join("main.conf"))?;
//! let names: Vec<&str> = source.rules.directives.iter().map(|(_, d)| d.name()).collect();
//! assert_eq!(names, ["SecRuleEngine", "SecRule", "SecRuleRemoveById"]);
//!
//! let (at, rule) = source.rules.directives.iter().find_map(|(at, d)| match d {
//!     Directive::Rule(rule) => Some((at, rule)),
//!     _ => None,
//! }).unwrap();
//! assert!(at.file.ends_with("10-bots.conf"));
//! let words = source.data_file(&at.file, &rule.operator.argument).unwrap();
//! assert_eq!(load::data_entries(words).collect::<Vec<_>>(), ["nikto", "sqlmap"]);
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod glob;

use crate::seclang::{self, Directive, Location, Operator, RuleFile};
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Component, Path, PathBuf};

/// How deeply `Include`s may nest (a file that includes a file counts 2).
pub const MAX_INCLUDE_DEPTH: usize = 64;

/// How many rule files one load may read in all, so that files that include each other
/// many times over cannot make a load take forever.
pub const MAX_FILES: usize = 10_000;

/// A loaded rule set: every directive in the order it takes effect, the files read and
/// the contents of the data files the rules name.
#[derive(Debug, Clone, Default)]
pub struct RuleSource {
    /// Every directive of every file read, in order: each `Include` is replaced by the
    /// directives of the files it names (so no [`Directive::Include`] is left). Each
    /// directive's [`Location::file`] is the path of its file as the loader opened it
    /// (see [`RuleSource::files`]). Give this to a compiler.
    pub rules: RuleFile,
    /// The rule files read, in the order they were opened. A path is the one given to
    /// the loader, or for an included file the including file's directory joined with
    /// the `Include` argument, with `.` and `..` components removed lexically.
    pub files: Vec<PathBuf>,
    /// The data files named by `@pmFromFile`, `@pmf`, `@ipMatchFromFile` and `@ipMatchF`
    /// operators, by key (see [`data_key`]), with their full text.
    pub data: BTreeMap<String, String>,
}

impl RuleSource {
    /// An empty rule source, to which files can be added in order.
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads the rule file at `path`, following its `Include`s, and appends its
    /// directives.
    ///
    /// On error the source may hold part of the file's directives; discard it.
    pub fn add_file(&mut self, path: impl AsRef<Path>) -> Result<(), LoadError> {
        let path = normalize(path.as_ref());
        Loader::new(self).file(&path, None)
    }

    /// Reads every file `pattern` matches (wildcards allowed, see `Include`), in name
    /// order. It is an error if nothing matches, unless `optional`.
    pub fn add_glob(&mut self, pattern: impl AsRef<Path>, optional: bool) -> Result<(), LoadError> {
        let pattern = normalize(pattern.as_ref());
        Loader::new(self).include(&pattern, optional, None)
    }

    /// Reads an OWASP CRS directory in the order the CRS documents (see [`load_crs`]) and
    /// appends its directives.
    pub fn add_crs(&mut self, dir: impl AsRef<Path>) -> Result<(), LoadError> {
        let dir = normalize(dir.as_ref());
        let setup = ["crs-setup.conf", "crs-setup.conf.example"]
            .iter()
            .map(|name| dir.join(name))
            .find(|path| path.is_file())
            .ok_or_else(|| {
                LoadError::new(
                    &dir,
                    None,
                    "not an OWASP CRS directory: it has neither crs-setup.conf nor \
                     crs-setup.conf.example"
                        .into(),
                )
            })?;
        self.add_file(setup)?;
        self.add_glob(dir.join("plugins/*-config.conf"), true)?;
        self.add_glob(dir.join("plugins/*-before.conf"), true)?;
        self.add_glob(dir.join("rules/*.conf"), false)?;
        self.add_glob(dir.join("plugins/*-after.conf"), true)?;
        Ok(())
    }

    /// The text of the data file `name` as named by an operator of a rule in the file
    /// `rule_file` (a [`Location::file`]), if it was loaded.
    pub fn data_file(&self, rule_file: &str, name: &str) -> Option<&str> {
        self.data
            .get(&data_key(rule_file, name))
            .map(String::as_str)
    }
}

/// Reads the rule file at `path` and every file it includes.
pub fn load_file(path: impl AsRef<Path>) -> Result<RuleSource, LoadError> {
    let mut source = RuleSource::new();
    source.add_file(path)?;
    Ok(source)
}

/// Reads an OWASP CRS directory: `crs-setup.conf` if present, else
/// `crs-setup.conf.example`; then, if there is a `plugins` directory,
/// `plugins/*-config.conf` and `plugins/*-before.conf`; then `rules/*.conf` in file-name
/// order (so `*.conf.example` files are skipped); then `plugins/*-after.conf`.
pub fn load_crs(dir: impl AsRef<Path>) -> Result<RuleSource, LoadError> {
    let mut source = RuleSource::new();
    source.add_crs(dir)?;
    Ok(source)
}

/// The key of a data file in [`RuleSource::data`]: the directory of `rule_file` (the
/// [`Location::file`] of the rule that names it) joined with `name` (the operator's
/// argument, or one of its blank-separated words), with `.` and `..` components removed
/// lexically. An absolute `name` is used as it is.
///
/// ```
/// use waf_rules::load::data_key;
/// assert_eq!(data_key("/crs/rules/REQUEST-930.conf", "lfi-os-files.data"), "/crs/rules/lfi-os-files.data");
/// assert_eq!(data_key("rules/a.conf", "../data/x.data"), "data/x.data");
/// assert_eq!(data_key("a.conf", "/etc/x.data"), "/etc/x.data");
/// ```
pub fn data_key(rule_file: &str, name: &str) -> String {
    let dir = Path::new(rule_file).parent().unwrap_or(Path::new(""));
    normalize(&dir.join(name)).to_string_lossy().into_owned()
}

/// The data files an operator reads: the blank-separated words of the argument of
/// `@pmFromFile`, `@pmf`, `@ipMatchFromFile` and `@ipMatchF` (names compared
/// case-insensitively); nothing for other operators.
pub fn data_file_names(operator: &Operator) -> impl Iterator<Item = &str> {
    const FILE_OPERATORS: [&str; 4] = ["pmFromFile", "pmf", "ipMatchFromFile", "ipMatchF"];
    let reads_files = FILE_OPERATORS
        .iter()
        .any(|name| name.eq_ignore_ascii_case(&operator.name));
    let argument = if reads_files {
        &operator.argument[..]
    } else {
        ""
    };
    argument.split_ascii_whitespace()
}

/// The entries of a data file as ModSecurity reads them: one per line, without the line
/// end (`\n` or `\r\n`), skipping empty lines and lines that start with `#`. Other blanks
/// are kept.
///
/// ```
/// let text = "# comment\nfoo\r\n\n bar \n";
/// assert_eq!(waf_rules::load::data_entries(text).collect::<Vec<_>>(), ["foo", " bar "]);
/// ```
pub fn data_entries(text: &str) -> impl Iterator<Item = &str> {
    text.split('\n')
        .map(|line| line.strip_suffix('\r').unwrap_or(line))
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
}

/// A rule set could not be loaded: which file (and line, when a directive is at fault)
/// and why.
#[derive(Debug, Clone)]
pub struct LoadError {
    file: String,
    line: Option<usize>,
    message: String,
}

impl LoadError {
    fn new(file: &Path, line: Option<usize>, message: String) -> Self {
        Self {
            file: file.to_string_lossy().into_owned(),
            line,
            message,
        }
    }

    fn at(location: &Location, message: String) -> Self {
        Self {
            file: location.file.to_string(),
            line: Some(location.line),
            message,
        }
    }

    /// The file at fault: the rule file holding the failing directive, or the file that
    /// could not be read.
    pub fn file(&self) -> &str {
        &self.file
    }

    /// The line, counting from 1, of the failing directive, if a directive is at fault.
    pub fn line(&self) -> Option<usize> {
        self.line
    }

    /// What is wrong, without the location.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{}: {}", self.file, line, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

impl std::error::Error for LoadError {}

impl From<seclang::ParseError> for LoadError {
    fn from(e: seclang::ParseError) -> Self {
        Self {
            file: e.file().to_owned(),
            line: Some(e.line()),
            message: e.message().to_owned(),
        }
    }
}

/// One load: the include stack, for cycles and depth.
struct Loader<'a> {
    source: &'a mut RuleSource,
    /// Canonical paths of the files being read, outermost first.
    stack: Vec<PathBuf>,
    files_read: usize,
}

impl<'a> Loader<'a> {
    fn new(source: &'a mut RuleSource) -> Self {
        Self {
            source,
            stack: Vec::new(),
            files_read: 0,
        }
    }

    /// Reads every file `pattern` names. `from` is the `Include` directive, if any.
    fn include(
        &mut self,
        pattern: &Path,
        optional: bool,
        from: Option<&Location>,
    ) -> Result<(), LoadError> {
        let error = |message: String| match from {
            Some(at) => LoadError::at(at, message),
            None => LoadError::new(pattern, None, message),
        };
        let text = pattern.to_string_lossy();
        if !glob::has_wildcard(&text) {
            if optional && !pattern.exists() {
                return Ok(());
            }
            return self.file(pattern, from);
        }
        let paths = glob::expand(pattern)
            .map_err(|e| error(format!("cannot expand {}: {e}", pattern.display())))?;
        if paths.is_empty() && !optional {
            return Err(error(format!("no file matches {}", pattern.display())));
        }
        for path in paths {
            self.file(&path, from)?;
        }
        Ok(())
    }

    /// Reads one rule file. `from` is the `Include` directive that names it, if any.
    fn file(&mut self, path: &Path, from: Option<&Location>) -> Result<(), LoadError> {
        let error = |message: String| match from {
            Some(at) => LoadError::at(at, message),
            None => LoadError::new(path, None, message),
        };
        if path.is_dir() {
            return Err(error(format!(
                "{} is a directory; name its files, e.g. {}",
                path.display(),
                path.join("*.conf").display()
            )));
        }
        let canonical = std::fs::canonicalize(path)
            .map_err(|e| error(format!("cannot read {}: {e}", path.display())))?;
        if let Some(at) = self.stack.iter().position(|p| *p == canonical) {
            let cycle: Vec<String> = self.stack[at..]
                .iter()
                .chain([&canonical])
                .map(|p| p.display().to_string())
                .collect();
            return Err(error(format!("include cycle: {}", cycle.join(" -> "))));
        }
        if self.stack.len() >= MAX_INCLUDE_DEPTH {
            return Err(error(format!(
                "includes nest deeper than {MAX_INCLUDE_DEPTH} files at {}",
                path.display()
            )));
        }
        self.files_read += 1;
        if self.files_read > MAX_FILES {
            return Err(error(format!("more than {MAX_FILES} rule files read")));
        }
        let bytes = std::fs::read(path)
            .map_err(|e| error(format!("cannot read {}: {e}", path.display())))?;
        let text = String::from_utf8(bytes).map_err(|e| {
            LoadError::new(
                path,
                None,
                format!("not valid UTF-8 (at byte {})", e.utf8_error().valid_up_to()),
            )
        })?;
        let name = path.to_string_lossy();
        let file = seclang::parse(&name, &text)?;
        self.source.files.push(path.to_owned());
        self.stack.push(canonical);
        let result = self.directives(path, file);
        self.stack.pop();
        result
    }

    fn directives(&mut self, path: &Path, file: RuleFile) -> Result<(), LoadError> {
        let dir = path.parent().unwrap_or(Path::new(""));
        for (location, directive) in file.directives {
            match directive {
                Directive::Include {
                    path: pattern,
                    optional,
                } => {
                    let pattern = normalize(&dir.join(&pattern));
                    self.include(&pattern, optional, Some(&location))?;
                }
                directive => {
                    if let Directive::Rule(rule) = &directive {
                        for name in data_file_names(&rule.operator) {
                            self.data_file(&location, name)?;
                        }
                    }
                    self.source.rules.directives.push((location, directive));
                }
            }
        }
        Ok(())
    }

    fn data_file(&mut self, at: &Location, name: &str) -> Result<(), LoadError> {
        if name.contains("://") {
            return Err(LoadError::at(
                at,
                format!("data file {name:?}: remote data files are not supported"),
            ));
        }
        let key = data_key(&at.file, name);
        if self.source.data.contains_key(&key) {
            return Ok(());
        }
        let bytes = std::fs::read(&key)
            .map_err(|e| LoadError::at(at, format!("cannot read data file {key}: {e}")))?;
        let text = String::from_utf8(bytes).map_err(|e| {
            LoadError::at(
                at,
                format!(
                    "data file {key} is not valid UTF-8 (at byte {})",
                    e.utf8_error().valid_up_to()
                ),
            )
        })?;
        self.source.data.insert(key, text);
        Ok(())
    }
}

/// Removes `.` components and folds `..` into the component before it, without looking
/// at the file system.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    // How many leading `..` of a relative path could not be folded.
    let mut normal = 0usize;
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir if normal > 0 => {
                out.pop();
                normal -= 1;
            }
            Component::ParentDir if out.has_root() => {}
            Component::Normal(_) => {
                out.push(component);
                normal += 1;
            }
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests;
