//! Identities from single sign-on providers, tied to accounts by the
//! provider's (issuer, subject).

use crate::users::{COLUMNS, User};
use bucketdesk_domain::UserId;
use sqlx::PgExecutor;
use time::OffsetDateTime;

/// An SSO identity tied to an account, as the account page lists it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SsoLink {
    pub provider: String,
    pub email: String,
    pub linked_at: OffsetDateTime,
    pub last_used_at: OffsetDateTime,
}

/// The account the identity (issuer, subject) is tied to, if any; its use
/// is written down (with the address the provider gives now).
pub async fn account_of(
    db: impl PgExecutor<'_>,
    issuer: &str,
    subject: &str,
    email: &str,
) -> sqlx::Result<Option<User>> {
    sqlx::query_as(&format!(
        "with used as (
           update sso_identities set last_used_at = now(), email = $3
           where issuer = $1 and subject = $2 returning user_id
         )
         select {COLUMNS} from users u join used on used.user_id = u.id"
    ))
    .bind(issuer)
    .bind(subject)
    .bind(email)
    .fetch_optional(db)
    .await
}

/// Ties the identity to the account; false when the identity is tied
/// already (to anyone).
pub async fn link(
    db: impl PgExecutor<'_>,
    user: UserId,
    provider: &str,
    issuer: &str,
    subject: &str,
    email: &str,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "insert into sso_identities (issuer, subject, user_id, provider, email)
         values ($1, $2, $3, $4, $5) on conflict do nothing",
    )
    .bind(issuer)
    .bind(subject)
    .bind(user.0)
    .bind(provider)
    .bind(email)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The SSO identities tied to the account.
pub async fn of_user(db: impl PgExecutor<'_>, user: UserId) -> sqlx::Result<Vec<SsoLink>> {
    sqlx::query_as(
        "select provider, email, linked_at, last_used_at from sso_identities
         where user_id = $1 order by linked_at",
    )
    .bind(user.0)
    .fetch_all(db)
    .await
}

/// Makes the account an instance admin or not, as the provider's claim
/// says (never taking it from the last admin); true when that changed
/// something.
pub async fn set_admin(db: impl PgExecutor<'_>, user: UserId, admin: bool) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "update users set is_admin = $2 where id = $1 and is_admin <> $2
           and ($2 or (select count(*) from users where is_admin) > 1)",
    )
    .bind(user.0)
    .bind(admin)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}
