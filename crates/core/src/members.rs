//! Who is in a workspace, with which role on each bucket (flow 6, S7), for
//! the members page, the API and the CLI: listing, changing a role on a
//! bucket, removing someone from the workspace.
//!
//! Rules, checked again inside the transaction that makes the change: only
//! an Admin or Owner of a bucket changes roles on it; nobody grants a role
//! above their own or touches someone whose role is above theirs; the last
//! Owner of a bucket or a workspace stays. Roles are read from the database
//! on every request, so a change applies to the member's very next request.
//! Each change needs the `admin` scope and writes its audit event.

use crate::access::{Can, Owner, WorkspaceGrant};
use crate::actor::{Actor, Origin};
use crate::{CoreError, Denied};
use bucketdesk_db::buckets::{self, BucketWithRole};
use bucketdesk_db::members::{self as rows, BucketRole, FolderRole, Member};
use bucketdesk_db::users::{self, User};
use bucketdesk_db::{PgPool, Postgres, Transaction, audit, invites};
use bucketdesk_domain::grants::check_folder_role;
use bucketdesk_domain::object::check_folder_path;
use bucketdesk_domain::{BucketId, Role, Scope, UserId, WorkspaceId};
use serde_json::json;

/// The buckets of the workspace the actor manages (Admin or Owner on them),
/// with their role there. Refused unless they manage one or own the
/// workspace: only they see and change its members.
pub async fn managed_buckets(
    db: &PgPool,
    grant: &WorkspaceGrant,
    actor: &Actor,
) -> Result<Vec<BucketWithRole>, CoreError> {
    grant.may(Scope::Admin)?;
    let managed: Vec<BucketWithRole> = buckets::list_for_user(db, grant.id(), actor.user.user_id())
        .await?
        .into_iter()
        .filter(|b| b.role() >= Role::Admin)
        .collect();
    if managed.is_empty() && !grant.allows(Role::Owner) {
        return Err(CoreError::Forbidden(Denied::BucketRole {
            needed: Role::Admin,
        }));
    }
    Ok(managed)
}

/// A workspace's people and where their roles apply.
#[derive(Debug)]
pub struct Roster {
    pub members: Vec<Member>,
    /// Roles on whole buckets.
    pub buckets: Vec<BucketRole>,
    /// Roles on folders, by folder.
    pub folders: Vec<FolderRole>,
}

/// The workspace's members, and every member's roles on each bucket and
/// its folders.
pub async fn list(db: &PgPool, grant: &WorkspaceGrant, actor: &Actor) -> Result<Roster, CoreError> {
    managed_buckets(db, grant, actor).await?;
    Ok(Roster {
        members: rows::in_workspace(db, grant.id()).await?,
        buckets: rows::bucket_roles_in_workspace(db, grant.id()).await?,
        folders: rows::folder_roles_in_workspace(db, grant.id()).await?,
    })
}

/// The member `id` of the workspace, with their account.
async fn member(
    db: &PgPool,
    workspace: WorkspaceId,
    id: UserId,
) -> Result<(Member, User), CoreError> {
    let member = rows::find(db, workspace, id)
        .await?
        .ok_or(CoreError::NotFound)?;
    let user = users::find(db, id).await?.ok_or(CoreError::NotFound)?;
    Ok((member, user))
}

/// Sets (`Some`) or removes (`None`) a member's role on a bucket of the
/// workspace.
pub async fn change_role(
    db: &PgPool,
    grant: &WorkspaceGrant,
    actor: &Actor,
    origin: &Origin,
    target: UserId,
    bucket: BucketId,
    new: Option<Role>,
) -> Result<(), CoreError> {
    change_access(db, grant, actor, origin, target, bucket, None, new).await
}

/// [`change_role`] inside the caller's transaction (an invitation of a
/// member updates their roles with it), every rule re-checked there.
pub(crate) async fn change_role_in(
    tx: &mut Transaction<'static, Postgres>,
    workspace: WorkspaceId,
    actor: &Actor,
    origin: &Origin,
    target: &User,
    bucket: BucketId,
    new: Option<Role>,
) -> Result<(), CoreError> {
    let owners = rows::lock_bucket_owners(&mut **tx, bucket).await?;
    let actor_role = managing_role(tx, bucket, actor).await?;
    let current = rows::role_on_bucket(&mut **tx, bucket, target.user_id()).await?;
    if current.is_some_and(|c| c > actor_role) {
        return Err(CoreError::Forbidden(Denied::Outranked));
    }
    if new.is_some_and(|n| n > actor_role) {
        return Err(CoreError::Forbidden(Denied::AboveOwnRole {
            own: actor_role,
        }));
    }
    if current == Some(Role::Owner) && new != Some(Role::Owner) && owners <= 1 {
        return Err(CoreError::Conflict {
            code: "last_owner",
            message: format!(
                "{} is the last Owner of this bucket. Make someone else Owner first.",
                target.email
            ),
        });
    }
    if current == new {
        return Ok(());
    }
    match new {
        Some(role) => rows::set_bucket_role(&mut **tx, bucket, target.user_id(), role).await?,
        None => rows::remove_from_bucket(&mut **tx, bucket, target.user_id()).await?,
    }
    withdraw_uncovered_invitations(tx, Some(workspace), actor, origin, target.user_id()).await?;
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
        ..actor.event(origin, action, details)
    };
    audit::record(&mut **tx, event).await?;
    Ok(())
}

/// Gives (`Some`) or takes away (`None`) a member's role on one folder of
/// a bucket of the workspace. Only an Admin or Owner of the bucket does;
/// a folder is given as Viewer or Editor (see
/// [`bucketdesk_domain::grants`]); nobody touches someone whose role on the
/// bucket is above theirs. Recorded as `folder_role_changed`.
/// Runs inside the caller's transaction (an invitation of a member gives
/// folders with it), every rule checked there.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn change_folder_role_in(
    tx: &mut Transaction<'static, Postgres>,
    workspace: WorkspaceId,
    actor: &Actor,
    origin: &Origin,
    target: &User,
    bucket: BucketId,
    folder: &str,
    new: Option<Role>,
) -> Result<(), CoreError> {
    check_granted_folder(folder)?;
    if let Some(role) = new {
        check_folder_role(role).map_err(|m| CoreError::invalid("role", "not_for_folders", m))?;
    }
    let actor_role = managing_role(tx, bucket, actor).await?;
    let on_bucket = rows::role_on_bucket(&mut **tx, bucket, target.user_id()).await?;
    if on_bucket.is_some_and(|held| held > actor_role) {
        return Err(CoreError::Forbidden(Denied::Outranked));
    }
    let current = rows::role_on_folder(&mut **tx, bucket, target.user_id(), folder).await?;
    if current == new {
        return Ok(());
    }
    match new {
        Some(role) => {
            rows::set_folder_role(
                &mut **tx,
                bucket,
                target.user_id(),
                folder,
                role,
                Some(actor.user.user_id()),
            )
            .await?;
        }
        None => {
            rows::remove_from_folder(&mut **tx, bucket, target.user_id(), folder).await?;
        }
    }
    let event = audit::NewEvent {
        workspace_id: Some(workspace),
        bucket_id: Some(bucket),
        ..actor.event(
            origin,
            "folder_role_changed",
            json!({ "user_id": target.id, "email": target.email, "bucket_id": bucket.0,
                    "folder": folder, "from": current.map(Role::as_str),
                    "to": new.map(Role::as_str) }),
        )
    };
    audit::record(&mut **tx, event).await?;
    Ok(())
}

/// The actor's role on `bucket` as the transaction sees it, when it lets
/// them change who reaches the bucket (Admin or Owner).
async fn managing_role(
    tx: &mut Transaction<'static, Postgres>,
    bucket: BucketId,
    actor: &Actor,
) -> Result<Role, CoreError> {
    match rows::role_on_bucket(&mut **tx, bucket, actor.user.user_id()).await? {
        None => Err(CoreError::NoAccess),
        Some(role) if role < Role::Admin => Err(CoreError::Forbidden(Denied::BucketRole {
            needed: Role::Admin,
        })),
        Some(role) => Ok(role),
    }
}

/// Sets (`Some`) or removes (`None`) a member's role on a bucket of the
/// workspace (`folder` none) or on one of its folders, every rule checked
/// in one transaction ([`change_role_in`], [`change_folder_role_in`]).
#[allow(clippy::too_many_arguments)]
pub async fn change_access(
    db: &PgPool,
    grant: &WorkspaceGrant,
    actor: &Actor,
    origin: &Origin,
    target: UserId,
    bucket: BucketId,
    folder: Option<&str>,
    new: Option<Role>,
) -> Result<(), CoreError> {
    managed_buckets(db, grant, actor).await?;
    let (_, target) = member(db, grant.id(), target).await?;
    // the bucket is one of this workspace's, and the actor has a role on it
    buckets::find_for_user(db, grant.id(), bucket, actor.user.user_id())
        .await?
        .ok_or(CoreError::NotFound)?;
    let workspace = grant.id();
    let mut tx = db.begin().await?;
    match folder {
        None => change_role_in(&mut tx, workspace, actor, origin, &target, bucket, new).await?,
        Some(folder) => {
            change_folder_role_in(
                &mut tx, workspace, actor, origin, &target, bucket, folder, new,
            )
            .await?
        }
    }
    tx.commit().await?;
    Ok(())
}

/// A folder a grant can name: a folder path, not the top of the bucket.
pub(crate) fn check_granted_folder(folder: &str) -> Result<(), CoreError> {
    if folder.is_empty() {
        return Err(CoreError::invalid(
            "folder",
            "required",
            "Name the folder, like clients/acme/ (the whole bucket is a role on the bucket).",
        ));
    }
    check_folder_path(folder).map_err(|m| CoreError::invalid("folder", "invalid", m))
}

/// Removes a member from the workspace and all its buckets (workspace
/// Owners only). The last Owner of the workspace, or of one of its
/// buckets, stays.
pub async fn remove(
    db: &PgPool,
    can: &Can<'_, Owner, WorkspaceGrant>,
    actor: &Actor,
    origin: &Origin,
    target: UserId,
) -> Result<(), CoreError> {
    can.may(Scope::Admin)?;
    let workspace = can.id();
    let (target, _) = member(db, workspace, target).await?;
    let mut tx = db.begin().await?;
    let owners = rows::lock_workspace_owners(&mut *tx, workspace).await?;
    if target.is_owner() && owners <= 1 {
        return Err(CoreError::Conflict {
            code: "last_owner",
            message: format!(
                "{} is the last Owner of this workspace and stays.",
                target.email
            ),
        });
    }
    let target_id = UserId(target.user_id);
    let sole = rows::buckets_solely_owned_by(&mut *tx, workspace, target_id).await?;
    if !sole.is_empty() {
        return Err(CoreError::Conflict {
            code: "sole_bucket_owner",
            message: format!(
                "{} is the only Owner of {}. Make someone else Owner there first.",
                target.email,
                sole.join(", ")
            ),
        });
    }
    rows::remove_from_workspace(&mut tx, workspace, target_id).await?;
    withdraw_uncovered_invitations(&mut tx, Some(workspace), actor, origin, target_id).await?;
    let event = audit::NewEvent {
        workspace_id: Some(workspace),
        ..actor.event(
            origin,
            "member_removed",
            json!({ "user_id": target.user_id, "email": target.email, "scope": "workspace" }),
        )
    };
    audit::record(&mut *tx, event).await?;
    tx.commit().await?;
    Ok(())
}

/// Cancels the pending invitations `sender` sent that their roles, as they
/// are now in this transaction, no longer cover (S7), each with its audit
/// event: a removed or demoted Admin's invitations grant nothing afterwards.
pub async fn withdraw_uncovered_invitations(
    tx: &mut Transaction<'static, Postgres>,
    workspace: Option<WorkspaceId>,
    actor: &Actor,
    origin: &Origin,
    sender: UserId,
) -> Result<(), CoreError> {
    for invite in invites::cancel_uncovered(&mut **tx, workspace, sender).await? {
        let event = audit::NewEvent {
            workspace_id: Some(WorkspaceId(invite.workspace_id)),
            ..actor.event(
                origin,
                "invite_cancelled",
                json!({ "invite_id": invite.id, "email": invite.email,
                        "reason": "sender_lost_role", "sender_id": sender.0 }),
            )
        };
        audit::record(&mut **tx, event).await?;
    }
    Ok(())
}
