//! A body of unknown length (or one part at most): buffered part by part within the process's budget.

use super::*;

/// A body of unknown length, or of one part at most: buffered parts, each
/// taken from the budget before it is filled.
pub(super) async fn buffered<S, E>(
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
pub(super) struct Part {
    pub(super) bytes: Bytes,
    pub(super) full: bool,
    pub(super) leftover: Option<Bytes>,
    pub(super) permit: OwnedSemaphorePermit,
}

impl Part {
    pub(super) async fn fill<S, E>(
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
