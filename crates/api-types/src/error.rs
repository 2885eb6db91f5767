//! Every error of the API.

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
