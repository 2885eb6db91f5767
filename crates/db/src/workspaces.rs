//! Workspaces and their members.

use bucketdesk_domain::{Role, UserId, WorkspaceId};
use sqlx::PgExecutor;
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Workspace {
    pub id: Uuid,
    pub name: String,
    pub created_at: OffsetDateTime,
}

impl Workspace {
    pub fn workspace_id(&self) -> WorkspaceId {
        WorkspaceId(self.id)
    }
}

/// A workspace as one member sees it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Membership {
    // named apart from the user's columns, which share a row in `access`
    #[sqlx(rename = "workspace_id")]
    pub id: Uuid,
    pub name: String,
    #[sqlx(rename = "workspace_created_at")]
    pub created_at: OffsetDateTime,
    pub role: String,
    /// Members must use a second factor or single sign-on.
    pub require_second_factor: bool,
}

impl Membership {
    pub fn role(&self) -> Role {
        self.role.parse().unwrap_or(Role::Viewer)
    }
}

/// Creates a workspace with `owner` as its owner.
pub async fn create(
    db: &mut sqlx::PgConnection,
    name: &str,
    owner: UserId,
) -> sqlx::Result<Workspace> {
    let workspace: Workspace = sqlx::query_as(
        "insert into workspaces (name, created_by) values ($1, $2) returning id, name, created_at",
    )
    .bind(name)
    .bind(owner.0)
    .fetch_one(&mut *db)
    .await?;
    sqlx::query(
        "insert into workspace_members (workspace_id, user_id, role) values ($1, $2, 'owner')",
    )
    .bind(workspace.id)
    .bind(owner.0)
    .execute(&mut *db)
    .await?;
    Ok(workspace)
}

pub async fn rename(db: impl PgExecutor<'_>, id: WorkspaceId, name: &str) -> sqlx::Result<()> {
    sqlx::query("update workspaces set name = $2 where id = $1")
        .bind(id.0)
        .bind(name)
        .execute(db)
        .await?;
    Ok(())
}

/// Deletes the workspace with everything in it: its buckets (their stored
/// secrets first, explicitly), members, invitations and links. Audit events
/// stay, without the workspace. Returns the ids of the buckets that went.
pub async fn delete(db: &mut sqlx::PgConnection, id: WorkspaceId) -> sqlx::Result<Vec<Uuid>> {
    let buckets: Vec<Uuid> =
        sqlx::query_scalar("select id from buckets where workspace_id = $1 for update")
            .bind(id.0)
            .fetch_all(&mut *db)
            .await?;
    sqlx::query("delete from bucket_secrets where bucket_id = any($1)")
        .bind(&buckets)
        .execute(&mut *db)
        .await?;
    sqlx::query("delete from workspaces where id = $1")
        .bind(id.0)
        .execute(&mut *db)
        .await?;
    Ok(buckets)
}

/// A workspace as one of its members sees it, for queries that name the
/// tables `workspace_members m` and `workspaces w`.
pub(crate) const MEMBERSHIP_COLUMNS: &str = "w.id as workspace_id, w.name, \
        w.created_at as workspace_created_at, m.role, w.require_second_factor";

/// The workspaces a person belongs to, with their role, by name.
pub async fn list_for_user(db: impl PgExecutor<'_>, user: UserId) -> sqlx::Result<Vec<Membership>> {
    sqlx::query_as(&format!(
        "select {MEMBERSHIP_COLUMNS}
         from workspace_members m join workspaces w on w.id = m.workspace_id
         where m.user_id = $1 order by lower(w.name), w.created_at"
    ))
    .bind(user.0)
    .fetch_all(db)
    .await
}

/// Everyone who owns the workspace (they own each bucket connected in it).
pub async fn owners(db: impl PgExecutor<'_>, id: WorkspaceId) -> sqlx::Result<Vec<Uuid>> {
    sqlx::query_scalar(
        "select user_id from workspace_members where workspace_id = $1 and role = 'owner'",
    )
    .bind(id.0)
    .fetch_all(db)
    .await
}

/// The external id the workspace's role trust policies ask for.
pub async fn external_id(db: impl PgExecutor<'_>, id: WorkspaceId) -> sqlx::Result<String> {
    sqlx::query_scalar("select external_id from workspaces where id = $1")
        .bind(id.0)
        .fetch_one(db)
        .await
}
