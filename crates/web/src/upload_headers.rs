//! What an upload's request headers say about its body, for the pages'
//! uploads and the API's.

use axum::http::{HeaderMap, header};

/// The type an uploaded body says it has (none for forms' `multipart/`).
pub(crate) fn body_content_type(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .filter(|ct| !ct.is_empty() && !ct.starts_with("multipart/"))
        .map(str::to_owned)
}

/// The length an uploaded body announces, if it does.
pub(crate) fn body_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
}

/// The SHA-256 a chunk's sender computed (`X-Chunk-Sha256`, 64 hex
/// digits), if it sent one; `Err` with what is wrong when it is malformed.
pub(crate) fn chunk_sha256(headers: &HeaderMap) -> Result<Option<[u8; 32]>, &'static str> {
    let Some(value) = headers.get("x-chunk-sha256") else {
        return Ok(None);
    };
    let mut digest = [0u8; 32];
    value
        .to_str()
        .ok()
        .and_then(|hex| hex::decode_to_slice(hex, &mut digest).ok())
        .ok_or("X-Chunk-Sha256 is the chunk's SHA-256 in 64 hex digits.")?;
    Ok(Some(digest))
}

/// An upload under way, as both faces answer it.
pub(crate) fn chunked_upload(
    state: bucketdesk_core::resumable::UploadState,
) -> bucketdesk_api_types::ChunkedUpload {
    bucketdesk_api_types::ChunkedUpload {
        id: state.id.to_string(),
        key: state.key,
        size: state.size,
        last_modified: state.last_modified,
        part_size: state.part_size,
        part_count: state.part_count,
        landed: state.landed,
        landed_bytes: state.landed_bytes,
        direct: state.direct,
    }
}

/// A direct upload's part URL, as the page script and the API send it.
pub(crate) fn part_url(part: bucketdesk_core::resumable::PartUrl) -> bucketdesk_api_types::PartUrl {
    bucketdesk_api_types::PartUrl {
        url: part.url,
        length: part.length,
        expires_in: part.expires_in.as_secs(),
    }
}
