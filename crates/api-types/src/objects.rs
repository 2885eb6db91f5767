//! A bucket's files: pages of a folder, details, uploads, folders, moves, deletes and presigned URLs.

use serde::{Deserialize, Serialize};

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

/// `POST .../uploads`: a file to upload a chunk at a time (or to resume:
/// the same key, size and last-modified time as an unfinished upload of
/// yours continues it).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewChunkedUpload {
    pub key: String,
    /// The file's size in bytes.
    pub size: u64,
    /// The file's last-modified time, in milliseconds since 1970; with the
    /// key and size it recognises the same file when it is sent again.
    #[serde(default)]
    pub last_modified: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// Replace a file of that name (else `409 exists`).
    #[serde(default)]
    pub overwrite: bool,
}

/// An upload under way, sent a chunk at a time: chunk `n` (from 1) is bytes
/// `(n-1) × part_size` up to `n × part_size` of the file (the last is shorter).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChunkedUpload {
    pub id: String,
    pub key: String,
    pub size: u64,
    pub last_modified: i64,
    pub part_size: u64,
    pub part_count: u32,
    /// The chunks that arrived, by number.
    pub landed: Vec<u32>,
    /// Their bytes.
    pub landed_bytes: u64,
    /// The bucket takes the chunks directly: send each to the URL from
    /// `POST .../uploads/{upload}/chunks/{n}/url` (a chunk sent to
    /// bucketdesk instead still counts).
    #[serde(default)]
    pub direct: bool,
}

/// `POST .../uploads/{upload}/chunks/{number}/url`: where to `PUT` one
/// chunk of a direct upload, straight to the bucket.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PartUrl {
    /// A presigned `UploadPart` URL for exactly this chunk of this upload.
    pub url: String,
    /// The chunk's exact length in bytes.
    pub length: u64,
    /// Seconds the URL works for.
    pub expires_in: u64,
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
    /// Shorter than asked for: the bucket is reached through an IAM role,
    /// and a presigned URL cannot outlive the role session that signed it.
    #[serde(default)]
    pub capped: bool,
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
