//! A workspace's members page: invite people ([`invites`]), change roles
//! per bucket and remove people ([`roles`]), and manage pending
//! invitations. Open to workspace owners and to Admins of any bucket in
//! the workspace, who manage their buckets.

mod invites;
mod roles;

use crate::extract::{CsrfToken, WorkspaceAccess};
use crate::pages::utc_minutes;
use crate::{AppError, AppState, Result};
use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use bucketdesk_core::invitations::{self};
use bucketdesk_core::{CoreError, Denied, members};
use bucketdesk_domain::Role;
use serde::Deserialize;
use std::collections::HashMap;
use uuid::Uuid;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/w/{workspace}/members", get(show_members))
        .route("/w/{workspace}/invites", post(invites::send_invite))
        .route(
            "/w/{workspace}/invites/{invite}/resend",
            post(invites::resend_invite),
        )
        .route(
            "/w/{workspace}/invites/{invite}/cancel",
            post(invites::cancel_invite),
        )
        .route(
            "/w/{workspace}/members/{member}/buckets/{bucket}",
            post(roles::change_role),
        )
        .route(
            "/w/{workspace}/members/{member}/remove",
            post(roles::remove_member),
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
    /// The person's folder grants on the bucket: path and role.
    folders: Vec<(String, Role)>,
    /// Labels the cell on a phone, where the table's head is hidden.
    bucket_name: String,
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
    /// The account has an authenticator app or a passkey.
    second_factor: bool,
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
    sidebar: crate::sidebar::Sidebar,
    csrf: String,
    workspace_id: Uuid,
    workspace_name: String,
    buckets: Vec<ManagedBucket>,
    members: Vec<MemberRow>,
    /// Members must use a second factor or single sign-on here.
    require_second_factor: bool,
    invites: Vec<InviteRow>,
    can_remove_members: bool,
    invite_email: String,
    invite_error: Option<String>,
    notice: Option<String>,
    problem: Option<String>,
}

async fn members_page(
    state: &AppState,
    access: &WorkspaceAccess,
    csrf: String,
) -> Result<MembersPage> {
    let managed = managed_buckets(state, access).await?;
    let actor = access.me.actor();
    let roster = members::list(&state.db, &access.grant, &actor).await?;
    let role_of: HashMap<(Uuid, Uuid), Role> = roster
        .buckets
        .iter()
        .map(|r| ((r.user_id, r.bucket_id), r.role()))
        .collect();
    let mut folders_of: HashMap<(Uuid, Uuid), Vec<(String, Role)>> = HashMap::new();
    for f in &roster.folders {
        folders_of
            .entry((f.user_id, f.bucket_id))
            .or_default()
            .push((f.folder.clone(), f.role()));
    }
    let me = access.me.user.id;
    let members = roster
        .members
        .into_iter()
        .map(|m| MemberRow {
            // the buckets they hold something on, each with its folders
            cells: managed
                .iter()
                .filter(|b| {
                    role_of.contains_key(&(m.user_id, b.id))
                        || folders_of.contains_key(&(m.user_id, b.id))
                })
                .map(|b| {
                    let current = role_of.get(&(m.user_id, b.id)).copied();
                    Cell {
                        bucket_id: b.id,
                        folders: folders_of
                            .get(&(m.user_id, b.id))
                            .cloned()
                            .unwrap_or_default(),
                        bucket_name: b.name.clone(),
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
            second_factor: m.second_factor,
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
                .map(|b| format!("{}: {}", b.place(), b.role().label()))
                .collect::<Vec<_>>()
                .join(", "),
            expires: utc_minutes(invite.expires_at),
            expired: invite.expired,
        })
        .collect();
    Ok(MembersPage {
        require_second_factor: access.workspace().require_second_factor,
        sidebar: crate::sidebar::Sidebar::for_workspace(&state.db, access).await?,
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
