//! Connecting, re-keying, renaming and disconnecting buckets: the rules the
//! web forms and the local start's demo bucket share. Every connection is
//! tested before it is saved; secrets are sealed before they reach the
//! database and never leave this module in the clear.

use crate::extract::ClientInfo;
use crate::{AppState, Result};
use bucketdesk_db::buckets::{self, Bucket, NewBucket};
use bucketdesk_db::users::User;
use bucketdesk_db::{audit, is_violation};
use bucketdesk_domain::{BucketId, WorkspaceId};
use bucketdesk_storage::{Addressing, ConnectError, Connection, Provider, test_connection};
use bucketdesk_vault::{Sealed, bucket_secret_context};
use secrecy::ExposeSecret;
use serde_json::json;
use uuid::Uuid;

const NAME_CONSTRAINT: &str = "buckets_workspace_display_name_key";

/// Whether the bucket's service keeps objects as files named by their keys,
/// so `.` and `..` parts of a key lead elsewhere (S19).
pub fn file_system_backed(bucket: &Bucket) -> bool {
    Provider::parse(&bucket.provider).is_some_and(Provider::file_system_backed)
}

/// A bucket to connect: its name in bucketdesk, how to reach it, how to address it.
pub struct NewConnection {
    pub display_name: String,
    /// The kind of service (decides rules such as S19's file-system check).
    pub provider: Provider,
    /// `path_style` is ignored: `addressing` decides it.
    pub connection: Connection,
    pub addressing: Addressing,
}

#[derive(Debug)]
pub enum ConnectFailure {
    /// Another bucket in the workspace has this display name.
    NameTaken,
    /// The test listing failed; the error says why in plain words.
    Connection(ConnectError),
}

fn seal(
    state: &AppState,
    bucket: BucketId,
    access_key_id: &str,
    connection: &Connection,
) -> Result<Sealed> {
    let context = bucket_secret_context(&bucket.0.to_string(), access_key_id);
    state
        .instance_key
        .seal(
            connection.secret_access_key.expose_secret().as_bytes(),
            &context,
        )
        .map_err(|e| crate::AppError::Internal(e.to_string()))
}

/// Tests the connection, then saves the bucket with its sealed secret. Every
/// owner of the workspace becomes an owner of the bucket.
pub async fn connect(
    state: &AppState,
    workspace: WorkspaceId,
    actor: &User,
    client: &ClientInfo,
    new: NewConnection,
) -> Result<Result<BucketId, ConnectFailure>> {
    let path_style =
        match test_connection(&new.connection, new.addressing, &state.settings.storage).await {
            Ok(path_style) => path_style,
            Err(error) => return Ok(Err(ConnectFailure::Connection(error))),
        };
    let c = &new.connection;
    let id = BucketId(Uuid::new_v4());
    let sealed = seal(state, id, &c.access_key_id, c)?;
    let mut tx = state.db.begin().await?;
    let row = NewBucket {
        id,
        workspace_id: workspace,
        display_name: new.display_name.trim(),
        bucket_name: &c.bucket,
        region: &c.region,
        endpoint_url: c.endpoint.as_deref(),
        path_style,
        access_key_id: &c.access_key_id,
        provider: new.provider.as_str(),
        created_by: actor.user_id(),
    };
    match buckets::insert(&mut tx, &row).await {
        Err(e) if is_violation(&e, NAME_CONSTRAINT) => return Ok(Err(ConnectFailure::NameTaken)),
        other => other?,
    }
    buckets::store_secret(
        &mut *tx,
        id,
        &sealed.key_id,
        &sealed.wrapped_key,
        &sealed.nonce,
        &sealed.ciphertext,
    )
    .await?;
    let details = json!({ "bucket": c.bucket, "endpoint": c.endpoint, "region": c.region, "path_style": path_style });
    let event = audit::NewEvent {
        workspace_id: Some(workspace),
        bucket_id: Some(id),
        details,
        ..client.event(actor, "bucket_connected")
    };
    audit::record(&mut *tx, event).await?;
    tx.commit().await?;
    Ok(Ok(id))
}

/// Replaces the bucket's key pair, after testing the new one against the
/// same bucket. The old secret is overwritten.
pub async fn replace_key(
    state: &AppState,
    bucket: &Bucket,
    actor: &User,
    client: &ClientInfo,
    access_key_id: String,
    secret_access_key: secrecy::SecretString,
) -> Result<Result<(), ConnectFailure>> {
    let connection = Connection {
        bucket: bucket.bucket_name.clone(),
        region: bucket.region.clone(),
        endpoint: bucket.endpoint_url.clone(),
        path_style: bucket.path_style,
        access_key_id,
        secret_access_key,
    };
    let addressing = if bucket.path_style {
        Addressing::PathStyle
    } else {
        Addressing::VirtualHost
    };
    if let Err(error) = test_connection(&connection, addressing, &state.settings.storage).await {
        return Ok(Err(ConnectFailure::Connection(error)));
    }
    let sealed = seal(
        state,
        bucket.bucket_id(),
        &connection.access_key_id,
        &connection,
    )?;
    let mut tx = state.db.begin().await?;
    buckets::set_access_key(
        &mut *tx,
        bucket.bucket_id(),
        &connection.access_key_id,
        bucket.path_style,
    )
    .await?;
    buckets::store_secret(
        &mut *tx,
        bucket.bucket_id(),
        &sealed.key_id,
        &sealed.wrapped_key,
        &sealed.nonce,
        &sealed.ciphertext,
    )
    .await?;
    let event = audit::NewEvent {
        workspace_id: Some(WorkspaceId(bucket.workspace_id)),
        bucket_id: Some(bucket.bucket_id()),
        details: json!({ "access_key_id": connection.access_key_id }),
        ..client.event(actor, "bucket_key_replaced")
    };
    audit::record(&mut *tx, event).await?;
    tx.commit().await?;
    state.s3_clients.forget(bucket.id);
    Ok(Ok(()))
}

pub async fn rename(
    state: &AppState,
    bucket: &Bucket,
    actor: &User,
    client: &ClientInfo,
    display_name: &str,
) -> Result<Result<(), ConnectFailure>> {
    let mut tx = state.db.begin().await?;
    match buckets::rename(&mut *tx, bucket.bucket_id(), display_name.trim()).await {
        Err(e) if is_violation(&e, NAME_CONSTRAINT) => return Ok(Err(ConnectFailure::NameTaken)),
        other => other?,
    }
    let event = audit::NewEvent {
        workspace_id: Some(WorkspaceId(bucket.workspace_id)),
        bucket_id: Some(bucket.bucket_id()),
        details: json!({ "from": bucket.display_name, "to": display_name.trim() }),
        ..client.event(actor, "bucket_renamed")
    };
    audit::record(&mut *tx, event).await?;
    tx.commit().await?;
    Ok(Ok(()))
}

/// Deletes the connection and its sealed secret. Nothing in the bucket itself changes.
pub async fn disconnect(
    state: &AppState,
    bucket: &Bucket,
    actor: &User,
    client: &ClientInfo,
) -> Result<()> {
    let mut tx = state.db.begin().await?;
    let event = audit::NewEvent {
        workspace_id: Some(WorkspaceId(bucket.workspace_id)),
        details: json!({ "bucket_id": bucket.id, "bucket": bucket.bucket_name, "name": bucket.display_name }),
        ..client.event(actor, "bucket_disconnected")
    };
    audit::record(&mut *tx, event).await?;
    buckets::delete(&mut *tx, bucket.bucket_id()).await?;
    tx.commit().await?;
    state.s3_clients.forget(bucket.id);
    Ok(())
}
