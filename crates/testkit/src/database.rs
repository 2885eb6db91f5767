//! A fresh, migrated database per test, on the Postgres named by
//! `BUCKETDESK_TEST_DATABASE_URL` (default: the local server, user postgres).
//! Each is dropped when its test ends, unless the test failed: then it is
//! kept, and the test's output says where.

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, Executor, PgConnection};
use std::time::{SystemTime, UNIX_EPOCH};
use tokio::sync::OnceCell;

const PREFIX: &str = "bucketdesk_test_";
/// Test databases older than this are dropped by the next test run.
const KEEP_SECS: u64 = 2 * 60 * 60;

pub fn admin_database_url() -> String {
    std::env::var("BUCKETDESK_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

fn admin_options() -> PgConnectOptions {
    admin_database_url()
        .parse::<PgConnectOptions>()
        .expect("BUCKETDESK_TEST_DATABASE_URL is a Postgres URL")
        .disable_statement_logging()
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

async fn admin_connection() -> PgConnection {
    PgConnection::connect_with(&admin_options()).await.unwrap_or_else(|e| {
        panic!(
            "cannot reach the test Postgres at {} ({e}). Start one, or run the README's test command, which does.",
            admin_database_url()
        )
    })
}

/// Drops databases that earlier test runs left behind (once per process).
async fn drop_stale_databases() {
    static ONCE: OnceCell<()> = OnceCell::const_new();
    ONCE.get_or_init(|| async {
        let mut conn = admin_connection().await;
        let names: Vec<String> =
            sqlx::query_scalar("select datname from pg_database where datname like $1")
                .bind(format!("{PREFIX}%"))
                .fetch_all(&mut conn)
                .await
                .unwrap_or_default();
        for name in names {
            let created: u64 = name[PREFIX.len()..]
                .split('_')
                .next()
                .and_then(|s| s.parse().ok())
                .unwrap_or(0);
            if unix_now().saturating_sub(created) > KEEP_SECS {
                let _ = conn
                    .execute(format!(r#"drop database if exists "{name}" with (force)"#).as_str())
                    .await;
            }
        }
    })
    .await;
}

/// A test's own database; dropped with this value unless the test is
/// failing (panicking). Dereferences to the database's name.
pub struct TestDatabase {
    name: String,
}

impl TestDatabase {
    /// Its `DATABASE_URL`.
    pub fn url(&self) -> String {
        database_url(&self.name)
    }
}

impl std::ops::Deref for TestDatabase {
    type Target = str;
    fn deref(&self) -> &str {
        &self.name
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!(
                "the test failed: its database is kept for a look, at {}",
                self.url()
            );
            return;
        }
        // Drop cannot wait on the test's runtime (it may have one thread, busy
        // dropping this): a thread and a runtime of its own drop the database,
        // ending the connections still open to it
        let name = std::mem::take(&mut self.name);
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            runtime.block_on(async {
                let mut conn = PgConnection::connect_with(&admin_options()).await.ok()?;
                conn.execute(format!(r#"drop database if exists "{name}" with (force)"#).as_str())
                    .await
                    .ok()
            })
        });
        let _ = dropped.join();
    }
}

/// Creates an empty database of the test's own.
pub async fn empty_database() -> TestDatabase {
    drop_stale_databases().await;
    let name = format!("{PREFIX}{}_{}", unix_now(), uuid::Uuid::new_v4().simple());
    let mut conn = admin_connection().await;
    conn.execute(format!(r#"create database "{name}""#).as_str())
        .await
        .expect("create test database");
    TestDatabase { name }
}

/// A `DATABASE_URL` for the named database on the test server.
pub fn database_url(name: &str) -> String {
    let mut url =
        url::Url::parse(&admin_database_url()).expect("BUCKETDESK_TEST_DATABASE_URL is a URL");
    url.set_path(name);
    url.to_string()
}

/// Creates an empty database, applies every migration, and returns it with
/// its connect options.
pub async fn fresh_database() -> (TestDatabase, PgConnectOptions) {
    let database = empty_database().await;
    let options = admin_options().database(&database);
    let pool = PgPoolOptions::new()
        .max_connections(2)
        .connect_with(options.clone())
        .await
        .expect("connect test database");
    bucketdesk_web::migrate(&pool)
        .await
        .expect("migrate test database");
    pool.close().await;
    (database, options)
}
