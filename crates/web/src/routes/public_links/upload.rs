//! Upload links: the page, and each file received (a name that never
//! overwrites, the link's limits, the creator still on the bucket).

use super::{STORAGE_TROUBLE, locked_page};
use crate::extract::{ClientInfo, CsrfToken};
use crate::links;
use crate::pages::utc_minutes;
use crate::upload_headers::{body_content_type, body_length};
use crate::{AppState, Result};
use askama::Template;
use askama_web::WebTemplate;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use bucketdesk_core::CoreError;
use bucketdesk_core::links::visit::{self, Arrival, Received};
use bucketdesk_db::links::LinkKind;
use bucketdesk_domain::link::LinkState;
use bucketdesk_domain::object::{file_name, human_size};
use serde::Deserialize;
use tower_sessions::Session;

#[derive(Template, WebTemplate)]
#[template(path = "public/upload.html")]
struct UploadPage {
    note: String,
    expires_at: String,
    max_size: Option<String>,
    max_bytes: u64,
    files_left: Option<i64>,
    action: String,
    csrf: String,
}

pub(super) async fn show_upload_link(
    State(state): State<AppState>,
    Path(token): Path<String>,
    client: ClientInfo,
    session: Session,
    CsrfToken(csrf): CsrfToken,
) -> Result<Response> {
    let link = links::find(&state, &token, LinkKind::Upload, &client).await?;
    links::require_active(&link)?;
    if !links::is_unlocked(&session, &link).await? {
        return locked_page(&session, &link, &token, csrf).await;
    }
    links::bucket_of(&state, &link).await?;
    let max_bytes = visit::max_file_bytes(&link, state.settings.max_upload_bytes);
    Ok(UploadPage {
        note: link.note.clone(),
        expires_at: utc_minutes(link.expires_at),
        max_size: link.max_file_bytes.map(human_size),
        max_bytes,
        files_left: link.max_files.map(|max| i64::from(max) - link.files_taken),
        action: format!("{}/files", links::path(LinkKind::Upload, &token)),
        csrf,
    }
    .into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct FileQuery {
    name: String,
}

/// A short plain-text answer for the page's script.
fn say(status: StatusCode, text: impl Into<String>) -> Response {
    (status, text.into()).into_response()
}

/// One file into an upload link's folder (the core's rules: a name that
/// never replaces anything, the link's limits); answered in a few words for
/// the page's script.
pub(super) async fn receive_file(
    State(state): State<AppState>,
    Path(token): Path<String>,
    session: Session,
    client: ClientInfo,
    Query(query): Query<FileQuery>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response> {
    let link = links::find(&state, &token, LinkKind::Upload, &client).await?;
    if link.state() == LinkState::Active && !links::is_unlocked(&session, &link).await? {
        return Ok(say(
            StatusCode::FORBIDDEN,
            "Open the link's page first: it asks for your address or its password.",
        ));
    }
    let name = query.name.trim();
    let content_type = body_content_type(&headers);
    let arrival = Arrival {
        name,
        content_type: content_type.as_deref(),
        declared_length: body_length(&headers),
        max_upload_bytes: state.settings.max_upload_bytes,
    };
    let received = visit::receive_file(
        &state.db,
        &state.s3_clients,
        &state.uploads,
        &link,
        &links::visit_origin(&session, &link, &client).await?,
        arrival,
        body.into_data_stream(),
    )
    .await;
    // every answer names the file: the page lists many under each other
    let shown = if name.is_empty() { "This file" } else { name };
    let refused = |status, why: &str| say(status, format!("{shown}: {why}"));
    Ok(match received {
        Ok(Received { key, .. }) => {
            if link.notify_arrivals {
                state.arrival_mails.file_arrived();
            }
            let stored_as = file_name(&key);
            let text = if stored_as == name {
                format!("{name}: received.")
            } else {
                format!("{name}: received, as {stored_as} (that name was taken).")
            };
            say(StatusCode::CREATED, text)
        }
        Err(CoreError::Gone(LinkState::UsedUp)) => refused(
            StatusCode::GONE,
            "not sent: this link has received as many files as it accepts.",
        ),
        Err(CoreError::Gone(state)) => refused(StatusCode::GONE, state.refusal()),
        Err(CoreError::LinkOrphaned) => refused(StatusCode::GONE, LinkState::Orphaned.refusal()),
        Err(CoreError::Invalid(problems)) => {
            let words: Vec<String> = problems.into_iter().map(|p| p.message).collect();
            refused(StatusCode::BAD_REQUEST, &words.join(" "))
        }
        Err(CoreError::TooLarge { limit }) => refused(
            StatusCode::PAYLOAD_TOO_LARGE,
            &format!(
                "larger than the {} this link accepts.",
                human_size(limit as i64)
            ),
        ),
        Err(CoreError::Conflict { message, .. }) => refused(StatusCode::CONFLICT, &message),
        Err(CoreError::Storage(problem)) => {
            tracing::warn!(error = %problem, "storage failed behind an upload link");
            refused(StatusCode::BAD_GATEWAY, STORAGE_TROUBLE)
        }
        Err(other) => return Err(other.into()),
    })
}
