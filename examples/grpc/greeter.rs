//! The Greeter service (`greeter.proto`) behind `WafLayer`, on tonic's own server.
//!
//! The messages, the server routing and the client are written by hand against tonic's
//! codec instead of being generated from the `.proto` file by tonic-build, so building
//! the example needs no protoc. Shared by the example's `main.rs` and `tests/grpc.rs`.

use http::uri::PathAndQuery;
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use tonic::body::Body;
use tonic::server::NamedService;
use tonic::transport::server::{TcpConnectInfo, TcpIncoming};
use tonic::transport::{Channel, Server};
use tonic::{IntoRequest, Request, Response, Status};
use tonic_prost::ProstCodec;
use tower::util::MapRequestLayer;
use waf::core::rule::RuleSet;
use waf::tower::ClientAddr;
use waf::{Config, Waf, WafLayer};

/// The method's path: what `[[rate_limits]]` `path` names and rules see as
/// `REQUEST_FILENAME`.
pub const SAY_HELLO: &str = "/greeter.Greeter/SayHello";

/// `greeter.HelloRequest`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct HelloRequest {
    /// Who to greet.
    #[prost(string, tag = "1")]
    pub name: String,
}

/// `greeter.HelloReply`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct HelloReply {
    /// The greeting.
    #[prost(string, tag = "1")]
    pub message: String,
}

/// Rules added to the built-in ones for gRPC. A gRPC message is protobuf in
/// length-prefixed frames, which no body parser takes apart, so the built-in rules (which
/// read parsed arguments) do not see it; string fields do appear in the raw body as sent,
/// and these rules read it whole. Metadata are HTTP headers, which the built-in rules
/// already inspect (`x-…` among them).
pub const GRPC_RULES: &str = r#"
SecRule REQUEST_HEADERS:Content-Type "@beginsWith application/grpc" \
    "id:190100,phase:2,deny,msg:'SQL Injection Attack Detected in a gRPC message',tag:'attack-sqli',chain"
    SecRule REQUEST_BODY "@detectSQLi" "t:none"

SecRule REQUEST_HEADERS:Content-Type "@beginsWith application/grpc" \
    "id:190200,phase:2,deny,msg:'OS Command Injection Detected in a gRPC message',tag:'attack-rce',chain"
    SecRule REQUEST_BODY "@detectCmdi" "t:none"
"#;

/// The engine for the example: the built-in rules, the gRPC rules, and `config`.
pub fn waf(config: Config) -> Result<Waf, Box<dyn std::error::Error>> {
    let text = format!("{}\n{GRPC_RULES}", waf::rules::builtin::RULES);
    let file = waf::rules::seclang::parse("builtin+grpc.conf", &text)?;
    let rules = RuleSet::from_seclang("builtin", &file)?;
    Ok(Waf::builder().config(config).rules(rules).build()?)
}

/// Serves the Greeter on `incoming` behind `WafLayer` until the listener fails.
pub async fn serve(incoming: TcpIncoming, waf: Waf) -> Result<(), tonic::transport::Error> {
    Server::builder()
        // Outermost first: the client's address must be in place before the WAF looks.
        .layer(MapRequestLayer::new(client_addr))
        .layer(WafLayer::new(waf))
        .add_service(GreeterServer)
        .serve_with_incoming(incoming)
        .await
}

/// Hands the connection's peer address, which tonic's server records as
/// `TcpConnectInfo`, to the WAF as `ClientAddr`: rate limits are counted per client.
fn client_addr(mut request: http::Request<Body>) -> http::Request<Body> {
    let peer = request
        .extensions()
        .get::<TcpConnectInfo>()
        .and_then(TcpConnectInfo::remote_addr);
    if let Some(peer) = peer {
        request.extensions_mut().insert(ClientAddr(peer));
    }
    request
}

/// The Greeter's one method.
async fn say_hello(request: Request<HelloRequest>) -> Result<Response<HelloReply>, Status> {
    let name = request.into_inner().name;
    Ok(Response::new(HelloReply {
        message: format!("Hello, {name}!"),
    }))
}

/// Routes `greeter.Greeter` calls to their methods (what tonic-build generates as
/// `GreeterServer`).
#[derive(Debug, Clone, Copy)]
struct GreeterServer;

impl NamedService for GreeterServer {
    const NAME: &'static str = "greeter.Greeter";
}

impl tower::Service<http::Request<Body>> for GreeterServer {
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        if request.uri().path() != SAY_HELLO {
            return Box::pin(async { Ok(Status::unimplemented("no such method").into_http()) });
        }
        Box::pin(async move {
            let mut grpc =
                tonic::server::Grpc::new(ProstCodec::<HelloReply, HelloRequest>::default());
            Ok(grpc.unary(tower::service_fn(say_hello), request).await)
        })
    }
}

/// A client of the Greeter (what tonic-build generates as `GreeterClient`).
#[derive(Debug, Clone)]
pub struct GreeterClient {
    grpc: tonic::client::Grpc<Channel>,
}

impl GreeterClient {
    /// A client on `channel`.
    pub fn new(channel: Channel) -> Self {
        Self {
            grpc: tonic::client::Grpc::new(channel),
        }
    }

    /// Calls `SayHello`.
    pub async fn say_hello(
        &mut self,
        request: impl IntoRequest<HelloRequest>,
    ) -> Result<Response<HelloReply>, Status> {
        self.grpc
            .ready()
            .await
            .map_err(|e| Status::unavailable(format!("connection not ready: {e}")))?;
        self.grpc
            .unary(
                request.into_request(),
                PathAndQuery::from_static(SAY_HELLO),
                ProstCodec::default(),
            )
            .await
    }
}
