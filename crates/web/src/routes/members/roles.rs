//! Changing someone's role on a bucket or one of its folders, and
//! removing someone from the workspace.

use super::{back, managed_buckets, member_problem, members_page};
use crate::extract::{ClientInfo, CsrfToken, Form, WorkspaceAccess};
use crate::{AppError, AppState, Result};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use bucketdesk_core::access::Owner;
use bucketdesk_core::{CoreError, members};
use bucketdesk_db::users;
use bucketdesk_domain::grants::granted_folder;
use bucketdesk_domain::{BucketId, Role, UserId};
use serde::Deserialize;
use uuid::Uuid;

#[derive(Deserialize)]
pub(super) struct RoleForm {
    #[serde(default)]
    role: String,
    /// The folder whose role changes (blank: the whole bucket's).
    #[serde(default)]
    folder: String,
}

pub(super) async fn change_role(
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
    let folder = granted_folder(&form.folder).map_err(AppError::BadRequest)?;
    let changed = members::change_access(
        &state.db,
        &access.grant,
        &access.me.actor(),
        &client.origin(),
        UserId(member),
        BucketId(bucket),
        folder.as_deref(),
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

pub(super) async fn remove_member(
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
