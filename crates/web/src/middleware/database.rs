//! While the database is unreachable, every page answers 503 at once (R4),
//! whether or not it would have needed the database: a sign-in page that
//! shows while nobody can sign in only fails later, and with a worse error.
//!
//! A watcher pings the database every second; a request that failed for
//! lack of it (a 503 from `AppError::Unavailable`) marks it down at once.
//! Health checks and static files pass regardless.

use crate::AppState;
use crate::pages::ErrorPage;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use bucketdesk_db::PgPool;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

/// How often the watcher checks the database, and how long one check may take.
const EVERY: Duration = Duration::from_secs(1);
const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// Marks a response that failed because the database was unreachable.
#[derive(Clone, Copy)]
pub struct DatabaseUnavailable;

#[derive(Default)]
pub struct DatabaseWatch {
    down: AtomicBool,
}

impl DatabaseWatch {
    /// Starts watching `db` (within a Tokio runtime); the watcher stops
    /// when the watch is dropped.
    pub fn start(db: PgPool) -> Arc<DatabaseWatch> {
        let watch = Arc::new(DatabaseWatch::default());
        let weak: Weak<DatabaseWatch> = Arc::downgrade(&watch);
        tokio::spawn(async move {
            loop {
                let reachable = tokio::time::timeout(CHECK_TIMEOUT, bucketdesk_db::ping(&db))
                    .await
                    .unwrap_or(false);
                let Some(watch) = weak.upgrade() else { return };
                let was_down = watch.down.swap(!reachable, Ordering::Relaxed);
                if was_down && reachable {
                    tracing::info!("the database is reachable again");
                }
                drop(watch);
                tokio::time::sleep(EVERY).await;
            }
        });
        watch
    }

    pub fn is_down(&self) -> bool {
        self.down.load(Ordering::Relaxed)
    }

    fn noticed_down(&self) {
        self.down.store(true, Ordering::Relaxed);
    }
}

/// What answers whatever the database's state.
fn needs_no_database(path: &str) -> bool {
    matches!(path, "/healthz" | "/readyz" | "/favicon.ico") || path.starts_with("/static/")
}

pub async fn gate(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if state.database.is_down() && !needs_no_database(request.uri().path()) {
        let mut page = ErrorPage::response(
            StatusCode::SERVICE_UNAVAILABLE,
            "Temporarily unavailable",
            "bucketdesk cannot reach its database right now. Try again in a moment.",
        );
        page.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        return page;
    }
    let response = next.run(request).await;
    if response.extensions().get::<DatabaseUnavailable>().is_some() {
        state.database.noticed_down();
    }
    response
}
