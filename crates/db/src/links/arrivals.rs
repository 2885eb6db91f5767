//! Files arriving through an upload link, their names reserved so nothing is replaced.

use super::*;

/// Holds the link's row until the transaction ends: uploads through one link
/// take their turn to count and reserve names.
pub async fn lock(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<()> {
    sqlx::query("select 1 from links where id = $1 for update")
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

/// Files that arrived or are arriving through an upload link (an upload
/// that never finished stops counting after an hour).
pub async fn files_taken(db: impl PgExecutor<'_>, link: Uuid) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "select count(*) from link_uploads where link_id = $1
            and (finished_at is not null or started_at > now() - interval '1 hour')",
    )
    .bind(link)
    .fetch_one(db)
    .await
}

/// Reserves a name in the bucket for an upload; `None` when another upload
/// through a link has it.
pub async fn reserve_upload(
    db: impl PgExecutor<'_>,
    link: Uuid,
    bucket: BucketId,
    key: &str,
    ip: &str,
    user_agent: Option<&str>,
) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar(
        "insert into link_uploads (link_id, bucket_id, key, ip, user_agent) values ($1, $2, $3, $4, $5)
         on conflict (bucket_id, key) do nothing returning id",
    )
    .bind(link)
    .bind(bucket.0)
    .bind(key)
    .bind(ip)
    .bind(user_agent.map(|ua| ua.chars().take(512).collect::<String>()))
    .fetch_optional(db)
    .await
}

/// The upload arrived whole; its link was last used now.
pub async fn finish_upload(db: impl PgExecutor<'_>, id: i64, size: i64) -> sqlx::Result<()> {
    sqlx::query(
        "with arrived as (
             update link_uploads set size = $2, finished_at = now() where id = $1 returning link_id
         )
         update links set last_visit_at = now() where id = (select link_id from arrived)",
    )
    .bind(id)
    .bind(size)
    .execute(db)
    .await?;
    Ok(())
}

/// Gives back a name whose upload failed.
pub async fn release_upload(db: impl PgExecutor<'_>, id: i64) -> sqlx::Result<()> {
    sqlx::query("delete from link_uploads where id = $1 and finished_at is null")
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

/// A file that arrived through an upload link.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Arrival {
    pub key: String,
    pub size: i64,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub finished_at: OffsetDateTime,
}

pub async fn arrivals(db: impl PgExecutor<'_>, link: Uuid) -> sqlx::Result<Vec<Arrival>> {
    sqlx::query_as(
        "select key, size, ip, user_agent, finished_at from link_uploads
         where link_id = $1 and finished_at is not null and size is not null order by finished_at desc",
    )
    .bind(link)
    .fetch_all(db)
    .await
}

/// A link whose new arrivals are due to be mailed: claimed by this process
/// (its `arrivals_mailed_at` moved to now, so no other replica mails them),
/// with what arrived since the last mail.
#[derive(Debug, Clone)]
pub struct DueArrivals {
    pub link: Uuid,
    pub arrived: Vec<Arrival>,
}

/// Claims every link that asked for arrival mails, has files that arrived
/// since its last mail, and was last mailed 10 minutes ago or more (`every`);
/// returns them with those files, oldest first.
pub async fn claim_due_arrivals(
    db: &mut sqlx::PgConnection,
    every: std::time::Duration,
) -> sqlx::Result<Vec<DueArrivals>> {
    let claimed: Vec<(Uuid, Option<OffsetDateTime>)> = sqlx::query_as(
        "with due as (
             select l.id, l.arrivals_mailed_at as since from links l
             where l.notify_arrivals
               and (l.arrivals_mailed_at is null
                    or l.arrivals_mailed_at <= now() - make_interval(secs => $1))
               and exists (select 1 from link_uploads lu where lu.link_id = l.id
                           and lu.finished_at > coalesce(l.arrivals_mailed_at, '-infinity'))
             for update of l skip locked
         )
         update links set arrivals_mailed_at = now() from due where links.id = due.id
         returning links.id, due.since",
    )
    .bind(every.as_secs_f64())
    .fetch_all(&mut *db)
    .await?;
    let mut due = Vec::with_capacity(claimed.len());
    for (link, since) in claimed {
        let arrived = sqlx::query_as(
            "select key, size, ip, user_agent, finished_at from link_uploads
             where link_id = $1 and size is not null
               and finished_at > coalesce($2, '-infinity'::timestamptz)
             order by finished_at, id",
        )
        .bind(link)
        .bind(since)
        .fetch_all(&mut *db)
        .await?;
        due.push(DueArrivals { link, arrived });
    }
    Ok(due)
}
