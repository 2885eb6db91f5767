//! Workspaces, for the pages, the API, the CLI and the demo setup: create
//! (as the instance allows), rename and delete (Owners). Each writes its
//! audit event in the transaction that makes the change.

use crate::access::{Can, Owner, WorkspaceGrant};
use crate::actor::{Actor, Origin};
use crate::s3_clients::S3Clients;
use crate::{CoreError, Denied};
use bucketdesk_db::workspaces::{self as rows, Workspace};
use bucketdesk_db::{PgPool, audit};
use bucketdesk_domain::bucket::check_display_name;
use bucketdesk_domain::{Scope, WorkspaceCreators};
use serde_json::json;

fn check_name(name: &str) -> Result<&str, CoreError> {
    check_display_name(name, "workspace").map_err(|m| CoreError::invalid("name", "invalid", m))?;
    Ok(name.trim())
}

/// Whether the actor may create workspaces here (everyone, or only the
/// instance's admins, as `creators` says); for the form and [`create`].
pub fn may_create(actor: &Actor, creators: WorkspaceCreators) -> Result<(), CoreError> {
    actor.may(Scope::Admin)?;
    if creators.allow(actor.user.is_admin) {
        Ok(())
    } else {
        Err(CoreError::Forbidden(Denied::InstanceAdmin))
    }
}

/// Creates a workspace owned by the actor, when `creators` lets them.
pub async fn create(
    db: &PgPool,
    actor: &Actor,
    origin: &Origin,
    creators: WorkspaceCreators,
    name: &str,
) -> Result<Workspace, CoreError> {
    may_create(actor, creators)?;
    let name = check_name(name)?;
    let mut tx = db.begin().await?;
    let workspace = rows::create(&mut tx, name, actor.user.user_id()).await?;
    let event = audit::NewEvent {
        workspace_id: Some(workspace.workspace_id()),
        ..actor.event(
            origin,
            "workspace_created",
            json!({ "name": workspace.name }),
        )
    };
    audit::record(&mut *tx, event).await?;
    tx.commit().await?;
    Ok(workspace)
}

/// Gives the workspace a new name (Owners).
pub async fn rename(
    db: &PgPool,
    can: &Can<'_, Owner, WorkspaceGrant>,
    actor: &Actor,
    origin: &Origin,
    name: &str,
) -> Result<(), CoreError> {
    can.may(Scope::Admin)?;
    let name = check_name(name)?;
    let mut tx = db.begin().await?;
    rows::rename(&mut *tx, can.id(), name).await?;
    let event = audit::NewEvent {
        workspace_id: Some(can.id()),
        ..actor.event(
            origin,
            "workspace_renamed",
            json!({ "from": can.workspace().name, "to": name }),
        )
    };
    audit::record(&mut *tx, event).await?;
    tx.commit().await?;
    Ok(())
}

/// Deletes the workspace (Owners, who type its name to confirm): its
/// buckets are disconnected and their stored secrets erased in the same
/// transaction.
pub async fn delete(
    db: &PgPool,
    s3: &S3Clients,
    can: &Can<'_, Owner, WorkspaceGrant>,
    actor: &Actor,
    origin: &Origin,
    confirm: &str,
) -> Result<(), CoreError> {
    can.may(Scope::Admin)?;
    let name = &can.workspace().name;
    if confirm.trim() != name {
        return Err(CoreError::invalid(
            "name",
            "not_confirmed",
            format!("Type the workspace's name, {name}, exactly to confirm."),
        ));
    }
    let mut tx = db.begin().await?;
    let event = audit::NewEvent {
        // the workspace goes: the event stays at the instance level
        ..actor.event(
            origin,
            "workspace_deleted",
            json!({ "workspace_id": can.id().0, "name": name }),
        )
    };
    audit::record(&mut *tx, event).await?;
    let buckets = rows::delete(&mut tx, can.id()).await?;
    tx.commit().await?;
    for bucket in buckets {
        s3.forget(bucket);
    }
    Ok(())
}
