//! Who the token acts for, and what they can reach.

use super::auth::ApiUser;
use super::error::ApiResult;
use super::links::workspace_grant;
use super::openapi::{Refusals, WorkspacePath};
use super::rfc3339;
use crate::AppState;
use axum::Json;
use axum::extract::State;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use bucketdesk_api_types as api;
use bucketdesk_core::CoreError;
use bucketdesk_core::access;
use bucketdesk_core::access::Owner;
use bucketdesk_core::tokens::{self, AccessToken};
use bucketdesk_core::workspaces;
use serde::Deserialize;
use uuid::Uuid;

/// `GET /api/v1/me`
#[utoipa::path(get, path = "/api/v1/me", tag = "account",
    summary = "Who the token acts for, and the token itself",
    responses((status = 200, body = api::Me), Refusals))]
pub async fn me(user: ApiUser) -> ApiResult<Json<api::Me>> {
    Ok(Json(api::Me {
        id: user.actor.user.id.to_string(),
        email: user.actor.user.email.clone(),
        token: token_info(&user.token),
    }))
}

/// `GET /api/v1/workspaces`: with their buckets.
#[utoipa::path(get, path = "/api/v1/workspaces", tag = "account",
    summary = "The workspaces and buckets the token's owner has a role on",
    responses((status = 200, body = api::Workspaces), Refusals))]
pub async fn workspaces(
    State(state): State<AppState>,
    user: ApiUser,
) -> ApiResult<Json<api::Workspaces>> {
    let mut workspaces = Vec::new();
    for workspace in access::workspaces(&state.db, &user.actor).await? {
        let buckets = access::buckets(&state.db, &user.actor, &workspace)
            .await?
            .into_iter()
            .map(|grant| super::buckets::described(&grant))
            .collect();
        workspaces.push(api::Workspace {
            id: workspace.id().0.to_string(),
            name: workspace.workspace().name.clone(),
            role: workspace.role().as_str().to_owned(),
            require_second_factor: workspace.workspace().require_second_factor,
            buckets,
        });
    }
    Ok(Json(api::Workspaces { workspaces }))
}

fn token_info(token: &AccessToken) -> api::TokenInfo {
    api::TokenInfo {
        id: token.id.to_string(),
        name: token.name.clone(),
        prefix: token.prefix.clone(),
        scopes: token.scopes.clone(),
        expires_at: rfc3339(token.expires_at),
        created_at: Some(rfc3339(token.created_at)),
        last_used_at: token.last_used_at.map(rfc3339),
        last_used_ip: token.last_used_ip.clone(),
        revoked_at: token.revoked_at.map(rfc3339),
    }
}

/// A token of yours, in the path.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)] // describes the path; the handler reads it as a string
pub struct TokenPath {
    /// The token's id (not its secret).
    token: String,
}

/// `GET /api/v1/tokens`
#[utoipa::path(get, path = "/api/v1/tokens", tag = "account",
    summary = "Your personal access tokens, newest first (never their secret); they are made on the account page",
    responses((status = 200, body = api::Tokens), Refusals))]
pub async fn tokens(State(state): State<AppState>, user: ApiUser) -> ApiResult<Json<api::Tokens>> {
    let found = tokens::list(&state.db, &user.actor).await?;
    Ok(Json(api::Tokens {
        tokens: found.iter().map(token_info).collect(),
    }))
}

/// `POST /api/v1/tokens/{token}/revoke`
#[utoipa::path(post, path = "/api/v1/tokens/{token}/revoke", tag = "account",
    summary = "Revokes one of your tokens (this one too): its next call is refused",
    params(TokenPath),
    responses((status = 200, body = api::TokenInfo), Refusals))]
pub async fn revoke_token(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<String>,
) -> ApiResult<Json<api::TokenInfo>> {
    let id = Uuid::parse_str(&id).map_err(|_| CoreError::NotFound)?;
    let token = tokens::revoke(&state.db, &user.actor, &user.origin, id).await?;
    Ok(Json(token_info(&token)))
}

/// `POST /api/v1/workspaces` `{"name"}`
#[utoipa::path(post, path = "/api/v1/workspaces", tag = "account",
    summary = "Creates a workspace you own (when the instance lets you; scope admin)",
    request_body = api::WorkspaceName,
    responses((status = 201, body = api::Workspace), Refusals))]
pub async fn create_workspace(
    State(state): State<AppState>,
    user: ApiUser,
    body: Result<Json<api::WorkspaceName>, JsonRejection>,
) -> ApiResult<(StatusCode, Json<api::Workspace>)> {
    let Json(body) = body?;
    let workspace = workspaces::create(
        &state.db,
        &user.actor,
        &user.origin,
        state.settings.workspace_creators,
        &body.name,
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(api::Workspace {
            id: workspace.id.to_string(),
            name: workspace.name,
            role: "owner".into(),
            require_second_factor: false,
            buckets: Vec::new(),
        }),
    ))
}

/// `POST /api/v1/workspaces/{workspace}/rename` `{"name"}`
#[utoipa::path(post, path = "/api/v1/workspaces/{workspace}/rename", tag = "account",
    summary = "Renames a workspace (Owners; scope admin)",
    params(WorkspacePath), request_body = api::WorkspaceName,
    responses((status = 200, body = api::WorkspaceName), Refusals))]
pub async fn rename_workspace(
    State(state): State<AppState>,
    user: ApiUser,
    Path(workspace): Path<String>,
    body: Result<Json<api::WorkspaceName>, JsonRejection>,
) -> ApiResult<Json<api::WorkspaceName>> {
    let Json(body) = body?;
    let grant = workspace_grant(&state, &user, &workspace).await?;
    let can = grant.can::<Owner>()?;
    workspaces::rename(&state.db, &can, &user.actor, &user.origin, &body.name).await?;
    Ok(Json(api::WorkspaceName {
        name: body.name.trim().to_owned(),
    }))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ConfirmQuery {
    /// The workspace's name, typed again to confirm.
    confirm: String,
}

/// `DELETE /api/v1/workspaces/{workspace}?confirm=NAME`
#[utoipa::path(delete, path = "/api/v1/workspaces/{workspace}", tag = "account",
    summary = "Deletes a workspace, disconnecting its buckets (Owners; scope admin; `confirm` is its name)",
    params(WorkspacePath, ConfirmQuery),
    responses((status = 204, description = "Deleted"), Refusals))]
pub async fn delete_workspace(
    State(state): State<AppState>,
    user: ApiUser,
    Path(workspace): Path<String>,
    query: Result<Query<ConfirmQuery>, QueryRejection>,
) -> ApiResult<StatusCode> {
    let Query(query) = query?;
    let grant = workspace_grant(&state, &user, &workspace).await?;
    let can = grant.can::<Owner>()?;
    workspaces::delete(
        &state.db,
        &state.s3_clients,
        &can,
        &user.actor,
        &user.origin,
        &query.confirm,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
