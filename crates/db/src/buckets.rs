//! Connected buckets, their sealed secrets and who may use them.

use bucketdesk_domain::grants::Grants;
use bucketdesk_domain::{BucketId, Role, UserId, WorkspaceId};
use sqlx::PgExecutor;
use time::OffsetDateTime;
use uuid::Uuid;

/// A bucket's connection settings (everything but the secret).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Bucket {
    // named apart from the user's columns, which share a row in `access`
    #[sqlx(rename = "bucket_id")]
    pub id: Uuid,
    pub workspace_id: Uuid,
    pub display_name: String,
    pub bucket_name: String,
    pub region: String,
    pub endpoint_url: Option<String>,
    /// Where browsers reach the S3 service, for presigned URLs (none: `endpoint_url`).
    pub public_endpoint_url: Option<String>,
    /// Downloads and previews stream through bucketdesk (no presigned URL).
    pub proxy_downloads: bool,
    /// Browsers send upload parts straight to the bucket (its CORS rules allow it).
    pub direct_uploads: bool,
    pub path_style: bool,
    /// The stored key's id (none: the bucket is reached through `role_arn`).
    pub access_key_id: Option<String>,
    /// The IAM role bucketdesk assumes to reach the bucket (none: its key).
    pub role_arn: Option<String>,
    /// The kind of service it was connected as (`aws`, `minio`, `local`…).
    pub provider: String,
    #[sqlx(rename = "bucket_created_at")]
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

impl Bucket {
    pub fn bucket_id(&self) -> BucketId {
        BucketId(self.id)
    }
}

/// A bucket together with the caller's grants on it (the whole bucket,
/// folders in it, or both).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct BucketWithRole {
    #[sqlx(flatten)]
    pub bucket: Bucket,
    /// The role on the whole bucket.
    pub role: Option<String>,
    /// Granted folders, and their roles in the same order.
    pub folders: Option<Vec<String>>,
    pub folder_roles: Option<Vec<String>>,
    pub workspace_name: String,
    /// The workspace's members must use a second factor or single sign-on.
    pub require_second_factor: bool,
}

impl BucketWithRole {
    /// Where each of the caller's roles applies.
    pub fn grants(&self) -> Grants {
        Grants::from_columns(
            self.role.as_deref(),
            self.folders.as_deref().unwrap_or_default(),
            self.folder_roles.as_deref().unwrap_or_default(),
        )
    }

    /// The highest role the caller holds anywhere in the bucket (Admin and
    /// Owner only ever on the whole bucket).
    pub fn role(&self) -> Role {
        self.grants().highest().unwrap_or(Role::Viewer)
    }
}

/// The caller's grants on bucket `b` (the columns [`BucketWithRole`]
/// reads), for queries that name the table `buckets b`; `user` is the SQL
/// that names the person. Keep rows where [`HAS_GRANT`] holds.
pub(crate) fn grants_of(user: &str) -> String {
    format!(
        "left join bucket_members m on m.bucket_id = b.id and m.user_id = {user}
         left join lateral (
             select array_agg(f.folder order by f.folder) as folders,
                    array_agg(f.role order by f.folder) as folder_roles
             from folder_grants f where f.user_id = {user} and f.bucket_id = b.id) g on true"
    )
}

/// The grant columns [`grants_of`] joins.
pub(crate) const GRANT_COLUMNS: &str = "m.role, g.folders, g.folder_roles";

/// The person holds a role on the bucket or on a folder of it.
pub(crate) const HAS_GRANT: &str = "(m.role is not null or g.folders is not null)";

/// The stored, sealed secret of a bucket.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SealedSecret {
    pub bucket_id: Uuid,
    pub key_id: String,
    pub wrapped_key: Vec<u8>,
    pub nonce: Vec<u8>,
    pub ciphertext: Vec<u8>,
}

/// A bucket's columns, for queries that name the table `buckets b`.
pub(crate) const COLUMNS: &str = "b.id as bucket_id, b.workspace_id, b.display_name, b.bucket_name, \
                       b.region, b.endpoint_url, b.public_endpoint_url, b.proxy_downloads, b.direct_uploads, b.path_style, b.access_key_id, b.role_arn, b.provider, \
                       b.created_at as bucket_created_at, b.updated_at";

pub struct NewBucket<'a> {
    pub id: BucketId,
    pub workspace_id: WorkspaceId,
    pub display_name: &'a str,
    pub bucket_name: &'a str,
    pub region: &'a str,
    pub endpoint_url: Option<&'a str>,
    pub public_endpoint_url: Option<&'a str>,
    pub path_style: bool,
    /// Exactly one of `access_key_id` and `role_arn`.
    pub access_key_id: Option<&'a str>,
    pub role_arn: Option<&'a str>,
    pub provider: &'a str,
    pub created_by: UserId,
}

/// Inserts the bucket; every owner of the workspace becomes its owner.
pub async fn insert(db: &mut sqlx::PgConnection, new: &NewBucket<'_>) -> sqlx::Result<()> {
    sqlx::query(
        "insert into buckets (id, workspace_id, display_name, bucket_name, region, endpoint_url, path_style,
                              access_key_id, created_by, provider, public_endpoint_url, role_arn)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(new.id.0)
    .bind(new.workspace_id.0)
    .bind(new.display_name)
    .bind(new.bucket_name)
    .bind(new.region)
    .bind(new.endpoint_url)
    .bind(new.path_style)
    .bind(new.access_key_id)
    .bind(new.created_by.0)
    .bind(new.provider)
    .bind(new.public_endpoint_url)
    .bind(new.role_arn)
    .execute(&mut *db)
    .await?;
    sqlx::query(
        "insert into bucket_members (bucket_id, user_id, role)
         select $1, user_id, 'owner' from workspace_members where workspace_id = $2 and role = 'owner'",
    )
    .bind(new.id.0)
    .bind(new.workspace_id.0)
    .execute(&mut *db)
    .await?;
    Ok(())
}

/// Stores (or replaces) a bucket's sealed secret.
pub async fn store_secret(
    db: impl PgExecutor<'_>,
    bucket: BucketId,
    key_id: &str,
    wrapped_key: &[u8],
    nonce: &[u8],
    ciphertext: &[u8],
) -> sqlx::Result<()> {
    sqlx::query(
        "insert into bucket_secrets (bucket_id, key_id, wrapped_key, nonce, ciphertext)
         values ($1, $2, $3, $4, $5)
         on conflict (bucket_id) do update
         set key_id = excluded.key_id, wrapped_key = excluded.wrapped_key, nonce = excluded.nonce,
             ciphertext = excluded.ciphertext, updated_at = now()",
    )
    .bind(bucket.0)
    .bind(key_id)
    .bind(wrapped_key)
    .bind(nonce)
    .bind(ciphertext)
    .execute(db)
    .await?;
    Ok(())
}

pub async fn secret(
    db: impl PgExecutor<'_>,
    bucket: BucketId,
) -> sqlx::Result<Option<SealedSecret>> {
    sqlx::query_as(
        "select bucket_id, key_id, wrapped_key, nonce, ciphertext from bucket_secrets where bucket_id = $1",
    )
    .bind(bucket.0)
    .fetch_optional(db)
    .await
}

/// A bucket by id, whoever asks (background work such as the clean-up of
/// abandoned uploads; requests go through the access check).
pub async fn find(db: impl PgExecutor<'_>, bucket: BucketId) -> sqlx::Result<Option<Bucket>> {
    sqlx::query_as(&format!("select {COLUMNS} from buckets b where b.id = $1"))
        .bind(bucket.0)
        .fetch_optional(db)
        .await
}

/// Every bucket of a workspace, whoever has a role on it, by name.
pub async fn list_in_workspace(
    db: impl PgExecutor<'_>,
    workspace: WorkspaceId,
) -> sqlx::Result<Vec<Bucket>> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from buckets b where b.workspace_id = $1 order by lower(b.display_name)"
    ))
    .bind(workspace.0)
    .fetch_all(db)
    .await
}

/// The buckets of a workspace that `user` has a role on, by name.
pub async fn list_for_user(
    db: impl PgExecutor<'_>,
    workspace: WorkspaceId,
    user: UserId,
) -> sqlx::Result<Vec<BucketWithRole>> {
    sqlx::query_as(&format!(
        "select {COLUMNS}, {GRANT_COLUMNS}, w.name as workspace_name, w.require_second_factor
         from buckets b join workspaces w on w.id = b.workspace_id
         {grants}
         where b.workspace_id = $1 and {HAS_GRANT}
         order by lower(b.display_name)",
        grants = grants_of("$2")
    ))
    .bind(workspace.0)
    .bind(user.0)
    .fetch_all(db)
    .await
}

/// The buckets `user` has a role on in every workspace of theirs, by
/// workspace and name, in one query (the home page lists them all).
pub async fn list_everywhere_for_user(
    db: impl PgExecutor<'_>,
    user: UserId,
) -> sqlx::Result<Vec<BucketWithRole>> {
    sqlx::query_as(&format!(
        "select {COLUMNS}, {GRANT_COLUMNS}, w.name as workspace_name, w.require_second_factor
         from workspace_members wm
         join workspaces w on w.id = wm.workspace_id
         join buckets b on b.workspace_id = w.id
         {grants}
         where wm.user_id = $1 and {HAS_GRANT}
         order by b.workspace_id, lower(b.display_name)",
        grants = grants_of("$1")
    ))
    .bind(user.0)
    .fetch_all(db)
    .await
}

/// One line of the sidebar: a workspace of the person's, and one bucket of
/// it they have a role on (none for a workspace where they have none).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SidebarEntry {
    pub workspace_id: Uuid,
    pub workspace_name: String,
    pub bucket_id: Option<Uuid>,
    pub bucket_name: Option<String>,
}

/// Every workspace of `user` with the buckets they have a role on, by name,
/// in one query (it runs on every bucket page: both joins use the members'
/// `user_id` indexes).
pub async fn sidebar_for_user(
    db: impl PgExecutor<'_>,
    user: UserId,
) -> sqlx::Result<Vec<SidebarEntry>> {
    sqlx::query_as(
        "select w.id as workspace_id, w.name as workspace_name,
                b.id as bucket_id, b.display_name as bucket_name
         from workspace_members wm
         join workspaces w on w.id = wm.workspace_id
         left join buckets b on b.workspace_id = w.id
           and (exists (select 1 from bucket_members m where m.bucket_id = b.id and m.user_id = wm.user_id)
                or exists (select 1 from folder_grants f where f.user_id = wm.user_id and f.bucket_id = b.id))
         where wm.user_id = $1
         order by lower(w.name), w.created_at, lower(b.display_name), b.id",
    )
    .bind(user.0)
    .fetch_all(db)
    .await
}

/// A bucket of the given workspace with `user`'s role on it; none when the
/// bucket is elsewhere or the user has no role on it.
pub async fn find_for_user(
    db: impl PgExecutor<'_>,
    workspace: WorkspaceId,
    bucket: BucketId,
    user: UserId,
) -> sqlx::Result<Option<BucketWithRole>> {
    sqlx::query_as(&format!(
        "select {COLUMNS}, {GRANT_COLUMNS}, w.name as workspace_name, w.require_second_factor
         from buckets b join workspaces w on w.id = b.workspace_id
         {grants}
         where b.id = $1 and b.workspace_id = $2 and {HAS_GRANT}",
        grants = grants_of("$3")
    ))
    .bind(bucket.0)
    .bind(workspace.0)
    .bind(user.0)
    .fetch_optional(db)
    .await
}

/// Sets (or, with `None`, clears) the endpoint presigned URLs are made for.
pub async fn set_public_endpoint(
    db: impl PgExecutor<'_>,
    bucket: BucketId,
    url: Option<&str>,
) -> sqlx::Result<()> {
    sqlx::query("update buckets set public_endpoint_url = $2, updated_at = now() where id = $1")
        .bind(bucket.0)
        .bind(url)
        .execute(db)
        .await?;
    Ok(())
}

/// Whether downloads and previews stream through bucketdesk.
pub async fn set_proxy_downloads(
    db: impl PgExecutor<'_>,
    bucket: BucketId,
    proxy: bool,
) -> sqlx::Result<()> {
    sqlx::query("update buckets set proxy_downloads = $2, updated_at = now() where id = $1")
        .bind(bucket.0)
        .bind(proxy)
        .execute(db)
        .await?;
    Ok(())
}

/// Whether browsers send upload parts straight to the bucket.
pub async fn set_direct_uploads(
    db: impl PgExecutor<'_>,
    bucket: BucketId,
    direct: bool,
) -> sqlx::Result<()> {
    sqlx::query("update buckets set direct_uploads = $2, updated_at = now() where id = $1")
        .bind(bucket.0)
        .bind(direct)
        .execute(db)
        .await?;
    Ok(())
}

pub async fn rename(
    db: impl PgExecutor<'_>,
    bucket: BucketId,
    display_name: &str,
) -> sqlx::Result<()> {
    sqlx::query("update buckets set display_name = $2, updated_at = now() where id = $1")
        .bind(bucket.0)
        .bind(display_name)
        .execute(db)
        .await?;
    Ok(())
}

pub async fn set_access_key(
    db: impl PgExecutor<'_>,
    bucket: BucketId,
    access_key_id: &str,
    path_style: bool,
) -> sqlx::Result<()> {
    sqlx::query(
        "update buckets set access_key_id = $2, path_style = $3, updated_at = now() where id = $1",
    )
    .bind(bucket.0)
    .bind(access_key_id)
    .bind(path_style)
    .execute(db)
    .await?;
    Ok(())
}

/// Deletes the bucket connection; its secret and memberships go with it.
pub async fn delete(db: impl PgExecutor<'_>, bucket: BucketId) -> sqlx::Result<()> {
    sqlx::query("delete from buckets where id = $1")
        .bind(bucket.0)
        .execute(db)
        .await?;
    Ok(())
}

/// How many secrets each instance key protects.
pub async fn secrets_per_key(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<(String, i64)>> {
    sqlx::query_as("select key_id, count(*) from bucket_secrets group by key_id order by key_id")
        .fetch_all(db)
        .await
}

/// Every sealed secret, locked for update (key rotation).
pub async fn lock_all_secrets(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<SealedSecret>> {
    sqlx::query_as(
        "select bucket_id, key_id, wrapped_key, nonce, ciphertext from bucket_secrets
         order by bucket_id for update",
    )
    .fetch_all(db)
    .await
}

/// Replaces a secret's wrapped key (rotation: nonce and ciphertext stay).
pub async fn rewrap_secret(
    db: impl PgExecutor<'_>,
    bucket: Uuid,
    key_id: &str,
    wrapped_key: &[u8],
) -> sqlx::Result<()> {
    sqlx::query("update bucket_secrets set key_id = $2, wrapped_key = $3 where bucket_id = $1")
        .bind(bucket)
        .bind(key_id)
        .bind(wrapped_key)
        .execute(db)
        .await?;
    Ok(())
}

/// Whether `user` already has a role on a bucket called `bucket_name` at `endpoint`.
pub async fn user_has_bucket_at(
    db: impl PgExecutor<'_>,
    user: UserId,
    endpoint: &str,
    bucket_name: &str,
) -> sqlx::Result<bool> {
    sqlx::query_scalar(
        "select exists (select 1 from buckets b join bucket_members m on m.bucket_id = b.id
                        where m.user_id = $1 and b.endpoint_url = $2 and b.bucket_name = $3)",
    )
    .bind(user.0)
    .bind(endpoint)
    .bind(bucket_name)
    .fetch_one(db)
    .await
}
