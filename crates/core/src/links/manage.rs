//! Managing links: the ones a person may see (their own, and every link on
//! a bucket they administer), revoking, extending, and what happened to them.

use super::create::check_options;
use super::{LinkLimits, LinkOptions, describe};
use crate::CoreError;
use crate::access::{BucketGrant, WorkspaceGrant};
use crate::actor::{Actor, Origin};
use bucketdesk_db::links::{self as rows, Link, LinkKind};
use bucketdesk_db::{PgPool, audit};
use bucketdesk_domain::link::LinkState;
use bucketdesk_domain::{BucketId, Scope, WorkspaceId};
use serde_json::json;
use std::time::Duration;
use time::OffsetDateTime;
use uuid::Uuid;

/// The links of the workspace the actor may manage, newest first: their
/// own, and every link on the buckets they administer.
pub async fn list(
    db: &PgPool,
    grant: &WorkspaceGrant,
    actor: &Actor,
    limit: i64,
) -> Result<Vec<Link>, CoreError> {
    grant.may(Scope::Share)?;
    Ok(rows::visible_to(db, grant.id(), actor.user.user_id(), limit).await?)
}

/// The download links the actor may manage (as [`list`]) that share `key`
/// of the grant's bucket: by the key itself, or by a folder it is in;
/// newest first.
pub async fn sharing(
    db: &PgPool,
    grant: &BucketGrant,
    actor: &Actor,
    key: &str,
    limit: i64,
) -> Result<Vec<Link>, CoreError> {
    grant.may(Scope::Share)?;
    let bucket = grant.bucket();
    Ok(rows::sharing_key(
        db,
        WorkspaceId(bucket.workspace_id),
        actor.user.user_id(),
        BucketId(bucket.id),
        key,
        limit,
    )
    .await?)
}

/// One link the actor may manage; [`CoreError::NotFound`] for any other
/// (another person's link looks like one that does not exist).
pub async fn find(
    db: &PgPool,
    grant: &WorkspaceGrant,
    actor: &Actor,
    id: Uuid,
) -> Result<Link, CoreError> {
    grant.may(Scope::Share)?;
    rows::find_visible(db, grant.id(), actor.user.user_id(), id)
        .await?
        .ok_or(CoreError::NotFound)
}

/// Revokes a link for good: it stops working at once. Revoking a revoked
/// link changes nothing (and records nothing).
pub async fn revoke(
    db: &PgPool,
    grant: &WorkspaceGrant,
    actor: &Actor,
    origin: &Origin,
    id: Uuid,
) -> Result<Link, CoreError> {
    let link = find(db, grant, actor, id).await?;
    let mut tx = db.begin().await?;
    if rows::revoke(&mut *tx, link.id, actor.user.user_id()).await? {
        let event = audit::NewEvent {
            workspace_id: Some(WorkspaceId(link.workspace_id)),
            bucket_id: link.bucket_id.map(BucketId),
            ..actor.event(
                origin,
                "link_revoked",
                json!({ "link": link.id, "key": describe(&link) }),
            )
        };
        audit::record(&mut *tx, event).await?;
    }
    tx.commit().await?;
    find(db, grant, actor, id).await
}

/// Gives a link a new expiry, `lifetime` from now. A revoked link stays
/// revoked ([`CoreError::Conflict`] `revoked`).
pub async fn extend(
    db: &PgPool,
    grant: &WorkspaceGrant,
    actor: &Actor,
    origin: &Origin,
    limits: &LinkLimits,
    id: Uuid,
    lifetime: Duration,
) -> Result<Link, CoreError> {
    let link = find(db, grant, actor, id).await?;
    let revoked = || CoreError::Conflict {
        code: "revoked",
        message: "A revoked link stays revoked. Make a new link instead.".into(),
    };
    if link.state() == LinkState::Revoked {
        return Err(revoked());
    }
    let checked = check_options(
        &LinkOptions {
            lifetime: Some(lifetime),
            ..LinkOptions::default()
        },
        limits,
        Vec::new(),
    )?;
    let mut tx = db.begin().await?;
    let expires_at = OffsetDateTime::now_utc() + checked.lifetime;
    if !rows::set_expiry(&mut *tx, link.id, expires_at).await? {
        return Err(revoked());
    }
    let event = audit::NewEvent {
        workspace_id: Some(WorkspaceId(link.workspace_id)),
        bucket_id: link.bucket_id.map(BucketId),
        ..actor.event(
            origin,
            "link_extended",
            json!({ "link": link.id, "key": describe(&link), "expires_in": checked.lifetime.as_secs() }),
        )
    };
    audit::record(&mut *tx, event).await?;
    tx.commit().await?;
    find(db, grant, actor, id).await
}

/// What happened to a link (visits, downloads, refusals), newest first.
/// `link` comes from [`find`], so the actor may see it.
pub async fn visits(
    db: &PgPool,
    grant: &WorkspaceGrant,
    link: &Link,
    limit: i64,
) -> Result<Vec<audit::Event>, CoreError> {
    Ok(audit::for_link(db, grant.id(), link.id, limit).await?)
}

/// The files that arrived through an upload link (none for a download link).
pub async fn arrivals(db: &PgPool, link: &Link) -> Result<Vec<rows::Arrival>, CoreError> {
    match link.kind() {
        LinkKind::Upload => Ok(rows::arrivals(db, link.id).await?),
        LinkKind::Download => Ok(Vec::new()),
    }
}

/// Upload links may mail their creator at most this often.
pub const ARRIVAL_MAIL_EVERY: Duration = Duration::from_secs(10 * 60);

/// The upload links whose new arrivals are due to be mailed to their
/// creators, claimed (no other process mails them too), each with its link
/// and the files that arrived since its last mail.
pub async fn claim_arrival_mails(
    db: &PgPool,
) -> Result<Vec<(Link, Vec<rows::Arrival>)>, CoreError> {
    let mut tx = db.begin().await?;
    let due = rows::claim_due_arrivals(&mut tx, ARRIVAL_MAIL_EVERY).await?;
    tx.commit().await?;
    let mut mails = Vec::with_capacity(due.len());
    for due in due {
        if let Some(link) = rows::find_by_id(db, due.link).await? {
            mails.push((link, due.arrived));
        }
    }
    Ok(mails)
}
