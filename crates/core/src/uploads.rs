//! Uploads through bucketdesk, beyond one request: the budget every
//! buffered upload part of the process shares, the journal of multipart
//! uploads in Postgres, the signal that cuts uploads when the server stops,
//! and the clean-up that aborts multipart uploads abandoned a day ago (R8, R9).

use crate::CoreError;
use crate::access::{HoldsBucket, SystemGrant};
use crate::s3_clients::S3Clients;
use async_trait::async_trait;
use bucketdesk_db::buckets;
use bucketdesk_db::{PgPool, resumable_uploads, uploads};
use bucketdesk_domain::BucketId;
use bucketdesk_storage::upload::{Conditions, UploadBudget, UploadJournal};
use std::time::Duration;
use tokio::sync::watch;

/// Multipart uploads older than this, still in the journal, were abandoned.
pub const ABANDONED_AFTER: Duration = Duration::from_secs(24 * 60 * 60);

/// What every upload of the process shares.
pub struct Uploads {
    pub budget: UploadBudget,
    /// The size of the chunks of resumable uploads (at most 64 MiB).
    pub chunk_size: u64,
    /// Resumable uploads no chunk reached for this long are aborted.
    pub abandon_after: Duration,
    stop: watch::Sender<bool>,
}

impl Uploads {
    pub fn new(budget_bytes: u64, chunk_size: u64, abandon_after: Duration) -> Uploads {
        Uploads {
            budget: UploadBudget::new(budget_bytes),
            chunk_size: chunk_size.clamp(crate::resumable::MIN_CHUNK, crate::resumable::MAX_CHUNK),
            abandon_after,
            stop: watch::Sender::new(false),
        }
    }

    /// Fires when the server stops cutting uploads (see [`Uploads::cut_all`]).
    pub fn stop_signal(&self) -> watch::Receiver<bool> {
        self.stop.subscribe()
    }

    /// Cuts every upload under way (and any that starts): their multipart
    /// uploads are aborted. For the end of the shutdown grace period (R8).
    pub fn cut_all(&self) {
        self.stop.send_replace(true);
    }

    /// How an upload of `bucket` with this declared length goes.
    pub fn conditions<'a>(
        &'a self,
        journal: &'a Journal,
        declared_length: Option<u64>,
    ) -> Conditions<'a> {
        Conditions {
            declared_length,
            budget: &self.budget,
            journal,
            stop: Some(self.stop_signal()),
        }
    }
}

/// The journal of one bucket's uploads, in Postgres.
pub struct Journal {
    db: PgPool,
    bucket: BucketId,
}

impl Journal {
    pub fn of(db: &PgPool, bucket: &impl HoldsBucket) -> Journal {
        Journal {
            db: db.clone(),
            bucket: bucket.bucket().bucket_id(),
        }
    }
}

#[async_trait]
impl UploadJournal for Journal {
    async fn started(&self, key: &str, upload_id: &str) {
        if let Err(error) = uploads::started(&self.db, self.bucket, key, upload_id).await {
            tracing::warn!(%error, "could not note a multipart upload; if the process dies now it stays until S3's own clean-up");
        }
    }

    async fn ended(&self, upload_id: &str) {
        if let Err(error) = uploads::ended(&self.db, upload_id).await {
            tracing::warn!(%error, "could not note the end of a multipart upload");
        }
    }
}

/// Aborts the multipart uploads bucketdesk started more than a day ago and
/// never finished (the process was killed, or S3 refused the abort then),
/// and the resumable uploads no chunk reached for `resumable_idle`.
/// Returns how many were aborted.
pub async fn abort_abandoned(
    db: &PgPool,
    s3: &S3Clients,
    resumable_idle: Duration,
) -> Result<usize, CoreError> {
    let mut aborted = 0;
    // a completed upload is kept an hour for a repeated "complete"
    resumable_uploads::forget_completed(db, Duration::from_secs(3600)).await?;
    for upload in resumable_uploads::abandoned(db, resumable_idle, 1000).await? {
        if let Some(bucket) = buckets::find(db, BucketId(upload.bucket_id)).await? {
            let bucket = SystemGrant { bucket };
            let client = s3.client(&bucket).await?;
            let bucket_name = &bucket.bucket.bucket_name;
            if !bucketdesk_storage::upload::abort(
                &client,
                bucket_name,
                &upload.key,
                &upload.s3_upload_id,
            )
            .await
            {
                continue; // tried again at the next round
            }
        }
        resumable_uploads::delete(db, upload.id).await?;
        aborted += 1;
    }
    for upload in uploads::abandoned(db, ABANDONED_AFTER, 1000).await? {
        let Some(bucket) = buckets::find(db, BucketId(upload.bucket_id)).await? else {
            continue;
        };
        let bucket = SystemGrant { bucket };
        let client = s3.client(&bucket).await?;
        if bucketdesk_storage::upload::abort(
            &client,
            &bucket.bucket.bucket_name,
            &upload.key,
            &upload.upload_id,
        )
        .await
        {
            uploads::ended(db, &upload.upload_id).await?;
            aborted += 1;
        }
    }
    if aborted > 0 {
        tracing::info!(aborted, "aborted abandoned multipart uploads");
    }
    Ok(aborted)
}
