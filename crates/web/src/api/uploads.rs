//! Uploads a chunk at a time through the API (Editors, scope `write`): for
//! files behind a proxy's request-size limit, or on networks that drop.
//! `POST .../uploads` starts one (or resumes yours of the same key, size and
//! last-modified time), `PUT .../uploads/{upload}/chunks/{n}` sends chunk
//! `n`, `POST .../uploads/{upload}/complete` joins them into the file,
//! `DELETE .../uploads/{upload}` discards it, `GET .../uploads` lists yours.
//! In a bucket with direct uploads on, `POST .../uploads/{upload}/chunks/{n}/url`
//! gives a presigned URL to `PUT` chunk `n` straight to the bucket.

use super::auth::ApiUser;
use super::error::{ApiError, ApiResult};
use super::files::grant;
use super::openapi::{BucketPath, Refusals, StorageRefusals};
use crate::AppState;
use crate::upload_headers::{body_length, chunk_sha256, chunked_upload};
use axum::Json;
use axum::body::Body;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use bucketdesk_api_types as api;
use bucketdesk_core::CoreError;
use bucketdesk_core::access::Editor;
use bucketdesk_core::resumable::{self, Chunk, NewUpload};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

/// An upload under way in a bucket.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)] // describes the path; handlers read it as a tuple
pub struct UploadPath {
    /// The workspace's id.
    workspace: String,
    /// The bucket's id.
    bucket: String,
    /// The upload's id (from `POST .../uploads`).
    upload: String,
}

/// One chunk of an upload under way.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
pub struct ChunkPath {
    /// The workspace's id.
    workspace: String,
    /// The bucket's id.
    bucket: String,
    /// The upload's id.
    upload: String,
    /// The chunk's number, from 1.
    number: u32,
}

fn upload_id(id: &str) -> ApiResult<Uuid> {
    Uuid::parse_str(id).map_err(|_| CoreError::NotFound.into())
}

/// `GET .../uploads`: your unfinished uploads in the bucket.
#[utoipa::path(get, path = "/api/v1/workspaces/{workspace}/buckets/{bucket}/uploads", tag = "files",
    summary = "Your unfinished chunked uploads in the bucket (Editors, scope write)",
    params(BucketPath),
    responses((status = 200, body = Vec<api::ChunkedUpload>), Refusals))]
pub async fn unfinished(
    State(state): State<AppState>,
    user: ApiUser,
    Path(ids): Path<(String, String)>,
) -> ApiResult<Json<Vec<api::ChunkedUpload>>> {
    let grant = grant(&state, &user, ids).await?;
    let can = grant.can::<Editor>()?;
    let uploads = resumable::unfinished(&state.s3_clients, &state.db, &can, &user.actor).await?;
    Ok(Json(uploads.into_iter().map(chunked_upload).collect()))
}

/// `POST .../uploads` `{"key", "size", "last_modified"}`
#[utoipa::path(post, path = "/api/v1/workspaces/{workspace}/buckets/{bucket}/uploads", tag = "files",
    summary = "Starts a chunked upload, or resumes yours of the same file (Editors, scope write)",
    params(BucketPath), request_body = api::NewChunkedUpload,
    responses((status = 200, body = api::ChunkedUpload), Refusals, StorageRefusals,
        (status = 413, description = "Larger than the instance allows (`too_large`)", body = api::ErrorBody)))]
pub async fn start(
    State(state): State<AppState>,
    user: ApiUser,
    Path(ids): Path<(String, String)>,
    body: Result<Json<api::NewChunkedUpload>, JsonRejection>,
) -> ApiResult<Json<api::ChunkedUpload>> {
    let Json(body) = body?;
    let grant = grant(&state, &user, ids).await?;
    let can = grant.can::<Editor>()?;
    let new = NewUpload {
        key: &body.key,
        size: body.size,
        last_modified: body.last_modified,
        content_type: body.content_type.as_deref(),
        overwrite: body.overwrite,
        max_size: state.settings.max_upload_bytes,
    };
    let upload = resumable::start(
        &state.s3_clients,
        &state.db,
        &state.uploads,
        &can,
        &user.actor,
        new,
    )
    .await?;
    Ok(Json(chunked_upload(upload)))
}

/// `PUT .../uploads/{upload}/chunks/{number}` with the chunk as the body.
#[utoipa::path(put, path = "/api/v1/workspaces/{workspace}/buckets/{bucket}/uploads/{upload}/chunks/{number}", tag = "files",
    summary = "Sends one chunk of a chunked upload; sending a chunk again replaces it (Editors, scope write)",
    params(ChunkPath,
        ("X-Chunk-Sha256" = Option<String>, Header, description = "The chunk's SHA-256 in hex: a chunk that arrives different is refused")),
    request_body(content = Vec<u8>, content_type = "application/octet-stream",
        description = "Exactly `part_size` bytes of the file from `(number - 1) × part_size` (the last chunk is the rest)"),
    responses((status = 200, body = api::ChunkedUpload), Refusals, StorageRefusals))]
pub async fn chunk(
    State(state): State<AppState>,
    user: ApiUser,
    Path((workspace, bucket, upload, number)): Path<(String, String, String, u32)>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Json<api::ChunkedUpload>> {
    let grant = grant(&state, &user, (workspace, bucket)).await?;
    let can = grant.can::<Editor>()?;
    let id = upload_id(&upload)?;
    let sha256 = chunk_sha256(&headers).map_err(|problem| ApiError::BadRequest(problem.into()))?;
    let chunk = Chunk {
        number,
        declared_length: body_length(&headers),
        sha256,
        body: body.into_data_stream(),
    };
    let upload = resumable::send_chunk(
        &state.s3_clients,
        &state.db,
        &state.uploads,
        &can,
        &user.actor,
        id,
        chunk,
    )
    .await?;
    Ok(Json(chunked_upload(upload)))
}

/// `POST .../uploads/{upload}/chunks/{number}/url`
#[utoipa::path(post, path = "/api/v1/workspaces/{workspace}/buckets/{bucket}/uploads/{upload}/chunks/{number}/url", tag = "files",
    summary = "A presigned URL to PUT one chunk of a direct upload straight to the bucket, for 15 minutes (Editors, scope write)",
    params(ChunkPath),
    responses((status = 200, body = api::PartUrl), Refusals, StorageRefusals))]
pub async fn part_url(
    State(state): State<AppState>,
    user: ApiUser,
    Path((workspace, bucket, upload, number)): Path<(String, String, String, u32)>,
) -> ApiResult<Json<api::PartUrl>> {
    let grant = grant(&state, &user, (workspace, bucket)).await?;
    let can = grant.can::<Editor>()?;
    let id = upload_id(&upload)?;
    let part =
        resumable::part_url(&state.s3_clients, &state.db, &can, &user.actor, id, number).await?;
    Ok(Json(crate::upload_headers::part_url(part)))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CompleteQuery {
    /// Replace a file of that name that appeared meanwhile (else `409 exists`).
    #[serde(default)]
    overwrite: bool,
}

/// `POST .../uploads/{upload}/complete`
#[utoipa::path(post, path = "/api/v1/workspaces/{workspace}/buckets/{bucket}/uploads/{upload}/complete", tag = "files",
    summary = "Joins the chunks of a chunked upload into the file (Editors, scope write)",
    params(UploadPath, CompleteQuery),
    responses((status = 201, body = api::Uploaded), Refusals, StorageRefusals))]
pub async fn complete(
    State(state): State<AppState>,
    user: ApiUser,
    Path((workspace, bucket, upload)): Path<(String, String, String)>,
    query: Result<Query<CompleteQuery>, QueryRejection>,
) -> ApiResult<(StatusCode, Json<api::Uploaded>)> {
    let Query(query) = query?;
    let grant = grant(&state, &user, (workspace, bucket)).await?;
    let can = grant.can::<Editor>()?;
    let id = upload_id(&upload)?;
    let completed = resumable::complete(
        &state.s3_clients,
        &state.db,
        &can,
        &user.actor,
        &user.origin,
        id,
        query.overwrite,
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(api::Uploaded {
            key: completed.key,
            size: completed.size,
        }),
    ))
}

/// `DELETE .../uploads/{upload}`
#[utoipa::path(delete, path = "/api/v1/workspaces/{workspace}/buckets/{bucket}/uploads/{upload}", tag = "files",
    summary = "Discards a chunked upload and its chunks (Editors, scope write)",
    params(UploadPath),
    responses((status = 204, description = "Discarded"), Refusals))]
pub async fn cancel(
    State(state): State<AppState>,
    user: ApiUser,
    Path((workspace, bucket, upload)): Path<(String, String, String)>,
) -> ApiResult<StatusCode> {
    let grant = grant(&state, &user, (workspace, bucket)).await?;
    let can = grant.can::<Editor>()?;
    let id = upload_id(&upload)?;
    resumable::abort(&state.s3_clients, &state.db, &can, &user.actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
