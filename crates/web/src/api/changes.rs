//! An Editor's changes through the API: an upload, a folder, a move, a delete.

use super::auth::ApiUser;
use super::error::ApiResult;
use super::files::grant;
use super::openapi::{BucketPath, Refusals, StorageRefusals};
use crate::AppState;
use crate::upload_headers::{body_content_type, body_length};
use axum::Json;
use axum::body::Body;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::http::StatusCode;
use bucketdesk_api_types as api;
use bucketdesk_core::access::Editor;
use bucketdesk_core::changes::{self, UploadRequest};
use serde::Deserialize;

/// `POST .../folders` `{"key": "reports/2026/"}`
#[utoipa::path(post, path = "/api/v1/workspaces/{workspace}/buckets/{bucket}/folders", tag = "files",
    summary = "Creates a folder (Editors, scope write)",
    params(BucketPath), request_body = api::FolderRequest,
    responses((status = 201, body = api::FolderRequest), Refusals, StorageRefusals))]
pub async fn create_folder(
    State(state): State<AppState>,
    user: ApiUser,
    Path(ids): Path<(String, String)>,
    body: Result<Json<api::FolderRequest>, JsonRejection>,
) -> ApiResult<(StatusCode, Json<api::FolderRequest>)> {
    let Json(body) = body?;
    let grant = grant(&state, &user, ids).await?;
    let can = grant.can::<Editor>()?;
    changes::create_folder(
        &state.s3_clients,
        &state.db,
        &can,
        &user.actor,
        &user.origin,
        &body.key,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(body)))
}

/// `POST .../move` `{"from", "to"}`
#[utoipa::path(post, path = "/api/v1/workspaces/{workspace}/buckets/{bucket}/move", tag = "files",
    summary = "Renames or moves a file, or a folder with everything in it (Editors, scope write)",
    params(BucketPath), request_body = api::MoveRequest,
    responses((status = 200, body = api::Moved), Refusals, StorageRefusals))]
pub async fn rename(
    State(state): State<AppState>,
    user: ApiUser,
    Path(ids): Path<(String, String)>,
    body: Result<Json<api::MoveRequest>, JsonRejection>,
) -> ApiResult<Json<api::Moved>> {
    let Json(body) = body?;
    let grant = grant(&state, &user, ids).await?;
    let can = grant.can::<Editor>()?;
    let objects = changes::rename(
        &state.s3_clients,
        &state.db,
        &can,
        &user.actor,
        &user.origin,
        &body.from,
        &body.to,
        None,
    )
    .await?;
    Ok(Json(api::Moved {
        from: body.from,
        to: body.to,
        objects,
    }))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct KeyQuery {
    /// The file's key, or a folder's (ending in `/`).
    key: String,
}

/// `DELETE .../objects?key=` (a folder when the key ends with `/`)
#[utoipa::path(delete, path = "/api/v1/workspaces/{workspace}/buckets/{bucket}/objects", tag = "files",
    summary = "Deletes a file, or a folder (key ending in /) with everything in it (Editors, scope write)",
    params(BucketPath, KeyQuery),
    responses((status = 200, body = api::Deleted), Refusals, StorageRefusals))]
pub async fn delete(
    State(state): State<AppState>,
    user: ApiUser,
    Path(ids): Path<(String, String)>,
    query: Result<Query<KeyQuery>, QueryRejection>,
) -> ApiResult<Json<api::Deleted>> {
    let Query(query) = query?;
    let grant = grant(&state, &user, ids).await?;
    let can = grant.can::<Editor>()?;
    let objects = changes::delete(
        &state.s3_clients,
        &state.db,
        &can,
        &user.actor,
        &user.origin,
        &query.key,
    )
    .await?;
    Ok(Json(api::Deleted {
        key: query.key,
        objects,
    }))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UploadQuery {
    /// The new file's key.
    key: String,
    /// Replace a file of that name (else `409 exists`).
    #[serde(default)]
    overwrite: bool,
}

/// `PUT .../upload?key=` with the file as the body, streamed to the bucket
/// (bounded memory, any size up to the instance's limit).
#[utoipa::path(put, path = "/api/v1/workspaces/{workspace}/buckets/{bucket}/upload", tag = "files",
    summary = "Uploads the request's body as one file (Editors, scope write)",
    params(BucketPath, UploadQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream",
        description = "The file's bytes; its Content-Type is kept"),
    responses((status = 201, body = api::Uploaded), Refusals, StorageRefusals,
        (status = 413, description = "Larger than the instance allows (`too_large`)", body = api::ErrorBody)))]
pub async fn upload(
    State(state): State<AppState>,
    user: ApiUser,
    Path(ids): Path<(String, String)>,
    query: Result<Query<UploadQuery>, QueryRejection>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<(StatusCode, Json<api::Uploaded>)> {
    let Query(query) = query?;
    let grant = grant(&state, &user, ids).await?;
    let can = grant.can::<Editor>()?;
    let content_type = body_content_type(&headers);
    let request = UploadRequest {
        key: &query.key,
        overwrite: query.overwrite,
        content_type: content_type.as_deref(),
        declared_length: body_length(&headers),
        max_size: state.settings.max_upload_bytes,
    };
    let size = changes::upload(
        &state.s3_clients,
        &state.db,
        &state.uploads,
        &can,
        &user.actor,
        &user.origin,
        request,
        body.into_data_stream(),
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(api::Uploaded {
            key: query.key,
            size,
        }),
    ))
}
