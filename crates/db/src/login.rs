//! One-time sign-in codes, wrong-code failures and lockouts (DESIGN.md S1-S3).

use bucketdesk_domain::Email;
use sqlx::PgExecutor;
use std::time::Duration;
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LoginCodeRow {
    pub id: Uuid,
    pub email: String,
    pub code_hash: Vec<u8>,
    pub expires_at: OffsetDateTime,
    pub attempts: i32,
    pub dead_at: Option<OffsetDateTime>,
    /// Whether `expires_at` has passed, by the database's clock.
    pub expired: bool,
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

/// Serialises every sign-in step for one address until the transaction ends,
/// so parallel requests cannot all pass a limit before any of them counts.
pub async fn lock_address(db: impl PgExecutor<'_>, email: &Email) -> sqlx::Result<()> {
    sqlx::query(
        "select pg_advisory_xact_lock(hashtextextended('bucketdesk login address ' || $1, 0))",
    )
    .bind(email.as_str())
    .execute(db)
    .await?;
    Ok(())
}

/// The same for one client network (see `bucketdesk_domain::login::rate_limit_key`).
pub async fn lock_client(db: impl PgExecutor<'_>, client_key: &str) -> sqlx::Result<()> {
    sqlx::query(
        "select pg_advisory_xact_lock(hashtextextended('bucketdesk login client ' || $1, 0))",
    )
    .bind(client_key)
    .execute(db)
    .await?;
    Ok(())
}

/// Kills every live code of the address (a new code kills the old one, S1).
pub async fn kill_live_codes(db: impl PgExecutor<'_>, email: &Email) -> sqlx::Result<()> {
    sqlx::query("update login_codes set dead_at = now() where email = $1 and dead_at is null")
        .bind(email.as_str())
        .execute(db)
        .await?;
    Ok(())
}

pub async fn insert_code(
    db: impl PgExecutor<'_>,
    id: Uuid,
    email: &Email,
    code_hash: &[u8],
    client_key: Option<&str>,
    lifetime: Duration,
) -> sqlx::Result<OffsetDateTime> {
    let (expires_at,): (OffsetDateTime,) = sqlx::query_as(
        "insert into login_codes (id, email, code_hash, client_key, expires_at)
         values ($1, $2, $3, $4, now() + make_interval(secs => $5))
         returning expires_at",
    )
    .bind(id)
    .bind(email.as_str())
    .bind(code_hash)
    .bind(client_key)
    .bind(secs(lifetime))
    .fetch_one(db)
    .await?;
    Ok(expires_at)
}

pub async fn codes_sent_to_email_since(
    db: impl PgExecutor<'_>,
    email: &Email,
    window: Duration,
) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "select count(*) from login_codes where email = $1 and created_at > now() - make_interval(secs => $2)",
    )
    .bind(email.as_str())
    .bind(secs(window))
    .fetch_one(db)
    .await
}

pub async fn codes_requested_by_client_since(
    db: impl PgExecutor<'_>,
    client_key: &str,
    window: Duration,
) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "select count(*) from login_codes where client_key = $1 and created_at > now() - make_interval(secs => $2)",
    )
    .bind(client_key)
    .bind(secs(window))
    .fetch_one(db)
    .await
}

/// Loads a code and locks its row until the transaction ends, so concurrent
/// guesses at one code are counted one after another.
pub async fn lock_code(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<Option<LoginCodeRow>> {
    sqlx::query_as(
        "select id, email, code_hash, expires_at, attempts, dead_at, expires_at <= now() as expired
         from login_codes where id = $1 for update",
    )
    .bind(id)
    .fetch_optional(db)
    .await
}

/// Counts a wrong try; the code dies at `max_attempts`. Returns the tries so far.
pub async fn record_wrong_attempt(
    db: impl PgExecutor<'_>,
    id: Uuid,
    max_attempts: i32,
) -> sqlx::Result<i32> {
    sqlx::query_scalar(
        "update login_codes
         set attempts = attempts + 1,
             dead_at = case when attempts + 1 >= $2 then now() else dead_at end
         where id = $1 returning attempts",
    )
    .bind(id)
    .bind(max_attempts)
    .fetch_one(db)
    .await
}

pub async fn mark_used(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<()> {
    sqlx::query("update login_codes set dead_at = now() where id = $1")
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

/// Records a wrong code for the address and returns how many it had within `window`.
pub async fn record_failure(
    db: impl PgExecutor<'_>,
    email: &Email,
    window: Duration,
) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "with added as (insert into login_failures (email) values ($1) returning 1)
         select (select count(*) from login_failures
                 where email = $1 and failed_at > now() - make_interval(secs => $2))
                + (select count(*) from added)",
    )
    .bind(email.as_str())
    .bind(secs(window))
    .fetch_one(db)
    .await
}

pub async fn lock_out(
    db: impl PgExecutor<'_>,
    email: &Email,
    duration: Duration,
) -> sqlx::Result<()> {
    sqlx::query(
        "insert into login_lockouts (email, locked_until) values ($1, now() + make_interval(secs => $2))
         on conflict (email) do update set locked_until = excluded.locked_until",
    )
    .bind(email.as_str())
    .bind(secs(duration))
    .execute(db)
    .await?;
    Ok(())
}

/// When code sign-in for the address is locked, until when.
pub async fn locked_until(
    db: impl PgExecutor<'_>,
    email: &Email,
) -> sqlx::Result<Option<OffsetDateTime>> {
    sqlx::query_scalar(
        "select locked_until from login_lockouts where email = $1 and locked_until > now()",
    )
    .bind(email.as_str())
    .fetch_optional(db)
    .await
}

/// Deletes codes, failures and lockouts that no rule looks at any more.
pub async fn delete_stale(db: impl PgExecutor<'_> + Copy) -> sqlx::Result<()> {
    sqlx::query("delete from login_codes where created_at < now() - interval '1 day'")
        .execute(db)
        .await?;
    sqlx::query("delete from login_failures where failed_at < now() - interval '1 day'")
        .execute(db)
        .await?;
    sqlx::query("delete from login_lockouts where locked_until < now()")
        .execute(db)
        .await?;
    Ok(())
}
