//! Resumable uploads, a chunk at a time: each chunk of the file is one part
//! of an S3 multipart upload, streamed to S3 as it arrives (memory bounded
//! by a few body chunks, whatever the part size), hashed on the way, and
//! checked against what S3 says it stored. The caller keeps the upload's
//! state (which parts landed) so any process can take the next chunk.

use super::*;
use md5::{Digest, Md5};
use sha2::Sha256;

/// Starts a multipart upload for `key`; returns its upload id.
pub async fn start(
    client: &Client,
    bucket: &str,
    key: &str,
    content_type: Option<&str>,
    options: &StorageOptions,
) -> Result<String, ConnectError> {
    let mut create = client.create_multipart_upload().bucket(bucket).key(key);
    if let Some(content_type) = content_type {
        create = create.content_type(content_type);
    }
    let created = create
        .send()
        .await
        .map_err(|e| classify(e, bucket, options))?;
    Ok(created.upload_id().unwrap_or_default().to_owned())
}

/// One part to send: which upload, which number, how many bytes.
pub struct PartTarget<'a> {
    pub client: &'a Client,
    pub bucket: &'a str,
    pub key: &'a str,
    pub upload_id: &'a str,
    pub number: i32,
    /// The part's exact length: a body shorter or longer is refused.
    pub length: u64,
    /// Whether to hash the bytes with SHA-256 too (the sender sent one to check).
    pub sha256: bool,
    pub options: &'a StorageOptions,
}

/// A part S3 stored, checked.
#[derive(Debug, Clone)]
pub struct SentPart {
    /// S3's ETag for the part, without quotes.
    pub etag: String,
    /// The SHA-256 of the bytes that arrived, when it was asked for.
    pub sha256: Option<[u8; 32]>,
}

/// Streams `body` (exactly `target.length` bytes) into S3 as one part. Its
/// MD5 is compared with the ETag S3 answers when that ETag is an MD5 (as
/// for every unencrypted or SSE-S3 object), so a part S3 stored differently
/// is refused. Given up when no data comes for a minute or `stop` fires.
pub async fn send_part<S, E>(
    target: &PartTarget<'_>,
    body: S,
    stop: Option<watch::Receiver<bool>>,
) -> Result<SentPart, UploadError>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    let (chunks, part_body) = part_body();
    let request = target
        .client
        .upload_part()
        .bucket(target.bucket)
        .key(target.key)
        .upload_id(target.upload_id)
        .part_number(target.number)
        .content_length(target.length as i64)
        .body(part_body);
    let (bucket, options) = (target.bucket.to_owned(), *target.options);
    let sending = tokio::spawn(async move {
        request
            .send()
            .await
            .map_err(|e| UploadError::S3(classify(e, &bucket, &options)))
    });
    let mut body = Incoming {
        body,
        total: 0,
        max_size: target.length,
        stop,
    };
    let mut md5 = Md5::new();
    let mut sha256 = target.sha256.then(Sha256::new);
    let pumped = async {
        while let Some(chunk) = body.next().await? {
            md5.update(&chunk);
            if let Some(sha256) = &mut sha256 {
                sha256.update(&chunk);
            }
            if chunks
                .send(Ok(http_body::Frame::data(chunk)))
                .await
                .is_err()
            {
                break; // the part's request gave up: its error says why
            }
        }
        Ok::<(), UploadError>(())
    }
    .await;
    drop(chunks);
    let pumped = pumped.and_then(|()| {
        if body.total == target.length {
            Ok(())
        } else {
            Err(UploadError::CutOff(format!(
                "part {} ended after {} of its {} bytes",
                target.number, body.total, target.length
            )))
        }
    });
    if let Err(error) = pumped {
        sending.abort();
        return Err(match error {
            UploadError::TooLarge(_) => UploadError::CutOff(format!(
                "part {} is longer than its {} bytes",
                target.number, target.length
            )),
            other => other,
        });
    }
    let output = sending
        .await
        .map_err(|e| UploadError::CutOff(e.to_string()))??;
    let etag = output
        .e_tag()
        .unwrap_or_default()
        .trim_matches('"')
        .to_owned();
    let md5 = hex::encode(md5.finalize());
    if is_md5(&etag) && !etag.eq_ignore_ascii_case(&md5) {
        return Err(UploadError::CutOff(format!(
            "the storage service stored part {} with a different checksum than the bytes sent",
            target.number
        )));
    }
    Ok(SentPart {
        etag,
        sha256: sha256.map(|sha256| sha256.finalize().into()),
    })
}

fn is_md5(etag: &str) -> bool {
    etag.len() == 32 && etag.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The ETag S3 gives an object completed from parts with these ETags, when
/// each is an MD5: the MD5 of their bytes, then `-` and their count.
pub fn multipart_etag<'a>(part_etags: impl ExactSizeIterator<Item = &'a str>) -> Option<String> {
    let count = part_etags.len();
    let mut md5 = Md5::new();
    for etag in part_etags {
        if !is_md5(etag) {
            return None;
        }
        md5.update(hex::decode(etag).ok()?);
    }
    Some(format!("{}-{count}", hex::encode(md5.finalize())))
}

/// A part S3 holds: its number, size and ETag (without quotes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPart {
    pub number: i32,
    pub size: u64,
    pub etag: String,
}

/// Every part S3 holds for the upload, in order (as many `ListParts` pages
/// as it takes); `None` when S3 no longer knows the upload (aborted, by a
/// lifecycle rule or by hand).
pub async fn list_parts(
    client: &Client,
    bucket: &str,
    key: &str,
    upload_id: &str,
    options: &StorageOptions,
) -> Result<Option<Vec<StoredPart>>, ConnectError> {
    let mut parts = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let listed = client
            .list_parts()
            .bucket(bucket)
            .key(key)
            .upload_id(upload_id)
            .set_part_number_marker(marker.clone())
            .send()
            .await;
        let page = match listed {
            Ok(page) => page,
            Err(error)
                if error
                    .as_service_error()
                    .and_then(aws_sdk_s3::error::ProvideErrorMetadata::code)
                    == Some("NoSuchUpload") =>
            {
                return Ok(None);
            }
            Err(error) => return Err(classify(error, bucket, options)),
        };
        parts.extend(page.parts().iter().map(|part| {
            StoredPart {
                number: part.part_number().unwrap_or_default(),
                size: part.size().unwrap_or_default().max(0) as u64,
                etag: part
                    .e_tag()
                    .unwrap_or_default()
                    .trim_matches('"')
                    .to_owned(),
            }
        }));
        marker = page.next_part_number_marker().map(str::to_owned);
        if !page.is_truncated().unwrap_or(false) || marker.is_none() {
            break;
        }
    }
    parts.sort_by_key(|p| p.number);
    Ok(Some(parts))
}

/// Completes the upload from its parts (number, ETag), in order; returns the
/// object's ETag.
pub async fn complete(
    client: &Client,
    bucket: &str,
    key: &str,
    upload_id: &str,
    parts: &[(i32, String)],
    options: &StorageOptions,
) -> Result<Option<String>, ConnectError> {
    let parts = parts
        .iter()
        .map(|(number, etag)| {
            CompletedPart::builder()
                .part_number(*number)
                .e_tag(etag)
                .build()
        })
        .collect();
    crate::objects::complete(client, bucket, key, upload_id, parts, options).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_multipart_etag_is_the_md5_of_the_parts_md5s_and_their_count() {
        // two parts "a" and "b": md5("a") = 0cc175b9..., md5("b") = 92eb5ffe...
        let a = hex::encode(Md5::digest(b"a"));
        let b = hex::encode(Md5::digest(b"b"));
        let mut both = Md5::new();
        both.update(Md5::digest(b"a"));
        both.update(Md5::digest(b"b"));
        assert_eq!(
            multipart_etag([a.as_str(), b.as_str()].into_iter()),
            Some(format!("{}-2", hex::encode(both.finalize())))
        );
        assert_eq!(multipart_etag(["not-an-md5"].into_iter()), None);
    }
}
