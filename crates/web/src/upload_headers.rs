//! What an upload's request headers say about its body, for the pages'
//! uploads and the API's.

use axum::http::{HeaderMap, header};

/// The type an uploaded body says it has (none for forms' `multipart/`).
pub(crate) fn body_content_type(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .filter(|ct| !ct.is_empty() && !ct.starts_with("multipart/"))
        .map(str::to_owned)
}

/// The length an uploaded body announces, if it does.
pub(crate) fn body_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
}
