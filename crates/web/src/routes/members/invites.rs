//! Inviting people, and resending or cancelling pending invitations.

use super::{back, managed_buckets, member_problem, members_page};
use crate::extract::{ClientInfo, CsrfToken, Form, WorkspaceAccess};
use crate::{AppError, AppState, Result, invite_mail};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use bucketdesk_core::invitations::{self, Invited, Offer};
use bucketdesk_core::{CoreError, Denied};
use bucketdesk_domain::grants::granted_folder;
use bucketdesk_domain::{BucketId, Email, Role};
use std::collections::HashMap;
use uuid::Uuid;

pub(super) async fn send_invite(
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

/// The address and the roles (`role_{bucket}` fields, each limited to a
/// folder by its `folder_{bucket}` when one is typed) an invitation form
/// asks for, or what is wrong with them as typed.
fn invitation_of(
    form: &HashMap<String, String>,
    typed: &str,
) -> std::result::Result<(Email, Vec<Offer>), String> {
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
        let typed_folder = form
            .get(&format!("folder_{bucket}"))
            .map_or("", String::as_str);
        roles.push(Offer {
            bucket: BucketId(bucket),
            folder: granted_folder(typed_folder)?.unwrap_or_default(),
            role,
        });
    }
    Ok((email, roles))
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

pub(super) async fn resend_invite(
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

pub(super) async fn cancel_invite(
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
