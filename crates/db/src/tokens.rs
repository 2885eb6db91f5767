//! Personal access tokens (migration 0013): stored as the SHA-256 of the
//! token, with a short prefix to recognise it by.

use crate::users::{self, User};
use bucketdesk_domain::UserId;
use sqlx::FromRow;
use sqlx::PgExecutor;
use sqlx::postgres::PgRow;
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AccessToken {
    #[sqlx(rename = "token_id")]
    pub id: Uuid,
    pub user_id: Uuid,
    pub name: String,
    pub prefix: String,
    pub scopes: Vec<String>,
    #[sqlx(rename = "token_created_at")]
    pub created_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
    pub last_used_at: Option<OffsetDateTime>,
    pub last_used_ip: Option<String>,
    pub revoked_at: Option<OffsetDateTime>,
    /// Made in a session that passed a second factor or single sign-on.
    pub strong: bool,
}

/// A token's columns, for queries that name the table `access_tokens t`.
const COLUMNS: &str = "t.id as token_id, t.user_id, t.name, t.prefix, t.scopes, \
                       t.created_at as token_created_at, t.expires_at, t.last_used_at, \
                       t.last_used_ip, t.revoked_at, t.strong";

pub struct NewToken<'a> {
    pub id: Uuid,
    pub user: UserId,
    pub name: &'a str,
    pub hash: &'a [u8],
    pub prefix: &'a str,
    pub scopes: &'a [String],
    pub expires_at: OffsetDateTime,
    pub strong: bool,
}

pub async fn create(db: impl PgExecutor<'_>, token: &NewToken<'_>) -> sqlx::Result<AccessToken> {
    sqlx::query_as(&format!(
        "insert into access_tokens as t (id, user_id, name, token_hash, prefix, scopes, expires_at, strong)
         values ($1, $2, $3, $4, $5, $6, $7, $8)
         returning {COLUMNS}"
    ))
    .bind(token.id)
    .bind(token.user.0)
    .bind(token.name)
    .bind(token.hash)
    .bind(token.prefix)
    .bind(token.scopes)
    .bind(token.expires_at)
    .bind(token.strong)
    .fetch_one(db)
    .await
}

/// A user's tokens, newest first: those in use, then the revoked and
/// expired ones of the last 30 days.
pub async fn of_user(db: impl PgExecutor<'_>, user: UserId) -> sqlx::Result<Vec<AccessToken>> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from access_tokens t
         where t.user_id = $1
           and coalesce(t.revoked_at, least(t.expires_at, now())) > now() - interval '30 days'
         order by t.created_at desc"
    ))
    .bind(user.0)
    .fetch_all(db)
    .await
}

/// The token with this hash, while it is neither revoked nor expired, and
/// its owner while the account is enabled, in one statement that also notes
/// the use from `ip` (written at most once a minute per address: a write on
/// every API call would cost more than the call).
pub async fn authenticate(
    db: impl PgExecutor<'_>,
    hash: &[u8],
    ip: &str,
) -> sqlx::Result<Option<(AccessToken, User)>> {
    let row: Option<PgRow> = sqlx::query(&format!(
        "with found as (
             select {COLUMNS}, {} from access_tokens t join users u on u.id = t.user_id
             where t.token_hash = $1 and t.revoked_at is null and t.expires_at > now()
               and u.disabled_at is null
         ), noted as (
             update access_tokens set last_used_at = now(), last_used_ip = $2
             where id = (select token_id from found)
               and (last_used_at is null or last_used_at < now() - interval '1 minute'
                    or last_used_ip is distinct from $2)
         )
         select * from found",
        users::COLUMNS
    ))
    .bind(hash)
    .bind(ip)
    .fetch_optional(db)
    .await?;
    row.map(|row| Ok((AccessToken::from_row(&row)?, User::from_row(&row)?)))
        .transpose()
}

/// Revokes one of the user's tokens; `None` when they have no such token in use.
pub async fn revoke(
    db: impl PgExecutor<'_>,
    user: UserId,
    id: Uuid,
) -> sqlx::Result<Option<AccessToken>> {
    sqlx::query_as(&format!(
        "update access_tokens t set revoked_at = now()
         where t.id = $1 and t.user_id = $2 and t.revoked_at is null
         returning {COLUMNS}"
    ))
    .bind(id)
    .bind(user.0)
    .fetch_optional(db)
    .await
}
