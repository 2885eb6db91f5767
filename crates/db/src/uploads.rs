//! Multipart uploads under way, so that one abandoned by a killed process
//! (or one S3 would not abort) is aborted later (R8).

use bucketdesk_domain::BucketId;
use sqlx::PgExecutor;
use std::time::Duration;
use uuid::Uuid;

pub async fn started(
    db: impl PgExecutor<'_>,
    bucket: BucketId,
    key: &str,
    upload_id: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "insert into multipart_uploads (upload_id, bucket_id, key) values ($1, $2, $3)
         on conflict (upload_id) do nothing",
    )
    .bind(upload_id)
    .bind(bucket.0)
    .bind(key)
    .execute(db)
    .await?;
    Ok(())
}

pub async fn ended(db: impl PgExecutor<'_>, upload_id: &str) -> sqlx::Result<()> {
    sqlx::query("delete from multipart_uploads where upload_id = $1")
        .bind(upload_id)
        .execute(db)
        .await?;
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Abandoned {
    pub upload_id: String,
    pub bucket_id: Uuid,
    pub key: String,
}

/// Uploads started longer than `age` ago and never ended, oldest first.
pub async fn abandoned(
    db: impl PgExecutor<'_>,
    age: Duration,
    limit: i64,
) -> sqlx::Result<Vec<Abandoned>> {
    sqlx::query_as(
        "select upload_id, bucket_id, key from multipart_uploads
         where started_at < now() - make_interval(secs => $1)
         order by started_at limit $2",
    )
    .bind(age.as_secs_f64())
    .bind(limit)
    .fetch_all(db)
    .await
}
