//! Every query bucketdesk runs, one module per aggregate. Functions are free
//! functions taking `impl PgExecutor<'_>`, so callers choose between the pool
//! and a transaction.

pub mod access;
pub mod audit;
pub mod buckets;
pub mod invites;
pub mod links;
pub mod login;
pub mod members;
pub mod passkeys;
pub mod resumable_uploads;
pub mod second_factor;
pub mod sessions;
pub mod sso;
pub mod tokens;
pub mod uploads;
pub mod users;
pub mod workspaces;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use std::time::Duration;

pub use sqlx::{Error, PgPool, Postgres, Transaction};

/// The migrations in the repository's `migrations/` folder, compiled in.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations");

/// How long a request waits for a database connection before giving up.
/// Short, so that a database outage turns into a quick 503 (R4), not a hang.
pub const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);

/// A connection idle for longer than this is tested (one round trip) before
/// it is handed out. One in steady use is not: testing every time added a
/// round trip to every query (P2, P4), on top of the one sqlx always makes
/// when a connection goes back to the pool.
pub const TEST_WHEN_IDLE_FOR: Duration = Duration::from_secs(1);

/// A pool that connects lazily: the process starts (and keeps running) while
/// the database is down, and each request fails fast until it is back.
pub fn pool(options: PgConnectOptions, max_connections: u32) -> PgPool {
    PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        // A connection that survived a database restart is dead. One that sat
        // idle is tested first. One that dies in use, or less than a second
        // after it was last tested, fails its query (a 503) and is closed, and
        // the next request gets a fresh one.
        .test_before_acquire(false)
        .before_acquire(|connection, meta| {
            Box::pin(async move {
                if meta.idle_for >= TEST_WHEN_IDLE_FOR {
                    sqlx::Connection::ping(connection).await?;
                }
                Ok(true)
            })
        })
        .connect_lazy_with(options)
}

/// Applies the migrations that have not run yet.
pub async fn migrate(pool: &PgPool) -> Result<(), sqlx::migrate::MigrateError> {
    MIGRATOR.run(pool).await
}

/// True when the database answers a trivial query.
pub async fn ping(pool: &PgPool) -> bool {
    sqlx::query("select 1").execute(pool).await.is_ok()
}

/// True when the error is a violation of the named constraint, e.g. a
/// unique name taken already.
pub fn is_violation(error: &sqlx::Error, constraint: &str) -> bool {
    matches!(error, sqlx::Error::Database(e) if e.constraint() == Some(constraint))
}

/// True when the error means "the database is unreachable or overloaded",
/// as opposed to a bug in a query.
pub fn is_unavailable(error: &sqlx::Error) -> bool {
    matches!(
        error,
        sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
    ) || matches!(error, sqlx::Error::Database(e) if e.code().is_some_and(|c| c.starts_with("57P") || c.starts_with("08")))
}
