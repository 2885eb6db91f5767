//! Instance administration: the people on this instance; ending all of
//! someone's sessions; disabling, enabling and deleting accounts (S16).
//! Instance admins only (`bucketdesk admin add`).

use crate::extract::{ClientInfo, CsrfToken, CurrentUser, Form};
use crate::pages::utc_minutes;
use crate::{AppError, AppState, Result};
use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use bucketdesk_core::admin::{self, InstanceAdmin, instance_admin};
use bucketdesk_core::{Actor, CoreError};
use bucketdesk_db::users::User;
use bucketdesk_domain::UserId;
use serde::Deserialize;
use uuid::Uuid;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/users", get(show_users))
        .route(
            "/admin/users/{user}/sign-out-everywhere",
            post(sign_out_user_everywhere),
        )
        .route("/admin/users/{user}/disable", post(disable_user))
        .route("/admin/users/{user}/enable", post(enable_user))
        .route(
            "/admin/users/{user}/delete",
            get(confirm_delete_user).post(delete_user),
        )
}

/// The account named in the path, for an instance admin.
async fn target(state: &AppState, admin: &InstanceAdmin<'_>, id: Uuid) -> Result<User> {
    Ok(admin.account(&state.db, UserId(id)).await?)
}

/// Refused to anyone who is not an instance admin.
fn admin_of(actor: &Actor) -> Result<InstanceAdmin<'_>> {
    instance_admin(actor)
        .map_err(|_| AppError::Forbidden("Only instance admins can see this page."))
}

struct UserRow {
    id: Uuid,
    email: String,
    is_admin: bool,
    is_me: bool,
    disabled: Option<String>,
    created: String,
    last_sign_in: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/users.html")]
struct UsersPage {
    csrf: String,
    users: Vec<UserRow>,
    notice: Option<&'static str>,
    problem: Option<String>,
}

#[derive(Deserialize, Default)]
struct Notice {
    #[serde(default)]
    done: Option<String>,
}

async fn users_page(state: &AppState, me: &CurrentUser, csrf: String) -> Result<UsersPage> {
    let actor = me.actor();
    let admin = admin_of(&actor)?;
    let users = admin::accounts(&state.db, &admin)
        .await?
        .into_iter()
        .map(|u| UserRow {
            id: u.id,
            is_admin: u.is_admin,
            is_me: u.id == me.user.id,
            disabled: u.disabled_at.map(utc_minutes),
            created: utc_minutes(u.created_at),
            last_sign_in: u
                .last_sign_in_at
                .map(utc_minutes)
                .unwrap_or_else(|| "never".into()),
            email: u.email,
        })
        .collect();
    Ok(UsersPage {
        csrf,
        users,
        notice: None,
        problem: None,
    })
}

async fn show_users(
    State(state): State<AppState>,
    me: CurrentUser,
    CsrfToken(csrf): CsrfToken,
    Query(q): Query<Notice>,
) -> Result<UsersPage> {
    let mut page = users_page(&state, &me, csrf).await?;
    page.notice = match q.done.as_deref() {
        Some("signed_out") | Some("1") => Some("Every session of that person has ended."),
        Some("disabled") => Some(
            "The account is disabled: it cannot sign in, its sessions have ended and its links no longer work.",
        ),
        Some("enabled") => Some(
            "The account can sign in again. Its links work again where it still has its roles.",
        ),
        Some("deleted") => Some(
            "The account is deleted, with its memberships and pending invitations. The audit trail keeps its address.",
        ),
        _ => None,
    };
    Ok(page)
}

/// The users page again, with why the action was refused (422).
async fn refused(
    state: &AppState,
    me: &CurrentUser,
    csrf: String,
    why: String,
) -> Result<Response> {
    let mut page = users_page(state, me, csrf).await?;
    page.problem = Some(why);
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

async fn sign_out_user_everywhere(
    State(state): State<AppState>,
    me: CurrentUser,
    client: ClientInfo,
    Path(user): Path<Uuid>,
) -> Result<Redirect> {
    let actor = me.actor();
    let admin = admin_of(&actor)?;
    let target = target(&state, &admin, user).await?;
    admin::sign_out_everywhere(&state.db, &admin, &client.origin(), &target).await?;
    Ok(Redirect::to("/admin/users?done=signed_out"))
}

async fn disable_user(
    State(state): State<AppState>,
    me: CurrentUser,
    client: ClientInfo,
    CsrfToken(csrf): CsrfToken,
    Path(user): Path<Uuid>,
) -> Result<Response> {
    let actor = me.actor();
    let admin = admin_of(&actor)?;
    let target = target(&state, &admin, user).await?;
    match admin::disable(&state.db, &admin, &client.origin(), &target).await {
        Ok(()) => Ok(Redirect::to("/admin/users?done=disabled").into_response()),
        Err(CoreError::Conflict { message, .. }) => refused(&state, &me, csrf, message).await,
        Err(other) => Err(other.into()),
    }
}

async fn enable_user(
    State(state): State<AppState>,
    me: CurrentUser,
    client: ClientInfo,
    Path(user): Path<Uuid>,
) -> Result<Redirect> {
    let actor = me.actor();
    let admin = admin_of(&actor)?;
    let target = target(&state, &admin, user).await?;
    admin::enable(&state.db, &admin, &client.origin(), &target).await?;
    Ok(Redirect::to("/admin/users?done=enabled"))
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/delete_user.html")]
struct DeleteUserPage {
    csrf: String,
    id: Uuid,
    email: String,
    /// Workspaces and buckets it alone owns: it cannot go yet.
    sole_owner_of: Vec<String>,
    typed: String,
    error: Option<String>,
}

async fn delete_page(
    state: &AppState,
    admin: &InstanceAdmin<'_>,
    target: &User,
    csrf: String,
) -> Result<DeleteUserPage> {
    Ok(DeleteUserPage {
        csrf,
        id: target.id,
        email: target.email.clone(),
        sole_owner_of: admin::sole_ownerships(&state.db, admin, target).await?,
        typed: String::new(),
        error: None,
    })
}

async fn confirm_delete_user(
    State(state): State<AppState>,
    me: CurrentUser,
    CsrfToken(csrf): CsrfToken,
    Path(user): Path<Uuid>,
) -> Result<DeleteUserPage> {
    let actor = me.actor();
    let admin = admin_of(&actor)?;
    let target = target(&state, &admin, user).await?;
    delete_page(&state, &admin, &target, csrf).await
}

#[derive(Deserialize)]
struct ConfirmForm {
    #[serde(default)]
    confirm: String,
}

async fn delete_user(
    State(state): State<AppState>,
    me: CurrentUser,
    client: ClientInfo,
    CsrfToken(csrf): CsrfToken,
    Path(user): Path<Uuid>,
    Form(form): Form<ConfirmForm>,
) -> Result<Response> {
    let actor = me.actor();
    let admin = admin_of(&actor)?;
    let target = target(&state, &admin, user).await?;
    let refuse = |mut page: DeleteUserPage, why: String| {
        page.typed = form.confirm.chars().take(254).collect();
        page.error = Some(why);
        (StatusCode::UNPROCESSABLE_ENTITY, page).into_response()
    };
    if !form.confirm.trim().eq_ignore_ascii_case(&target.email) {
        let why = format!("Type {} exactly to confirm.", target.email);
        return Ok(refuse(
            delete_page(&state, &admin, &target, csrf).await?,
            why,
        ));
    }
    match admin::delete(&state.db, &admin, &client.origin(), &target).await {
        Ok(()) => Ok(Redirect::to("/admin/users?done=deleted").into_response()),
        Err(CoreError::Conflict { message, .. }) => Ok(refuse(
            delete_page(&state, &admin, &target, csrf).await?,
            message,
        )),
        Err(other) => Err(other.into()),
    }
}
