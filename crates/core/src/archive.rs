//! A folder, or a selection of files and folders, as one zip, streamed as
//! it is read from S3: the files are listed first (so the limits on files
//! and bytes are checked before the first byte goes out), then each is read
//! and written into the zip stored as it is (no compression: most large
//! files are compressed already, and the zip's speed is then the network's),
//! with zip64 where a file or the zip passes 4 GiB or 65,535 entries. Memory
//! stays a few 64 KiB pieces whatever the size. When the person cancels
//! the download, the body is dropped, the writer's next send fails and the
//! S3 read stops.
//!
//! Names in the zip are the keys relative to the folder the zip is made
//! from, any characters kept (UTF-8), except what would escape the folder a
//! zip is unpacked into: an empty, `.` or `..` part, or a backslash, which
//! some unzip tools take as a separator, becomes `_`.

use crate::CoreError;
use crate::access::{BucketGrant, HoldsBucket, Viewer};
use crate::actor::{Actor, Origin};
use crate::audit_log::AuditLog;
use crate::buckets::file_system_backed;
use crate::files::Delivery;
use crate::s3_clients::S3Clients;
use bucketdesk_db::audit;
use bucketdesk_domain::link::numbered_name;
use bucketdesk_domain::object::{
    Disposition, check_folder_path, check_readable_key, content_disposition, file_name,
    has_dot_segment,
};
use bucketdesk_domain::{BucketId, Scope, WorkspaceId};
use bucketdesk_storage::StorageOptions;
use bucketdesk_storage::objects::{self, Entry};
use bytes::Bytes;
use futures::{Stream, StreamExt};
use serde_json::json;
use std::io::Write;
use tokio::sync::mpsc;

/// How much one zip may hold.
#[derive(Debug, Clone, Copy)]
pub struct ZipLimits {
    pub max_files: usize,
    pub max_bytes: u64,
}

impl ZipLimits {
    pub const DEFAULT_MAX_FILES: usize = 20_000;
    pub const DEFAULT_MAX_BYTES: u64 = 50 * 1024 * 1024 * 1024;
}

/// What goes in a zip, listed and within the limits.
#[derive(Debug, Clone)]
pub struct ZipPlan {
    /// The files: their keys, names in the zip, sizes and times.
    pub entries: Vec<ZipEntry>,
    pub total_bytes: u64,
}

#[derive(Debug, Clone)]
pub struct ZipEntry {
    pub key: String,
    /// The name in the zip (relative to the zip's folder); a folder's ends in `/`.
    pub name: String,
    pub size: u64,
    pub modified: Option<time::OffsetDateTime>,
}

/// Lists what `keys` stand for (a file itself, a folder everything under
/// it) and names each relative to `base` (the folder they were picked in,
/// `""` for the top). Refused when the zip would pass `limits`.
pub async fn plan(
    s3: &S3Clients,
    holder: &impl HoldsBucket,
    base: &str,
    keys: &[String],
    limits: ZipLimits,
) -> Result<ZipPlan, CoreError> {
    check_folder_path(base).map_err(|m| CoreError::invalid("path", "invalid", m))?;
    if keys.is_empty() {
        return Err(CoreError::invalid(
            "keys",
            "empty",
            "Pick the files or folders to put in the zip.",
        ));
    }
    let fs_backed = file_system_backed(holder.bucket());
    let client = s3.client(holder).await?;
    let bucket = &holder.bucket().bucket_name;
    let mut entries: Vec<Entry> = Vec::new();
    // a file picked with its folder (or two overlapping folders) goes in once
    let mut seen = std::collections::HashSet::new();
    let mut add = |entries: &mut Vec<Entry>, entry: Entry| {
        if seen.insert(entry.key.clone()) {
            entries.push(entry);
        }
    };
    for key in keys {
        // a link to the whole bucket zips everything in it
        let everything = key.is_empty() && base.is_empty();
        if !everything && (!key.starts_with(base) || key.len() == base.len()) {
            return Err(CoreError::invalid(
                "keys",
                "outside",
                format!("\"{key}\" is not in the folder the zip is made from."),
            ));
        }
        if everything || key.ends_with('/') {
            check_folder_path(key).map_err(|m| CoreError::invalid("keys", "invalid", m))?;
            let left = limits.max_files.saturating_sub(entries.len());
            let found = objects::entries_up_to(&client, bucket, key, left, s3.options())
                .await
                .map_err(CoreError::Storage)?;
            for entry in found {
                add(&mut entries, entry);
            }
        } else {
            check_readable_key(key, fs_backed)
                .map_err(|m| CoreError::invalid("keys", "invalid", m))?;
            let details = objects::details(&client, bucket, key, s3.options())
                .await
                .map_err(CoreError::Storage)?;
            let entry = Entry {
                key: key.clone(),
                size: details.size,
                last_modified: details.last_modified,
            };
            add(&mut entries, entry);
        }
        if entries.len() > limits.max_files {
            return Err(too_many(limits));
        }
    }
    // keys a file-system backed service would resolve are never read (S19)
    entries.retain(|entry| !(fs_backed && has_dot_segment(&entry.key)));
    let total_bytes: u64 = entries.iter().map(|e| e.size.max(0) as u64).sum();
    if total_bytes > limits.max_bytes {
        return Err(CoreError::invalid(
            "keys",
            "zip_too_large",
            format!(
                "These files hold {}; one zip holds at most {}. Pick fewer, or download the folders one by one.",
                human_bytes(total_bytes),
                human_bytes(limits.max_bytes)
            ),
        ));
    }
    // names that came out the same (`a\\b` and `a_b`) get a number
    let mut names = std::collections::HashSet::new();
    let entries = entries
        .into_iter()
        .map(|entry| {
            let wanted = name_in_zip(&entry.key[base.len()..]);
            let name = (0..)
                .map(|n| numbered_name(&wanted, n))
                .find(|name| names.insert(name.clone()))
                .unwrap_or(wanted);
            ZipEntry {
                name,
                key: entry.key,
                size: entry.size.max(0) as u64,
                modified: entry.last_modified,
            }
        })
        .collect();
    Ok(ZipPlan {
        entries,
        total_bytes,
    })
}

fn too_many(limits: ZipLimits) -> CoreError {
    CoreError::invalid(
        "keys",
        "zip_too_many_files",
        format!(
            "These folders hold more than {} files, the most one zip holds. Pick fewer, or download the folders one by one.",
            limits.max_files
        ),
    )
}

fn human_bytes(bytes: u64) -> String {
    const GIB: f64 = (1u64 << 30) as f64;
    const MIB: f64 = (1u64 << 20) as f64;
    if bytes as f64 >= GIB {
        format!("{:.1} GiB", bytes as f64 / GIB)
    } else {
        format!("{:.1} MiB", bytes as f64 / MIB)
    }
}

/// A relative key as a name that unpacks inside the zip's folder.
fn name_in_zip(relative: &str) -> String {
    let folder = relative.ends_with('/');
    let trimmed = relative.strip_suffix('/').unwrap_or(relative);
    let mut name: String = trimmed
        .split('/')
        .map(|part| {
            let part = part.replace('\\', "_");
            if part.is_empty() || part == "." || part == ".." {
                "_".to_owned()
            } else {
                part
            }
        })
        .collect::<Vec<_>>()
        .join("/");
    if folder {
        name.push('/');
    }
    name
}

/// A person downloads files and folders picked in the folder `base` as one
/// zip (see [`plan`]). Needs the read scope; recorded as `zip_downloaded`
/// with what it holds.
#[allow(clippy::too_many_arguments)]
pub async fn download(
    s3: &S3Clients,
    audit: &AuditLog,
    grant: &BucketGrant,
    actor: &Actor,
    origin: &Origin,
    base: &str,
    keys: &[String],
    limits: ZipLimits,
) -> Result<Delivery, CoreError> {
    grant.may(Scope::Read)?;
    // "" (everything, from a link to a whole bucket) needs the whole bucket
    let can = grant.at_all::<Viewer>(keys.iter().map(String::as_str))?;
    let plan = plan(s3, &can, base, keys, limits).await?;
    let bucket = can.bucket();
    let shown: Vec<&String> = keys.iter().take(100).collect();
    let event = audit::NewEvent {
        workspace_id: Some(WorkspaceId(bucket.workspace_id)),
        bucket_id: Some(BucketId(bucket.id)),
        ..actor.event(
            origin,
            "zip_downloaded",
            json!({ "path": base, "keys": shown, "files": plan.entries.len(), "bytes": plan.total_bytes }),
        )
    };
    audit.record(event).await?;
    delivery(s3, &can, plan, &zip_name(base, keys, &bucket.bucket_name)).await
}

/// The zip of `plan` from the bucket `holder` reaches, handed over as the
/// attachment `name`.
pub async fn delivery(
    s3: &S3Clients,
    holder: &impl HoldsBucket,
    plan: ZipPlan,
    name: &str,
) -> Result<Delivery, CoreError> {
    let client = s3.client(holder).await?;
    let bucket = holder.bucket().bucket_name.clone();
    Ok(Delivery::Bytes {
        stream: stream(client, bucket, *s3.options(), plan).boxed(),
        length: None,
        disposition: content_disposition(Disposition::Attachment, name),
    })
}

/// `photos.zip` for one folder `photos/`, else the name of the folder they
/// were picked in (or `fallback`, at the top).
pub fn zip_name(base: &str, keys: &[String], fallback: &str) -> String {
    let named = match keys {
        [one] if one.ends_with('/') => file_name(one),
        _ if !base.is_empty() => file_name(base),
        _ => fallback,
    };
    format!("{named}.zip")
}

/// The zip of `plan`, as a stream of bytes read from the bucket as it goes.
/// Dropping the stream (the person cancelled) stops the reading.
fn stream(
    client: aws_sdk_s3::Client,
    bucket: String,
    options: StorageOptions,
    plan: ZipPlan,
) -> impl Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static {
    let (sender, receiver) = mpsc::channel::<Result<Bytes, std::io::Error>>(8);
    tokio::spawn(async move {
        let written = write_zip(&client, &bucket, &options, plan, &sender).await;
        if let Err(error) = written
            && error.kind() != std::io::ErrorKind::BrokenPipe
        {
            tracing::warn!(%error, "a zip download stopped");
            // the body ends with an error: the browser shows a failed download
            let _ = sender.send(Err(error)).await;
        }
    });
    futures::stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|item| (item, receiver))
    })
}

/// Writes the zip into a small buffer (the zip writer is synchronous, and
/// writing to memory never waits) and hands it to the body in 64 KiB
/// pieces, waiting whenever the body has not taken the last ones yet.
async fn write_zip(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    options: &StorageOptions,
    plan: ZipPlan,
    sender: &mpsc::Sender<Result<Bytes, std::io::Error>>,
) -> std::io::Result<()> {
    let buffer = Buffer::default();
    let mut zip = zip::ZipWriter::new_stream(buffer.clone());
    // the next files are asked for while one is written: each GET's wait
    // (tens of milliseconds on S3) overlaps the one before
    let mut opened = futures::stream::iter(plan.entries.into_iter().map(|entry| async move {
        let body = if entry.name.ends_with('/') {
            None
        } else {
            let (body, _) = objects::open(client, bucket, &entry.key, options)
                .await
                .map_err(|e| std::io::Error::other(format!("{}: {e}", entry.key)))?;
            Some(body)
        };
        Ok::<_, std::io::Error>((entry, body))
    }))
    .buffered(OPEN_AHEAD);
    while let Some(next) = opened.next().await {
        let (entry, body) = next?;
        let mut file_options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored)
            .large_file(entry.size >= u64::from(u32::MAX));
        if let Some(modified) = entry.modified
            && let Ok(time) = zip::DateTime::try_from(time::PrimitiveDateTime::new(
                modified.date(),
                modified.time(),
            ))
        {
            file_options = file_options.last_modified_time(time);
        }
        let Some(body) = body else {
            zip.add_directory(entry.name.as_str(), file_options)
                .map_err(std::io::Error::other)?;
            continue;
        };
        zip.start_file(entry.name.as_str(), file_options)
            .map_err(std::io::Error::other)?;
        let mut body = std::pin::pin!(body);
        while let Some(chunk) = body.next().await {
            zip.write_all(&chunk?)?;
            buffer.send_pieces(sender, PIECE).await?;
        }
    }
    zip.finish().map_err(std::io::Error::other)?;
    buffer.send_pieces(sender, 1).await
}

const PIECE: usize = 64 * 1024;
/// Files whose GET is under way ahead of the one being written.
const OPEN_AHEAD: usize = 4;

/// What the zip writer wrote and the body has not taken yet.
#[derive(Clone, Default)]
struct Buffer(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl Buffer {
    /// Hands what was written to the body once it is at least `least`
    /// bytes; a broken pipe once the body was dropped.
    async fn send_pieces(
        &self,
        sender: &mpsc::Sender<Result<Bytes, std::io::Error>>,
        least: usize,
    ) -> std::io::Result<()> {
        let piece = {
            let mut written = self.0.lock().unwrap_or_else(|e| e.into_inner());
            if written.len() < least {
                return Ok(());
            }
            Bytes::from(std::mem::replace(&mut *written, Vec::with_capacity(PIECE)))
        };
        sender
            .send(Ok(piece))
            .await
            .map_err(|_| std::io::Error::from(std::io::ErrorKind::BrokenPipe))
    }
}

impl Write for Buffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let mut written = self.0.lock().unwrap_or_else(|e| e.into_inner());
        written.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_in_the_zip_keep_every_character_but_never_climb_out() {
        assert_eq!(name_in_zip("été/📷 “x” #1.jpg"), "été/📷 “x” #1.jpg");
        assert_eq!(name_in_zip("../../etc/passwd"), "_/_/etc/passwd");
        assert_eq!(name_in_zip("a//b/./c"), "a/_/b/_/c");
        assert_eq!(name_in_zip("..\\..\\win.ini"), ".._.._win.ini");
        assert_eq!(name_in_zip("folder/"), "folder/");
    }
}
