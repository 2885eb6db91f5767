//! Access to a workspace or a bucket named in the path. A handler that takes
//! [`WorkspaceAccess`] or [`BucketAccess`] cannot run for someone without a
//! role there: they get 404, as if it did not exist, and `require` turns a
//! role that is too low into 403.

use crate::extract::CurrentUser;
use crate::{AppError, AppState};
use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use bucketdesk_db::buckets::{self, Bucket};
use bucketdesk_db::workspaces::{self, Membership};
use bucketdesk_domain::{BucketId, Role, WorkspaceId};
use std::collections::HashMap;
use uuid::Uuid;

pub struct WorkspaceAccess {
    pub me: CurrentUser,
    pub workspace: Membership,
    pub role: Role,
}

pub struct BucketAccess {
    pub me: CurrentUser,
    pub bucket: Bucket,
    pub role: Role,
    pub workspace_name: String,
}

fn id_from_path(params: &HashMap<String, String>, name: &str) -> Result<Uuid, AppError> {
    params
        .get(name)
        .and_then(|v| Uuid::parse_str(v).ok())
        .ok_or(AppError::NotFound)
}

async fn path_params(
    parts: &mut Parts,
    state: &AppState,
) -> Result<HashMap<String, String>, AppError> {
    Path::<HashMap<String, String>>::from_request_parts(parts, state)
        .await
        .map(|Path(params)| params)
        .map_err(|_| AppError::NotFound)
}

fn require(role: Role, needed: Role, what: &'static str) -> Result<(), AppError> {
    if role >= needed {
        Ok(())
    } else {
        Err(AppError::Forbidden(what))
    }
}

impl WorkspaceAccess {
    pub fn id(&self) -> WorkspaceId {
        WorkspaceId(self.workspace.id)
    }

    pub fn require(&self, needed: Role) -> Result<(), AppError> {
        require(
            self.role,
            needed,
            "Your role in this workspace does not allow this. Ask one of its owners.",
        )
    }
}

impl BucketAccess {
    pub fn require(&self, needed: Role) -> Result<(), AppError> {
        require(
            self.role,
            needed,
            "Your role on this bucket does not allow this. Ask one of its owners.",
        )
    }
}

impl FromRequestParts<AppState> for WorkspaceAccess {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let me = CurrentUser::from_request_parts(parts, state).await?;
        let params = path_params(parts, state).await?;
        let id = WorkspaceId(id_from_path(&params, "workspace")?);
        let workspace = workspaces::find_for_user(&state.db, id, me.user.user_id())
            .await?
            .ok_or(AppError::NoAccess)?;
        let role = workspace.role();
        Ok(WorkspaceAccess {
            me,
            workspace,
            role,
        })
    }
}

impl FromRequestParts<AppState> for BucketAccess {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let me = CurrentUser::from_request_parts(parts, state).await?;
        let params = path_params(parts, state).await?;
        let workspace = WorkspaceId(id_from_path(&params, "workspace")?);
        let bucket = BucketId(id_from_path(&params, "bucket")?);
        let found = buckets::find_for_user(&state.db, workspace, bucket, me.user.user_id())
            .await?
            .ok_or(AppError::NoAccess)?;
        let role = found.role();
        Ok(BucketAccess {
            me,
            bucket: found.bucket,
            role,
            workspace_name: found.workspace_name,
        })
    }
}
