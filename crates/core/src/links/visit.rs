//! Links as their visitors use them, without an account: opening a link
//! from the token in its address (unknown and malformed tokens are the same
//! "not found"), the password with its limits, and counting a download.
//! Whether a visitor has given the password is the face's to remember (the
//! pages keep it in the visitor's session).

use crate::access::LinkGrant;
use crate::actor::Origin;
use crate::audit_log::AuditLog;
use crate::random_token::{looks_like_token, token_hash};
use crate::{CoreError, links};
use bucketdesk_db::links::{self as rows, Link, LinkKind};
use bucketdesk_db::{PgPool, audit};
use bucketdesk_domain::link::LinkState;
use bucketdesk_domain::{BucketId, WorkspaceId};
use serde_json::json;
use std::time::Duration;

/// Wrong passwords one client may type for one link in 15 minutes.
pub const PASSWORD_TRIES_PER_CLIENT: i64 = 10;
/// Wrong passwords a link accepts from everyone together in an hour.
pub const PASSWORD_TRIES_PER_LINK: i64 = 100;
/// How long a visitor who typed too many wrong passwords waits.
const PASSWORD_WAIT: Duration = Duration::from_secs(15 * 60);

/// Password checks that may run at once: each takes about 19 MiB and a
/// core's worth of work, so a flood of guesses cannot exhaust the server.
static PASSWORD_CHECKS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(4);

/// The link a visitor's token names, whatever its state;
/// [`CoreError::NotFound`] for an unknown or malformed token.
pub async fn find(db: &PgPool, token: &str, kind: LinkKind) -> Result<Link, CoreError> {
    if !looks_like_token(token) {
        return Err(CoreError::NotFound);
    }
    rows::find_by_token_hash(db, &token_hash(token), kind)
        .await?
        .ok_or(CoreError::NotFound)
}

/// The link, if it still works; [`CoreError::Gone`] with why not.
pub fn require_active(link: &Link) -> Result<(), CoreError> {
    match link.state() {
        LinkState::Active => Ok(()),
        other => Err(CoreError::Gone(other)),
    }
}

/// The link a visitor's token names, when it works.
pub async fn open(db: &PgPool, token: &str, kind: LinkKind) -> Result<Link, CoreError> {
    let link = find(db, token, kind).await?;
    require_active(&link)?;
    Ok(link)
}

/// Checks a password typed for a link (`true`: right, or the link has
/// none). Each attempt counts as wrong from before it is checked, so
/// guesses sent in parallel cannot all slip under the limits; after too
/// many, [`CoreError::TooMany`] without checking, recorded once per visitor
/// and window however long they insist.
pub async fn try_password(
    db: &PgPool,
    audit_log: &AuditLog,
    link: &Link,
    origin: &Origin,
    password: &str,
) -> Result<bool, CoreError> {
    let Some(hash) = link.password_hash.clone() else {
        return Ok(true);
    };
    let ip = origin.ip_str();
    let attempt = rows::record_password_attempt(db, link.id, ip).await?;
    let (mine, everyone) = rows::recent_password_failures(db, link.id, ip, attempt).await?;
    if mine > PASSWORD_TRIES_PER_CLIENT || everyone > PASSWORD_TRIES_PER_LINK {
        // not checked, so not counted: waiting is what ends the limit
        rows::forget_password_attempt(db, attempt).await?;
        let link_id = link.id.to_string();
        let about = Some(("link", link_id.as_str()));
        if !audit::recorded_since(db, "link_password_limited", ip, about, PASSWORD_WAIT).await? {
            let whose = if mine > PASSWORD_TRIES_PER_CLIENT {
                "visitor"
            } else {
                "link"
            };
            let event = audit::NewEvent {
                workspace_id: Some(WorkspaceId(link.workspace_id)),
                bucket_id: link.bucket(),
                ..origin.visitor_event(
                    "link_password_limited",
                    json!({ "link": link.id, "whose": whose }),
                )
            };
            audit_log.record(event).await?;
        }
        return Err(CoreError::TooMany {
            retry_after: PASSWORD_WAIT,
        });
    }
    let matches = {
        let _slot = PASSWORD_CHECKS
            .acquire()
            .await
            .map_err(|e| CoreError::Internal(e.to_string()))?;
        links::password_matches(hash, password.to_owned()).await?
    };
    if matches {
        rows::forget_password_attempt(db, attempt).await?;
    }
    Ok(matches)
}

/// Counts one download of `key` through the link and records it, in one
/// transaction: refused ([`CoreError::Gone`] with why, as of now) when the
/// link stopped working meanwhile or its limit was reached by others.
/// Returns the link's download count with this one.
pub async fn count_download(
    db: &PgPool,
    link: &Link,
    grant: &LinkGrant,
    origin: &Origin,
    key: &str,
) -> Result<i32, CoreError> {
    let mut tx = db.begin().await?;
    let Some(count) = rows::count_download(&mut *tx, link.id).await? else {
        tx.rollback().await?;
        // refused in the meantime: say why, as of now
        let state = match rows::find_by_id(db, link.id).await? {
            Some(now) if now.state() != LinkState::Active => now.state(),
            _ => LinkState::UsedUp,
        };
        return Err(CoreError::Gone(state));
    };
    let event = audit::NewEvent {
        workspace_id: Some(WorkspaceId(link.workspace_id)),
        bucket_id: Some(BucketId(grant.bucket().id)),
        ..origin.visitor_event(
            "link_downloaded",
            json!({ "link": link.id, "key": key, "download": count }),
        )
    };
    audit::record(&mut *tx, event).await?;
    tx.commit().await?;
    Ok(count)
}
