//! One module per resource, each with a `router()`; merged here.

mod account;
mod health;
mod sign_in;

use crate::{AppError, AppState, static_files};
use axum::Router;

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(health::router())
        .merge(sign_in::router())
        .merge(account::router())
        .merge(static_files::router())
        .fallback(|| async { AppError::NotFound })
}
