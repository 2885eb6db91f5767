//! Invitations: pending, accepted or cancelled; each with a role per bucket.

use bucketdesk_domain::{BucketId, Email, Role, UserId, WorkspaceId};
use sqlx::PgExecutor;
use std::time::Duration;
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Invite {
    pub id: Uuid,
    pub workspace_id: Uuid,
    pub workspace_name: String,
    pub email: String,
    pub invited_by_email: Option<String>,
    pub sent_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
    pub accepted_at: Option<OffsetDateTime>,
    pub cancelled_at: Option<OffsetDateTime>,
    /// `expires_at` has passed, by the database's clock.
    pub expired: bool,
}

/// A bucket an invite grants, with the role.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct InviteBucket {
    pub bucket_id: Uuid,
    pub display_name: String,
    pub role: String,
}

impl InviteBucket {
    pub fn role(&self) -> Role {
        self.role.parse().unwrap_or(Role::Viewer)
    }
}

const SELECT: &str = "select i.id, i.workspace_id, w.name as workspace_name, i.email, u.email as invited_by_email,
        i.sent_at, i.expires_at, i.accepted_at, i.cancelled_at, i.expires_at <= now() as expired
    from invites i join workspaces w on w.id = i.workspace_id left join users u on u.id = i.invited_by";

/// Serialises invitations of one address to one workspace until the
/// transaction ends (R6: the same invite sent 50 times at once is one invite).
pub async fn lock_address(
    db: impl PgExecutor<'_>,
    workspace: WorkspaceId,
    email: &Email,
) -> sqlx::Result<()> {
    sqlx::query("select pg_advisory_xact_lock(hashtextextended('bucketdesk invite ' || $1 || ' ' || $2, 0))")
        .bind(workspace.0.to_string())
        .bind(email.as_str())
        .execute(db)
        .await?;
    Ok(())
}

pub async fn pending_for(
    db: impl PgExecutor<'_>,
    workspace: WorkspaceId,
    email: &Email,
) -> sqlx::Result<Option<Invite>> {
    sqlx::query_as(&format!(
        "{SELECT} where i.workspace_id = $1 and i.email = $2 and i.accepted_at is null and i.cancelled_at is null"
    ))
    .bind(workspace.0)
    .bind(email.as_str())
    .fetch_optional(db)
    .await
}

/// Is an invitation to `email` waiting to be accepted (not expired)?
pub async fn is_pending_for_email(db: impl PgExecutor<'_>, email: &Email) -> sqlx::Result<bool> {
    sqlx::query_scalar(
        "select exists (select 1 from invites where email = $1 and accepted_at is null
             and cancelled_at is null and expires_at > now())",
    )
    .bind(email.as_str())
    .fetch_one(db)
    .await
}

pub async fn create(
    db: impl PgExecutor<'_>,
    workspace: WorkspaceId,
    email: &Email,
    token_hash: &[u8],
    invited_by: UserId,
    lifetime: Duration,
) -> sqlx::Result<Uuid> {
    sqlx::query_scalar(
        "insert into invites (workspace_id, email, token_hash, invited_by, expires_at)
         values ($1, $2, $3, $4, now() + make_interval(secs => $5)) returning id",
    )
    .bind(workspace.0)
    .bind(email.as_str())
    .bind(token_hash)
    .bind(invited_by.0)
    .bind(lifetime.as_secs_f64())
    .fetch_one(db)
    .await
}

/// A new token (the old link dies) and a new expiry.
pub async fn replace_token(
    db: impl PgExecutor<'_>,
    id: Uuid,
    token_hash: &[u8],
    lifetime: Duration,
) -> sqlx::Result<()> {
    sqlx::query(
        "update invites set token_hash = $2, sent_at = now(), expires_at = now() + make_interval(secs => $3)
         where id = $1",
    )
    .bind(id)
    .bind(token_hash)
    .bind(lifetime.as_secs_f64())
    .execute(db)
    .await?;
    Ok(())
}

pub async fn set_buckets(
    db: &mut sqlx::PgConnection,
    id: Uuid,
    roles: &[(BucketId, Role)],
) -> sqlx::Result<()> {
    sqlx::query("delete from invite_buckets where invite_id = $1")
        .bind(id)
        .execute(&mut *db)
        .await?;
    for (bucket, role) in roles {
        sqlx::query("insert into invite_buckets (invite_id, bucket_id, role) values ($1, $2, $3)")
            .bind(id)
            .bind(bucket.0)
            .bind(role.as_str())
            .execute(&mut *db)
            .await?;
    }
    Ok(())
}

pub async fn buckets_of(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<Vec<InviteBucket>> {
    sqlx::query_as(
        "select ib.bucket_id, b.display_name, ib.role from invite_buckets ib join buckets b on b.id = ib.bucket_id
         where ib.invite_id = $1 order by lower(b.display_name)",
    )
    .bind(id)
    .fetch_all(db)
    .await
}

pub async fn find_by_token_hash(
    db: impl PgExecutor<'_>,
    token_hash: &[u8],
) -> sqlx::Result<Option<Invite>> {
    sqlx::query_as(&format!("{SELECT} where i.token_hash = $1"))
        .bind(token_hash)
        .fetch_optional(db)
        .await
}

/// Locks the invite row until the transaction ends (accepting is single use).
pub async fn lock(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<()> {
    sqlx::query("select 1 from invites where id = $1 for update")
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

pub async fn find_in_workspace(
    db: impl PgExecutor<'_>,
    workspace: WorkspaceId,
    id: Uuid,
) -> sqlx::Result<Option<Invite>> {
    sqlx::query_as(&format!("{SELECT} where i.workspace_id = $1 and i.id = $2"))
        .bind(workspace.0)
        .bind(id)
        .fetch_optional(db)
        .await
}

pub async fn mark_accepted(db: impl PgExecutor<'_>, id: Uuid, user: UserId) -> sqlx::Result<()> {
    sqlx::query("update invites set accepted_at = now(), accepted_by = $2 where id = $1")
        .bind(id)
        .bind(user.0)
        .execute(db)
        .await?;
    Ok(())
}

pub async fn cancel(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<()> {
    sqlx::query("update invites set cancelled_at = now() where id = $1 and accepted_at is null")
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

/// Invites not yet accepted or cancelled (expired ones included), newest first.
pub async fn pending_in_workspace(
    db: impl PgExecutor<'_>,
    workspace: WorkspaceId,
) -> sqlx::Result<Vec<Invite>> {
    sqlx::query_as(&format!(
        "{SELECT} where i.workspace_id = $1 and i.accepted_at is null and i.cancelled_at is null order by i.sent_at desc"
    ))
    .bind(workspace.0)
    .fetch_all(db)
    .await
}
