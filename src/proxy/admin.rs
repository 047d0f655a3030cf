//! The admin listener (`[admin]`): `GET /metrics` for Prometheus, and the live
//! dashboard under `/dashboard` when a token file is configured.

use super::config::AdminSettings;
use std::net::SocketAddr;
use std::time::Duration;
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

/// Binds the admin listener and serves `router` on it until `stopped` fires; open
/// connections then get `grace` to finish. The dashboard's event streams never finish
/// on their own: without the bound, an open dashboard page would hold up shutdown.
pub(crate) async fn serve(
    settings: &AdminSettings,
    router: axum::Router,
    stopped: watch::Receiver<()>,
    grace: Duration,
) -> Result<(SocketAddr, JoinHandle<()>), String> {
    let listener = tokio::net::TcpListener::bind(settings.listen)
        .await
        .map_err(|e| format!("[admin]: cannot listen on {}: {e}", settings.listen))?;
    let local = listener.local_addr().map_err(|e| e.to_string())?;
    let task = tokio::spawn(async move {
        let (mut stop, mut grace_stop) = (stopped.clone(), stopped);
        let serving = axum::serve(listener, router).with_graceful_shutdown(async move {
            let _ = stop.changed().await;
        });
        let grace_over = async move {
            let _ = grace_stop.changed().await;
            tokio::time::sleep(grace).await;
        };
        tokio::select! {
            served = serving => {
                if let Err(error) = served {
                    tracing::error!(target: "waf::proxy", %error, "admin listener failed");
                }
            }
            () = grace_over => {
                tracing::info!(target: "waf::proxy", "admin connections still open after the grace period; closing");
            }
        }
    });
    Ok((local, task))
}
