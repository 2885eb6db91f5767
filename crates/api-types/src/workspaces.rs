//! Workspaces and their buckets: listing, naming, connecting and settings.

use serde::{Deserialize, Serialize};

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
    /// Members must use a second factor or single sign-on here (tokens
    /// made without one are refused with `second_factor_required`).
    #[serde(default)]
    pub require_second_factor: bool,
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
    /// Your role on the whole bucket; with only folders, the highest of
    /// their roles.
    pub role: String,
    /// Your roles on folders of it. When `whole_bucket` is false these
    /// folders are all you reach: the bucket opens at them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub folders: Vec<FolderAccess>,
    /// You hold a role on the whole bucket (not only on folders).
    #[serde(default = "yes")]
    pub whole_bucket: bool,
}

fn yes() -> bool {
    true
}

/// A role on one folder of a bucket.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FolderAccess {
    /// The folder's path, ending in `/`.
    pub folder: String,
    /// `viewer` or `editor`.
    pub role: String,
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
    /// With `secret_access_key`: the key bucketdesk signs with.
    #[serde(default)]
    pub access_key_id: String,
    /// Stored sealed; never shown again.
    #[serde(default)]
    pub secret_access_key: String,
    /// Instead of a key: an IAM role bucketdesk assumes with the
    /// workspace's external id (when the server has an AWS identity).
    #[serde(default)]
    pub role_arn: String,
    /// Where browsers reach the service when it is not at `endpoint_url`
    /// (a compose service name, a private network): presigned URLs are
    /// signed for it. Empty: at `endpoint_url`.
    #[serde(default)]
    pub public_endpoint_url: String,
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
    /// Where browsers reach the storage service, for presigned URLs (the
    /// server keeps using the bucket's endpoint): absent keeps it, `""`
    /// clears it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_endpoint_url: Option<String>,
    /// Downloads, previews and link visits stream through bucketdesk (Range
    /// requests passed on) instead of going to presigned URLs; absent keeps it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxy_downloads: Option<bool>,
}

/// One CORS rule of a bucket, in the JSON shape S3 consoles and the AWS CLI take.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase")]
pub struct CorsRule {
    #[serde(rename = "ID", default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub allowed_headers: Vec<String>,
    pub allowed_methods: Vec<String>,
    pub allowed_origins: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub expose_headers: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_age_seconds: Option<i32>,
}

/// `GET .../buckets/{bucket}/direct-uploads`: whether browsers send upload
/// parts straight to the bucket, and whether its CORS rules let them.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DirectUploads {
    /// Whether direct uploads are on.
    pub direct_uploads: bool,
    /// bucketdesk's origin, which browsers send the parts from.
    pub origin: String,
    /// Whether the bucket's CORS rules let browsers on `origin` send parts.
    pub cors_allows: bool,
    /// The bucket's CORS rules; absent when the service keeps none per
    /// bucket (MinIO: its server-wide setting decides).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cors_rules: Option<Vec<CorsRule>>,
    /// The rules with the one bucketdesk needs added: what
    /// `POST .../direct-uploads/cors` saves.
    pub proposed_rules: Vec<CorsRule>,
}

/// `PUT .../buckets/{bucket}/direct-uploads`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SetDirectUploads {
    /// On is refused (`422 cors_blocks`) while the CORS rules would block browsers.
    pub direct_uploads: bool,
}
