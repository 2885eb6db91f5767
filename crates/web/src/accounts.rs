//! Instance admins disable, enable and delete accounts, and owners delete
//! workspaces (S16).
//!
//! A disabled account cannot sign in by any method, its sessions end at
//! once (the access check reads `disabled_at` with the role), its revocable
//! links stop and its invitations grant nothing. A deleted account loses its
//! memberships and pending invitations; audit events keep its address.
//! Nobody disables or deletes their own account, and an account that is the
//! only owner of a workspace or bucket is not deleted until someone else is.

use crate::extract::ClientInfo;
use crate::{AppState, Result};
use bucketdesk_core::members::withdraw_uncovered_invitations;
use bucketdesk_db::users::{self, User};
use bucketdesk_db::{audit, invites, members};
use bucketdesk_domain::WorkspaceId;
use serde_json::json;

fn about(target: &User) -> serde_json::Value {
    json!({ "user_id": target.id, "email": target.email })
}

/// `Err` says in plain words why the admin may not touch this account.
fn not_yourself(admin: &User, target: &User, what: &str) -> Result<(), String> {
    if admin.id == target.id {
        Err(format!(
            "You cannot {what} your own account. Ask another instance admin."
        ))
    } else {
        Ok(())
    }
}

pub async fn disable(
    state: &AppState,
    admin: &User,
    client: &ClientInfo,
    target: &User,
) -> Result<Result<(), String>> {
    if let Err(why) = not_yourself(admin, target, "disable") {
        return Ok(Err(why));
    }
    let mut tx = state.db.begin().await?;
    if users::disable(&mut *tx, target.user_id(), admin.user_id()).await? {
        let event = audit::NewEvent {
            details: about(target),
            ..client.event(admin, "account_disabled")
        };
        audit::record(&mut *tx, event).await?;
    }
    tx.commit().await?;
    Ok(Ok(()))
}

pub async fn enable(
    state: &AppState,
    admin: &User,
    client: &ClientInfo,
    target: &User,
) -> Result<()> {
    let mut tx = state.db.begin().await?;
    if users::enable(&mut *tx, target.user_id()).await? {
        let event = audit::NewEvent {
            details: about(target),
            ..client.event(admin, "account_enabled")
        };
        audit::record(&mut *tx, event).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// What keeps an account from being deleted: the workspaces and buckets it
/// is the only owner of. Empty when it may go.
pub async fn sole_ownerships(state: &AppState, target: &User) -> Result<Vec<String>> {
    let mut owned = users::workspaces_solely_owned(&state.db, target.user_id()).await?;
    owned.extend(members::buckets_solely_owned_anywhere(&state.db, target.user_id()).await?);
    Ok(owned)
}

pub async fn delete(
    state: &AppState,
    admin: &User,
    client: &ClientInfo,
    target: &User,
) -> Result<Result<(), String>> {
    if let Err(why) = not_yourself(admin, target, "delete") {
        return Ok(Err(why));
    }
    let mut tx = state.db.begin().await?;
    // the owner counts cannot change under us
    members::lock_owners_alongside(&mut tx, target.user_id()).await?;
    let mut owned = users::workspaces_solely_owned(&mut *tx, target.user_id()).await?;
    owned.extend(members::buckets_solely_owned_anywhere(&mut *tx, target.user_id()).await?);
    if !owned.is_empty() {
        return Ok(Err(format!(
            "{} is the only owner of {}. Make someone else owner there, or delete those workspaces, first.",
            target.email,
            owned.join(", ")
        )));
    }
    members::remove_everywhere(&mut tx, target.user_id()).await?;
    // with no role left, every invitation they sent is withdrawn
    let actor = bucketdesk_core::Actor {
        user: admin.clone(),
        via: bucketdesk_core::Via::Session,
    };
    withdraw_uncovered_invitations(&mut tx, None, &actor, &client.origin(), target.user_id())
        .await?;
    for invite in invites::cancel_all_for_email(&mut *tx, &target.email).await? {
        let event = audit::NewEvent {
            workspace_id: Some(WorkspaceId(invite.workspace_id)),
            details: json!({ "invite_id": invite.id, "email": invite.email, "reason": "account_deleted" }),
            ..client.event(admin, "invite_cancelled")
        };
        audit::record(&mut *tx, event).await?;
    }
    let event = audit::NewEvent {
        details: about(target),
        ..client.event(admin, "account_deleted")
    };
    audit::record(&mut *tx, event).await?;
    users::delete(&mut tx, target.user_id(), &target.email).await?;
    tx.commit().await?;
    Ok(Ok(()))
}
