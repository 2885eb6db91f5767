//! Connected buckets through the API: connect one (tested first), change
//! its name and key pair, disconnect it, and set up direct uploads (check
//! the bucket's CORS rules, apply the one needed, turn them on or off). Owners, with the `admin` scope;
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
use bucketdesk_core::direct_uploads;
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
        role_arn: body.role_arn,
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

/// A bucket as its person sees it: its names and their roles.
pub(super) fn described(grant: &access::BucketGrant) -> api::Bucket {
    api::Bucket {
        id: grant.bucket().id.to_string(),
        name: grant.bucket().display_name.clone(),
        bucket: grant.bucket().bucket_name.clone(),
        role: grant
            .grants()
            .bucket_role()
            .unwrap_or(grant.role())
            .as_str()
            .to_owned(),
        folders: grant
            .grants()
            .folders()
            .iter()
            .map(|g| api::FolderAccess {
                folder: g.folder.clone(),
                role: g.role.as_str().to_owned(),
            })
            .collect(),
        whole_bucket: !grant.grants().only_folders(),
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

fn cors_rules(rules: &[bucketdesk_storage::cors::CorsRule]) -> Vec<api::CorsRule> {
    rules
        .iter()
        .map(|rule| api::CorsRule {
            id: rule.id.clone(),
            allowed_headers: rule.allowed_headers.clone(),
            allowed_methods: rule.allowed_methods.clone(),
            allowed_origins: rule.allowed_origins.clone(),
            expose_headers: rule.expose_headers.clone(),
            max_age_seconds: rule.max_age_seconds,
        })
        .collect()
}

fn direct_uploads_of(check: direct_uploads::CorsCheck) -> api::DirectUploads {
    api::DirectUploads {
        direct_uploads: check.direct_uploads,
        cors_allows: check.allows,
        cors_rules: check.rules.as_deref().map(cors_rules),
        proposed_rules: cors_rules(&check.proposed),
        origin: check.origin,
    }
}

/// `GET /api/v1/workspaces/{workspace}/buckets/{bucket}/direct-uploads`
#[utoipa::path(get, path = "/api/v1/workspaces/{workspace}/buckets/{bucket}/direct-uploads", tag = "buckets",
    summary = "Whether browsers send upload parts straight to the bucket, and whether its CORS rules let them (bucket Owners; scope admin)",
    params(BucketPath),
    responses((status = 200, body = api::DirectUploads), Refusals, StorageRefusals))]
pub async fn direct_uploads(
    State(state): State<AppState>,
    user: ApiUser,
    Path(ids): Path<(String, String)>,
) -> ApiResult<Json<api::DirectUploads>> {
    let bucket_grant = grant(&state, &user, ids).await?;
    let can = bucket_grant.can::<Owner>()?;
    let check = direct_uploads::check(&state.s3_clients, &can, &state.settings.origin()).await?;
    Ok(Json(direct_uploads_of(check)))
}

/// `PUT /api/v1/workspaces/{workspace}/buckets/{bucket}/direct-uploads`
#[utoipa::path(put, path = "/api/v1/workspaces/{workspace}/buckets/{bucket}/direct-uploads", tag = "buckets",
    summary = "Turns direct uploads on or off; on is refused while the bucket's CORS rules would block browsers (bucket Owners; scope admin)",
    params(BucketPath), request_body = api::SetDirectUploads,
    responses((status = 200, body = api::DirectUploads), Refusals, StorageRefusals))]
pub async fn set_direct_uploads(
    State(state): State<AppState>,
    user: ApiUser,
    Path(ids): Path<(String, String)>,
    body: Result<Json<api::SetDirectUploads>, JsonRejection>,
) -> ApiResult<Json<api::DirectUploads>> {
    let Json(body) = body?;
    let bucket_grant = grant(&state, &user, ids.clone()).await?;
    let can = bucket_grant.can::<Owner>()?;
    let origin = state.settings.origin();
    direct_uploads::set(
        &state.db,
        &state.s3_clients,
        &can,
        &user.actor,
        &user.origin,
        &origin,
        body.direct_uploads,
    )
    .await?;
    let saved = grant(&state, &user, ids).await?;
    let check = direct_uploads::check(&state.s3_clients, &saved.can::<Owner>()?, &origin).await?;
    Ok(Json(direct_uploads_of(check)))
}

/// `POST /api/v1/workspaces/{workspace}/buckets/{bucket}/direct-uploads/cors`
#[utoipa::path(post, path = "/api/v1/workspaces/{workspace}/buckets/{bucket}/direct-uploads/cors", tag = "buckets",
    summary = "Adds the CORS rule direct uploads need to the bucket's rules, keeping the others (bucket Owners; scope admin; the key needs s3:PutBucketCORS)",
    params(BucketPath),
    responses((status = 200, body = api::DirectUploads), Refusals, StorageRefusals))]
pub async fn apply_cors_rule(
    State(state): State<AppState>,
    user: ApiUser,
    Path(ids): Path<(String, String)>,
) -> ApiResult<Json<api::DirectUploads>> {
    let bucket_grant = grant(&state, &user, ids).await?;
    let can = bucket_grant.can::<Owner>()?;
    let check = direct_uploads::apply_rule(
        &state.db,
        &state.s3_clients,
        &can,
        &user.actor,
        &user.origin,
        &state.settings.origin(),
    )
    .await?;
    Ok(Json(direct_uploads_of(check)))
}
