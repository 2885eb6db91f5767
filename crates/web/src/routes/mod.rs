//! One module per resource, each with a `router()`; merged here.

mod account;
mod admin;
mod audit;
mod buckets;
mod files;
mod github;
mod health;
mod invites;
mod links;
mod members;
mod public_links;
mod sign_in;
mod workspaces;

use crate::{AppError, AppState, static_files};
use axum::Router;

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(health::router())
        .merge(sign_in::router())
        .merge(github::router())
        .merge(account::router())
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
}

/// Routes that move large bodies or take long: no request timeout, no form
/// body limit (each bounds itself).
pub fn transfers() -> Router<AppState> {
    files::transfers().merge(public_links::transfers())
}
