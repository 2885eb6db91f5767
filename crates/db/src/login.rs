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

/// Kills the live codes of the address that this client asked for (a new
/// code kills the old one, S1). Codes other clients asked for live on: a
/// stranger asking for codes never kills the owner's.
pub async fn kill_live_codes(
    db: impl PgExecutor<'_>,
    email: &Email,
    client_key: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "update login_codes set dead_at = now()
         where email = $1 and client_key = $2 and dead_at is null",
    )
    .bind(email.as_str())
    .bind(client_key)
    .execute(db)
    .await?;
    Ok(())
}

/// A code to store: its id, keyed hash, who asked, and the hash of its mail link.
pub struct NewCode<'a> {
    pub id: Uuid,
    pub email: &'a Email,
    pub code_hash: &'a [u8],
    pub client_key: &'a str,
    /// The hash of its mail's sign-in link; none for codes that only confirm.
    pub link_hash: Option<&'a [u8]>,
    pub lifetime: Duration,
}

pub async fn insert_code(
    db: impl PgExecutor<'_>,
    code: &NewCode<'_>,
) -> sqlx::Result<OffsetDateTime> {
    let (expires_at,): (OffsetDateTime,) = sqlx::query_as(
        "insert into login_codes (id, email, code_hash, client_key, link_hash, expires_at)
         values ($1, $2, $3, $4, $5, now() + make_interval(secs => $6))
         returning expires_at",
    )
    .bind(code.id)
    .bind(code.email.as_str())
    .bind(code.code_hash)
    .bind(code.client_key)
    .bind(code.link_hash)
    .bind(secs(code.lifetime))
    .fetch_one(db)
    .await?;
    Ok(expires_at)
}

/// Codes sent to the address within `window`: asked for from one client,
/// or (`None`) from any.
pub async fn codes_sent_to_email_since(
    db: impl PgExecutor<'_>,
    email: &Email,
    client_key: Option<&str>,
    window: Duration,
) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "select count(*) from login_codes where email = $1 and ($2::text is null or client_key = $2)
           and created_at > now() - make_interval(secs => $3)",
    )
    .bind(email.as_str())
    .bind(client_key)
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

/// The code whose mail link has this hash.
pub async fn find_by_link(
    db: impl PgExecutor<'_>,
    link_hash: &[u8],
) -> sqlx::Result<Option<LoginCodeRow>> {
    sqlx::query_as(
        "select id, email, code_hash, expires_at, attempts, dead_at, expires_at <= now() as expired
         from login_codes where link_hash = $1",
    )
    .bind(link_hash)
    .fetch_optional(db)
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

/// Wrong codes for one address within a window: from one client, and from all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub struct Failures {
    pub from_client: i64,
    pub from_all: i64,
}

/// Records a wrong code for the address, typed from `client_key`, and
/// returns the failures within `window`, this one included.
pub async fn record_failure(
    db: impl PgExecutor<'_>,
    email: &Email,
    client_key: &str,
    window: Duration,
) -> sqlx::Result<Failures> {
    sqlx::query_as(
        "with added as (insert into login_failures (email, client_key) values ($1, $2) returning 1),
              recent as (select client_key from login_failures
                         where email = $1 and failed_at > now() - make_interval(secs => $3))
         select (select count(*) from recent where client_key = $2) + (select count(*) from added) as from_client,
                (select count(*) from recent) + (select count(*) from added) as from_all",
    )
    .bind(email.as_str())
    .bind(client_key)
    .bind(secs(window))
    .fetch_one(db)
    .await
}

/// The key of a lockout that holds for every client.
pub const EVERY_CLIENT: &str = "";

/// Locks code sign-in for the address from `client_key`, or from every
/// client ([`EVERY_CLIENT`]), for `duration`.
pub async fn lock_out(
    db: impl PgExecutor<'_>,
    email: &Email,
    client_key: &str,
    duration: Duration,
) -> sqlx::Result<()> {
    sqlx::query(
        "insert into login_lockouts (email, client_key, locked_until)
         values ($1, $2, now() + make_interval(secs => $3))
         on conflict (email, client_key) do update set locked_until = excluded.locked_until",
    )
    .bind(email.as_str())
    .bind(client_key)
    .bind(secs(duration))
    .execute(db)
    .await?;
    Ok(())
}

/// A lockout in force: until when, and whether it holds for every client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub struct Lockout {
    pub until: OffsetDateTime,
    pub everywhere: bool,
}

/// The lockout that keeps codes typed from `client_key` from working for
/// the address, if any (the one of every client first).
pub async fn lockout(
    db: impl PgExecutor<'_>,
    email: &Email,
    client_key: &str,
) -> sqlx::Result<Option<Lockout>> {
    sqlx::query_as(
        "select locked_until as until, client_key = '' as everywhere from login_lockouts
         where email = $1 and client_key in ('', $2) and locked_until > now()
         order by client_key = '' desc, locked_until desc limit 1",
    )
    .bind(email.as_str())
    .bind(client_key)
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
