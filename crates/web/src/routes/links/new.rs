//! The forms that make links: a download link to files or a folder, an
//! upload link into a folder.

use super::lifetime_choices;
use crate::extract::{BucketAccess, ClientInfo, CsrfToken};
use crate::routes::files::bucket_path;
use crate::{AppState, Result};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, RawForm, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use bucketdesk_core::CoreError;
use bucketdesk_core::access::{Editor, Viewer};
use bucketdesk_core::links::{self as core_links, DownloadLink, LinkOptions, UploadLink};
use bucketdesk_domain::link::{self as rules};
use serde::Deserialize;
use std::time::Duration;
use uuid::Uuid;

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
    networks: String,
    recipients: String,
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
                "networks" => form.networks = value,
                "recipients" => form.recipients = value,
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
    networks: String,
    recipients: String,
    problem: Option<String>,
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
        networks: form.networks.clone(),
        recipients: form.recipients.clone(),
        problem,
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct TargetQuery {
    key: String,
    folder: Option<String>,
}

/// The form for a link to one file (`?key=`) or one folder (`?folder=`).
pub(super) async fn new_link_for(
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
    within_reach(&access, &form)?;
    let problem = form.problem(&access);
    Ok(new_link_page(&access, &state, csrf, &form, problem).into_response())
}

/// The same form for the files selected in the browser.
pub(super) async fn new_link_for_selection(
    State(state): State<AppState>,
    access: BucketAccess,
    CsrfToken(csrf): CsrfToken,
    RawForm(body): RawForm,
) -> Result<Response> {
    let form = LinkForm::parse(&body);
    within_reach(&access, &form)?;
    let problem = form.problem(&access);
    Ok(new_link_page(&access, &state, csrf, &form, problem).into_response())
}

/// Refuses the form of a link to files or a folder the person holds no
/// role at (someone with folder grants, asking for others).
fn within_reach(access: &BucketAccess, form: &LinkForm) -> Result<()> {
    if form.folder.is_none() && form.keys.is_empty() {
        return Ok(()); // nothing chosen yet
    }
    Ok(core_links::check_reach(
        access,
        form.folder.as_deref(),
        &form.keys,
    )?)
}

pub(super) async fn create_link(
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
        Ok(id) => Ok(made(&access, id)),
        Err(problem) => {
            let page = new_link_page(&access, &state, csrf, &form, Some(problem));
            Ok((StatusCode::BAD_REQUEST, page).into_response())
        }
    }
}

/// The new link's page, which shows it once made.
fn made(access: &BucketAccess, id: Uuid) -> Response {
    let workspace = access.bucket().workspace_id;
    Redirect::to(&format!("/w/{workspace}/links/{id}?done=created")).into_response()
}

/// The options both kinds of link have, from the form.
fn options(form: &LinkForm, lifetime: Duration) -> LinkOptions {
    LinkOptions {
        lifetime: Some(lifetime),
        password: Some(form.password.clone()).filter(|p| !p.is_empty()),
        note: form.note.clone(),
        networks: form.networks.clone(),
        recipients: form.recipients.clone(),
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
    networks: String,
    recipients: String,
    notify: bool,
    problem: Option<String>,
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
        networks: form.networks.clone(),
        recipients: form.recipients.clone(),
        notify: form.notify,
        problem,
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct FolderQuery {
    path: String,
}

pub(super) async fn new_upload_link(
    State(state): State<AppState>,
    access: BucketAccess,
    CsrfToken(csrf): CsrfToken,
    Query(query): Query<FolderQuery>,
) -> Result<Response> {
    access.at::<Editor>(&query.path)?;
    let form = LinkForm {
        folder: Some(query.path),
        ..LinkForm::default()
    };
    Ok(new_upload_page(&access, &state, csrf, &form, None).into_response())
}

pub(super) async fn create_upload_link(
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
                notify_arrivals: form.notify,
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
        Ok(id) => Ok(made(&access, id)),
        Err(problem) => {
            let page = new_upload_page(&access, &state, csrf, &form, Some(problem));
            Ok((StatusCode::BAD_REQUEST, page).into_response())
        }
    }
}
