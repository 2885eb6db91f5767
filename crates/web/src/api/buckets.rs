//! Connected buckets through the API: connect one (tested first), change
//! its name and key pair, disconnect it. Owners, with the `admin` scope;
//! the same core operations as the connect and settings pages.

use super::auth::ApiUser;
use super::error::ApiResult;
use super::files::grant;
use super::links::workspace_grant;
use super::openapi::{BucketPath, Refusals, StorageRefusals, WorkspacePath};
use crate::AppState;
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use bucketdesk_api_types as api;
use bucketdesk_core::CoreError;
use bucketdesk_core::access::{self, Owner};
use bucketdesk_core::buckets::{self, BucketSettings, ConnectRequest};
use bucketdesk_domain::BucketId;
use secrecy::SecretString;

/// `POST /api/v1/workspaces/{workspace}/buckets`
#[utoipa::path(post, path = "/api/v1/workspaces/{workspace}/buckets", tag = "buckets",
    summary = "Connects a bucket with one key pair, tested before it is saved (workspace Owners; scope admin)",
    params(WorkspacePath), request_body = api::ConnectBucket,
    responses((status = 201, body = api::Bucket), Refusals, StorageRefusals))]
pub async fn connect(
    State(state): State<AppState>,
    user: ApiUser,
    Path(workspace): Path<String>,
    body: Result<Json<api::ConnectBucket>, JsonRejection>,
) -> ApiResult<(StatusCode, Json<api::Bucket>)> {
    let Json(body) = body?;
    let grant = workspace_grant(&state, &user, &workspace).await?;
    let can = grant.can::<Owner>()?;
    let request = ConnectRequest {
        display_name: body.display_name,
        provider: body.provider,
        r2_account_id: body.r2_account_id,
        region: body.region,
        endpoint_url: body.endpoint_url,
        bucket_name: body.bucket_name,
        addressing: body.addressing,
        access_key_id: body.access_key_id,
        secret_access_key: body.secret_access_key,
        public_endpoint_url: body.public_endpoint_url,
    };
    let new = request
        .check(state.settings.storage.allow_private_endpoints)
        .map_err(CoreError::Invalid)?;
    let id = buckets::connect(
        &state.db,
        &state.s3_clients,
        &can,
        &user.actor,
        &user.origin,
        new,
    )
    .await?;
    let connected = access::bucket(&state.db, &user.actor, grant.id(), id).await?;
    Ok((StatusCode::CREATED, Json(described(&connected))))
}

fn described(grant: &access::BucketGrant) -> api::Bucket {
    api::Bucket {
        id: grant.bucket().id.to_string(),
        name: grant.bucket().display_name.clone(),
        bucket: grant.bucket().bucket_name.clone(),
        role: grant.role().as_str().to_owned(),
    }
}

/// `POST /api/v1/workspaces/{workspace}/buckets/{bucket}/settings`
#[utoipa::path(post, path = "/api/v1/workspaces/{workspace}/buckets/{bucket}/settings", tag = "buckets",
    summary = "Renames a bucket and, optionally, replaces its key pair, together (bucket Owners; scope admin)",
    params(BucketPath), request_body = api::BucketSettings,
    responses((status = 200, body = api::Bucket), Refusals, StorageRefusals))]
pub async fn settings(
    State(state): State<AppState>,
    user: ApiUser,
    Path(ids): Path<(String, String)>,
    body: Result<Json<api::BucketSettings>, JsonRejection>,
) -> ApiResult<Json<api::Bucket>> {
    let Json(body) = body?;
    let bucket_grant = grant(&state, &user, ids).await?;
    let can = bucket_grant.can::<Owner>()?;
    let new_key = match (body.access_key_id, body.secret_access_key) {
        (None, None) => None,
        (key_id, secret) => Some((
            key_id.unwrap_or_default(),
            SecretString::from(secret.unwrap_or_default()),
        )),
    };
    let settings = BucketSettings {
        display_name: body.display_name,
        new_key,
        public_endpoint: body.public_endpoint_url,
        proxy_downloads: body.proxy_downloads,
    };
    buckets::save_settings(
        &state.db,
        &state.s3_clients,
        &can,
        &user.actor,
        &user.origin,
        settings,
    )
    .await?;
    let workspace = bucketdesk_domain::WorkspaceId(bucket_grant.bucket().workspace_id);
    let saved = access::bucket(
        &state.db,
        &user.actor,
        workspace,
        BucketId(bucket_grant.bucket().id),
    )
    .await?;
    Ok(Json(described(&saved)))
}

/// `DELETE /api/v1/workspaces/{workspace}/buckets/{bucket}`
#[utoipa::path(delete, path = "/api/v1/workspaces/{workspace}/buckets/{bucket}", tag = "buckets",
    summary = "Disconnects a bucket and erases its stored secret; nothing in the bucket changes (bucket Owners; scope admin)",
    params(BucketPath),
    responses((status = 204, description = "Disconnected"), Refusals))]
pub async fn disconnect(
    State(state): State<AppState>,
    user: ApiUser,
    Path(ids): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let bucket_grant = grant(&state, &user, ids).await?;
    let can = bucket_grant.can::<Owner>()?;
    buckets::disconnect(
        &state.db,
        &state.s3_clients,
        &can,
        &user.actor,
        &user.origin,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
