//! Uploads a chunk at a time from the bucket page's script (Editors): start
//! or resume, one request per chunk, complete, cancel, and the person's
//! unfinished uploads (so a reload offers to resume them). Answers are JSON
//! on success and short plain texts the script shows when refused, as for
//! one-request uploads (`upload.rs`).

use super::upload::{no_role, refusal};
use crate::extract::{BucketAccess, ClientInfo};
use crate::upload_headers::{body_length, chunk_sha256, chunked_upload};
use crate::{AppState, Result};
use axum::body::Body;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Json, Response};
use bucketdesk_core::access::Editor;
use bucketdesk_core::resumable::{self, Chunk, NewUpload};
use serde::Deserialize;
use uuid::Uuid;

/// `GET …/uploads`: the person's unfinished uploads in this bucket.
pub async fn unfinished(State(state): State<AppState>, access: BucketAccess) -> Result<Response> {
    let Ok(can) = access.can::<Editor>() else {
        return Ok(no_role());
    };
    let actor = access.me.actor();
    Ok(
        match resumable::unfinished(&state.s3_clients, &state.db, &can, &actor).await {
            Ok(uploads) => {
                Json(uploads.into_iter().map(chunked_upload).collect::<Vec<_>>()).into_response()
            }
            Err(refused) => refusal(refused)?,
        },
    )
}

#[derive(Deserialize)]
pub struct StartForm {
    key: String,
    size: u64,
    #[serde(default)]
    last_modified: i64,
    #[serde(default)]
    content_type: String,
    #[serde(default)]
    overwrite: String,
}

/// `POST …/uploads`: starts (or resumes) a chunked upload.
pub async fn start(
    State(state): State<AppState>,
    access: BucketAccess,
    Form(form): Form<StartForm>,
) -> Result<Response> {
    let Ok(can) = access.can::<Editor>() else {
        return Ok(no_role());
    };
    let new = NewUpload {
        key: &form.key,
        size: form.size,
        last_modified: form.last_modified,
        content_type: Some(form.content_type.as_str()).filter(|ct| !ct.is_empty()),
        overwrite: form.overwrite == "1",
        max_size: state.settings.max_upload_bytes,
    };
    let actor = access.me.actor();
    Ok(
        match resumable::start(
            &state.s3_clients,
            &state.db,
            &state.uploads,
            &can,
            &actor,
            new,
        )
        .await
        {
            Ok(upload) => Json(chunked_upload(upload)).into_response(),
            Err(refused) => refusal(refused)?,
        },
    )
}

#[derive(Deserialize)]
pub struct UploadPath {
    upload: Uuid,
}

#[derive(Deserialize)]
pub struct ChunkPath {
    upload: Uuid,
    number: u32,
}

/// `POST …/uploads/{upload}/chunks/{number}`: one chunk, as the body.
pub async fn chunk(
    State(state): State<AppState>,
    access: BucketAccess,
    Path(path): Path<ChunkPath>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response> {
    let Ok(can) = access.can::<Editor>() else {
        return Ok(no_role());
    };
    let sha256 = match chunk_sha256(&headers) {
        Ok(sha256) => sha256,
        Err(problem) => return Ok((StatusCode::BAD_REQUEST, problem).into_response()),
    };
    let chunk = Chunk {
        number: path.number,
        declared_length: body_length(&headers),
        sha256,
        body: body.into_data_stream(),
    };
    let actor = access.me.actor();
    let sent = resumable::send_chunk(
        &state.s3_clients,
        &state.db,
        &state.uploads,
        &can,
        &actor,
        path.upload,
        chunk,
    )
    .await;
    Ok(match sent {
        Ok(upload) => Json(chunked_upload(upload)).into_response(),
        Err(refused) => refusal(refused)?,
    })
}

/// `POST …/uploads/{upload}/chunks/{number}/url`: where to send one chunk
/// of a direct upload, straight to the bucket.
pub async fn part_url(
    State(state): State<AppState>,
    access: BucketAccess,
    Path(path): Path<ChunkPath>,
) -> Result<Response> {
    let Ok(can) = access.can::<Editor>() else {
        return Ok(no_role());
    };
    let actor = access.me.actor();
    let signed = resumable::part_url(
        &state.s3_clients,
        &state.db,
        &can,
        &actor,
        path.upload,
        path.number,
    )
    .await;
    Ok(match signed {
        Ok(part) => Json(crate::upload_headers::part_url(part)).into_response(),
        Err(refused) => refusal(refused)?,
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CompleteQuery {
    overwrite: String,
}

/// `POST …/uploads/{upload}/complete[?overwrite=1]`: joins the chunks into the file.
pub async fn complete(
    State(state): State<AppState>,
    access: BucketAccess,
    client: ClientInfo,
    Path(path): Path<UploadPath>,
    Query(query): Query<CompleteQuery>,
) -> Result<Response> {
    let Ok(can) = access.can::<Editor>() else {
        return Ok(no_role());
    };
    let actor = access.me.actor();
    let completed = resumable::complete(
        &state.s3_clients,
        &state.db,
        &can,
        &actor,
        &client.origin(),
        path.upload,
        query.overwrite == "1",
    )
    .await;
    Ok(match completed {
        Ok(_) => (StatusCode::CREATED, "Uploaded.").into_response(),
        Err(refused) => refusal(refused)?,
    })
}

/// `POST …/uploads/{upload}/cancel`: discards the upload and its chunks.
pub async fn cancel(
    State(state): State<AppState>,
    access: BucketAccess,
    Path(path): Path<UploadPath>,
) -> Result<Response> {
    let Ok(can) = access.can::<Editor>() else {
        return Ok(no_role());
    };
    let actor = access.me.actor();
    Ok(
        match resumable::abort(&state.s3_clients, &state.db, &can, &actor, path.upload).await {
            Ok(()) => StatusCode::NO_CONTENT.into_response(),
            Err(refused) => refusal(refused)?,
        },
    )
}
