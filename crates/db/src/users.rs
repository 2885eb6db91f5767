//! Accounts.

use bucketdesk_domain::{Email, UserId};
use sqlx::PgExecutor;
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct User {
    pub id: Uuid,
    pub email: String,
    pub is_admin: bool,
    pub session_epoch: i32,
    pub created_at: OffsetDateTime,
    pub last_sign_in_at: Option<OffsetDateTime>,
    /// The linked GitHub identity (numeric id) and its login, if any.
    pub github_id: Option<i64>,
    pub github_login: Option<String>,
    /// Set while an instance admin has disabled the account (S16).
    pub disabled_at: Option<OffsetDateTime>,
    /// The account has a second factor (an authenticator app).
    pub second_factor: bool,
}

impl User {
    pub fn user_id(&self) -> UserId {
        UserId(self.id)
    }

    pub fn is_disabled(&self) -> bool {
        self.disabled_at.is_some()
    }
}

/// A user's columns, for queries that name the table `users u`.
pub(crate) const COLUMNS: &str = "u.id, u.email, u.is_admin, u.session_epoch, u.created_at, \
                                  u.last_sign_in_at, u.github_id, u.github_login, u.disabled_at, \
                                  u.second_factor";

pub async fn find(db: impl PgExecutor<'_>, id: UserId) -> sqlx::Result<Option<User>> {
    sqlx::query_as(&format!("select {COLUMNS} from users u where id = $1"))
        .bind(id.0)
        .fetch_optional(db)
        .await
}

pub async fn find_by_email(db: impl PgExecutor<'_>, email: &Email) -> sqlx::Result<Option<User>> {
    sqlx::query_as(&format!("select {COLUMNS} from users u where email = $1"))
        .bind(email.as_str())
        .fetch_optional(db)
        .await
}

/// The user of a signed-in session, unless that session was signed out or
/// the account is disabled.
pub async fn find_for_session(
    db: impl PgExecutor<'_>,
    id: UserId,
    session_id: Uuid,
) -> sqlx::Result<Option<User>> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from users u
         where id = $1 and u.disabled_at is null
           and not exists (select 1 from ended_sessions where id = $2)"
    ))
    .bind(id.0)
    .bind(session_id)
    .fetch_optional(db)
    .await
}

/// Creates the account, or returns the existing one for that email.
pub async fn find_or_create(db: impl PgExecutor<'_>, email: &Email) -> sqlx::Result<User> {
    // `do update` (a no-op) rather than `do nothing` so the row comes back either way
    sqlx::query_as(&format!(
        "insert into users as u (email) values ($1)
         on conflict on constraint users_email_key do update set email = excluded.email
         returning {COLUMNS}"
    ))
    .bind(email.as_str())
    .fetch_one(db)
    .await
}

/// Whether `admin add` created the admin or promoted an existing account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminOutcome {
    Created,
    Promoted,
    AlreadyAdmin,
}

pub async fn make_admin(db: impl PgExecutor<'_>, email: &Email) -> sqlx::Result<AdminOutcome> {
    // xmax = 0 tells a freshly inserted row from an updated one
    let (inserted, was_admin): (bool, bool) = sqlx::query_as(
        "with before as (select is_admin from users where email = $1)
         insert into users (email, is_admin) values ($1, true)
         on conflict on constraint users_email_key do update set is_admin = true
         returning (xmax = 0), coalesce((select is_admin from before), false)",
    )
    .bind(email.as_str())
    .fetch_one(db)
    .await?;
    Ok(match (inserted, was_admin) {
        (true, _) => AdminOutcome::Created,
        (false, true) => AdminOutcome::AlreadyAdmin,
        (false, false) => AdminOutcome::Promoted,
    })
}

pub async fn record_sign_in(db: impl PgExecutor<'_>, id: UserId) -> sqlx::Result<()> {
    sqlx::query("update users set last_sign_in_at = now() where id = $1")
        .bind(id.0)
        .execute(db)
        .await?;
    Ok(())
}

/// Ends every session of the user: sessions carry the epoch they were made in.
pub async fn end_all_sessions(db: impl PgExecutor<'_>, id: UserId) -> sqlx::Result<()> {
    sqlx::query("update users set session_epoch = session_epoch + 1 where id = $1")
        .bind(id.0)
        .execute(db)
        .await?;
    Ok(())
}

/// The account linked to a GitHub identity (by its numeric id).
pub async fn find_by_github_id(
    db: impl PgExecutor<'_>,
    github_id: i64,
) -> sqlx::Result<Option<User>> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from users u where github_id = $1"
    ))
    .bind(github_id)
    .fetch_optional(db)
    .await
}

/// Links a GitHub identity to an account that has none; false when the
/// account has another one, or the identity belongs to another account.
pub async fn link_github(
    db: impl PgExecutor<'_>,
    id: UserId,
    github_id: i64,
    github_login: &str,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "update users set github_id = $2, github_login = $3
         where id = $1 and (github_id is null or github_id = $2)
           and not exists (select 1 from users other where other.github_id = $2 and other.id <> $1)",
    )
    .bind(id.0)
    .bind(github_id)
    .bind(github_login)
    .execute(db)
    .await;
    match done {
        Ok(done) => Ok(done.rows_affected() == 1),
        // two links of the same identity at once: the unique key decides
        Err(sqlx::Error::Database(e)) if e.constraint() == Some("users_github_id_key") => Ok(false),
        Err(e) => Err(e),
    }
}

/// Keeps the shown login current (GitHub logins can be renamed and reused).
pub async fn set_github_login(
    db: impl PgExecutor<'_>,
    id: UserId,
    login: &str,
) -> sqlx::Result<()> {
    sqlx::query("update users set github_login = $2 where id = $1 and github_id is not null")
        .bind(id.0)
        .bind(login)
        .execute(db)
        .await?;
    Ok(())
}

pub async fn unlink_github(db: impl PgExecutor<'_>, id: UserId) -> sqlx::Result<()> {
    sqlx::query("update users set github_id = null, github_login = null where id = $1")
        .bind(id.0)
        .execute(db)
        .await?;
    Ok(())
}

/// Disables the account (S16): no sign-in by any method, and every session
/// ends at once (the epoch moves on). False when it was disabled already.
pub async fn disable(db: impl PgExecutor<'_>, id: UserId, by: UserId) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "update users set disabled_at = now(), disabled_by = $2, session_epoch = session_epoch + 1
         where id = $1 and disabled_at is null",
    )
    .bind(id.0)
    .bind(by.0)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Lets a disabled account sign in again. False when it was not disabled.
pub async fn enable(db: impl PgExecutor<'_>, id: UserId) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "update users set disabled_at = null, disabled_by = null where id = $1 and disabled_at is not null",
    )
    .bind(id.0)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Deletes the account; its memberships, sessions and codes go with it.
/// Audit events keep the address (`actor_email`), not the id. Its
/// unfinished chunked uploads go to the multipart journal first, so the
/// hourly clean-up aborts them in S3 (their rows go with the account).
pub async fn delete(db: &mut sqlx::PgConnection, id: UserId, email: &str) -> sqlx::Result<()> {
    for sql in [
        "insert into multipart_uploads (upload_id, bucket_id, key, started_at)
         select s3_upload_id, bucket_id, key, started_at from resumable_uploads
         where user_id = $1 and completed_at is null
         on conflict (upload_id) do nothing",
        "delete from login_codes where email = $2",
        "delete from login_failures where email = $2",
        "delete from login_lockouts where email = $2",
        "delete from users where id = $1",
    ] {
        sqlx::query(sql)
            .bind(id.0)
            .bind(email)
            .execute(&mut *db)
            .await?;
    }
    Ok(())
}

/// Names of the workspaces where the person is the only owner.
pub async fn workspaces_solely_owned(
    db: impl PgExecutor<'_>,
    id: UserId,
) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar(
        "select w.name from workspaces w join workspace_members m on m.workspace_id = w.id
         where m.user_id = $1 and m.role = 'owner'
           and (select count(*) from workspace_members o where o.workspace_id = w.id and o.role = 'owner') = 1
         order by lower(w.name)",
    )
    .bind(id.0)
    .fetch_all(db)
    .await
}

/// Every account, by email.
pub async fn list(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<User>> {
    sqlx::query_as(&format!("select {COLUMNS} from users u order by email"))
        .fetch_all(db)
        .await
}
