//! Accept loops: TCP (and TLS) connections served with HTTP/1.1 or HTTP/2, as the client
//! chooses (ALPN on TLS, the connection preface on cleartext), drained on shutdown.

use super::forward::Inbound;
use super::pipeline::Handler;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;
use waf_tower::ClientAddr;

/// How one listener serves its connections.
pub struct Listener {
    /// The bound socket.
    pub tcp: TcpListener,
    /// TLS termination, for the HTTPS listener.
    pub tls: Option<TlsAcceptor>,
    /// How long a TLS handshake may take.
    pub handshake_timeout: Duration,
    /// How long open connections get to finish once `stop` fires.
    pub shutdown_grace: Duration,
}

/// Accepts connections until `stop` changes, then lets open ones finish (up to the
/// grace period).
pub async fn serve(listener: Listener, handler: Arc<Handler>, mut stop: watch::Receiver<()>) {
    let graceful = GracefulShutdown::new();
    let mut builder = auto::Builder::new(TokioExecutor::new());
    // The timer bounds how long a client may take to send request headers (30 s).
    builder.http1().timer(TokioTimer::new());
    builder.http2().timer(TokioTimer::new());
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.tcp.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors and the like: pause rather than spin.
                    tracing::warn!(target: "waf::proxy", %error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = stop.changed() => break,
        };
        let _ = stream.set_nodelay(true);
        let inbound = Inbound {
            peer,
            tls: listener.tls.is_some(),
        };
        let connection = Connection {
            builder: builder.clone(),
            handler: handler.clone(),
            watcher: graceful.watcher(),
            inbound,
        };
        match &listener.tls {
            None => {
                tokio::spawn(connection.run(stream));
            }
            Some(tls) => {
                let (tls, timeout) = (tls.clone(), listener.handshake_timeout);
                tokio::spawn(async move {
                    match tokio::time::timeout(timeout, tls.accept(stream)).await {
                        Ok(Ok(stream)) => connection.run(stream).await,
                        Ok(Err(error)) => {
                            tracing::debug!(target: "waf::proxy", %peer, %error, "TLS handshake failed");
                        }
                        Err(_) => {
                            tracing::debug!(target: "waf::proxy", %peer, "TLS handshake timed out");
                        }
                    }
                });
            }
        }
    }
    drop(listener.tcp);
    if tokio::time::timeout(listener.shutdown_grace, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(target: "waf::proxy", "connections still open after the grace period");
    }
}

/// One accepted connection, ready to be served.
struct Connection {
    builder: auto::Builder<TokioExecutor>,
    handler: Arc<Handler>,
    watcher: hyper_util::server::graceful::Watcher,
    inbound: Inbound,
}

impl Connection {
    async fn run<S>(self, stream: S)
    where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let (handler, inbound) = (self.handler, self.inbound);
        let service = hyper::service::service_fn(move |mut request| {
            let handler = handler.clone();
            request.extensions_mut().insert(inbound);
            request.extensions_mut().insert(ClientAddr(inbound.peer));
            async move { Ok::<_, Infallible>(handler.handle(request).await) }
        });
        let connection = self
            .builder
            .serve_connection_with_upgrades(TokioIo::new(stream), service)
            .into_owned();
        if let Err(error) = self.watcher.watch(connection).await {
            tracing::debug!(target: "waf::proxy", peer = %inbound.peer, %error, "connection ended with an error");
        }
    }
}
