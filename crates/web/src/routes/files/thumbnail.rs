//! A listing's thumbnail of an image file, made by the core
//! (`bucketdesk_core::thumbnails`: bounded memory, a few at a time). Its
//! address carries the file's version, so the viewer's browser keeps it for
//! a day without asking again; nothing is stored anywhere else.

use super::object::KeyQuery;
use super::q;
use crate::extract::BucketAccess;
use crate::{AppState, Result};
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bucketdesk_core::{CoreError, thumbnails};
use bucketdesk_domain::object::file_name;

/// The address of a file's thumbnail, when it gets one; its version (the
/// file's time and size) lets the browser keep it as long as the file is
/// unchanged.
pub(super) fn thumbnail_href(
    base: &str,
    key: &str,
    size: i64,
    modified: Option<time::OffsetDateTime>,
) -> Option<String> {
    thumbnails::can_make(file_name(key), size).then(|| {
        let version = modified.map_or(0, |t| t.unix_timestamp());
        format!("{base}/thumbnail?key={}&v={version}-{size}", q(key))
    })
}

pub async fn thumbnail(
    State(state): State<AppState>,
    access: BucketAccess,
    Query(query): Query<KeyQuery>,
) -> Result<Response> {
    let made = state
        .thumbnails
        .make(&state.s3_clients, &access.grant, &query.key)
        .await;
    let thumbnail = match made {
        Ok(thumbnail) => thumbnail,
        // not a picture, too large, damaged: the page shows the file's icon instead
        Err(CoreError::Invalid(_)) => return Ok(StatusCode::UNPROCESSABLE_ENTITY.into_response()),
        Err(other) => return Err(other.into()),
    };
    let mut response = thumbnail.bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(thumbnail.content_type),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=86400"),
    );
    Ok(response)
}
