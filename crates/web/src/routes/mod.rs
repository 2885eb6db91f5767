//! One module per resource, each with a `router()`; merged here.

mod account;
mod account_security;
mod admin;
mod audit;
mod buckets;
mod files;
mod github;
mod health;
mod invites;
mod links;
mod members;
mod oauth_callback;
mod passkeys;
mod public_links;
pub(crate) mod second_factor;
pub(crate) mod sign_in;
mod sso;
mod tokens;
mod workspaces;

use crate::{AppError, AppState, static_files};
use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(health::router())
        .merge(sign_in::router())
        .merge(github::router())
        .merge(sso::router())
        .merge(account::router())
        .merge(account_security::router())
        .merge(second_factor::router())
        .merge(passkeys::router())
        .merge(tokens::router())
        .merge(workspaces::router())
        .merge(buckets::router())
        .merge(members::router())
        .merge(invites::router())
        .merge(admin::router())
        .merge(audit::router())
        .merge(files::router())
        .merge(links::router())
        .merge(public_links::router())
        .merge(static_files::router())
        .fallback(|| async { AppError::NotFound })
        .layer(axum::middleware::from_fn(
            crate::middleware::return_to::return_after_sign_in,
        ))
}

/// Routes that move large bodies or take long: no request timeout, no form
/// body limit (each bounds itself).
pub fn transfers() -> Router<AppState> {
    files::transfers().merge(public_links::transfers())
}

/// The HEAD answer of a GET route whose handler does something besides
/// answering (records a download, spends a one-time sign-in state): link
/// checkers and previews ask with HEAD, and that must not count as the
/// real thing. Such routes say `get(handler).head(head_without_effects)`.
pub(crate) async fn head_without_effects() -> Response {
    (StatusCode::METHOD_NOT_ALLOWED, [(header::ALLOW, "GET")]).into_response()
}
