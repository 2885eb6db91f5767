//! Editors' changes: create a folder, rename or move, delete (files and
//! whole folders, after a confirmation that says how many objects go).

use super::object::KeyQuery;
use super::{bucket_path, q, storage_error};
use crate::extract::{BucketAccess, ClientInfo, CsrfToken, Form};
use crate::{AppError, AppState, Result};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::response::Redirect;
use bucketdesk_core::access::Editor;
use bucketdesk_db::audit;
use bucketdesk_domain::object::{check_folder_path, check_name, check_new_key, file_name, parent};
use bucketdesk_domain::{BucketId, WorkspaceId};
use bucketdesk_storage::objects;
use futures::StreamExt;
use serde::Deserialize;
use serde_json::json;

async fn record(
    state: &AppState,
    access: &BucketAccess,
    client: &ClientInfo,
    action: &str,
    details: serde_json::Value,
) -> Result<()> {
    let event = audit::NewEvent {
        workspace_id: Some(WorkspaceId(access.bucket().workspace_id)),
        bucket_id: Some(BucketId(access.bucket().id)),
        details,
        ..client.event(&access.me.user, action)
    };
    audit::record(&state.db, event).await?;
    Ok(())
}

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
    check_new_key(&key).map_err(AppError::BadRequest)?;
    let s3 = state.s3_clients.client(&can).await?;
    objects::create_folder(
        &s3,
        &access.bucket().bucket_name,
        &key,
        &state.settings.storage,
    )
    .await
    .map_err(storage_error)?;
    record(
        &state,
        &access,
        &client,
        "folder_created",
        json!({ "key": key }),
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
    // the old key is deleted: a write too (S19)
    check_new_key(&form.key).map_err(AppError::BadRequest)?;
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
    check_new_key(&new_key).map_err(AppError::BadRequest)?;
    if new_key == form.key {
        return Ok(back_to(&access, &folder, "renamed"));
    }
    if is_folder && new_key.starts_with(&form.key) {
        return Err(AppError::BadRequest(
            "A folder cannot be moved into itself.".into(),
        ));
    }
    let bucket = &access.bucket().bucket_name;
    let settings = &state.settings.storage;
    let s3 = state.s3_clients.client(&can).await?;
    let moves: Vec<(String, String)> = if is_folder {
        objects::all_keys(&s3, bucket, &form.key, settings)
            .await
            .map_err(storage_error)?
            .into_iter()
            .map(|k| (k.clone(), format!("{new_key}{}", &k[form.key.len()..])))
            .collect()
    } else {
        vec![(form.key.clone(), new_key.clone())]
    };
    for (_, to) in &moves {
        if objects::exists(&s3, bucket, to, settings)
            .await
            .map_err(storage_error)?
        {
            return Err(AppError::BadRequest(format!(
                "\"{to}\" exists already. Choose another name."
            )));
        }
    }
    // copy everything first (several at once), delete only once every copy is made
    let copies = futures::stream::iter(moves.clone().into_iter().map(|(from, to)| {
        let (s3, bucket, settings) = (s3.clone(), bucket.to_owned(), *settings);
        async move { objects::copy(&s3, &bucket, &from, &to, &settings).await }
    }))
    .buffer_unordered(8)
    .collect::<Vec<_>>()
    .await;
    for copied in copies {
        copied.map_err(storage_error)?;
    }
    let old: Vec<String> = moves.iter().map(|(from, _)| from.clone()).collect();
    objects::delete_keys(&s3, bucket, &old, settings)
        .await
        .map_err(storage_error)?;
    record(
        &state,
        &access,
        &client,
        "object_renamed",
        json!({ "from": form.key, "to": new_key, "objects": moves.len() }),
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
    check_new_key(&query.key).map_err(AppError::BadRequest)?;
    let key = query.key.clone();
    let is_folder = key.ends_with('/');
    let s3 = state.s3_clients.client(&can).await?;
    let count = if is_folder {
        objects::all_keys(
            &s3,
            &access.bucket().bucket_name,
            &key,
            &state.settings.storage,
        )
        .await
        .map_err(storage_error)?
        .len()
    } else {
        1
    };
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
    check_new_key(&form.key).map_err(AppError::BadRequest)?;
    let bucket = &access.bucket().bucket_name;
    let settings = &state.settings.storage;
    let s3 = state.s3_clients.client(&can).await?;
    let keys = if form.key.ends_with('/') {
        objects::all_keys(&s3, bucket, &form.key, settings)
            .await
            .map_err(storage_error)?
    } else {
        vec![form.key.clone()]
    };
    let deleted = objects::delete_keys(&s3, bucket, &keys, settings)
        .await
        .map_err(storage_error)?;
    record(
        &state,
        &access,
        &client,
        "object_deleted",
        json!({ "key": form.key, "objects": deleted }),
    )
    .await?;
    Ok(back_to(&access, parent(&form.key), "deleted"))
}
