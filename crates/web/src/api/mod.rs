//! The JSON API, `/api/v1`: the same core operations as the pages, for
//! scripts and the command-line client, authenticated with personal access
//! tokens (`Authorization: Bearer bdk_...`). It sits outside the session
//! and CSRF layers: it reads no cookie.

mod auth;
mod changes;
mod error;
mod files;
mod links;
mod me;

use crate::AppState;
use axum::Router;
use axum::routing::{get, post};
pub use error::ApiError;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/me", get(me::me))
        .route("/api/v1/workspaces", get(me::workspaces))
        .route(
            "/api/v1/workspaces/{workspace}/buckets/{bucket}/objects",
            get(files::list).delete(changes::delete),
        )
        .route(
            "/api/v1/workspaces/{workspace}/buckets/{bucket}/folders",
            post(changes::create_folder),
        )
        .route(
            "/api/v1/workspaces/{workspace}/buckets/{bucket}/move",
            post(changes::rename),
        )
        .route(
            "/api/v1/workspaces/{workspace}/buckets/{bucket}/presign",
            post(files::presign),
        )
        .route(
            "/api/v1/workspaces/{workspace}/buckets/{bucket}/presign/batch",
            post(files::presign_batch),
        )
        .route(
            "/api/v1/workspaces/{workspace}/buckets/{bucket}/links",
            post(links::create),
        )
        .route("/api/v1/workspaces/{workspace}/links", get(links::list))
        .route(
            "/api/v1/workspaces/{workspace}/links/{link}",
            get(links::show),
        )
        .route(
            "/api/v1/workspaces/{workspace}/links/{link}/extend",
            post(links::extend),
        )
        .route(
            "/api/v1/workspaces/{workspace}/links/{link}/revoke",
            post(links::revoke),
        )
        .route("/api/v1", get(no_route).post(no_route))
        .route(
            "/api/v1/{*rest}",
            get(no_route).post(no_route).put(no_route).delete(no_route),
        )
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

/// A time as the API writes it: RFC 3339 in UTC, to the second.
fn rfc3339(at: time::OffsetDateTime) -> String {
    let at = at.replace_nanosecond(0).unwrap_or(at);
    at.to_offset(time::UtcOffset::UTC)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}
