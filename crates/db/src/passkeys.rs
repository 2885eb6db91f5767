//! Passkeys: WebAuthn credentials tied to accounts.

use crate::users::{COLUMNS, User};
use bucketdesk_domain::UserId;
use sqlx::PgExecutor;
use time::OffsetDateTime;
use uuid::Uuid;

/// A passkey as its owner's page lists it (the credential itself stays in
/// the database).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PasskeyInfo {
    pub id: Uuid,
    pub name: String,
    pub created_at: OffsetDateTime,
    pub last_used_at: Option<OffsetDateTime>,
}

/// A stored passkey: its id and the credential as JSON.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StoredPasskey {
    pub id: Uuid,
    pub passkey: serde_json::Value,
}

pub async fn of_user(db: impl PgExecutor<'_>, user: UserId) -> sqlx::Result<Vec<PasskeyInfo>> {
    sqlx::query_as(
        "select id, name, created_at, last_used_at from passkeys
         where user_id = $1 order by created_at",
    )
    .bind(user.0)
    .fetch_all(db)
    .await
}

/// The credentials of the account's passkeys.
pub async fn credentials_of(
    db: impl PgExecutor<'_>,
    user: UserId,
) -> sqlx::Result<Vec<StoredPasskey>> {
    sqlx::query_as("select id, passkey from passkeys where user_id = $1 order by created_at")
        .bind(user.0)
        .fetch_all(db)
        .await
}

/// The passkey with this credential id, when it belongs to `user`, with
/// the (enabled) account.
pub async fn find(
    db: impl PgExecutor<'_>,
    user: UserId,
    credential_id: &[u8],
) -> sqlx::Result<Option<(StoredPasskey, User)>> {
    use sqlx::{FromRow, Row};
    let row = sqlx::query(&format!(
        "select p.id as passkey_id, p.passkey, {COLUMNS}
         from passkeys p join users u on u.id = p.user_id
         where p.credential_id = $1 and p.user_id = $2 and u.disabled_at is null"
    ))
    .bind(credential_id)
    .bind(user.0)
    .fetch_optional(db)
    .await?;
    row.map(|row| {
        let stored = StoredPasskey {
            id: row.try_get("passkey_id")?,
            passkey: row.try_get("passkey")?,
        };
        Ok((stored, User::from_row(&row)?))
    })
    .transpose()
}

/// Saves a new passkey; false when its credential is registered already
/// (to anyone). The account has a second factor from then on.
pub async fn add(
    db: &mut sqlx::PgConnection,
    user: UserId,
    id: Uuid,
    credential_id: &[u8],
    name: &str,
    passkey: &serde_json::Value,
) -> sqlx::Result<bool> {
    let added = sqlx::query(
        "insert into passkeys (id, user_id, credential_id, name, passkey)
         values ($1, $2, $3, $4, $5) on conflict (credential_id) do nothing",
    )
    .bind(id)
    .bind(user.0)
    .bind(credential_id)
    .bind(name)
    .bind(passkey)
    .execute(&mut *db)
    .await?
    .rows_affected()
        == 1;
    if added {
        crate::second_factor::update_flag(&mut *db, user).await?;
    }
    Ok(added)
}

/// Writes down a use (and the credential's new counter).
pub async fn used(
    db: impl PgExecutor<'_>,
    id: Uuid,
    passkey: &serde_json::Value,
) -> sqlx::Result<()> {
    sqlx::query("update passkeys set passkey = $2, last_used_at = now() where id = $1")
        .bind(id)
        .bind(passkey)
        .execute(db)
        .await?;
    Ok(())
}

/// Renames one of the user's passkeys; false when they have no such one.
pub async fn rename(
    db: impl PgExecutor<'_>,
    user: UserId,
    id: Uuid,
    name: &str,
) -> sqlx::Result<bool> {
    let done = sqlx::query("update passkeys set name = $3 where id = $1 and user_id = $2")
        .bind(id)
        .bind(user.0)
        .bind(name)
        .execute(db)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Removes one of the user's passkeys; its name, or `None` when they have
/// no such one.
pub async fn remove(
    db: &mut sqlx::PgConnection,
    user: UserId,
    id: Uuid,
) -> sqlx::Result<Option<String>> {
    let name: Option<String> =
        sqlx::query_scalar("delete from passkeys where id = $1 and user_id = $2 returning name")
            .bind(id)
            .bind(user.0)
            .fetch_optional(&mut *db)
            .await?;
    if name.is_some() {
        crate::second_factor::forget_recovery_codes_without_factor(&mut *db, user).await?;
    }
    Ok(name)
}
