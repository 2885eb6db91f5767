//! Editors' changes as pages: create a folder, rename or move, delete
//! (files and whole folders, after a confirmation that says how many
//! objects go). The rules and the audit events are the core's
//! (`bucketdesk_core::changes`); these handlers read the forms.

use super::browse::{Crumb, crumbs};
use super::object::KeyQuery;
use super::{bucket_path, move_progress, q};
use crate::extract::{BucketAccess, ClientInfo, CsrfToken, Form};
use crate::form_problem;
use crate::{AppError, AppState, Result};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, RawForm, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use bucketdesk_core::CoreError;
use bucketdesk_core::access::Editor;
use bucketdesk_core::changes::{self, MoveWatch};
use bucketdesk_domain::object::{check_folder_path, check_name, check_new_key, file_name, parent};
use bucketdesk_domain::text::plural;
use serde::Deserialize;

fn back_to(access: &BucketAccess, folder: &str, done: &str) -> Redirect {
    Redirect::to(&format!(
        "{}?path={}&done={done}",
        bucket_path(access.bucket()),
        q(folder)
    ))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct FolderForm {
    path: String,
    name: String,
}

/// The words of a mistake the person can fix in the form, or the error
/// itself when it is not one.
pub(super) fn fixable(error: CoreError) -> std::result::Result<String, AppError> {
    match error {
        CoreError::Invalid(problems) => Ok(problems
            .into_iter()
            .map(|p| p.message)
            .collect::<Vec<_>>()
            .join(" ")),
        CoreError::Conflict { message, .. } => Ok(message),
        other => Err(other.into()),
    }
}

/// Makes the folder and opens it (S3 lists no empty folder on some
/// services: the new one is shown at once, and stays, kept by its marker).
/// A bad name goes back to the form, said beside the field.
pub async fn create_folder(
    State(state): State<AppState>,
    access: BucketAccess,
    client: ClientInfo,
    Form(form): Form<FolderForm>,
) -> Result<Redirect> {
    let can = access.can::<Editor>()?;
    check_folder_path(&form.path).map_err(AppError::BadRequest)?;
    let name = form.name.trim();
    let message = match check_name(name) {
        Err(message) => message,
        Ok(()) => {
            let key = format!("{}{name}/", form.path);
            let made = changes::create_folder(
                &state.s3_clients,
                &state.db,
                &can,
                &access.me.actor(),
                &client.origin(),
                &key,
            )
            .await;
            match made {
                Ok(()) => return Ok(back_to(&access, &key, "folder")),
                Err(error) => fixable(error)?,
            }
        }
    };
    form_problem::keep(&access.me.session, "folder", message, name).await?;
    Ok(Redirect::to(&format!(
        "{}?path={}",
        bucket_path(access.bucket()),
        q(&form.path)
    )))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RenameForm {
    key: String,
    new_name: String,
    /// The folder to move into; empty keeps the current one.
    folder: String,
}

/// Renames or moves a file (or a folder); a mistake (a bad name, a name that
/// is taken) goes back to the file's page, said beside the field. The page's
/// script may ask to follow the progress (`move_progress`).
pub async fn rename(
    State(state): State<AppState>,
    access: BucketAccess,
    client: ClientInfo,
    headers: HeaderMap,
    Form(form): Form<RenameForm>,
) -> Result<Response> {
    if move_progress::wanted(&headers) {
        return Ok(move_progress::answer(move |progress| async move {
            let next = rename_and_go(&state, &access, &client, &form, Some(&progress)).await;
            move_progress::keep_session(&access).await;
            next
        }));
    }
    Ok(rename_and_go(&state, &access, &client, &form, None)
        .await?
        .into_response())
}

async fn rename_and_go(
    state: &AppState,
    access: &BucketAccess,
    client: &ClientInfo,
    form: &RenameForm,
    progress: Option<&MoveWatch>,
) -> Result<Redirect> {
    match rename_as_asked(state, access, client, form, progress).await? {
        Ok(redirect) => Ok(redirect),
        Err(message) => {
            let typed = form.new_name.trim();
            form_problem::keep(&access.me.session, "rename", message, typed).await?;
            let base = bucket_path(access.bucket());
            Ok(Redirect::to(&if form.key.ends_with('/') {
                format!("{base}/rename?key={}", q(&form.key))
            } else {
                format!("{base}/object?key={}", q(&form.key))
            }))
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "buckets/rename.html")]
pub struct RenamePage {
    csrf: String,
    base: String,
    display_name: String,
    crumbs: Vec<Crumb>,
    key: String,
    name: String,
    folder: String,
    cancel_href: String,
    /// Why the last rename did not happen, and the name that was typed.
    rename_problem: Option<(String, String)>,
}

/// The rename or move form of a folder (or of a file: its own page has
/// the same form), for the row's Rename.
pub async fn show_rename(
    access: BucketAccess,
    CsrfToken(csrf): CsrfToken,
    Query(query): Query<KeyQuery>,
) -> Result<RenamePage> {
    check_new_key(&query.key).map_err(AppError::BadRequest)?;
    access.at::<Editor>(&query.key)?;
    let base = bucket_path(access.bucket());
    let folder = parent(&query.key).to_owned();
    Ok(RenamePage {
        csrf,
        display_name: access.bucket().display_name.clone(),
        crumbs: crumbs(&base, &folder, access.grants().top_of(&folder)),
        cancel_href: format!("{base}?path={}", q(&folder)),
        base,
        name: file_name(&query.key).to_owned(),
        key: query.key,
        folder,
        rename_problem: form_problem::take(&access.me.session)
            .await?
            .filter(|p| p.form == "rename")
            .map(|p| (p.message, p.typed)),
    })
}

async fn rename_as_asked(
    state: &AppState,
    access: &BucketAccess,
    client: &ClientInfo,
    form: &RenameForm,
    progress: Option<&MoveWatch>,
) -> Result<std::result::Result<Redirect, String>> {
    let can = access.can::<Editor>()?;
    // the key comes from the page, not from the person: a bad one is refused
    check_new_key(&form.key).map_err(AppError::BadRequest)?;
    if let Err(message) = check_name(form.new_name.trim()) {
        return Ok(Err(message));
    }
    let is_folder = form.key.ends_with('/');
    let mut folder = if form.folder.trim().is_empty() {
        parent(&form.key).to_owned()
    } else {
        form.folder.trim().to_owned()
    };
    if !folder.is_empty() && !folder.ends_with('/') {
        folder.push('/');
    }
    if let Err(message) = check_folder_path(&folder) {
        return Ok(Err(message));
    }
    let new_key = format!(
        "{folder}{}{}",
        form.new_name.trim(),
        if is_folder { "/" } else { "" }
    );
    let renamed = changes::rename(
        &state.s3_clients,
        &state.db,
        &can,
        &access.me.actor(),
        &client.origin(),
        &form.key,
        &new_key,
        progress,
    )
    .await;
    match renamed {
        Ok(_) => Ok(Ok(back_to(access, &folder, "renamed"))),
        Err(error) => Ok(Err(fixable(error)?)),
    }
}

/// The values of every `name` field of a form or query (the selection's
/// `keys` come as one field per ticked box).
pub(super) fn all_of(body: &[u8], name: &str) -> Vec<String> {
    url::form_urlencoded::parse(body)
        .filter(|(field, _)| field == name)
        .map(|(_, value)| value.into_owned())
        .collect()
}

/// The first value of `name`, or "".
pub(super) fn one_of(body: &[u8], name: &str) -> String {
    all_of(body, name).into_iter().next().unwrap_or_default()
}

/// Back to the folder with a mistake said beside the selection's buttons.
pub(super) async fn selection_problem(
    access: &BucketAccess,
    folder: &str,
    message: String,
) -> Result<Redirect> {
    form_problem::keep(&access.me.session, "selection", message, "").await?;
    Ok(Redirect::to(&format!(
        "{}?path={}",
        bucket_path(access.bucket()),
        q(folder)
    )))
}

#[derive(Template, WebTemplate)]
#[template(path = "buckets/delete.html")]
pub struct DeletePage {
    csrf: String,
    base: String,
    keys: Vec<String>,
    /// The one file or folder's name, when one is deleted.
    name: Option<String>,
    folders: usize,
    count: usize,
    cancel_href: String,
}

impl DeletePage {
    fn title(&self) -> String {
        match &self.name {
            Some(name) if self.folders == 1 => format!("the folder “{name}”"),
            Some(name) => format!("“{name}”"),
            None => plural(self.keys.len() as i64, "selected item", "selected items"),
        }
    }
}

/// "Delete?": what goes, counted. One key from a row's Delete link
/// (`GET ?key=`), or the ticked ones (`POST` from the selection bar).
pub async fn confirm_delete(
    State(state): State<AppState>,
    access: BucketAccess,
    CsrfToken(csrf): CsrfToken,
    RawQuery(query): RawQuery,
) -> Result<DeletePage> {
    let keys = all_of(query.unwrap_or_default().as_bytes(), "key");
    delete_page(&state, &access, csrf, keys).await
}

pub async fn confirm_delete_selected(
    State(state): State<AppState>,
    access: BucketAccess,
    CsrfToken(csrf): CsrfToken,
    RawForm(body): RawForm,
) -> Result<Response> {
    let keys = all_of(&body, "keys");
    if keys.is_empty() {
        let message = "Tick the files and folders to delete first.".to_owned();
        return Ok(selection_problem(&access, &one_of(&body, "path"), message)
            .await?
            .into_response());
    }
    Ok(delete_page(&state, &access, csrf, keys)
        .await?
        .into_response())
}

async fn delete_page(
    state: &AppState,
    access: &BucketAccess,
    csrf: String,
    keys: Vec<String>,
) -> Result<DeletePage> {
    let can = access.can::<Editor>()?;
    let count = changes::count(&state.s3_clients, &can, &keys).await?;
    let base = bucket_path(access.bucket());
    Ok(DeletePage {
        csrf,
        cancel_href: format!("{base}?path={}", q(keys.first().map_or("", |k| parent(k)))),
        base,
        name: (keys.len() == 1).then(|| file_name(&keys[0]).to_owned()),
        folders: keys.iter().filter(|k| k.ends_with('/')).count(),
        keys,
        count,
    })
}

pub async fn delete(
    State(state): State<AppState>,
    access: BucketAccess,
    client: ClientInfo,
    RawForm(body): RawForm,
) -> Result<Redirect> {
    let can = access.can::<Editor>()?;
    let keys = all_of(&body, "key");
    changes::delete_many(
        &state.s3_clients,
        &state.db,
        &can,
        &access.me.actor(),
        &client.origin(),
        &keys,
    )
    .await?;
    Ok(back_to(
        &access,
        keys.first().map_or("", |k| parent(k)),
        "deleted",
    ))
}

/// Moves the ticked files and folders into another folder (named by its
/// path, like `reports/2026/`; empty is the top of the bucket), or the
/// dragged ones onto a folder of the list. A mistake (a bad path, a name
/// taken there) goes back to the list, said beside the selection's buttons.
pub async fn move_selected(
    State(state): State<AppState>,
    access: BucketAccess,
    client: ClientInfo,
    headers: HeaderMap,
    RawForm(body): RawForm,
) -> Result<Response> {
    if move_progress::wanted(&headers) {
        return Ok(move_progress::answer(move |progress| async move {
            let next = move_and_go(&state, &access, &client, &body, Some(&progress)).await;
            move_progress::keep_session(&access).await;
            next
        }));
    }
    Ok(move_and_go(&state, &access, &client, &body, None)
        .await?
        .into_response())
}

async fn move_and_go(
    state: &AppState,
    access: &BucketAccess,
    client: &ClientInfo,
    body: &[u8],
    progress: Option<&MoveWatch>,
) -> Result<Redirect> {
    let can = access.can::<Editor>()?;
    let keys = all_of(body, "keys");
    let here = one_of(body, "path");
    check_folder_path(&here).map_err(AppError::BadRequest)?;
    let mut folder = one_of(body, "folder")
        .trim()
        .trim_start_matches('/')
        .to_owned();
    if !folder.is_empty() && !folder.ends_with('/') {
        folder.push('/');
    }
    let moved = changes::move_into(
        &state.s3_clients,
        &state.db,
        &can,
        &access.me.actor(),
        &client.origin(),
        &keys,
        &folder,
        progress,
    )
    .await;
    match moved {
        Ok(_) => Ok(back_to(access, &here, "moved")),
        Err(error) => selection_problem(access, &here, fixable(error)?).await,
    }
}
