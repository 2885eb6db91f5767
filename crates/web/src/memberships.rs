//! Changing a member's role on a bucket and removing members (flow 6, S7).
//!
//! Rules: only an Admin or Owner of a bucket changes roles on it; nobody
//! grants a role above their own or touches someone whose role is above
//! theirs; the last Owner of a bucket or a workspace stays. Roles are read
//! from the database on every request, so a change applies to the member's
//! very next request.

use crate::Result;
use crate::extract::ClientInfo;
use bucketdesk_db::users::User;
use bucketdesk_db::{Postgres, Transaction, audit, invites, members};
use bucketdesk_domain::{BucketId, Role, WorkspaceId};
use serde_json::json;

/// Sets (`Some`) or removes (`None`) `target`'s role on `bucket`, inside the
/// caller's transaction. `Err` says in plain words why it is refused.
pub async fn change_role_in(
    tx: &mut Transaction<'static, Postgres>,
    workspace: WorkspaceId,
    actor: &User,
    client: &ClientInfo,
    target: &User,
    bucket: BucketId,
    new: Option<Role>,
) -> Result<Result<(), String>> {
    let owners = members::lock_bucket_owners(&mut **tx, bucket).await?;
    let Some(actor_role) = members::role_on_bucket(&mut **tx, bucket, actor.user_id()).await?
    else {
        return Ok(Err("You have no role on that bucket.".into()));
    };
    if actor_role < Role::Admin {
        return Ok(Err(
            "Only an Admin or Owner of a bucket can change who has access to it.".into(),
        ));
    }
    let current = members::role_on_bucket(&mut **tx, bucket, target.user_id()).await?;
    if current.is_some_and(|c| c > actor_role) {
        return Ok(Err(format!(
            "{} has a higher role on this bucket than you.",
            target.email
        )));
    }
    if new.is_some_and(|n| n > actor_role) {
        return Ok(Err(format!(
            "You can give at most your own role on this bucket, {actor_role}."
        )));
    }
    if current == Some(Role::Owner) && new != Some(Role::Owner) && owners <= 1 {
        return Ok(Err(format!(
            "{} is the last Owner of this bucket. Make someone else Owner first.",
            target.email
        )));
    }
    if current == new {
        return Ok(Ok(()));
    }
    match new {
        Some(role) => members::set_bucket_role(&mut **tx, bucket, target.user_id(), role).await?,
        None => members::remove_from_bucket(&mut **tx, bucket, target.user_id()).await?,
    }
    withdraw_uncovered_invitations(tx, Some(workspace), actor, client, target.user_id()).await?;
    let (action, details) = match new {
        Some(role) => (
            "role_changed",
            json!({ "user_id": target.id, "email": target.email, "bucket_id": bucket.0,
                    "from": current.map(Role::as_str), "to": role.as_str() }),
        ),
        None => (
            "member_removed",
            json!({ "user_id": target.id, "email": target.email, "bucket_id": bucket.0,
                    "from": current.map(Role::as_str) }),
        ),
    };
    let event = audit::NewEvent {
        workspace_id: Some(workspace),
        bucket_id: Some(bucket),
        details,
        ..client.event(actor, action)
    };
    audit::record(&mut **tx, event).await?;
    Ok(Ok(()))
}

/// Removes `target` from the workspace and all its buckets.
pub async fn remove_from_workspace(
    tx: &mut Transaction<'static, Postgres>,
    workspace: WorkspaceId,
    actor: &User,
    client: &ClientInfo,
    target: &members::Member,
) -> Result<Result<(), String>> {
    let owners = members::lock_workspace_owners(&mut **tx, workspace).await?;
    if target.is_owner() && owners <= 1 {
        return Ok(Err(format!(
            "{} is the last Owner of this workspace and stays.",
            target.email
        )));
    }
    let target_id = bucketdesk_domain::UserId(target.user_id);
    let sole = members::buckets_solely_owned_by(&mut **tx, workspace, target_id).await?;
    if !sole.is_empty() {
        return Ok(Err(format!(
            "{} is the only Owner of {}. Make someone else Owner there first.",
            target.email,
            sole.join(", ")
        )));
    }
    members::remove_from_workspace(tx, workspace, target_id).await?;
    withdraw_uncovered_invitations(tx, Some(workspace), actor, client, target_id).await?;
    let event = audit::NewEvent {
        workspace_id: Some(workspace),
        details: json!({ "user_id": target.user_id, "email": target.email, "scope": "workspace" }),
        ..client.event(actor, "member_removed")
    };
    audit::record(&mut **tx, event).await?;
    Ok(Ok(()))
}

/// Cancels the pending invitations `sender` sent that their roles, as they
/// are now in this transaction, no longer cover (S7), each with its audit
/// event: a removed or demoted Admin's invitations grant nothing afterwards.
pub async fn withdraw_uncovered_invitations(
    tx: &mut Transaction<'static, Postgres>,
    workspace: Option<WorkspaceId>,
    actor: &User,
    client: &ClientInfo,
    sender: bucketdesk_domain::UserId,
) -> Result<()> {
    for invite in invites::cancel_uncovered(&mut **tx, workspace, sender).await? {
        let event = audit::NewEvent {
            workspace_id: Some(WorkspaceId(invite.workspace_id)),
            details: json!({ "invite_id": invite.id, "email": invite.email,
                             "reason": "sender_lost_role", "sender_id": sender.0 }),
            ..client.event(actor, "invite_cancelled")
        };
        audit::record(&mut **tx, event).await?;
    }
    Ok(())
}
