//! End-to-end test of the demo app (`examples/demo/app.rs`) over real sockets on loopback:
//! the same attacks sent by a raw HTTP/1.1 client to the app with and without
//! `WafLayer`, and the WAF's decisions read back from the captured `tracing` output.

#[path = "../examples/demo/app.rs"]
mod app;

use serde_json::{Value, json};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use waf::Waf;

/// How long any one request may take, connection to last byte.
const TIMEOUT: Duration = Duration::from_secs(10);

/// `id=1' OR '1'='1`, percent-encoded as a browser or curl would send it.
const SQLI: &str = "1%27%20OR%20%271%27%3D%271";

/// `<script>alert(1)</script>`, percent-encoded.
const XSS: &str = "%3Cscript%3Ealert(1)%3C%2Fscript%3E";

/// Everything logged through `tracing` by this test binary, without colours.
///
/// A global subscriber, installed once, because the servers' tasks run on the tests'
/// runtime threads; tests find their own lines by request id.
fn captured_log() -> &'static Arc<Mutex<Vec<u8>>> {
    static LOG: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOG.get_or_init(|| {
        let log = Arc::new(Mutex::new(Vec::new()));
        let shared = Arc::clone(&log);
        tracing_subscriber::fmt()
            .with_ansi(false)
            .with_writer(move || Appender(Arc::clone(&shared)))
            .init();
        log
    })
}

/// The subscriber's writer: appends to the captured log.
struct Appender(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Appender {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The log line of the request with this id.
fn log_line(request_id: &str) -> String {
    let log = captured_log().lock().unwrap();
    String::from_utf8_lossy(&log)
        .lines()
        .find(|line| line.contains(request_id))
        .unwrap_or_else(|| panic!("no log line for request {request_id}"))
        .to_owned()
}

/// The rule id, message and score of a `[BLOCK] builtin Rule <id>: <message>. Score: <score>` line.
fn parse_block(line: &str) -> Option<(u32, &str, f64)> {
    let (_, rest) = line.split_once("[BLOCK] builtin Rule ")?;
    let (rule, rest) = rest.split_once(": ")?;
    let (message, rest) = rest.split_once(". Score: ")?;
    let score = rest.split_whitespace().next()?;
    Some((rule.parse().ok()?, message, score.parse().ok()?))
}

/// The demo app on a loopback port; aborted when dropped, so also when a test fails.
struct Server {
    addr: SocketAddr,
    task: JoinHandle<()>,
}

impl Server {
    async fn start(waf: Option<Waf>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = app::router(app::open_db().unwrap(), waf);
        let task = tokio::spawn(async move {
            axum::serve(
                listener,
                app.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .await
            .unwrap();
        });
        Self { addr, task }
    }

    /// `target` is sent exactly as given: no encoding is added.
    async fn get(&self, target: &str) -> Response {
        self.send(format!(
            "GET {target} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            self.addr
        ))
        .await
    }

    async fn post_form(&self, path: &str, body: &str) -> Response {
        self.send(format!(
            "POST {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
            self.addr,
            body.len()
        ))
        .await
    }

    async fn send(&self, request: String) -> Response {
        let exchange = async {
            let mut stream = TcpStream::connect(self.addr).await?;
            stream.write_all(request.as_bytes()).await?;
            // `Connection: close`: the response ends where the stream does.
            let mut raw = Vec::new();
            stream.read_to_end(&mut raw).await?;
            std::io::Result::Ok(raw)
        };
        let raw = tokio::time::timeout(TIMEOUT, exchange)
            .await
            .unwrap_or_else(|_| panic!("no response within {TIMEOUT:?} to {request:?}"))
            .unwrap();
        Response::parse(&raw)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Response {
    fn parse(raw: &[u8]) -> Self {
        let raw = String::from_utf8_lossy(raw);
        let (head, body) = raw
            .split_once("\r\n\r\n")
            .unwrap_or_else(|| panic!("no end of headers in {raw:?}"));
        let mut lines = head.lines();
        let status = lines
            .next()
            .and_then(|line| line.split(' ').nth(1))
            .and_then(|code| code.parse().ok());
        let headers: Vec<(String, String)> = lines
            .filter_map(|line| line.split_once(':'))
            .map(|(name, value)| (name.to_ascii_lowercase(), value.trim().to_owned()))
            .collect();
        Self {
            status: status.unwrap_or_else(|| panic!("no status line in {raw:?}")),
            headers,
            // The app's responses all carry a Content-Length (no chunked framing), and
            // the connection closes after them: the body is the rest.
            body: body.to_owned(),
        }
    }

    fn header(&self, name: &str) -> &str {
        self.headers
            .iter()
            .find_map(|(n, value)| (n == name).then_some(value.as_str()))
            .unwrap_or_else(|| panic!("no {name} header in {:?}", self.headers))
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
}

#[tokio::test]
async fn benign_requests_pass_through_the_waf() {
    captured_log();
    let protected = Server::start(Some(Waf::default())).await;

    let index = protected.get("/").await;
    assert_eq!(index.status, 200);
    assert!(index.body.contains(r#"href="/search"#), "{}", index.body);

    let search = protected.get("/search?q=running+shoes").await;
    assert_eq!(search.status, 200);
    assert!(search.body.contains("running shoes"), "{}", search.body);

    let user = protected.get("/api/user?id=1").await;
    assert_eq!(user.status, 200, "{}", user.body);
    let alice = &app::ACCOUNTS[0];
    assert_eq!(
        user.json(),
        json!([{ "id": 1, "name": alice.name, "email": alice.email }])
    );

    let login = protected
        .post_form(
            "/login",
            &format!("user={}&password={}", alice.name, alice.password),
        )
        .await;
    assert_eq!(login.status, 200, "{}", login.body);
    assert!(
        login
            .body
            .contains(&format!("Welcome back, {}", alice.name)),
        "{}",
        login.body
    );
    let wrong = protected
        .post_form("/login", &format!("user={}&password=guess", alice.name))
        .await;
    assert_eq!(wrong.status, 401, "{}", wrong.body);
}

#[tokio::test]
async fn sql_injection_is_blocked_and_logged_but_dumps_the_table_unprotected() {
    captured_log();
    let protected = Server::start(Some(Waf::default())).await;
    let unprotected = Server::start(None).await;
    let target = format!("/api/user?id={SQLI}");

    let blocked = protected.get(&target).await;
    assert_eq!(blocked.status, 403, "{}", blocked.body);
    let line = log_line(blocked.header("x-request-id"));
    let (rule, message, score) =
        parse_block(&line).unwrap_or_else(|| panic!("not a block line: {line}"));
    assert!(rule > 0 && message.contains("SQL") && score > 0.0, "{line}");

    // The hole is real: without the layer the tautology returns every row.
    let leaked = unprotected.get(&target).await;
    assert_eq!(leaked.status, 200, "{}", leaked.body);
    let rows = leaked.json();
    assert_eq!(
        rows.as_array().map(Vec::len),
        Some(app::ACCOUNTS.len()),
        "{rows}"
    );

    // And a broken statement reports the SQL error.
    let error = unprotected.get("/api/user?id=1%27").await;
    assert_eq!(error.status, 500);
    assert!(error.body.contains("unrecognized token"), "{}", error.body);
}

#[tokio::test]
async fn unencoded_quotes_in_the_request_target_are_inspected_too() {
    captured_log();
    let protected = Server::start(Some(Waf::default())).await;
    let unprotected = Server::start(None).await;
    // Raw quotes (no spaces: a space ends the request target, and the server answers
    // 400 before any handler or layer runs).
    let target = "/api/user?id=1'OR'1'='1";

    let blocked = protected.get(target).await;
    assert_eq!(blocked.status, 403, "{}", blocked.body);
    let leaked = unprotected.get(target).await;
    assert_eq!(
        leaked.json().as_array().map(Vec::len),
        Some(app::ACCOUNTS.len())
    );

    assert_eq!(protected.get("/api/user?id=1' OR '1'='1").await.status, 400);
}

#[tokio::test]
async fn reflected_xss_is_blocked_but_reflected_verbatim_unprotected() {
    captured_log();
    let protected = Server::start(Some(Waf::default())).await;
    let unprotected = Server::start(None).await;
    let target = format!("/search?q={XSS}");

    let blocked = protected.get(&target).await;
    assert_eq!(blocked.status, 403, "{}", blocked.body);
    assert!(
        !blocked.body.contains("<script>alert(1)</script>"),
        "{}",
        blocked.body
    );

    let reflected = unprotected.get(&target).await;
    assert_eq!(reflected.status, 200);
    assert!(
        reflected.body.contains("<script>alert(1)</script>"),
        "{}",
        reflected.body
    );
}

#[tokio::test]
async fn sql_injection_in_the_login_form_is_blocked() {
    captured_log();
    let protected = Server::start(Some(Waf::default())).await;
    let unprotected = Server::start(None).await;
    // user=admin' OR '1'='1' --
    let body = "user=admin%27%20OR%20%271%27%3D%271%27%20--&password=x";

    let blocked = protected.post_form("/login", body).await;
    assert_eq!(blocked.status, 403, "{}", blocked.body);
    assert!(parse_block(&log_line(blocked.header("x-request-id"))).is_some());

    // The login query is parameterised, so unprotected the injection merely fails.
    assert_eq!(unprotected.post_form("/login", body).await.status, 401);
}
