//! Uploads sent in chunks: the S3 multipart upload, the file it carries and
//! the parts that landed, so any replica takes the next chunk and a reload
//! resumes where it stopped. A person only ever sees their own.

use bucketdesk_domain::BucketId;
use sqlx::PgExecutor;
use std::time::Duration;
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ResumableUpload {
    pub id: Uuid,
    pub bucket_id: Uuid,
    pub user_id: Uuid,
    pub key: String,
    pub s3_upload_id: String,
    pub size: i64,
    pub last_modified: i64,
    pub part_size: i64,
    pub content_type: Option<String>,
    pub overwrite: bool,
    /// The browser sends its parts straight to the bucket.
    pub direct: bool,
    pub started_at: OffsetDateTime,
    /// When its parts were joined into the file (kept a while, so a
    /// repeated "complete" gets the same answer).
    pub completed_at: Option<OffsetDateTime>,
}

/// A part that landed.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Part {
    pub number: i32,
    pub size: i64,
    pub etag: String,
}

const COLUMNS: &str = "id, bucket_id, user_id, key, s3_upload_id, size, last_modified, \
                       part_size, content_type, overwrite, direct, started_at, completed_at";

/// Writes the upload down; false when an upload of the same file (person,
/// bucket, key, size, modified time) is under way already.
pub async fn insert(db: impl PgExecutor<'_>, upload: &ResumableUpload) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "insert into resumable_uploads
           (id, bucket_id, user_id, key, s3_upload_id, size, last_modified, part_size,
            content_type, overwrite, direct)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
         on conflict (bucket_id, user_id, key, size, last_modified) where completed_at is null
         do nothing",
    )
    .bind(upload.id)
    .bind(upload.bucket_id)
    .bind(upload.user_id)
    .bind(&upload.key)
    .bind(&upload.s3_upload_id)
    .bind(upload.size)
    .bind(upload.last_modified)
    .bind(upload.part_size)
    .bind(&upload.content_type)
    .bind(upload.overwrite)
    .bind(upload.direct)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// `user`'s upload `id` in `bucket` (completed or not); none for anyone else's.
pub async fn find(
    db: impl PgExecutor<'_>,
    bucket: BucketId,
    user: Uuid,
    id: Uuid,
) -> sqlx::Result<Option<ResumableUpload>> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from resumable_uploads
         where id = $1 and bucket_id = $2 and user_id = $3"
    ))
    .bind(id)
    .bind(bucket.0)
    .bind(user)
    .fetch_optional(db)
    .await
}

/// `user`'s unfinished uploads in `bucket`, oldest first.
pub async fn of_user(
    db: impl PgExecutor<'_>,
    bucket: BucketId,
    user: Uuid,
) -> sqlx::Result<Vec<ResumableUpload>> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from resumable_uploads
         where bucket_id = $1 and user_id = $2 and completed_at is null
         order by started_at limit 100"
    ))
    .bind(bucket.0)
    .bind(user)
    .fetch_all(db)
    .await
}

/// The parts of upload `id` that landed, by number.
pub async fn parts(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<Vec<Part>> {
    sqlx::query_as(
        "select number, size, etag from resumable_upload_parts
         where upload_id = $1 order by number",
    )
    .bind(id)
    .fetch_all(db)
    .await
}

/// Writes down a part that landed (a part sent again replaces the first),
/// and that the upload is alive.
pub async fn part_landed(db: &sqlx::PgPool, id: Uuid, part: &Part) -> sqlx::Result<()> {
    let mut tx = db.begin().await?;
    sqlx::query(
        "insert into resumable_upload_parts (upload_id, number, size, etag)
         values ($1, $2, $3, $4)
         on conflict (upload_id, number) do update set size = excluded.size, etag = excluded.etag",
    )
    .bind(id)
    .bind(part.number)
    .bind(part.size)
    .bind(&part.etag)
    .execute(&mut *tx)
    .await?;
    sqlx::query("update resumable_uploads set touched_at = now() where id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await
}

/// Writes down that the upload is alive (a part URL was made for it).
pub async fn touch(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<()> {
    sqlx::query("update resumable_uploads set touched_at = now() where id = $1")
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

/// Forgets a part before it is sent again: S3 replaces the stored part as
/// soon as the new one arrives, so until the new one is checked and
/// written down, the part has not landed.
pub async fn forget_part(db: impl PgExecutor<'_>, id: Uuid, number: i32) -> sqlx::Result<()> {
    sqlx::query("delete from resumable_upload_parts where upload_id = $1 and number = $2")
        .bind(id)
        .bind(number)
        .execute(db)
        .await?;
    Ok(())
}

/// Writes down that the upload's parts were joined into the file: its
/// parts are forgotten, the upload itself is kept for an hour.
pub async fn completed(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<()> {
    sqlx::query(
        "with forgotten as (delete from resumable_upload_parts where upload_id = $1)
         update resumable_uploads set completed_at = now() where id = $1",
    )
    .bind(id)
    .execute(db)
    .await?;
    Ok(())
}

/// Forgets uploads completed more than `after` ago.
pub async fn forget_completed(db: impl PgExecutor<'_>, after: Duration) -> sqlx::Result<u64> {
    let done = sqlx::query(
        "delete from resumable_uploads where completed_at < now() - make_interval(secs => $1)",
    )
    .bind(after.as_secs_f64())
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}

/// Forgets an upload (aborted) and its parts.
pub async fn delete(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<()> {
    sqlx::query("delete from resumable_uploads where id = $1")
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

/// Uploads no chunk reached for longer than `idle`, oldest first.
pub async fn abandoned(
    db: impl PgExecutor<'_>,
    idle: Duration,
    limit: i64,
) -> sqlx::Result<Vec<ResumableUpload>> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from resumable_uploads
         where completed_at is null and touched_at < now() - make_interval(secs => $1)
         order by touched_at limit $2"
    ))
    .bind(idle.as_secs_f64())
    .bind(limit)
    .fetch_all(db)
    .await
}
