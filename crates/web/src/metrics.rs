//! `GET /metrics`: the process's metrics (see `bucketdesk_metrics`) in the
//! OpenMetrics text Prometheus scrapes. Served on its own address
//! (`BUCKETDESK_METRICS_BIND`), never on the public one: it names routes,
//! counts and timings an outsider has no business reading.

use crate::AppState;
use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use bucketdesk_metrics::{CONTENT_TYPE, metrics};
use tokio::net::TcpListener;

/// Serves `/metrics` (and nothing else) on the metrics address.
pub async fn serve_metrics(listener: TcpListener, state: AppState) {
    let router = Router::new()
        .route("/metrics", get(scrape))
        .with_state(state);
    if let Err(error) = axum::serve(listener, router).await {
        tracing::warn!(%error, "the metrics address stopped");
    }
}

async fn scrape(State(state): State<AppState>) -> impl IntoResponse {
    let metrics = metrics();
    let pool = &state.db;
    metrics.db_pool(
        pool.size(),
        pool.num_idle(),
        pool.options().get_max_connections(),
    );
    metrics.audit_queue_depth(state.audit.waiting());
    ([(header::CONTENT_TYPE, CONTENT_TYPE)], metrics.encode())
}
