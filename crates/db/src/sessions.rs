//! Signed-in sessions as their owners see them (S18), and the list of those
//! that were signed out, so no copy of one works again. The session data
//! itself lives in tower-sessions' table, under a hash of the cookie's id.

use bucketdesk_domain::UserId;
use sqlx::PgExecutor;
use std::time::Duration;
use time::OffsetDateTime;
use uuid::Uuid;

/// A sign-in to record.
pub struct NewSession<'a> {
    pub id: Uuid,
    pub user: UserId,
    pub epoch: i32,
    pub method: &'a str,
    pub ip: &'a str,
    pub user_agent: Option<&'a str>,
}

pub async fn start(db: impl PgExecutor<'_>, new: &NewSession<'_>) -> sqlx::Result<()> {
    sqlx::query(
        "insert into user_sessions (id, user_id, epoch, method, ip, user_agent)
         values ($1, $2, $3, $4, $5, $6)",
    )
    .bind(new.id)
    .bind(new.user.0)
    .bind(new.epoch)
    .bind(new.method)
    .bind(new.ip)
    .bind(
        new.user_agent
            .map(|ua| ua.chars().take(512).collect::<String>()),
    )
    .execute(db)
    .await?;
    Ok(())
}

/// The session was just used (at most once a minute, see `session::touch`).
pub async fn seen(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<()> {
    sqlx::query("update user_sessions set last_seen_at = now() where id = $1")
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

/// Its owner proved it was them again, just now.
pub async fn reauthenticated(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<()> {
    sqlx::query("update user_sessions set reauthenticated_at = now() where id = $1")
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ActiveSession {
    pub id: Uuid,
    pub method: String,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub signed_in_at: OffsetDateTime,
    pub last_seen_at: OffsetDateTime,
}

/// The user's sessions that still work: of the current epoch, not signed
/// out, neither idle for `idle` nor older than `absolute`; last seen first.
pub async fn active_for(
    db: impl PgExecutor<'_>,
    user: UserId,
    idle: Duration,
    absolute: Duration,
) -> sqlx::Result<Vec<ActiveSession>> {
    sqlx::query_as(
        "select s.id, s.method, s.ip, s.user_agent, s.signed_in_at, s.last_seen_at
         from user_sessions s join users u on u.id = s.user_id
         where s.user_id = $1 and s.epoch = u.session_epoch
           and s.last_seen_at > now() - make_interval(secs => $2)
           and s.signed_in_at > now() - make_interval(secs => $3)
           and not exists (select 1 from ended_sessions e where e.id = s.id)
         order by s.last_seen_at desc",
    )
    .bind(user.0)
    .bind(idle.as_secs_f64())
    .bind(absolute.as_secs_f64())
    .fetch_all(db)
    .await
}

/// Records that a signed-in session was signed out, so no copy of it works again.
pub async fn end(
    db: impl PgExecutor<'_>,
    session_id: Uuid,
    forget_after: OffsetDateTime,
) -> sqlx::Result<()> {
    sqlx::query(
        "insert into ended_sessions (id, forget_after) values ($1, $2) on conflict (id) do nothing",
    )
    .bind(session_id)
    .bind(forget_after)
    .execute(db)
    .await?;
    Ok(())
}

/// Ends one of the user's own sessions (from another one); false when it
/// is not theirs.
pub async fn end_own(
    db: impl PgExecutor<'_>,
    user: UserId,
    session_id: Uuid,
    absolute: Duration,
) -> sqlx::Result<bool> {
    let ended = sqlx::query(
        "insert into ended_sessions (id, forget_after)
         select id, signed_in_at + make_interval(secs => $3) from user_sessions
         where id = $2 and user_id = $1
         on conflict (id) do nothing",
    )
    .bind(user.0)
    .bind(session_id)
    .bind(absolute.as_secs_f64())
    .execute(db)
    .await?;
    Ok(ended.rows_affected() == 1)
}

/// Forgets what no session needs any more: ended sessions past their
/// lifetime, and sign-ins older than `absolute`.
pub async fn forget_old(db: impl PgExecutor<'_> + Copy, absolute: Duration) -> sqlx::Result<()> {
    sqlx::query("delete from ended_sessions where forget_after < now()")
        .execute(db)
        .await?;
    sqlx::query("delete from user_sessions where signed_in_at < now() - make_interval(secs => $1)")
        .bind(absolute.as_secs_f64())
        .execute(db)
        .await?;
    Ok(())
}
