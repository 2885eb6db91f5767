//! Revocable download and upload links, their visits and arrivals.

use serde::{Deserialize, Serialize};

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
    /// Download links: mail the creator at the first download. Upload
    /// links: mail the creator when files arrive (at most one mail every 10
    /// minutes, listing what arrived).
    #[serde(default)]
    pub notify: bool,
    /// The networks it may be opened from: CIDR ranges or single
    /// addresses (none: from anywhere).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub networks: Vec<String>,
    /// The email addresses it is for: a visitor types one and the code
    /// mailed to it before the link opens (none: anyone with the link).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recipients: Vec<String>,
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
    /// The networks it opens from (none: anywhere).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub networks: Vec<String>,
    /// The addresses it is for (none: anyone with the link).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recipients: Vec<String>,
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
