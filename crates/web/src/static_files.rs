//! The CSS, JavaScript and icons in `static/`, compiled into the binary so a
//! deployment is one file. Served under `/static/`; pages name them with
//! `?v=` and a hash of their contents ([`version`]), so a browser keeps them
//! for a year and still fetches the new ones right after an upgrade. Without
//! the version they are cacheable for a day.

use crate::AppState;
use axum::Router;
use axum::extract::RawQuery;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;

const CACHE: &str = "public, max-age=86400";
/// For an address with the version: it never changes.
const CACHE_VERSIONED: &str = "public, max-age=31536000, immutable";

const APP_CSS: &[u8] = include_bytes!("../../../static/app.css");
const APP_JS: &[u8] = include_bytes!("../../../static/app.js");
const THEME_JS: &[u8] = include_bytes!("../../../static/theme.js");
const FAVICON: &[u8] = include_bytes!("../../../static/favicon.svg");

/// FNV-1a, at compile time.
const fn fnv(bytes: &[u8], mut hash: u64) -> u64 {
    let mut i = 0;
    while i < bytes.len() {
        hash ^= bytes[i] as u64;
        hash = hash.wrapping_mul(0x0100_0000_01b3);
        i += 1;
    }
    hash
}

const HASH: u64 = fnv(THEME_JS, fnv(APP_JS, fnv(APP_CSS, 0xcbf2_9ce4_8422_2325)));

/// The version of the stylesheet and scripts, for their addresses in pages
/// (`/static/app.css?v=…`): it changes whenever one of them does.
pub fn version() -> &'static str {
    static VERSION: std::sync::LazyLock<String> =
        std::sync::LazyLock::new(|| format!("{:012x}", HASH & 0xffff_ffff_ffff));
    &VERSION
}

macro_rules! asset {
    ($bytes:expr, $mime:literal) => {
        get(|RawQuery(query): RawQuery| async move {
            let cache = if query.is_some_and(|q| q.starts_with("v=")) {
                CACHE_VERSIONED
            } else {
                CACHE
            };
            (
                [
                    (header::CONTENT_TYPE, $mime),
                    (header::CACHE_CONTROL, cache),
                ],
                $bytes,
            )
                .into_response()
        })
    };
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/static/app.css",
            asset!(APP_CSS, "text/css; charset=utf-8"),
        )
        .route(
            "/static/app.js",
            asset!(APP_JS, "text/javascript; charset=utf-8"),
        )
        .route(
            "/static/theme.js",
            asset!(THEME_JS, "text/javascript; charset=utf-8"),
        )
        .route("/static/favicon.svg", asset!(FAVICON, "image/svg+xml"))
        .route("/favicon.ico", asset!(FAVICON, "image/svg+xml"))
}
