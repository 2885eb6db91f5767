//! The one error type of the web layer and how each kind is shown.

use crate::pages::ErrorPage;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

pub type Result<T, E = AppError> = std::result::Result<T, E>;

#[derive(Debug, Clone, thiserror::Error)]
pub enum AppError {
    /// Not signed in (or the session ended): go to the sign-in page.
    #[error("not signed in")]
    Unauthorized,
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    #[error("not found")]
    NotFound,
    /// A share or upload link that does not exist (unknown, mistyped, truncated).
    #[error("no such link")]
    NoSuchLink,
    /// No role on the workspace or bucket in the path: never had one, or it
    /// was removed. The same page either way, so nothing leaks.
    #[error("no access")]
    NoAccess,
    /// The request itself is wrong; the message says how, in plain words.
    #[error("bad request: {0}")]
    BadRequest(String),
    /// A link that worked once and no longer does; the message says why.
    #[error("gone: {0}")]
    Gone(String),
    /// Too many attempts in a short time; the message says when to try again.
    #[error("too many attempts: {0}")]
    TooMany(String),
    /// The storage service refused or failed; the message says why in plain words.
    #[error("storage: {0}")]
    Storage(String),
    /// The database (or another service we need) cannot be reached right now.
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// The workspace (or the instance) asks for a second factor or single
    /// sign-on, and this sign-in has neither: the page that helps add one.
    #[error("a second factor is required")]
    SecondFactorRequired,
    /// A bug or an unexpected failure: logged, never shown.
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        if bucketdesk_db::is_unavailable(&e) {
            AppError::Unavailable(e.to_string())
        } else {
            AppError::Internal(e.to_string())
        }
    }
}

impl From<bucketdesk_core::CoreError> for AppError {
    fn from(e: bucketdesk_core::CoreError) -> Self {
        use bucketdesk_core::{CoreError, Denied};
        match e {
            CoreError::NoAccess => AppError::NoAccess,
            CoreError::Forbidden(Denied::BucketRole { .. }) => AppError::Forbidden(
                "Your role on this bucket does not allow this. Ask one of its owners.",
            ),
            CoreError::Forbidden(Denied::OutsideFolders) => AppError::Forbidden(
                "Your access to this bucket is limited to some of its folders, and this is outside them.",
            ),
            CoreError::Forbidden(Denied::WorkspaceRole { .. }) => AppError::Forbidden(
                "Your role in this workspace does not allow this. Ask one of its owners.",
            ),
            CoreError::Unauthenticated => AppError::Unauthorized,
            CoreError::NotFound => AppError::NotFound,
            CoreError::Conflict { message, .. } => AppError::BadRequest(message),
            CoreError::Invalid(problems) => AppError::BadRequest(
                problems
                    .into_iter()
                    .map(|problem| problem.message)
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
            CoreError::Storage(problem) => storage_error(problem),
            CoreError::TooLarge { limit } => AppError::BadRequest(too_large(limit)),
            CoreError::Forbidden(Denied::Outranked) => {
                AppError::Forbidden("That person has a higher role here than you.")
            }
            CoreError::Forbidden(Denied::AboveOwnRole { .. }) => {
                AppError::Forbidden("You can give at most your own role.")
            }
            CoreError::Forbidden(Denied::InstanceAdmin) => {
                AppError::Forbidden("Only the instance's admins may do this.")
            }
            CoreError::Forbidden(Denied::SecondFactor) => AppError::SecondFactorRequired,
            CoreError::Forbidden(Denied::Network) => AppError::Forbidden(
                "This link opens only from the networks the person who shared it chose, and yours is not one \
                 of them. Open it from the office network or VPN, or ask them to share it again.",
            ),
            CoreError::Forbidden(Denied::Scope { .. } | Denied::SessionOnly) => {
                AppError::Forbidden("Sign in with a browser to do this.")
            }
            CoreError::Gone(state) => AppError::Gone(state.refusal().to_owned()),
            CoreError::TooMany { retry_after } => AppError::TooMany(format!(
                "Too many attempts. Wait {} minutes, then try again.",
                retry_after.as_secs().div_ceil(60)
            )),
            CoreError::LinkOrphaned => AppError::Gone(
                bucketdesk_domain::link::LinkState::Orphaned
                    .refusal()
                    .to_owned(),
            ),
            CoreError::Unavailable(detail) => AppError::Unavailable(detail),
            CoreError::Internal(detail) => AppError::Internal(detail),
        }
    }
}

/// A storage failure as the page shows it.
pub(crate) fn storage_error(problem: bucketdesk_storage::ConnectError) -> AppError {
    match problem {
        bucketdesk_storage::ConnectError::NoSuchKey(key) if key.is_empty() => {
            AppError::BadRequest("That file or folder no longer exists.".into())
        }
        bucketdesk_storage::ConnectError::NoSuchKey(key) => {
            AppError::BadRequest(format!("\"{key}\" no longer exists."))
        }
        bucketdesk_storage::ConnectError::BadPageToken => AppError::BadRequest(problem.to_string()),
        other => AppError::Storage(other.to_string()),
    }
}

impl From<tower_sessions::session::Error> for AppError {
    // the session store is Postgres: when it fails, the database is the problem
    fn from(e: tower_sessions::session::Error) -> Self {
        AppError::Unavailable(format!("session store: {e}"))
    }
}

impl From<askama::Error> for AppError {
    fn from(e: askama::Error) -> Self {
        AppError::Internal(format!("template: {e}"))
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, title, message): (StatusCode, &str, String) = match self {
            AppError::Unauthorized => return Redirect::to("/login").into_response(),
            AppError::SecondFactorRequired => {
                return Redirect::to(crate::routes::second_factor::REQUIRED_PAGE).into_response();
            }
            AppError::Forbidden(why) => (StatusCode::FORBIDDEN, "Not allowed", why.to_owned()),
            AppError::NotFound => (
                StatusCode::NOT_FOUND,
                "Page not found",
                "There is nothing at this address. Check the link, or start again from the home page.".into(),
            ),
            AppError::NoSuchLink => (
                StatusCode::NOT_FOUND,
                "Link not found",
                "This link does not exist. Check that you copied all of it, or ask the person who \
                 shared it for a new one."
                    .into(),
            ),
            AppError::NoAccess => (
                StatusCode::NOT_FOUND,
                "No access",
                "This workspace or bucket does not exist, or you no longer have access to it. \
                 If you think you should, ask its owners."
                    .into(),
            ),
            AppError::BadRequest(why) => (StatusCode::BAD_REQUEST, "Something is wrong with that request", why),
            AppError::Gone(why) => (StatusCode::GONE, "This link no longer works", why),
            AppError::TooMany(why) => (StatusCode::TOO_MANY_REQUESTS, "Too many attempts", why),
            AppError::Storage(why) => (StatusCode::BAD_GATEWAY, "The storage service did not do that", why),
            AppError::Unavailable(detail) => {
                tracing::warn!(error = %detail, "service unavailable");
                let mut page = ErrorPage::response(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Temporarily unavailable",
                    "bucketdesk cannot reach its database right now. Try again in a moment.",
                );
                // the database gate answers the next requests at once
                page.extensions_mut()
                    .insert(crate::middleware::database::DatabaseUnavailable);
                return page;
            }
            AppError::Internal(detail) => {
                tracing::error!(error = %detail, "internal error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong",
                    "Something went wrong on our side. It has been logged; try again in a moment.".into(),
                )
            }
        };
        ErrorPage::response(status, title, &message)
    }
}

/// Why an upload larger than `limit` bytes was refused, in words.
pub(crate) fn too_large(limit: u64) -> String {
    format!("The file is larger than the {limit} bytes allowed. Nothing was saved.")
}
