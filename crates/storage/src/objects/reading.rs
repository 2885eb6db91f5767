//! Reading an object, its first bytes or all of it as a stream.

use super::*;

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
    impl Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static + use<>,
    Option<i64>,
)> {
    let whole = open_range(client, bucket, key, None, options).await?;
    Ok((whole.stream, whole.length))
}

/// Part of an object (or all of it), as a stream (its bytes counted as
/// downloaded as they pass), with what a `206`
/// answer says about it.
pub struct Ranged<S> {
    pub stream: S,
    /// The bytes the stream carries.
    pub length: Option<i64>,
    /// `bytes 0-99/1234` when a range was asked for and served.
    pub content_range: Option<String>,
}

/// The object's bytes, or the `range` of them (an HTTP `Range` value,
/// passed to S3 as it is), as a stream.
pub async fn open_range(
    client: &Client,
    bucket: &str,
    key: &str,
    range: Option<&str>,
    options: &StorageOptions,
) -> S3Result<Ranged<impl Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static + use<>>> {
    let output = client
        .get_object()
        .bucket(bucket)
        .key(key)
        .set_range(range.map(str::to_owned))
        .send()
        .await
        .map_err(|e| classify(e, bucket, options))?;
    let length = output.content_length();
    let content_range = output.content_range().map(str::to_owned);
    let stream = futures::stream::unfold(output.body, |mut body| async move {
        match body.try_next().await {
            Ok(Some(chunk)) => {
                bucketdesk_metrics::metrics()
                    .transferred(bucketdesk_metrics::Direction::Download, chunk.len() as u64);
                Some((Ok(chunk), body))
            }
            Ok(None) => None,
            Err(e) => Some((Err(std::io::Error::other(e.to_string())), body)),
        }
    });
    Ok(Ranged {
        stream,
        length,
        content_range,
    })
}
