//! The admin listener (`[admin]`): `GET /metrics` for Prometheus, and the live
//! dashboard under `/dashboard` when a token file is configured.

use super::config::AdminSettings;
use std::net::SocketAddr;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use waf_tower::dashboard::Dashboard;
use waf_tower::metrics::Metrics;

/// The admin routes: the metrics, and the dashboard if there is one. The dashboard
/// checks its token on every route; the metrics answer anyone who can connect.
pub(crate) fn router(metrics: &Metrics, dashboard: Option<&Dashboard>) -> axum::Router {
    let router = metrics.router();
    match dashboard {
        Some(dashboard) => router.nest("/dashboard", dashboard.router()),
        None => router,
    }
}

/// Binds the admin listener and serves `router` on it until `stopped` fires.
pub(crate) async fn serve(
    settings: &AdminSettings,
    router: axum::Router,
    mut stopped: watch::Receiver<()>,
) -> Result<(SocketAddr, JoinHandle<()>), String> {
    let listener = tokio::net::TcpListener::bind(settings.listen)
        .await
        .map_err(|e| format!("[admin]: cannot listen on {}: {e}", settings.listen))?;
    let local = listener.local_addr().map_err(|e| e.to_string())?;
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
