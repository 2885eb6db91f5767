//! Workspaces: create one, see one (its buckets), rename it.

use crate::extract::{ClientInfo, CsrfToken, CurrentUser, Form, WorkspaceAccess};
use crate::{AppError, AppState, Result};
use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use bucketdesk_core::access::Owner;
use bucketdesk_core::{CoreError, Denied, workspaces as core_workspaces};
use bucketdesk_db::buckets::{self, Bucket};
use bucketdesk_db::workspaces::Membership;
use bucketdesk_domain::Role;
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/workspaces/new", get(show_new_workspace_form))
        .route("/workspaces", post(create_workspace))
        .route("/w/{workspace}", get(show_workspace))
        .route("/w/{workspace}/rename", post(rename_workspace))
        .route(
            "/w/{workspace}/second-factor-rule",
            post(set_second_factor_rule),
        )
        .route(
            "/w/{workspace}/delete",
            get(confirm_delete_workspace).post(delete_workspace),
        )
}

/// Whether this person may create workspaces (`BUCKETDESK_WORKSPACE_CREATORS`).
/// Where a bucket lives, in a few words.
pub fn location(bucket: &Bucket) -> String {
    match &bucket.endpoint_url {
        None => format!("Amazon S3, {}", bucket.region),
        Some(endpoint) => url::Url::parse(endpoint)
            .ok()
            .and_then(|u| {
                u.host_str().map(|h| match u.port() {
                    Some(port) => format!("{h}:{port}"),
                    None => h.to_owned(),
                })
            })
            .unwrap_or_else(|| endpoint.clone()),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "workspaces/new.html")]
struct NewWorkspacePage {
    csrf: String,
    name: String,
    error: Option<String>,
}

async fn show_new_workspace_form(
    State(state): State<AppState>,
    me: CurrentUser,
    CsrfToken(csrf): CsrfToken,
) -> Result<NewWorkspacePage> {
    core_workspaces::may_create(&me.actor(), state.settings.workspace_creators).map_err(
        |error| match error {
            CoreError::Forbidden(Denied::InstanceAdmin) => creators_only(),
            other => other.into(),
        },
    )?;
    Ok(NewWorkspacePage {
        csrf,
        name: String::new(),
        error: None,
    })
}

#[derive(Deserialize)]
struct NameForm {
    #[serde(default)]
    name: String,
}

async fn create_workspace(
    State(state): State<AppState>,
    me: CurrentUser,
    client: ClientInfo,
    CsrfToken(csrf): CsrfToken,
    Form(form): Form<NameForm>,
) -> Result<Response> {
    let created = core_workspaces::create(
        &state.db,
        &me.actor(),
        &client.origin(),
        state.settings.workspace_creators,
        &form.name,
    )
    .await;
    match created {
        Ok(workspace) => Ok(Redirect::to(&format!("/w/{}", workspace.id)).into_response()),
        Err(CoreError::Invalid(problems)) => {
            let page = NewWorkspacePage {
                csrf,
                name: form.name.chars().take(100).collect(),
                error: problems.into_iter().next().map(|p| p.message),
            };
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(CoreError::Forbidden(Denied::InstanceAdmin)) => Err(creators_only()),
        Err(other) => Err(other.into()),
    }
}

/// Why someone may not create a workspace here, in words.
fn creators_only() -> AppError {
    AppError::Forbidden(
        "On this instance only its admins create workspaces. Ask one of them, or ask to be invited to an existing workspace.",
    )
}

pub struct BucketRow {
    pub id: uuid::Uuid,
    pub display_name: String,
    pub bucket_name: String,
    pub location: String,
    pub role: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "workspaces/show.html")]
struct WorkspacePage {
    csrf: String,
    workspace: Membership,
    role: Role,
    is_owner: bool,
    /// Owners, and Admins of any bucket here, manage members.
    manages_members: bool,
    buckets: Vec<BucketRow>,
    notice: Option<&'static str>,
    rename_value: String,
    rename_error: Option<String>,
    /// The Owner looking has a second factor or came through single
    /// sign-on: they may turn the rule on.
    me_strong: bool,
    sidebar: crate::sidebar::Sidebar,
}

async fn workspace_page(
    state: &AppState,
    access: WorkspaceAccess,
    csrf: String,
    rename: Option<(String, String)>,
) -> Result<WorkspacePage> {
    let rows = buckets::list_for_user(&state.db, access.id(), access.me.user.user_id()).await?;
    let manages_members =
        access.allows(Role::Owner) || rows.iter().any(|b| b.role() >= Role::Admin);
    let buckets = rows
        .iter()
        .map(|b| BucketRow {
            id: b.bucket.id,
            display_name: b.bucket.display_name.clone(),
            bucket_name: b.bucket.bucket_name.clone(),
            location: location(&b.bucket),
            role: b.grants().describe(),
        })
        .collect();
    let (rename_value, rename_error) = match rename {
        Some((value, error)) => (value, Some(error)),
        None => (access.workspace().name.clone(), None),
    };
    Ok(WorkspacePage {
        sidebar: crate::sidebar::Sidebar::for_workspace(&state.db, &access).await?,
        csrf,
        role: access.role(),
        is_owner: access.allows(Role::Owner),
        manages_members,
        workspace: access.workspace().clone(),
        buckets,
        notice: None,
        rename_value,
        rename_error,
        me_strong: access.me.actor().strong(),
    })
}

#[derive(Deserialize, Default)]
struct NoticeQuery {
    #[serde(default)]
    done: Option<String>,
}

async fn show_workspace(
    State(state): State<AppState>,
    access: WorkspaceAccess,
    CsrfToken(csrf): CsrfToken,
    axum::extract::Query(q): axum::extract::Query<NoticeQuery>,
) -> Result<WorkspacePage> {
    let mut page = workspace_page(&state, access, csrf, None).await?;
    page.notice = match q.done.as_deref() {
        Some("renamed") => Some("The workspace was renamed."),
        Some("disconnected") => Some("The bucket was disconnected and its stored secret deleted."),
        Some("second_factor_rule_on") => Some(
            "Members must now use a second factor or single sign-on here. Those without one are led to add one on their next click.",
        ),
        Some("second_factor_rule_off") => {
            Some("Members no longer need a second factor or single sign-on here.")
        }
        _ => None,
    };
    Ok(page)
}

async fn rename_workspace(
    State(state): State<AppState>,
    access: WorkspaceAccess,
    client: ClientInfo,
    CsrfToken(csrf): CsrfToken,
    Form(form): Form<NameForm>,
) -> Result<Response> {
    let can = access.can::<Owner>()?;
    let renamed = core_workspaces::rename(
        &state.db,
        &can,
        &access.me.actor(),
        &client.origin(),
        &form.name,
    )
    .await;
    match renamed {
        Ok(()) => Ok(Redirect::to(&format!("/w/{}?done=renamed", access.id())).into_response()),
        Err(CoreError::Invalid(problems)) => {
            let value = form.name.chars().take(100).collect();
            let error = problems
                .into_iter()
                .next()
                .map(|p| p.message)
                .unwrap_or_default();
            let page = workspace_page(&state, access, csrf, Some((value, error))).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(other) => Err(other.into()),
    }
}

#[derive(Deserialize)]
struct RuleForm {
    /// The checkbox: present when ticked.
    #[serde(default)]
    required: Option<String>,
}

/// Turns "members must use a second factor or single sign-on" on or off.
async fn set_second_factor_rule(
    State(state): State<AppState>,
    access: WorkspaceAccess,
    client: ClientInfo,
    Form(form): Form<RuleForm>,
) -> Result<Response> {
    let can = access.can::<Owner>()?;
    let required = form.required.is_some();
    bucketdesk_core::second_factor::set_workspace_rule(
        &state.db,
        &can,
        &access.me.actor(),
        &client.origin(),
        required,
    )
    .await?;
    let done = if required { "on" } else { "off" };
    Ok(Redirect::to(&format!(
        "/w/{}?done=second_factor_rule_{done}",
        access.id()
    ))
    .into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "workspaces/delete.html")]
struct DeleteWorkspacePage {
    csrf: String,
    workspace_id: uuid::Uuid,
    name: String,
    buckets: Vec<String>,
    typed: String,
    error: Option<String>,
}

async fn delete_page(
    state: &AppState,
    access: &WorkspaceAccess,
    csrf: String,
) -> Result<DeleteWorkspacePage> {
    access.can::<Owner>()?;
    let buckets = buckets::list_in_workspace(&state.db, access.id())
        .await?
        .into_iter()
        .map(|b| b.display_name)
        .collect();
    Ok(DeleteWorkspacePage {
        csrf,
        workspace_id: access.workspace().id,
        name: access.workspace().name.clone(),
        buckets,
        typed: String::new(),
        error: None,
    })
}

async fn confirm_delete_workspace(
    State(state): State<AppState>,
    access: WorkspaceAccess,
    CsrfToken(csrf): CsrfToken,
) -> Result<DeleteWorkspacePage> {
    delete_page(&state, &access, csrf).await
}

async fn delete_workspace(
    State(state): State<AppState>,
    access: WorkspaceAccess,
    client: ClientInfo,
    CsrfToken(csrf): CsrfToken,
    Form(form): Form<NameForm>,
) -> Result<Response> {
    let can = access.can::<Owner>()?;
    let deleted = core_workspaces::delete(
        &state.db,
        &state.s3_clients,
        &can,
        &access.me.actor(),
        &client.origin(),
        &form.name,
    )
    .await;
    match deleted {
        Ok(()) => Ok(Redirect::to("/?done=workspace_deleted").into_response()),
        Err(CoreError::Invalid(problems)) => {
            let mut page = delete_page(&state, &access, csrf).await?;
            page.typed = form.name.chars().take(100).collect();
            page.error = problems.into_iter().next().map(|p| p.message);
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(other) => Err(other.into()),
    }
}
