//! End to end through `waf-proxy` (`waf::proxy`) over real TLS on loopback: an axum
//! upstream (or the deliberately vulnerable demo app, `examples/demo/app.rs`), the proxy
//! in front with a certificate generated for the test, and clients speaking HTTP/1.1 and
//! HTTP/2 that trust only that certificate.

#[path = "../examples/demo/app.rs"]
mod app;

use axum::Router;
use axum::extract::{Query, Request, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use http_body_util::{BodyExt, Empty};
use hyper::body::{Frame, Incoming};
use hyper_util::rt::{TokioExecutor, TokioIo};
use rustls::pki_types::{CertificateDer, ServerName};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;
use waf::proxy::Proxy;

/// The longest any one exchange may take.
const TIMEOUT: Duration = Duration::from_secs(10);

/// `<script>alert(1)</script>`, percent-encoded.
const XSS: &str = "%3Cscript%3Ealert(1)%3C%2Fscript%3E";

/// The upstream: an app that echoes, streams, stalls and switches protocols.
struct Upstream {
    addr: SocketAddr,
    /// The sender of the `/stream` response in progress.
    stream: Arc<Mutex<Option<mpsc::Sender<Bytes>>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Upstream {
    fn drop(&mut self) {
        self.task.abort();
    }
}

type StreamSlot = Arc<Mutex<Option<mpsc::Sender<Bytes>>>>;

async fn upstream() -> Upstream {
    let stream: StreamSlot = Arc::default();
    let app = Router::new()
        .route("/search", get(search))
        .route("/headers", get(headers))
        .route("/stream", get(streamed))
        .route("/slow", get(slow))
        .route("/upgrade", get(upgrade))
        .with_state(stream.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    Upstream { addr, stream, task }
}

async fn search(Query(query): Query<HashMap<String, String>>) -> String {
    format!(
        "upstream results for {}",
        query.get("q").map_or("", String::as_str)
    )
}

/// The forwarding headers the upstream received, one `name: value` line each.
async fn headers(headers: HeaderMap) -> String {
    ["host", "x-forwarded-for", "x-forwarded-proto", "forwarded"]
        .iter()
        .map(|name| {
            let value = headers.get(*name).map_or("", |v| v.to_str().unwrap());
            format!("{name}: {value}\n")
        })
        .collect()
}

/// A body whose chunks the test sends one by one through [`Upstream::stream`].
async fn streamed(State(slot): State<StreamSlot>) -> Response {
    let (tx, rx) = mpsc::channel(4);
    tx.send(Bytes::from_static(b"first;")).await.unwrap();
    *slot.lock().unwrap() = Some(tx);
    axum::body::Body::new(ChannelBody(rx)).into_response()
}

struct ChannelBody(mpsc::Receiver<Bytes>);

impl hyper::body::Body for ChannelBody {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        self.0
            .poll_recv(cx)
            .map(|chunk| chunk.map(|c| Ok(Frame::data(c))))
    }
}

async fn slow() -> &'static str {
    tokio::time::sleep(Duration::from_secs(5)).await;
    "too late"
}

/// Switches to an echo protocol: every byte sent comes back.
async fn upgrade(mut request: Request) -> Response {
    let on_upgrade = hyper::upgrade::on(&mut request);
    tokio::spawn(async move {
        let upgraded = on_upgrade.await.unwrap();
        let (mut reader, mut writer) = tokio::io::split(TokioIo::new(upgraded));
        let _ = tokio::io::copy(&mut reader, &mut writer).await;
    });
    Response::builder()
        .status(StatusCode::SWITCHING_PROTOCOLS)
        .header("connection", "upgrade")
        .header("upgrade", "echo")
        .body(axum::body::Body::empty())
        .unwrap()
}

/// A certificate for `localhost`, its PEM files and its DER form.
struct Cert {
    cert_pem: String,
    key_pem: String,
    der: CertificateDer<'static>,
}

fn new_cert() -> Cert {
    let generated = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    Cert {
        cert_pem: generated.cert.pem(),
        key_pem: generated.signing_key.serialize_pem(),
        der: generated.cert.der().clone(),
    }
}

/// Replaces `path` at once (write then rename), as a certificate manager would.
fn replace_file(path: &Path, text: &str) {
    let temporary = path.with_extension("new");
    std::fs::write(&temporary, text).unwrap();
    std::fs::rename(&temporary, path).unwrap();
}

/// A proxy in a temporary directory, with its configuration and certificate files.
struct Setup {
    dir: tempfile::TempDir,
    proxy: Proxy,
}

impl Setup {
    /// Writes `cert` and a configuration forwarding to `upstream` with `rules` (a TOML
    /// `[rules]` table body), and starts the proxy.
    async fn start(upstream: SocketAddr, cert: &Cert, rules: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("cert.pem"), &cert.cert_pem).unwrap();
        std::fs::write(dir.path().join("key.pem"), &cert.key_pem).unwrap();
        let config = format!(
            "watch_interval_ms = 100\n\
             [listen]\nhttp = \"127.0.0.1:0\"\nhttps = \"127.0.0.1:0\"\n\
             cert = \"cert.pem\"\nkey = \"key.pem\"\nshutdown_grace_ms = 1000\n\
             [upstream]\nurl = \"http://{upstream}\"\nconnect_timeout_ms = 1000\n\
             response_timeout_ms = 1000\n\
             [rules]\n{rules}\n"
        );
        std::fs::write(dir.path().join("proxy.toml"), config).unwrap();
        let proxy = Proxy::start(&dir.path().join("proxy.toml")).await.unwrap();
        Self { dir, proxy }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn https(&self) -> SocketAddr {
        self.proxy.https_addr().unwrap()
    }
}

/// A TLS connection to `addr` trusting only `trusted`, offering `alpn`.
async fn tls_connect(
    addr: SocketAddr,
    trusted: &[&CertificateDer<'static>],
    alpn: &[u8],
) -> std::io::Result<TlsStream<TcpStream>> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in trusted {
        roots.add((*cert).clone()).unwrap();
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![alpn.to_vec()];
    let tcp = TcpStream::connect(addr).await?;
    let name = ServerName::try_from("localhost").unwrap();
    TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await
}

/// An HTTP client on one TLS connection.
enum Client {
    H1(hyper::client::conn::http1::SendRequest<Empty<Bytes>>),
    H2(hyper::client::conn::http2::SendRequest<Empty<Bytes>>),
}

impl Client {
    async fn open(addr: SocketAddr, cert: &CertificateDer<'static>, h2: bool) -> Self {
        let alpn: &[u8] = if h2 { b"h2" } else { b"http/1.1" };
        let stream = TokioIo::new(tls_connect(addr, &[cert], alpn).await.unwrap());
        if h2 {
            let (sender, connection) =
                hyper::client::conn::http2::handshake(TokioExecutor::new(), stream)
                    .await
                    .unwrap();
            tokio::spawn(connection);
            Self::H2(sender)
        } else {
            let (sender, connection) = hyper::client::conn::http1::handshake(stream).await.unwrap();
            tokio::spawn(connection);
            Self::H1(sender)
        }
    }

    async fn get(&mut self, path: &str) -> Result<http::Response<Incoming>, hyper::Error> {
        let request = http::Request::get(format!("https://localhost{path}"));
        let exchange = async {
            match self {
                Self::H1(sender) => {
                    // The previous response is read; wait until the connection has
                    // taken it in and is ready for the next request.
                    sender.ready().await?;
                    // HTTP/1.1: the path in the request line, the host in its header.
                    let request = request.uri(path).header("host", "localhost");
                    sender
                        .send_request(request.body(Empty::new()).unwrap())
                        .await
                }
                Self::H2(sender) => {
                    sender.ready().await?;
                    sender
                        .send_request(request.body(Empty::new()).unwrap())
                        .await
                }
            }
        };
        tokio::time::timeout(TIMEOUT, exchange)
            .await
            .expect("in time")
    }

    /// Status and whole body of `GET path`.
    async fn fetch(&mut self, path: &str) -> (StatusCode, String) {
        let response = self.get(path).await.unwrap();
        let status = response.status();
        let body = tokio::time::timeout(TIMEOUT, response.into_body().collect())
            .await
            .expect("in time")
            .unwrap()
            .to_bytes();
        (status, String::from_utf8_lossy(&body).into_owned())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn benign_passes_attacks_are_blocked_over_http1_and_http2() {
    let upstream = upstream().await;
    let cert = new_cert();
    let setup = Setup::start(upstream.addr, &cert, "source = \"builtin\"").await;
    for h2 in [false, true] {
        let mut client = Client::open(setup.https(), &cert.der, h2).await;
        let (status, body) = client.fetch("/search?q=running+shoes").await;
        assert_eq!(status, 200, "h2={h2}: {body}");
        assert_eq!(body, "upstream results for running shoes");

        let response = client.get(&format!("/search?q={XSS}")).await.unwrap();
        assert_eq!(response.status(), 403, "h2={h2}");
        assert!(response.headers().contains_key("x-request-id"));
        let expected = if h2 {
            http::Version::HTTP_2
        } else {
            http::Version::HTTP_11
        };
        assert_eq!(response.version(), expected);
        // Read to the end, so that the HTTP/1.1 connection can carry the next request.
        let refusal = response.into_body().collect().await.unwrap().to_bytes();
        assert!(
            !refusal.starts_with(b"upstream"),
            "the upstream never saw it"
        );

        // The upstream learns who the client is and that it came over TLS.
        let (status, seen) = client.fetch("/headers").await;
        assert_eq!(status, 200);
        assert!(seen.contains("host: localhost\n"), "{seen}");
        assert!(seen.contains("x-forwarded-for: 127.0.0.1\n"), "{seen}");
        assert!(seen.contains("x-forwarded-proto: https\n"), "{seen}");
        assert!(
            seen.contains("forwarded: for=127.0.0.1;proto=https;host=\"localhost\"\n"),
            "{seen}"
        );
    }

    // Plain HTTP works too, and says so.
    let stream = TcpStream::connect(setup.proxy.http_addr().unwrap())
        .await
        .unwrap();
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(connection);
    let request = http::Request::get("/headers")
        .header("host", "localhost")
        .header("x-forwarded-for", "203.0.113.7")
        .body(Empty::<Bytes>::new())
        .unwrap();
    let response = sender.send_request(request).await.unwrap();
    let seen = response.into_body().collect().await.unwrap().to_bytes();
    let seen = String::from_utf8_lossy(&seen);
    assert!(
        seen.contains("x-forwarded-for: 203.0.113.7, 127.0.0.1\n"),
        "{seen}"
    );
    assert!(seen.contains("x-forwarded-proto: http\n"), "{seen}");
    setup.proxy.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upgrades_tunnel_and_responses_stream() {
    let upstream = upstream().await;
    let cert = new_cert();
    let setup = Setup::start(upstream.addr, &cert, "source = \"builtin\"").await;

    // An HTTP/1.1 upgrade: after the 101 the connection carries the echo protocol.
    let mut stream = tls_connect(setup.https(), &[&cert.der], b"http/1.1")
        .await
        .unwrap();
    stream
        .write_all(b"GET /upgrade HTTP/1.1\r\nhost: localhost\r\nconnection: upgrade\r\nupgrade: echo\r\n\r\n")
        .await
        .unwrap();
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut byte = [0];
        tokio::time::timeout(TIMEOUT, stream.read_exact(&mut byte))
            .await
            .unwrap()
            .unwrap();
        head.push(byte[0]);
    }
    let head = String::from_utf8(head).unwrap().to_ascii_lowercase();
    assert!(head.starts_with("http/1.1 101"), "{head}");
    assert!(head.contains("upgrade: echo"), "{head}");
    for message in [&b"ping"[..], b"a second message"] {
        stream.write_all(message).await.unwrap();
        let mut echoed = vec![0; message.len()];
        tokio::time::timeout(TIMEOUT, stream.read_exact(&mut echoed))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(echoed, message);
    }

    // A streamed response: the first chunk arrives while the upstream still holds the
    // second, which it sends only once the client has the first.
    for h2 in [false, true] {
        let mut client = Client::open(setup.https(), &cert.der, h2).await;
        let response = client.get("/stream").await.unwrap();
        assert_eq!(response.status(), 200);
        let mut body = response.into_body();
        let first = tokio::time::timeout(TIMEOUT, body.frame())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        assert_eq!(first.into_data().unwrap(), "first;");
        let sender = upstream.stream.lock().unwrap().take().unwrap();
        sender.send(Bytes::from_static(b"second")).await.unwrap();
        drop(sender);
        let rest = tokio::time::timeout(TIMEOUT, body.collect())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(rest.to_bytes(), "second");
    }
    setup.proxy.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_upstream_is_504_and_dead_upstream_is_502() {
    let upstream = upstream().await;
    let cert = new_cert();
    let setup = Setup::start(upstream.addr, &cert, "source = \"builtin\"").await;
    let mut client = Client::open(setup.https(), &cert.der, false).await;
    let started = Instant::now();
    let (status, _) = client.fetch("/slow").await;
    assert_eq!(status, 504);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the timeout cut the wait short"
    );
    setup.proxy.shutdown().await;

    // A port that was just free: nothing listens there.
    let dead = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let dead_addr = dead.local_addr().unwrap();
    drop(dead);
    let setup = Setup::start(dead_addr, &cert, "source = \"off\"").await;
    let mut client = Client::open(setup.https(), &cert.der, true).await;
    let (status, body) = client.fetch("/search?q=anything").await;
    assert_eq!(status, 502, "{body}");
    setup.proxy.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replaced_certificate_is_served_without_restart() {
    let upstream = upstream().await;
    let (old, new) = (new_cert(), new_cert());
    let setup = Setup::start(upstream.addr, &old, "source = \"builtin\"").await;
    let served =
        |stream: &TlsStream<TcpStream>| stream.get_ref().1.peer_certificates().unwrap()[0].clone();
    let before = tls_connect(setup.https(), &[&old.der, &new.der], b"h2")
        .await
        .unwrap();
    assert_eq!(served(&before), old.der);

    replace_file(&setup.path("key.pem"), &new.key_pem);
    replace_file(&setup.path("cert.pem"), &new.cert_pem);
    let deadline = Instant::now() + TIMEOUT;
    loop {
        let stream = tls_connect(setup.https(), &[&old.der, &new.der], b"h2")
            .await
            .unwrap();
        if served(&stream) == new.der {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the new certificate was never served"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The connection made before the change still works.
    let stream = TokioIo::new(before);
    let (mut sender, connection) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), stream)
            .await
            .unwrap();
    tokio::spawn(connection);
    let request = http::Request::get("https://localhost/search?q=boots")
        .body(Empty::<Bytes>::new())
        .unwrap();
    assert_eq!(sender.send_request(request).await.unwrap().status(), 200);
    setup.proxy.shutdown().await;
}

/// The demo app (`examples/demo/app.rs`) without a WAF of its own, on a loopback port;
/// stopped when dropped.
struct DemoApp {
    addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl DemoApp {
    async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = app::router(app::open_db().unwrap(), None);
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Self { addr, task }
    }
}

impl Drop for DemoApp {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A rule that lets everything through, and one that blocks `q=tulip`.
const ALLOW: &str = "SecRule ARGS:q \"@streq never-sent\" \"id:9001,phase:2,deny,status:403\"\n";
const BLOCK: &str = "SecRule ARGS:q \"@streq tulip\" \"id:9001,phase:2,deny,status:403\"\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rule_reload_under_load_fails_no_request() {
    let upstream = DemoApp::start().await;
    let cert = new_cert();
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules.conf");
    std::fs::write(&rules, ALLOW).unwrap();
    let setup = Setup::start(
        upstream.addr,
        &cert,
        &format!("source = \"seclang\"\nfiles = [{:?}]", rules),
    )
    .await;

    // Four clients, two per protocol, on persistent connections for about two seconds;
    // the rules change after the first 700 ms.
    let load_for = Duration::from_secs(2);
    let started = Instant::now();
    let mut clients = Vec::new();
    for i in 0..4 {
        let (addr, der) = (setup.https(), cert.der.clone());
        clients.push(tokio::spawn(async move {
            let mut client = Client::open(addr, &der, i % 2 == 1).await;
            let mut seen: Vec<(Duration, u16)> = Vec::new();
            // Bounded in count as well as time.
            while started.elapsed() < load_for && seen.len() < 50_000 {
                let (status, body) = client.fetch("/search?q=tulip").await;
                match status.as_u16() {
                    200 => assert!(body.contains("Results for tulip"), "{body}"),
                    403 => {}
                    other => panic!("client {i}: status {other}: {body}"),
                }
                seen.push((started.elapsed(), status.as_u16()));
            }
            seen
        }));
    }
    tokio::time::sleep(Duration::from_millis(700)).await;
    replace_file(&rules, BLOCK);
    let mut all = Vec::new();
    for client in clients {
        all.extend(client.await.expect("no client failed"));
    }

    let allowed = all.iter().filter(|(_, s)| *s == 200).count();
    let blocked = all.iter().filter(|(_, s)| *s == 403).count();
    assert_eq!(allowed + blocked, all.len());
    assert!(
        allowed > 0 && blocked > 0,
        "{allowed} allowed, {blocked} blocked"
    );
    // Once blocked, always blocked: no client saw the old rules after the new ones.
    let first_block = all
        .iter()
        .filter(|(_, s)| *s == 403)
        .map(|(t, _)| *t)
        .min()
        .unwrap();
    let last_allow = all
        .iter()
        .filter(|(_, s)| *s == 200)
        .map(|(t, _)| *t)
        .max()
        .unwrap();
    assert!(
        last_allow <= first_block + Duration::from_millis(200),
        "{last_allow:?} vs {first_block:?}"
    );
    let mut client = Client::open(setup.https(), &cert.der, false).await;
    assert_eq!(client.fetch("/search?q=tulip").await.0, 403);
    assert_eq!(client.fetch("/search?q=roses").await.0, 200);

    // A broken rules file is refused and the rules in force stay.
    replace_file(&rules, "SecRule ARGS \"@nosuchoperator x\" \"id:1,deny\"\n");
    assert!(setup.proxy.reload().await.is_err());
    assert_eq!(client.fetch("/search?q=tulip").await.0, 403);
    setup.proxy.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_app_is_protected_by_the_proxy_alone() {
    // The demo app without a WAF of its own: its holes are open to whoever reaches it.
    let demo_app = DemoApp::start().await;
    let demo = demo_app.addr;
    let sqli = "/api/user?id=1%27%20OR%20%271%27%3D%271";
    let direct = TcpStream::connect(demo).await.unwrap();
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(direct))
        .await
        .unwrap();
    tokio::spawn(connection);
    let leak = sender
        .send_request(
            http::Request::get(sqli)
                .header("host", "localhost")
                .body(Empty::<Bytes>::new())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(leak.status(), 200);
    let rows: serde_json::Value =
        serde_json::from_slice(&leak.into_body().collect().await.unwrap().to_bytes()).unwrap();
    assert!(
        rows.as_array().unwrap().len() > 1,
        "direct: every user leaks: {rows}"
    );

    let cert = new_cert();
    let setup = Setup::start(demo, &cert, "source = \"builtin\"").await;
    for h2 in [false, true] {
        let mut client = Client::open(setup.https(), &cert.der, h2).await;
        let (status, page) = client.fetch("/search?q=running+shoes").await;
        assert_eq!(status, 200, "h2={h2}");
        assert!(page.contains("Results for running shoes"), "{page}");
        let (status, user) = client.fetch("/api/user?id=1").await;
        assert_eq!(status, 200, "h2={h2}: {user}");
        for attack in [sqli.to_owned(), format!("/search?q={XSS}")] {
            let (status, _) = client.fetch(&attack).await;
            assert_eq!(status, 403, "h2={h2}: {attack}");
        }
    }
    setup.proxy.shutdown().await;
}

/// The `waf-proxy` binary, killed when dropped (also when a test fails).
struct ProxyProcess(std::process::Child);

impl Drop for ProxyProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// One plain HTTP/1.1 request on a fresh connection; its status, or `None` when the
/// connection is refused.
async fn plain_status(addr: SocketAddr, target: &str) -> Option<u16> {
    let stream = TcpStream::connect(addr).await.ok()?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .ok()?;
    tokio::spawn(connection);
    let request = http::Request::get(target)
        .header("host", "localhost")
        .body(Empty::<Bytes>::new())
        .unwrap();
    Some(sender.send_request(request).await.ok()?.status().as_u16())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_reloads_the_rules_of_a_running_waf_proxy() {
    let upstream = upstream().await;
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules.conf");
    std::fs::write(&rules, ALLOW).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    // File watching off: only the signal can reload.
    let config = format!(
        "watch_interval_ms = 0\n[listen]\nhttp = \"{addr}\"\n\
         [upstream]\nurl = \"http://{}\"\n\
         [rules]\nsource = \"seclang\"\nfiles = [{rules:?}]\n",
        upstream.addr
    );
    std::fs::write(dir.path().join("proxy.toml"), config).unwrap();
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_waf-proxy"))
        .arg("--config")
        .arg(dir.path().join("proxy.toml"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let proxy = ProxyProcess(child);
    let deadline = Instant::now() + TIMEOUT;
    while plain_status(addr, "/search?q=tulip").await != Some(200) {
        assert!(Instant::now() < deadline, "waf-proxy did not start");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    std::fs::write(&rules, BLOCK).unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        plain_status(addr, "/search?q=tulip").await,
        Some(200),
        "no reload without the signal"
    );
    let pid = proxy.0.id().to_string();
    let sent = std::process::Command::new("kill")
        .args(["-HUP", &pid])
        .status()
        .unwrap();
    assert!(sent.success());
    let deadline = Instant::now() + TIMEOUT;
    while plain_status(addr, "/search?q=tulip").await != Some(403) {
        assert!(Instant::now() < deadline, "SIGHUP did not reload the rules");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Still running, still forwarding the rest.
    assert_eq!(plain_status(addr, "/search?q=rose").await, Some(200));
}
