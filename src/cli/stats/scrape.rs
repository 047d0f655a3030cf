//! Fetching a metrics endpoint over plain HTTP, with failures said in plain words.

use bytes::Bytes;
use http::Uri;
use http_body_util::{BodyExt, Empty, Limited};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use std::error::Error as _;
use std::time::Duration;

/// The longest wait for the whole answer.
const TIMEOUT: Duration = Duration::from_secs(10);

/// The largest exposition read: a waf node's is a few hundred lines.
const MAX_BODY: usize = 16 * 1024 * 1024;

/// Why a scrape failed, in words for the operator.
#[derive(Debug)]
pub enum ScrapeError {
    /// The URL cannot be fetched by this tool (a usage error).
    BadUrl(String),
    /// The endpoint could not be reached or did not answer with metrics.
    Failed(String),
}

/// Checks that `url` is an `http://` URL with a host.
pub fn parse_url(url: &str) -> Result<Uri, ScrapeError> {
    let uri: Uri = url
        .parse()
        .map_err(|_| ScrapeError::BadUrl(format!("{url:?} is not a URL")))?;
    match (uri.scheme_str(), uri.host()) {
        (Some("http"), Some(_)) => Ok(uri),
        (Some("https"), _) => Err(ScrapeError::BadUrl(format!(
            "{url}: only http:// is supported; scrape over a local or internal address"
        ))),
        _ => Err(ScrapeError::BadUrl(format!(
            "{url:?} is not an http:// URL (e.g. http://127.0.0.1:9090/metrics)"
        ))),
    }
}

/// `GET uri`: the body text of a 200 answer.
pub fn get(uri: &Uri) -> Result<String, ScrapeError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| ScrapeError::Failed(format!("cannot start the HTTP client: {error}")))?;
    runtime.block_on(async {
        match tokio::time::timeout(TIMEOUT, fetch(uri)).await {
            Ok(result) => result,
            Err(_) => Err(ScrapeError::Failed(format!(
                "{uri} did not answer within {} seconds",
                TIMEOUT.as_secs()
            ))),
        }
    })
}

async fn fetch(uri: &Uri) -> Result<String, ScrapeError> {
    let client = Client::builder(TokioExecutor::new()).build_http::<Empty<Bytes>>();
    let request = http::Request::get(uri.clone())
        .header(
            http::header::ACCEPT,
            "application/openmetrics-text, text/plain",
        )
        .body(Empty::new())
        .map_err(|error| ScrapeError::BadUrl(format!("{uri}: {error}")))?;
    let response = client
        .request(request)
        .await
        .map_err(|error| ScrapeError::Failed(unreachable(uri, &error)))?;
    let status = response.status();
    if status != http::StatusCode::OK {
        return Err(ScrapeError::Failed(format!(
            "{uri} answered {status}, not metrics (is the path right?)"
        )));
    }
    let body = Limited::new(response.into_body(), MAX_BODY)
        .collect()
        .await
        .map_err(|error| ScrapeError::Failed(format!("{uri}: reading the answer failed: {error}")))?
        .to_bytes();
    String::from_utf8(body.to_vec())
        .map_err(|_| ScrapeError::Failed(format!("{uri} answered with text that is not UTF-8")))
}

/// "cannot reach …" with the underlying cause (connection refused, no such host, …).
fn unreachable(uri: &Uri, error: &hyper_util::client::legacy::Error) -> String {
    let mut cause: Option<&dyn std::error::Error> = error.source();
    let mut deepest = None;
    while let Some(error) = cause {
        deepest = Some(error);
        cause = error.source();
    }
    let why = deepest.map_or_else(|| error.to_string(), |error| error.to_string());
    if error.is_connect() {
        format!(
            "cannot reach {uri}: {why} (is the server running, and is this its metrics address?)"
        )
    } else {
        format!("cannot reach {uri}: {why}")
    }
}
