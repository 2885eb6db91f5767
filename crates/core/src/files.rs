//! Reading a bucket's files, for the pages, the API and the CLI: a page of
//! a folder, one file's details, a download URL, and handing a file over
//! ([`Delivery`]). Each checks the role and the token's `read` scope and
//! validates its input with the domain's rules; a download is audited.
//! Presigned links are in [`crate::presign`].

use crate::CoreError;
use crate::access::{BucketGrant, HoldsBucket, Viewer};
use crate::actor::{Actor, Origin};
use crate::audit_log::AuditLog;
use crate::buckets::file_system_backed;
use crate::presign::{DEFAULT_LIFETIME, Method, Presigned, sign};
use crate::s3_clients::S3Clients;
use base64::Engine;
use bucketdesk_db::audit;
use bucketdesk_domain::object::{
    Disposition, Preview, check_folder_path, check_readable_key, check_starts_with,
    content_disposition, file_name, has_dot_segment,
};
use bucketdesk_domain::{BucketId, Scope, WorkspaceId};
use bucketdesk_storage::objects::{self, Details, Entry};
use bytes::Bytes;
use futures::stream::{BoxStream, StreamExt};
use serde_json::json;

/// The most entries one page lists.
pub const MAX_PAGE: i32 = 1000;

/// A page of a folder to list.
pub struct ListRequest<'a> {
    /// The folder, ending in `/` ("" for the top).
    pub prefix: &'a str,
    /// Only names in the folder that start with this.
    pub starts_with: &'a str,
    /// Where the previous page ended ([`Page::next_cursor`]).
    pub cursor: Option<&'a str>,
    pub limit: i32,
}

/// One page of a folder.
pub struct Page {
    /// Full prefixes of sub-folders, ending in `/`.
    pub folders: Vec<String>,
    pub files: Vec<Entry>,
    /// Opaque: hand it back for the next page; none on the last.
    pub next_cursor: Option<String>,
}

/// One page of a folder (one ListObjectsV2 call). Needs the read scope.
pub async fn list(
    s3: &S3Clients,
    grant: &BucketGrant,
    request: ListRequest<'_>,
) -> Result<Page, CoreError> {
    grant.may(Scope::Read)?;
    check_folder_path(request.prefix).map_err(|m| CoreError::invalid("prefix", "invalid", m))?;
    check_starts_with(request.prefix, request.starts_with)
        .map_err(|m| CoreError::invalid("starts_with", "invalid", m))?;
    if !(1..=MAX_PAGE).contains(&request.limit) {
        return Err(CoreError::invalid(
            "limit",
            "out_of_range",
            format!("A page lists from 1 to {MAX_PAGE} entries."),
        ));
    }
    let token = request.cursor.map(open_cursor).transpose()?;
    let can = match grant.at::<Viewer>(request.prefix) {
        Ok(can) => can,
        Err(outside) => return way_to_folders(grant, &request).ok_or(outside),
    };
    let client = s3.client(&can).await?;
    let listing = objects::list_page(
        &client,
        &can.bucket().bucket_name,
        &format!("{}{}", request.prefix, request.starts_with),
        token.as_deref(),
        request.limit,
        s3.options(),
    )
    .await
    .map_err(|e| match e {
        bucketdesk_storage::ConnectError::BadPageToken => CoreError::invalid(
            "cursor",
            "invalid",
            "This cursor does not belong to this listing.",
        ),
        other => CoreError::Storage(other),
    })?;
    Ok(Page {
        folders: listing.folders,
        files: listing.files,
        next_cursor: listing
            .next_token
            .map(|t| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(t.as_bytes())),
    })
}

/// What someone with folder grants sees in a folder above them: the next
/// folder toward each of theirs, nothing else (no S3 call, so no other
/// name in the bucket shows). `None` when nothing of theirs is below.
fn way_to_folders(grant: &BucketGrant, request: &ListRequest<'_>) -> Option<Page> {
    let paths = grant.grants().paths_below(request.prefix);
    if paths.is_empty() {
        return None;
    }
    // a handful of folders: one page holds them all
    let folders = if request.cursor.is_some() {
        Vec::new()
    } else {
        paths
            .into_iter()
            .filter(|path| path[request.prefix.len()..].starts_with(request.starts_with))
            .collect()
    };
    Some(Page {
        folders,
        files: Vec::new(),
        next_cursor: None,
    })
}

fn open_cursor(cursor: &str) -> Result<String, CoreError> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or_else(|| {
            CoreError::invalid(
                "cursor",
                "invalid",
                "This cursor is damaged; start from the first page.",
            )
        })
}

/// The key asked for, when it names a file that may be read from this
/// bucket (S19: keys with `.` or `..` parts never from file-system backed
/// storage).
pub(crate) fn check_file(grant: &BucketGrant, key: &str) -> Result<(), CoreError> {
    check_readable_key(key, file_system_backed(grant.bucket()))
        .map_err(|m| CoreError::invalid("key", "invalid", m))?;
    if key.ends_with('/') {
        return Err(CoreError::invalid(
            "key",
            "is_a_folder",
            format!("\"{key}\" is a folder, not a file."),
        ));
    }
    Ok(())
}

/// One file's size, type, time, ETag and metadata (one HeadObject). Needs
/// the read scope.
pub async fn details(s3: &S3Clients, grant: &BucketGrant, key: &str) -> Result<Details, CoreError> {
    grant.may(Scope::Read)?;
    check_file(grant, key)?;
    let can = grant.at::<Viewer>(key)?;
    let client = s3.client(&can).await?;
    objects::details(&client, &can.bucket().bucket_name, key, s3.options())
        .await
        .map_err(CoreError::Storage)
}

/// A URL that downloads one file (a 15-minute presigned GET with an
/// attachment disposition, S15). Needs the read scope; recorded as
/// `download_link_issued`.
pub async fn download_url(
    s3: &S3Clients,
    audit: &AuditLog,
    grant: &BucketGrant,
    actor: &Actor,
    origin: &Origin,
    key: &str,
) -> Result<Presigned, CoreError> {
    grant.may(Scope::Read)?;
    check_file(grant, key)?;
    if has_dot_segment(key) {
        return Err(CoreError::invalid(
            "key",
            "not_presignable",
            format!(
                "\"{key}\" cannot be named by a URL (. and .. folders are rewritten); download it from the bucket's page."
            ),
        ));
    }
    let link = sign(s3, grant, key, Method::Get, DEFAULT_LIFETIME).await?;
    let bucket = grant.bucket();
    let event = audit::NewEvent {
        workspace_id: Some(WorkspaceId(bucket.workspace_id)),
        bucket_id: Some(BucketId(bucket.id)),
        ..actor.event(
            origin,
            "download_link_issued",
            json!({ "key": key, "expires_in": DEFAULT_LIFETIME.as_secs(), "through_bucketdesk": false }),
        )
    };
    audit.record(event).await?;
    Ok(link)
}

/// How a file is handed over.
pub enum Delivery {
    /// A 15-minute presigned GET with an attachment disposition (S15).
    Url(String),
    /// The bytes themselves, streamed through bucketdesk: for keys with `.`
    /// or `..` parts, which browsers rewrite in any URL.
    Bytes {
        stream: BoxStream<'static, std::io::Result<Bytes>>,
        length: Option<u64>,
        /// The `Content-Disposition` to send with them.
        disposition: String,
    },
}

/// Hands a file over to whoever holds the bucket: a person (see
/// [`download`]) or a link's visitor (`links::visit::count_download` counts it).
pub async fn deliver(
    s3: &S3Clients,
    holder: &impl HoldsBucket,
    key: &str,
) -> Result<Delivery, CoreError> {
    let bucket = holder.bucket();
    check_readable_key(key, file_system_backed(bucket))
        .map_err(|m| CoreError::invalid("key", "invalid", m))?;
    let client = s3.client(holder).await?;
    let disposition = content_disposition(Disposition::Attachment, file_name(key));
    // no URL can name such a key; a bucket in proxy mode is not reached by browsers
    if has_dot_segment(key) || bucket.proxy_downloads {
        let (stream, length) = objects::open(&client, &bucket.bucket_name, key, s3.options())
            .await
            .map_err(CoreError::Storage)?;
        return Ok(Delivery::Bytes {
            stream: stream.boxed(),
            length: length.and_then(|length| u64::try_from(length).ok()),
            disposition,
        });
    }
    let lifetime = s3.presign_lifetime(holder, DEFAULT_LIFETIME).await?;
    let presigner = s3.presigner(holder).await?;
    let url = objects::presign_get(
        &presigner,
        &bucket.bucket_name,
        key,
        lifetime,
        &disposition,
        None,
    )
    .await
    .map_err(CoreError::Storage)?;
    Ok(Delivery::Url(url))
}

/// A person downloads a file from the bucket's page. Needs the read scope;
/// recorded as `download_link_issued`.
pub async fn download(
    s3: &S3Clients,
    audit: &AuditLog,
    grant: &BucketGrant,
    actor: &Actor,
    origin: &Origin,
    key: &str,
) -> Result<Delivery, CoreError> {
    grant.may(Scope::Read)?;
    let delivery = deliver(s3, &grant.at::<Viewer>(key)?, key).await?;
    let bucket = grant.bucket();
    let event = audit::NewEvent {
        workspace_id: Some(WorkspaceId(bucket.workspace_id)),
        bucket_id: Some(BucketId(bucket.id)),
        ..actor.event(
            origin,
            "download_link_issued",
            json!({ "key": key, "expires_in": DEFAULT_LIFETIME.as_secs(),
                    "through_bucketdesk": has_dot_segment(key) }),
        )
    };
    audit.record(event).await?;
    Ok(delivery)
}

/// A file's bytes to show inline on bucketdesk's own address (buckets in
/// proxy mode): only the safe types a preview shows (images but SVG, PDF,
/// audio, video), served as that type.
pub struct InlineBytes {
    pub stream: BoxStream<'static, std::io::Result<Bytes>>,
    pub length: Option<u64>,
    /// `bytes 0-99/1234` for a range.
    pub content_range: Option<String>,
    pub content_type: &'static str,
    pub disposition: String,
}

/// The bytes of a file's preview, or the `range` of them a player asks for
/// (video seeking), streamed through bucketdesk. Needs the read scope.
pub async fn preview_bytes(
    s3: &S3Clients,
    grant: &BucketGrant,
    key: &str,
    range: Option<&str>,
) -> Result<InlineBytes, CoreError> {
    grant.may(Scope::Read)?;
    check_file(grant, key)?;
    let can = grant.at::<Viewer>(key)?;
    let name = file_name(key);
    let Some(content_type) = Preview::of(None, name).inline_content_type(name) else {
        return Err(CoreError::invalid(
            "key",
            "not_previewable",
            format!("\"{name}\" is not shown in the browser; download it."),
        ));
    };
    let client = s3.client(&can).await?;
    let range = range.filter(|r| is_single_range(r));
    let ranged = objects::open_range(&client, &can.bucket().bucket_name, key, range, s3.options())
        .await
        .map_err(CoreError::Storage)?;
    Ok(InlineBytes {
        stream: ranged.stream.boxed(),
        length: ranged.length.and_then(|l| u64::try_from(l).ok()),
        content_range: ranged.content_range,
        content_type,
        disposition: content_disposition(Disposition::Inline, name),
    })
}

/// `bytes=0-`, `bytes=100-199` or `bytes=-500`: one range, which is all a
/// player asks for (others are answered with the whole file).
fn is_single_range(range: &str) -> bool {
    let Some((start, end)) = range.strip_prefix("bytes=").and_then(|r| r.split_once('-')) else {
        return false;
    };
    let digits = |s: &str| s.len() <= 19 && s.bytes().all(|b| b.is_ascii_digit());
    digits(start) && digits(end) && !(start.is_empty() && end.is_empty())
}
