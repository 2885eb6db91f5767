//! Presigned GET and PUT URLs for one object.

use super::*;

/// A presigned GET, valid for `expires` (S15: 15 minutes by default, never
/// over 7 days), that answers with the given disposition (and content type).
pub async fn presign_get(
    client: &Client,
    bucket: &str,
    key: &str,
    expires: Duration,
    disposition: &str,
    content_type: Option<&str>,
) -> S3Result<String> {
    let config = PresigningConfig::expires_in(expires.min(Duration::from_secs(604_800)))
        .map_err(|e| ConnectError::Other(e.to_string()))?;
    let mut request = client
        .get_object()
        .bucket(bucket)
        .key(key)
        .response_content_disposition(disposition);
    if let Some(content_type) = content_type {
        request = request.response_content_type(content_type);
    }
    let presigned = request
        .presigned(config)
        .await
        .map_err(|e| ConnectError::Other(e.to_string()))?;
    Ok(presigned.uri().to_owned())
}

/// A presigned PUT of `key`, valid for `expires` (never over 7 days): whoever
/// holds it may upload that one object until then.
pub async fn presign_put(
    client: &Client,
    bucket: &str,
    key: &str,
    expires: Duration,
) -> S3Result<String> {
    let config = PresigningConfig::expires_in(expires.min(Duration::from_secs(604_800)))
        .map_err(|e| ConnectError::Other(e.to_string()))?;
    let presigned = client
        .put_object()
        .bucket(bucket)
        .key(key)
        .presigned(config)
        .await
        .map_err(|e| ConnectError::Other(e.to_string()))?;
    Ok(presigned.uri().to_owned())
}

/// A presigned `UploadPart` of part `number` of upload `upload_id`, exactly
/// `length` bytes long (the length is signed), valid for `expires`: whoever
/// holds it may send that one part until then, and nothing else (not
/// another part, another upload, another length, or a whole object).
pub async fn presign_upload_part(
    client: &Client,
    bucket: &str,
    key: &str,
    upload_id: &str,
    number: i32,
    length: u64,
    expires: Duration,
) -> S3Result<String> {
    let config = PresigningConfig::expires_in(expires.min(Duration::from_secs(604_800)))
        .map_err(|e| ConnectError::Other(e.to_string()))?;
    let presigned = client
        .upload_part()
        .bucket(bucket)
        .key(key)
        .upload_id(upload_id)
        .part_number(number)
        .content_length(length as i64)
        .presigned(config)
        .await
        .map_err(|e| ConnectError::Other(e.to_string()))?;
    Ok(presigned.uri().to_owned())
}
