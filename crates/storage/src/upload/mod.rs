//! Uploads that stream a request body into an object, with memory bounded by
//! what arrived, never by what the client declared (R1, R9), and nothing
//! left half-written when they fail, are cut off or the server stops (R2, R8).
//!
//! - A body whose length is declared and above one part is sent as a
//!   multipart upload of *streamed* parts: each part's bytes pass through a
//!   small channel on their way to S3, so a body declaring 5 TiB costs the
//!   same memory as one declaring 10 MiB. (Its part size comes from the
//!   declared length, so 10,000 parts reach it; a body that ends early fails
//!   its part and the upload is aborted.)
//! - A body of unknown length (chunked), or one part at most, is buffered
//!   part by part: 8 MiB parts, growing only with the bytes that actually
//!   arrived (×2 every 1,000 parts, up to 64 MiB). Every buffered part takes
//!   its size from one [`UploadBudget`] for the whole process first, so the
//!   total buffered for uploads never exceeds it: further uploads wait.
//! - Every multipart upload is written to an [`UploadJournal`] when it
//!   starts and when it ends, so one abandoned by a crash can be aborted later.

mod buffered;
pub mod chunk;
mod multipart;
mod streamed;

use crate::StorageOptions;
use crate::probe::{ConnectError, classify};
use async_trait::async_trait;
use aws_sdk_s3::Client;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::CompletedPart;
use bytes::{Bytes, BytesMut};
use futures::{Stream, StreamExt};
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, watch};
use tokio::task::JoinHandle;

const MIB: u64 = 1024 * 1024;
/// The first parts, and the most one PutObject carries.
pub const PART: u64 = 8 * MIB;
/// S3 allows at most this many parts in one multipart upload...
pub const MAX_PARTS: u64 = 10_000;
/// ...each at most 5 GiB.
const MAX_PART: u64 = 5 * 1024 * MIB;
/// Buffered parts never grow past this.
pub const MAX_BUFFERED_PART: u64 = 64 * MIB;
/// Parts sent or being filled at once, per upload.
const IN_FLIGHT: usize = 2;
/// Body chunks waiting on their way into a streamed part.
const STREAM_CHUNKS: usize = 8;
/// An upload that sends nothing for this long is given up (and aborted).
pub const UPLOAD_IDLE: Duration = Duration::from_secs(60);

/// The bytes every buffered upload part of the process may hold together.
#[derive(Clone)]
pub struct UploadBudget {
    mib: Arc<Semaphore>,
    total_mib: u32,
}

impl UploadBudget {
    /// A budget of `bytes` (rounded down to MiB, at least one buffered part).
    pub fn new(bytes: u64) -> UploadBudget {
        let total_mib = (bytes / MIB).max(MAX_BUFFERED_PART / MIB) as u32;
        UploadBudget {
            mib: Arc::new(Semaphore::new(total_mib as usize)),
            total_mib,
        }
    }

    /// Waits until `bytes` may be buffered; they count until the permit drops.
    async fn take(&self, bytes: u64) -> OwnedSemaphorePermit {
        let mib = (bytes.div_ceil(MIB) as u32).clamp(1, self.total_mib);
        self.mib
            .clone()
            .acquire_many_owned(mib)
            .await
            .expect("the budget's semaphore is never closed")
    }

    /// MiB not taken right now (for tests and metrics).
    pub fn available_mib(&self) -> usize {
        self.mib.available_permits()
    }
}

/// Where multipart uploads are written down while they run: one that is
/// never ended (the process was killed) is aborted later by whoever reads
/// the journal. Failures to write are the journal's to log.
#[async_trait]
pub trait UploadJournal: Send + Sync {
    async fn started(&self, key: &str, upload_id: &str);
    async fn ended(&self, upload_id: &str);
}

/// A journal that keeps nothing (tools and tests).
pub struct NoJournal;

#[async_trait]
impl UploadJournal for NoJournal {
    async fn started(&self, _key: &str, _upload_id: &str) {}
    async fn ended(&self, _upload_id: &str) {}
}

/// One object to store.
pub struct Target<'a> {
    pub client: &'a Client,
    pub bucket: &'a str,
    pub key: &'a str,
    pub content_type: Option<&'a str>,
    /// The largest size allowed.
    pub max_size: u64,
    pub options: &'a StorageOptions,
}

/// How an upload goes: the body's declared length, the process's budget
/// and journal, and a signal that cuts it (the server is stopping).
pub struct Conditions<'a> {
    pub declared_length: Option<u64>,
    pub budget: &'a UploadBudget,
    pub journal: &'a dyn UploadJournal,
    pub stop: Option<watch::Receiver<bool>>,
}

#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    #[error("The upload stopped before it was complete ({0}). Nothing was saved; try again.")]
    CutOff(String),
    #[error("The file is larger than the {0} bytes allowed. Nothing was saved.")]
    TooLarge(u64),
    #[error("{0}")]
    S3(#[from] ConnectError),
}

/// Streams `body` into the target: one PutObject when it fits in one part,
/// else a multipart upload that is aborted on any failure or cut-off (R2),
/// so nothing is left half-written. Returns the number of bytes stored.
pub async fn upload<S, E>(
    target: &Target<'_>,
    body: S,
    conditions: Conditions<'_>,
) -> Result<u64, UploadError>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    if let Some(declared) = conditions.declared_length
        && declared > target.max_size
    {
        return Err(UploadError::TooLarge(target.max_size));
    }
    let mut body = Incoming {
        body,
        total: 0,
        max_size: target.max_size,
        stop: conditions.stop,
    };
    match conditions.declared_length {
        Some(length) if length > PART => {
            streamed(target, &mut body, length, conditions.journal).await
        }
        // a declared length of one part at most: one byte more than
        // announced, so the body cannot fill it and goes in one PutObject
        declared => {
            let first = declared.map_or(PART, |length| length + 1);
            buffered(
                target,
                &mut body,
                first,
                conditions.budget,
                conditions.journal,
            )
            .await
        }
    }
}

/// The request body, read a chunk at a time: counted against the size
/// limit, given up when idle too long or when the server stops.
struct Incoming<S> {
    body: S,
    total: u64,
    max_size: u64,
    stop: Option<watch::Receiver<bool>>,
}

impl<S, E> Incoming<S>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    /// The next chunk; `None` at the end of the body.
    async fn next(&mut self) -> Result<Option<Bytes>, UploadError> {
        let stopping = async {
            match &mut self.stop {
                Some(stop) => {
                    let _ = stop.wait_for(|stopping| *stopping).await;
                }
                None => std::future::pending().await,
            }
        };
        let next = tokio::select! {
            next = tokio::time::timeout(UPLOAD_IDLE, self.body.next()) => next,
            () = stopping => {
                return Err(UploadError::CutOff("the server is restarting".into()));
            }
        };
        let next = next.map_err(|_| {
            UploadError::CutOff(format!(
                "no data arrived for {} seconds",
                UPLOAD_IDLE.as_secs()
            ))
        })?;
        match next {
            Some(Ok(chunk)) => {
                self.total += chunk.len() as u64;
                bucketdesk_metrics::metrics()
                    .transferred(bucketdesk_metrics::Direction::Upload, chunk.len() as u64);
                if self.total > self.max_size {
                    return Err(UploadError::TooLarge(self.max_size));
                }
                Ok(Some(chunk))
            }
            Some(Err(e)) => Err(UploadError::CutOff(e.to_string())),
            None => Ok(None),
        }
    }
}

/// Where a part's bytes go on their way to S3: a small channel whose other
/// end is the request body (memory: a few body chunks, whatever the part size).
type PartFrames = mpsc::Sender<Result<http_body::Frame<Bytes>, std::io::Error>>;

fn part_body() -> (PartFrames, ByteStream) {
    let (frames, receiver) = mpsc::channel(STREAM_CHUNKS);
    let stream = futures::stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|frame| (frame, receiver))
    })
    // the HTTP client may ask again after the end
    .fuse();
    (
        frames,
        ByteStream::from_body_1_x(http_body_util::StreamBody::new(stream)),
    )
}

/// The part size that lets `length` bytes fit in 10,000 parts (S3's limit).
pub fn streamed_part_size(length: u64) -> u64 {
    length
        .div_ceil(MAX_PARTS)
        .next_multiple_of(MIB)
        .clamp(PART, MAX_PART)
}

/// The size of buffered part `number` (from 1): 8 MiB, doubling every
/// 1,000 parts, at most [`MAX_BUFFERED_PART`], so it grows only once that
/// many bytes have arrived.
pub fn buffered_part_size(number: u64) -> u64 {
    let doublings = ((number.saturating_sub(1)) / 1000).min(3);
    (PART << doublings).min(MAX_BUFFERED_PART)
}

type PartTask = JoinHandle<Result<CompletedPart, UploadError>>;

use buffered::*;
pub use multipart::abort;
use multipart::*;
use streamed::*;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streamed_parts_let_any_declared_length_fit_in_ten_thousand_parts() {
        assert_eq!(streamed_part_size(1 << 30), PART);
        let five_tib = 5u64 << 40;
        let size = streamed_part_size(five_tib);
        assert!(five_tib.div_ceil(size) <= MAX_PARTS, "{size}");
        assert!(size <= MAX_PART);
    }

    #[test]
    fn buffered_parts_grow_only_with_what_arrived() {
        assert_eq!(buffered_part_size(1), PART);
        assert_eq!(buffered_part_size(1000), PART);
        assert_eq!(buffered_part_size(1001), 2 * PART);
        assert_eq!(buffered_part_size(3001), MAX_BUFFERED_PART);
        assert_eq!(buffered_part_size(MAX_PARTS), MAX_BUFFERED_PART);
        // 10,000 buffered parts hold 492 GiB: bodies of unknown length up to that
        let capacity: u64 = (1..=MAX_PARTS).map(buffered_part_size).sum();
        assert!(capacity > 490 << 30, "{capacity}");
    }

    #[tokio::test]
    async fn the_budget_makes_buffered_parts_wait_for_room() {
        let budget = UploadBudget::new(64 * MIB);
        let first = budget.take(40 * MIB).await;
        assert_eq!(budget.available_mib(), 24);
        let waiting = tokio::time::timeout(Duration::from_millis(50), budget.take(40 * MIB)).await;
        assert!(waiting.is_err(), "no room until the first part is sent");
        drop(first);
        let _second = budget.take(40 * MIB).await;
    }
}
