//! `GET /metrics` for axum.

use super::{CONTENT_TYPE, Metrics};
use axum::Router;
use axum::extract::State;
use axum::response::IntoResponse;
use axum::routing::get;

impl Metrics {
    /// A router answering `GET /metrics` with [`encode`](Self::encode)'s text. Merge it
    /// into the application outside the [`WafLayer`](crate::WafLayer) (after
    /// `.layer(…)`), or serve it on an address of its own.
    pub fn router<S: Clone + Send + Sync + 'static>(&self) -> Router<S> {
        Router::new()
            .route("/metrics", get(scrape))
            .with_state(self.clone())
    }
}

async fn scrape(State(metrics): State<Metrics>) -> impl IntoResponse {
    (
        [(http::header::CONTENT_TYPE, CONTENT_TYPE)],
        metrics.encode(),
    )
}
