//! Uploads a chunk at a time (`bdk cp` of a file larger than one chunk):
//! each chunk is its own request, under any proxy's request-size limit; two
//! go at once; one that fails for a passing reason (a dropped connection, a
//! restarting server) is tried again after a pause; and running the same
//! `bdk cp` again after an interruption resumes the upload, because the
//! server recognises the same file (key, size and modification time) and
//! says which chunks it already has. Memory: two chunks (at most 64 MiB each).
//! In a bucket with direct uploads on, each chunk goes straight to the
//! bucket at a presigned URL the server makes for it; a chunk the bucket
//! refused goes through the server on its next try.

use crate::client::Client;
use crate::error::{ERROR, Failure, RATE_LIMITED};
use crate::paths::Target;
use bucketdesk_api_types as api;
use futures::StreamExt;
use sha2::{Digest, Sha256};
use std::path::Path;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncSeekExt};

/// Files above this go in chunks (the server's default chunk size).
pub const THRESHOLD: u64 = 8 * 1024 * 1024;
/// Chunks in flight at once.
const IN_FLIGHT: usize = 2;
/// The pauses before each new try of a chunk that failed for a passing reason.
const RETRY_DELAYS: [u64; 6] = [1, 2, 4, 8, 15, 30];

/// Uploads `from` (of `size` bytes) to the target's key in chunks; returns
/// what was stored.
pub async fn send(
    client: &Client,
    from: &Path,
    size: u64,
    target: &Target,
) -> Result<api::Uploaded, Failure> {
    let modified = std::fs::metadata(from)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_millis() as i64);
    let uploads = format!("{}/uploads", target.api());
    let upload: api::ChunkedUpload = client
        .post(
            &uploads,
            &api::NewChunkedUpload {
                key: target.key.clone(),
                size,
                last_modified: modified,
                content_type: None,
                overwrite: true,
            },
        )
        .await?;
    if !upload.landed.is_empty() {
        eprintln!(
            "{}: resuming, {} of {} chunks were sent before",
            from.display(),
            upload.landed.len(),
            upload.part_count
        );
    }
    let missing: Vec<u32> = (1..=upload.part_count)
        .filter(|n| !upload.landed.contains(n))
        .collect();
    let mut progress = super::copy::Progress::new(Some(size), upload.landed_bytes);
    let mut sending = futures::stream::iter(missing)
        .map(|number| send_chunk(client, from, &uploads, &upload, number))
        .buffer_unordered(IN_FLIGHT);
    while let Some(sent) = sending.next().await {
        progress.add(sent?);
    }
    drop(sending);
    progress.finish();
    client
        .post(
            &format!("{uploads}/{}/complete?overwrite=true", upload.id),
            &serde_json::json!({}),
        )
        .await
}

/// Reads chunk `number` of the file and sends it, trying again after a
/// pause when it fails for a passing reason. Returns its length.
async fn send_chunk(
    client: &Client,
    from: &Path,
    uploads: &str,
    upload: &api::ChunkedUpload,
    number: u32,
) -> Result<u64, Failure> {
    let start = u64::from(number - 1) * upload.part_size;
    let length = upload.part_size.min(upload.size - start);
    let mut file = tokio::fs::File::open(from)
        .await
        .map_err(|e| Failure::error(format!("cannot read {}: {e}", from.display())))?;
    file.seek(std::io::SeekFrom::Start(start))
        .await
        .map_err(|e| Failure::error(e.to_string()))?;
    let mut bytes = vec![0u8; length as usize];
    file.read_exact(&mut bytes).await.map_err(|e| {
        Failure::error(format!("{} changed while it was sent: {e}", from.display()))
    })?;
    let sha256 = hex::encode(Sha256::digest(&bytes));
    let bytes = bytes::Bytes::from(bytes); // each try shares these bytes
    let path = format!("{uploads}/{}/chunks/{number}", upload.id);
    let mut delays = RETRY_DELAYS.iter();
    let mut direct = upload.direct;
    loop {
        let sent = if direct {
            // once refused by the bucket, through the server
            direct = false;
            send_direct(client, &path, bytes.clone()).await
        } else {
            client
                .put_bytes::<api::ChunkedUpload>(&path, bytes.clone(), &sha256)
                .await
                .map(|_| ())
        };
        match sent {
            Ok(()) => return Ok(length),
            Err(failure) if failure.code == ERROR || failure.code == RATE_LIMITED => {
                let Some(delay) = delays.next() else {
                    return Err(Failure::error(format!(
                        "{} (chunk {number} failed {} times; run the same command again to resume)",
                        failure.message,
                        RETRY_DELAYS.len() + 1
                    )));
                };
                eprintln!(
                    "chunk {number}: {}; trying again in {delay} s",
                    failure.message
                );
                tokio::time::sleep(Duration::from_secs(*delay)).await;
            }
            Err(failure) => return Err(failure),
        }
    }
}

/// Sends a chunk straight to the bucket at the URL the server makes for it.
async fn send_direct(client: &Client, chunk: &str, bytes: bytes::Bytes) -> Result<(), Failure> {
    let part: api::PartUrl = client
        .post(&format!("{chunk}/url"), &serde_json::json!({}))
        .await?;
    client.put_presigned(&part.url, bytes).await
}
