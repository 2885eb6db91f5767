//! Second factors: an authenticator app's sealed secret, recovery codes
//! (hashed), wrong codes counted per account, and the workspace rule.

use bucketdesk_domain::{UserId, WorkspaceId};
use sqlx::PgExecutor;
use uuid::Uuid;

/// The account's authenticator app: its sealed secret and the newest step a
/// code was accepted for.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TotpFactor {
    pub secret_sealed: Vec<u8>,
    pub last_step: i64,
}

pub async fn totp_of(db: impl PgExecutor<'_>, user: UserId) -> sqlx::Result<Option<TotpFactor>> {
    sqlx::query_as("select secret_sealed, last_step from totp_factors where user_id = $1")
        .bind(user.0)
        .fetch_optional(db)
        .await
}

/// Saves the account's authenticator app (replacing one it had) and marks
/// the account as having a second factor. `step`: the step of the code that
/// proved the app works, spent already.
pub async fn save_totp(
    db: &mut sqlx::PgConnection,
    user: UserId,
    secret_sealed: &[u8],
    step: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "insert into totp_factors (user_id, secret_sealed, last_step) values ($1, $2, $3)
         on conflict (user_id) do update
           set secret_sealed = excluded.secret_sealed, last_step = excluded.last_step,
               created_at = now(), last_used_at = null",
    )
    .bind(user.0)
    .bind(secret_sealed)
    .bind(step)
    .execute(&mut *db)
    .await?;
    update_flag(&mut *db, user).await?;
    Ok(())
}

/// Sets `users.second_factor` from what the account has (an authenticator
/// app or a passkey); returns it.
pub async fn update_flag(db: &mut sqlx::PgConnection, user: UserId) -> sqlx::Result<bool> {
    sqlx::query_scalar(
        "update users set second_factor =
           exists (select 1 from totp_factors where user_id = $1)
           or exists (select 1 from passkeys where user_id = $1)
         where id = $1 returning second_factor",
    )
    .bind(user.0)
    .fetch_one(&mut *db)
    .await
}

/// Spends the code of `step`: true when no code of this step or a later one
/// was accepted before (one statement, so two requests with the same code
/// cannot both pass).
pub async fn spend_step(db: impl PgExecutor<'_>, user: UserId, step: i64) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "update totp_factors set last_step = $2, last_used_at = now()
         where user_id = $1 and last_step < $2",
    )
    .bind(user.0)
    .bind(step)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Removes the authenticator app, and the recovery codes when no passkey
/// is left either. False when there was no app.
pub async fn remove(db: &mut sqlx::PgConnection, user: UserId) -> sqlx::Result<bool> {
    let removed = sqlx::query("delete from totp_factors where user_id = $1")
        .bind(user.0)
        .execute(&mut *db)
        .await?
        .rows_affected();
    forget_recovery_codes_without_factor(db, user).await?;
    Ok(removed == 1)
}

/// Deletes the recovery codes of an account left without a second factor.
pub async fn forget_recovery_codes_without_factor(
    db: &mut sqlx::PgConnection,
    user: UserId,
) -> sqlx::Result<()> {
    if !update_flag(&mut *db, user).await? {
        sqlx::query("delete from recovery_codes where user_id = $1")
            .bind(user.0)
            .execute(&mut *db)
            .await?;
    }
    Ok(())
}

/// Replaces the account's recovery codes with these hashes.
pub async fn replace_recovery_codes(
    db: &mut sqlx::PgConnection,
    user: UserId,
    hashes: &[Vec<u8>],
) -> sqlx::Result<()> {
    sqlx::query("delete from recovery_codes where user_id = $1")
        .bind(user.0)
        .execute(&mut *db)
        .await?;
    sqlx::query(
        "insert into recovery_codes (user_id, code_hash)
         select $1, hash from unnest($2::bytea[]) as hash",
    )
    .bind(user.0)
    .bind(hashes)
    .execute(&mut *db)
    .await?;
    Ok(())
}

/// Spends the recovery code with this hash: true when it was unused.
pub async fn spend_recovery_code(
    db: impl PgExecutor<'_>,
    user: UserId,
    hash: &[u8],
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "update recovery_codes set used_at = now()
         where user_id = $1 and code_hash = $2 and used_at is null",
    )
    .bind(user.0)
    .bind(hash)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// How many recovery codes the account has left.
pub async fn recovery_codes_left(db: impl PgExecutor<'_>, user: UserId) -> sqlx::Result<i64> {
    sqlx::query_scalar("select count(*) from recovery_codes where user_id = $1 and used_at is null")
        .bind(user.0)
        .fetch_one(db)
        .await
}

/// Writes down a wrong code (and forgets those older than a day).
pub async fn record_failure(db: &mut sqlx::PgConnection, user: UserId) -> sqlx::Result<()> {
    sqlx::query(
        "delete from second_factor_failures where user_id = $1 and at < now() - interval '1 day'",
    )
    .bind(user.0)
    .execute(&mut *db)
    .await?;
    sqlx::query("insert into second_factor_failures (user_id) values ($1)")
        .bind(user.0)
        .execute(&mut *db)
        .await?;
    Ok(())
}

/// Wrong codes for the account in the last hour.
pub async fn recent_failures(db: impl PgExecutor<'_>, user: UserId) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "select count(*) from second_factor_failures
         where user_id = $1 and at > now() - interval '1 hour'",
    )
    .bind(user.0)
    .fetch_one(db)
    .await
}

/// Turns the workspace's rule on or off; false when it already was so.
pub async fn set_workspace_rule(
    db: impl PgExecutor<'_>,
    workspace: WorkspaceId,
    required: bool,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "update workspaces set require_second_factor = $2
         where id = $1 and require_second_factor <> $2",
    )
    .bind(workspace.0)
    .bind(required)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Every sealed secret, locked for `keys rotate`.
pub async fn lock_all_sealed(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<(Uuid, Vec<u8>)>> {
    sqlx::query_as("select user_id, secret_sealed from totp_factors for update")
        .fetch_all(db)
        .await
}

pub async fn set_sealed(db: impl PgExecutor<'_>, user: Uuid, sealed: &[u8]) -> sqlx::Result<()> {
    sqlx::query("update totp_factors set secret_sealed = $2 where user_id = $1")
        .bind(user)
        .bind(sealed)
        .execute(db)
        .await?;
    Ok(())
}
