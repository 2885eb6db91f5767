//! Working with a bucket's objects: one page of a folder, an object's
//! details, presigned links, reading the start of a file, folders, renames
//! and deletes (uploads are in `upload`). Each function makes as few S3 calls as it
//! can: listing a page is exactly one ListObjectsV2.

mod changes;
mod presigned;
mod reading;

use crate::StorageOptions;
use crate::probe::{ConnectError, classify};
use aws_sdk_s3::Client;
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart, Delete, ObjectIdentifier};
use bytes::Bytes;
pub use changes::*;
use futures::Stream;
pub use presigned::*;
pub use reading::*;
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
    /// `STANDARD` when S3 names none (it leaves the default out).
    pub storage_class: String,
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
                storage_class: o
                    .storage_class()
                    .map_or("STANDARD", |class| class.as_str())
                    .to_owned(),
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
    let entries = entries_up_to(client, bucket, prefix, max, options).await?;
    Ok(entries.into_iter().map(|entry| entry.key).collect())
}

/// The objects under `prefix` with their size and time, in key order,
/// listing no further once more than `max` are known.
pub async fn entries_up_to(
    client: &Client,
    bucket: &str,
    prefix: &str,
    max: usize,
    options: &StorageOptions,
) -> S3Result<Vec<Entry>> {
    let mut entries = Vec::new();
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
        entries.extend(output.contents().iter().filter_map(|o| {
            Some(Entry {
                key: o.key()?.to_owned(),
                size: o.size().unwrap_or(0),
                last_modified: to_time(o.last_modified()),
            })
        }));
        if entries.len() > max {
            return Ok(entries);
        }
        match output.next_continuation_token() {
            Some(next) if output.is_truncated() == Some(true) => token = Some(next.to_owned()),
            _ => return Ok(entries),
        }
    }
}
