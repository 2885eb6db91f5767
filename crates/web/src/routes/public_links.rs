//! What people without an account see through a link (DESIGN.md flows
//! 10-11): `/s/{token}` downloads a shared file, set of files or folder;
//! `/u/{token}` uploads into one folder. Nothing about the bucket or its keys
//! is shown. Every visit re-checks the link: not revoked, expired or used up,
//! its creator still on the bucket, the bucket still connected.

use super::files::{deliver, q, storage_error};
use crate::extract::{ClientInfo, CsrfToken, Form};
use crate::links;
use crate::pages::utc_minutes;
use crate::upload_headers::{body_content_type, body_length};
use crate::{AppError, AppState, Result};
use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use bucketdesk_core::uploads::Journal;
use bucketdesk_db::links::{Link, LinkKind};
use bucketdesk_db::{audit, links as link_rows};
use bucketdesk_domain::link::{LinkState, is_plain_path, numbered_name};
use bucketdesk_domain::object::{check_key, check_name, check_new_key, file_name, human_size};
use bucketdesk_domain::{BucketId, WorkspaceId};
use bucketdesk_storage::objects;
use bucketdesk_storage::upload::{self, Target, UploadError};
use serde::Deserialize;
use serde_json::json;
use tower_sessions::Session;

/// Entries one page of a shared folder shows.
const FOLDER_PAGE: i32 = 200;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/s/{token}", get(show_download_link))
        .route("/s/{token}/unlock", post(unlock_download))
        .route("/u/{token}", get(show_upload_link))
        .route("/u/{token}/unlock", post(unlock_upload))
}

/// Downloads may stream through bucketdesk (see `deliver`), uploads always do.
pub fn transfers() -> Router<AppState> {
    Router::new()
        .route(
            "/s/{token}/download",
            get(download).head(super::head_without_effects),
        )
        .route("/u/{token}/files", post(receive_file))
}

/// What visitors are told when the storage fails: nothing about the bucket
/// (its name, endpoint or permissions stay in the server's log).
const STORAGE_TROUBLE: &str =
    "The file could not be fetched from storage just now. Try again in a few minutes.";

/// A failure as a visitor of a link may see it.
fn for_visitors(error: AppError) -> AppError {
    match error {
        AppError::BadRequest(_) => AppError::Gone("That file no longer exists.".into()),
        AppError::Storage(detail) => {
            tracing::warn!(error = %detail, "storage failed behind a link");
            AppError::Storage(STORAGE_TROUBLE.into())
        }
        other => other,
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "public/password.html")]
struct PasswordPage {
    action: String,
    csrf: String,
    problem: Option<&'static str>,
    signed_in: bool,
}

fn password_page(
    link: &Link,
    token: &str,
    csrf: String,
    problem: Option<&'static str>,
) -> PasswordPage {
    PasswordPage {
        action: format!("{}/unlock", links::path(link.kind(), token)),
        csrf,
        problem,
        signed_in: false,
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PasswordForm {
    password: String,
}

async fn unlock_download(
    State(state): State<AppState>,
    Path(token): Path<String>,
    session: Session,
    CsrfToken(csrf): CsrfToken,
    client: ClientInfo,
    Form(form): Form<PasswordForm>,
) -> Result<Response> {
    unlock(
        &state,
        LinkKind::Download,
        &token,
        &session,
        csrf,
        &client,
        &form.password,
    )
    .await
}

async fn unlock_upload(
    State(state): State<AppState>,
    Path(token): Path<String>,
    session: Session,
    CsrfToken(csrf): CsrfToken,
    client: ClientInfo,
    Form(form): Form<PasswordForm>,
) -> Result<Response> {
    unlock(
        &state,
        LinkKind::Upload,
        &token,
        &session,
        csrf,
        &client,
        &form.password,
    )
    .await
}

/// The password form of either kind of link: right, back to the link; wrong,
/// the form again (and after too many, a page saying to wait).
async fn unlock(
    state: &AppState,
    kind: LinkKind,
    token: &str,
    session: &Session,
    csrf: String,
    client: &ClientInfo,
    password: &str,
) -> Result<Response> {
    let link = links::find(state, token, kind).await?;
    links::require_active(&link)?;
    if links::try_password(state, session, &link, client, password).await? {
        return Ok(Redirect::to(&links::path(kind, token)).into_response());
    }
    let page = password_page(
        &link,
        token,
        csrf,
        Some("That password is not right. Try again."),
    );
    Ok((StatusCode::FORBIDDEN, page).into_response())
}

// ----- download links -----

pub struct FileRow {
    name: String,
    size: String,
    href: String,
}

pub struct FolderRow {
    name: String,
    href: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "public/download.html")]
struct DownloadPage {
    title: String,
    note: String,
    expires_at: String,
    downloads_left: Option<i32>,
    /// The folder being shown, below the shared one ("" at its top).
    path: String,
    up: Option<String>,
    folders: Vec<FolderRow>,
    files: Vec<FileRow>,
    next: Option<String>,
    first: Option<String>,
    signed_in: bool,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct VisitQuery {
    key: String,
    /// Inside a shared folder: the sub-folder shown, relative to it.
    path: String,
    token: String,
}

async fn show_download_link(
    State(state): State<AppState>,
    Path(token): Path<String>,
    session: Session,
    CsrfToken(csrf): CsrfToken,
    Query(query): Query<VisitQuery>,
) -> Result<Response> {
    let link = links::find(&state, &token, LinkKind::Download).await?;
    links::require_active(&link)?;
    if !links::is_unlocked(&session, &link).await? {
        return Ok(password_page(&link, &token, csrf, None).into_response());
    }
    let grant = links::bucket_of(&state, &link).await?;
    let s3 = state.s3_clients.client(&grant).await?;
    let bucket = grant.bucket();
    let base = links::path(LinkKind::Download, &token);
    let file_href = |key: &str| format!("{base}/download?key={}", q(key));
    let mut page = DownloadPage {
        title: links::public_title(&link),
        note: link.note.clone(),
        expires_at: utc_minutes(link.expires_at),
        downloads_left: link.max_downloads.map(|max| max - link.downloads),
        path: String::new(),
        up: None,
        folders: Vec::new(),
        files: Vec::new(),
        next: None,
        first: None,
        signed_in: false,
    };
    match (link.folder.as_deref(), link.keys.as_slice()) {
        (Some(folder), _) => {
            let path = query.path.trim_start_matches('/');
            if !(path.is_empty() || path.ends_with('/'))
                || !is_plain_path(path)
                || check_key(&format!("{folder}{path}x")).is_err()
            {
                return Err(AppError::BadRequest(
                    "That folder is not part of this link.".into(),
                ));
            }
            let prefix = format!("{folder}{path}");
            let token = (!query.token.is_empty()).then_some(query.token.as_str());
            let listing = objects::list_page(
                &s3,
                &bucket.bucket_name,
                &prefix,
                token,
                FOLDER_PAGE,
                &state.settings.storage,
            )
            .await
            .map_err(|problem| for_visitors(storage_error(problem)))?;
            let relative = |full: &str| full[folder.len()..].to_owned();
            page.folders = listing
                .folders
                .iter()
                .map(|full| FolderRow {
                    name: file_name(full.trim_end_matches('/')).to_owned(),
                    href: format!("{base}?path={}", q(&relative(full))),
                })
                .collect();
            page.files = listing
                .files
                .iter()
                .map(|entry| FileRow {
                    name: file_name(&entry.key).to_owned(),
                    size: human_size(entry.size),
                    href: file_href(&entry.key),
                })
                .collect();
            page.next = listing
                .next_token
                .map(|next| format!("{base}?path={}&token={}", q(path), q(&next)));
            page.first = token.map(|_| format!("{base}?path={}", q(path)));
            if !path.is_empty() {
                let parent = bucketdesk_domain::object::parent(path.trim_end_matches('/'));
                page.up = Some(format!("{base}?path={}", q(parent)));
            }
            page.path = path.to_owned();
        }
        (None, [key]) => {
            let details = objects::details(&s3, &bucket.bucket_name, key, &state.settings.storage)
                .await
                .map_err(|problem| for_visitors(storage_error(problem)))?;
            page.files.push(FileRow {
                name: file_name(key).to_owned(),
                size: human_size(details.size),
                href: file_href(key),
            });
        }
        (None, keys) => {
            page.files = keys
                .iter()
                .map(|key| FileRow {
                    name: file_name(key).to_owned(),
                    size: String::new(),
                    href: file_href(key),
                })
                .collect();
        }
    }
    Ok(page.into_response())
}

/// One download through a link: every check again, the visit counted
/// (exactly, under any number of concurrent visits) and recorded, then the
/// file handed over through a fresh 15-minute presigned URL.
async fn download(
    State(state): State<AppState>,
    Path(token): Path<String>,
    session: Session,
    client: ClientInfo,
    Query(query): Query<VisitQuery>,
) -> Result<Response> {
    let link = links::find(&state, &token, LinkKind::Download).await?;
    links::require_active(&link)?;
    if !links::is_unlocked(&session, &link).await? {
        return Ok(Redirect::to(&links::path(LinkKind::Download, &token)).into_response());
    }
    let key = match (query.key.is_empty(), link.keys.as_slice()) {
        (true, [only]) => only.clone(),
        _ => query.key,
    };
    if check_key(&key).is_err() || !link.covers(&key) {
        return Err(AppError::BadRequest(
            "That file is not part of this link.".into(),
        ));
    }
    let grant = links::bucket_of(&state, &link).await?;
    // the file is ready to hand over before the download is counted
    let mut response = deliver(&state, &grant, &key).await.map_err(for_visitors)?;
    let mut tx = state.db.begin().await?;
    let Some(count) = link_rows::count_download(&mut *tx, link.id).await? else {
        tx.rollback().await?;
        // refused in the meantime: say why, as of now
        let now = links::find(&state, &token, LinkKind::Download).await?;
        links::require_active(&now)?;
        return Err(AppError::Gone(LinkState::UsedUp.refusal().to_owned()));
    };
    let event = audit::NewEvent {
        workspace_id: Some(WorkspaceId(link.workspace_id)),
        bucket_id: Some(BucketId(grant.bucket().id)),
        details: json!({ "link": link.id, "key": key, "download": count }),
        ..client.anonymous_event("link_downloaded")
    };
    audit::record(&mut *tx, event).await?;
    tx.commit().await?;
    if count == 1 && link.notify_first_download {
        links::notify_first_download(&state, &link, &client);
    }
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    Ok(response)
}

// ----- upload links -----

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

async fn show_upload_link(
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
async fn receive_file(
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
