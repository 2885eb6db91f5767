//! The bucketdesk web application: one [`AppState`], a router per resource
//! under `routes/`, extractors that make authentication impossible to forget
//! under `extract/`, and the middleware every request passes through.

mod actions;
mod api;
mod app;
mod arrival_mails;
mod code_mail;
mod csv;
mod error;
pub mod extract;
mod form_problem;
pub mod github_oauth;
mod invite_mail;
pub mod links;
mod metrics;
mod middleware;
pub mod oidc;
mod pages;
mod routes;
mod server;
pub mod session;
mod session_store;
mod sidebar;
mod state;
mod static_files;
mod upload_headers;

pub use api::openapi_document;
pub use app::{MigrateError, build_app, build_router, clean_up, migrate};
pub use error::{AppError, Result};
pub use metrics::serve_metrics;
pub use server::serve;
pub use state::{AppState, Settings};
