//! An Editor's changes through the API: a folder, a move, a delete.

use super::auth::ApiUser;
use super::error::ApiResult;
use super::files::grant;
use crate::AppState;
use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use bucketdesk_api_types as api;
use bucketdesk_core::access::Editor;
use bucketdesk_core::changes;
use serde::Deserialize;

/// `POST .../folders` `{"key": "reports/2026/"}`
pub async fn create_folder(
    State(state): State<AppState>,
    user: ApiUser,
    Path(ids): Path<(String, String)>,
    body: Result<Json<api::FolderRequest>, JsonRejection>,
) -> ApiResult<(StatusCode, Json<api::FolderRequest>)> {
    let Json(body) = body?;
    let grant = grant(&state, &user, ids).await?;
    let can = grant.can::<Editor>()?;
    changes::create_folder(
        &state.s3_clients,
        &state.db,
        &can,
        &user.actor,
        &user.origin,
        &body.key,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(body)))
}

/// `POST .../move` `{"from", "to"}`
pub async fn rename(
    State(state): State<AppState>,
    user: ApiUser,
    Path(ids): Path<(String, String)>,
    body: Result<Json<api::MoveRequest>, JsonRejection>,
) -> ApiResult<Json<api::Moved>> {
    let Json(body) = body?;
    let grant = grant(&state, &user, ids).await?;
    let can = grant.can::<Editor>()?;
    let objects = changes::rename(
        &state.s3_clients,
        &state.db,
        &can,
        &user.actor,
        &user.origin,
        &body.from,
        &body.to,
    )
    .await?;
    Ok(Json(api::Moved {
        from: body.from,
        to: body.to,
        objects,
    }))
}

#[derive(Deserialize)]
pub struct KeyQuery {
    key: String,
}

/// `DELETE .../objects?key=` (a folder when the key ends with `/`)
pub async fn delete(
    State(state): State<AppState>,
    user: ApiUser,
    Path(ids): Path<(String, String)>,
    query: Result<Query<KeyQuery>, QueryRejection>,
) -> ApiResult<Json<api::Deleted>> {
    let Query(query) = query?;
    let grant = grant(&state, &user, ids).await?;
    let can = grant.can::<Editor>()?;
    let objects = changes::delete(
        &state.s3_clients,
        &state.db,
        &can,
        &user.actor,
        &user.origin,
        &query.key,
    )
    .await?;
    Ok(Json(api::Deleted {
        key: query.key,
        objects,
    }))
}
