//! Upload links: the page, and each file received (a name that never
//! overwrites, the link's limits, the creator still on the bucket).

use super::{STORAGE_TROUBLE, password_page};
use crate::extract::{ClientInfo, CsrfToken};
use crate::links;
use crate::pages::utc_minutes;
use crate::upload_headers::{body_content_type, body_length};
use crate::{AppError, AppState, Result};
use askama::Template;
use askama_web::WebTemplate;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use bucketdesk_core::uploads::Journal;
use bucketdesk_db::links::{Link, LinkKind};
use bucketdesk_db::{audit, links as link_rows};
use bucketdesk_domain::link::{LinkState, numbered_name};
use bucketdesk_domain::object::{check_name, check_new_key, file_name, human_size};
use bucketdesk_domain::{BucketId, WorkspaceId};
use bucketdesk_storage::objects;
use bucketdesk_storage::upload::{self, Target, UploadError};
use serde::Deserialize;
use serde_json::json;
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
    signed_in: bool,
}

pub(super) async fn show_upload_link(
    State(state): State<AppState>,
    Path(token): Path<String>,
    session: Session,
    CsrfToken(csrf): CsrfToken,
) -> Result<Response> {
    let link = links::find(&state, &token, LinkKind::Upload).await?;
    links::require_active(&link)?;
    if !links::is_unlocked(&session, &link).await? {
        return Ok(password_page(&link, &token, csrf, None).into_response());
    }
    links::bucket_of(&state, &link).await?;
    let max_bytes = max_file_bytes(&state, &link);
    Ok(UploadPage {
        note: link.note.clone(),
        expires_at: utc_minutes(link.expires_at),
        max_size: link.max_file_bytes.map(human_size),
        max_bytes,
        files_left: link.max_files.map(|max| i64::from(max) - link.files_taken),
        action: format!("{}/files", links::path(LinkKind::Upload, &token)),
        csrf,
        signed_in: false,
    }
    .into_response())
}

fn max_file_bytes(state: &AppState, link: &Link) -> u64 {
    link.max_file_bytes
        .map_or(state.settings.max_upload_bytes, |max| {
            (max as u64).min(state.settings.max_upload_bytes)
        })
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

/// One file into an upload link's folder. Its name is reserved first, so it
/// never replaces anything: a taken name gets a number ("report (1).pdf").
pub(super) async fn receive_file(
    State(state): State<AppState>,
    Path(token): Path<String>,
    session: Session,
    client: ClientInfo,
    Query(query): Query<FileQuery>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response> {
    let link = links::find(&state, &token, LinkKind::Upload).await?;
    if let Err(AppError::Gone(why)) = links::require_active(&link) {
        let why = if link.state() == LinkState::UsedUp {
            "This link has received as many files as it accepts.".to_owned()
        } else {
            why
        };
        return Ok(say(StatusCode::GONE, why));
    }
    if !links::is_unlocked(&session, &link).await? {
        return Ok(say(
            StatusCode::FORBIDDEN,
            "Enter the link's password first.",
        ));
    }
    let name = query.name.trim();
    if let Err(problem) = check_name(name) {
        return Ok(say(StatusCode::BAD_REQUEST, problem));
    }
    let max_bytes = max_file_bytes(&state, &link);
    let length = body_length(&headers);
    if length.is_some_and(|length| length > max_bytes) {
        return Ok(say(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "{name} is larger than the {} this link accepts.",
                human_size(max_bytes as i64)
            ),
        ));
    }
    let grant = match links::bucket_of(&state, &link).await {
        Ok(grant) => grant,
        Err(AppError::Gone(why)) => return Ok(say(StatusCode::GONE, why)),
        Err(other) => return Err(other),
    };
    let s3 = state.s3_clients.client(&grant).await?;
    let bucket = grant.bucket();
    let folder = link.folder.clone().unwrap_or_default();
    let settings = &state.settings.storage;

    // a free name: not in the bucket, then reserved against other uploads
    // through links, counting what arrived (short transactions: no S3 call
    // while the link's row is held)
    let mut reserved = None;
    for n in 0..1000 {
        let key = format!("{folder}{}", numbered_name(name, n));
        if let Err(problem) = check_new_key(&key) {
            return Ok(say(StatusCode::BAD_REQUEST, problem));
        }
        match objects::exists(&s3, &bucket.bucket_name, &key, settings).await {
            Ok(true) => continue,
            Ok(false) => {}
            Err(problem) => {
                tracing::warn!(error = %problem, "storage failed behind an upload link");
                return Ok(say(StatusCode::BAD_GATEWAY, STORAGE_TROUBLE));
            }
        }
        let mut tx = state.db.begin().await?;
        link_rows::lock(&mut *tx, link.id).await?;
        let taken = link_rows::files_taken(&mut *tx, link.id).await?;
        if link.max_files.is_some_and(|max| taken >= i64::from(max)) {
            return Ok(say(
                StatusCode::GONE,
                "This link has received as many files as it accepts.",
            ));
        }
        let id = link_rows::reserve_upload(
            &mut *tx,
            link.id,
            BucketId(bucket.id),
            &key,
            client.ip_str(),
            client.user_agent.as_deref(),
        )
        .await?;
        tx.commit().await?;
        if let Some(id) = id {
            reserved = Some((Reservation::new(&state, id), key));
            break;
        }
    }
    let Some((mut reservation, key)) = reserved else {
        return Ok(say(
            StatusCode::CONFLICT,
            "Too many files of this name arrived already; rename the file and send it again.",
        ));
    };

    let content_type = body_content_type(&headers);
    let target = Target {
        client: &s3,
        bucket: &bucket.bucket_name,
        key: &key,
        content_type: content_type.as_deref(),
        max_size: max_bytes,
        options: settings,
    };
    let journal = Journal::of(&state.db, &grant);
    let conditions = state.uploads.conditions(&journal, length);
    let stored = upload::upload(&target, body.into_data_stream(), conditions).await;
    // on failure, the reservation is given back when it is dropped
    let size = match stored {
        Ok(size) => size,
        Err(UploadError::S3(problem)) => {
            tracing::warn!(error = %problem, "storage failed behind an upload link");
            return Ok(say(StatusCode::BAD_GATEWAY, STORAGE_TROUBLE));
        }
        Err(problem @ UploadError::CutOff(_)) => {
            return Ok(say(StatusCode::BAD_REQUEST, problem.to_string()));
        }
        Err(problem @ UploadError::TooLarge(_)) => {
            return Ok(say(StatusCode::PAYLOAD_TOO_LARGE, problem.to_string()));
        }
    };
    let mut tx = state.db.begin().await?;
    link_rows::finish_upload(&mut *tx, reservation.id, size as i64).await?;
    let event = audit::NewEvent {
        workspace_id: Some(WorkspaceId(link.workspace_id)),
        bucket_id: Some(BucketId(bucket.id)),
        details: json!({ "link": link.id, "key": key, "size": size }),
        ..client.anonymous_event("link_upload_received")
    };
    audit::record(&mut *tx, event).await?;
    tx.commit().await?;
    reservation.kept = true;
    let stored_as = file_name(&key);
    let text = if stored_as == name {
        format!("{name}: received.")
    } else {
        format!("{name}: received, as {stored_as} (that name was taken).")
    };
    Ok(say(StatusCode::CREATED, text))
}

/// A name reserved for an upload through a link. Unless the upload finished
/// (`kept`), it is given back when dropped: after a failure, and also when
/// the visitor goes away mid-upload and the request is dropped.
struct Reservation {
    db: bucketdesk_db::PgPool,
    id: i64,
    kept: bool,
}

impl Reservation {
    fn new(state: &AppState, id: i64) -> Self {
        Reservation {
            db: state.db.clone(),
            id,
            kept: false,
        }
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        if self.kept {
            return;
        }
        let (db, id) = (self.db.clone(), self.id);
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                if let Err(error) = link_rows::release_upload(&db, id).await {
                    tracing::warn!(%error, "could not give back an upload's reserved name");
                }
            });
        }
    }
}
