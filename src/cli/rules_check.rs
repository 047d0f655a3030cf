//! `waf rules check`: loads a rule set the way a node would and reports every problem
//! with its file and line, not just the first.

use super::Failure;
use clap::Args;
use std::io::Write;
use std::path::{Path, PathBuf};
use waf_core::rule::RuleSet;
use waf_rules::load::{self, RuleSource};
use waf_rules::seclang::{self, ParseError};

/// Check a rule set: parse every file, follow includes and data files, compile.
///
/// PATH is an OWASP CRS directory (it has crs-setup.conf or crs-setup.conf.example:
/// read in the CRS order), another directory (its *.conf files in name order), or one
/// rule file (with its Includes). Each problem is printed as `FILE:LINE: message`;
/// after a bad directive the check goes on with the next one, so one run lists every
/// directive that does not parse, or, once all parse, every one the compiler refuses
/// (unknown operators and actions, bad regexes, missing data files).
#[derive(Debug, Args)]
#[command(
    after_help = "Exit status: 0 when the rules load and compile; 1 when some do \
                        not (each problem printed); 2 when PATH cannot be read."
)]
pub struct CheckArgs {
    /// The rule set: a CRS directory, a directory of *.conf files, or a rule file.
    #[arg(value_name = "PATH")]
    path: PathBuf,
}

/// The most problems one run reports.
const MAX_PROBLEMS: usize = 200;

/// Runs `waf rules check`.
pub fn run(args: CheckArgs) -> Result<(), Failure> {
    let layout = Layout::of(&args.path)?;
    let mut problems = Vec::new();
    for file in layout.files()? {
        let text = std::fs::read(&file)
            .map_err(|e| Failure::usage(format!("cannot read {}: {e}", file.display())))?;
        let text = String::from_utf8_lossy(&text);
        problems.extend(
            parse_errors(&file.display().to_string(), &text)
                .iter()
                .map(ParseError::to_string),
        );
    }
    let summary = if problems.is_empty() {
        match layout.load() {
            Ok(source) => {
                problems.extend(compile_errors(source.clone()));
                format!(
                    "{} rules in {} files, {} data files",
                    source.rules.rules().count(),
                    source.files.len(),
                    source.data.len()
                )
            }
            Err(e) => {
                problems.push(e.to_string());
                String::new()
            }
        }
    } else {
        String::new()
    };
    let mut out = String::new();
    for problem in problems.iter().take(MAX_PROBLEMS) {
        out.push_str(problem);
        out.push('\n');
    }
    if problems.is_empty() {
        out.push_str(&format!("ok: {summary}\n"));
    }
    std::io::stdout()
        .lock()
        .write_all(out.as_bytes())
        .map_err(|e| Failure::runtime(format!("cannot write the report: {e}")))?;
    match problems.len() {
        0 => Ok(()),
        n if n > MAX_PROBLEMS => Err(Failure::runtime(format!(
            "more than {MAX_PROBLEMS} problems; the first {MAX_PROBLEMS} are listed"
        ))),
        1 => Err(Failure::runtime("1 problem")),
        n => Err(Failure::runtime(format!("{n} problems"))),
    }
}

/// What PATH is.
enum Layout {
    Crs(PathBuf),
    Directory(PathBuf),
    File(PathBuf),
}

impl Layout {
    fn of(path: &Path) -> Result<Self, Failure> {
        let meta = std::fs::metadata(path)
            .map_err(|e| Failure::usage(format!("cannot read {}: {e}", path.display())))?;
        Ok(if !meta.is_dir() {
            Self::File(path.to_owned())
        } else if ["crs-setup.conf", "crs-setup.conf.example"]
            .iter()
            .any(|name| path.join(name).is_file())
        {
            Self::Crs(path.to_owned())
        } else {
            Self::Directory(path.to_owned())
        })
    }

    /// The files to parse one by one (includes are followed by [`load`](Self::load)).
    fn files(&self) -> Result<Vec<PathBuf>, Failure> {
        match self {
            Self::File(path) => Ok(vec![path.clone()]),
            Self::Directory(dir) => {
                let files = conf_files(dir)?;
                if files.is_empty() {
                    return Err(Failure::usage(format!(
                        "{} has no *.conf file",
                        dir.display()
                    )));
                }
                Ok(files)
            }
            Self::Crs(dir) => {
                let setup = ["crs-setup.conf", "crs-setup.conf.example"]
                    .iter()
                    .map(|name| dir.join(name))
                    .find(|p| p.is_file());
                let mut files: Vec<PathBuf> = setup.into_iter().collect();
                files.extend(conf_files(&dir.join("rules"))?);
                Ok(files)
            }
        }
    }

    fn load(&self) -> Result<RuleSource, load::LoadError> {
        match self {
            Self::File(path) => load::load_file(path),
            Self::Crs(dir) => load::load_crs(dir),
            Self::Directory(dir) => {
                let mut source = RuleSource::new();
                source.add_glob(dir.join("*.conf"), false)?;
                Ok(source)
            }
        }
    }
}

/// The `*.conf` files of `dir`, in name order.
fn conf_files(dir: &Path) -> Result<Vec<PathBuf>, Failure> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| Failure::usage(format!("cannot read {}: {e}", dir.display())))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "conf") && p.is_file())
        .collect();
    files.sort();
    Ok(files)
}

/// Every directive of `text` that does not parse: after each error, parsing resumes
/// on the line after the failing directive (and its continuation lines).
fn parse_errors(file: &str, text: &str) -> Vec<ParseError> {
    let lines: Vec<&str> = text.lines().collect();
    let mut errors = Vec::new();
    let mut start = 0; // index of the first line still to parse
    while start < lines.len() && errors.len() < MAX_PROBLEMS {
        // Blank lines in front keep the line numbers of the whole file.
        let rest = "\n".repeat(start) + &lines[start..].join("\n");
        let Err(error) = seclang::parse(file, &rest) else {
            break;
        };
        let mut last = error.line().max(start + 1) - 1;
        while last + 1 < lines.len() && lines[last].trim_end().ends_with('\\') {
            last += 1;
        }
        errors.push(error);
        start = last + 1;
    }
    errors
}

/// Every directive the compiler refuses: after each error the directive it names is
/// left out and the rest compiled again.
fn compile_errors(mut source: RuleSource) -> Vec<String> {
    let mut errors = Vec::new();
    while errors.len() < MAX_PROBLEMS {
        let Err(error) = RuleSet::from_source("check", &source) else {
            break;
        };
        let message = error.to_string();
        let at = source
            .rules
            .directives
            .iter()
            .position(|(location, _)| message.contains(&format!("{location}: ")));
        errors.push(message);
        match at {
            Some(at) => {
                source.rules.directives.remove(at);
            }
            // An error of the whole set (no directive named): nothing to leave out.
            None => break,
        }
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_errors_are_all_found_with_their_lines() {
        let text = "SecRuleEngine On\n\
                    SecRule ARGS \"@rx a\" \"id:1,deny\n\
                    SecRule ARGS \"@rx b\" \\\n  \"id:2,phase:2,deny\"\n\
                    SecBogus x\n\
                    SecRule ARGS \"@rx c\" \"id:3,phase:2,deny\"\n\
                    SecRule ARGS\n";
        let lines: Vec<usize> = parse_errors("t.conf", text)
            .iter()
            .map(ParseError::line)
            .collect();
        assert_eq!(lines, [2, 5, 7]);
        assert!(parse_errors("t.conf", "SecRuleEngine On\n").is_empty());
    }
}
