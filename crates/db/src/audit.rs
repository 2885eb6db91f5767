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
    /// When it happened; none means the moment it is written.
    pub occurred_at: Option<OffsetDateTime>,
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
    record_many(db, &[event]).await
}

/// Records several events with one statement, numbered in their order, as
/// one commit when `db` is the pool.
pub async fn record_many(db: impl PgExecutor<'_>, events: &[NewEvent<'_>]) -> sqlx::Result<()> {
    let column = |pick: fn(&NewEvent<'_>) -> Option<String>| -> Vec<Option<String>> {
        events.iter().map(pick).collect()
    };
    sqlx::query(
        "insert into audit_events
           (occurred_at, actor_id, actor_email, action, ip, user_agent, workspace_id, bucket_id, details)
         select coalesce(e.occurred_at, now()), e.actor_id, e.actor_email, e.action, e.ip, e.user_agent,
                e.workspace_id, e.bucket_id, e.details
         from unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::uuid[], $7::uuid[],
                     $8::jsonb[], $9::timestamptz[])
              with ordinality as e(actor_id, actor_email, action, ip, user_agent, workspace_id, bucket_id,
                                   details, occurred_at, n)
         order by e.n",
    )
    .bind(events.iter().map(|e| e.actor_id.map(|id| id.0)).collect::<Vec<_>>())
    .bind(column(|e| e.actor_email.map(str::to_owned)))
    .bind(events.iter().map(|e| e.action).collect::<Vec<_>>())
    .bind(column(|e| e.ip.map(str::to_owned)))
    .bind(column(|e| e.user_agent.map(|ua| truncate(ua, 512).to_owned())))
    .bind(events.iter().map(|e| e.workspace_id.map(|id| id.0)).collect::<Vec<_>>())
    .bind(events.iter().map(|e| e.bucket_id.map(|id| id.0)).collect::<Vec<_>>())
    .bind(
        events
            .iter()
            .map(|e| if e.details.is_null() { serde_json::json!({}) } else { e.details.clone() })
            .collect::<Vec<_>>(),
    )
    .bind(events.iter().map(|e| e.occurred_at).collect::<Vec<_>>())
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
    sqlx::query_as(&recent_for_person_sql(""))
        .bind(id.0)
        .bind(email)
        .bind(limit)
        .fetch_all(db)
        .await
}

/// Two index walks (by account, then by address for events with no account
/// or another's), not one walk of the whole table.
fn recent_for_person_sql(prefix: &str) -> String {
    format!(
        "{prefix} select * from (
           (select {COLUMNS} from audit_events where actor_id = $1
            order by occurred_at desc, id desc limit $3)
           union all
           (select {COLUMNS} from audit_events where actor_email = $2 and actor_id is distinct from $1
            order by occurred_at desc, id desc limit $3)
         ) mine order by occurred_at desc, id desc limit $3"
    )
}

/// Deletes the events older than `age` (`BUCKETDESK_AUDIT_RETENTION_DAYS`),
/// 10,000 at a time so no statement holds the table long; how many went.
pub async fn delete_older_than(db: &sqlx::PgPool, age: std::time::Duration) -> sqlx::Result<u64> {
    let mut total = 0;
    loop {
        let done = sqlx::query(
            "delete from audit_events where id in (
               select id from audit_events where occurred_at < now() - make_interval(secs => $1)
               limit 10000)",
        )
        .bind(age.as_secs_f64())
        .execute(db)
        .await?;
        total += done.rows_affected();
        if done.rows_affected() < 10_000 {
            return Ok(total);
        }
    }
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

/// Which events of a workspace to show.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub workspace: Option<Uuid>,
    /// The actor's whole email address, or its start before the `@`
    /// (case-insensitive).
    pub person: Option<String>,
    pub bucket: Option<Uuid>,
    pub action: Option<String>,
    /// Only events about what lies in this folder (ending in `/`): files
    /// uploaded, downloaded, shared, deleted, renamed or moved in or out of it.
    pub folder: Option<String>,
    pub from: Option<OffsetDateTime>,
    pub until: Option<OffsetDateTime>,
    /// Only events older than this id (the next page).
    pub before_id: Option<i64>,
    /// When set, only events of these buckets or of no bucket (a bucket
    /// Admin's view of a workspace).
    pub only_buckets: Option<Vec<Uuid>>,
}

/// An event as the audit page lists it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Listed {
    pub id: i64,
    pub occurred_at: OffsetDateTime,
    pub actor_email: Option<String>,
    pub action: String,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub bucket_name: Option<String>,
    pub details: serde_json::Value,
}

/// Matching events, newest first.
pub async fn list(
    db: impl PgExecutor<'_>,
    filter: &Filter,
    limit: i64,
) -> sqlx::Result<Vec<Listed>> {
    list_query("", filter, limit)
        .build_query_as()
        .fetch_all(db)
        .await
}

fn list_query<'f>(
    prefix: &str,
    filter: &'f Filter,
    limit: i64,
) -> sqlx::QueryBuilder<'f, sqlx::Postgres> {
    let mut query = sqlx::QueryBuilder::<sqlx::Postgres>::new(format!(
        "{prefix} select e.id, e.occurred_at, e.actor_email, e.action, e.ip, e.user_agent, b.display_name as bucket_name, e.details
         from audit_events e left join buckets b on b.id = e.bucket_id where true",
    ));
    if let Some(workspace) = filter.workspace {
        query.push(" and e.workspace_id = ").push_bind(workspace);
    }
    if let Some(person) = &filter.person {
        // an address, or the start of one, in any case: an index walk either
        // way, also in the generic plan of a prepared statement (a range with
        // bound limits, where `like $n` could not use the index)
        let person = person.to_lowercase();
        if person.contains('@') {
            query.push(" and lower(e.actor_email) = ").push_bind(person);
        } else {
            query
                .push(" and lower(e.actor_email) ~>=~ ")
                .push_bind(person.clone())
                .push(" and lower(e.actor_email) ~<~ ")
                .push_bind(format!("{person}\u{10FFFF}"));
        }
    }
    if let Some(bucket) = filter.bucket {
        query.push(" and e.bucket_id = ").push_bind(bucket);
    }
    if let Some(action) = &filter.action {
        query.push(" and e.action = ").push_bind(action.clone());
    }
    if let Some(folder) = &filter.folder {
        let starts = format!("{}%", escape_like(folder));
        query
            .push(" and (e.details->>'key' like ")
            .push_bind(starts.clone())
            .push(" or e.details->>'path' like ")
            .push_bind(starts.clone())
            .push(" or (e.action = 'object_renamed' and (e.details->>'from' like ")
            .push_bind(starts.clone())
            .push(" or e.details->>'to' like ")
            .push_bind(starts)
            .push(")))");
    }
    if let Some(from) = filter.from {
        query.push(" and e.occurred_at >= ").push_bind(from);
    }
    if let Some(until) = filter.until {
        query.push(" and e.occurred_at < ").push_bind(until);
    }
    if let Some(before) = filter.before_id {
        query.push(" and e.id < ").push_bind(before);
    }
    if let Some(buckets) = &filter.only_buckets {
        query
            .push(" and (e.bucket_id is null or e.bucket_id = any(")
            .push_bind(buckets.clone())
            .push("))");
    }
    query.push(" order by e.id desc limit ").push_bind(limit);
    query
}

/// `text` matched literally by `like` (its `\\`, `%` and `_` escaped).
fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// The actions recorded in a workspace, for the filter list.
pub async fn actions_in_workspace(
    db: impl PgExecutor<'_>,
    workspace: Uuid,
) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar(&actions_in_workspace_sql(""))
        .bind(workspace)
        .fetch_all(db)
        .await
}

/// A skip scan: one probe of `audit_events_workspace_action_id_idx` per
/// action, however many events there are.
fn actions_in_workspace_sql(prefix: &str) -> String {
    format!(
        "{prefix} with recursive found (action) as (
           (select action from audit_events where workspace_id = $1 order by action limit 1)
           union all
           select (select e.action from audit_events e
                   where e.workspace_id = $1 and e.action > found.action
                   order by e.action limit 1)
           from found where found.action is not null
         )
         select action from found where action is not null"
    )
}

/// The plans Postgres makes for the audit queries that run on every home
/// and audit page, for the tests that hold them to their indexes at
/// millions of events.
pub mod plans {
    use super::*;

    async fn explain(
        db: impl PgExecutor<'_>,
        query: sqlx::query::Query<'_, sqlx::Postgres, sqlx::postgres::PgArguments>,
    ) -> sqlx::Result<String> {
        let lines: Vec<String> = query
            .fetch_all(db)
            .await?
            .iter()
            .map(|row| sqlx::Row::get::<String, _>(row, 0))
            .collect();
        Ok(lines.join("\n"))
    }

    pub async fn recent_for_person(
        db: impl PgExecutor<'_>,
        id: UserId,
        email: &str,
    ) -> sqlx::Result<String> {
        let sql = recent_for_person_sql("explain");
        explain(db, sqlx::query(&sql).bind(id.0).bind(email).bind(10_i64)).await
    }

    pub async fn actions_in_workspace(
        db: impl PgExecutor<'_>,
        workspace: Uuid,
    ) -> sqlx::Result<String> {
        let sql = actions_in_workspace_sql("explain");
        explain(db, sqlx::query(&sql).bind(workspace)).await
    }

    pub async fn list(
        db: impl PgExecutor<'_>,
        filter: &Filter,
        limit: i64,
    ) -> sqlx::Result<String> {
        let lines: Vec<String> = list_query("explain", filter, limit)
            .build_query_scalar()
            .fetch_all(db)
            .await?;
        Ok(lines.join("\n"))
    }
}

/// Whether `action` was recorded for this client address within `window`
/// (and, with `about`, with that value in its details), so that a refusal
/// repeated by a flood of requests is on record once, not once per request.
pub async fn recorded_since(
    db: impl PgExecutor<'_>,
    action: &str,
    ip: &str,
    about: Option<(&str, &str)>,
    window: std::time::Duration,
) -> sqlx::Result<bool> {
    let (key, value) = about.unzip();
    sqlx::query_scalar(
        "select exists (select 1 from audit_events
           where occurred_at > now() - make_interval(secs => $4) and action = $1 and ip = $2
             and ($3::text is null or details ->> $3 = $5))",
    )
    .bind(action)
    .bind(ip)
    .bind(key)
    .bind(window.as_secs_f64())
    .bind(value)
    .fetch_one(db)
    .await
}

/// The events about one link of a workspace (its visits and changes), newest first.
pub async fn for_link(
    db: impl PgExecutor<'_>,
    workspace: WorkspaceId,
    link: Uuid,
    limit: i64,
) -> sqlx::Result<Vec<Event>> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from audit_events
         where workspace_id = $1 and details ? 'link' and details ->> 'link' = $2
         order by occurred_at desc, id desc limit $3"
    ))
    .bind(workspace.0)
    .bind(link.to_string())
    .bind(limit)
    .fetch_all(db)
    .await
}
