//! While the database is unreachable, every page answers 503 at once (R4),
//! whether or not it would have needed the database: a sign-in page that
//! shows while nobody can sign in only fails later, and with a worse error.
//!
//! A watcher pings the database every second on a connection of its own,
//! outside the pool: a pool that is busy (every connection in use under a
//! burst of requests) is not a database that is down, and must not turn the
//! whole site into 503s. A request that failed for lack of the database (a
//! 503 from `AppError::Unavailable`) makes the watcher check at once.
//! Health checks and static files pass regardless.

use crate::AppState;
use crate::pages::ErrorPage;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use bucketdesk_db::PgPool;
use sqlx::Connection;
use sqlx::postgres::{PgConnectOptions, PgConnection};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;
use tokio::sync::Notify;

/// How often the watcher checks the database, and how long one check may
/// take (on its own idle connection, a `select 1` takes a millisecond; a
/// database that is down refuses or resets at once, and one that does not
/// answer at all is down after two checks that time out).
const EVERY: Duration = Duration::from_secs(1);
const CHECK_TIMEOUT: Duration = Duration::from_secs(5);

/// Marks a response that failed because the database was unreachable.
#[derive(Clone, Copy)]
pub struct DatabaseUnavailable;

#[derive(Default)]
pub struct DatabaseWatch {
    down: AtomicBool,
    /// Wakes the watcher for a check now.
    check_now: Arc<Notify>,
}

impl DatabaseWatch {
    /// Starts watching `db` (within a Tokio runtime); the watcher stops
    /// when the watch is dropped.
    pub fn start(db: PgPool) -> Arc<DatabaseWatch> {
        let watch = Arc::new(DatabaseWatch::default());
        let weak: Weak<DatabaseWatch> = Arc::downgrade(&watch);
        let options = db.connect_options();
        drop(db);
        let check_now = watch.check_now.clone();
        tokio::spawn(async move {
            let mut connection: Option<PgConnection> = None;
            let mut slow_checks = 0;
            loop {
                let checked =
                    tokio::time::timeout(CHECK_TIMEOUT, check(&mut connection, &options)).await;
                // a refusal or a reset is an answer: down at once; a check
                // that only took too long may be a machine under load, so
                // it takes two in a row
                slow_checks = if checked.is_err() { slow_checks + 1 } else { 0 };
                let reachable = match checked {
                    Ok(answered) => answered,
                    Err(_) => slow_checks < 2,
                };
                if !reachable || checked.is_err() {
                    // a connection that failed or timed out is not trusted again
                    connection = None;
                }
                let Some(watch) = weak.upgrade() else { return };
                let was_down = watch.down.swap(!reachable, Ordering::Relaxed);
                if was_down && reachable {
                    tracing::info!("the database is reachable again");
                }
                drop(watch);
                // a request that failed for lack of the database while this
                // check ran has left a permit: the next check starts at once
                tokio::select! {
                    () = tokio::time::sleep(EVERY) => {}
                    () = check_now.notified() => {}
                }
            }
        });
        watch
    }

    pub fn is_down(&self) -> bool {
        self.down.load(Ordering::Relaxed)
    }

    fn check_now(&self) {
        self.check_now.notify_one();
    }
}

/// `select 1` on the watcher's own connection, connecting first if need be.
async fn check(connection: &mut Option<PgConnection>, options: &PgConnectOptions) -> bool {
    if connection.is_none() {
        *connection = PgConnection::connect_with(options).await.ok();
    }
    match connection {
        Some(connection) => sqlx::query("select 1").execute(connection).await.is_ok(),
        None => false,
    }
}

/// What answers whatever the database's state.
fn needs_no_database(path: &str) -> bool {
    matches!(path, "/healthz" | "/readyz" | "/favicon.ico") || path.starts_with("/static/")
}

pub async fn gate(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if state.database.is_down() && !needs_no_database(request.uri().path()) {
        if request.uri().path().starts_with("/api/") {
            return crate::api::unavailable();
        }
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
        state.database.check_now();
    }
    response
}
