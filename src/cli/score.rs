//! `waf score`: detection quality of a verdict file against labelled requests.
//!
//! Joins request lines (their `id`, `label` and `class`) with verdict lines by `id` and
//! reports, per attack class, how many attacks were caught (any action but `allow`), the
//! false-positive rate on benign requests, and balanced accuracy
//! (`(TPR + (1 − FPR)) / 2`). Labels are read only here, never by the engine.

use super::{Failure, eprint_line};
use clap::{Args, ValueEnum};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::io::BufRead;
use std::path::{Path, PathBuf};

/// Score verdicts against labelled requests: TPR per class, FPR, balanced accuracy.
#[derive(Debug, Args)]
pub struct ScoreArgs {
    /// Labelled request files (JSONL with `id`, `label`, `class`); repeat for several.
    #[arg(long = "requests", required = true, value_name = "REQUESTS.jsonl")]
    requests: Vec<PathBuf>,
    /// Verdict files written by `waf scan`; repeat for several.
    #[arg(long = "verdicts", required = true, value_name = "VERDICTS.jsonl")]
    verdicts: Vec<PathBuf>,
    /// How to print the table.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

/// Output formats.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum Format {
    /// Aligned columns.
    Text,
    /// A Markdown table, for docs and notes.
    Markdown,
    /// One JSON object.
    Json,
}

#[derive(Deserialize)]
struct Labelled {
    id: String,
    label: Option<String>,
    class: Option<String>,
}

#[derive(Deserialize)]
struct VerdictLine {
    id: String,
    action: String,
}

/// Counts for one class: caught and total.
#[derive(Debug, Default, Clone, Copy)]
struct Tally {
    caught: usize,
    total: usize,
}

impl Tally {
    fn rate(self) -> f64 {
        if self.total == 0 {
            0.0
        } else {
            self.caught as f64 / self.total as f64
        }
    }
}

/// Runs `waf score`.
pub fn run(args: ScoreArgs) -> Result<(), Failure> {
    let mut actions: HashMap<String, String> = HashMap::new();
    for path in &args.verdicts {
        for_each_line(path, |line| {
            let v: VerdictLine = serde_json::from_slice(line).map_err(|e| e.to_string())?;
            if actions.insert(v.id.clone(), v.action).is_some() {
                return Err(format!("id {:?} has a second verdict", v.id));
            }
            Ok(())
        })?;
    }
    let mut attacks: BTreeMap<String, Tally> = BTreeMap::new();
    let mut benign = Tally::default();
    let mut unlabelled = 0usize;
    let mut missing = 0usize;
    for path in &args.requests {
        for_each_line(path, |line| {
            let r: Labelled = serde_json::from_slice(line).map_err(|e| e.to_string())?;
            let Some(action) = actions.get(&r.id) else {
                missing += 1;
                return Ok(());
            };
            let flagged = action != "allow";
            let tally = match r.label.as_deref() {
                Some("attack") => attacks
                    .entry(r.class.unwrap_or_else(|| "unknown".into()))
                    .or_default(),
                Some("benign") => &mut benign,
                _ => {
                    unlabelled += 1;
                    return Ok(());
                }
            };
            tally.total += 1;
            tally.caught += usize::from(flagged);
            Ok(())
        })?;
    }
    if missing > 0 {
        eprint_line(&format!(
            "note: {missing} labelled requests have no verdict and are not counted"
        ));
    }
    if unlabelled > 0 {
        eprint_line(&format!(
            "note: {unlabelled} requests have no attack/benign label and are not counted"
        ));
    }
    let all = attacks.values().fold(Tally::default(), |a, t| Tally {
        caught: a.caught + t.caught,
        total: a.total + t.total,
    });
    let report = Report {
        attacks,
        all,
        benign,
    };
    println!("{}", report.render(args.format));
    Ok(())
}

struct Report {
    attacks: BTreeMap<String, Tally>,
    all: Tally,
    benign: Tally,
}

impl Report {
    fn balanced_accuracy(&self) -> f64 {
        (self.all.rate() + (1.0 - self.benign.rate())) / 2.0
    }

    fn render(&self, format: Format) -> String {
        match format {
            Format::Json => serde_json::json!({
                "classes": self.attacks.iter().map(|(class, t)| {
                    (class.clone(), serde_json::json!({"caught": t.caught, "total": t.total, "tpr": t.rate()}))
                }).collect::<serde_json::Map<_, _>>(),
                "attacks": {"caught": self.all.caught, "total": self.all.total, "tpr": self.all.rate()},
                "benign": {"flagged": self.benign.caught, "total": self.benign.total, "fpr": self.benign.rate()},
                "balanced_accuracy": self.balanced_accuracy(),
            })
            .to_string(),
            Format::Text | Format::Markdown => {
                let md = matches!(format, Format::Markdown);
                let row = |a: &str, b: String, c: String, d: String| {
                    if md {
                        format!("| {a} | {b} | {c} | {d} |\n")
                    } else {
                        format!("{a:<18} {b:>8} {c:>8} {d:>9}\n")
                    }
                };
                let mut out = row("class", "caught".into(), "total".into(), "rate %".into());
                if md {
                    out.push_str("| --- | ---: | ---: | ---: |\n");
                }
                let pct = |t: Tally| format!("{:.2}", 100.0 * t.rate());
                for (class, t) in &self.attacks {
                    out += &row(class, t.caught.to_string(), t.total.to_string(), pct(*t));
                }
                let all = self.all;
                out += &row("all attacks (TPR)", all.caught.to_string(), all.total.to_string(), pct(all));
                let b = self.benign;
                out += &row("benign (FPR)", b.caught.to_string(), b.total.to_string(), pct(b));
                let ba = format!("{:.2}", 100.0 * self.balanced_accuracy());
                out += &row("balanced accuracy", String::new(), String::new(), ba);
                out.trim_end().to_owned()
            }
        }
    }
}

/// Calls `f` with each non-blank line; a line `f` rejects is reported
/// with its file and number and skipped.
fn for_each_line(
    path: &Path,
    mut f: impl FnMut(&[u8]) -> Result<(), String>,
) -> Result<(), Failure> {
    let file = std::fs::File::open(path)
        .map_err(|e| Failure::usage(format!("cannot read {}: {e}", path.display())))?;
    let mut reader = std::io::BufReader::new(file);
    let mut line = Vec::new();
    let mut number = 0;
    loop {
        line.clear();
        let read = reader
            .read_until(b'\n', &mut line)
            .map_err(|e| Failure::runtime(format!("reading {}: {e}", path.display())))?;
        if read == 0 {
            return Ok(());
        }
        number += 1;
        let text = line.trim_ascii();
        if text.is_empty() {
            continue;
        }
        if let Err(what) = f(text) {
            eprint_line(&format!("{}: line {number}: {what}", path.display()));
        }
    }
}
