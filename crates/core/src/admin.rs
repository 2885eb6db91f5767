//! Instance administration (S16): an instance admin ends an account's
//! sessions, disables, enables and deletes accounts. Only with the
//! [`InstanceAdmin`] capability, which comes from [`instance_admin`].
//!
//! A disabled account cannot sign in by any method, its sessions end at
//! once (the access check reads `disabled_at` with the role), its tokens and
//! revocable links stop and its invitations grant nothing. A deleted
//! account loses its memberships and pending invitations; audit events keep
//! its address. Nobody disables or deletes their own account, and an
//! account that is the only owner of a workspace or bucket is not deleted
//! until someone else is.

use crate::actor::{Actor, Origin};
use crate::members::withdraw_uncovered_invitations;
use crate::{CoreError, Denied};
use bucketdesk_db::users::{self, User};
use bucketdesk_db::{PgPool, audit, invites, members};
use bucketdesk_domain::{Scope, UserId, WorkspaceId};
use serde_json::json;

/// Proof that the actor is an instance admin.
pub struct InstanceAdmin<'a> {
    actor: &'a Actor,
}

/// The instance-admin capability of `actor`, or
/// [`Denied::InstanceAdmin`].
pub fn instance_admin(actor: &Actor) -> Result<InstanceAdmin<'_>, CoreError> {
    actor.may(Scope::Admin)?;
    if !actor.user.is_admin {
        return Err(CoreError::Forbidden(Denied::InstanceAdmin));
    }
    Ok(InstanceAdmin { actor })
}

impl InstanceAdmin<'_> {
    /// An account of the instance; [`CoreError::NotFound`] when there is none.
    pub async fn account(&self, db: &PgPool, id: UserId) -> Result<User, CoreError> {
        users::find(db, id).await?.ok_or(CoreError::NotFound)
    }

    fn not_yourself(&self, target: &User, what: &str) -> Result<(), CoreError> {
        if self.actor.user.id == target.id {
            return Err(CoreError::Conflict {
                code: "yourself",
                message: format!("You cannot {what} your own account. Ask another instance admin."),
            });
        }
        Ok(())
    }
}

/// Every account of the instance, by address.
pub async fn accounts(db: &PgPool, _admin: &InstanceAdmin<'_>) -> Result<Vec<User>, CoreError> {
    Ok(users::list(db).await?)
}

fn about(target: &User) -> serde_json::Value {
    json!({ "user_id": target.id, "email": target.email })
}

/// Ends every session of the account at once (its tokens stay).
pub async fn sign_out_everywhere(
    db: &PgPool,
    admin: &InstanceAdmin<'_>,
    origin: &Origin,
    target: &User,
) -> Result<(), CoreError> {
    let mut tx = db.begin().await?;
    users::end_all_sessions(&mut *tx, target.user_id()).await?;
    let event = admin
        .actor
        .event(origin, "sign_out_everywhere", about(target));
    audit::record(&mut *tx, event).await?;
    tx.commit().await?;
    Ok(())
}

/// Disables an account (not one's own). Disabling a disabled account
/// changes nothing and records nothing.
pub async fn disable(
    db: &PgPool,
    admin: &InstanceAdmin<'_>,
    origin: &Origin,
    target: &User,
) -> Result<(), CoreError> {
    admin.not_yourself(target, "disable")?;
    let mut tx = db.begin().await?;
    if users::disable(&mut *tx, target.user_id(), admin.actor.user.user_id()).await? {
        let event = admin.actor.event(origin, "account_disabled", about(target));
        audit::record(&mut *tx, event).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Enables a disabled account again.
pub async fn enable(
    db: &PgPool,
    admin: &InstanceAdmin<'_>,
    origin: &Origin,
    target: &User,
) -> Result<(), CoreError> {
    let mut tx = db.begin().await?;
    if users::enable(&mut *tx, target.user_id()).await? {
        let event = admin.actor.event(origin, "account_enabled", about(target));
        audit::record(&mut *tx, event).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// What keeps an account from being deleted: the workspaces and buckets it
/// is the only owner of. Empty when it may go.
pub async fn sole_ownerships(
    db: &PgPool,
    _admin: &InstanceAdmin<'_>,
    target: &User,
) -> Result<Vec<String>, CoreError> {
    let mut owned = users::workspaces_solely_owned(db, target.user_id()).await?;
    owned.extend(members::buckets_solely_owned_anywhere(db, target.user_id()).await?);
    Ok(owned)
}

/// Deletes an account (not one's own, nor the only owner of anything).
pub async fn delete(
    db: &PgPool,
    admin: &InstanceAdmin<'_>,
    origin: &Origin,
    target: &User,
) -> Result<(), CoreError> {
    admin.not_yourself(target, "delete")?;
    let mut tx = db.begin().await?;
    // the owner counts cannot change under us
    members::lock_owners_alongside(&mut tx, target.user_id()).await?;
    let mut owned = users::workspaces_solely_owned(&mut *tx, target.user_id()).await?;
    owned.extend(members::buckets_solely_owned_anywhere(&mut *tx, target.user_id()).await?);
    if !owned.is_empty() {
        return Err(CoreError::Conflict {
            code: "sole_owner",
            message: format!(
                "{} is the only owner of {}. Make someone else owner there, or delete those workspaces, first.",
                target.email,
                owned.join(", ")
            ),
        });
    }
    members::remove_everywhere(&mut tx, target.user_id()).await?;
    // with no role left, every invitation they sent is withdrawn
    withdraw_uncovered_invitations(&mut tx, None, admin.actor, origin, target.user_id()).await?;
    for invite in invites::cancel_all_for_email(&mut *tx, &target.email).await? {
        let event = audit::NewEvent {
            workspace_id: Some(WorkspaceId(invite.workspace_id)),
            ..admin.actor.event(
                origin,
                "invite_cancelled",
                json!({ "invite_id": invite.id, "email": invite.email, "reason": "account_deleted" }),
            )
        };
        audit::record(&mut *tx, event).await?;
    }
    let event = admin.actor.event(origin, "account_deleted", about(target));
    audit::record(&mut *tx, event).await?;
    users::delete(&mut tx, target.user_id(), &target.email).await?;
    tx.commit().await?;
    Ok(())
}
