//! Downloading folders and selections as one zip (everyone with a role): a
//! folder's *Download* and menu item (`GET …/zip?path=&keys=`) and the
//! selection bar's *Download as zip* (`POST …/zip`, the selection form). The
//! zip streams as it is read; a mistake (nothing picked, more files or bytes
//! than one zip holds) goes back to the list, said beside the selection.

use super::changes::{all_of, fixable, one_of, selection_problem};
use super::delivery_response;
use crate::extract::{BucketAccess, ClientInfo};
use crate::{AppState, Result};
use axum::extract::{RawForm, RawQuery, State};
use axum::response::{IntoResponse, Response};
use bucketdesk_core::archive;

/// `GET …/zip?path=docs/&keys=docs/2026/`: a folder's link.
pub async fn zip_link(
    State(state): State<AppState>,
    access: BucketAccess,
    client: ClientInfo,
    RawQuery(query): RawQuery,
) -> Result<Response> {
    zip(
        &state,
        &access,
        &client,
        query.unwrap_or_default().as_bytes(),
    )
    .await
}

/// `POST …/zip` with the selection form's `path` and `keys`.
pub async fn zip_selection(
    State(state): State<AppState>,
    access: BucketAccess,
    client: ClientInfo,
    RawForm(body): RawForm,
) -> Result<Response> {
    zip(&state, &access, &client, &body).await
}

async fn zip(
    state: &AppState,
    access: &BucketAccess,
    client: &ClientInfo,
    fields: &[u8],
) -> Result<Response> {
    let here = one_of(fields, "path");
    let keys = all_of(fields, "keys");
    let zipped = archive::download(
        &state.s3_clients,
        &state.audit,
        &access.grant,
        &access.me.actor(),
        &client.origin(),
        &here,
        &keys,
        state.settings.zip_limits,
    )
    .await;
    match zipped {
        Ok(delivery) => Ok(delivery_response(delivery)),
        Err(error) => Ok(selection_problem(access, &here, fixable(error)?)
            .await?
            .into_response()),
    }
}
