//! gRPC behind `WafLayer`: the Greeter example (`examples/grpc/`) served by tonic on
//! loopback and called over real HTTP/2, by tonic's client and by a raw hyper client that
//! sees exactly what goes over the wire. Rules apply to message bytes and metadata, rate
//! limits to the method's path, and a block is a gRPC status, never an HTML page.

#[path = "../examples/grpc/greeter.rs"]
mod greeter;

use bytes::{BufMut, Bytes, BytesMut};
use greeter::{GreeterClient, HelloRequest, SAY_HELLO};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::{TokioExecutor, TokioIo};
use prost::Message;
use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;
use tonic::transport::Channel;
use tonic::transport::server::TcpIncoming;
use tonic::{Code, Request, Status};
use waf::Config;

/// How long any one call may take before the test fails instead of hanging.
const TIMEOUT: Duration = Duration::from_secs(20);

const SQLI: &str = "1' OR '1'='1";

async fn timely<T>(future: impl Future<Output = T>) -> T {
    tokio::time::timeout(TIMEOUT, future)
        .await
        .expect("the call finished in time")
}

/// The Greeter behind the WAF with `config`, on a free loopback port.
fn start(config: Config) -> SocketAddr {
    let incoming = TcpIncoming::bind(SocketAddr::from(([127, 0, 0, 1], 0))).unwrap();
    let addr = incoming.local_addr().unwrap();
    let waf = greeter::waf(config).unwrap();
    tokio::spawn(async move { greeter::serve(incoming, waf).await.unwrap() });
    addr
}

async fn client(addr: SocketAddr) -> GreeterClient {
    let endpoint = Channel::from_shared(format!("http://{addr}")).unwrap();
    let channel = timely(endpoint.connect()).await.unwrap();
    GreeterClient::new(channel)
}

fn hello(name: &str) -> Request<HelloRequest> {
    Request::new(HelloRequest { name: name.into() })
}

/// A status the WAF sent: the gRPC way (its content type and request id in the
/// metadata tonic read it from), not one tonic made up from an HTTP error status.
fn assert_from_waf(status: &Status, code: Code) {
    assert_eq!(status.code(), code, "{status:?}");
    let metadata = status.metadata();
    assert_eq!(metadata.get("content-type").unwrap(), "application/grpc");
    assert_eq!(metadata.get("x-request-id").unwrap().len(), 16);
    assert!(status.message().contains("request id"), "{status:?}");
}

#[tokio::test]
async fn benign_call_is_answered() {
    let addr = start(Config::default());
    let reply = timely(client(addr).await.say_hello(hello("Ada")))
        .await
        .unwrap();
    assert_eq!(reply.into_inner().message, "Hello, Ada!");
    // The request id the WAF adds reaches the client as response metadata.
    assert_eq!(reply_id_len(addr).await, 16);
}

async fn reply_id_len(addr: SocketAddr) -> usize {
    let reply = timely(client(addr).await.say_hello(hello("Grace")))
        .await
        .unwrap();
    reply.metadata().get("x-request-id").unwrap().len()
}

#[tokio::test]
async fn sql_injection_in_the_message_is_permission_denied() {
    let addr = start(Config::default());
    let mut client = client(addr).await;
    let status = timely(client.say_hello(hello(SQLI))).await.unwrap_err();
    assert_from_waf(&status, Code::PermissionDenied);
    assert!(
        status
            .message()
            .contains("blocked by the web application firewall"),
        "{status:?}"
    );
    // The same connection still serves benign calls.
    let reply = timely(client.say_hello(hello("Ada"))).await.unwrap();
    assert_eq!(reply.into_inner().message, "Hello, Ada!");
}

#[tokio::test]
async fn attack_in_metadata_is_permission_denied() {
    let addr = start(Config::default());
    let mut request = hello("Ada");
    request
        .metadata_mut()
        .insert("x-customer-id", SQLI.parse().unwrap());
    let status = timely(client(addr).await.say_hello(request))
        .await
        .unwrap_err();
    assert_from_waf(&status, Code::PermissionDenied);
}

#[tokio::test]
async fn calls_over_the_method_rate_limit_are_resource_exhausted() {
    let config = Config::from_toml(&format!(
        "[[rate_limits]]\nname = \"say-hello\"\nkey = \"ip\"\nrate = 1\nburst = 3\n\
         cooldown = 60\npath = \"{SAY_HELLO}\"\n"
    ))
    .unwrap();
    let addr = start(config);
    let mut client = client(addr).await;
    for n in 0..3 {
        let reply = timely(client.say_hello(hello(&format!("caller {n}")))).await;
        assert!(reply.is_ok(), "call {n} within the burst: {reply:?}");
    }
    let status = timely(client.say_hello(hello("one too many")))
        .await
        .unwrap_err();
    assert_from_waf(&status, Code::ResourceExhausted);
    // gRPC's Retry-After: how long the client should wait (the cooldown).
    let pushback: u64 = status
        .metadata()
        .get("grpc-retry-pushback-ms")
        .unwrap()
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(pushback > 1000, "{pushback}");
}

/// `message` as one gRPC frame: uncompressed flag, big-endian length, the bytes.
fn frame(message: &impl Message) -> Bytes {
    let bytes = message.encode_to_vec();
    let mut frame = BytesMut::with_capacity(5 + bytes.len());
    frame.put_u8(0);
    frame.put_u32(u32::try_from(bytes.len()).unwrap());
    frame.put_slice(&bytes);
    frame.freeze()
}

/// Sends one request over a fresh HTTP/2 connection: status, headers, and the body's
/// data and trailers as they arrived.
async fn raw_http2(
    addr: SocketAddr,
    content_type: &str,
    body: Bytes,
) -> (http::response::Parts, Bytes, Option<http::HeaderMap>) {
    let stream = timely(tokio::net::TcpStream::connect(addr)).await.unwrap();
    let (mut sender, connection) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(stream))
            .await
            .unwrap();
    tokio::spawn(connection);
    let request = http::Request::post(format!("http://{addr}{SAY_HELLO}"))
        .header("content-type", content_type)
        .header("te", "trailers")
        .body(Full::new(body))
        .unwrap();
    let response = timely(sender.send_request(request)).await.unwrap();
    let (parts, body) = response.into_parts();
    let collected = timely(body.collect()).await.unwrap();
    let trailers = collected.trailers().cloned();
    (parts, collected.to_bytes(), trailers)
}

#[tokio::test]
async fn on_the_wire_a_blocked_call_is_trailers_only() {
    let addr = start(Config::default());
    let attack = frame(&HelloRequest { name: SQLI.into() });
    let (head, data, trailers) = raw_http2(addr, "application/grpc", attack).await;
    assert_eq!(head.status, http::StatusCode::OK);
    assert_eq!(head.headers["content-type"], "application/grpc");
    assert_eq!(head.headers["grpc-status"], "7");
    let message = head.headers["grpc-message"].to_str().unwrap();
    assert!(
        message.starts_with("blocked by the web application firewall; request id "),
        "{message}"
    );
    assert!(head.headers.contains_key("x-request-id"));
    // Trailers-only: the status is in the headers and nothing follows them.
    assert!(data.is_empty(), "{data:?}");
    assert_eq!(trailers, None);

    // The same attack sent as a form gets the HTML page: the answer follows the caller.
    let form = Bytes::from("name=1%27%20OR%20%271%27%3D%271");
    let (head, data, _) = raw_http2(addr, "application/x-www-form-urlencoded", form).await;
    assert_eq!(head.status, http::StatusCode::FORBIDDEN);
    assert!(!head.headers.contains_key("grpc-status"));
    assert!(data.starts_with(b"<!doctype html>"));

    // A benign call over the same raw client is answered by the service: a reply frame,
    // then grpc-status 0 in the trailers.
    let benign = frame(&HelloRequest { name: "Ada".into() });
    let (head, data, trailers) = raw_http2(addr, "application/grpc", benign).await;
    assert_eq!(head.status, http::StatusCode::OK);
    let reply = greeter::HelloReply::decode(&data[5..]).unwrap();
    assert_eq!(reply.message, "Hello, Ada!");
    assert_eq!(trailers.unwrap()["grpc-status"], "0");
}
