//! A go-ftw regression-test harness that runs in process, without a web server.
//!
//! The OWASP CRS ships its regression suite in the format of go-ftw, the "Framework for
//! Testing WAFs": YAML files of tests, each a list of stages, each stage one HTTP request
//! (`input`) and what the WAF should make of it (`output`). Upstream sends every request
//! over a socket to a web server running the WAF and reads the WAF's log. This harness
//! builds the same request bytes, hands them to a [`Waf`](crate::Waf) directly and reads
//! the verdict instead of a log:
//!
//! * [`test_file`] reads the YAML ([`test_file::load_dir`] a whole tree of it);
//! * [`request`] turns a stage's input into the exact request go-ftw would send and into
//!   what the web server in front of the WAF would hand on (body framed by
//!   `Content-Length` or `Transfer-Encoding: chunked`);
//! * [`frontend`] models the web server in front of the WAF, which answers some
//!   malformed requests with 400 itself;
//! * [`backend`] emulates the backend upstream tests run against, including the
//!   `/reflect` endpoint that answers with a response described in the request;
//! * [`run`] runs tests against an engine and checks their expectations, honouring an
//!   override file of known failures;
//! * [`report`] renders the outcome: one line per failure and a closing
//!   `N passed, M failed` line.
//!
//! ```
//! use waf::ftw::{run, test_file::TestFile};
//!
//! let file = TestFile::from_yaml(
//!     r#"
//! rule_id: 100100
//! tests:
//!   - test_id: 1
//!     stages:
//!       - input:
//!           uri: "/?id=1%27%20OR%20%271%27%3D%271"
//!           headers: { Host: localhost }
//!         output:
//!           log: { expect_ids: [100100] }
//! "#,
//!     "100100.yaml".as_ref(),
//! )?;
//! let report = run::run(&waf::Waf::default(), &[file], &run::Options::default());
//! assert_eq!(report.summary_line(), "1 passed, 0 failed");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # What is not emulated
//!
//! A stage that expects the web server to drop the connection (`expect_error`) or
//! checks the text of the response (`response_contains`) fails with a line that says
//! the harness cannot check it; list such tests in an override file.

pub mod backend;
pub mod frontend;
pub mod report;
pub mod request;
pub mod run;
pub mod test_file;
