//! Audit events that stand on their own ("share link created", "download
//! link issued"), written in batches by one task.
//!
//! A request still waits until its own event is committed, so no link is
//! handed out before it is on record. But the events of requests that arrive
//! together share one INSERT and one commit (one WAL flush), which was most
//! of what a share link cost (P2): under load, batches grow by themselves
//! while the previous one is being written.
//!
//! An event that belongs to a change made in a transaction is written in that
//! transaction instead, with `audit::record`, so the two commit together.
//!
//! Reading a workspace's log ([`visible_buckets`], [`read`]): its Owners see
//! everything; a bucket Admin sees the events of their buckets and of the
//! workspace itself; nobody else sees it. Needs the `admin` scope.

use crate::access::WorkspaceGrant;
use crate::actor::Actor;
use crate::{CoreError, Denied};
use bucketdesk_db::{PgPool, audit, buckets};
use bucketdesk_domain::{BucketId, Role, Scope, UserId, WorkspaceId};
use time::OffsetDateTime;
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

/// The most events one INSERT writes.
const MOST_PER_BATCH: usize = 256;
/// Events waiting to be written; a request waits for room beyond this.
const QUEUE: usize = 4096;

/// The sending side; the writing task lives as long as one of these does.
pub struct AuditLog {
    queue: mpsc::Sender<Queued>,
}

/// An event waiting to be written, and who waits for it.
struct Queued {
    actor_id: Option<UserId>,
    actor_email: Option<String>,
    action: String,
    ip: Option<String>,
    user_agent: Option<String>,
    workspace_id: Option<WorkspaceId>,
    bucket_id: Option<BucketId>,
    details: serde_json::Value,
    /// When the request queued it: the time of the action, not of the batch.
    occurred_at: OffsetDateTime,
    written: oneshot::Sender<Result<(), CoreError>>,
}

impl Queued {
    fn event(&self) -> audit::NewEvent<'_> {
        audit::NewEvent {
            actor_id: self.actor_id,
            actor_email: self.actor_email.as_deref(),
            action: &self.action,
            ip: self.ip.as_deref(),
            user_agent: self.user_agent.as_deref(),
            workspace_id: self.workspace_id,
            bucket_id: self.bucket_id,
            details: self.details.clone(),
            occurred_at: Some(self.occurred_at),
        }
    }
}

impl AuditLog {
    /// Starts the writing task. Must be called within a Tokio runtime.
    pub fn start(db: PgPool) -> AuditLog {
        let (queue, waiting) = mpsc::channel(QUEUE);
        tokio::spawn(write_batches(db, waiting));
        AuditLog { queue }
    }

    /// Events queued and not yet taken into a batch.
    pub fn waiting(&self) -> usize {
        self.queue.max_capacity() - self.queue.capacity()
    }

    /// Records the event; returns once it is committed.
    pub async fn record(&self, event: audit::NewEvent<'_>) -> Result<(), CoreError> {
        let (written, done) = oneshot::channel();
        let queued = Queued {
            actor_id: event.actor_id,
            actor_email: event.actor_email.map(str::to_owned),
            action: event.action.to_owned(),
            ip: event.ip.map(str::to_owned),
            user_agent: event.user_agent.map(str::to_owned),
            workspace_id: event.workspace_id,
            bucket_id: event.bucket_id,
            details: event.details,
            occurred_at: event.occurred_at.unwrap_or_else(OffsetDateTime::now_utc),
            written,
        };
        let stopped = || CoreError::Internal("the audit writer has stopped".into());
        self.queue.send(queued).await.map_err(|_| stopped())?;
        done.await.map_err(|_| stopped())?
    }
}

/// Writes what is queued, up to [`MOST_PER_BATCH`] events at a time, and
/// tells each waiting request how it went. Ends when every sender is gone.
async fn write_batches(db: PgPool, mut waiting: mpsc::Receiver<Queued>) {
    let mut batch = Vec::with_capacity(MOST_PER_BATCH);
    while waiting.recv_many(&mut batch, MOST_PER_BATCH).await > 0 {
        let events: Vec<_> = batch.iter().map(Queued::event).collect();
        let written = audit::record_many(&db, &events).await;
        drop(events);
        if written.is_ok() || batch.len() == 1 {
            let result = written.map_err(CoreError::from);
            if let Err(error) = &result {
                tracing::warn!(%error, "could not write an audit event");
            }
            for queued in batch.drain(..) {
                // the request may have gone away; its event is written all the same
                let _ = queued.written.send(result.clone());
            }
            continue;
        }
        // One bad event (say, of a bucket disconnected a moment ago) must not
        // fail the others: each is tried on its own and gets its own answer.
        for queued in batch.drain(..) {
            let result = audit::record(&db, queued.event())
                .await
                .map_err(CoreError::from);
            if let Err(error) = &result {
                tracing::warn!(%error, action = %queued.action, "could not write an audit event");
            }
            let _ = queued.written.send(result);
        }
    }
}

/// Whose events of a workspace the actor sees.
pub struct Visible {
    /// `Some`: only these buckets' events and the workspace's own (a bucket
    /// Admin); `None`: everything (an Owner).
    pub only_buckets: Option<Vec<Uuid>>,
    /// The buckets they may filter by, (id, name).
    pub buckets: Vec<(Uuid, String)>,
}

/// What of the workspace's log the actor sees; refused to anyone who is
/// neither its Owner nor an Admin of one of its buckets.
pub async fn visible_buckets(
    db: &PgPool,
    grant: &WorkspaceGrant,
    actor: &Actor,
) -> Result<Visible, CoreError> {
    grant.may(Scope::Admin)?;
    let mine = buckets::list_for_user(db, grant.id(), actor.user.user_id()).await?;
    let restricted = !grant.allows(Role::Owner);
    let buckets: Vec<(Uuid, String)> = mine
        .iter()
        .filter(|b| !restricted || b.role() >= Role::Admin)
        .map(|b| (b.bucket.id, b.bucket.display_name.clone()))
        .collect();
    if restricted && buckets.is_empty() {
        return Err(CoreError::Forbidden(Denied::BucketRole {
            needed: Role::Admin,
        }));
    }
    Ok(Visible {
        only_buckets: restricted.then(|| buckets.iter().map(|(id, _)| *id).collect()),
        buckets,
    })
}

/// The workspace's events matching `filter` that the actor sees, newest
/// first, at most `limit` (the filter's workspace and visibility are set
/// here, whatever the caller put in them).
pub async fn read(
    db: &PgPool,
    grant: &WorkspaceGrant,
    actor: &Actor,
    mut filter: audit::Filter,
    limit: i64,
) -> Result<Vec<audit::Listed>, CoreError> {
    let visible = visible_buckets(db, grant, actor).await?;
    filter.workspace = Some(grant.id().0);
    filter.only_buckets = visible.only_buckets;
    Ok(audit::list(db, &filter, limit).await?)
}
