//! The audit trail: who did what, when, from where (DESIGN.md flow 12).

use bucketdesk_domain::{BucketId, UserId, WorkspaceId};
use sqlx::PgExecutor;
use time::OffsetDateTime;
use uuid::Uuid;

/// One event to record. `action` is a stable snake_case name such as
/// `sign_in`; `details` holds what is specific to the action.
#[derive(Debug, Clone, Default)]
pub struct NewEvent<'a> {
    pub actor_id: Option<UserId>,
    pub actor_email: Option<&'a str>,
    pub action: &'a str,
    pub ip: Option<&'a str>,
    pub user_agent: Option<&'a str>,
    pub workspace_id: Option<WorkspaceId>,
    pub bucket_id: Option<BucketId>,
    pub details: serde_json::Value,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Event {
    pub id: i64,
    pub occurred_at: OffsetDateTime,
    pub actor_id: Option<Uuid>,
    pub actor_email: Option<String>,
    pub action: String,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub details: serde_json::Value,
}

const COLUMNS: &str = "id, occurred_at, actor_id, actor_email, action, ip, user_agent, details";

pub async fn record(db: impl PgExecutor<'_>, event: NewEvent<'_>) -> sqlx::Result<()> {
    let details = if event.details.is_null() {
        serde_json::json!({})
    } else {
        event.details
    };
    sqlx::query(
        "insert into audit_events (actor_id, actor_email, action, ip, user_agent, workspace_id, bucket_id, details)
         values ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(event.actor_id.map(|id| id.0))
    .bind(event.actor_email)
    .bind(event.action)
    .bind(event.ip)
    .bind(event.user_agent.map(|ua| truncate(ua, 512)))
    .bind(event.workspace_id.map(|id| id.0))
    .bind(event.bucket_id.map(|id| id.0))
    .bind(details)
    .execute(db)
    .await?;
    Ok(())
}

/// The newest events about one person (by account or by address), newest first.
pub async fn recent_for_person(
    db: impl PgExecutor<'_>,
    id: UserId,
    email: &str,
    limit: i64,
) -> sqlx::Result<Vec<Event>> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from audit_events
         where actor_id = $1 or actor_email = $2
         order by occurred_at desc, id desc limit $3"
    ))
    .bind(id.0)
    .bind(email)
    .bind(limit)
    .fetch_all(db)
    .await
}

/// Every event with the given action, oldest first (used by tests and tools).
pub async fn with_action(db: impl PgExecutor<'_>, action: &str) -> sqlx::Result<Vec<Event>> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from audit_events where action = $1 order by id"
    ))
    .bind(action)
    .fetch_all(db)
    .await
}

fn truncate(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}
