//! Revocable links through the API: make a download or upload link on a
//! bucket, list and show the links one may manage in a workspace, extend
//! and revoke. The same core operations as the links pages.

use super::auth::ApiUser;
use super::error::{ApiError, ApiResult};
use super::files::grant;
use super::openapi::{BucketPath, LinkPath, LinkRefusals, Refusals, WorkspacePath};
use super::rfc3339;
use crate::AppState;
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use bucketdesk_api_types as api;
use bucketdesk_core::access::{self, Editor, Viewer, WorkspaceGrant};
use bucketdesk_core::links::{self, DownloadLink, LinkOptions, UploadLink};
use bucketdesk_core::{CoreError, FieldError};
use bucketdesk_db::links::{Link, LinkKind};
use bucketdesk_domain::WorkspaceId;
use bucketdesk_domain::link::LinkState;
use std::time::Duration;
use uuid::Uuid;

/// The links `GET .../links` lists at most.
const LIST_LIMIT: i64 = 500;
/// The visits `GET .../links/{link}` shows at most.
const VISIT_LIMIT: i64 = 500;

/// `POST /api/v1/workspaces/{workspace}/buckets/{bucket}/links`
#[utoipa::path(post, path = "/api/v1/workspaces/{workspace}/buckets/{bucket}/links", tag = "links",
    summary = "Makes a revocable download link, or (Editors) an upload link (scope share)",
    params(BucketPath), request_body = api::NewLink,
    responses((status = 201, body = api::Link), Refusals))]
pub async fn create(
    State(state): State<AppState>,
    user: ApiUser,
    Path(ids): Path<(String, String)>,
    body: Result<Json<api::NewLink>, JsonRejection>,
) -> ApiResult<(StatusCode, Json<api::Link>)> {
    let Json(body) = body?;
    let grant = grant(&state, &user, ids).await?;
    let options = LinkOptions {
        lifetime: body.expires_in.map(Duration::from_secs),
        password: body.password,
        note: body.note.unwrap_or_default(),
        networks: body.networks.join(","),
        recipients: body.recipients.join(","),
    };
    let limits = state.settings.link_limits();
    let created = match body.kind.as_deref().unwrap_or("download") {
        "download" => {
            let can = grant.can::<Viewer>()?;
            let link = DownloadLink {
                keys: body.keys,
                folder: body.folder,
                options,
                max_downloads: body.max_downloads,
                notify_first_download: body.notify,
            };
            let made = links::create_download(
                &state.db,
                &state.link_tokens,
                &can,
                &user.actor,
                &user.origin,
                &limits,
                link,
            );
            made.await?
        }
        "upload" => {
            let can = grant.can::<Editor>()?;
            let link = UploadLink {
                folder: body.folder.unwrap_or_default(),
                options,
                max_files: body.max_files,
                max_file_bytes: body.max_file_bytes,
                notify_arrivals: body.notify,
            };
            let made = links::create_upload(
                &state.db,
                &state.link_tokens,
                &can,
                &user.actor,
                &user.origin,
                &limits,
                link,
            );
            made.await?
        }
        _ => {
            return Err(CoreError::Invalid(vec![FieldError {
                field: "kind",
                code: "unknown",
                message: "A link is a download link or an upload link.".into(),
            }])
            .into());
        }
    };
    let workspace = access::workspace(
        &state.db,
        &user.actor,
        WorkspaceId(grant.bucket().workspace_id),
    )
    .await?;
    let link = links::find(&state.db, &workspace, &user.actor, created.id).await?;
    Ok((StatusCode::CREATED, Json(to_api(&state, &link))))
}

/// `GET /api/v1/workspaces/{workspace}/links`
#[utoipa::path(get, path = "/api/v1/workspaces/{workspace}/links", tag = "links",
    summary = "The links you may manage: your own, and all on buckets you administer (scope share)",
    params(WorkspacePath),
    responses((status = 200, body = api::Links), Refusals))]
pub async fn list(
    State(state): State<AppState>,
    user: ApiUser,
    Path(workspace): Path<String>,
) -> ApiResult<Json<api::Links>> {
    let grant = workspace_grant(&state, &user, &workspace).await?;
    let found = links::list(&state.db, &grant, &user.actor, LIST_LIMIT).await?;
    Ok(Json(api::Links {
        links: found.iter().map(|link| to_api(&state, link)).collect(),
    }))
}

/// `GET /api/v1/workspaces/{workspace}/links/{link}`: with its visits.
#[utoipa::path(get, path = "/api/v1/workspaces/{workspace}/links/{link}", tag = "links",
    summary = "A link with its visits and the files that arrived through it (scope share)",
    params(LinkPath),
    responses((status = 200, body = api::LinkDetails), Refusals))]
pub async fn show(
    State(state): State<AppState>,
    user: ApiUser,
    Path((workspace, id)): Path<(String, String)>,
) -> ApiResult<Json<api::LinkDetails>> {
    let grant = workspace_grant(&state, &user, &workspace).await?;
    let link = links::find(&state.db, &grant, &user.actor, link_id(&id)?).await?;
    let visits = links::visits(&state.db, &grant, &link, VISIT_LIMIT)
        .await?
        .into_iter()
        .map(|event| api::Visit {
            at: rfc3339(event.occurred_at),
            key: event
                .details
                .get("key")
                .and_then(|v| v.as_str())
                .map(str::to_owned),
            action: event.action,
            ip: event.ip,
            user_agent: event.user_agent,
        })
        .collect();
    let arrivals = links::arrivals(&state.db, &link)
        .await?
        .into_iter()
        .map(|arrival| api::Arrival {
            key: arrival.key,
            size: arrival.size,
            at: rfc3339(arrival.finished_at),
            ip: arrival.ip,
        })
        .collect();
    Ok(Json(api::LinkDetails {
        link: to_api(&state, &link),
        visits,
        arrivals,
    }))
}

/// `POST /api/v1/workspaces/{workspace}/links/{link}/extend` `{"expires_in": 86400}`
#[utoipa::path(post, path = "/api/v1/workspaces/{workspace}/links/{link}/extend", tag = "links",
    summary = "Makes a link work for `expires_in` seconds from now (scope share)",
    params(LinkPath), request_body = api::ExtendLink,
    responses((status = 200, body = api::Link), Refusals, LinkRefusals))]
pub async fn extend(
    State(state): State<AppState>,
    user: ApiUser,
    Path((workspace, id)): Path<(String, String)>,
    body: Result<Json<api::ExtendLink>, JsonRejection>,
) -> ApiResult<Json<api::Link>> {
    let Json(body) = body?;
    let grant = workspace_grant(&state, &user, &workspace).await?;
    let link = links::extend(
        &state.db,
        &grant,
        &user.actor,
        &user.origin,
        &state.settings.link_limits(),
        link_id(&id)?,
        Duration::from_secs(body.expires_in),
    )
    .await?;
    Ok(Json(to_api(&state, &link)))
}

/// `POST /api/v1/workspaces/{workspace}/links/{link}/revoke`: at once and
/// for good; revoking a revoked link is not an error.
#[utoipa::path(post, path = "/api/v1/workspaces/{workspace}/links/{link}/revoke", tag = "links",
    summary = "Stops a link at once, for good (scope share)",
    params(LinkPath),
    responses((status = 200, body = api::Link), Refusals))]
pub async fn revoke(
    State(state): State<AppState>,
    user: ApiUser,
    Path((workspace, id)): Path<(String, String)>,
) -> ApiResult<Json<api::Link>> {
    let grant = workspace_grant(&state, &user, &workspace).await?;
    let link = links::revoke(&state.db, &grant, &user.actor, &user.origin, link_id(&id)?).await?;
    Ok(Json(to_api(&state, &link)))
}

/// The grant in the workspace named in the path; a malformed id is a
/// workspace that does not exist.
pub(super) async fn workspace_grant(
    state: &AppState,
    user: &ApiUser,
    id: &str,
) -> ApiResult<WorkspaceGrant> {
    let id = Uuid::parse_str(id).map_err(|_| ApiError::from(CoreError::NoAccess))?;
    Ok(access::workspace(&state.db, &user.actor, WorkspaceId(id)).await?)
}

fn link_id(id: &str) -> ApiResult<Uuid> {
    Uuid::parse_str(id).map_err(|_| CoreError::NotFound.into())
}

fn state_code(state: LinkState) -> &'static str {
    match state {
        LinkState::Active => "active",
        LinkState::Revoked => "revoked",
        LinkState::Expired => "expired",
        LinkState::UsedUp => "used_up",
        LinkState::Orphaned => "orphaned",
    }
}

fn to_api(state: &AppState, link: &Link) -> api::Link {
    api::Link {
        id: link.id.to_string(),
        workspace_id: link.workspace_id.to_string(),
        kind: match link.kind() {
            LinkKind::Download => "download",
            LinkKind::Upload => "upload",
        }
        .into(),
        url: crate::links::address(state, link),
        state: state_code(link.state()).into(),
        what: links::describe(link),
        bucket: link.bucket_label.clone(),
        bucket_id: link.bucket_id.map(|id| id.to_string()),
        folder: link.folder.clone(),
        keys: link.keys.clone(),
        note: link.note.clone(),
        password: link.password_hash.is_some(),
        max_downloads: link.max_downloads,
        downloads: link.downloads,
        max_files: link.max_files,
        max_file_bytes: link.max_file_bytes,
        files: link.files_taken,
        notify: link.notify_first_download || link.notify_arrivals,
        networks: link.networks.clone(),
        recipients: link.recipients.clone(),
        created_by: link.creator_email.clone(),
        created_at: rfc3339(link.created_at),
        expires_at: rfc3339(link.expires_at),
        last_visit_at: link.last_visit_at.map(rfc3339),
    }
}
