//! Editors' changes to a bucket's files, shared by the pages, the API and
//! the CLI: an upload (streamed, bounded memory), a new folder, a rename or
//! move (of a file or a whole folder), a delete (of a file or a whole folder). Each demands the Editor
//! capability in its signature, needs the write scope, checks its keys
//! with the domain's rules (S19) and writes its audit event.

use crate::CoreError;
use crate::access::{BucketGrant, Can, Editor};
use crate::actor::{Actor, Origin};
use crate::s3_clients::S3Clients;
use crate::uploads::{Journal, Uploads};
use bucketdesk_db::{PgPool, audit};
use bucketdesk_domain::object::check_new_key;
use bucketdesk_domain::{BucketId, Scope, WorkspaceId};
use bucketdesk_storage::objects;
use bucketdesk_storage::upload::{self, Target, UploadError};
use bytes::Bytes;
use futures::{Stream, StreamExt};
use serde_json::{Value, json};

/// An Editor's capability on a bucket.
pub type EditorOf<'g> = Can<'g, Editor, BucketGrant>;

fn key_error(field: &'static str) -> impl Fn(String) -> CoreError {
    move |message| CoreError::invalid(field, "invalid", message)
}

async fn record(
    db: &PgPool,
    can: &EditorOf<'_>,
    actor: &Actor,
    origin: &Origin,
    action: &str,
    details: Value,
) -> Result<(), CoreError> {
    let bucket = can.bucket();
    let event = audit::NewEvent {
        workspace_id: Some(WorkspaceId(bucket.workspace_id)),
        bucket_id: Some(BucketId(bucket.id)),
        ..actor.event(origin, action, details)
    };
    audit::record(db, event).await?;
    Ok(())
}

/// A file to upload.
pub struct UploadRequest<'a> {
    pub key: &'a str,
    /// Replace a file of that name; else a name that is taken is refused.
    pub overwrite: bool,
    pub content_type: Option<&'a str>,
    /// The length the body announces, when it does.
    pub declared_length: Option<u64>,
    /// The largest file the instance stores.
    pub max_size: u64,
}

/// Whether `key` may be uploaded: a valid new key, free unless
/// `overwrite` ([`CoreError::Conflict`] `exists`). Asked before a large
/// body is sent, and again by [`upload`].
pub async fn check_upload(
    s3: &S3Clients,
    can: &EditorOf<'_>,
    key: &str,
    overwrite: bool,
) -> Result<(), CoreError> {
    can.may(Scope::Write)?;
    check_new_key(key).map_err(key_error("key"))?;
    if key.ends_with('/') {
        return Err(CoreError::invalid(
            "key",
            "is_a_folder",
            "A file's key does not end with /.",
        ));
    }
    if overwrite {
        return Ok(());
    }
    let client = s3.client(can).await?;
    let taken = objects::exists(&client, &can.bucket().bucket_name, key, s3.options())
        .await
        .map_err(CoreError::Storage)?;
    if taken {
        return Err(CoreError::Conflict {
            code: "exists",
            message: format!("\"{key}\" exists already. Replace it?"),
        });
    }
    Ok(())
}

/// Streams `body` into the bucket as `request.key`: one PutObject when it
/// fits in one part, else a multipart upload aborted on any failure or
/// cut-off, with the memory of the process's uploads bounded (R1, R2).
/// Returns the bytes stored; recorded as `file_uploaded`.
#[allow(clippy::too_many_arguments)]
pub async fn upload<S, E>(
    s3: &S3Clients,
    db: &PgPool,
    uploads: &Uploads,
    can: &EditorOf<'_>,
    actor: &Actor,
    origin: &Origin,
    request: UploadRequest<'_>,
    body: S,
) -> Result<u64, CoreError>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    check_upload(s3, can, request.key, request.overwrite).await?;
    let client = s3.client(can).await?;
    let target = Target {
        client: &client,
        bucket: &can.bucket().bucket_name,
        key: request.key,
        content_type: request.content_type,
        max_size: request.max_size,
        options: s3.options(),
    };
    let journal = Journal::of(db, can);
    let conditions = uploads.conditions(&journal, request.declared_length);
    let size = match upload::upload(&target, body, conditions).await {
        Ok(size) => size,
        Err(UploadError::TooLarge(limit)) => return Err(CoreError::TooLarge { limit }),
        Err(e @ UploadError::CutOff(_)) => {
            return Err(CoreError::invalid("body", "cut_off", e.to_string()));
        }
        Err(UploadError::S3(problem)) => return Err(CoreError::Storage(problem)),
    };
    record(
        db,
        can,
        actor,
        origin,
        "file_uploaded",
        json!({ "key": request.key, "size": size }),
    )
    .await?;
    Ok(size)
}

/// Creates the (empty) folder `key`, which ends in `/`.
pub async fn create_folder(
    s3: &S3Clients,
    db: &PgPool,
    can: &EditorOf<'_>,
    actor: &Actor,
    origin: &Origin,
    key: &str,
) -> Result<(), CoreError> {
    can.may(Scope::Write)?;
    check_new_key(key).map_err(key_error("key"))?;
    if !key.ends_with('/') {
        return Err(CoreError::invalid(
            "key",
            "not_a_folder",
            "A folder's key ends with /.",
        ));
    }
    let client = s3.client(can).await?;
    objects::create_folder(&client, &can.bucket().bucket_name, key, s3.options())
        .await
        .map_err(CoreError::Storage)?;
    record(
        db,
        can,
        actor,
        origin,
        "folder_created",
        json!({ "key": key }),
    )
    .await
}

/// How many objects `key` stands for: 1 for a file, everything under it for
/// a folder (what a delete would remove).
pub async fn count(s3: &S3Clients, can: &EditorOf<'_>, key: &str) -> Result<usize, CoreError> {
    check_new_key(key).map_err(key_error("key"))?;
    if !key.ends_with('/') {
        return Ok(1);
    }
    let client = s3.client(can).await?;
    Ok(
        objects::all_keys(&client, &can.bucket().bucket_name, key, s3.options())
            .await
            .map_err(CoreError::Storage)?
            .len(),
    )
}

/// Renames or moves `from` to `to` (a folder with everything in it when
/// both end in `/`). Every copy is made before anything is deleted; a name
/// that is taken is refused before anything is copied. Returns how many
/// objects moved.
pub async fn rename(
    s3: &S3Clients,
    db: &PgPool,
    can: &EditorOf<'_>,
    actor: &Actor,
    origin: &Origin,
    from: &str,
    to: &str,
) -> Result<usize, CoreError> {
    can.may(Scope::Write)?;
    // the old key is deleted: a write too (S19)
    check_new_key(from).map_err(key_error("from"))?;
    check_new_key(to).map_err(key_error("to"))?;
    let is_folder = from.ends_with('/');
    if to.ends_with('/') != is_folder {
        return Err(CoreError::invalid(
            "to",
            "kind_mismatch",
            "A folder moves to a folder (ending with /), a file to a file.",
        ));
    }
    if from == to {
        return Ok(0);
    }
    if is_folder && to.starts_with(from) {
        return Err(CoreError::invalid(
            "to",
            "into_itself",
            "A folder cannot be moved into itself.",
        ));
    }
    let bucket = &can.bucket().bucket_name;
    let options = s3.options();
    let client = s3.client(can).await?;
    let moves: Vec<(String, String)> = if is_folder {
        objects::all_keys(&client, bucket, from, options)
            .await
            .map_err(CoreError::Storage)?
            .into_iter()
            .map(|key| (key.clone(), format!("{to}{}", &key[from.len()..])))
            .collect()
    } else {
        vec![(from.to_owned(), to.to_owned())]
    };
    if moves.is_empty() {
        return Err(CoreError::invalid(
            "from",
            "not_found",
            format!("There is nothing at \"{from}\"."),
        ));
    }
    for (_, target) in &moves {
        if objects::exists(&client, bucket, target, options)
            .await
            .map_err(CoreError::Storage)?
        {
            return Err(CoreError::Conflict {
                code: "exists",
                message: format!("\"{target}\" exists already. Choose another name."),
            });
        }
    }
    // copy everything first (several at once), delete only once every copy is made
    let copies = futures::stream::iter(moves.iter().cloned().map(|(source, target)| {
        let (client, bucket, options) = (client.clone(), bucket.to_owned(), *options);
        async move { objects::copy(&client, &bucket, &source, &target, &options).await }
    }))
    .buffer_unordered(8)
    .collect::<Vec<_>>()
    .await;
    for copied in copies {
        copied.map_err(CoreError::Storage)?;
    }
    let old: Vec<String> = moves.iter().map(|(source, _)| source.clone()).collect();
    objects::delete_keys(&client, bucket, &old, options)
        .await
        .map_err(CoreError::Storage)?;
    record(
        db,
        can,
        actor,
        origin,
        "object_renamed",
        json!({ "from": from, "to": to, "objects": moves.len() }),
    )
    .await?;
    Ok(moves.len())
}

/// Deletes `key`, or everything under it when it ends in `/`. Returns how
/// many objects were deleted.
pub async fn delete(
    s3: &S3Clients,
    db: &PgPool,
    can: &EditorOf<'_>,
    actor: &Actor,
    origin: &Origin,
    key: &str,
) -> Result<usize, CoreError> {
    can.may(Scope::Write)?;
    check_new_key(key).map_err(key_error("key"))?;
    let bucket = &can.bucket().bucket_name;
    let client = s3.client(can).await?;
    let keys = if key.ends_with('/') {
        objects::all_keys(&client, bucket, key, s3.options())
            .await
            .map_err(CoreError::Storage)?
    } else {
        vec![key.to_owned()]
    };
    let deleted = objects::delete_keys(&client, bucket, &keys, s3.options())
        .await
        .map_err(CoreError::Storage)?;
    record(
        db,
        can,
        actor,
        origin,
        "object_deleted",
        json!({ "key": key, "objects": deleted }),
    )
    .await?;
    Ok(deleted)
}
