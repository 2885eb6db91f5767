//! The bucketdesk web application: one [`AppState`], a router per resource
//! under `routes/`, extractors that make authentication impossible to forget
//! under `extract/`, and the middleware every request passes through.

mod app;
mod error;
pub mod extract;
mod middleware;
mod pages;
mod routes;
pub mod session;
mod sign_in;
mod state;
mod static_files;

pub use app::{MigrateError, build_app, build_router, clean_up, migrate, serve};
pub use error::{AppError, Result};
pub use state::{AppState, Settings};
