//! A listing's thumbnail of an image file, made by the core
//! (`bucketdesk_core::thumbnails`: bounded memory, a few at a time). Its
//! address carries the file's version, so the viewer's browser keeps it for
//! a day without asking again; nothing is stored anywhere else.

use super::object::KeyQuery;
use crate::extract::BucketAccess;
use crate::{AppState, Result};
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bucketdesk_core::CoreError;

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
