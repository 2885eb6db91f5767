//! The JSON API, `/api/v1`: the same core operations as the pages, for
//! scripts and the command-line client, authenticated with personal access
//! tokens (`Authorization: Bearer bdk_...`). It sits outside the session
//! and CSRF layers: it reads no cookie.

mod admin;
mod audit;
mod auth;
mod buckets;
mod changes;
mod docs;
mod error;
mod files;
mod links;
mod me;
mod members;
mod openapi;
mod uploads;

use crate::AppState;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{StatusCode, header};
use axum::routing::get;
pub use error::ApiError;
use std::time::Duration;
use tower_http::timeout::TimeoutLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The largest JSON body the API reads (a batch of 1,000 keys fits).
const API_BODY_LIMIT: usize = 2 * 1024 * 1024;

pub fn router(request_timeout: Duration) -> Router<AppState> {
    let (router, document) = documented(request_timeout);
    let json = document.to_pretty_json().unwrap_or_default();
    let reference = docs::page(&document);
    router
        .route(
            "/api/v1/openapi.json",
            get(move || async move { ([(header::CONTENT_TYPE, "application/json")], json) }),
        )
        .route(
            "/api/docs",
            get(move || async move { axum::response::Html(reference) }),
        )
        .route("/api/v1", get(no_route).post(no_route))
        .route(
            "/api/v1/{*rest}",
            get(no_route).post(no_route).put(no_route).delete(no_route),
        )
        .method_not_allowed_fallback(method_not_allowed)
}

/// The API's OpenAPI document (also served at `/api/v1/openapi.json`).
pub fn openapi_document() -> utoipa::openapi::OpenApi {
    documented(Duration::from_secs(30)).1
}

/// The API's routes and the OpenAPI document that describes them, built
/// together from the handlers' `#[utoipa::path]` attributes.
fn documented(request_timeout: Duration) -> (Router<AppState>, utoipa::openapi::OpenApi) {
    // uploads stream for as long as they take, bounded by their own limits
    let transfers = OpenApiRouter::new()
        .routes(routes!(changes::upload))
        .routes(routes!(uploads::unfinished, uploads::start))
        .routes(routes!(uploads::chunk))
        .routes(routes!(uploads::part_url))
        .routes(routes!(uploads::complete))
        .routes(routes!(uploads::cancel));
    OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .routes(routes!(me::me))
        .routes(routes!(me::workspaces, me::create_workspace))
        .routes(routes!(me::rename_workspace))
        .routes(routes!(me::delete_workspace))
        .routes(routes!(me::tokens))
        .routes(routes!(me::revoke_token))
        .routes(routes!(buckets::connect))
        .routes(routes!(buckets::settings))
        .routes(routes!(buckets::disconnect))
        .routes(routes!(
            buckets::direct_uploads,
            buckets::set_direct_uploads
        ))
        .routes(routes!(buckets::apply_cors_rule))
        .routes(routes!(files::list, changes::delete))
        .routes(routes!(files::details))
        .routes(routes!(files::download))
        .routes(routes!(changes::create_folder))
        .routes(routes!(changes::rename))
        .routes(routes!(files::presign))
        .routes(routes!(files::presign_batch))
        .routes(routes!(links::create))
        .routes(routes!(links::list))
        .routes(routes!(links::show))
        .routes(routes!(links::extend))
        .routes(routes!(links::revoke))
        .routes(routes!(members::list))
        .routes(routes!(members::set_role, members::remove_role))
        .routes(routes!(members::remove))
        .routes(routes!(members::invitations, members::invite))
        .routes(routes!(members::resend))
        .routes(routes!(members::cancel))
        .routes(routes!(audit::list))
        .routes(routes!(admin::accounts))
        .routes(routes!(admin::sign_out_everywhere))
        .routes(routes!(admin::disable))
        .routes(routes!(admin::enable))
        .routes(routes!(admin::delete))
        // JSON: small bodies, a time limit
        .layer(DefaultBodyLimit::max(API_BODY_LIMIT))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            request_timeout,
        ))
        .merge(transfers)
        .split_for_parts()
}

/// The answer while the database is down (the database gate's, for the API).
pub(crate) fn unavailable() -> axum::response::Response {
    use axum::http::{HeaderValue, StatusCode, header};
    use axum::response::IntoResponse;
    let body = bucketdesk_api_types::ErrorBody {
        error: bucketdesk_api_types::Error {
            code: "unavailable".into(),
            message: "bucketdesk cannot reach its database right now. Try again in a moment."
                .into(),
            fields: Vec::new(),
        },
    };
    let mut response = (StatusCode::SERVICE_UNAVAILABLE, axum::Json(body)).into_response();
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
    response
}

async fn no_route() -> ApiError {
    ApiError::NoRoute
}

async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}

/// A time as the API writes it: RFC 3339 in UTC, to the second.
fn rfc3339(at: time::OffsetDateTime) -> String {
    let at = at.replace_nanosecond(0).unwrap_or(at);
    at.to_offset(time::UtcOffset::UTC)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}
