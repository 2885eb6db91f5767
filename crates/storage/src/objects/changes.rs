//! Changing objects, deleting many and copying one (multipart past 5 GiB).

use super::*;

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
pub(super) const COPY_LIMIT: i64 = 5 * 1024 * 1024 * 1024;
pub(super) const COPY_PART: i64 = 512 * 1024 * 1024;

/// Copies `from` (of `size` bytes, as listed) to `to` in the same bucket;
/// multipart above 5 GB.
pub async fn copy(
    client: &Client,
    bucket: &str,
    from: &str,
    size: i64,
    to: &str,
    options: &StorageOptions,
) -> S3Result<()> {
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
        complete(client, bucket, to, &upload_id, parts, options)
            .await
            .map(|_| ())
    }
    .await;
    if result.is_err() {
        crate::upload::abort(client, bucket, to, &upload_id).await;
    }
    result
}

/// The key, percent-encoded for `x-amz-copy-source` (slashes kept).
pub(super) fn urlencode_path(key: &str) -> String {
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
) -> S3Result<Option<String>> {
    let completed = client
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
    Ok(completed.e_tag().map(|e| e.trim_matches('"').to_owned()))
}
