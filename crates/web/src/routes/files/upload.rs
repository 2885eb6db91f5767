//! Uploads (Editor and above): the request body streams to S3, multipart
//! above one part, with bounded memory (R1), aborted on failure or cancel (R2).
//! Answers are short plain texts the browser script shows.

use crate::error::too_large;
use crate::extract::{BucketAccess, ClientInfo};
use crate::upload_headers::{body_content_type, body_length};
use crate::{AppState, Result};
use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use bucketdesk_core::CoreError;
use bucketdesk_core::access::Editor;
use bucketdesk_core::changes::{self, UploadRequest};
use serde::Deserialize;

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
        return Ok(no_role());
    };
    let overwrite = query.overwrite == "1";
    let done = if query.check == "1" {
        changes::check_upload(&state.s3_clients, &can, &query.key, overwrite)
            .await
            .map(|()| StatusCode::NO_CONTENT.into_response())
    } else {
        let content_type = body_content_type(&headers);
        let request = UploadRequest {
            key: &query.key,
            overwrite,
            content_type: content_type.as_deref(),
            declared_length: body_length(&headers),
            max_size: state.settings.max_upload_bytes,
        };
        changes::upload(
            &state.s3_clients,
            &state.db,
            &state.uploads,
            &can,
            &access.me.actor(),
            &client.origin(),
            request,
            body.into_data_stream(),
        )
        .await
        .map(|_| (StatusCode::CREATED, "Uploaded.").into_response())
    };
    Ok(match done {
        Ok(response) => response,
        Err(refused) => refusal(refused)?,
    })
}

/// The answer to someone whose role does not allow uploads.
pub(super) fn no_role() -> Response {
    (
        StatusCode::FORBIDDEN,
        "Your role on this bucket does not allow uploads.",
    )
        .into_response()
}

/// A refusal as a short plain text, for the browser script to show; other
/// errors go on to the error page.
pub(super) fn refusal(error: CoreError) -> Result<Response> {
    Ok(match error {
        CoreError::Conflict { message, .. } => (StatusCode::CONFLICT, message).into_response(),
        CoreError::Invalid(problems) => {
            let message: Vec<String> = problems.into_iter().map(|p| p.message).collect();
            (StatusCode::BAD_REQUEST, message.join(" ")).into_response()
        }
        CoreError::TooLarge { limit } => {
            (StatusCode::PAYLOAD_TOO_LARGE, too_large(limit)).into_response()
        }
        CoreError::Storage(problem) => {
            (StatusCode::BAD_GATEWAY, problem.to_string()).into_response()
        }
        CoreError::NotFound => (
            StatusCode::NOT_FOUND,
            "This upload is not under way any more (it finished, was cancelled or was abandoned): start it again.",
        )
            .into_response(),
        other => return Err(other.into()),
    })
}
