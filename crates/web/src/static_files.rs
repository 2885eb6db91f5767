//! The CSS, JavaScript and icons in `static/`, compiled into the binary so a
//! deployment is one file. Served under `/static/`, cacheable for a day.

use crate::AppState;
use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;

const CACHE: &str = "public, max-age=86400";

macro_rules! asset {
    ($file:literal, $mime:literal) => {
        get(|| async {
            (
                [
                    (header::CONTENT_TYPE, $mime),
                    (header::CACHE_CONTROL, CACHE),
                ],
                include_bytes!(concat!("../../../static/", $file)).as_slice(),
            )
                .into_response()
        })
    };
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/static/app.css",
            asset!("app.css", "text/css; charset=utf-8"),
        )
        .route(
            "/static/app.js",
            asset!("app.js", "text/javascript; charset=utf-8"),
        )
        .route(
            "/static/theme.js",
            asset!("theme.js", "text/javascript; charset=utf-8"),
        )
        .route(
            "/static/favicon.svg",
            asset!("favicon.svg", "image/svg+xml"),
        )
        .route("/favicon.ico", asset!("favicon.svg", "image/svg+xml"))
}
