//! Uploads (Editor and above): the request body streams to S3, multipart
//! above one part, with bounded memory (R1), aborted on failure or cancel (R2).
//! Answers are short plain texts the browser script shows.

use crate::extract::{BucketAccess, ClientInfo};
use crate::{AppState, Result};
use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bucketdesk_core::access::Editor;
use bucketdesk_core::uploads::Journal;
use bucketdesk_db::audit;
use bucketdesk_domain::object::check_new_key;
use bucketdesk_domain::{BucketId, WorkspaceId};
use bucketdesk_storage::objects;
use bucketdesk_storage::upload::{self, Target, UploadError};
use serde::Deserialize;
use serde_json::json;

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct UploadQuery {
    key: String,
    overwrite: String,
    /// `1`: only say whether the upload would be accepted (409 when the name
    /// exists), before the browser sends a large body.
    check: String,
}

pub async fn upload(
    State(state): State<AppState>,
    access: BucketAccess,
    client: ClientInfo,
    Query(query): Query<UploadQuery>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response> {
    let Ok(can) = access.can::<Editor>() else {
        return Ok((
            StatusCode::FORBIDDEN,
            "Your role on this bucket does not allow uploads.",
        )
            .into_response());
    };
    if let Err(problem) = check_new_key(&query.key) {
        return Ok((StatusCode::BAD_REQUEST, problem).into_response());
    }
    let bucket = &access.bucket().bucket_name;
    let settings = &state.settings.storage;
    let s3 = state.s3_clients.client(&can).await?;
    if query.overwrite != "1" {
        match objects::exists(&s3, bucket, &query.key, settings).await {
            Ok(true) => {
                let message = format!("\"{}\" exists already. Replace it?", query.key);
                return Ok((StatusCode::CONFLICT, message).into_response());
            }
            Ok(false) => {}
            Err(problem) => {
                return Ok((StatusCode::BAD_GATEWAY, problem.to_string()).into_response());
            }
        }
    }
    if query.check == "1" {
        return Ok(StatusCode::NO_CONTENT.into_response());
    }
    let content_type = body_content_type(&headers);
    let target = Target {
        client: &s3,
        bucket,
        key: &query.key,
        content_type: content_type.as_deref(),
        max_size: state.settings.max_upload_bytes,
        options: settings,
    };
    let journal = Journal::of(&state.db, &can);
    let conditions = state.uploads.conditions(&journal, body_length(&headers));
    match upload::upload(&target, body.into_data_stream(), conditions).await {
        Ok(size) => {
            let event = audit::NewEvent {
                workspace_id: Some(WorkspaceId(access.bucket().workspace_id)),
                bucket_id: Some(BucketId(access.bucket().id)),
                details: json!({ "key": query.key, "size": size }),
                ..client.event(&access.me.user, "file_uploaded")
            };
            audit::record(&state.db, event).await?;
            Ok((StatusCode::CREATED, "Uploaded.").into_response())
        }
        Err(e @ UploadError::CutOff(_)) => {
            Ok((StatusCode::BAD_REQUEST, e.to_string()).into_response())
        }
        Err(e @ UploadError::TooLarge(_)) => {
            Ok((StatusCode::PAYLOAD_TOO_LARGE, e.to_string()).into_response())
        }
        Err(UploadError::S3(problem)) => {
            Ok((StatusCode::BAD_GATEWAY, problem.to_string()).into_response())
        }
    }
}

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
