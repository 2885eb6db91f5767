//! The one error of the core. It says what went wrong as a kind and a
//! reason code, never as a sentence: each face (pages, API, CLI) words it
//! for its audience.

use bucketdesk_domain::{Role, Scope};

#[derive(Debug, Clone, thiserror::Error)]
pub enum CoreError {
    /// No role on the workspace or bucket asked for: never had one, it was
    /// removed, or it does not exist. One answer for all, so nothing leaks.
    #[error("no access")]
    NoAccess,
    /// No valid credentials: a missing, unknown, expired or revoked access
    /// token, or an account that was disabled.
    #[error("not authenticated")]
    Unauthenticated,
    /// A role that is too low for what was asked.
    #[error("forbidden: {0:?}")]
    Forbidden(Denied),
    /// A link that no longer works: revoked, expired or used up.
    #[error("gone: {0:?}")]
    Gone(bucketdesk_domain::link::LinkState),
    /// Too many attempts (wrong passwords); try again after `retry_after`.
    #[error("too many attempts")]
    TooMany { retry_after: std::time::Duration },
    /// A link whose creator no longer holds the role it needs, or whose
    /// bucket was disconnected.
    #[error("the link's creator or bucket is gone")]
    LinkOrphaned,
    /// The input is wrong; each problem names its field.
    #[error("invalid input: {0:?}")]
    Invalid(Vec<FieldError>),
    /// The change clashes with what is there (a name that is taken).
    #[error("conflict: {message}")]
    Conflict { code: &'static str, message: String },
    /// An upload larger than the instance allows (`limit` bytes).
    #[error("too large: more than {limit} bytes")]
    TooLarge { limit: u64 },
    /// Asked for something that does not exist (a key, a token).
    #[error("not found")]
    NotFound,
    /// The storage service refused or failed.
    #[error("storage: {0}")]
    Storage(bucketdesk_storage::ConnectError),
    /// The database cannot be reached right now.
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// A bug or an unexpected failure: logged, never shown.
    #[error("internal error: {0}")]
    Internal(String),
}

/// Why a request with a grant was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denied {
    /// The person's role on the bucket is below `needed`.
    BucketRole { needed: Role },
    /// The person's role in the workspace is below `needed`.
    WorkspaceRole { needed: Role },
    /// The access token's scopes do not include `needed`.
    Scope { needed: Scope },
    /// Only a person signed in with a browser may do this (not a token).
    SessionOnly,
    /// The person acted on has a higher role there than the actor.
    Outranked,
    /// A role above the actor's own (`own`) cannot be given.
    AboveOwnRole { own: Role },
    /// Only the instance's admins may do this (create workspaces, when the
    /// instance says so).
    InstanceAdmin,
    /// The workspace (or the instance) asks its members for a second factor
    /// or single sign-on, and this sign-in or token has neither.
    SecondFactor,
    /// A link limited to networks the visitor is not on.
    Network,
    /// The person holds roles only on some folders of the bucket, and the
    /// key or folder asked for is outside them.
    OutsideFolders,
}

impl From<sqlx::Error> for CoreError {
    fn from(e: sqlx::Error) -> Self {
        if bucketdesk_db::is_unavailable(&e) {
            CoreError::Unavailable(e.to_string())
        } else {
            CoreError::Internal(e.to_string())
        }
    }
}

/// One problem with one field of the input: a stable code for programs and
/// words for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: &'static str,
    pub code: &'static str,
    pub message: String,
}

impl CoreError {
    /// The input's `field` is wrong.
    pub fn invalid(
        field: &'static str,
        code: &'static str,
        message: impl Into<String>,
    ) -> CoreError {
        CoreError::Invalid(vec![FieldError {
            field,
            code,
            message: message.into(),
        }])
    }
}
