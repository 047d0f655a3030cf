//! The go-ftw test format (version 2 of `ftw-tests-schema`) and loading it from disk.
//!
//! One YAML file holds the tests of one rule:
//!
//! ```yaml
//! meta: { author: "…", description: "…" }
//! rule_id: 920100
//! tests:
//!   - test_id: 1
//!     desc: "Standard GET request"
//!     stages:
//!       - input: { method: GET, uri: "/get", headers: { Host: localhost } }
//!         output: { log: { no_expect_ids: [920100] } }
//! ```
//!
//! Fields are read as go-ftw reads them: a missing `rule_id` is taken from the first
//! run of digits in the file name, a missing `test_id` from the test's position (from
//! 1), `stop_magic: true` is the old spelling of `autocomplete_headers: false`, and the
//! deprecated `log_contains` / `no_log_contains` become `log.match_regex` /
//! `log.no_match_regex`. Header values may be YAML numbers (`Content-Length: 7`). Two
//! things older ftw versions accepted are accepted too: `data` as a list of lines
//! (joined with CRLF) and `status` as a list of acceptable statuses. Fields this
//! harness does not know are ignored, like go-ftw does; the ones it knows but cannot
//! honour make the stage fail with a message rather than being dropped silently.

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use std::fmt;
use std::path::{Path, PathBuf};

/// One test file: the tests of one rule.
#[derive(Debug, Clone)]
pub struct TestFile {
    /// The file it was read from.
    pub path: PathBuf,
    /// Descriptive metadata.
    pub meta: Meta,
    /// The rule the tests are about.
    pub rule_id: u32,
    /// The tests, in file order, with their ids resolved.
    pub tests: Vec<Test>,
}

/// Descriptive metadata of a test file; none of it changes how tests run.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Meta {
    /// Who wrote the tests.
    pub author: Option<String>,
    /// What they are about.
    pub description: Option<String>,
    /// A name for the file's tests.
    pub name: Option<String>,
}

/// One test: stages run in order, each one request.
#[derive(Debug, Clone)]
pub struct Test {
    /// The rule the test is about (the file's `rule_id`).
    pub rule_id: u32,
    /// The id within the rule: as written, or the test's position from 1.
    pub test_id: u32,
    /// What the test is about.
    pub desc: Option<String>,
    /// The requests and their expectations.
    pub stages: Vec<Stage>,
}

impl Test {
    /// go-ftw's name for the test, `RULE-TEST` (`920100-2`): what `--filter` matches.
    pub fn id_string(&self) -> String {
        format!("{}-{}", self.rule_id, self.test_id)
    }
}

/// One request and what the WAF should make of it.
#[derive(Debug, Clone, Deserialize)]
pub struct Stage {
    /// What the stage is for.
    #[serde(default)]
    pub description: Option<String>,
    /// The request.
    pub input: Input,
    /// The expectations.
    #[serde(default)]
    pub output: Output,
}

/// The request of a stage. See [`crate::ftw::request`] for how it becomes bytes.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Input {
    /// Where go-ftw connects; the harness needs no address, kept for reports.
    pub dest_addr: Option<String>,
    /// The port go-ftw connects to.
    pub port: Option<u16>,
    /// `http` or `https`.
    pub protocol: Option<String>,
    /// The method (default `GET`), sent as written.
    pub method: Option<String>,
    /// The request target (default `/`), sent as written.
    pub uri: Option<String>,
    /// The protocol version of the request line (default `HTTP/1.1`), sent as written.
    pub version: Option<String>,
    /// Headers as a map; go-ftw sends them sorted by name.
    pub headers: Option<HeaderList>,
    /// Headers in the order to send them; names may repeat. Wins over `headers`.
    pub ordered_headers: Option<Vec<HeaderTuple>>,
    /// The body, as text (possibly with Go template actions, see the request module).
    pub data: Option<Data>,
    /// The body, base64.
    pub encoded_data: Option<String>,
    /// Whether go-ftw completes the request with `Content-Type`, `Connection` and
    /// `Content-Length` (and form-encodes the body); default yes.
    pub autocomplete_headers: Option<bool>,
    /// The old, inverted spelling of `autocomplete_headers`.
    pub stop_magic: Option<bool>,
    /// The whole request, base64; every other request field is then ignored.
    pub encoded_request: Option<String>,
    /// The whole request as text (deprecated in go-ftw for `encoded_request`).
    pub raw_request: Option<String>,
    /// Several targets for one stage: not supported by this harness.
    pub uris: Option<Vec<String>>,
    /// Follow the previous stage's redirect: not supported (the backend never
    /// redirects).
    pub follow_redirect: Option<bool>,
    /// Send cookies saved from the previous stage: not supported.
    pub save_cookie: Option<bool>,
}

impl Input {
    /// Whether go-ftw would autocomplete the request: `autocomplete_headers` if given,
    /// else the inverse of `stop_magic`, else yes.
    pub fn autocomplete(&self) -> bool {
        match (self.autocomplete_headers, self.stop_magic) {
            (Some(autocomplete), _) => autocomplete,
            (None, Some(stop_magic)) => !stop_magic,
            (None, None) => true,
        }
    }
}

/// A header name and value, as `ordered_headers` lists them.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct HeaderTuple {
    /// The name, as sent.
    pub name: String,
    /// The value, as sent.
    #[serde(deserialize_with = "scalar_text")]
    pub value: String,
}

/// The `headers` map, in the order the file lists it (go-ftw sorts it when sending).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HeaderList(pub Vec<(String, String)>);

/// The `data` field: text, or (older ftw) a list of lines joined with CRLF.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum Data {
    /// The body text.
    Text(String),
    /// Lines of the body, joined with `\r\n`.
    Lines(Vec<String>),
}

impl Data {
    /// The text, lines joined with CRLF.
    pub fn text(&self) -> String {
        match self {
            Self::Text(text) => text.clone(),
            Self::Lines(lines) => lines.join("\r\n"),
        }
    }
}

/// What a stage expects.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Output {
    /// The HTTP status (or, older ftw, any of several).
    pub status: Option<StatusExpectation>,
    /// Rule ids and log patterns.
    pub log: Option<LogExpectation>,
    /// Deprecated: a regex the WAF's log must match.
    pub log_contains: Option<String>,
    /// Deprecated: a regex the WAF's log must not match.
    pub no_log_contains: Option<String>,
    /// Text the response must contain.
    pub response_contains: Option<String>,
    /// The request should fail at the connection level (no response at all).
    pub expect_error: Option<bool>,
    /// Only the rule of `expect_ids` may match.
    pub isolated: Option<bool>,
    /// Retry once on failure (for log races in a real server; nothing to retry here).
    pub retry_once: Option<bool>,
}

impl Output {
    /// The log expectations, with the deprecated `log_contains` / `no_log_contains`
    /// folded in as go-ftw does (they apply only when the `log` block leaves them out).
    pub fn effective_log(&self) -> LogExpectation {
        let mut log = self.log.clone().unwrap_or_default();
        if log.match_regex.is_none() && log.expect_ids.is_empty() {
            log.match_regex = self.log_contains.clone();
        }
        if log.no_match_regex.is_none() && log.no_expect_ids.is_empty() {
            log.no_match_regex = self.no_log_contains.clone();
        }
        log
    }
}

/// Expected status: one, or (older ftw) any of a list.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum StatusExpectation {
    /// Exactly this status.
    One(u16),
    /// Any of these.
    AnyOf(Vec<u16>),
}

impl StatusExpectation {
    /// Whether `status` is acceptable.
    pub fn accepts(&self, status: u16) -> bool {
        match self {
            Self::One(expected) => *expected == status,
            Self::AnyOf(expected) => expected.contains(&status),
        }
    }
}

impl fmt::Display for StatusExpectation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::One(status) => write!(f, "{status}"),
            Self::AnyOf(statuses) => {
                let list: Vec<String> = statuses.iter().map(u16::to_string).collect();
                write!(f, "one of [{}]", list.join(", "))
            }
        }
    }
}

/// What the WAF's log should (not) show.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct LogExpectation {
    /// Rules that must match.
    pub expect_ids: Vec<u32>,
    /// Rules that must not match.
    pub no_expect_ids: Vec<u32>,
    /// A regex the log must match.
    pub match_regex: Option<String>,
    /// A regex the log must not match.
    pub no_match_regex: Option<String>,
}

impl LogExpectation {
    /// Whether anything is expected of the log.
    pub fn is_empty(&self) -> bool {
        self.expect_ids.is_empty()
            && self.no_expect_ids.is_empty()
            && self.match_regex.is_none()
            && self.no_match_regex.is_none()
    }
}

/// A test file or directory that could not be read.
#[derive(Debug, Clone)]
pub struct LoadError {
    /// The file or directory.
    pub path: PathBuf,
    /// What is wrong (with line and column for YAML errors).
    pub message: String,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.message)
    }
}

impl std::error::Error for LoadError {}

/// The file as written, before ids are resolved.
#[derive(Deserialize)]
struct RawFile {
    #[serde(default)]
    meta: Meta,
    #[serde(default)]
    rule_id: Option<u32>,
    #[serde(default)]
    tests: Vec<RawTest>,
}

#[derive(Deserialize)]
struct RawTest {
    // `id` is the name version 3 of the schema gives it.
    #[serde(default, alias = "id")]
    test_id: Option<u32>,
    #[serde(default, alias = "description")]
    desc: Option<String>,
    #[serde(default)]
    stages: Vec<Stage>,
}

impl TestFile {
    /// Reads the tests in `text`; `path` names the file in errors and supplies the rule
    /// id when the file has none. A file holding only comments has no tests.
    pub fn from_yaml(text: &str, path: &Path) -> Result<Self, LoadError> {
        let error = |message: String| LoadError {
            path: path.to_owned(),
            message,
        };
        let mut documents = Vec::new();
        for document in serde_yaml_ng::Deserializer::from_str(text) {
            // An empty document (comments only) is `null`: no tests.
            let raw: Option<RawFile> =
                Option::deserialize(document).map_err(|e| error(e.to_string()))?;
            documents.extend(raw);
        }
        let raw = match documents.len() {
            0 => RawFile {
                meta: Meta::default(),
                rule_id: None,
                tests: Vec::new(),
            },
            1 => documents.remove(0),
            // go-ftw reads the first document only; dropping tests silently would hide
            // them from the report.
            n => {
                return Err(error(format!(
                    "holds {n} YAML documents; a test file has one"
                )));
            }
        };
        let rule_id = match raw.rule_id.filter(|&id| id > 0) {
            Some(id) => id,
            None => rule_id_from_name(path).ok_or_else(|| {
                error("no rule_id, and none in the file name to fall back on".into())
            })?,
        };
        let tests = raw
            .tests
            .into_iter()
            .zip(1u32..)
            .map(|(test, position)| Test {
                rule_id,
                test_id: test.test_id.filter(|&id| id > 0).unwrap_or(position),
                desc: test.desc,
                stages: test.stages,
            })
            .collect();
        Ok(Self {
            path: path.to_owned(),
            meta: raw.meta,
            rule_id,
            tests,
        })
    }

    /// Reads one test file.
    pub fn load(path: &Path) -> Result<Self, LoadError> {
        let text = std::fs::read_to_string(path).map_err(|e| LoadError {
            path: path.to_owned(),
            message: format!("cannot read: {e}"),
        })?;
        Self::from_yaml(&text, path)
    }
}

/// Reads every `*.yaml` and `*.yml` file under `dir` (recursively), in path order. A
/// single file may be given instead of a directory. Stops at the first file that cannot
/// be read: a test suite that is partly loaded would report a misleading count.
pub fn load_dir(dir: &Path) -> Result<Vec<TestFile>, LoadError> {
    if dir.is_file() {
        return Ok(vec![TestFile::load(dir)?]);
    }
    let mut paths = Vec::new();
    collect_yaml(dir, &mut paths)?;
    paths.sort();
    paths.iter().map(|path| TestFile::load(path)).collect()
}

fn collect_yaml(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), LoadError> {
    let error = |e: std::io::Error| LoadError {
        path: dir.to_owned(),
        message: format!("cannot read directory: {e}"),
    };
    for entry in std::fs::read_dir(dir).map_err(error)? {
        let path = entry.map_err(error)?.path();
        if path.is_dir() {
            collect_yaml(&path, out)?;
        } else if path
            .extension()
            .is_some_and(|ext| ext == "yaml" || ext == "yml")
        {
            out.push(path);
        }
    }
    Ok(())
}

/// go-ftw's fallback: the first run of digits in the file name.
fn rule_id_from_name(path: &Path) -> Option<u32> {
    let name = path.file_name()?.to_string_lossy();
    let start = name.find(|c: char| c.is_ascii_digit())?;
    let digits: String = name[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

impl<'de> Deserialize<'de> for HeaderList {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ListVisitor;

        impl<'de> Visitor<'de> for ListVisitor {
            type Value = HeaderList;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map of header names to values")
            }

            fn visit_unit<E: de::Error>(self) -> Result<HeaderList, E> {
                Ok(HeaderList::default())
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<HeaderList, A::Error> {
                let mut headers = Vec::new();
                while let Some((name, value)) = map.next_entry::<String, ScalarText>()? {
                    headers.push((name, value.0));
                }
                Ok(HeaderList(headers))
            }
        }

        deserializer.deserialize_any(ListVisitor)
    }
}

/// A YAML scalar as text: go-ftw reads header values into strings, so `7` is `"7"`
/// and `null` is empty.
struct ScalarText(String);

impl<'de> Deserialize<'de> for ScalarText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ScalarVisitor;

        impl Visitor<'_> for ScalarVisitor {
            type Value = ScalarText;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string, number or boolean")
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<ScalarText, E> {
                Ok(ScalarText(v.to_owned()))
            }

            fn visit_i64<E: de::Error>(self, v: i64) -> Result<ScalarText, E> {
                Ok(ScalarText(v.to_string()))
            }

            fn visit_u64<E: de::Error>(self, v: u64) -> Result<ScalarText, E> {
                Ok(ScalarText(v.to_string()))
            }

            fn visit_f64<E: de::Error>(self, v: f64) -> Result<ScalarText, E> {
                Ok(ScalarText(v.to_string()))
            }

            fn visit_bool<E: de::Error>(self, v: bool) -> Result<ScalarText, E> {
                Ok(ScalarText(v.to_string()))
            }

            fn visit_unit<E: de::Error>(self) -> Result<ScalarText, E> {
                Ok(ScalarText(String::new()))
            }
        }

        deserializer.deserialize_any(ScalarVisitor)
    }
}

fn scalar_text<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    ScalarText::deserialize(deserializer).map(|s| s.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_id_falls_back_on_the_file_name() {
        assert_eq!(rule_id_from_name(Path::new("a/920100.yaml")), Some(920100));
        assert_eq!(rule_id_from_name(Path::new("x-942-y.yml")), Some(942));
        assert_eq!(rule_id_from_name(Path::new("tests.yaml")), None);
    }

    #[test]
    fn scalars_become_text() {
        let headers: HeaderList =
            serde_yaml_ng::from_str("{Content-Length: 7, X: true, Y: ~, Z: a}").expect("valid");
        assert_eq!(
            headers.0,
            [
                ("Content-Length".to_owned(), "7".to_owned()),
                ("X".to_owned(), "true".to_owned()),
                ("Y".to_owned(), String::new()),
                ("Z".to_owned(), "a".to_owned()),
            ]
        );
    }
}
