//! Who the token acts for, and what they can reach.

use super::auth::ApiUser;
use super::error::ApiResult;
use super::openapi::Refusals;
use super::rfc3339;
use crate::AppState;
use axum::Json;
use axum::extract::State;
use bucketdesk_api_types as api;
use bucketdesk_core::access;

/// `GET /api/v1/me`
#[utoipa::path(get, path = "/api/v1/me", tag = "account",
    summary = "Who the token acts for, and the token itself",
    responses((status = 200, body = api::Me), Refusals))]
pub async fn me(user: ApiUser) -> ApiResult<Json<api::Me>> {
    let token = &user.token;
    Ok(Json(api::Me {
        id: user.actor.user.id.to_string(),
        email: user.actor.user.email.clone(),
        token: api::TokenInfo {
            id: token.id.to_string(),
            name: token.name.clone(),
            prefix: token.prefix.clone(),
            scopes: token.scopes.clone(),
            expires_at: rfc3339(token.expires_at),
        },
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
            .map(|grant| api::Bucket {
                id: grant.bucket().id.to_string(),
                name: grant.bucket().display_name.clone(),
                bucket: grant.bucket().bucket_name.clone(),
                role: grant.role().as_str().to_owned(),
            })
            .collect();
        workspaces.push(api::Workspace {
            id: workspace.id().0.to_string(),
            name: workspace.workspace().name.clone(),
            role: workspace.role().as_str().to_owned(),
            buckets,
        });
    }
    Ok(Json(api::Workspaces { workspaces }))
}
