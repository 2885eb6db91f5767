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
use bucketdesk_domain::object::{check_folder_path, check_new_key, file_name};
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

/// The audit event of a file that finished uploading, however it came
/// (one request or chunks).
pub(crate) async fn record_upload(
    db: &PgPool,
    can: &EditorOf<'_>,
    actor: &Actor,
    origin: &Origin,
    key: &str,
    size: u64,
) -> Result<(), CoreError> {
    record(
        db,
        can,
        actor,
        origin,
        "file_uploaded",
        json!({ "key": key, "size": size }),
    )
    .await
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
    let at = can.at(key)?;
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
    let client = s3.client(&at).await?;
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
    let at = can.at(request.key)?;
    let client = s3.client(&at).await?;
    let target = Target {
        client: &client,
        bucket: &can.bucket().bucket_name,
        key: request.key,
        content_type: request.content_type,
        max_size: request.max_size,
        options: s3.options(),
    };
    let journal = Journal::of(db, &at);
    let conditions = uploads.conditions(&journal, request.declared_length);
    let size = match upload::upload(&target, body, conditions).await {
        Ok(size) => size,
        Err(UploadError::TooLarge(limit)) => return Err(CoreError::TooLarge { limit }),
        Err(e @ UploadError::CutOff(_)) => {
            return Err(CoreError::invalid("body", "cut_off", e.to_string()));
        }
        Err(UploadError::S3(problem)) => return Err(CoreError::Storage(problem)),
    };
    record_upload(db, can, actor, origin, request.key, size).await?;
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
    let client = s3.client(&can.at(key)?).await?;
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

/// How many objects the keys stand for: 1 for a file, everything under it
/// for a folder (what a delete would remove).
pub async fn count(
    s3: &S3Clients,
    can: &EditorOf<'_>,
    keys: &[String],
) -> Result<usize, CoreError> {
    check_selection(keys)?;
    let client = s3
        .client(&can.at_all(keys.iter().map(String::as_str))?)
        .await?;
    let mut total = 0;
    for key in keys {
        total += objects_of(s3, &client, can, key).await?.len();
    }
    Ok(total)
}

/// The objects `key` stands for: itself for a file, everything under it for
/// a folder.
async fn objects_of(
    s3: &S3Clients,
    client: &aws_sdk_s3::Client,
    can: &EditorOf<'_>,
    key: &str,
) -> Result<Vec<String>, CoreError> {
    if !key.ends_with('/') {
        return Ok(vec![key.to_owned()]);
    }
    objects::all_keys(client, &can.bucket().bucket_name, key, s3.options())
        .await
        .map_err(CoreError::Storage)
}

/// Renames or moves `from` to `to` (a folder with everything in it when
/// both end in `/`). Every copy is made before anything is deleted; a name
/// that is taken is refused before anything is copied. Returns how many
/// objects moved.
#[allow(clippy::too_many_arguments)]
pub async fn rename(
    s3: &S3Clients,
    db: &PgPool,
    can: &EditorOf<'_>,
    actor: &Actor,
    origin: &Origin,
    from: &str,
    to: &str,
    progress: Option<&MoveWatch>,
) -> Result<usize, CoreError> {
    can.may(Scope::Write)?;
    // the old key is deleted: a write too (S19)
    check_new_key(from).map_err(key_error("from"))?;
    check_new_key(to).map_err(key_error("to"))?;
    if to.ends_with('/') != from.ends_with('/') {
        return Err(CoreError::invalid(
            "to",
            "kind_mismatch",
            "A folder moves to a folder (ending with /), a file to a file.",
        ));
    }
    if from == to {
        return Ok(0);
    }
    let pairs = [(from.to_owned(), to.to_owned())];
    move_and_record(s3, db, can, actor, origin, &pairs, progress).await
}

/// The most files and folders one move or delete of a selection takes (a
/// page of the listing holds at most 1,000).
pub const MAX_SELECTION: usize = 1000;

fn check_selection(keys: &[String]) -> Result<(), CoreError> {
    if keys.is_empty() {
        return Err(CoreError::invalid(
            "keys",
            "empty",
            "Nothing is selected: tick the files and folders first.",
        ));
    }
    if keys.len() > MAX_SELECTION {
        return Err(CoreError::invalid(
            "keys",
            "too_many",
            format!("At most {MAX_SELECTION} files and folders at once."),
        ));
    }
    for key in keys {
        check_new_key(key).map_err(key_error("keys"))?;
    }
    Ok(())
}

/// Moves the selected files and folders into `folder` (`""` is the top of
/// the bucket), keeping their names. As with [`rename`], a name taken in
/// the folder refuses the whole move before anything is copied. Each moved
/// key is its own audit event. Returns how many objects moved.
#[allow(clippy::too_many_arguments)]
pub async fn move_into(
    s3: &S3Clients,
    db: &PgPool,
    can: &EditorOf<'_>,
    actor: &Actor,
    origin: &Origin,
    keys: &[String],
    folder: &str,
    progress: Option<&MoveWatch>,
) -> Result<usize, CoreError> {
    can.may(Scope::Write)?;
    check_selection(keys)?;
    check_folder_path(folder).map_err(key_error("folder"))?;
    let mut pairs = Vec::new();
    for key in keys {
        let is_folder = key.ends_with('/');
        let target = format!(
            "{folder}{}{}",
            file_name(key),
            if is_folder { "/" } else { "" }
        );
        if target != *key && !pairs.iter().any(|(from, _): &(String, String)| from == key) {
            pairs.push((key.clone(), target));
        }
    }
    if pairs.is_empty() {
        return Ok(0);
    }
    move_and_record(s3, db, can, actor, origin, &pairs, progress).await
}

/// [`move_objects`], then one `object_renamed` event per pair. Returns how
/// many objects moved in all.
async fn move_and_record(
    s3: &S3Clients,
    db: &PgPool,
    can: &EditorOf<'_>,
    actor: &Actor,
    origin: &Origin,
    pairs: &[(String, String)],
    progress: Option<&MoveWatch>,
) -> Result<usize, CoreError> {
    let moved = move_objects(s3, can, pairs, progress).await?;
    for ((from, to), objects) in pairs.iter().zip(&moved) {
        record(
            db,
            can,
            actor,
            origin,
            "object_renamed",
            json!({ "from": from, "to": to, "objects": objects }),
        )
        .await?;
    }
    Ok(moved.iter().sum())
}

/// How far a rename or move is, for a page that shows it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MoveProgress {
    /// Objects to copy in all (0 until the listings are done).
    pub total: usize,
    /// Copies made so far.
    pub copied: usize,
}

/// Where a rename or move reports its progress as it goes.
pub type MoveWatch = tokio::sync::watch::Sender<MoveProgress>;

/// Copies made at once while moving.
const COPIES_AT_ONCE: usize = 16;
/// Files of a selection checked at once (their HEADs) before a move.
const CHECKS_AT_ONCE: usize = 16;

/// One object to move: from, to, and its size (for the copy).
#[derive(Clone)]
struct ObjectMove {
    from: String,
    to: String,
    size: i64,
}

/// Moves each `(from, to)` (folders with everything in them): checks that
/// each exists and that no target is taken, copies everything (16 at once),
/// and deletes the old keys only once every copy is made. A folder costs
/// two listings (its objects with their sizes, and whatever already is at
/// the target) and one copy per object: no HEAD per object. Returns how many
/// objects each pair moved.
///
/// When a copy fails, the copies already made are removed again and nothing
/// has moved; when the deletes of the old keys fail part-way, the message
/// says how many objects are now in both places.
async fn move_objects(
    s3: &S3Clients,
    can: &EditorOf<'_>,
    pairs: &[(String, String)],
    progress: Option<&MoveWatch>,
) -> Result<Vec<usize>, CoreError> {
    let bucket = &can.bucket().bucket_name;
    let options = s3.options();
    // both ends of every move: out of a granted folder is a delete there,
    // into one a write
    let at = can.at_all(
        pairs
            .iter()
            .flat_map(|(from, to)| [from.as_str(), to.as_str()]),
    )?;
    let client = s3.client(&at).await?;
    for (from, to) in pairs {
        if from.ends_with('/') && to.starts_with(from.as_str()) {
            return Err(CoreError::invalid(
                "to",
                "into_itself",
                format!(
                    "The folder \"{}\" cannot be moved into itself.",
                    file_name(from)
                ),
            ));
        }
    }
    // what each pair moves, and what is in the way, several files at once
    let found = futures::stream::iter(pairs.iter().cloned().map(|(from, to)| {
        let (client, bucket, options) = (client.clone(), bucket.clone(), *options);
        async move { objects_to_move(&client, &bucket, &from, &to, &options).await }
    }))
    .buffered(CHECKS_AT_ONCE)
    .collect::<Vec<_>>()
    .await;
    let mut moves: Vec<ObjectMove> = Vec::new();
    let mut counts = Vec::with_capacity(pairs.len());
    for ((from, _), found) in pairs.iter().zip(found) {
        let (objects, taken) = found?;
        if objects.is_empty() {
            return Err(CoreError::invalid(
                "from",
                "not_found",
                format!("There is nothing at \"{from}\"."),
            ));
        }
        if let Some(target) = taken {
            return Err(CoreError::Conflict {
                code: "exists",
                message: format!("\"{target}\" exists already. Choose another name."),
            });
        }
        counts.push(objects.len());
        moves.extend(objects);
    }
    // two of the moved things would land on one name: one would be lost
    let mut targets = std::collections::HashSet::new();
    if let Some(clash) = moves.iter().find(|m| !targets.insert(m.to.as_str())) {
        return Err(CoreError::Conflict {
            code: "exists",
            message: format!(
                "Two of the moved files would both become \"{}\". Move them separately, or rename one first.",
                clash.to
            ),
        });
    }
    if let Some(progress) = progress {
        progress.send_replace(MoveProgress {
            total: moves.len(),
            copied: 0,
        });
    }
    // copy everything first, delete only once every copy is made
    let copies = futures::stream::iter(moves.iter().cloned().map(|object| {
        let (client, bucket, options) = (client.clone(), bucket.clone(), *options);
        let ObjectMove { from, to, size } = object;
        async move {
            objects::copy(&client, &bucket, &from, size, &to, &options)
                .await
                .map(|()| to)
        }
    }))
    .buffer_unordered(COPIES_AT_ONCE)
    .inspect(|copy| {
        if let (Some(progress), Ok(_)) = (progress, copy) {
            progress.send_modify(|p| p.copied += 1);
        }
    })
    .collect::<Vec<_>>()
    .await;
    let (made, failed): (Vec<_>, Vec<_>) = copies.into_iter().partition(Result::is_ok);
    if let Some(Err(problem)) = failed.into_iter().next() {
        let made: Vec<String> = made.into_iter().filter_map(Result::ok).collect();
        let undone = objects::delete_keys(&client, bucket, &made, options).await;
        let undone = match undone {
            Ok(_) => "The copies already made were removed: nothing moved.".to_owned(),
            Err(_) => format!(
                "Nothing was deleted; {} of the {} copies already made could not be removed again and are in both places.",
                made.len(),
                moves.len()
            ),
        };
        return Err(CoreError::Storage(bucketdesk_storage::ConnectError::Other(
            format!("{problem} {undone}"),
        )));
    }
    let old: Vec<String> = moves.iter().map(|object| object.from.clone()).collect();
    if let Err(problem) = objects::delete_keys(&client, bucket, &old, options).await {
        return Err(CoreError::Storage(bucketdesk_storage::ConnectError::Other(
            format!(
                "All {} objects were copied to their new place, but removing them from the old one failed ({problem}): some are now in both places. Delete the old ones again.",
                moves.len()
            ),
        )));
    }
    Ok(counts)
}

/// What moving `from` to `to` moves (with sizes), and the first target that
/// is taken, if any: a folder's objects and the target folder's keys come
/// from one listing each, a file's from a HEAD of it and of its target.
async fn objects_to_move(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    from: &str,
    to: &str,
    options: &bucketdesk_storage::StorageOptions,
) -> Result<(Vec<ObjectMove>, Option<String>), CoreError> {
    if from.ends_with('/') {
        let entries = objects::entries_up_to(client, bucket, from, usize::MAX, options)
            .await
            .map_err(CoreError::Storage)?;
        let there: std::collections::HashSet<String> =
            objects::all_keys(client, bucket, to, options)
                .await
                .map_err(CoreError::Storage)?
                .into_iter()
                .collect();
        let moves: Vec<ObjectMove> = entries
            .into_iter()
            .map(|entry| ObjectMove {
                to: format!("{to}{}", &entry.key[from.len()..]),
                from: entry.key,
                size: entry.size,
            })
            .collect();
        let taken = moves
            .iter()
            .find(|m| there.contains(&m.to))
            .map(|m| m.to.clone());
        return Ok((moves, taken));
    }
    let size = match objects::details(client, bucket, from, options).await {
        Ok(details) => details.size,
        Err(bucketdesk_storage::ConnectError::NoSuchKey(_)) => return Ok((Vec::new(), None)),
        Err(problem) => return Err(CoreError::Storage(problem)),
    };
    let taken = objects::exists(client, bucket, to, options)
        .await
        .map_err(CoreError::Storage)?
        .then(|| to.to_owned());
    let moves = vec![ObjectMove {
        from: from.to_owned(),
        to: to.to_owned(),
        size,
    }];
    Ok((moves, taken))
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
    delete_many(s3, db, can, actor, origin, &[key.to_owned()]).await
}

/// Deletes the selected files and folders (each folder with everything in
/// it), each key its own audit event. Returns how many objects were deleted.
pub async fn delete_many(
    s3: &S3Clients,
    db: &PgPool,
    can: &EditorOf<'_>,
    actor: &Actor,
    origin: &Origin,
    keys: &[String],
) -> Result<usize, CoreError> {
    can.may(Scope::Write)?;
    check_selection(keys)?;
    let client = s3
        .client(&can.at_all(keys.iter().map(String::as_str))?)
        .await?;
    let mut all = Vec::new();
    let mut counts = Vec::with_capacity(keys.len());
    for key in keys {
        let under = objects_of(s3, &client, can, key).await?;
        counts.push(under.len());
        all.extend(under);
    }
    let deleted = objects::delete_keys(&client, &can.bucket().bucket_name, &all, s3.options())
        .await
        .map_err(CoreError::Storage)?;
    for (key, objects) in keys.iter().zip(counts) {
        record(
            db,
            can,
            actor,
            origin,
            "object_deleted",
            json!({ "key": key, "objects": objects }),
        )
        .await?;
    }
    Ok(deleted)
}
