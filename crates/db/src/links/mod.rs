//! Revocable links (download links at `/s/…`, upload links at `/u/…`), the
//! files that arrived through upload links, and wrong-password counts.

mod arrivals;
mod passwords;

pub use arrivals::*;
use bucketdesk_domain::grants::Grants;
use bucketdesk_domain::link::{LinkState, is_plain_path};
use bucketdesk_domain::{BucketId, Role, UserId, WorkspaceId};
pub use passwords::*;
use sqlx::PgExecutor;
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkKind {
    Download,
    Upload,
}

impl LinkKind {
    fn as_str(self) -> &'static str {
        match self {
            LinkKind::Download => "download",
            LinkKind::Upload => "upload",
        }
    }
}

/// A link with what its pages need: its creator's address and current role
/// on the bucket, and how many files arrived (upload links).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Link {
    pub id: Uuid,
    kind: String,
    pub workspace_id: Uuid,
    /// `None` once the bucket is disconnected.
    pub bucket_id: Option<Uuid>,
    pub bucket_label: String,
    pub created_by: Option<Uuid>,
    pub creator_email: Option<String>,
    /// The creator's role on the whole bucket now, and on folders of it;
    /// none when their account is disabled.
    creator_role: Option<String>,
    creator_folders: Option<Vec<String>>,
    creator_folder_roles: Option<Vec<String>>,
    /// A shared folder, or the folder an upload link fills.
    pub folder: Option<String>,
    /// The shared files.
    pub keys: Vec<String>,
    pub note: String,
    pub password_hash: Option<String>,
    pub max_downloads: Option<i32>,
    pub downloads: i32,
    pub max_file_bytes: Option<i64>,
    pub max_files: Option<i32>,
    /// Files that arrived, and names reserved by uploads under way.
    pub files_taken: i64,
    pub notify_first_download: bool,
    /// Upload links: mail the creator when files arrive.
    pub notify_arrivals: bool,
    /// The networks it may be opened from (none: anywhere).
    pub networks: Vec<String>,
    /// The addresses it is for (none: anyone with the link).
    pub recipients: Vec<String>,
    pub created_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
    pub revoked_at: Option<OffsetDateTime>,
    pub last_visit_at: Option<OffsetDateTime>,
    pub token_sealed: Vec<u8>,
    /// `expires_at` has passed, by the database's clock.
    expired: bool,
}

impl Link {
    pub fn kind(&self) -> LinkKind {
        if self.kind == "upload" {
            LinkKind::Upload
        } else {
            LinkKind::Download
        }
    }

    pub fn bucket(&self) -> Option<BucketId> {
        self.bucket_id.map(BucketId)
    }

    pub fn creator(&self) -> Option<UserId> {
        self.created_by.map(UserId)
    }

    /// The role the creator must keep for the link to work.
    pub fn needed_role(&self) -> Role {
        match self.kind() {
            LinkKind::Download => Role::Viewer,
            LinkKind::Upload => Role::Editor,
        }
    }

    /// The role the creator holds now over everything the link reaches
    /// (the lowest where grants differ); none when they hold none there.
    pub fn creator_role(&self) -> Option<Role> {
        let grants = Grants::from_columns(
            self.creator_role.as_deref(),
            self.creator_folders.as_deref().unwrap_or_default(),
            self.creator_folder_roles.as_deref().unwrap_or_default(),
        );
        match &self.folder {
            Some(folder) => grants.role_at(folder),
            None if self.keys.is_empty() => None,
            None => self
                .keys
                .iter()
                .map(|key| grants.role_at(key))
                .min()
                .flatten(),
        }
    }

    pub fn state(&self) -> LinkState {
        let creator_role = self.creator_role();
        let used_up = match self.kind() {
            LinkKind::Download => self.max_downloads.is_some_and(|max| self.downloads >= max),
            LinkKind::Upload => self
                .max_files
                .is_some_and(|max| self.files_taken >= i64::from(max)),
        };
        if self.revoked_at.is_some() {
            LinkState::Revoked
        } else if self.expired {
            LinkState::Expired
        } else if self.bucket_id.is_none()
            || creator_role.is_none_or(|role| role < self.needed_role())
        {
            LinkState::Orphaned
        } else if used_up {
            LinkState::UsedUp
        } else {
            LinkState::Active
        }
    }

    /// May this key be downloaded through the link? A shared file must be
    /// one of its keys exactly; a file in a shared folder must lie below it
    /// with no `.`, `..` or empty parts, which some S3 services resolve and
    /// would lead outside the folder.
    pub fn covers(&self, key: &str) -> bool {
        match &self.folder {
            Some(folder) => {
                key.starts_with(folder.as_str())
                    && !key.ends_with('/')
                    && is_plain_path(&key[folder.len()..])
            }
            None => self.keys.iter().any(|k| k == key),
        }
    }
}

const SELECT: &str = "select l.id, l.kind, l.workspace_id, l.bucket_id, l.bucket_label, l.created_by,
        u.email as creator_email, case when u.disabled_at is null then m.role end as creator_role,
        case when u.disabled_at is null then g.folders end as creator_folders,
        g.folder_roles as creator_folder_roles, l.folder, l.keys, l.note, l.password_hash,
        l.max_downloads, l.downloads, l.max_file_bytes, l.max_files,
        (select count(*) from link_uploads lu where lu.link_id = l.id
            and (lu.finished_at is not null or lu.started_at > now() - interval '1 hour')) as files_taken,
        l.notify_first_download, l.notify_arrivals, l.networks, l.recipients, l.created_at, l.expires_at, l.revoked_at, l.last_visit_at,
        l.token_sealed, l.expires_at <= now() as expired
    from links l
    left join users u on u.id = l.created_by
    left join bucket_members m on m.bucket_id = l.bucket_id and m.user_id = l.created_by
    left join lateral (
        select array_agg(f.folder order by f.folder) as folders, array_agg(f.role order by f.folder) as folder_roles
        from folder_grants f where f.user_id = l.created_by and f.bucket_id = l.bucket_id) g on true";

/// Links `user` may manage in a workspace: their own, and every link on a
/// bucket where they are Admin or Owner.
const VISIBLE: &str = "l.workspace_id = $1 and (l.created_by = $2 or exists (
        select 1 from bucket_members am where am.bucket_id = l.bucket_id and am.user_id = $2
        and am.role in ('admin', 'owner')))";

pub struct NewLink<'a> {
    pub id: Uuid,
    pub kind: LinkKind,
    pub token_hash: &'a [u8],
    pub token_sealed: &'a [u8],
    pub workspace: WorkspaceId,
    pub bucket: BucketId,
    pub bucket_label: &'a str,
    pub created_by: UserId,
    pub folder: Option<&'a str>,
    pub keys: &'a [String],
    pub note: &'a str,
    pub password_hash: Option<&'a str>,
    pub max_downloads: Option<i32>,
    pub max_file_bytes: Option<i64>,
    pub max_files: Option<i32>,
    pub notify_first_download: bool,
    pub notify_arrivals: bool,
    pub networks: &'a [String],
    pub recipients: &'a [String],
    pub expires_at: OffsetDateTime,
}

pub async fn insert(db: impl PgExecutor<'_>, new: &NewLink<'_>) -> sqlx::Result<()> {
    sqlx::query(
        "insert into links (id, kind, token_hash, token_sealed, workspace_id, bucket_id, bucket_label,
            created_by, folder, keys, note, password_hash, max_downloads, max_file_bytes, max_files,
            notify_first_download, expires_at, networks, recipients, notify_arrivals)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)",
    )
    .bind(new.id)
    .bind(new.kind.as_str())
    .bind(new.token_hash)
    .bind(new.token_sealed)
    .bind(new.workspace.0)
    .bind(new.bucket.0)
    .bind(new.bucket_label)
    .bind(new.created_by.0)
    .bind(new.folder)
    .bind(new.keys)
    .bind(new.note)
    .bind(new.password_hash)
    .bind(new.max_downloads)
    .bind(new.max_file_bytes)
    .bind(new.max_files)
    .bind(new.notify_first_download)
    .bind(new.expires_at)
    .bind(new.networks)
    .bind(new.recipients)
    .bind(new.notify_arrivals)
    .execute(db)
    .await?;
    Ok(())
}

pub async fn find_by_token_hash(
    db: impl PgExecutor<'_>,
    hash: &[u8],
    kind: LinkKind,
) -> sqlx::Result<Option<Link>> {
    sqlx::query_as(&format!("{SELECT} where l.token_hash = $1 and l.kind = $2"))
        .bind(hash)
        .bind(kind.as_str())
        .fetch_optional(db)
        .await
}

/// A link by its id, whatever its state.
pub async fn find_by_id(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<Option<Link>> {
    sqlx::query_as(&format!("{SELECT} where l.id = $1"))
        .bind(id)
        .fetch_optional(db)
        .await
}

/// The links of a workspace `user` may manage, newest first.
pub async fn visible_to(
    db: impl PgExecutor<'_>,
    workspace: WorkspaceId,
    user: UserId,
    limit: i64,
) -> sqlx::Result<Vec<Link>> {
    sqlx::query_as(&format!(
        "{SELECT} where {VISIBLE} order by l.created_at desc, l.id limit $3"
    ))
    .bind(workspace.0)
    .bind(user.0)
    .bind(limit)
    .fetch_all(db)
    .await
}

/// The download links `user` may manage that share this file: by its key,
/// or by a folder it is in; newest first.
pub async fn sharing_key(
    db: impl PgExecutor<'_>,
    workspace: WorkspaceId,
    user: UserId,
    bucket: BucketId,
    key: &str,
    limit: i64,
) -> sqlx::Result<Vec<Link>> {
    sqlx::query_as(&format!(
        "{SELECT} where {VISIBLE} and l.bucket_id = $3 and l.kind = 'download'
           and ($4 = any(l.keys) or (l.folder is not null and starts_with($4, l.folder)))
         order by l.created_at desc, l.id limit $5"
    ))
    .bind(workspace.0)
    .bind(user.0)
    .bind(bucket.0)
    .bind(key)
    .bind(limit)
    .fetch_all(db)
    .await
}

/// One link of a workspace, if `user` may manage it.
pub async fn find_visible(
    db: impl PgExecutor<'_>,
    workspace: WorkspaceId,
    user: UserId,
    id: Uuid,
) -> sqlx::Result<Option<Link>> {
    sqlx::query_as(&format!("{SELECT} where {VISIBLE} and l.id = $3"))
        .bind(workspace.0)
        .bind(user.0)
        .bind(id)
        .fetch_optional(db)
        .await
}

/// Counts one download if the link still allows it, in one statement: not
/// revoked, not expired, under its limit, its creator still on the bucket.
/// Concurrent visits queue on the row and each re-checks the limit, so the
/// count is exact. Returns the new count, or `None` when refused.
pub async fn count_download(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<Option<i32>> {
    sqlx::query_scalar(
        "update links l set downloads = downloads + 1, last_visit_at = now()
         where l.id = $1 and l.kind = 'download' and l.revoked_at is null and l.expires_at > now()
           and (l.max_downloads is null or l.downloads < l.max_downloads)
           and exists (select 1 from users u where u.id = l.created_by and u.disabled_at is null
                       and (exists (select 1 from bucket_members m where m.bucket_id = l.bucket_id and m.user_id = u.id)
                            or exists (select 1 from folder_grants f where f.user_id = u.id and f.bucket_id = l.bucket_id)))
         returning l.downloads",
    )
    .bind(id)
    .fetch_optional(db)
    .await
}

/// Revokes a link for good; false when it was revoked already.
pub async fn revoke(db: impl PgExecutor<'_>, id: Uuid, by: UserId) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "update links set revoked_at = now(), revoked_by = $2 where id = $1 and revoked_at is null",
    )
    .bind(id)
    .bind(by.0)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Gives a link that is not revoked a new expiry.
pub async fn set_expiry(
    db: impl PgExecutor<'_>,
    id: Uuid,
    expires_at: OffsetDateTime,
) -> sqlx::Result<bool> {
    let done = sqlx::query("update links set expires_at = $2 where id = $1 and revoked_at is null")
        .bind(id)
        .bind(expires_at)
        .execute(db)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Every link's sealed token, locked until the transaction ends (key rotation).
pub async fn lock_all_sealed_tokens(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<(Uuid, Vec<u8>)>> {
    sqlx::query_as("select id, token_sealed from links order by id for update")
        .fetch_all(db)
        .await
}

pub async fn set_sealed_token(
    db: impl PgExecutor<'_>,
    id: Uuid,
    sealed: &[u8],
) -> sqlx::Result<()> {
    sqlx::query("update links set token_sealed = $2 where id = $1")
        .bind(id)
        .bind(sealed)
        .execute(db)
        .await?;
    Ok(())
}
