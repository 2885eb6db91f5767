//! Members, their roles per bucket, and invitations.

use serde::{Deserialize, Serialize};

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
    /// The folder the role applies to (a path ending in `/`); absent: the
    /// whole bucket. A folder is given as `viewer` or `editor`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub folder: Option<String>,
    /// `viewer`, `editor`, `admin` or `owner`.
    pub role: String,
}

/// `PUT .../members/{member}/buckets/{bucket}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SetRole {
    /// `viewer`, `editor`, `admin` or `owner` (at most your own).
    pub role: String,
    /// Give the role on this folder of the bucket (a path like
    /// `clients/acme/`) instead of the whole bucket: `viewer` or `editor`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub folder: Option<String>,
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
