//! Editors' changes as pages: create a folder, rename or move, delete
//! (files and whole folders, after a confirmation that says how many
//! objects go). The rules and the audit events are the core's
//! (`bucketdesk_core::changes`); these handlers read the forms.

use super::object::KeyQuery;
use super::{bucket_path, q};
use crate::extract::{BucketAccess, ClientInfo, CsrfToken, Form};
use crate::form_problem;
use crate::{AppError, AppState, Result};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::response::Redirect;
use bucketdesk_core::CoreError;
use bucketdesk_core::access::Editor;
use bucketdesk_core::changes;
use bucketdesk_domain::object::{check_folder_path, check_name, check_new_key, file_name, parent};
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
fn fixable(error: CoreError) -> std::result::Result<String, AppError> {
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
/// is taken) goes back to the file's page, said beside the field.
pub async fn rename(
    State(state): State<AppState>,
    access: BucketAccess,
    client: ClientInfo,
    Form(form): Form<RenameForm>,
) -> Result<Redirect> {
    match rename_as_asked(&state, &access, &client, &form).await? {
        Ok(redirect) => Ok(redirect),
        Err(message) => {
            let typed = form.new_name.trim();
            form_problem::keep(&access.me.session, "rename", message, typed).await?;
            let base = bucket_path(access.bucket());
            Ok(Redirect::to(&if form.key.ends_with('/') {
                format!("{base}?path={}", q(parent(&form.key)))
            } else {
                format!("{base}/object?key={}", q(&form.key))
            }))
        }
    }
}

async fn rename_as_asked(
    state: &AppState,
    access: &BucketAccess,
    client: &ClientInfo,
    form: &RenameForm,
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
    )
    .await;
    match renamed {
        Ok(_) => Ok(Ok(back_to(access, &folder, "renamed"))),
        Err(error) => Ok(Err(fixable(error)?)),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "buckets/delete.html")]
pub struct DeletePage {
    csrf: String,
    base: String,
    key: String,
    name: String,
    is_folder: bool,
    count: usize,
    cancel_href: String,
    signed_in: bool,
}

pub async fn confirm_delete(
    State(state): State<AppState>,
    access: BucketAccess,
    CsrfToken(csrf): CsrfToken,
    Query(query): Query<KeyQuery>,
) -> Result<DeletePage> {
    let can = access.can::<Editor>()?;
    let key = query.key.clone();
    let is_folder = key.ends_with('/');
    let count = changes::count(&state.s3_clients, &can, &key).await?;
    let base = bucket_path(access.bucket());
    Ok(DeletePage {
        csrf,
        cancel_href: format!("{base}?path={}", q(parent(&key))),
        base,
        name: file_name(&key).to_owned(),
        key,
        is_folder,
        count,
        signed_in: true,
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DeleteForm {
    key: String,
}

pub async fn delete(
    State(state): State<AppState>,
    access: BucketAccess,
    client: ClientInfo,
    Form(form): Form<DeleteForm>,
) -> Result<Redirect> {
    let can = access.can::<Editor>()?;
    changes::delete(
        &state.s3_clients,
        &state.db,
        &can,
        &access.me.actor(),
        &client.origin(),
        &form.key,
    )
    .await?;
    Ok(back_to(&access, parent(&form.key), "deleted"))
}
