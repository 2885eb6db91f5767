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
