//! Download links: the page of a shared file, set of files or folder, and
//! the download itself (counted, audited, limited).

use super::{for_visitors, locked_page};
use crate::extract::{ClientInfo, CsrfToken};
use crate::links;
use crate::pages::utc_minutes;
use crate::routes::files::{delivery_response, q, storage_error};
use crate::{AppError, AppState, Result};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use bucketdesk_core::files;
use bucketdesk_core::links::visit;
use bucketdesk_db::links::LinkKind;
use bucketdesk_domain::link::is_plain_path;
use bucketdesk_domain::object::{check_key, file_name, human_size};
use bucketdesk_storage::objects;
use serde::Deserialize;
use tower_sessions::Session;

/// Entries one page of a shared folder shows.
const FOLDER_PAGE: i32 = 200;

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
    /// Everything the link shares as one zip, for folders and sets of files.
    zip_href: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct VisitQuery {
    key: String,
    /// Inside a shared folder: the sub-folder shown, relative to it.
    path: String,
    token: String,
}

pub(super) async fn show_download_link(
    State(state): State<AppState>,
    Path(token): Path<String>,
    client: ClientInfo,
    session: Session,
    CsrfToken(csrf): CsrfToken,
    Query(query): Query<VisitQuery>,
) -> Result<Response> {
    let link = links::find(&state, &token, LinkKind::Download, &client).await?;
    links::require_active(&link)?;
    if !links::is_unlocked(&session, &link).await? {
        return locked_page(&session, &link, &token, csrf).await;
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
        zip_href: (link.folder.is_some() || link.keys.len() > 1).then(|| format!("{base}/zip")),
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
pub(super) async fn download(
    State(state): State<AppState>,
    Path(token): Path<String>,
    session: Session,
    client: ClientInfo,
    Query(query): Query<VisitQuery>,
) -> Result<Response> {
    let link = links::find(&state, &token, LinkKind::Download, &client).await?;
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
    let delivery = files::deliver(&state.s3_clients, &grant, &key).await;
    let mut response = delivery_response(delivery.map_err(|e| for_visitors(e.into()))?);
    let origin = links::visit_origin(&session, &link, &client).await?;
    let count = visit::count_download(&state.db, &link, &grant, &origin, &key).await?;
    if count == 1 && link.notify_first_download {
        links::notify_first_download(&state, &link, &client);
    }
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    Ok(response)
}

/// Everything the link shares as one zip, counted as one download.
pub(super) async fn download_all(
    State(state): State<AppState>,
    Path(token): Path<String>,
    session: Session,
    client: ClientInfo,
) -> Result<Response> {
    let link = links::find(&state, &token, LinkKind::Download, &client).await?;
    links::require_active(&link)?;
    if !links::is_unlocked(&session, &link).await? {
        return Ok(Redirect::to(&links::path(LinkKind::Download, &token)).into_response());
    }
    let grant = links::bucket_of(&state, &link).await?;
    let origin = links::visit_origin(&session, &link, &client).await?;
    let (delivery, count) = visit::download_all(
        &state.s3_clients,
        &state.db,
        &link,
        &grant,
        &origin,
        state.settings.zip_limits,
    )
    .await
    .map_err(|error| match error {
        // more than one zip holds: said as it is
        bucketdesk_core::CoreError::Invalid(problems) => AppError::BadRequest(
            problems
                .into_iter()
                .map(|p| p.message)
                .collect::<Vec<_>>()
                .join(" "),
        ),
        other => for_visitors(other.into()),
    })?;
    if count == 1 && link.notify_first_download {
        links::notify_first_download(&state, &link, &client);
    }
    let mut response = delivery_response(delivery);
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    Ok(response)
}
