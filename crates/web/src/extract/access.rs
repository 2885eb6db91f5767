//! Access to a workspace or a bucket named in the path. A handler that takes
//! [`WorkspaceAccess`] or [`BucketAccess`] cannot run for someone without a
//! role there: they get 404, as if it did not exist. Each carries the core's
//! grant (it reads as one), and `access.can::<Editor>()?` is the capability
//! an Editor's action needs, or 403.

use crate::extract::CurrentUser;
use crate::middleware::logging::RequestUser;
use crate::{AppError, AppState};
use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use bucketdesk_core::access::{self, BucketGrant, WorkspaceGrant};
use bucketdesk_domain::{BucketId, WorkspaceId};
use std::collections::HashMap;
use std::ops::Deref;
use uuid::Uuid;

pub struct WorkspaceAccess {
    pub me: CurrentUser,
    pub grant: WorkspaceGrant,
}

pub struct BucketAccess {
    pub me: CurrentUser,
    pub grant: BucketGrant,
}

impl Deref for WorkspaceAccess {
    type Target = WorkspaceGrant;
    fn deref(&self) -> &WorkspaceGrant {
        &self.grant
    }
}

impl Deref for BucketAccess {
    type Target = BucketGrant;
    fn deref(&self) -> &BucketGrant {
        &self.grant
    }
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

// Both extractors ask the core for the user and their grant in one query:
// a round trip fewer on every page.

impl FromRequestParts<AppState> for WorkspaceAccess {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let [workspace] = ids_from_path(parts, state, ["workspace"]).await?;
        let (session, signed_in) = CurrentUser::session_of(parts, state).await?;
        let found = access::session_workspace(
            &state.db,
            signed_in.user_id,
            signed_in.id,
            signed_in.strong,
            WorkspaceId(workspace),
        )
        .await?;
        let (user, grant) = found.unzip();
        let me = CurrentUser::accept(state, parts, session, signed_in, user).await?;
        RequestUser::note(&parts.extensions, me.user.user_id());
        let grant = grant.flatten().ok_or(AppError::NoAccess)?;
        Ok(WorkspaceAccess { me, grant })
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
        let found = access::session_bucket(
            &state.db,
            signed_in.user_id,
            signed_in.id,
            signed_in.strong,
            WorkspaceId(workspace),
            BucketId(bucket),
        )
        .await?;
        let (user, grant) = found.unzip();
        let me = CurrentUser::accept(state, parts, session, signed_in, user).await?;
        RequestUser::note(&parts.extensions, me.user.user_id());
        let grant = grant.flatten().ok_or(AppError::NoAccess)?;
        Ok(BucketAccess { me, grant })
    }
}
