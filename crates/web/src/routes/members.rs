//! A workspace's members page: invite people, change roles per bucket,
//! remove people, and manage pending invitations. Open to workspace owners
//! and to Admins of any bucket in the workspace, who manage their buckets.

use crate::extract::{ClientInfo, CsrfToken, Form, WorkspaceAccess};
use crate::pages::utc_minutes;
use crate::{AppError, AppState, Result, invite_mail};
use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use bucketdesk_core::access::Owner;
use bucketdesk_core::invitations::{self, Invited};
use bucketdesk_core::{CoreError, Denied, members};
use bucketdesk_db::users;
use bucketdesk_domain::{BucketId, Email, Role, UserId};
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
    let managed = members::managed_buckets(&state.db, &access.grant, &access.me.actor()).await;
    let managed = managed.map_err(|error| match error {
        CoreError::Forbidden(Denied::BucketRole { .. }) => AppError::Forbidden(
            "Only the workspace's owners and the Admins of its buckets manage its members.",
        ),
        other => other.into(),
    })?;
    Ok(managed
        .into_iter()
        .map(|b| {
            let my_role = b.role();
            ManagedBucket {
                id: b.bucket.id,
                name: b.bucket.display_name,
                my_role,
                grantable: Role::ALL.into_iter().filter(|r| *r <= my_role).collect(),
            }
        })
        .collect())
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
    let actor = access.me.actor();
    let (people, roles) = members::list(&state.db, &access.grant, &actor).await?;
    let role_of: HashMap<(Uuid, Uuid), Role> = roles
        .iter()
        .map(|r| ((r.user_id, r.bucket_id), r.role()))
        .collect();
    let me = access.me.user.id;
    let members = people
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
    let invite_rows = invitations::pending(&state.db, &access.grant, &actor)
        .await?
        .into_iter()
        .map(|(invite, buckets)| InviteRow {
            id: invite.id,
            email: invite.email,
            access: buckets
                .iter()
                .map(|b| format!("{}: {}", b.display_name, b.role().label()))
                .collect::<Vec<_>>()
                .join(", "),
            expires: utc_minutes(invite.expires_at),
            expired: invite.expired,
        })
        .collect();
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
    managed_buckets(&state, &access).await?;
    let typed = form.get("email").map(String::as_str).unwrap_or("");
    let outcome = match invitation_of(&form, typed) {
        Ok((email, roles)) => {
            let actor = access.me.actor();
            let sent = invitations::invite(
                &state.db,
                &access.grant,
                &actor,
                &client.origin(),
                &email,
                &roles,
            )
            .await;
            if let Ok(Invited::Mail { invite, token }) = &sent {
                let workspace = &access.workspace().name;
                invite_mail::send(&state, *invite, workspace, &actor.user.email, &email, token)
                    .await?;
            }
            sent.map_err(|error| member_problem(error, email.as_str()))
        }
        Err(problem) => Err(Ok(problem)),
    };
    match outcome {
        Ok(Invited::Mail { .. }) => Ok(back(&access, "invited")),
        Ok(Invited::AlreadySent) => Ok(back(&access, "already")),
        Ok(Invited::MemberUpdated) => Ok(back(&access, "updated")),
        Err(Ok(problem)) => {
            let mut page = members_page(&state, &access, csrf).await?;
            page.invite_email = typed.chars().take(254).collect();
            page.invite_error = Some(problem);
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(Err(error)) => Err(error),
    }
}

/// The address and the roles (`role_{bucket}` fields) an invitation form
/// asks for, or what is wrong with them as typed.
fn invitation_of(
    form: &HashMap<String, String>,
    typed: &str,
) -> std::result::Result<(Email, Vec<(BucketId, Role)>), String> {
    let email = Email::parse(typed).map_err(|e| e.to_string())?;
    let mut roles = Vec::new();
    for (field, value) in form {
        let Some(bucket) = field.strip_prefix("role_") else {
            continue;
        };
        if value.trim().is_empty() {
            continue;
        }
        let bucket = Uuid::parse_str(bucket).map_err(|_| {
            "One of the chosen buckets is not one you manage in this workspace.".to_owned()
        })?;
        let role: Role = value.parse().map_err(|e| format!("{e}"))?;
        roles.push((BucketId(bucket), role));
    }
    Ok((email, roles))
}

/// A refused change to someone's membership in words for the members page
/// (`Ok`), or an error that is not about the change (`Err`).
fn member_problem(error: CoreError, target: &str) -> std::result::Result<String, AppError> {
    match error {
        CoreError::Invalid(problems) => Ok(problems
            .into_iter()
            .map(|p| p.message)
            .collect::<Vec<_>>()
            .join(" ")),
        CoreError::Conflict { message, .. } => Ok(message),
        CoreError::Forbidden(Denied::Outranked) => Ok(format!(
            "{target} has a higher role on this bucket than you."
        )),
        CoreError::Forbidden(Denied::AboveOwnRole { own }) => Ok(format!(
            "You can give at most your own role on this bucket, {own}."
        )),
        CoreError::Forbidden(Denied::BucketRole { .. }) => {
            Ok("Only an Admin or Owner of a bucket can change who has access to it.".into())
        }
        CoreError::NoAccess => Ok("You have no role on that bucket.".into()),
        other => Err(other.into()),
    }
}

/// An invitation refused by the core, as the members page answers it.
fn invite_error(error: CoreError) -> AppError {
    match error {
        CoreError::Conflict { message, .. } => AppError::BadRequest(message),
        CoreError::Forbidden(Denied::BucketRole { .. }) => {
            AppError::Forbidden("That invitation also grants buckets you do not manage.")
        }
        other => other.into(),
    }
}

async fn resend_invite(
    State(state): State<AppState>,
    access: WorkspaceAccess,
    client: ClientInfo,
    Path((_, invite)): Path<(Uuid, Uuid)>,
) -> Result<Response> {
    let actor = access.me.actor();
    let (invite, token) =
        invitations::resend(&state.db, &access.grant, &actor, &client.origin(), invite)
            .await
            .map_err(invite_error)?;
    let email = Email::parse(&invite.email).map_err(|e| AppError::Internal(e.to_string()))?;
    let workspace = &invite.workspace_name;
    invite_mail::send(
        &state,
        invite.id,
        workspace,
        &actor.user.email,
        &email,
        &token,
    )
    .await?;
    Ok(back(&access, "resent"))
}

async fn cancel_invite(
    State(state): State<AppState>,
    access: WorkspaceAccess,
    client: ClientInfo,
    Path((_, invite)): Path<(Uuid, Uuid)>,
) -> Result<Response> {
    let actor = access.me.actor();
    invitations::cancel(&state.db, &access.grant, &actor, &client.origin(), invite)
        .await
        .map_err(invite_error)?;
    Ok(back(&access, "cancelled"))
}

#[derive(Deserialize)]
struct RoleForm {
    #[serde(default)]
    role: String,
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
    let new = match form.role.trim() {
        "" | "none" => None,
        name => match name.parse::<Role>() {
            Ok(role) => Some(role),
            Err(e) => return Err(AppError::BadRequest(e.to_string())),
        },
    };
    let changed = members::change_role(
        &state.db,
        &access.grant,
        &access.me.actor(),
        &client.origin(),
        UserId(member),
        BucketId(bucket),
        new,
    )
    .await;
    match changed {
        Ok(()) => Ok(back(&access, "role")),
        Err(CoreError::NotFound) => Err(AppError::NotFound),
        Err(error) => {
            let target = users::find(&state.db, UserId(member))
                .await?
                .map(|u| u.email)
                .unwrap_or_default();
            let problem = member_problem(error, &target)?;
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
    let can = access.can::<Owner>()?;
    let removed = members::remove(
        &state.db,
        &can,
        &access.me.actor(),
        &client.origin(),
        UserId(member),
    )
    .await;
    match removed {
        Ok(()) => Ok(back(&access, "removed")),
        Err(CoreError::Conflict { message, .. }) => {
            let mut page = members_page(&state, &access, csrf).await?;
            page.problem = Some(message);
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(other) => Err(other.into()),
    }
}
