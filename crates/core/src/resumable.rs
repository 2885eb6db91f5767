//! Uploads a chunk at a time, which survive request-size limits (a proxy's
//! 100 MB), dropped connections, reloads and other replicas: the browser and
//! the CLI send a file's chunks one request each, every chunk becomes one
//! part of an S3 multipart upload, and the upload's state (the S3 upload id,
//! the file's name, size and last-modified time, and every part that landed
//! with its size and ETag) lives in Postgres. Picking the same file again
//! (same person, bucket, key, size and last-modified time) resumes it.
//!
//! The rules are those of a one-request upload ([`crate::changes::upload`]):
//! the Editor capability and the write scope, a valid key that is free
//! unless replacing, the instance's size limit, and one `file_uploaded`
//! audit event once the file is complete. Only the person who started an
//! upload sees it or sends its chunks. Each part is checked as it lands
//! (its exact size, S3's ETag against the MD5 of the bytes, and the SHA-256
//! the sender announced, when it did); the completed object's size and
//! multipart ETag are checked against the parts.
//!
//! In a bucket with direct uploads on (its CORS rules allow bucketdesk's
//! origin), the browser sends each part straight to S3 with a presigned
//! URL made here for that one part ([`part_url`]), and which parts landed
//! (their sizes and ETags) is asked of S3 with `ListParts`: bucketdesk only
//! starts, lists and completes. A part the browser could not send directly
//! may still come through [`send_chunk`]; S3 holds both kinds alike.

use crate::CoreError;
use crate::actor::{Actor, Origin};
use crate::changes::{EditorOf, check_upload, record_upload};
use crate::s3_clients::S3Clients;
use crate::uploads::Uploads;
use bucketdesk_db::PgPool;
use bucketdesk_db::resumable_uploads::{self as db_uploads, Part, ResumableUpload};
use bucketdesk_domain::Scope;
use bucketdesk_storage::objects;
use bucketdesk_storage::upload::UploadError;
use bucketdesk_storage::upload::chunk::{self, PartTarget};
use bytes::Bytes;
use futures::Stream;
use uuid::Uuid;

const MIB: u64 = 1024 * 1024;
/// The chunk size unless configured.
pub const DEFAULT_CHUNK: u64 = 8 * MIB;
/// Chunks are never larger (each is buffered by nothing, but it is one
/// request a proxy must let through).
pub const MAX_CHUNK: u64 = 64 * MIB;
/// S3 refuses parts smaller than this, except the last.
pub const MIN_CHUNK: u64 = 5 * MIB;
/// S3 allows at most this many parts in one upload.
const MAX_PARTS: u64 = 10_000;
/// How long a presigned part URL works: long enough to send one 64 MiB
/// part on a slow line, short enough that a leaked one is soon worthless.
pub const PART_URL_LIFETIME: std::time::Duration = std::time::Duration::from_secs(15 * 60);

/// A file to upload in chunks.
pub struct NewUpload<'a> {
    pub key: &'a str,
    pub size: u64,
    /// The file's last-modified time as the sender sees it (ms since 1970).
    pub last_modified: i64,
    pub content_type: Option<&'a str>,
    /// Replace a file of that name; else a name that is taken is refused.
    pub overwrite: bool,
    /// The largest file the instance stores.
    pub max_size: u64,
}

/// An upload under way, as its sender sees it.
#[derive(Debug, Clone)]
pub struct UploadState {
    pub id: Uuid,
    pub key: String,
    pub size: u64,
    pub last_modified: i64,
    /// Every chunk is this long, except the last.
    pub part_size: u64,
    pub part_count: u32,
    /// The numbers of the parts that landed, in order.
    pub landed: Vec<u32>,
    /// Their bytes.
    pub landed_bytes: u64,
    /// The parts go straight to the bucket, each with a URL from [`part_url`].
    pub direct: bool,
}

impl UploadState {
    fn of(upload: &ResumableUpload, parts: &[Part]) -> UploadState {
        let (size, part_size) = (upload.size as u64, upload.part_size as u64);
        UploadState {
            id: upload.id,
            key: upload.key.clone(),
            size,
            last_modified: upload.last_modified,
            part_size,
            part_count: size.div_ceil(part_size) as u32,
            landed: parts.iter().map(|p| p.number as u32).collect(),
            landed_bytes: parts.iter().map(|p| p.size as u64).sum(),
            direct: upload.direct,
        }
    }
}

/// The parts of `upload` that landed whole: for a direct upload, as S3
/// lists them (bucketdesk does not see them arrive); else as recorded here.
/// An upload S3 no longer knows (a lifecycle rule or someone aborted it) is
/// forgotten here too: `None`.
async fn landed_parts(
    s3: &S3Clients,
    db: &PgPool,
    can: &EditorOf<'_>,
    upload: &ResumableUpload,
) -> Result<Option<Vec<Part>>, CoreError> {
    if !upload.direct {
        return Ok(Some(db_uploads::parts(db, upload.id).await?));
    }
    let client = s3.client(&can.at(&upload.key)?).await?;
    let stored = chunk::list_parts(
        &client,
        &can.bucket().bucket_name,
        &upload.key,
        &upload.s3_upload_id,
        s3.options(),
    )
    .await
    .map_err(CoreError::Storage)?;
    let Some(stored) = stored else {
        db_uploads::delete(db, upload.id).await?;
        return Ok(None);
    };
    Ok(Some(
        stored
            .into_iter()
            .filter(|part| part_length(upload, part.number as u32) == Some(part.size))
            .map(|part| Part {
                number: part.number,
                size: part.size as i64,
                etag: part.etag,
            })
            .collect(),
    ))
}

/// The parts of an upload that must still be under way.
async fn parts_still_under_way(
    s3: &S3Clients,
    db: &PgPool,
    can: &EditorOf<'_>,
    upload: &ResumableUpload,
) -> Result<Vec<Part>, CoreError> {
    landed_parts(s3, db, can, upload).await?.ok_or_else(|| {
        CoreError::invalid(
            "upload",
            "gone",
            "The storage service discarded this upload (a lifecycle rule, or someone aborted it): start it again.",
        )
    })
}

/// The part size for a file of `size` bytes: the configured chunk, raised
/// (to whole MiB) when the file needs more than 10,000 parts; `None` when
/// even 64 MiB chunks are not enough (above 625 GiB).
pub fn part_size(chunk: u64, size: u64) -> Option<u64> {
    let part = chunk.max(size.div_ceil(MAX_PARTS).next_multiple_of(MIB));
    (part <= MAX_CHUNK).then_some(part)
}

/// The length of part `number` (from 1) of `upload`; `None` past its end.
fn part_length(upload: &ResumableUpload, number: u32) -> Option<u64> {
    let (size, part) = (upload.size as u64, upload.part_size as u64);
    let count = size.div_ceil(part);
    (number >= 1 && u64::from(number) <= count)
        .then(|| part.min(size - (u64::from(number) - 1) * part))
}

/// Starts uploading a file in chunks, or resumes the upload of the same
/// file (same key, size and last-modified time) the actor left unfinished
/// in this bucket.
pub async fn start(
    s3: &S3Clients,
    db: &PgPool,
    uploads: &Uploads,
    can: &EditorOf<'_>,
    actor: &Actor,
    new: NewUpload<'_>,
) -> Result<UploadState, CoreError> {
    can.may(Scope::Write)?;
    if new.size == 0 {
        return Err(CoreError::invalid(
            "size",
            "empty",
            "An empty file is uploaded in one request, not in chunks.",
        ));
    }
    if new.size > new.max_size {
        return Err(CoreError::TooLarge {
            limit: new.max_size,
        });
    }
    let bucket = can.bucket().bucket_id();
    for upload in db_uploads::of_user(db, bucket, actor.user.id).await? {
        if upload.key == new.key
            && upload.size as u64 == new.size
            && upload.last_modified == new.last_modified
            // one S3 discarded is forgotten: this file starts afresh
            && let Some(parts) = landed_parts(s3, db, can, &upload).await?
        {
            return Ok(UploadState::of(&upload, &parts));
        }
    }
    let Some(part_size) = part_size(uploads.chunk_size, new.size) else {
        return Err(CoreError::invalid(
            "size",
            "too_many_chunks",
            "Files above 625 GiB cannot be sent in chunks: upload it with the command-line client's one-request upload.",
        ));
    };
    check_upload(s3, can, new.key, new.overwrite).await?;
    let client = s3.client(&can.at(new.key)?).await?;
    let s3_upload_id = chunk::start(
        &client,
        &can.bucket().bucket_name,
        new.key,
        new.content_type,
        s3.options(),
    )
    .await
    .map_err(CoreError::Storage)?;
    let upload = ResumableUpload {
        id: Uuid::new_v4(),
        bucket_id: bucket.0,
        user_id: actor.user.id,
        key: new.key.to_owned(),
        s3_upload_id,
        size: new.size as i64,
        last_modified: new.last_modified,
        part_size: part_size as i64,
        content_type: new.content_type.map(str::to_owned),
        overwrite: new.overwrite,
        direct: can.bucket().direct_uploads,
        started_at: time::OffsetDateTime::now_utc(),
        completed_at: None,
    };
    if !db_uploads::insert(db, &upload).await? {
        // the same file was started alongside (another tab, a double click):
        // this S3 upload goes, and both resume the one written down
        let aborted = bucketdesk_storage::upload::abort(
            &client,
            &can.bucket().bucket_name,
            new.key,
            &upload.s3_upload_id,
        )
        .await;
        if !aborted {
            // the hourly clean-up tries again
            bucketdesk_db::uploads::started(db, bucket, new.key, &upload.s3_upload_id).await?;
        }
        for other in db_uploads::of_user(db, bucket, actor.user.id).await? {
            if other.key == new.key
                && other.size as u64 == new.size
                && other.last_modified == new.last_modified
            {
                let parts = parts_still_under_way(s3, db, can, &other).await?;
                return Ok(UploadState::of(&other, &parts));
            }
        }
        return Err(CoreError::Internal(
            "an upload of the same file was under way, then was not".into(),
        ));
    }
    Ok(UploadState::of(&upload, &[]))
}

/// The actor's unfinished uploads in this bucket, oldest first.
pub async fn unfinished(
    s3: &S3Clients,
    db: &PgPool,
    can: &EditorOf<'_>,
    actor: &Actor,
) -> Result<Vec<UploadState>, CoreError> {
    can.may(Scope::Write)?;
    let mut states = Vec::new();
    for upload in db_uploads::of_user(db, can.bucket().bucket_id(), actor.user.id).await? {
        // one S3 discarded is forgotten, not listed
        if let Some(parts) = landed_parts(s3, db, can, &upload).await? {
            states.push(UploadState::of(&upload, &parts));
        }
    }
    Ok(states)
}

/// The actor's upload `id` under way (a completed one is not).
async fn find(
    db: &PgPool,
    can: &EditorOf<'_>,
    actor: &Actor,
    id: Uuid,
) -> Result<ResumableUpload, CoreError> {
    find_any(db, can, actor, id)
        .await?
        .filter(|upload| upload.completed_at.is_none())
        .ok_or(CoreError::NotFound)
}

/// The actor's upload `id`, completed or not.
async fn find_any(
    db: &PgPool,
    can: &EditorOf<'_>,
    actor: &Actor,
    id: Uuid,
) -> Result<Option<ResumableUpload>, CoreError> {
    can.may(Scope::Write)?;
    Ok(db_uploads::find(db, can.bucket().bucket_id(), actor.user.id, id).await?)
}

/// Where upload `id` stands: which parts landed.
pub async fn state(
    s3: &S3Clients,
    db: &PgPool,
    can: &EditorOf<'_>,
    actor: &Actor,
    id: Uuid,
) -> Result<UploadState, CoreError> {
    let upload = find(db, can, actor, id).await?;
    let parts = parts_still_under_way(s3, db, can, &upload).await?;
    Ok(UploadState::of(&upload, &parts))
}

/// Where to send part `number` of a direct upload: a presigned `UploadPart`
/// URL for exactly that part of that upload and its exact length, working for
/// [`PART_URL_LIFETIME`], made for the person who started it.
#[derive(Debug, Clone)]
pub struct PartUrl {
    pub url: String,
    /// The part's exact length.
    pub length: u64,
    pub expires_in: std::time::Duration,
}

/// A presigned URL to send part `number` of direct upload `id` straight to
/// the bucket.
pub async fn part_url(
    s3: &S3Clients,
    db: &PgPool,
    can: &EditorOf<'_>,
    actor: &Actor,
    id: Uuid,
    number: u32,
) -> Result<PartUrl, CoreError> {
    let upload = find(db, can, actor, id).await?;
    // direct uploads turned off since it started: the rest goes through bucketdesk
    if !upload.direct || !can.bucket().direct_uploads {
        return Err(CoreError::invalid(
            "upload",
            "not_direct",
            "This upload goes through bucketdesk: send its chunks there.",
        ));
    }
    let length = part_length(&upload, number).ok_or_else(|| no_such_part(&upload, number))?;
    // the parts arrive where bucketdesk does not see them: the upload is alive
    db_uploads::touch(db, upload.id).await?;
    let at = can.at(&upload.key)?;
    let lifetime = s3.presign_lifetime(&at, PART_URL_LIFETIME).await?;
    let presigner = s3.presigner(&at).await?;
    let url = objects::presign_upload_part(
        &presigner,
        &can.bucket().bucket_name,
        &upload.key,
        &upload.s3_upload_id,
        number as i32,
        length,
        lifetime,
    )
    .await
    .map_err(CoreError::Storage)?;
    Ok(PartUrl {
        url,
        length,
        expires_in: lifetime,
    })
}

fn no_such_part(upload: &ResumableUpload, number: u32) -> CoreError {
    CoreError::invalid(
        "part",
        "no_such_part",
        format!(
            "This upload has {} chunks; there is no chunk {number}.",
            (upload.size as u64).div_ceil(upload.part_size as u64),
        ),
    )
}

/// One chunk that arrives.
pub struct Chunk<S> {
    /// Its part number, from 1.
    pub number: u32,
    /// The length its request announced, when it did.
    pub declared_length: Option<u64>,
    /// The SHA-256 its sender computed, when it did.
    pub sha256: Option<[u8; 32]>,
    pub body: S,
}

/// Streams one chunk into its part. A part sent again replaces the first
/// (the sender may not have heard that it landed): it counts as not landed
/// until the new one is checked. Returns the upload's state after it.
#[allow(clippy::too_many_arguments)]
pub async fn send_chunk<S, E>(
    s3: &S3Clients,
    db: &PgPool,
    uploads: &Uploads,
    can: &EditorOf<'_>,
    actor: &Actor,
    id: Uuid,
    chunk: Chunk<S>,
) -> Result<UploadState, CoreError>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    let upload = find(db, can, actor, id).await?;
    let Some(length) = part_length(&upload, chunk.number) else {
        return Err(no_such_part(&upload, chunk.number));
    };
    if let Some(declared) = chunk.declared_length
        && declared != length
    {
        return Err(CoreError::invalid(
            "part",
            "wrong_length",
            format!(
                "Chunk {} of this upload is {length} bytes, not {declared}.",
                chunk.number
            ),
        ));
    }
    let client = s3.client(&can.at(&upload.key)?).await?;
    // a part sent again replaces the stored one in S3 as it arrives
    db_uploads::forget_part(db, upload.id, chunk.number as i32).await?;
    let target = PartTarget {
        client: &client,
        bucket: &can.bucket().bucket_name,
        key: &upload.key,
        upload_id: &upload.s3_upload_id,
        number: chunk.number as i32,
        length,
        sha256: chunk.sha256.is_some(),
        options: s3.options(),
    };
    let sent = match chunk::send_part(&target, chunk.body, Some(uploads.stop_signal())).await {
        Ok(sent) => sent,
        Err(e @ (UploadError::CutOff(_) | UploadError::TooLarge(_))) => {
            return Err(CoreError::invalid("body", "cut_off", e.to_string()));
        }
        Err(UploadError::S3(problem)) => return Err(CoreError::Storage(problem)),
    };
    if let Some(announced) = chunk.sha256
        && Some(announced) != sent.sha256
    {
        return Err(CoreError::invalid(
            "body",
            "damaged",
            format!(
                "Chunk {} arrived damaged (its SHA-256 differs from the one sent with it); send it again.",
                chunk.number
            ),
        ));
    }
    let part = Part {
        number: chunk.number as i32,
        size: length as i64,
        etag: sent.etag,
    };
    db_uploads::part_landed(db, upload.id, &part).await?;
    let parts = parts_still_under_way(s3, db, can, &upload).await?;
    Ok(UploadState::of(&upload, &parts))
}

/// Completes upload `id` once every chunk landed: the parts are joined into
/// the object, checked (size, multipart ETag) and recorded as
/// `file_uploaded`. `overwrite` replaces a file that appeared meanwhile.
/// Completing again (the first answer was lost) answers the same, for an
/// hour, without joining or recording anything again.
pub async fn complete(
    s3: &S3Clients,
    db: &PgPool,
    can: &EditorOf<'_>,
    actor: &Actor,
    origin: &Origin,
    id: Uuid,
    overwrite: bool,
) -> Result<Completed, CoreError> {
    let upload = find_any(db, can, actor, id)
        .await?
        .ok_or(CoreError::NotFound)?;
    if upload.completed_at.is_some() {
        return Ok(Completed {
            key: upload.key,
            size: upload.size as u64,
        });
    }
    let parts = parts_still_under_way(s3, db, can, &upload).await?;
    let count = (upload.size as u64).div_ceil(upload.part_size as u64) as u32;
    let missing: Vec<String> = (1..=count)
        .filter(|n| {
            !parts
                .iter()
                .any(|p| p.number as u32 == *n && Some(p.size as u64) == part_length(&upload, *n))
        })
        .map(|n| n.to_string())
        .collect();
    if !missing.is_empty() {
        let shown: Vec<&str> = missing.iter().take(10).map(String::as_str).collect();
        return Err(CoreError::invalid(
            "parts",
            "missing",
            format!(
                "{} of {count} chunks have not arrived yet (chunk {}{}).",
                missing.len(),
                shown.join(", "),
                if missing.len() > shown.len() {
                    ", …"
                } else {
                    ""
                }
            ),
        ));
    }
    check_upload(s3, can, &upload.key, upload.overwrite || overwrite).await?;
    let client = s3.client(&can.at(&upload.key)?).await?;
    let bucket_name = &can.bucket().bucket_name;
    let numbered: Vec<(i32, String)> = parts.iter().map(|p| (p.number, p.etag.clone())).collect();
    let etag = chunk::complete(
        &client,
        bucket_name,
        &upload.key,
        &upload.s3_upload_id,
        &numbered,
        s3.options(),
    )
    .await
    .map_err(CoreError::Storage)?;
    let stored = objects::details(&client, bucket_name, &upload.key, s3.options())
        .await
        .map_err(CoreError::Storage)?;
    let expected_etag = chunk::multipart_etag(parts.iter().map(|p| p.etag.as_str()));
    let etag_differs = match (&etag, &expected_etag) {
        // only a multipart ETag can be compared (some services answer another kind)
        (Some(etag), Some(expected)) if etag.contains('-') => etag != expected,
        _ => false,
    };
    if stored.size != upload.size || etag_differs {
        return Err(CoreError::Internal(format!(
            "the object {} completed as {} bytes (ETag {etag:?}), not the {} bytes (ETag {expected_etag:?}) of its parts",
            upload.key, stored.size, upload.size
        )));
    }
    record_upload(db, can, actor, origin, &upload.key, upload.size as u64).await?;
    db_uploads::completed(db, upload.id).await?;
    Ok(Completed {
        key: upload.key,
        size: upload.size as u64,
    })
}

/// A file whose chunks were joined.
#[derive(Debug, Clone)]
pub struct Completed {
    pub key: String,
    pub size: u64,
}

/// Gives up upload `id`: its parts are discarded in S3 and here.
pub async fn abort(
    s3: &S3Clients,
    db: &PgPool,
    can: &EditorOf<'_>,
    actor: &Actor,
    id: Uuid,
) -> Result<(), CoreError> {
    let upload = find(db, can, actor, id).await?;
    let client = s3.client(&can.at(&upload.key)?).await?;
    let aborted = bucketdesk_storage::upload::abort(
        &client,
        &can.bucket().bucket_name,
        &upload.key,
        &upload.s3_upload_id,
    )
    .await;
    if !aborted {
        // the hourly clean-up tries again
        bucketdesk_db::uploads::started(
            db,
            can.bucket().bucket_id(),
            &upload.key,
            &upload.s3_upload_id,
        )
        .await?;
    }
    db_uploads::delete(db, upload.id).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_are_the_chunk_size_until_a_file_needs_more_than_ten_thousand() {
        assert_eq!(part_size(DEFAULT_CHUNK, 1 << 30), Some(DEFAULT_CHUNK));
        // 100 GiB in 8 MiB parts would be 12,800 parts: 11 MiB parts instead
        let size = 100u64 << 30;
        let part = part_size(DEFAULT_CHUNK, size).unwrap();
        assert_eq!(part, 11 * MIB);
        assert!(size.div_ceil(part) <= MAX_PARTS);
        assert_eq!(part_size(DEFAULT_CHUNK, 625 << 30), Some(MAX_CHUNK));
        assert_eq!(part_size(DEFAULT_CHUNK, (625 << 30) + 1), None);
    }
}
