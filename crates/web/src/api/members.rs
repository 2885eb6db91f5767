//! Members and invitations through the API: the same core operations as
//! the members page (listing, roles per bucket, removing, inviting with the
//! role ceiling, resending, cancelling), with the `admin` scope.

use super::auth::ApiUser;
use super::error::{ApiError, ApiResult};
use super::links::workspace_grant;
use super::openapi::{Refusals, WorkspacePath};
use super::rfc3339;
use crate::{AppState, invite_mail};
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use bucketdesk_api_types as api;
use bucketdesk_core::access::Owner;
use bucketdesk_core::invitations::{self, Invited, Offer};
use bucketdesk_core::{CoreError, members};
use bucketdesk_db::invites::{Invite, InviteBucket};
use bucketdesk_domain::grants::granted_folder;
use bucketdesk_domain::{BucketId, Email, Role, UserId};
use uuid::Uuid;

/// A member of a workspace, in the path.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)] // describes the path; handlers read it as a tuple
pub struct MemberPath {
    /// The workspace's id.
    workspace: String,
    /// The member's user id.
    member: String,
}

/// A member's role on a bucket, in the path.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
pub struct MemberBucketPath {
    workspace: String,
    member: String,
    bucket: String,
}

/// An invitation, in the path.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
pub struct InvitationPath {
    workspace: String,
    invitation: String,
}

/// `?folder=` on a member's bucket role: which folder's role goes.
#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FolderQuery {
    /// The folder whose role goes (absent: the role on the whole bucket).
    folder: Option<String>,
}

/// A folder as sent (`clients/acme`, `/clients/acme/`), as the path it
/// means; none when absent or blank (the whole bucket).
fn folder_of(sent: Option<&str>) -> ApiResult<Option<String>> {
    granted_folder(sent.unwrap_or_default())
        .map_err(|m| CoreError::invalid("folder", "invalid", m).into())
}

fn id(text: &str) -> ApiResult<Uuid> {
    Uuid::parse_str(text).map_err(|_| ApiError::from(CoreError::NotFound))
}

fn role(field: &'static str, text: &str) -> ApiResult<Role> {
    text.parse().map_err(|e: bucketdesk_domain::UnknownRole| {
        CoreError::invalid(field, "unknown_role", e.to_string()).into()
    })
}

/// `GET /api/v1/workspaces/{workspace}/members`
#[utoipa::path(get, path = "/api/v1/workspaces/{workspace}/members", tag = "members",
    summary = "The workspace's members and their role on each bucket (bucket Admins and workspace Owners; scope admin)",
    params(WorkspacePath),
    responses((status = 200, body = api::Members), Refusals))]
pub async fn list(
    State(state): State<AppState>,
    user: ApiUser,
    Path(workspace): Path<String>,
) -> ApiResult<Json<api::Members>> {
    let grant = workspace_grant(&state, &user, &workspace).await?;
    let roster = members::list(&state.db, &grant, &user.actor).await?;
    let members = roster
        .members
        .into_iter()
        .map(|m| api::Member {
            buckets: roster
                .buckets
                .iter()
                .filter(|r| r.user_id == m.user_id)
                .map(|r| api::BucketRole {
                    bucket_id: r.bucket_id.to_string(),
                    folder: None,
                    role: r.role().as_str().to_owned(),
                })
                .chain(
                    roster
                        .folders
                        .iter()
                        .filter(|f| f.user_id == m.user_id)
                        .map(|f| api::BucketRole {
                            bucket_id: f.bucket_id.to_string(),
                            folder: Some(f.folder.clone()),
                            role: f.role().as_str().to_owned(),
                        }),
                )
                .collect(),
            id: m.user_id.to_string(),
            email: m.email,
            workspace_role: m.workspace_role,
        })
        .collect();
    Ok(Json(api::Members { members }))
}

/// `PUT /api/v1/workspaces/{workspace}/members/{member}/buckets/{bucket}` `{"role"}`
#[utoipa::path(put, path = "/api/v1/workspaces/{workspace}/members/{member}/buckets/{bucket}", tag = "members",
    summary = "Gives a member a role on a bucket, at most your own (scope admin)",
    params(MemberBucketPath), request_body = api::SetRole,
    responses((status = 200, body = api::BucketRole), Refusals,
        (status = 409, description = "The last Owner stays (`last_owner`)", body = api::ErrorBody)))]
pub async fn set_role(
    State(state): State<AppState>,
    user: ApiUser,
    Path((workspace, member, bucket)): Path<(String, String, String)>,
    body: Result<Json<api::SetRole>, JsonRejection>,
) -> ApiResult<Json<api::BucketRole>> {
    let Json(body) = body?;
    let grant = workspace_grant(&state, &user, &workspace).await?;
    let new = role("role", &body.role)?;
    let bucket = id(&bucket)?;
    let target = UserId(id(&member)?);
    let folder = folder_of(body.folder.as_deref())?;
    members::change_access(
        &state.db,
        &grant,
        &user.actor,
        &user.origin,
        target,
        BucketId(bucket),
        folder.as_deref(),
        Some(new),
    )
    .await?;
    Ok(Json(api::BucketRole {
        bucket_id: bucket.to_string(),
        folder,
        role: new.as_str().to_owned(),
    }))
}

/// `DELETE /api/v1/workspaces/{workspace}/members/{member}/buckets/{bucket}`
#[utoipa::path(delete, path = "/api/v1/workspaces/{workspace}/members/{member}/buckets/{bucket}", tag = "members",
    summary = "Takes a member's role on a bucket away: they lose access at once (scope admin)",
    params(MemberBucketPath, FolderQuery),
    responses((status = 204, description = "Removed from the bucket (or from the folder)"), Refusals,
        (status = 409, description = "The last Owner stays (`last_owner`)", body = api::ErrorBody)))]
pub async fn remove_role(
    State(state): State<AppState>,
    user: ApiUser,
    Path((workspace, member, bucket)): Path<(String, String, String)>,
    Query(query): Query<FolderQuery>,
) -> ApiResult<StatusCode> {
    let grant = workspace_grant(&state, &user, &workspace).await?;
    let (target, bucket) = (UserId(id(&member)?), BucketId(id(&bucket)?));
    let folder = folder_of(query.folder.as_deref())?;
    members::change_access(
        &state.db,
        &grant,
        &user.actor,
        &user.origin,
        target,
        bucket,
        folder.as_deref(),
        None,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /api/v1/workspaces/{workspace}/members/{member}`
#[utoipa::path(delete, path = "/api/v1/workspaces/{workspace}/members/{member}", tag = "members",
    summary = "Removes someone from the workspace and all its buckets (workspace Owners; scope admin)",
    params(MemberPath),
    responses((status = 204, description = "Removed"), Refusals,
        (status = 409, description = "The last Owner stays (`last_owner`, `sole_bucket_owner`)", body = api::ErrorBody)))]
pub async fn remove(
    State(state): State<AppState>,
    user: ApiUser,
    Path((workspace, member)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let grant = workspace_grant(&state, &user, &workspace).await?;
    let can = grant.can::<Owner>()?;
    members::remove(
        &state.db,
        &can,
        &user.actor,
        &user.origin,
        UserId(id(&member)?),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

fn invitation(invite: Invite, buckets: Vec<InviteBucket>) -> api::Invitation {
    api::Invitation {
        id: invite.id.to_string(),
        email: invite.email,
        roles: buckets
            .iter()
            .map(|b| api::BucketRole {
                bucket_id: b.bucket_id.to_string(),
                folder: (!b.folder.is_empty()).then(|| b.folder.clone()),
                role: b.role().as_str().to_owned(),
            })
            .collect(),
        invited_by: invite.invited_by_email,
        sent_at: rfc3339(invite.sent_at),
        expires_at: rfc3339(invite.expires_at),
        expired: invite.expired,
    }
}

/// `GET /api/v1/workspaces/{workspace}/invitations`
#[utoipa::path(get, path = "/api/v1/workspaces/{workspace}/invitations", tag = "members",
    summary = "Pending invitations, newest first (scope admin)",
    params(WorkspacePath),
    responses((status = 200, body = api::Invitations), Refusals))]
pub async fn invitations(
    State(state): State<AppState>,
    user: ApiUser,
    Path(workspace): Path<String>,
) -> ApiResult<Json<api::Invitations>> {
    let grant = workspace_grant(&state, &user, &workspace).await?;
    let pending = invitations::pending(&state.db, &grant, &user.actor).await?;
    Ok(Json(api::Invitations {
        invitations: pending
            .into_iter()
            .map(|(invite, buckets)| invitation(invite, buckets))
            .collect(),
    }))
}

/// `POST /api/v1/workspaces/{workspace}/invitations` `{"email", "roles"}`
#[utoipa::path(post, path = "/api/v1/workspaces/{workspace}/invitations", tag = "members",
    summary = "Invites someone by email with a role on buckets you manage, at most your own (scope admin)",
    params(WorkspacePath), request_body = api::NewInvitation,
    responses((status = 201, body = api::InvitationSent), Refusals,
        (status = 409, description = "A member's role could not be changed (`last_owner`)", body = api::ErrorBody)))]
pub async fn invite(
    State(state): State<AppState>,
    user: ApiUser,
    Path(workspace): Path<String>,
    body: Result<Json<api::NewInvitation>, JsonRejection>,
) -> ApiResult<(StatusCode, Json<api::InvitationSent>)> {
    let Json(body) = body?;
    let grant = workspace_grant(&state, &user, &workspace).await?;
    let email = Email::parse(&body.email)
        .map_err(|e| CoreError::invalid("email", "invalid", e.to_string()))?;
    let mut roles = Vec::new();
    for wanted in &body.roles {
        let bucket = Uuid::parse_str(&wanted.bucket_id).map_err(|_| {
            CoreError::invalid("roles", "not_managed", "No bucket you manage has that id.")
        })?;
        roles.push(Offer {
            bucket: BucketId(bucket),
            folder: folder_of(wanted.folder.as_deref())?.unwrap_or_default(),
            role: role("roles", &wanted.role)?,
        });
    }
    let outcome =
        invitations::invite(&state.db, &grant, &user.actor, &user.origin, &email, &roles).await?;
    let (outcome, id) = match outcome {
        Invited::Mail { invite, token } => {
            let name = &grant.workspace().name;
            invite_mail::send(&state, invite, name, &user.actor.user.email, &email, &token)
                .await
                .map_err(|e| CoreError::Internal(e.to_string()))?;
            ("sent", Some(invite.to_string()))
        }
        Invited::AlreadySent => ("already_sent", None),
        Invited::MemberUpdated => ("member_updated", None),
    };
    Ok((
        StatusCode::CREATED,
        Json(api::InvitationSent {
            outcome: outcome.into(),
            invitation_id: id,
        }),
    ))
}

/// `POST /api/v1/workspaces/{workspace}/invitations/{invitation}/resend`
#[utoipa::path(post, path = "/api/v1/workspaces/{workspace}/invitations/{invitation}/resend", tag = "members",
    summary = "Mails a new link (the old one stops working) (scope admin)",
    params(InvitationPath),
    responses((status = 200, body = api::Invitation), Refusals,
        (status = 409, description = "Already accepted or cancelled (`closed`)", body = api::ErrorBody)))]
pub async fn resend(
    State(state): State<AppState>,
    user: ApiUser,
    Path((workspace, invitation_id)): Path<(String, String)>,
) -> ApiResult<Json<api::Invitation>> {
    let grant = workspace_grant(&state, &user, &workspace).await?;
    let (invite, token) = invitations::resend(
        &state.db,
        &grant,
        &user.actor,
        &user.origin,
        id(&invitation_id)?,
    )
    .await?;
    let email = Email::parse(&invite.email).map_err(|e| CoreError::Internal(e.to_string()))?;
    invite_mail::send(
        &state,
        invite.id,
        &invite.workspace_name,
        &user.actor.user.email,
        &email,
        &token,
    )
    .await
    .map_err(|e| CoreError::Internal(e.to_string()))?;
    let buckets = invitations::buckets_of(&state.db, invite.id).await?;
    Ok(Json(invitation(invite, buckets)))
}

/// `POST /api/v1/workspaces/{workspace}/invitations/{invitation}/cancel`
#[utoipa::path(post, path = "/api/v1/workspaces/{workspace}/invitations/{invitation}/cancel", tag = "members",
    summary = "Cancels a pending invitation: its link stops working (scope admin)",
    params(InvitationPath),
    responses((status = 204, description = "Cancelled"), Refusals,
        (status = 409, description = "Already accepted or cancelled (`closed`)", body = api::ErrorBody)))]
pub async fn cancel(
    State(state): State<AppState>,
    user: ApiUser,
    Path((workspace, invitation_id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let grant = workspace_grant(&state, &user, &workspace).await?;
    invitations::cancel(
        &state.db,
        &grant,
        &user.actor,
        &user.origin,
        id(&invitation_id)?,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
