//! Editors' changes as pages: create a folder, rename or move, delete
//! (files and whole folders, after a confirmation that says how many
//! objects go). The rules and the audit events are the core's
//! (`bucketdesk_core::changes`); these handlers read the forms.

use super::object::KeyQuery;
use super::{bucket_path, q};
use crate::extract::{BucketAccess, ClientInfo, CsrfToken, Form};
use crate::{AppError, AppState, Result};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::response::Redirect;
use bucketdesk_core::access::Editor;
use bucketdesk_core::changes;
use bucketdesk_domain::object::{check_folder_path, check_name, file_name, parent};
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

pub async fn create_folder(
    State(state): State<AppState>,
    access: BucketAccess,
    client: ClientInfo,
    Form(form): Form<FolderForm>,
) -> Result<Redirect> {
    let can = access.can::<Editor>()?;
    check_folder_path(&form.path).map_err(AppError::BadRequest)?;
    check_name(form.name.trim()).map_err(AppError::BadRequest)?;
    let key = format!("{}{}/", form.path, form.name.trim());
    changes::create_folder(
        &state.s3_clients,
        &state.db,
        &can,
        &access.me.actor(),
        &client.origin(),
        &key,
    )
    .await?;
    Ok(back_to(&access, &form.path, "folder"))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RenameForm {
    key: String,
    new_name: String,
    /// The folder to move into; empty keeps the current one.
    folder: String,
}

pub async fn rename(
    State(state): State<AppState>,
    access: BucketAccess,
    client: ClientInfo,
    Form(form): Form<RenameForm>,
) -> Result<Redirect> {
    let can = access.can::<Editor>()?;
    check_name(form.new_name.trim()).map_err(AppError::BadRequest)?;
    let is_folder = form.key.ends_with('/');
    let mut folder = if form.folder.trim().is_empty() {
        parent(&form.key).to_owned()
    } else {
        form.folder.trim().to_owned()
    };
    if !folder.is_empty() && !folder.ends_with('/') {
        folder.push('/');
    }
    check_folder_path(&folder).map_err(AppError::BadRequest)?;
    let new_key = format!(
        "{folder}{}{}",
        form.new_name.trim(),
        if is_folder { "/" } else { "" }
    );
    changes::rename(
        &state.s3_clients,
        &state.db,
        &can,
        &access.me.actor(),
        &client.origin(),
        &form.key,
        &new_key,
    )
    .await?;
    Ok(back_to(&access, &folder, "renamed"))
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
