//! The JSON of `/api/v1`, shared by the server (which writes it) and the
//! command-line client (which reads it). Times are RFC 3339 in UTC, sizes
//! are bytes, and every error is an [`ErrorBody`].

use serde::{Deserialize, Serialize};

/// Every error: `{"error": {"code", "message", "fields": [...]}}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    pub error: Error,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Error {
    /// Stable, for programs: `unauthenticated`, `not_found`, `forbidden`,
    /// `scope_missing`, `invalid`, `gone`, `rate_limited`, `storage_*`,
    /// `unavailable`, `internal`...
    pub code: String,
    /// For people.
    pub message: String,
    /// For `invalid`: each field that is wrong.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldError>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldError {
    pub field: String,
    pub code: String,
    pub message: String,
}

/// `GET /api/v1/me`: who the token acts for.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Me {
    pub id: String,
    pub email: String,
    pub token: TokenInfo,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TokenInfo {
    pub id: String,
    pub name: String,
    /// `bdk_` and four more characters: enough to recognise it.
    pub prefix: String,
    pub scopes: Vec<String>,
    pub expires_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_used_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_used_ip: Option<String>,
    /// Set once revoked: the token is refused from then on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<String>,
}

/// `GET /api/v1/tokens`: your personal access tokens (never their secret).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Tokens {
    pub tokens: Vec<TokenInfo>,
}

/// `GET /api/v1/workspaces`: the workspaces and buckets the token's owner
/// has a role on.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Workspaces {
    pub workspaces: Vec<Workspace>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Workspace {
    pub id: String,
    pub name: String,
    /// `viewer`, `editor`, `admin` or `owner`.
    pub role: String,
    pub buckets: Vec<Bucket>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Bucket {
    pub id: String,
    /// The name people gave it in bucketdesk.
    pub name: String,
    /// The S3 bucket's own name.
    pub bucket: String,
    pub role: String,
}

/// `GET .../objects`: one page of a folder.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ObjectPage {
    /// Full prefixes of the sub-folders, ending in `/`.
    pub folders: Vec<String>,
    pub files: Vec<Object>,
    /// Pass as `cursor` for the next page; absent on the last one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Object {
    pub key: String,
    pub size: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<String>,
}

/// `POST .../presign`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PresignRequest {
    pub key: String,
    /// `GET` (default) or `PUT` (Editors).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// Seconds, 1 to 604800; default 900.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_in: Option<u64>,
}

/// A presigned URL.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Presigned {
    pub key: String,
    pub url: String,
    pub method: String,
    pub expires_at: String,
    pub expires_in: u64,
}

/// `POST .../presign/batch`: presigned GETs for a list of keys or for every
/// file under a prefix (one of the two).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BatchPresignRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keys: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_in: Option<u64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BatchPresigned {
    pub links: Vec<Presigned>,
}

/// `POST .../folders`: a new (empty) folder; the key ends with `/`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FolderRequest {
    pub key: String,
}

/// `POST .../move`: a rename or move within the bucket; folders (keys
/// ending with `/`) move with everything in them.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MoveRequest {
    pub from: String,
    pub to: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Moved {
    pub from: String,
    pub to: String,
    /// How many objects moved.
    pub objects: usize,
}

/// `DELETE .../objects?key=`: a file, or a folder with everything in it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Deleted {
    pub key: String,
    /// How many objects were deleted.
    pub objects: usize,
}

/// `POST .../buckets/{bucket}/links`: a revocable download link (files by
/// name, or one folder) or an upload link (into a folder).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewLink {
    /// `download` (default) or `upload` (Editors).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Download links: the files to share (at most 1000).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keys: Vec<String>,
    /// A folder ending in `/` ("" is the whole bucket): shared by a download
    /// link, filled by an upload link.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub folder: Option<String>,
    /// Seconds from now; default 7 days (or the server's maximum if shorter).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_in: Option<u64>,
    /// At least 6 characters; visitors must type it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// Download links: how many downloads it allows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_downloads: Option<i32>,
    /// Upload links: how many files it accepts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_files: Option<i32>,
    /// Upload links: the largest file it accepts, in bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_file_bytes: Option<u64>,
    /// Shown to visitors; at most 500 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Download links: mail the creator at the first download.
    #[serde(default)]
    pub notify: bool,
}

/// A revocable link, as its creator (or the bucket's Admins) see it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Link {
    pub id: String,
    pub workspace_id: String,
    /// `download` or `upload`.
    pub kind: String,
    /// The address to send; absent when it can no longer be shown (made
    /// before the instance key was rotated).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// `active`, `expired`, `used_up`, `revoked` or `orphaned`.
    pub state: String,
    /// What it shares, in words.
    pub what: String,
    /// The bucket's name in bucketdesk.
    pub bucket: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bucket_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub folder: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keys: Vec<String>,
    pub note: String,
    pub password: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_downloads: Option<i32>,
    pub downloads: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_files: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_file_bytes: Option<i64>,
    /// Upload links: files that arrived (or are arriving).
    pub files: i64,
    pub notify: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    pub created_at: String,
    pub expires_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_visit_at: Option<String>,
}

/// `GET .../links`: the links the token's owner may manage, newest first.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Links {
    pub links: Vec<Link>,
}

/// `GET .../links/{link}`: a link with its visits and, for upload links,
/// the files that arrived.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LinkDetails {
    pub link: Link,
    pub visits: Vec<Visit>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub arrivals: Vec<Arrival>,
}

/// One use of a link (opened, downloaded, unlocked, refused...).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Visit {
    pub at: String,
    /// The audit action, e.g. `link_downloaded`.
    pub action: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
}

/// A file that arrived through an upload link.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Arrival {
    pub key: String,
    pub size: i64,
    pub at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
}

/// `POST .../links/{link}/extend`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExtendLink {
    /// Seconds from now.
    pub expires_in: u64,
}

/// `GET .../objects/details?key=`: one file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ObjectDetails {
    pub key: String,
    pub size: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    /// The object's user metadata (`x-amz-meta-*`), by name.
    #[serde(default)]
    pub metadata: std::collections::BTreeMap<String, String>,
}

/// `PUT .../upload?key=`: what was stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Uploaded {
    pub key: String,
    /// Bytes stored.
    pub size: u64,
}

/// `GET .../members`: the workspace's members and their roles per bucket.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Members {
    pub members: Vec<Member>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Member {
    pub id: String,
    pub email: String,
    /// `owner` or `member` of the workspace.
    pub workspace_role: String,
    pub buckets: Vec<BucketRole>,
}

/// A role on one bucket.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BucketRole {
    pub bucket_id: String,
    /// `viewer`, `editor`, `admin` or `owner`.
    pub role: String,
}

/// `PUT .../members/{member}/buckets/{bucket}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SetRole {
    /// `viewer`, `editor`, `admin` or `owner` (at most your own).
    pub role: String,
}

/// `POST .../invitations`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewInvitation {
    pub email: String,
    /// A role on each bucket offered (buckets you manage, at most your role).
    pub roles: Vec<BucketRole>,
}

/// What an invitation did.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InvitationSent {
    /// `sent` (a mail went out), `already_sent` (the same one moments ago)
    /// or `member_updated` (a member already: their roles were set).
    pub outcome: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invitation_id: Option<String>,
}

/// `GET .../invitations`: pending invitations (expired ones included).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Invitations {
    pub invitations: Vec<Invitation>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Invitation {
    pub id: String,
    pub email: String,
    pub roles: Vec<BucketRole>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invited_by: Option<String>,
    pub sent_at: String,
    pub expires_at: String,
    pub expired: bool,
}

/// `GET .../audit`: a page of the workspace's audit log, newest first.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditPage {
    pub events: Vec<AuditEvent>,
    /// Pass as `before` for the next (older) page; absent on the last.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_before: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditEvent {
    pub id: i64,
    pub at: String,
    /// Who acted (absent: someone with a link).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub person: Option<String>,
    /// A stable code, e.g. `link_created`, `file_uploaded`, `role_changed`.
    pub action: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bucket: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    /// What the event is about (keys, links, people, the token used).
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub details: serde_json::Value,
}

/// `POST /api/v1/workspaces` and `POST .../rename`: a workspace's name.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WorkspaceName {
    pub name: String,
}

/// `POST .../workspaces/{workspace}/buckets`: a bucket to connect, tested
/// before it is saved (Owners).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConnectBucket {
    /// Its name in bucketdesk.
    pub display_name: String,
    /// `aws` (default), `r2`, `minio`, `wasabi`, `b2`, `gcs`, `other`...
    #[serde(default)]
    pub provider: String,
    /// Cloudflare R2 only: the account id (for its endpoint).
    #[serde(default)]
    pub r2_account_id: String,
    /// The provider's default when empty.
    #[serde(default)]
    pub region: String,
    /// The provider's preset when empty.
    #[serde(default)]
    pub endpoint_url: String,
    /// The S3 bucket's name.
    pub bucket_name: String,
    /// `auto` (default), `path` or `virtual`.
    #[serde(default)]
    pub addressing: String,
    pub access_key_id: String,
    /// Stored sealed; never shown again.
    pub secret_access_key: String,
}

/// `POST .../buckets/{bucket}/settings`: a new name, and optionally a new
/// key pair (tested first; both change together or not at all).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BucketSettings {
    pub display_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_key_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_access_key: Option<String>,
}

/// `GET /api/v1/admin/users`: every account of the instance (instance admins).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Accounts {
    pub users: Vec<Account>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Account {
    pub id: String,
    pub email: String,
    pub is_admin: bool,
    pub created_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_sign_in_at: Option<String>,
    /// Set while the account is disabled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled_at: Option<String>,
}
