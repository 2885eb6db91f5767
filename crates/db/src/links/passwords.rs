//! Wrong-password attempts on a link, counted before the password is checked.

use super::*;

/// Deletes wrong-password attempts older than the longest window counted
/// (an hour): the table holds only what the limits still read.
pub async fn forget_old_password_failures(db: impl PgExecutor<'_>) -> sqlx::Result<u64> {
    let done = sqlx::query(
        "delete from link_password_failures where failed_at < now() - interval '1 hour'",
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}

/// Wrong (or unchecked) password attempts for a link up to and including
/// `attempt`: (from this client in the last 15 minutes, from anyone in the
/// last hour). Counting only earlier attempts gives parallel guesses a fixed
/// order: exactly the first ones under the limit are checked.
pub async fn recent_password_failures(
    db: impl PgExecutor<'_>,
    link: Uuid,
    client: &str,
    attempt: i64,
) -> sqlx::Result<(i64, i64)> {
    sqlx::query_as(
        "select count(*) filter (where client = $2 and failed_at > now() - interval '15 minutes'),
                count(*)
         from link_password_failures
         where link_id = $1 and id <= $3 and failed_at > now() - interval '1 hour'",
    )
    .bind(link)
    .bind(client)
    .bind(attempt)
    .fetch_one(db)
    .await
}

/// Counts a password attempt as wrong before it is checked, so parallel
/// guesses cannot all slip under the limit; returns its id, for
/// [`forget_password_attempt`] when it was right (or not checked at all).
pub async fn record_password_attempt(
    db: impl PgExecutor<'_>,
    link: Uuid,
    client: &str,
) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "insert into link_password_failures (link_id, client) values ($1, $2) returning id",
    )
    .bind(link)
    .bind(client)
    .fetch_one(db)
    .await
}

pub async fn forget_password_attempt(db: impl PgExecutor<'_>, id: i64) -> sqlx::Result<()> {
    sqlx::query("delete from link_password_failures where id = $1")
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}
