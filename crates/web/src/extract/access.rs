//! Access to a workspace or a bucket named in the path. A handler that takes
//! [`WorkspaceAccess`] or [`BucketAccess`] cannot run for someone without a
//! role there: they get 404, as if it did not exist, and `require` turns a
//! role that is too low into 403.

use crate::extract::CurrentUser;
use crate::middleware::logging::RequestUser;
use crate::{AppError, AppState};
use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use bucketdesk_db::access;
use bucketdesk_db::buckets::Bucket;
use bucketdesk_db::workspaces::Membership;
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

/// The ids named `names` in the path. When one is missing or malformed the
/// answer is 404, once the person is known to be signed in (else the
/// sign-in page, as for any other page).
async fn ids_from_path<const N: usize>(
    parts: &mut Parts,
    state: &AppState,
    names: [&str; N],
) -> Result<[Uuid; N], AppError> {
    let params = path_params(parts, state).await;
    let ids = params.and_then(|params| {
        let mut ids = [Uuid::nil(); N];
        for (id, name) in ids.iter_mut().zip(names) {
            *id = id_from_path(&params, name)?;
        }
        Ok(ids)
    });
    if ids.is_err() {
        CurrentUser::from_request_parts(parts, state).await?;
    }
    ids
}

// Both extractors ask for the user and their role in one query
// (`bucketdesk_db::access`): a round trip fewer on every page.

impl FromRequestParts<AppState> for WorkspaceAccess {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let [workspace] = ids_from_path(parts, state, ["workspace"]).await?;
        let (session, signed_in) = CurrentUser::session_of(parts, state).await?;
        let found = access::user_and_workspace(
            &state.db,
            signed_in.user_id,
            signed_in.id,
            WorkspaceId(workspace),
        )
        .await?;
        let (user, workspace) = found.unzip();
        let me = CurrentUser::accept(state, session, signed_in, user).await?;
        RequestUser::note(&parts.extensions, me.user.user_id());
        let workspace = workspace.flatten().ok_or(AppError::NoAccess)?;
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
        let [workspace, bucket] = ids_from_path(parts, state, ["workspace", "bucket"]).await?;
        let (session, signed_in) = CurrentUser::session_of(parts, state).await?;
        let found = access::user_and_bucket(
            &state.db,
            signed_in.user_id,
            signed_in.id,
            WorkspaceId(workspace),
            BucketId(bucket),
        )
        .await?;
        let (user, bucket) = found.unzip();
        let me = CurrentUser::accept(state, session, signed_in, user).await?;
        RequestUser::note(&parts.extensions, me.user.user_id());
        let found = bucket.flatten().ok_or(AppError::NoAccess)?;
        let role = found.role();
        Ok(BucketAccess {
            me,
            bucket: found.bucket,
            role,
            workspace_name: found.workspace_name,
        })
    }
}
