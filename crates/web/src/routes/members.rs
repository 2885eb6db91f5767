//! A workspace's members page: invite people, change roles per bucket,
//! remove people, and manage pending invitations. Open to workspace owners
//! and to Admins of any bucket in the workspace, who manage their buckets.

use crate::extract::{ClientInfo, CsrfToken, Form, WorkspaceAccess};
use crate::invitations::{self, InviteOutcome, InviteRequest};
use crate::pages::utc_minutes;
use crate::{AppError, AppState, Result, memberships};
use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use bucketdesk_core::access::Owner;
use bucketdesk_db::{buckets, invites, members, users};
use bucketdesk_domain::{BucketId, Email, Role, UserId, WorkspaceId};
use serde::Deserialize;
use std::collections::HashMap;
use uuid::Uuid;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/w/{workspace}/members", get(show_members))
        .route("/w/{workspace}/invites", post(send_invite))
        .route(
            "/w/{workspace}/invites/{invite}/resend",
            post(resend_invite),
        )
        .route(
            "/w/{workspace}/invites/{invite}/cancel",
            post(cancel_invite),
        )
        .route(
            "/w/{workspace}/members/{member}/buckets/{bucket}",
            post(change_role),
        )
        .route(
            "/w/{workspace}/members/{member}/remove",
            post(remove_member),
        )
}

/// A bucket the signed-in person manages (Admin or Owner on it).
struct ManagedBucket {
    id: Uuid,
    name: String,
    my_role: Role,
    /// Roles this person may give on it: up to their own.
    grantable: Vec<Role>,
}

async fn managed_buckets(state: &AppState, access: &WorkspaceAccess) -> Result<Vec<ManagedBucket>> {
    let mine = buckets::list_for_user(&state.db, access.id(), access.me.user.user_id()).await?;
    let managed: Vec<ManagedBucket> = mine
        .into_iter()
        .filter(|b| b.role() >= Role::Admin)
        .map(|b| {
            let my_role = b.role();
            ManagedBucket {
                id: b.bucket.id,
                name: b.bucket.display_name,
                my_role,
                grantable: Role::ALL.into_iter().filter(|r| *r <= my_role).collect(),
            }
        })
        .collect();
    if managed.is_empty() && !access.allows(Role::Owner) {
        return Err(AppError::Forbidden(
            "Only the workspace's owners and the Admins of its buckets manage its members.",
        ));
    }
    Ok(managed)
}

struct Cell {
    bucket_id: Uuid,
    has_role: bool,
    /// (role, selected)
    choices: Vec<(Role, bool)>,
    editable: bool,
}

struct MemberRow {
    user_id: Uuid,
    email: String,
    is_workspace_owner: bool,
    is_me: bool,
    cells: Vec<Cell>,
}

struct InviteRow {
    id: Uuid,
    email: String,
    access: String,
    expires: String,
    expired: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "workspaces/members.html")]
struct MembersPage {
    csrf: String,
    workspace_id: Uuid,
    workspace_name: String,
    buckets: Vec<ManagedBucket>,
    members: Vec<MemberRow>,
    invites: Vec<InviteRow>,
    can_remove_members: bool,
    invite_email: String,
    invite_error: Option<String>,
    notice: Option<String>,
    problem: Option<String>,
    signed_in: bool,
}

async fn members_page(
    state: &AppState,
    access: &WorkspaceAccess,
    csrf: String,
) -> Result<MembersPage> {
    let managed = managed_buckets(state, access).await?;
    let workspace = access.id();
    let roles = members::bucket_roles_in_workspace(&state.db, workspace).await?;
    let role_of: HashMap<(Uuid, Uuid), Role> = roles
        .iter()
        .map(|r| ((r.user_id, r.bucket_id), r.role()))
        .collect();
    let me = access.me.user.id;
    let members = members::in_workspace(&state.db, workspace)
        .await?
        .into_iter()
        .map(|m| MemberRow {
            cells: managed
                .iter()
                .map(|b| {
                    let current = role_of.get(&(m.user_id, b.id)).copied();
                    Cell {
                        bucket_id: b.id,
                        has_role: current.is_some(),
                        choices: Role::ALL
                            .into_iter()
                            .filter(|r| *r <= b.my_role || current == Some(*r))
                            .map(|r| (r, current == Some(r)))
                            .collect(),
                        editable: current.is_none_or(|c| c <= b.my_role),
                    }
                })
                .collect(),
            is_workspace_owner: m.is_owner(),
            is_me: m.user_id == me,
            user_id: m.user_id,
            email: m.email,
        })
        .collect();
    let mut invite_rows = Vec::new();
    for invite in invites::pending_in_workspace(&state.db, workspace).await? {
        let access_text = invites::buckets_of(&state.db, invite.id)
            .await?
            .iter()
            .map(|b| format!("{}: {}", b.display_name, b.role().label()))
            .collect::<Vec<_>>()
            .join(", ");
        invite_rows.push(InviteRow {
            id: invite.id,
            email: invite.email,
            access: access_text,
            expires: utc_minutes(invite.expires_at),
            expired: invite.expired,
        });
    }
    Ok(MembersPage {
        csrf,
        workspace_id: access.workspace().id,
        workspace_name: access.workspace().name.clone(),
        buckets: managed,
        members,
        invites: invite_rows,
        can_remove_members: access.allows(Role::Owner),
        invite_email: String::new(),
        invite_error: None,
        notice: None,
        problem: None,
        signed_in: true,
    })
}

#[derive(Deserialize, Default)]
struct Notice {
    #[serde(default)]
    done: Option<String>,
}

async fn show_members(
    State(state): State<AppState>,
    access: WorkspaceAccess,
    CsrfToken(csrf): CsrfToken,
    Query(q): Query<Notice>,
) -> Result<MembersPage> {
    let mut page = members_page(&state, &access, csrf).await?;
    page.notice = match q.done.as_deref() {
        Some("invited") => Some("The invitation is on its way.".into()),
        Some("already") => {
            Some("That invitation was sent moments ago; it was not sent twice.".into())
        }
        Some("updated") => {
            Some("That person is a member already: their roles were updated.".into())
        }
        Some("resent") => Some("A new link went out; the old one no longer works.".into()),
        Some("cancelled") => Some("The invitation was cancelled; its link no longer works.".into()),
        Some("role") => Some("The role was changed. It applies to their next click.".into()),
        Some("removed") => Some("They were removed and lost access at once.".into()),
        _ => None,
    };
    Ok(page)
}

fn back(access: &WorkspaceAccess, done: &str) -> Response {
    Redirect::to(&format!("/w/{}/members?done={done}", access.workspace().id)).into_response()
}

async fn send_invite(
    State(state): State<AppState>,
    access: WorkspaceAccess,
    client: ClientInfo,
    CsrfToken(csrf): CsrfToken,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response> {
    let managed = managed_buckets(&state, &access).await?;
    let typed = form.get("email").map(String::as_str).unwrap_or("");
    let refuse = |page: MembersPage, error: String| {
        let mut page = page;
        page.invite_email = typed.chars().take(254).collect();
        page.invite_error = Some(error);
        (StatusCode::UNPROCESSABLE_ENTITY, page).into_response()
    };
    let email = match Email::parse(typed) {
        Ok(email) => email,
        Err(e) => {
            return Ok(refuse(
                members_page(&state, &access, csrf).await?,
                e.to_string(),
            ));
        }
    };
    if email.as_str() == access.me.user.email {
        return Ok(refuse(
            members_page(&state, &access, csrf).await?,
            "You cannot invite yourself.".into(),
        ));
    }
    let mut roles = Vec::new();
    for (field, value) in &form {
        let Some(bucket) = field.strip_prefix("role_") else {
            continue;
        };
        if value.trim().is_empty() {
            continue;
        }
        let Some(managed_bucket) = Uuid::parse_str(bucket)
            .ok()
            .and_then(|id| managed.iter().find(|b| b.id == id))
        else {
            let error =
                "One of the chosen buckets is not one you manage in this workspace.".to_owned();
            return Ok(refuse(members_page(&state, &access, csrf).await?, error));
        };
        let role: Role = match value.parse() {
            Ok(role) => role,
            Err(e) => {
                return Ok(refuse(
                    members_page(&state, &access, csrf).await?,
                    format!("{e}"),
                ));
            }
        };
        if role > managed_bucket.my_role {
            let error = format!(
                "You can give at most your own role on {}, {}.",
                managed_bucket.name, managed_bucket.my_role
            );
            return Ok(refuse(members_page(&state, &access, csrf).await?, error));
        }
        roles.push((BucketId(managed_bucket.id), role));
    }
    if roles.is_empty() {
        let error = "Choose a role on at least one bucket.".to_owned();
        return Ok(refuse(members_page(&state, &access, csrf).await?, error));
    }
    let request = InviteRequest { email, roles };
    let workspace_name = access.workspace().name.clone();
    match invitations::invite(
        &state,
        access.id(),
        &workspace_name,
        &access.me.user,
        &client,
        request,
    )
    .await?
    {
        Ok(InviteOutcome::Sent) => Ok(back(&access, "invited")),
        Ok(InviteOutcome::AlreadySent) => Ok(back(&access, "already")),
        Ok(InviteOutcome::MemberUpdated) => Ok(back(&access, "updated")),
        Err(problem) => Ok(refuse(members_page(&state, &access, csrf).await?, problem)),
    }
}

/// A pending invitation of this workspace that the caller may manage: a
/// workspace owner, or an Admin of every bucket it grants.
async fn managed_invite(
    state: &AppState,
    access: &WorkspaceAccess,
    id: Uuid,
) -> Result<invites::Invite> {
    let invite = invites::find_in_workspace(&state.db, access.id(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    if invite.accepted_at.is_some() || invite.cancelled_at.is_some() {
        return Err(AppError::BadRequest(
            "That invitation was already accepted or cancelled.".into(),
        ));
    }
    if !access.allows(Role::Owner) {
        let managed = managed_buckets(state, access).await?;
        let granted = invites::buckets_of(&state.db, id).await?;
        if !granted
            .iter()
            .all(|g| managed.iter().any(|m| m.id == g.bucket_id))
        {
            return Err(AppError::Forbidden(
                "That invitation also grants buckets you do not manage.",
            ));
        }
    }
    Ok(invite)
}

async fn resend_invite(
    State(state): State<AppState>,
    access: WorkspaceAccess,
    client: ClientInfo,
    Path((_, invite)): Path<(Uuid, Uuid)>,
) -> Result<Response> {
    let invite = managed_invite(&state, &access, invite).await?;
    invitations::resend(&state, &invite, &access.me.user, &client).await?;
    Ok(back(&access, "resent"))
}

async fn cancel_invite(
    State(state): State<AppState>,
    access: WorkspaceAccess,
    client: ClientInfo,
    Path((_, invite)): Path<(Uuid, Uuid)>,
) -> Result<Response> {
    let invite = managed_invite(&state, &access, invite).await?;
    invitations::cancel(&state, &invite, &access.me.user, &client).await?;
    Ok(back(&access, "cancelled"))
}

#[derive(Deserialize)]
struct RoleForm {
    #[serde(default)]
    role: String,
}

/// The member (a person in this workspace) named in the path.
async fn member_in(
    state: &AppState,
    workspace: WorkspaceId,
    id: Uuid,
) -> Result<(members::Member, users::User)> {
    let member = members::find(&state.db, workspace, UserId(id))
        .await?
        .ok_or(AppError::NotFound)?;
    let user = users::find(&state.db, UserId(id))
        .await?
        .ok_or(AppError::NotFound)?;
    Ok((member, user))
}

async fn change_role(
    State(state): State<AppState>,
    access: WorkspaceAccess,
    client: ClientInfo,
    CsrfToken(csrf): CsrfToken,
    Path((_, member, bucket)): Path<(Uuid, Uuid, Uuid)>,
    Form(form): Form<RoleForm>,
) -> Result<Response> {
    managed_buckets(&state, &access).await?;
    let (_, target) = member_in(&state, access.id(), member).await?;
    let bucket = BucketId(bucket);
    // the bucket must belong to this workspace and the caller must have a role on it
    buckets::find_for_user(&state.db, access.id(), bucket, access.me.user.user_id())
        .await?
        .ok_or(AppError::NotFound)?;
    let new = match form.role.trim() {
        "" | "none" => None,
        name => match name.parse::<Role>() {
            Ok(role) => Some(role),
            Err(e) => return Err(AppError::BadRequest(e.to_string())),
        },
    };
    let mut tx = state.db.begin().await?;
    match memberships::change_role_in(
        &mut tx,
        access.id(),
        &access.me.user,
        &client,
        &target,
        bucket,
        new,
    )
    .await?
    {
        Ok(()) => {
            tx.commit().await?;
            Ok(back(&access, "role"))
        }
        Err(problem) => {
            let mut page = members_page(&state, &access, csrf).await?;
            page.problem = Some(problem);
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

async fn remove_member(
    State(state): State<AppState>,
    access: WorkspaceAccess,
    client: ClientInfo,
    CsrfToken(csrf): CsrfToken,
    Path((_, member)): Path<(Uuid, Uuid)>,
) -> Result<Response> {
    access.can::<Owner>()?;
    let (target, _) = member_in(&state, access.id(), member).await?;
    let mut tx = state.db.begin().await?;
    match memberships::remove_from_workspace(
        &mut tx,
        access.id(),
        &access.me.user,
        &client,
        &target,
    )
    .await?
    {
        Ok(()) => {
            tx.commit().await?;
            Ok(back(&access, "removed"))
        }
        Err(problem) => {
            let mut page = members_page(&state, &access, csrf).await?;
            page.problem = Some(problem);
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}
