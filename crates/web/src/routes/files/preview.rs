//! A file's preview on bucketdesk's own address, for buckets in proxy mode
//! (browsers cannot reach their storage): `GET …/preview?key=` streams the
//! file as the safe type its preview shows, with `Range` passed on to S3 so
//! a video seeks (`206 Partial Content`). Served so it can run nothing:
//! `nosniff`, and a policy that allows no script and only this site to frame it.

use super::object::KeyQuery;
use crate::extract::BucketAccess;
use crate::{AppState, Result};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bucketdesk_core::files;

pub async fn preview(
    State(state): State<AppState>,
    access: BucketAccess,
    Query(query): Query<KeyQuery>,
    headers: HeaderMap,
) -> Result<Response> {
    let range = headers.get(header::RANGE).and_then(|v| v.to_str().ok());
    let bytes = files::preview_bytes(&state.s3_clients, &access.grant, &query.key, range).await?;
    let status = if bytes.content_range.is_some() {
        StatusCode::PARTIAL_CONTENT
    } else {
        StatusCode::OK
    };
    let mut response = (status, axum::body::Body::from_stream(bytes.stream)).into_response();
    let out = response.headers_mut();
    out.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(bytes.content_type),
    );
    out.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    if let Some(length) = bytes.length {
        out.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    }
    if let Some(range) = bytes
        .content_range
        .and_then(|r| HeaderValue::from_str(&r).ok())
    {
        out.insert(header::CONTENT_RANGE, range);
    }
    if let Ok(disposition) = HeaderValue::from_str(&bytes.disposition) {
        out.insert(header::CONTENT_DISPOSITION, disposition);
    }
    out.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; frame-ancestors 'self'; sandbox"),
    );
    out.insert(
        header::X_FRAME_OPTIONS,
        HeaderValue::from_static("SAMEORIGIN"),
    );
    out.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=300"),
    );
    Ok(response)
}
