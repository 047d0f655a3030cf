//! The admin listener (`[admin]`): `GET /metrics` for Prometheus.

use super::config::AdminSettings;
use std::net::SocketAddr;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use waf_tower::metrics::Metrics;

/// Binds the admin listener and serves it until `stopped` fires.
pub(crate) async fn serve(
    settings: &AdminSettings,
    metrics: &Metrics,
    mut stopped: watch::Receiver<()>,
) -> Result<(SocketAddr, JoinHandle<()>), String> {
    let listener = tokio::net::TcpListener::bind(settings.listen)
        .await
        .map_err(|e| format!("[admin]: cannot listen on {}: {e}", settings.listen))?;
    let local = listener.local_addr().map_err(|e| e.to_string())?;
    let router = metrics.router();
    let task = tokio::spawn(async move {
        let shutdown = async move {
            let _ = stopped.changed().await;
        };
        if let Err(error) = axum::serve(listener, router)
            .with_graceful_shutdown(shutdown)
            .await
        {
            tracing::error!(target: "waf::proxy", %error, "admin listener failed");
        }
    });
    Ok((local, task))
}
