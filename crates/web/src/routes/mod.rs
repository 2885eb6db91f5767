//! One module per resource, each with a `router()`; merged here.

mod account;
mod buckets;
mod health;
mod sign_in;
mod workspaces;

use crate::{AppError, AppState, static_files};
use axum::Router;

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(health::router())
        .merge(sign_in::router())
        .merge(account::router())
        .merge(workspaces::router())
        .merge(buckets::router())
        .merge(static_files::router())
        .fallback(|| async { AppError::NotFound })
}
