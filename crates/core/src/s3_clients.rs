//! The S3 clients of connected buckets, kept in memory per process, and
//! reachable only through something that holds the bucket (a grant, a
//! capability, a link's grant): see [`crate::access::HoldsBucket`].
//!
//! Opening a bucket's secret takes an RSA private operation (milliseconds),
//! so it happens once per bucket and change, not per request. An entry is
//! valid for the bucket row's `updated_at`: any change to the bucket (a new
//! key pair, a rename) moves it on, in every replica, because each request
//! reads the bucket row anyway for the access check. The cache holds one
//! client per connected bucket of the instance (it is not bounded: an entry
//! is a few kilobytes, and disconnecting a bucket drops its own).

use crate::CoreError;
use crate::access::HoldsBucket;
use bucketdesk_db::PgPool;
use bucketdesk_db::buckets::{self, Bucket};
use bucketdesk_storage::{Connection, StorageOptions, s3_client};
use bucketdesk_vault::{InstanceKey, Sealed, bucket_secret_context};
use secrecy::SecretString;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use time::OffsetDateTime;
use uuid::Uuid;

pub struct S3Clients {
    db: PgPool,
    instance_key: Arc<InstanceKey>,
    options: StorageOptions,
    /// Per bucket and endpoint (`false`: its own, `true`: its public one).
    clients: Mutex<HashMap<(Uuid, bool), (OffsetDateTime, aws_sdk_s3::Client)>>,
}

impl S3Clients {
    pub fn new(db: PgPool, instance_key: Arc<InstanceKey>, options: StorageOptions) -> Self {
        S3Clients {
            db,
            instance_key,
            options,
            clients: Mutex::default(),
        }
    }

    /// The S3 client of the bucket `holder` reaches, signing with the
    /// bucket's stored key.
    pub async fn client(&self, holder: &impl HoldsBucket) -> Result<aws_sdk_s3::Client, CoreError> {
        self.client_for(holder.bucket(), false).await
    }

    /// The client that makes the bucket's presigned URLs: one for its public
    /// endpoint when it has one (where browsers reach the S3 service), else
    /// its own. It signs offline; bucketdesk never connects through it.
    pub async fn presigner(
        &self,
        holder: &impl HoldsBucket,
    ) -> Result<aws_sdk_s3::Client, CoreError> {
        let bucket = holder.bucket();
        self.client_for(bucket, bucket.public_endpoint_url.is_some())
            .await
    }

    async fn client_for(
        &self,
        bucket: &Bucket,
        public: bool,
    ) -> Result<aws_sdk_s3::Client, CoreError> {
        if let Some(client) = self.cached(bucket, public) {
            return Ok(client);
        }
        let row = buckets::secret(&self.db, bucket.bucket_id())
            .await?
            .ok_or_else(|| {
                CoreError::Internal(format!("bucket {} has no stored secret", bucket.id))
            })?;
        let key = self.instance_key.clone();
        let context = bucket_secret_context(&bucket.id.to_string(), &bucket.access_key_id);
        let secret = tokio::task::spawn_blocking(move || key.open(&sealed_from_row(row), &context))
            .await
            .map_err(|e| CoreError::Internal(e.to_string()))?
            .map_err(|e| CoreError::Internal(format!("bucket {}: {e}", bucket.id)))?;
        let secret = String::from_utf8(secret.to_vec())
            .map_err(|_| CoreError::Internal("secret is not UTF-8".into()))?;
        let endpoint = if public {
            bucket.public_endpoint_url.clone()
        } else {
            bucket.endpoint_url.clone()
        };
        let connection = Connection {
            bucket: bucket.bucket_name.clone(),
            region: bucket.region.clone(),
            endpoint,
            path_style: bucket.path_style,
            access_key_id: bucket.access_key_id.clone(),
            secret_access_key: SecretString::from(secret),
        };
        let client = s3_client(&connection, &self.options);
        self.lock()
            .insert((bucket.id, public), (bucket.updated_at, client.clone()));
        Ok(client)
    }

    /// The timeouts and endpoint guard every client uses.
    pub fn options(&self) -> &StorageOptions {
        &self.options
    }

    /// The key that seals buckets' secrets (for connecting and re-keying).
    pub(crate) fn instance_key(&self) -> &InstanceKey {
        &self.instance_key
    }

    /// Drops a bucket's client (it was disconnected).
    pub fn forget(&self, bucket: Uuid) {
        let mut clients = self.lock();
        clients.remove(&(bucket, false));
        clients.remove(&(bucket, true));
    }

    fn cached(&self, bucket: &Bucket, public: bool) -> Option<aws_sdk_s3::Client> {
        self.lock()
            .get(&(bucket.id, public))
            .filter(|(updated_at, _)| *updated_at == bucket.updated_at)
            .map(|(_, client)| client.clone())
    }

    fn lock(
        &self,
    ) -> std::sync::MutexGuard<'_, HashMap<(Uuid, bool), (OffsetDateTime, aws_sdk_s3::Client)>>
    {
        self.clients.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The stored form of a sealed secret, as the vault wants it.
pub fn sealed_from_row(row: buckets::SealedSecret) -> Sealed {
    Sealed {
        key_id: row.key_id,
        wrapped_key: row.wrapped_key,
        nonce: row.nonce,
        ciphertext: row.ciphertext,
    }
}
