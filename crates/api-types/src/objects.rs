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
