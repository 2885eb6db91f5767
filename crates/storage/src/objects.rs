//! Working with a bucket's objects: one page of a folder, an object's
//! details, presigned links, reading the start of a file, folders, renames
//! and deletes (uploads are in `upload`). Each function makes as few S3 calls as it
//! can: listing a page is exactly one ListObjectsV2.

use crate::StorageOptions;
use crate::probe::{ConnectError, classify};
use aws_sdk_s3::Client;
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart, Delete, ObjectIdentifier};
use bytes::Bytes;
use futures::Stream;
use std::time::Duration;
use time::OffsetDateTime;

pub type S3Result<T> = Result<T, ConnectError>;

/// One page of a folder: its sub-folders, its files, and the token of the next page.
#[derive(Debug, Clone, Default)]
pub struct Listing {
    /// Full prefixes, ending in `/`.
    pub folders: Vec<String>,
    pub files: Vec<Entry>,
    pub next_token: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Entry {
    pub key: String,
    pub size: i64,
    pub last_modified: Option<OffsetDateTime>,
}

fn to_time(t: Option<&aws_sdk_s3::primitives::DateTime>) -> Option<OffsetDateTime> {
    t.and_then(|t| OffsetDateTime::from_unix_timestamp(t.secs()).ok())
}

/// One page of the folder `prefix` (one ListObjectsV2 call).
pub async fn list_page(
    client: &Client,
    bucket: &str,
    prefix: &str,
    token: Option<&str>,
    page_size: i32,
    options: &StorageOptions,
) -> S3Result<Listing> {
    let mut request = client
        .list_objects_v2()
        .bucket(bucket)
        .delimiter("/")
        .max_keys(page_size);
    if !prefix.is_empty() {
        request = request.prefix(prefix);
    }
    if let Some(token) = token {
        request = request.continuation_token(token);
    }
    let output = request
        .send()
        .await
        .map_err(|e| match classify(e, bucket, options) {
            // services answer a bad continuation token in different ways
            ConnectError::NotS3 | ConnectError::Other(_) if token.is_some() => {
                ConnectError::BadPageToken
            }
            other => other,
        })?;
    let folders = output
        .common_prefixes()
        .iter()
        .filter_map(|p| p.prefix().map(str::to_owned))
        .collect();
    let files = output
        .contents()
        .iter()
        .filter_map(|o| {
            let key = o.key()?;
            // the folder's own marker object ("photos/") is not a file in it
            // (only a folder's own marker: with a "starts with" filter the
            // prefix is not a folder, and an exact match is a real file)
            (!(prefix.ends_with('/') && key == prefix)).then(|| Entry {
                key: key.to_owned(),
                size: o.size().unwrap_or(0),
                last_modified: to_time(o.last_modified()),
            })
        })
        .collect();
    let next_token = output
        .next_continuation_token()
        .filter(|_| output.is_truncated() == Some(true))
        .map(str::to_owned);
    Ok(Listing {
        folders,
        files,
        next_token,
    })
}

#[derive(Debug, Clone)]
pub struct Details {
    pub key: String,
    pub size: i64,
    pub content_type: Option<String>,
    pub last_modified: Option<OffsetDateTime>,
    pub etag: Option<String>,
    pub metadata: Vec<(String, String)>,
}

/// An object's details (one HeadObject).
pub async fn details(
    client: &Client,
    bucket: &str,
    key: &str,
    options: &StorageOptions,
) -> S3Result<Details> {
    match client.head_object().bucket(bucket).key(key).send().await {
        Ok(o) => {
            let mut metadata: Vec<(String, String)> = o
                .metadata()
                .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                .unwrap_or_default();
            metadata.sort();
            Ok(Details {
                key: key.to_owned(),
                size: o.content_length().unwrap_or(0),
                content_type: o.content_type().map(str::to_owned),
                last_modified: to_time(o.last_modified()),
                etag: o.e_tag().map(|e| e.trim_matches('"').to_owned()),
                metadata,
            })
        }
        Err(e) if e.raw_response().is_some_and(|r| r.status().as_u16() == 404) => {
            Err(ConnectError::NoSuchKey(key.to_owned()))
        }
        Err(e) => Err(classify(e, bucket, options)),
    }
}

/// Whether an object exists under exactly this key.
pub async fn exists(
    client: &Client,
    bucket: &str,
    key: &str,
    options: &StorageOptions,
) -> S3Result<bool> {
    match details(client, bucket, key, options).await {
        Ok(_) => Ok(true),
        Err(ConnectError::NoSuchKey(_)) => Ok(false),
        Err(e) => Err(e),
    }
}

/// A presigned GET, valid for `expires` (S15: 15 minutes by default, never
/// over 7 days), that answers with the given disposition (and content type).
pub async fn presign_get(
    client: &Client,
    bucket: &str,
    key: &str,
    expires: Duration,
    disposition: &str,
    content_type: Option<&str>,
) -> S3Result<String> {
    let config = PresigningConfig::expires_in(expires.min(Duration::from_secs(604_800)))
        .map_err(|e| ConnectError::Other(e.to_string()))?;
    let mut request = client
        .get_object()
        .bucket(bucket)
        .key(key)
        .response_content_disposition(disposition);
    if let Some(content_type) = content_type {
        request = request.response_content_type(content_type);
    }
    let presigned = request
        .presigned(config)
        .await
        .map_err(|e| ConnectError::Other(e.to_string()))?;
    Ok(presigned.uri().to_owned())
}

/// A presigned PUT of `key`, valid for `expires` (never over 7 days): whoever
/// holds it may upload that one object until then.
pub async fn presign_put(
    client: &Client,
    bucket: &str,
    key: &str,
    expires: Duration,
) -> S3Result<String> {
    let config = PresigningConfig::expires_in(expires.min(Duration::from_secs(604_800)))
        .map_err(|e| ConnectError::Other(e.to_string()))?;
    let presigned = client
        .put_object()
        .bucket(bucket)
        .key(key)
        .presigned(config)
        .await
        .map_err(|e| ConnectError::Other(e.to_string()))?;
    Ok(presigned.uri().to_owned())
}

/// The first `max` bytes of an object (one ranged GET).
pub async fn read_start(
    client: &Client,
    bucket: &str,
    key: &str,
    max: u64,
    options: &StorageOptions,
) -> S3Result<Vec<u8>> {
    let output = client
        .get_object()
        .bucket(bucket)
        .key(key)
        .range(format!("bytes=0-{}", max.saturating_sub(1)))
        .send()
        .await
        .map_err(|e| classify(e, bucket, options))?;
    let mut bytes = Vec::new();
    let mut body = output.body;
    while let Some(chunk) = body
        .try_next()
        .await
        .map_err(|e| ConnectError::Other(e.to_string()))?
    {
        bytes.extend_from_slice(&chunk);
        if bytes.len() as u64 >= max {
            bytes.truncate(max as usize);
            break;
        }
    }
    Ok(bytes)
}

/// The object's bytes as a stream, with their length (downloads that must go
/// through bucketdesk).
pub async fn open(
    client: &Client,
    bucket: &str,
    key: &str,
    options: &StorageOptions,
) -> S3Result<(
    impl Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static,
    Option<i64>,
)> {
    let output = client
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .map_err(|e| classify(e, bucket, options))?;
    let length = output.content_length();
    let stream = futures::stream::unfold(output.body, |mut body| async move {
        match body.try_next().await {
            Ok(Some(chunk)) => Some((Ok(chunk), body)),
            Ok(None) => None,
            Err(e) => Some((Err(std::io::Error::other(e.to_string())), body)),
        }
    });
    Ok((stream, length))
}

/// Creates an (empty) folder marker `prefix`, which ends in `/`.
pub async fn create_folder(
    client: &Client,
    bucket: &str,
    prefix: &str,
    options: &StorageOptions,
) -> S3Result<()> {
    client
        .put_object()
        .bucket(bucket)
        .key(prefix)
        .body(ByteStream::from_static(b""))
        .send()
        .await
        .map_err(|e| classify(e, bucket, options))?;
    Ok(())
}

/// Every key under `prefix` (all pages), for renaming or deleting a folder.
pub async fn all_keys(
    client: &Client,
    bucket: &str,
    prefix: &str,
    options: &StorageOptions,
) -> S3Result<Vec<String>> {
    keys_up_to(client, bucket, prefix, usize::MAX, options).await
}

/// The keys under `prefix`, in order, listing no further once more than
/// `max` are known (so a caller with a limit can tell "too many" without
/// listing a folder of millions).
pub async fn keys_up_to(
    client: &Client,
    bucket: &str,
    prefix: &str,
    max: usize,
    options: &StorageOptions,
) -> S3Result<Vec<String>> {
    let mut keys = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut request = client.list_objects_v2().bucket(bucket).prefix(prefix);
        if let Some(t) = &token {
            request = request.continuation_token(t);
        }
        let output = request
            .send()
            .await
            .map_err(|e| classify(e, bucket, options))?;
        keys.extend(
            output
                .contents()
                .iter()
                .filter_map(|o| o.key().map(str::to_owned)),
        );
        if keys.len() > max {
            return Ok(keys);
        }
        match output.next_continuation_token() {
            Some(next) if output.is_truncated() == Some(true) => token = Some(next.to_owned()),
            _ => return Ok(keys),
        }
    }
}

/// Deletes the keys, 1000 per DeleteObjects call. Returns how many went.
pub async fn delete_keys(
    client: &Client,
    bucket: &str,
    keys: &[String],
    options: &StorageOptions,
) -> S3Result<usize> {
    let mut deleted = 0;
    for batch in keys.chunks(1000) {
        let objects: Vec<ObjectIdentifier> = batch
            .iter()
            .filter_map(|k| ObjectIdentifier::builder().key(k).build().ok())
            .collect();
        let delete = Delete::builder()
            .set_objects(Some(objects))
            .quiet(true)
            .build()
            .map_err(|e| ConnectError::Other(e.to_string()))?;
        let output = client
            .delete_objects()
            .bucket(bucket)
            .delete(delete)
            .send()
            .await
            .map_err(|e| classify(e, bucket, options))?;
        if let Some(error) = output.errors().first() {
            return Err(ConnectError::Other(format!(
                "{} could not be deleted: {}",
                error.key().unwrap_or("an object"),
                error.message().unwrap_or("no reason given")
            )));
        }
        deleted += batch.len();
    }
    Ok(deleted)
}

/// Objects at least this large are copied part by part (S3's CopyObject limit).
const COPY_LIMIT: i64 = 5 * 1024 * 1024 * 1024;
const COPY_PART: i64 = 512 * 1024 * 1024;

/// Copies `from` to `to` in the same bucket; multipart above 5 GB.
pub async fn copy(
    client: &Client,
    bucket: &str,
    from: &str,
    to: &str,
    options: &StorageOptions,
) -> S3Result<()> {
    let size = details(client, bucket, from, options).await?.size;
    let source = format!("{bucket}/{}", urlencode_path(from));
    if size < COPY_LIMIT {
        client
            .copy_object()
            .bucket(bucket)
            .key(to)
            .copy_source(source)
            .send()
            .await
            .map_err(|e| classify(e, bucket, options))?;
        return Ok(());
    }
    let upload = client
        .create_multipart_upload()
        .bucket(bucket)
        .key(to)
        .send()
        .await
        .map_err(|e| classify(e, bucket, options))?;
    let upload_id = upload.upload_id().unwrap_or_default().to_owned();
    let result = async {
        let mut parts = Vec::new();
        let mut start = 0;
        let mut number = 1;
        while start < size {
            let end = (start + COPY_PART).min(size) - 1;
            let part = client
                .upload_part_copy()
                .bucket(bucket)
                .key(to)
                .upload_id(&upload_id)
                .part_number(number)
                .copy_source(&source)
                .copy_source_range(format!("bytes={start}-{end}"))
                .send()
                .await
                .map_err(|e| classify(e, bucket, options))?;
            let etag = part
                .copy_part_result()
                .and_then(|r| r.e_tag())
                .unwrap_or_default()
                .to_owned();
            parts.push(
                CompletedPart::builder()
                    .part_number(number)
                    .e_tag(etag)
                    .build(),
            );
            start = end + 1;
            number += 1;
        }
        complete(client, bucket, to, &upload_id, parts, options).await
    }
    .await;
    if result.is_err() {
        crate::upload::abort(client, bucket, to, &upload_id).await;
    }
    result
}

/// The key, percent-encoded for `x-amz-copy-source` (slashes kept).
fn urlencode_path(key: &str) -> String {
    let mut out = String::new();
    for byte in key.as_bytes() {
        let c = *byte as char;
        if c.is_ascii_alphanumeric() || "-_.~/".contains(c) {
            out.push(c);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

pub(crate) async fn complete(
    client: &Client,
    bucket: &str,
    key: &str,
    upload_id: &str,
    parts: Vec<CompletedPart>,
    options: &StorageOptions,
) -> S3Result<()> {
    client
        .complete_multipart_upload()
        .bucket(bucket)
        .key(key)
        .upload_id(upload_id)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .set_parts(Some(parts))
                .build(),
        )
        .send()
        .await
        .map_err(|e| classify(e, bucket, options))?;
    Ok(())
}
