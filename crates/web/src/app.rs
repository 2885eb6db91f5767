//! The router with every layer, and serving it with graceful shutdown.

use crate::middleware::{csrf, database, headers, logging};
use crate::pages::fill_bare_errors;
use crate::{AppState, Settings, api, routes, session};
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{Extensions, HeaderMap, StatusCode, Version, header};
use axum::middleware::{from_fn_with_state, map_response};
use bucketdesk_db::PgPool;
use bucketdesk_mail::Mailer;
use bucketdesk_vault::InstanceKey;
use std::sync::Arc;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::predicate::{Predicate, SizeAbove};
use tower_http::timeout::TimeoutLayer;

/// Brings the database up to date: bucketdesk's migrations and the session table.
pub async fn migrate(db: &PgPool) -> Result<(), MigrateError> {
    bucketdesk_db::migrate(db)
        .await
        .map_err(MigrateError::Migrations)?;
    session::migrate(&session::SessionStore::new(db.clone()))
        .await
        .map_err(MigrateError::Sessions)
}

#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    #[error("cannot apply the database migrations: {0}")]
    Migrations(#[from] sqlx::migrate::MigrateError),
    #[error("cannot create the session table: {0}")]
    Sessions(sqlx::Error),
}

/// The state and the router, ready to serve. The database must be migrated,
/// and this must be called within a Tokio runtime (it starts the audit writer).
pub fn build_app(
    db: PgPool,
    settings: Settings,
    mailer: Mailer,
    instance_key: Arc<InstanceKey>,
) -> (AppState, Router) {
    let state = AppState::new(db.clone(), settings, mailer, instance_key);
    let router = build_router(state.clone(), session::SessionStore::new(db));
    (state, router)
}

/// Deletes what has expired: sessions, and sign-in codes no rule needs any more.
pub async fn clean_up(state: &AppState) -> Result<(), sqlx::Error> {
    use tower_sessions::ExpiredDeletion;
    session::SessionStore::new(state.db.clone())
        .delete_expired()
        .await
        .map_err(|e| sqlx::Error::Protocol(e.to_string()))?;
    bucketdesk_db::login::delete_stale(&state.db).await?;
    bucketdesk_db::links::forget_old_password_failures(&state.db).await?;
    if let Some(retention) = state.settings.audit_retention {
        bucketdesk_db::audit::delete_older_than(&state.db, retention).await?;
    }
    bucketdesk_db::sessions::forget_old(&state.db, state.settings.session_absolute).await
}

/// gzip for what is text the app wrote (pages, CSS, JavaScript, JSON) and
/// worth it (over 1 KB); never for files handed over, which are streamed
/// as they are.
fn compression() -> tower_http::compression::CompressionLayer<impl Predicate> {
    let written_here = |_: StatusCode, _: Version, headers: &HeaderMap, _: &Extensions| {
        headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| {
                [
                    "text/html",
                    "text/css",
                    "text/javascript",
                    "application/json",
                ]
                .iter()
                .any(|kind| ct.starts_with(kind))
            })
    };
    tower_http::compression::CompressionLayer::new()
        .gzip(true)
        .compress_when(SizeAbove::new(1024).and(written_here))
}

/// The whole application. Layers run outside-in in the reverse order they are
/// listed: headers and error pages wrap everything, then logging, the
/// session and CSRF (pages only: the API at `/api/v1` reads no cookie);
/// pages, forms and the API's JSON also get a body limit and a timeout.
pub fn build_router(state: AppState, store: session::SessionStore) -> Router {
    let session_layer = session::layer(store, &state.settings);
    // pages and forms: small bodies, a time limit
    let timed = routes::router()
        .layer(DefaultBodyLimit::max(csrf::FORM_LIMIT))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            state.settings.request_timeout,
        ));
    // uploads stream for as long as they take, bounded by their own limits
    let pages = timed
        .merge(routes::transfers())
        .layer(from_fn_with_state(state.clone(), csrf::verify))
        .layer(axum::middleware::from_fn(crate::pages::with_top_bar))
        .layer(session_layer);
    // the JSON API reads no cookie: outside the session and CSRF layers
    let api = api::router(state.settings.request_timeout);
    pages
        .merge(api)
        // pages, styles, scripts and JSON go compressed to browsers that ask
        .layer(compression())
        .layer(from_fn_with_state(state.clone(), logging::log_request))
        .with_state(state.clone())
        .layer(map_response(fill_bare_errors))
        .layer(from_fn_with_state(state.clone(), database::gate))
        .layer(CatchPanicLayer::custom(|_| {
            crate::pages::ErrorPage::for_status(StatusCode::INTERNAL_SERVER_ERROR)
        }))
        .layer(from_fn_with_state(state, headers::security_headers))
}
