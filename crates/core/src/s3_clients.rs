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
//!
//! A bucket connected by role ARN has no secret: its clients sign with the
//! bucket's role session (one per bucket, shared by its clients), which
//! bucketdesk's own AWS identity opens with the workspace's external id.

use crate::CoreError;
use crate::access::HoldsBucket;
use bucketdesk_db::PgPool;
use bucketdesk_db::buckets::{self, Bucket};
use bucketdesk_domain::WorkspaceId;
use bucketdesk_storage::{
    ConnectError, Connection, HostIdentity, RoleSession, Signer, StorageOptions, s3_client,
};
use bucketdesk_vault::{InstanceKey, Sealed, bucket_secret_context};
use secrecy::SecretString;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use time::OffsetDateTime;
use uuid::Uuid;

pub struct S3Clients {
    db: PgPool,
    instance_key: Arc<InstanceKey>,
    options: StorageOptions,
    /// Per bucket and endpoint (`false`: its own, `true`: its public one).
    clients: Mutex<HashMap<(Uuid, bool), (OffsetDateTime, aws_sdk_s3::Client)>>,
    /// bucketdesk's own AWS identity (`BUCKETDESK_AWS_IDENTITY`), which
    /// assumes the roles of buckets connected by role ARN.
    identity: Option<HostIdentity>,
    /// The role session of each bucket connected by role ARN.
    sessions: Mutex<HashMap<Uuid, (OffsetDateTime, RoleSession)>>,
}

impl S3Clients {
    pub fn new(db: PgPool, instance_key: Arc<InstanceKey>, options: StorageOptions) -> Self {
        S3Clients {
            db,
            instance_key,
            options,
            clients: Mutex::default(),
            identity: None,
            sessions: Mutex::default(),
        }
    }

    /// Gives bucketdesk an AWS identity of its own, so buckets can be
    /// connected by role ARN (none: only by key).
    pub fn with_identity(mut self, identity: Option<HostIdentity>) -> Self {
        self.identity = identity;
        self
    }

    /// bucketdesk's own AWS identity, when it has one.
    pub fn identity(&self) -> Option<&HostIdentity> {
        self.identity.as_ref()
    }

    /// A session of `role_arn` for the workspace: named after it, opened
    /// with its external id.
    pub(crate) async fn role_session(
        &self,
        workspace: WorkspaceId,
        role_arn: &str,
    ) -> Result<RoleSession, CoreError> {
        let identity = self.identity.as_ref().ok_or_else(|| {
            CoreError::Storage(ConnectError::RoleRefused(
                "this server has no AWS identity of its own to assume it with: BUCKETDESK_AWS_IDENTITY is off"
                    .into(),
            ))
        })?;
        let external_id = bucketdesk_db::workspaces::external_id(&self.db, workspace).await?;
        let session_name = format!("bucketdesk-{}", workspace.0.simple());
        Ok(identity
            .session(role_arn, &external_id, &session_name)
            .await)
    }

    /// The bucket's role session (kept while the bucket row is unchanged).
    async fn bucket_session(
        &self,
        bucket: &Bucket,
        role_arn: &str,
    ) -> Result<RoleSession, CoreError> {
        let cached = self
            .lock_sessions()
            .get(&bucket.id)
            .filter(|(updated_at, _)| *updated_at == bucket.updated_at)
            .map(|(_, session)| session.clone());
        if let Some(session) = cached {
            return Ok(session);
        }
        let session = self
            .role_session(WorkspaceId(bucket.workspace_id), role_arn)
            .await?;
        self.lock_sessions()
            .insert(bucket.id, (bucket.updated_at, session.clone()));
        Ok(session)
    }

    /// How long a presigned URL of the bucket `holder` reaches may last,
    /// asked to last `wanted`: as long, unless the bucket is reached through
    /// a role whose session ends sooner (S3 refuses a presigned URL once the
    /// credentials that signed it have expired).
    pub async fn presign_lifetime(
        &self,
        holder: &impl HoldsBucket,
        wanted: Duration,
    ) -> Result<Duration, CoreError> {
        let bucket = holder.bucket();
        match &bucket.role_arn {
            None => Ok(wanted),
            Some(role_arn) => self
                .bucket_session(bucket, role_arn)
                .await?
                .presign_lifetime(wanted)
                .await
                .map_err(CoreError::Storage),
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
        let signer = match (&bucket.role_arn, &bucket.access_key_id) {
            (Some(role_arn), _) => Signer::Role(self.bucket_session(bucket, role_arn).await?),
            (None, Some(access_key_id)) => self.stored_key(bucket, access_key_id).await?,
            (None, None) => {
                return Err(CoreError::Internal(format!(
                    "bucket {} has neither a key nor a role",
                    bucket.id
                )));
            }
        };
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
            signer,
        };
        let client = s3_client(&connection, &self.options);
        self.lock()
            .insert((bucket.id, public), (bucket.updated_at, client.clone()));
        Ok(client)
    }

    /// The bucket's stored key, opened.
    async fn stored_key(&self, bucket: &Bucket, access_key_id: &str) -> Result<Signer, CoreError> {
        let row = buckets::secret(&self.db, bucket.bucket_id())
            .await?
            .ok_or_else(|| {
                CoreError::Internal(format!("bucket {} has no stored secret", bucket.id))
            })?;
        let key = self.instance_key.clone();
        let context = bucket_secret_context(&bucket.id.to_string(), access_key_id);
        let secret = tokio::task::spawn_blocking(move || key.open(&sealed_from_row(row), &context))
            .await
            .map_err(|e| CoreError::Internal(e.to_string()))?
            .map_err(|e| CoreError::Internal(format!("bucket {}: {e}", bucket.id)))?;
        let secret = String::from_utf8(secret.to_vec())
            .map_err(|_| CoreError::Internal("secret is not UTF-8".into()))?;
        Ok(Signer::Key {
            access_key_id: access_key_id.to_owned(),
            secret_access_key: SecretString::from(secret),
        })
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
        self.lock_sessions().remove(&bucket);
    }

    fn cached(&self, bucket: &Bucket, public: bool) -> Option<aws_sdk_s3::Client> {
        self.lock()
            .get(&(bucket.id, public))
            .filter(|(updated_at, _)| *updated_at == bucket.updated_at)
            .map(|(_, client)| client.clone())
    }

    fn lock_sessions(
        &self,
    ) -> std::sync::MutexGuard<'_, HashMap<Uuid, (OffsetDateTime, RoleSession)>> {
        self.sessions.lock().unwrap_or_else(|e| e.into_inner())
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
