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
    /// The folder it grants ("": the whole bucket).
    pub folder: String,
    pub role: String,
}

impl InviteBucket {
    pub fn role(&self) -> Role {
        self.role.parse().unwrap_or(Role::Viewer)
    }

    /// The bucket's name, and the folder's path when it grants a folder.
    pub fn place(&self) -> String {
        if self.folder.is_empty() {
            self.display_name.clone()
        } else {
            format!("{} › {}", self.display_name, self.folder)
        }
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

/// A new token (the old link dies) and a new expiry, sent by `sender`, who
/// from now on answers for what it grants.
pub async fn replace_token(
    db: impl PgExecutor<'_>,
    id: Uuid,
    token_hash: &[u8],
    lifetime: Duration,
    sender: UserId,
) -> sqlx::Result<()> {
    sqlx::query(
        "update invites set token_hash = $2, sent_at = now(), expires_at = now() + make_interval(secs => $3),
                            invited_by = $4
         where id = $1",
    )
    .bind(id)
    .bind(token_hash)
    .bind(lifetime.as_secs_f64())
    .bind(sender.0)
    .execute(db)
    .await?;
    Ok(())
}

/// What the invitation grants: a role on each bucket, or on a folder of
/// it (`""`: the whole bucket).
pub async fn set_buckets(
    db: &mut sqlx::PgConnection,
    id: Uuid,
    roles: &[(BucketId, &str, Role)],
) -> sqlx::Result<()> {
    sqlx::query("delete from invite_buckets where invite_id = $1")
        .bind(id)
        .execute(&mut *db)
        .await?;
    for (bucket, folder, role) in roles {
        sqlx::query(
            "insert into invite_buckets (invite_id, bucket_id, folder, role) values ($1, $2, $3, $4)",
        )
        .bind(id)
        .bind(bucket.0)
        .bind(folder)
        .bind(role.as_str())
        .execute(&mut *db)
        .await?;
    }
    Ok(())
}

/// What one pending invitation of a workspace grants.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PendingGrant {
    pub invite_id: Uuid,
    #[sqlx(flatten)]
    pub bucket: InviteBucket,
}

/// What every pending invitation of a workspace grants, in one query (the
/// members page lists them all).
pub async fn pending_grants_in_workspace(
    db: impl PgExecutor<'_>,
    workspace: WorkspaceId,
) -> sqlx::Result<Vec<PendingGrant>> {
    sqlx::query_as(
        "select ib.invite_id, ib.bucket_id, b.display_name, ib.folder, ib.role
         from invites i join invite_buckets ib on ib.invite_id = i.id join buckets b on b.id = ib.bucket_id
         where i.workspace_id = $1 and i.accepted_at is null and i.cancelled_at is null
         order by lower(b.display_name), ib.folder",
    )
    .bind(workspace.0)
    .fetch_all(db)
    .await
}

pub async fn buckets_of(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<Vec<InviteBucket>> {
    sqlx::query_as(
        "select ib.bucket_id, b.display_name, ib.folder, ib.role from invite_buckets ib join buckets b on b.id = ib.bucket_id
         where ib.invite_id = $1 order by lower(b.display_name), ib.folder",
    )
    .bind(id)
    .fetch_all(db)
    .await
}

/// A bucket an invite grants, the role it grants, and the role its sender
/// holds on that bucket now (none when they hold none).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Grant {
    pub bucket_id: Uuid,
    /// "": the whole bucket.
    pub folder: String,
    pub role: String,
    pub sender_role: Option<String>,
}

impl Grant {
    pub fn role(&self) -> Role {
        self.role.parse().unwrap_or(Role::Viewer)
    }

    pub fn sender_role(&self) -> Option<Role> {
        self.sender_role.as_deref().and_then(|r| r.parse().ok())
    }
}

/// What an invite grants, with its sender's roles as they are now (S7: an
/// invitation never grants more than its sender may grant when it is
/// accepted; a disabled sender grants nothing).
pub async fn grants_with_sender_roles(
    db: impl PgExecutor<'_>,
    id: Uuid,
) -> sqlx::Result<Vec<Grant>> {
    sqlx::query_as(
        "select ib.bucket_id, ib.folder, ib.role, case when u.disabled_at is null then bm.role end as sender_role
         from invite_buckets ib join invites i on i.id = ib.invite_id
         left join users u on u.id = i.invited_by
         left join bucket_members bm on bm.bucket_id = ib.bucket_id and bm.user_id = i.invited_by
         where ib.invite_id = $1",
    )
    .bind(id)
    .fetch_all(db)
    .await
}

/// An invitation cancelled because its sender may no longer grant what it grants.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Withdrawn {
    pub id: Uuid,
    pub workspace_id: Uuid,
    pub email: String,
}

/// Cancels the pending invitations `sender` sent (in `workspace`, or in
/// every workspace) that grant a role their current roles no longer cover:
/// on a bucket where they are no longer Admin or Owner, or above their role
/// there (S7). Called in the transaction that removes or demotes them.
pub async fn cancel_uncovered(
    db: impl PgExecutor<'_>,
    workspace: Option<WorkspaceId>,
    sender: UserId,
) -> sqlx::Result<Vec<Withdrawn>> {
    sqlx::query_as(
        "with rank(role, n) as (values ('viewer', 1), ('editor', 2), ('admin', 3), ('owner', 4))
         update invites i set cancelled_at = now()
         where i.invited_by = $2 and ($1::uuid is null or i.workspace_id = $1)
           and i.accepted_at is null and i.cancelled_at is null
           and exists (
             select 1 from invite_buckets ib
             join rank granted on granted.role = ib.role
             left join bucket_members bm on bm.bucket_id = ib.bucket_id and bm.user_id = $2
             left join rank held on held.role = bm.role
             where ib.invite_id = i.id
               and (held.n is null or held.n < 3 or granted.n > held.n))
         returning i.id, i.workspace_id, i.email",
    )
    .bind(workspace.map(|w| w.0))
    .bind(sender.0)
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

/// Cancels every pending invitation of the address, in every workspace
/// (its account is deleted). Returns them.
pub async fn cancel_all_for_email(
    db: impl PgExecutor<'_>,
    email: &str,
) -> sqlx::Result<Vec<Withdrawn>> {
    sqlx::query_as(
        "update invites set cancelled_at = now()
         where email = $1 and accepted_at is null and cancelled_at is null
         returning id, workspace_id, email",
    )
    .bind(email)
    .fetch_all(db)
    .await
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
