//! Instance administration through the API (instance admins, `admin`
//! scope): the accounts, ending an account's sessions, disabling, enabling
//! and deleting it. The same core operations as the admin pages.

use super::auth::ApiUser;
use super::error::{ApiError, ApiResult};
use super::openapi::Refusals;
use super::rfc3339;
use crate::AppState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use bucketdesk_api_types as api;
use bucketdesk_core::CoreError;
use bucketdesk_core::admin::{self, InstanceAdmin, instance_admin};
use bucketdesk_db::users::User;
use bucketdesk_domain::UserId;
use uuid::Uuid;

/// An account, in the path.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)] // describes the path; handlers read it as a string
pub struct AccountPath {
    /// The account's user id.
    user: String,
}

async fn account(state: &AppState, admin: &InstanceAdmin<'_>, id: &str) -> ApiResult<User> {
    let id = Uuid::parse_str(id).map_err(|_| ApiError::from(CoreError::NotFound))?;
    Ok(admin.account(&state.db, UserId(id)).await?)
}

/// `GET /api/v1/admin/users`
#[utoipa::path(get, path = "/api/v1/admin/users", tag = "admin",
    summary = "Every account of the instance (instance admins; scope admin)",
    responses((status = 200, body = api::Accounts), Refusals))]
pub async fn accounts(
    State(state): State<AppState>,
    user: ApiUser,
) -> ApiResult<Json<api::Accounts>> {
    let admin = instance_admin(&user.actor)?;
    let users = admin::accounts(&state.db, &admin)
        .await?
        .into_iter()
        .map(|u| api::Account {
            id: u.id.to_string(),
            email: u.email,
            is_admin: u.is_admin,
            created_at: rfc3339(u.created_at),
            last_sign_in_at: u.last_sign_in_at.map(rfc3339),
            disabled_at: u.disabled_at.map(rfc3339),
        })
        .collect();
    Ok(Json(api::Accounts { users }))
}

/// `POST /api/v1/admin/users/{user}/sign-out-everywhere`
#[utoipa::path(post, path = "/api/v1/admin/users/{user}/sign-out-everywhere", tag = "admin",
    summary = "Ends every session of an account at once (instance admins; scope admin)",
    params(AccountPath),
    responses((status = 204, description = "Signed out everywhere"), Refusals))]
pub async fn sign_out_everywhere(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let admin = instance_admin(&user.actor)?;
    let target = account(&state, &admin, &id).await?;
    admin::sign_out_everywhere(&state.db, &admin, &user.origin, &target).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/v1/admin/users/{user}/disable`
#[utoipa::path(post, path = "/api/v1/admin/users/{user}/disable", tag = "admin",
    summary = "Disables an account: no sign-in, sessions and tokens end, links stop (instance admins; scope admin)",
    params(AccountPath),
    responses((status = 204, description = "Disabled"), Refusals,
        (status = 409, description = "Not your own account (`yourself`)", body = api::ErrorBody)))]
pub async fn disable(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let admin = instance_admin(&user.actor)?;
    let target = account(&state, &admin, &id).await?;
    admin::disable(&state.db, &admin, &user.origin, &target).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/v1/admin/users/{user}/enable`
#[utoipa::path(post, path = "/api/v1/admin/users/{user}/enable", tag = "admin",
    summary = "Enables a disabled account again (instance admins; scope admin)",
    params(AccountPath),
    responses((status = 204, description = "Enabled"), Refusals))]
pub async fn enable(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let admin = instance_admin(&user.actor)?;
    let target = account(&state, &admin, &id).await?;
    admin::enable(&state.db, &admin, &user.origin, &target).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /api/v1/admin/users/{user}`
#[utoipa::path(delete, path = "/api/v1/admin/users/{user}", tag = "admin",
    summary = "Deletes an account (not your own, nor the only owner of anything; instance admins; scope admin)",
    params(AccountPath),
    responses((status = 204, description = "Deleted"), Refusals,
        (status = 409, description = "Your own account (`yourself`), or the only owner of something (`sole_owner`)", body = api::ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    user: ApiUser,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let admin = instance_admin(&user.actor)?;
    let target = account(&state, &admin, &id).await?;
    admin::delete(&state.db, &admin, &user.origin, &target).await?;
    Ok(StatusCode::NO_CONTENT)
}
