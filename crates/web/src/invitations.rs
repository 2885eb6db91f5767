//! Inviting people to a workspace by email (DESIGN.md flow 5, S14, R6).
//!
//! A token is 256 random bits, mailed once and stored only as its SHA-256.
//! Invitations of one address to one workspace are serialised, so the same
//! invitation sent many times at once is one invitation and one mail.

use crate::extract::ClientInfo;
use crate::{AppError, AppState, Result};
use bucketdesk_core::random_token::{new_token, token_hash};
use bucketdesk_db::users::{self, User};
use bucketdesk_db::{audit, invites, members};
use bucketdesk_domain::{BucketId, Email, Role, WorkspaceId};
use bucketdesk_mail::InviteMail;
use serde_json::json;
use std::time::Duration;
use uuid::Uuid;

/// How long an invitation link works (S14).
pub const LIFETIME: Duration = Duration::from_secs(7 * 24 * 60 * 60);
/// An identical invitation sent again within this time is not mailed again.
const DUPLICATE_WINDOW: time::Duration = time::Duration::minutes(1);

pub struct InviteRequest {
    pub email: Email,
    pub roles: Vec<(BucketId, Role)>,
}

#[derive(Debug, PartialEq, Eq)]
pub enum InviteOutcome {
    /// A mail with a new link went out.
    Sent,
    /// The same invitation went out moments ago; nothing was sent again.
    AlreadySent,
    /// The person is a member already: their roles were updated instead.
    MemberUpdated,
}

pub async fn invite(
    state: &AppState,
    workspace: WorkspaceId,
    workspace_name: &str,
    actor: &User,
    client: &ClientInfo,
    request: InviteRequest,
) -> Result<Result<InviteOutcome, String>> {
    let email = &request.email;
    let mut tx = state.db.begin().await?;
    invites::lock_address(&mut *tx, workspace, email).await?;

    if let Some(user) = users::find_by_email(&mut *tx, email).await?
        && members::find(&mut *tx, workspace, user.user_id())
            .await?
            .is_some()
    {
        for (bucket, role) in &request.roles {
            if let Err(problem) = crate::memberships::change_role_in(
                &mut tx,
                workspace,
                actor,
                client,
                &user,
                *bucket,
                Some(*role),
            )
            .await?
            {
                return Ok(Err(problem));
            }
        }
        tx.commit().await?;
        return Ok(Ok(InviteOutcome::MemberUpdated));
    }

    let pending = invites::pending_for(&mut *tx, workspace, email).await?;
    if let Some(pending) = &pending {
        let granted: Vec<(BucketId, Role)> = invites::buckets_of(&mut *tx, pending.id)
            .await?
            .into_iter()
            .map(|b| (BucketId(b.bucket_id), b.role()))
            .collect();
        let mut wanted = request.roles.clone();
        wanted.sort_by_key(|(b, _)| b.0);
        let mut granted = granted;
        granted.sort_by_key(|(b, _)| b.0);
        let fresh = time::OffsetDateTime::now_utc() - pending.sent_at < DUPLICATE_WINDOW;
        if granted == wanted && fresh && !pending.expired {
            return Ok(Ok(InviteOutcome::AlreadySent));
        }
    }

    // invites create the account, so the invitee can sign in by code
    users::find_or_create(&mut *tx, email).await?;
    let (token, hash) = new_token();
    let id = match &pending {
        Some(pending) => {
            invites::replace_token(&mut *tx, pending.id, &hash, LIFETIME, actor.user_id()).await?;
            pending.id
        }
        None => {
            invites::create(&mut *tx, workspace, email, &hash, actor.user_id(), LIFETIME).await?
        }
    };
    invites::set_buckets(&mut tx, id, &request.roles).await?;
    let action = if pending.is_some() {
        "invite_resent"
    } else {
        "invite_sent"
    };
    let roles: Vec<_> = request
        .roles
        .iter()
        .map(|(b, r)| json!({ "bucket_id": b.0, "role": r.as_str() }))
        .collect();
    let event = audit::NewEvent {
        workspace_id: Some(workspace),
        details: json!({ "invite_id": id, "email": email.as_str(), "roles": roles }),
        ..client.event(actor, action)
    };
    audit::record(&mut *tx, event).await?;
    tx.commit().await?;
    send_invite_mail(state, id, workspace_name, actor, email, &token).await?;
    Ok(Ok(InviteOutcome::Sent))
}

/// A new link for a pending invitation (the old one dies), mailed again.
pub async fn resend(
    state: &AppState,
    invite: &invites::Invite,
    actor: &User,
    client: &ClientInfo,
) -> Result<()> {
    let (token, hash) = new_token();
    let mut tx = state.db.begin().await?;
    invites::replace_token(&mut *tx, invite.id, &hash, LIFETIME, actor.user_id()).await?;
    let event = audit::NewEvent {
        workspace_id: Some(WorkspaceId(invite.workspace_id)),
        details: json!({ "invite_id": invite.id, "email": invite.email }),
        ..client.event(actor, "invite_resent")
    };
    audit::record(&mut *tx, event).await?;
    tx.commit().await?;
    let email = Email::parse(&invite.email).map_err(|e| AppError::Internal(e.to_string()))?;
    send_invite_mail(
        state,
        invite.id,
        &invite.workspace_name,
        actor,
        &email,
        &token,
    )
    .await
}

pub async fn cancel(
    state: &AppState,
    invite: &invites::Invite,
    actor: &User,
    client: &ClientInfo,
) -> Result<()> {
    let mut tx = state.db.begin().await?;
    invites::cancel(&mut *tx, invite.id).await?;
    let event = audit::NewEvent {
        workspace_id: Some(WorkspaceId(invite.workspace_id)),
        details: json!({ "invite_id": invite.id, "email": invite.email }),
        ..client.event(actor, "invite_cancelled")
    };
    audit::record(&mut *tx, event).await?;
    tx.commit().await?;
    Ok(())
}

async fn send_invite_mail(
    state: &AppState,
    id: Uuid,
    workspace_name: &str,
    actor: &User,
    email: &Email,
    token: &str,
) -> Result<()> {
    let buckets: Vec<(String, String)> = invites::buckets_of(&state.db, id)
        .await?
        .into_iter()
        .map(|b| (b.display_name.clone(), b.role().label().to_owned()))
        .collect();
    let expires = crate::pages::utc_minutes(time::OffsetDateTime::now_utc() + LIFETIME);
    let mail = InviteMail {
        inviter: &actor.email,
        workspace: workspace_name,
        email: email.as_str(),
        buckets: &buckets,
        link: &state.settings.link(&format!("/invites/{token}")),
        expires_at: &expires,
    }
    .render(email)?;
    let mailer = state.mailer.clone();
    tokio::spawn(async move {
        if let Err(error) = mailer.send(mail).await {
            tracing::error!(%error, "could not send an invitation mail");
        }
    });
    Ok(())
}

#[derive(Debug, PartialEq, Eq)]
pub enum AcceptOutcome {
    Accepted {
        workspace: Uuid,
    },
    NotFound,
    Expired,
    Used,
    Cancelled,
    /// Its sender may no longer grant anything it offered (removed or
    /// demoted since), so it grants nothing (S7).
    Withdrawn,
    /// Signed in with another address than the invited one.
    OtherEmail {
        invited: String,
    },
}

/// Accepts an invitation for the signed-in user: single use, only for the
/// invited address, only before it expires.
pub async fn accept(
    state: &AppState,
    token: &str,
    user: &User,
    client: &ClientInfo,
) -> Result<AcceptOutcome> {
    let mut tx = state.db.begin().await?;
    let Some(found) = invites::find_by_token_hash(&mut *tx, &token_hash(token)).await? else {
        return Ok(AcceptOutcome::NotFound);
    };
    invites::lock(&mut *tx, found.id).await?;
    let workspace = WorkspaceId(found.workspace_id);
    let Some(invite) = invites::find_in_workspace(&mut *tx, workspace, found.id).await? else {
        return Ok(AcceptOutcome::NotFound);
    };
    let outcome = match () {
        _ if invite.cancelled_at.is_some() => Some(AcceptOutcome::Cancelled),
        _ if invite.accepted_at.is_some() => Some(AcceptOutcome::Used),
        _ if invite.expired => Some(AcceptOutcome::Expired),
        _ if invite.email != user.email => Some(AcceptOutcome::OtherEmail {
            invited: invite.email.clone(),
        }),
        _ => None,
    };
    if let Some(outcome) = outcome {
        return Ok(outcome);
    }
    // S7: per bucket, at most what the sender may grant at this moment
    let granted: Vec<(BucketId, Role)> = invites::grants_with_sender_roles(&mut *tx, invite.id)
        .await?
        .iter()
        .filter_map(|g| {
            Role::granted_by_invitation(g.role(), g.sender_role())
                .map(|role| (BucketId(g.bucket_id), role))
        })
        .collect();
    if granted.is_empty() {
        invites::cancel(&mut *tx, invite.id).await?;
        let event = audit::NewEvent {
            workspace_id: Some(workspace),
            details: json!({ "invite_id": invite.id, "email": invite.email, "reason": "sender_lost_role" }),
            ..client.event(user, "invite_cancelled")
        };
        audit::record(&mut *tx, event).await?;
        tx.commit().await?;
        return Ok(AcceptOutcome::Withdrawn);
    }
    members::join_workspace(&mut *tx, workspace, user.user_id()).await?;
    for (bucket, role) in &granted {
        members::set_bucket_role(&mut *tx, *bucket, user.user_id(), *role).await?;
    }
    invites::mark_accepted(&mut *tx, invite.id, user.user_id()).await?;
    let roles: Vec<_> = granted
        .iter()
        .map(|(b, r)| json!({ "bucket_id": b.0, "role": r.as_str() }))
        .collect();
    let event = audit::NewEvent {
        workspace_id: Some(workspace),
        details: json!({ "invite_id": invite.id, "roles": roles }),
        ..client.event(user, "invite_accepted")
    };
    audit::record(&mut *tx, event).await?;
    tx.commit().await?;
    Ok(AcceptOutcome::Accepted {
        workspace: invite.workspace_id,
    })
}
