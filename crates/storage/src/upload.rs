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

/// A multipart upload under way, aborted unless completed.
struct Multipart<'a> {
    target: &'a Target<'a>,
    upload_id: String,
    journal: &'a dyn UploadJournal,
    running: VecDeque<PartTask>,
    done: Vec<CompletedPart>,
}

impl<'a> Multipart<'a> {
    async fn start(
        target: &'a Target<'a>,
        journal: &'a dyn UploadJournal,
    ) -> Result<Multipart<'a>, UploadError> {
        let mut create = target
            .client
            .create_multipart_upload()
            .bucket(target.bucket)
            .key(target.key);
        if let Some(ct) = target.content_type {
            create = create.content_type(ct);
        }
        let created = create
            .send()
            .await
            .map_err(|e| classify(e, target.bucket, target.options))?;
        let upload_id = created.upload_id().unwrap_or_default().to_owned();
        journal.started(target.key, &upload_id).await;
        Ok(Multipart {
            target,
            upload_id,
            journal,
            running: VecDeque::new(),
            done: Vec::new(),
        })
    }

    /// Sends part `number` with this body, in the background.
    fn send(
        &mut self,
        number: i32,
        length: u64,
        body: ByteStream,
        hold: Option<OwnedSemaphorePermit>,
    ) {
        let request = self
            .target
            .client
            .upload_part()
            .bucket(self.target.bucket)
            .key(self.target.key)
            .upload_id(&self.upload_id)
            .part_number(number)
            .content_length(length as i64)
            .body(body);
        let (bucket, options) = (self.target.bucket.to_owned(), *self.target.options);
        self.running.push_back(tokio::spawn(async move {
            let sent = request.send().await;
            drop(hold); // the part's memory is free once it is sent
            let output = sent.map_err(|e| UploadError::S3(classify(e, &bucket, &options)))?;
            Ok(CompletedPart::builder()
                .part_number(number)
                .e_tag(output.e_tag().unwrap_or_default())
                .build())
        }));
    }

    /// Waits for parts until at most `left` are still running.
    async fn settle(&mut self, left: usize) -> Result<(), UploadError> {
        while self.running.len() > left {
            let Some(task) = self.running.pop_front() else {
                break;
            };
            let part = task
                .await
                .map_err(|e| UploadError::CutOff(e.to_string()))??;
            self.done.push(part);
        }
        Ok(())
    }

    async fn complete(mut self) -> Result<(), UploadError> {
        self.settle(0).await?;
        let mut parts = std::mem::take(&mut self.done);
        parts.sort_by_key(|p| p.part_number());
        let target = self.target;
        crate::objects::complete(
            target.client,
            target.bucket,
            target.key,
            &self.upload_id,
            parts,
            target.options,
        )
        .await?;
        self.journal.ended(&self.upload_id).await;
        Ok(())
    }

    /// Gives up: lets parts still in flight land or fail first, so none
    /// arrives after the abort, then aborts the upload.
    async fn abort(mut self) {
        while let Some(task) = self.running.pop_front() {
            let _ = task.await;
        }
        if abort(
            self.target.client,
            self.target.bucket,
            self.target.key,
            &self.upload_id,
        )
        .await
        {
            self.journal.ended(&self.upload_id).await;
        }
    }
}

/// Aborts a multipart upload; false when S3 could not be told (it stays in
/// the journal, to be aborted later).
pub async fn abort(client: &Client, bucket: &str, key: &str, upload_id: &str) -> bool {
    match client
        .abort_multipart_upload()
        .bucket(bucket)
        .key(key)
        .upload_id(upload_id)
        .send()
        .await
    {
        Ok(_) => true,
        Err(error) => {
            tracing::warn!(error = %aws_smithy_types::error::display::DisplayErrorContext(&error), "could not abort a multipart upload");
            false
        }
    }
}

/// A body of declared `length` above one part: streamed parts.
async fn streamed<S, E>(
    target: &Target<'_>,
    body: &mut Incoming<S>,
    length: u64,
    journal: &dyn UploadJournal,
) -> Result<u64, UploadError>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    let part_size = streamed_part_size(length);
    let mut upload = Multipart::start(target, journal).await?;
    let result = async {
        let mut carry: Option<Bytes> = None;
        let mut sent = 0u64;
        let mut number = 0;
        while sent < length {
            number += 1;
            let size = part_size.min(length - sent);
            let (chunks, receiver) =
                mpsc::channel::<Result<http_body::Frame<Bytes>, std::io::Error>>(STREAM_CHUNKS);
            let frames = futures::stream::unfold(receiver, |mut receiver| async move {
                receiver.recv().await.map(|frame| (frame, receiver))
            });
            let part_body = ByteStream::from_body_1_x(http_body_util::StreamBody::new(frames));
            upload.send(number, size, part_body, None);
            let mut left = size;
            while left > 0 {
                let chunk = match carry.take() {
                    Some(chunk) => chunk,
                    None => body.next().await?.ok_or_else(|| {
                        UploadError::CutOff(format!(
                            "the body ended after {} of the {length} bytes it announced",
                            body.total
                        ))
                    })?,
                };
                let mut now = chunk;
                if now.len() as u64 > left {
                    carry = Some(now.split_off(left as usize));
                }
                left -= now.len() as u64;
                if chunks.send(Ok(http_body::Frame::data(now))).await.is_err() {
                    // the part's request gave up: say why
                    drop(chunks);
                    upload.settle(0).await?;
                    return Err(UploadError::CutOff(
                        "the storage service stopped reading".into(),
                    ));
                }
            }
            drop(chunks);
            sent += size;
            upload.settle(IN_FLIGHT - 1).await?;
        }
        if carry.is_some() || body.next().await?.is_some() {
            return Err(UploadError::CutOff(format!(
                "the body went on past the {length} bytes it announced"
            )));
        }
        Ok(sent)
    }
    .await;
    match result {
        Ok(sent) => {
            upload.complete().await?;
            Ok(sent)
        }
        Err(error) => {
            upload.abort().await;
            Err(error)
        }
    }
}

/// A body of unknown length, or of one part at most: buffered parts, each
/// taken from the budget before it is filled.
async fn buffered<S, E>(
    target: &Target<'_>,
    body: &mut Incoming<S>,
    first: u64,
    budget: &UploadBudget,
    journal: &dyn UploadJournal,
) -> Result<u64, UploadError>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    let mut part = Part::fill(body, first, budget, None).await?;
    if !part.full {
        // it all fits: one PutObject
        let mut request = target
            .client
            .put_object()
            .bucket(target.bucket)
            .key(target.key)
            .body(ByteStream::from(part.bytes));
        if let Some(ct) = target.content_type {
            request = request.content_type(ct);
        }
        request
            .send()
            .await
            .map_err(|e| classify(e, target.bucket, target.options))?;
        return Ok(body.total);
    }
    let mut upload = Multipart::start(target, journal).await?;
    let result = async {
        let mut number = 1u64;
        loop {
            let Part {
                bytes,
                full,
                leftover,
                permit,
            } = part;
            let length = bytes.len() as u64;
            upload.send(number as i32, length, ByteStream::from(bytes), Some(permit));
            if !full {
                return Ok(body.total);
            }
            number += 1;
            if number > MAX_PARTS {
                return Err(UploadError::TooLarge(body.total));
            }
            upload.settle(IN_FLIGHT - 1).await?;
            part = Part::fill(body, buffered_part_size(number), budget, leftover).await?;
            if part.bytes.is_empty() {
                return Ok(body.total);
            }
        }
    }
    .await;
    match result {
        Ok(total) => {
            upload.complete().await?;
            Ok(total)
        }
        Err(error) => {
            upload.abort().await;
            Err(error)
        }
    }
}

/// One buffered part: its bytes (in one allocation of its own, freed when
/// it is sent), whether it filled up (more may follow), and what of the
/// last chunk belongs to the next part.
struct Part {
    bytes: Bytes,
    full: bool,
    leftover: Option<Bytes>,
    permit: OwnedSemaphorePermit,
}

impl Part {
    async fn fill<S, E>(
        body: &mut Incoming<S>,
        size: u64,
        budget: &UploadBudget,
        mut carry: Option<Bytes>,
    ) -> Result<Part, UploadError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        let permit = budget.take(size).await;
        let size = size as usize;
        let mut bytes = BytesMut::with_capacity(size);
        loop {
            let chunk = match carry.take() {
                Some(chunk) => chunk,
                None => match body.next().await? {
                    Some(chunk) => chunk,
                    None => {
                        return Ok(Part {
                            bytes: bytes.freeze(),
                            full: false,
                            leftover: None,
                            permit,
                        });
                    }
                },
            };
            let room = size - bytes.len();
            if chunk.len() >= room {
                let mut chunk = chunk;
                let rest = chunk.split_off(room);
                bytes.extend_from_slice(&chunk);
                return Ok(Part {
                    bytes: bytes.freeze(),
                    full: true,
                    leftover: (!rest.is_empty()).then_some(rest),
                    permit,
                });
            }
            bytes.extend_from_slice(&chunk);
        }
    }
}

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
