//! S3 clients of connected buckets, kept in memory per process.
//!
//! Opening a bucket's secret takes an RSA private operation (milliseconds),
//! so it happens once per bucket and change, not per request. An entry is
//! valid for the bucket row's `updated_at`: any change to the bucket (a new
//! key pair, a rename) moves it on, in every replica, because each request
//! reads the bucket row anyway for the role check.

use crate::{AppError, AppState, Result};
use bucketdesk_db::buckets::{self, Bucket};
use bucketdesk_storage::{Connection, s3_client};
use bucketdesk_vault::{Sealed, bucket_secret_context};
use secrecy::SecretString;
use std::collections::HashMap;
use std::sync::Mutex;
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(Default)]
pub struct ClientCache {
    clients: Mutex<HashMap<Uuid, (OffsetDateTime, aws_sdk_s3::Client)>>,
}

impl ClientCache {
    fn get(&self, bucket: &Bucket) -> Option<aws_sdk_s3::Client> {
        let clients = self.clients.lock().unwrap_or_else(|e| e.into_inner());
        clients
            .get(&bucket.id)
            .filter(|(updated_at, _)| *updated_at == bucket.updated_at)
            .map(|(_, client)| client.clone())
    }

    fn put(&self, bucket: &Bucket, client: aws_sdk_s3::Client) {
        let mut clients = self.clients.lock().unwrap_or_else(|e| e.into_inner());
        clients.insert(bucket.id, (bucket.updated_at, client));
    }

    /// Drops a bucket's client (it was disconnected).
    pub fn forget(&self, bucket: Uuid) {
        self.clients
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&bucket);
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

impl AppState {
    /// The S3 client for a bucket. Callers must have checked the person's
    /// role (the `BucketAccess` extractor does).
    pub async fn s3_client(&self, bucket: &Bucket) -> Result<aws_sdk_s3::Client> {
        if let Some(client) = self.s3_clients.get(bucket) {
            return Ok(client);
        }
        let row = buckets::secret(&self.db, bucket.bucket_id())
            .await?
            .ok_or_else(|| {
                AppError::Internal(format!("bucket {} has no stored secret", bucket.id))
            })?;
        let key = self.instance_key.clone();
        let context = bucket_secret_context(&bucket.id.to_string(), &bucket.access_key_id);
        let secret = tokio::task::spawn_blocking(move || key.open(&sealed_from_row(row), &context))
            .await
            .map_err(|e| AppError::Internal(e.to_string()))?
            .map_err(|e| AppError::Internal(format!("bucket {}: {e}", bucket.id)))?;
        let secret = String::from_utf8(secret.to_vec())
            .map_err(|_| AppError::Internal("secret is not UTF-8".into()))?;
        let connection = Connection {
            bucket: bucket.bucket_name.clone(),
            region: bucket.region.clone(),
            endpoint: bucket.endpoint_url.clone(),
            path_style: bucket.path_style,
            access_key_id: bucket.access_key_id.clone(),
            secret_access_key: SecretString::from(secret),
        };
        let client = s3_client(&connection, &self.settings.storage);
        self.s3_clients.put(bucket, client.clone());
        Ok(client)
    }
}
