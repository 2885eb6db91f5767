//! Making and managing revocable links. Anyone who can download from a
//! bucket may make a download link to its files or folders; Editors and above
//! may make upload links. The links page lists a person's own links, and
//! for a bucket's Admins and Owners every link on it: status, expiry, use,
//! last visit, with revoke, extend and copy.

use super::files::bucket_path;
use crate::extract::{BucketAccess, ClientInfo, CsrfToken, Form, WorkspaceAccess};
use crate::links;
use crate::pages::utc_minutes;
use crate::{AppError, AppState, Result};
use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, Query, RawForm, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use bucketdesk_core::CoreError;
use bucketdesk_core::access::{Editor, Viewer};
use bucketdesk_core::links::{self as core_links, DownloadLink, LinkOptions, UploadLink};
use bucketdesk_db::links::{Link, LinkKind};
use bucketdesk_domain::link::{self as rules, LinkState, describe_duration};
use bucketdesk_domain::object::human_size;
use serde::Deserialize;
use std::time::Duration;
use uuid::Uuid;

/// Links the links page shows.
const PAGE_LIMIT: i64 = 500;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/w/{workspace}/links", get(list_links))
        .route("/w/{workspace}/links/{link}", get(show_link))
        .route("/w/{workspace}/links/{link}/revoke", post(revoke_link))
        .route("/w/{workspace}/links/{link}/extend", post(extend_link))
        .route(
            "/w/{workspace}/b/{bucket}/links/new",
            get(new_link_for).post(new_link_for_selection),
        )
        .route("/w/{workspace}/b/{bucket}/links", post(create_link))
        .route(
            "/w/{workspace}/b/{bucket}/upload-links/new",
            get(new_upload_link),
        )
        .route(
            "/w/{workspace}/b/{bucket}/upload-links",
            post(create_upload_link),
        )
}

/// The lifetimes the forms offer, up to the instance maximum: (seconds, words).
fn lifetime_choices(max: Duration) -> Vec<(u64, String)> {
    let mut choices: Vec<(u64, String)> = [
        3_600u64,
        86_400,
        7 * 86_400,
        30 * 86_400,
        90 * 86_400,
        365 * 86_400,
    ]
    .into_iter()
    .filter(|secs| *secs <= max.as_secs())
    .map(|secs| (secs, describe_duration(Duration::from_secs(secs))))
    .collect();
    if choices.last().is_none_or(|(secs, _)| *secs < max.as_secs()) {
        choices.push((max.as_secs(), describe_duration(max)));
    }
    choices
}

/// The fields of a form that may repeat `keys` (one per selected file).
#[derive(Default)]
struct LinkForm {
    keys: Vec<String>,
    folder: Option<String>,
    expires: String,
    password: String,
    max_downloads: String,
    max_files: String,
    max_file_mb: String,
    note: String,
    notify: bool,
}

impl LinkForm {
    fn parse(body: &[u8]) -> Self {
        let mut form = LinkForm::default();
        for (name, value) in url::form_urlencoded::parse(body) {
            let value = value.into_owned();
            match name.as_ref() {
                "keys" | "key" => form.keys.push(value),
                "folder" => form.folder = Some(as_folder(&value)),
                "expires" => form.expires = value,
                "password" => form.password = value,
                "max_downloads" => form.max_downloads = value,
                "max_files" => form.max_files = value,
                "max_file_mb" => form.max_file_mb = value,
                "note" => form.note = value,
                "notify" => form.notify = value == "1" || value == "on",
                _ => {}
            }
        }
        form
    }

    /// The lifetime the form shows as chosen, in seconds: the one sent, or
    /// the default.
    /// What is wrong with the files or folder a download link would share.
    fn problem(&self, access: &BucketAccess) -> Option<String> {
        core_links::check_target(&access.grant, self.folder.as_deref(), &self.keys)
            .err()
            .map(|problem| problem.message)
    }

    fn chosen_lifetime(&self, max: Duration) -> u64 {
        self.expires
            .parse()
            .unwrap_or_else(|_| rules::DEFAULT_LIFETIME.min(max).as_secs())
    }
}

/// "reports" and "/reports/" both mean the folder "reports/"; "" is the
/// top of the bucket.
fn as_folder(typed: &str) -> String {
    let folder = typed.trim().trim_start_matches('/');
    if folder.is_empty() || folder.ends_with('/') {
        folder.to_owned()
    } else {
        format!("{folder}/")
    }
}

// ----- the forms -----

#[derive(Template, WebTemplate)]
#[template(path = "links/new.html")]
struct NewLinkPage {
    csrf: String,
    base: String,
    display_name: String,
    keys: Vec<String>,
    folder: Option<String>,
    choices: Vec<(u64, String)>,
    expires: u64,
    max_downloads: String,
    note: String,
    notify: bool,
    problem: Option<String>,
    signed_in: bool,
}

fn new_link_page(
    access: &BucketAccess,
    state: &AppState,
    csrf: String,
    form: &LinkForm,
    problem: Option<String>,
) -> NewLinkPage {
    let choices = lifetime_choices(state.settings.link_max_lifetime);
    NewLinkPage {
        csrf,
        base: bucket_path(access.bucket()),
        display_name: access.bucket().display_name.clone(),
        keys: form.keys.clone(),
        folder: form.folder.clone(),
        expires: form.chosen_lifetime(state.settings.link_max_lifetime),
        choices,
        max_downloads: form.max_downloads.clone(),
        note: form.note.clone(),
        notify: form.notify,
        problem,
        signed_in: true,
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct TargetQuery {
    key: String,
    folder: Option<String>,
}

/// The form for a link to one file (`?key=`) or one folder (`?folder=`).
async fn new_link_for(
    State(state): State<AppState>,
    access: BucketAccess,
    CsrfToken(csrf): CsrfToken,
    Query(query): Query<TargetQuery>,
) -> Result<Response> {
    let form = LinkForm {
        keys: (!query.key.is_empty())
            .then_some(query.key)
            .into_iter()
            .collect(),
        folder: query.folder.as_deref().map(as_folder),
        ..LinkForm::default()
    };
    let problem = form.problem(&access);
    Ok(new_link_page(&access, &state, csrf, &form, problem).into_response())
}

/// The same form for the files selected in the browser.
async fn new_link_for_selection(
    State(state): State<AppState>,
    access: BucketAccess,
    CsrfToken(csrf): CsrfToken,
    RawForm(body): RawForm,
) -> Result<Response> {
    let form = LinkForm::parse(&body);
    let problem = form.problem(&access);
    Ok(new_link_page(&access, &state, csrf, &form, problem).into_response())
}

async fn create_link(
    State(state): State<AppState>,
    access: BucketAccess,
    client: ClientInfo,
    CsrfToken(csrf): CsrfToken,
    RawForm(body): RawForm,
) -> Result<Response> {
    let form = LinkForm::parse(&body);
    let max_lifetime = state.settings.link_max_lifetime;
    let typed = (|| {
        Ok::<_, String>((
            rules::lifetime(&form.expires, max_lifetime)?,
            rules::limit(&form.max_downloads, "The download limit")?,
        ))
    })();
    let created = match typed {
        Ok((lifetime, max_downloads)) => {
            let link = DownloadLink {
                keys: form.keys.clone(),
                folder: form.folder.clone(),
                options: options(&form, lifetime),
                max_downloads,
                notify_first_download: form.notify,
            };
            let can = access.can::<Viewer>()?;
            let made = core_links::create_download(
                &state.db,
                &state.link_tokens,
                &can,
                &access.me.actor(),
                &client.origin(),
                &state.settings.link_limits(),
                link,
            )
            .await;
            form_outcome(made)?
        }
        Err(problem) => Err(problem),
    };
    match created {
        Ok(id) => Ok(Redirect::to(&format!(
            "/w/{}/links/{id}?done=created",
            access.bucket().workspace_id
        ))
        .into_response()),
        Err(problem) => {
            let page = new_link_page(&access, &state, csrf, &form, Some(problem));
            Ok((StatusCode::BAD_REQUEST, page).into_response())
        }
    }
}

/// The options both kinds of link have, from the form.
fn options(form: &LinkForm, lifetime: Duration) -> LinkOptions {
    LinkOptions {
        lifetime: Some(lifetime),
        password: Some(form.password.clone()).filter(|p| !p.is_empty()),
        note: form.note.clone(),
    }
}

/// A link made, or the first problem with the form (shown on the form again).
fn form_outcome(
    made: std::result::Result<core_links::Created, CoreError>,
) -> Result<std::result::Result<Uuid, String>> {
    match made {
        Ok(created) => Ok(Ok(created.id)),
        Err(CoreError::Invalid(problems)) => Ok(Err(problems
            .into_iter()
            .map(|problem| problem.message)
            .collect::<Vec<_>>()
            .join(" "))),
        Err(other) => Err(other.into()),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "links/new_upload.html")]
struct NewUploadLinkPage {
    csrf: String,
    base: String,
    display_name: String,
    folder: String,
    choices: Vec<(u64, String)>,
    expires: u64,
    max_file_mb: String,
    max_files: String,
    note: String,
    problem: Option<String>,
    signed_in: bool,
}

fn new_upload_page(
    access: &BucketAccess,
    state: &AppState,
    csrf: String,
    form: &LinkForm,
    problem: Option<String>,
) -> NewUploadLinkPage {
    NewUploadLinkPage {
        csrf,
        base: bucket_path(access.bucket()),
        display_name: access.bucket().display_name.clone(),
        folder: form.folder.clone().unwrap_or_default(),
        choices: lifetime_choices(state.settings.link_max_lifetime),
        expires: form.chosen_lifetime(state.settings.link_max_lifetime),
        max_file_mb: form.max_file_mb.clone(),
        max_files: form.max_files.clone(),
        note: form.note.clone(),
        problem,
        signed_in: true,
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct FolderQuery {
    path: String,
}

async fn new_upload_link(
    State(state): State<AppState>,
    access: BucketAccess,
    CsrfToken(csrf): CsrfToken,
    Query(query): Query<FolderQuery>,
) -> Result<Response> {
    access.can::<Editor>()?;
    let form = LinkForm {
        folder: Some(query.path),
        ..LinkForm::default()
    };
    Ok(new_upload_page(&access, &state, csrf, &form, None).into_response())
}

async fn create_upload_link(
    State(state): State<AppState>,
    access: BucketAccess,
    client: ClientInfo,
    CsrfToken(csrf): CsrfToken,
    RawForm(body): RawForm,
) -> Result<Response> {
    let can = access.can::<Editor>()?;
    let mut form = LinkForm::parse(&body);
    form.folder.get_or_insert_default();
    let typed = (|| {
        Ok::<_, String>((
            rules::lifetime(&form.expires, state.settings.link_max_lifetime)?,
            rules::size_limit_mb(&form.max_file_mb, state.settings.max_upload_bytes)?,
            rules::limit(&form.max_files, "The number of files")?,
        ))
    })();
    let created = match typed {
        Ok((lifetime, max_file_bytes, max_files)) => {
            let link = UploadLink {
                folder: form.folder.clone().unwrap_or_default(),
                options: options(&form, lifetime),
                max_files,
                max_file_bytes,
            };
            let made = core_links::create_upload(
                &state.db,
                &state.link_tokens,
                &can,
                &access.me.actor(),
                &client.origin(),
                &state.settings.link_limits(),
                link,
            )
            .await;
            form_outcome(made)?
        }
        Err(problem) => Err(problem),
    };
    match created {
        Ok(id) => Ok(Redirect::to(&format!(
            "/w/{}/links/{id}?done=created",
            access.bucket().workspace_id
        ))
        .into_response()),
        Err(problem) => {
            let page = new_upload_page(&access, &state, csrf, &form, Some(problem));
            Ok((StatusCode::BAD_REQUEST, page).into_response())
        }
    }
}

// ----- the links page -----

pub struct LinkRow {
    id: Uuid,
    what: String,
    kind: &'static str,
    bucket: String,
    state: LinkState,
    expires_at: String,
    usage: String,
    last_visit: String,
    creator: String,
    address: Option<String>,
}

fn usage(link: &Link) -> String {
    match link.kind() {
        LinkKind::Download => match link.max_downloads {
            Some(max) => format!("{} of {max} downloads", link.downloads),
            None => format!("{} downloads", link.downloads),
        },
        LinkKind::Upload => match link.max_files {
            Some(max) => format!("{} of {max} files", link.files_taken),
            None => format!("{} files", link.files_taken),
        },
    }
}

fn row(state: &AppState, link: &Link) -> LinkRow {
    LinkRow {
        id: link.id,
        what: links::describe(link),
        kind: match link.kind() {
            LinkKind::Download => "Download",
            LinkKind::Upload => "Upload",
        },
        bucket: link.bucket_label.clone(),
        state: link.state(),
        expires_at: utc_minutes(link.expires_at),
        usage: usage(link),
        last_visit: link.last_visit_at.map(utc_minutes).unwrap_or_default(),
        creator: link.creator_email.clone().unwrap_or_default(),
        address: links::address(state, link),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "links/index.html")]
struct LinksPage {
    csrf: String,
    workspace_id: Uuid,
    workspace_name: String,
    rows: Vec<LinkRow>,
    signed_in: bool,
}

async fn list_links(
    State(state): State<AppState>,
    access: WorkspaceAccess,
    CsrfToken(csrf): CsrfToken,
) -> Result<Response> {
    let found = core_links::list(&state.db, &access.grant, &access.me.actor(), PAGE_LIMIT).await?;
    Ok(LinksPage {
        csrf,
        workspace_id: access.workspace().id,
        workspace_name: access.workspace().name.clone(),
        rows: found.iter().map(|link| row(&state, link)).collect(),
        signed_in: true,
    }
    .into_response())
}

pub struct Visit {
    at: String,
    action: &'static str,
    file: String,
    ip: String,
    user_agent: String,
    person: String,
}

pub struct Arrival {
    name: String,
    size: String,
    at: String,
    ip: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "links/show.html")]
struct LinkPage {
    csrf: String,
    workspace_id: Uuid,
    workspace_name: String,
    link: LinkRow,
    is_upload: bool,
    note: String,
    password: bool,
    folder: String,
    keys: Vec<String>,
    created_at: String,
    limits: Vec<String>,
    notify: bool,
    visits: Vec<Visit>,
    arrivals: Vec<Arrival>,
    choices: Vec<(u64, String)>,
    notice: Option<&'static str>,
    signed_in: bool,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DoneQuery {
    done: String,
}

async fn visible_link(state: &AppState, access: &WorkspaceAccess, id: &str) -> Result<Link> {
    let id = Uuid::parse_str(id).map_err(|_| AppError::NoAccess)?;
    let found = core_links::find(&state.db, &access.grant, &access.me.actor(), id).await;
    found.map_err(|error| match error {
        CoreError::NotFound => AppError::NoAccess,
        other => other.into(),
    })
}

async fn show_link(
    State(state): State<AppState>,
    access: WorkspaceAccess,
    CsrfToken(csrf): CsrfToken,
    Path((_, id)): Path<(String, String)>,
    Query(query): Query<DoneQuery>,
) -> Result<Response> {
    let link = visible_link(&state, &access, &id).await?;
    let events = core_links::visits(&state.db, &access.grant, &link, 500).await?;
    let visits = events
        .iter()
        .map(|event| Visit {
            at: utc_minutes(event.occurred_at),
            action: crate::actions::describe(&event.action),
            file: event
                .details
                .get("key")
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_owned(),
            ip: event.ip.clone().unwrap_or_default(),
            user_agent: event.user_agent.clone().unwrap_or_default(),
            person: event
                .actor_email
                .clone()
                .unwrap_or_else(|| "Someone with the link".into()),
        })
        .collect();
    let arrivals = core_links::arrivals(&state.db, &link)
        .await?
        .into_iter()
        .map(|a| Arrival {
            name: a.key,
            size: human_size(a.size),
            at: utc_minutes(a.finished_at),
            ip: a.ip.unwrap_or_default(),
        })
        .collect();
    let mut limits = Vec::new();
    if let Some(max) = link.max_downloads {
        limits.push(format!("At most {max} downloads"));
    }
    if let Some(max) = link.max_files {
        limits.push(format!("At most {max} files"));
    }
    if let Some(max) = link.max_file_bytes {
        limits.push(format!("Files of at most {}", human_size(max)));
    }
    Ok(LinkPage {
        csrf,
        workspace_id: access.workspace().id,
        workspace_name: access.workspace().name.clone(),
        is_upload: link.kind() == LinkKind::Upload,
        note: link.note.clone(),
        password: link.password_hash.is_some(),
        folder: link.folder.clone().unwrap_or_default(),
        keys: link.keys.clone(),
        created_at: utc_minutes(link.created_at),
        limits,
        notify: link.notify_first_download,
        visits,
        arrivals,
        choices: lifetime_choices(state.settings.link_max_lifetime),
        notice: match query.done.as_str() {
            "created" => Some("Link made. Copy it and send it to whoever needs it."),
            "revoked" => Some("Link revoked: it stopped working at once."),
            "extended" => Some("Link extended."),
            _ => None,
        },
        link: row(&state, &link),
        signed_in: true,
    }
    .into_response())
}

async fn revoke_link(
    State(state): State<AppState>,
    access: WorkspaceAccess,
    client: ClientInfo,
    Path((_, id)): Path<(String, String)>,
) -> Result<Response> {
    let link = visible_link(&state, &access, &id).await?;
    let actor = access.me.actor();
    core_links::revoke(&state.db, &access.grant, &actor, &client.origin(), link.id).await?;
    Ok(Redirect::to(&format!(
        "/w/{}/links/{}?done=revoked",
        link.workspace_id, link.id
    ))
    .into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ExtendForm {
    expires: String,
}

async fn extend_link(
    State(state): State<AppState>,
    access: WorkspaceAccess,
    client: ClientInfo,
    Path((_, id)): Path<(String, String)>,
    Form(form): Form<ExtendForm>,
) -> Result<Response> {
    let link = visible_link(&state, &access, &id).await?;
    let lifetime = rules::lifetime(&form.expires, state.settings.link_max_lifetime)
        .map_err(AppError::BadRequest)?;
    let actor = access.me.actor();
    let extended = core_links::extend(
        &state.db,
        &access.grant,
        &actor,
        &client.origin(),
        &state.settings.link_limits(),
        link.id,
        lifetime,
    )
    .await;
    match extended {
        Ok(_) => {}
        Err(CoreError::Conflict { message, .. }) => return Err(AppError::BadRequest(message)),
        Err(other) => return Err(other.into()),
    }
    Ok(Redirect::to(&format!(
        "/w/{}/links/{}?done=extended",
        link.workspace_id, link.id
    ))
    .into_response())
}
