//! A person's signed-in browsers (S6, S18): each sign-in is listed with how
//! and from where it came, so its owner can see them and end any one, or
//! all. The browser side (the cookie, the session's data) is the web
//! face's; what is recorded and audited is here.
//!
//! Every operation here is for a person in a browser: a token neither
//! starts nor ends sessions.

use crate::{Actor, CoreError, Origin};
use bucketdesk_db::sessions::{self, ActiveSession, NewSession};
use bucketdesk_db::users::{self, User};
use bucketdesk_db::{PgPool, audit};
use serde_json::{Value, json};
use std::time::Duration;
use time::OffsetDateTime;
use uuid::Uuid;

/// How long sessions last: the face's settings.
#[derive(Debug, Clone, Copy)]
pub struct Lifetimes {
    /// A session ends after this long without a request.
    pub idle: Duration,
    /// A session ends this long after sign-in, however active.
    pub absolute: Duration,
}

/// Lists a new sign-in of `user` (`method`: `email_code`, `email_link`,
/// `github`); its id names the session from now on.
pub async fn start(
    db: &PgPool,
    user: &User,
    origin: &Origin,
    method: &str,
) -> Result<Uuid, CoreError> {
    let id = Uuid::new_v4();
    let new = NewSession {
        id,
        user: user.user_id(),
        epoch: user.session_epoch,
        method,
        ip: origin.ip_str(),
        user_agent: origin.user_agent.as_deref(),
    };
    sessions::start(db, &new).await?;
    Ok(id)
}

/// The session was just used (the face calls this at most once a minute).
pub async fn seen(db: &PgPool, id: Uuid) -> Result<(), CoreError> {
    Ok(sessions::seen(db, id).await?)
}

/// Its owner proved it was them again, just now (S18).
pub async fn reauthenticated(db: &PgPool, id: Uuid) -> Result<(), CoreError> {
    Ok(sessions::reauthenticated(db, id).await?)
}

/// The actor's sessions that still work, last seen first.
pub async fn list(
    db: &PgPool,
    actor: &Actor,
    lifetimes: Lifetimes,
) -> Result<Vec<ActiveSession>, CoreError> {
    actor.require_session()?;
    let user = actor.user.user_id();
    Ok(sessions::active_for(db, user, lifetimes.idle, lifetimes.absolute).await?)
}

/// Ends one of the actor's own sessions (this one or another);
/// [`CoreError::NotFound`] when it is not theirs.
pub async fn end(
    db: &PgPool,
    actor: &Actor,
    origin: &Origin,
    id: Uuid,
    lifetimes: Lifetimes,
) -> Result<(), CoreError> {
    actor.require_session()?;
    if !sessions::end_own(db, actor.user.user_id(), id, lifetimes.absolute).await? {
        return Err(CoreError::NotFound);
    }
    let event = actor.event(origin, "session_ended", json!({ "session": id }));
    audit::record(db, event).await?;
    Ok(())
}

/// Signs the session `id` (started at `signed_in_at`) out for good: it is
/// listed as ended, so a copy of its cookie, or a request that loaded it a
/// moment before, cannot bring it back.
pub async fn sign_out(
    db: &PgPool,
    actor: &Actor,
    origin: &Origin,
    id: Uuid,
    signed_in_at: OffsetDateTime,
    lifetimes: Lifetimes,
) -> Result<(), CoreError> {
    actor.require_session()?;
    let forget_after = signed_in_at
        + time::Duration::try_from(lifetimes.absolute).unwrap_or(time::Duration::hours(12));
    let mut tx = db.begin().await?;
    audit::record(&mut *tx, actor.event(origin, "sign_out", Value::Null)).await?;
    sessions::end(&mut *tx, id, forget_after).await?;
    tx.commit().await?;
    Ok(())
}

/// Ends every session of the actor, on every device (the one acting
/// included: the face signs it out too).
pub async fn sign_out_everywhere(
    db: &PgPool,
    actor: &Actor,
    origin: &Origin,
) -> Result<(), CoreError> {
    actor.require_session()?;
    let mut tx = db.begin().await?;
    users::end_all_sessions(&mut *tx, actor.user.user_id()).await?;
    audit::record(
        &mut *tx,
        actor.event(origin, "sign_out_everywhere", Value::Null),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
