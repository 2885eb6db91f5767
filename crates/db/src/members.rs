//! Who belongs to a workspace, and each person's role on each bucket.

use bucketdesk_domain::{BucketId, Role, UserId, WorkspaceId};
use sqlx::PgExecutor;
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Member {
    pub user_id: Uuid,
    pub email: String,
    pub workspace_role: String,
    /// The account has a second factor (an authenticator app or a passkey).
    pub second_factor: bool,
}

impl Member {
    pub fn is_owner(&self) -> bool {
        self.workspace_role == "owner"
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct BucketRole {
    pub user_id: Uuid,
    pub bucket_id: Uuid,
    pub role: String,
}

impl BucketRole {
    pub fn role(&self) -> Role {
        self.role.parse().unwrap_or(Role::Viewer)
    }
}

pub async fn in_workspace(
    db: impl PgExecutor<'_>,
    workspace: WorkspaceId,
) -> sqlx::Result<Vec<Member>> {
    sqlx::query_as(
        "select m.user_id, u.email, m.role as workspace_role, u.second_factor
         from workspace_members m join users u on u.id = m.user_id
         where m.workspace_id = $1 order by (m.role = 'owner') desc, u.email",
    )
    .bind(workspace.0)
    .fetch_all(db)
    .await
}

pub async fn find(
    db: impl PgExecutor<'_>,
    workspace: WorkspaceId,
    user: UserId,
) -> sqlx::Result<Option<Member>> {
    sqlx::query_as(
        "select m.user_id, u.email, m.role as workspace_role, u.second_factor
         from workspace_members m join users u on u.id = m.user_id
         where m.workspace_id = $1 and m.user_id = $2",
    )
    .bind(workspace.0)
    .bind(user.0)
    .fetch_optional(db)
    .await
}

pub async fn bucket_roles_in_workspace(
    db: impl PgExecutor<'_>,
    workspace: WorkspaceId,
) -> sqlx::Result<Vec<BucketRole>> {
    sqlx::query_as(
        "select bm.user_id, bm.bucket_id, bm.role from bucket_members bm join buckets b on b.id = bm.bucket_id
         where b.workspace_id = $1",
    )
    .bind(workspace.0)
    .fetch_all(db)
    .await
}

/// A person's role on one folder of a bucket.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FolderRole {
    pub user_id: Uuid,
    pub bucket_id: Uuid,
    pub folder: String,
    pub role: String,
}

impl FolderRole {
    pub fn role(&self) -> Role {
        self.role.parse().unwrap_or(Role::Viewer)
    }
}

/// Every folder grant on the buckets of a workspace, by folder.
pub async fn folder_roles_in_workspace(
    db: impl PgExecutor<'_>,
    workspace: WorkspaceId,
) -> sqlx::Result<Vec<FolderRole>> {
    sqlx::query_as(
        "select f.user_id, f.bucket_id, f.folder, f.role from folder_grants f join buckets b on b.id = f.bucket_id
         where b.workspace_id = $1 order by f.folder",
    )
    .bind(workspace.0)
    .fetch_all(db)
    .await
}

/// The person's role on exactly `folder` of a bucket.
pub async fn role_on_folder(
    db: impl PgExecutor<'_>,
    bucket: BucketId,
    user: UserId,
    folder: &str,
) -> sqlx::Result<Option<Role>> {
    let role: Option<String> = sqlx::query_scalar(
        "select role from folder_grants where bucket_id = $1 and user_id = $2 and folder = $3",
    )
    .bind(bucket.0)
    .bind(user.0)
    .bind(folder)
    .fetch_optional(db)
    .await?;
    Ok(role.and_then(|r| r.parse().ok()))
}

/// Gives the person `role` on `folder` of a bucket (replacing the role
/// they held there).
pub async fn set_folder_role(
    db: impl PgExecutor<'_>,
    bucket: BucketId,
    user: UserId,
    folder: &str,
    role: Role,
    added_by: Option<UserId>,
) -> sqlx::Result<()> {
    sqlx::query(
        "insert into folder_grants (bucket_id, user_id, folder, role, added_by) values ($1, $2, $3, $4, $5)
         on conflict (bucket_id, user_id, folder) do update set role = excluded.role",
    )
    .bind(bucket.0)
    .bind(user.0)
    .bind(folder)
    .bind(role.as_str())
    .bind(added_by.map(|u| u.0))
    .execute(db)
    .await?;
    Ok(())
}

/// Takes the person's role on `folder` of a bucket away; whether they held one.
pub async fn remove_from_folder(
    db: impl PgExecutor<'_>,
    bucket: BucketId,
    user: UserId,
    folder: &str,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "delete from folder_grants where bucket_id = $1 and user_id = $2 and folder = $3",
    )
    .bind(bucket.0)
    .bind(user.0)
    .bind(folder)
    .execute(db)
    .await?;
    Ok(done.rows_affected() > 0)
}

pub async fn role_on_bucket(
    db: impl PgExecutor<'_>,
    bucket: BucketId,
    user: UserId,
) -> sqlx::Result<Option<Role>> {
    let role: Option<String> =
        sqlx::query_scalar("select role from bucket_members where bucket_id = $1 and user_id = $2")
            .bind(bucket.0)
            .bind(user.0)
            .fetch_optional(db)
            .await?;
    Ok(role.and_then(|r| r.parse().ok()))
}

/// Makes the person a member of the workspace (as a plain member) if they are not yet.
pub async fn join_workspace(
    db: impl PgExecutor<'_>,
    workspace: WorkspaceId,
    user: UserId,
) -> sqlx::Result<()> {
    sqlx::query(
        "insert into workspace_members (workspace_id, user_id, role) values ($1, $2, 'viewer')
         on conflict (workspace_id, user_id) do nothing",
    )
    .bind(workspace.0)
    .bind(user.0)
    .execute(db)
    .await?;
    Ok(())
}

pub async fn set_bucket_role(
    db: impl PgExecutor<'_>,
    bucket: BucketId,
    user: UserId,
    role: Role,
) -> sqlx::Result<()> {
    sqlx::query(
        "insert into bucket_members (bucket_id, user_id, role) values ($1, $2, $3)
         on conflict (bucket_id, user_id) do update set role = excluded.role",
    )
    .bind(bucket.0)
    .bind(user.0)
    .bind(role.as_str())
    .execute(db)
    .await?;
    Ok(())
}

pub async fn remove_from_bucket(
    db: impl PgExecutor<'_>,
    bucket: BucketId,
    user: UserId,
) -> sqlx::Result<()> {
    sqlx::query("delete from bucket_members where bucket_id = $1 and user_id = $2")
        .bind(bucket.0)
        .bind(user.0)
        .execute(db)
        .await?;
    Ok(())
}

/// Removes the person from the workspace and every bucket in it.
pub async fn remove_from_workspace(
    db: &mut sqlx::PgConnection,
    workspace: WorkspaceId,
    user: UserId,
) -> sqlx::Result<()> {
    sqlx::query(
        "delete from bucket_members where user_id = $2 and bucket_id in (select id from buckets where workspace_id = $1)",
    )
    .bind(workspace.0)
    .bind(user.0)
    .execute(&mut *db)
    .await?;
    sqlx::query(
        "delete from folder_grants where user_id = $2 and bucket_id in (select id from buckets where workspace_id = $1)",
    )
    .bind(workspace.0)
    .bind(user.0)
    .execute(&mut *db)
    .await?;
    sqlx::query("delete from workspace_members where workspace_id = $1 and user_id = $2")
        .bind(workspace.0)
        .bind(user.0)
        .execute(&mut *db)
        .await?;
    Ok(())
}

/// Locks a bucket's memberships and counts its owners (for the last-owner rule).
pub async fn lock_bucket_owners(db: impl PgExecutor<'_>, bucket: BucketId) -> sqlx::Result<i64> {
    let owners: Vec<Uuid> = sqlx::query_scalar(
        "select user_id from bucket_members where bucket_id = $1 and role = 'owner' for update",
    )
    .bind(bucket.0)
    .fetch_all(db)
    .await?;
    Ok(owners.len() as i64)
}

/// Locks a workspace's memberships and counts its owners.
pub async fn lock_workspace_owners(
    db: impl PgExecutor<'_>,
    workspace: WorkspaceId,
) -> sqlx::Result<i64> {
    let owners: Vec<Uuid> = sqlx::query_scalar(
        "select user_id from workspace_members where workspace_id = $1 and role = 'owner' for update",
    )
    .bind(workspace.0)
    .fetch_all(db)
    .await?;
    Ok(owners.len() as i64)
}

/// Buckets of the workspace on which the person is the only owner.
pub async fn buckets_solely_owned_by(
    db: impl PgExecutor<'_>,
    workspace: WorkspaceId,
    user: UserId,
) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar(
        "select b.display_name from buckets b join bucket_members m on m.bucket_id = b.id
         where b.workspace_id = $1 and m.user_id = $2 and m.role = 'owner'
           and (select count(*) from bucket_members o where o.bucket_id = b.id and o.role = 'owner') = 1
         order by b.display_name",
    )
    .bind(workspace.0)
    .bind(user.0)
    .fetch_all(db)
    .await
}

/// Buckets, anywhere, of which the person is the only owner, as
/// "Workspace / Bucket".
pub async fn buckets_solely_owned_anywhere(
    db: impl PgExecutor<'_>,
    user: UserId,
) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar(
        "select w.name || ' / ' || b.display_name from buckets b
         join workspaces w on w.id = b.workspace_id
         join bucket_members m on m.bucket_id = b.id
         where m.user_id = $1 and m.role = 'owner'
           and (select count(*) from bucket_members o where o.bucket_id = b.id and o.role = 'owner') = 1
         order by 1",
    )
    .bind(user.0)
    .fetch_all(db)
    .await
}

/// Locks the owner rows of every workspace and bucket the person owns, so
/// the "only owner" counts hold until the transaction ends (as
/// `lock_workspace_owners` and `lock_bucket_owners` do for one).
pub async fn lock_owners_alongside(db: &mut sqlx::PgConnection, user: UserId) -> sqlx::Result<()> {
    sqlx::query(
        "select 1 from workspace_members where role = 'owner' and workspace_id in
           (select workspace_id from workspace_members where user_id = $1 and role = 'owner')
         for update",
    )
    .bind(user.0)
    .execute(&mut *db)
    .await?;
    sqlx::query(
        "select 1 from bucket_members where role = 'owner' and bucket_id in
           (select bucket_id from bucket_members where user_id = $1 and role = 'owner')
         for update",
    )
    .bind(user.0)
    .execute(&mut *db)
    .await?;
    Ok(())
}

/// Removes the person from every workspace and bucket (their account goes).
pub async fn remove_everywhere(db: &mut sqlx::PgConnection, user: UserId) -> sqlx::Result<()> {
    sqlx::query("delete from bucket_members where user_id = $1")
        .bind(user.0)
        .execute(&mut *db)
        .await?;
    sqlx::query("delete from folder_grants where user_id = $1")
        .bind(user.0)
        .execute(&mut *db)
        .await?;
    sqlx::query("delete from workspace_members where user_id = $1")
        .bind(user.0)
        .execute(&mut *db)
        .await?;
    Ok(())
}
