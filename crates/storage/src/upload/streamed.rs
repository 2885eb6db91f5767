//! A body of declared length above one part: each part's bytes stream through a small channel to S3.

use super::*;

/// A body of declared `length` above one part: streamed parts.
pub(super) async fn streamed<S, E>(
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
            let (chunks, part_body) = part_body();
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
