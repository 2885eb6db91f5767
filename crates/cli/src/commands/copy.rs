//! `bdk cp`: files down from a bucket and up into one. A download comes
//! straight from the bucket through a download URL (bucketdesk signs, the
//! bytes do not cross it; the `read` scope is enough); an upload of up to
//! one chunk (8 MiB) streams through the API's upload, a larger one goes a
//! chunk at a time and resumes when run again (`chunked`; the `write` scope). Both stream: memory
//! stays bounded whatever the size. A download goes to `NAME.part` first
//! and resumes from there with a Range request when run again; the file
//! gets its name only once complete.

use crate::client::Client;
use crate::error::Failure;
use crate::paths;
use bucketdesk_api_types as api;
use futures::StreamExt;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use tokio::io::AsyncWriteExt;

pub async fn cp(
    client: &Client,
    from: &str,
    to: &str,
    recursive: bool,
    workspace: Option<&str>,
) -> Result<u8, Failure> {
    match (from.starts_with("s3://"), to.starts_with("s3://")) {
        (true, false) if recursive => download_folder(client, from, to, workspace).await,
        (false, true) if recursive => upload_folder(client, from, to, workspace).await,
        (true, false) => download(client, from, to, workspace).await,
        (false, true) => upload(client, from, to, workspace).await,
        _ => Err(Failure::usage(
            "bdk cp copies between this machine and a bucket: one side is s3://bucket/key, the other a local path (or - for standard output).",
        )),
    }
}

/// A fresh download URL for the target's file.
async fn download_url(client: &Client, target: &paths::Target) -> Result<String, Failure> {
    let link: api::Presigned = client
        .get(
            &format!("{}/download", target.api()),
            &[("key", target.key.as_str())],
        )
        .await?;
    Ok(link.url)
}

/// Where a download lands: the local path, or a file of the key's name in
/// it when it is a folder.
fn local_target(to: &str, key: &str) -> PathBuf {
    let path = PathBuf::from(to);
    if to.ends_with('/') || path.is_dir() {
        path.join(key.rsplit('/').next().unwrap_or(key))
    } else {
        path
    }
}

fn part_of(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".part");
    PathBuf::from(name)
}

/// Shows progress on a terminal (one line, rewritten), nowhere else.
pub(super) struct Progress {
    shown: bool,
    total: Option<u64>,
    done: u64,
    last: u64,
}

impl Progress {
    pub(super) fn new(total: Option<u64>, done: u64) -> Progress {
        Progress {
            shown: std::io::stderr().is_terminal(),
            total,
            done,
            last: 0,
        }
    }

    pub(super) fn add(&mut self, bytes: u64) {
        self.done += bytes;
        if self.shown && self.done - self.last >= 1 << 20 {
            self.last = self.done;
            match self.total {
                Some(total) if total > 0 => eprint!(
                    "\r{} of {} MiB ({}%)   ",
                    self.done >> 20,
                    total >> 20,
                    self.done * 100 / total
                ),
                _ => eprint!("\r{} MiB   ", self.done >> 20),
            }
        }
    }

    pub(super) fn finish(&self) {
        if self.shown && self.last > 0 {
            eprintln!();
        }
    }
}

async fn download(
    client: &Client,
    from: &str,
    to: &str,
    workspace: Option<&str>,
) -> Result<u8, Failure> {
    let target = paths::resolve(client, from, workspace).await?;
    if target.key.is_empty() || target.key.ends_with('/') {
        return Err(Failure::usage(
            "Name a file to copy: bdk cp s3://bucket/path/to/file . (or --recursive for a folder)",
        ));
    }
    fetch(client, &target, from, to).await
}

/// Downloads the target's file to `to` (a path, a folder, or `-`).
async fn fetch(
    client: &Client,
    target: &paths::Target,
    from: &str,
    to: &str,
) -> Result<u8, Failure> {
    let url = download_url(client, target).await?;
    let http = reqwest::Client::new();
    if to == "-" {
        let response = http.get(&url).send().await?.error_for_status()?;
        // standard output is written as chunks arrive (a pipe applies back-pressure)
        let mut stdout = std::io::stdout().lock();
        let mut body = response.bytes_stream();
        while let Some(chunk) = body.next().await {
            std::io::Write::write_all(&mut stdout, &chunk?)
                .map_err(|e| Failure::error(e.to_string()))?;
        }
        std::io::Write::flush(&mut stdout).map_err(|e| Failure::error(e.to_string()))?;
        return Ok(0);
    }
    let path = local_target(to, &target.key);
    let part = part_of(&path);
    let have = tokio::fs::metadata(&part)
        .await
        .map(|m| m.len())
        .unwrap_or(0);
    let mut request = http.get(&url);
    if have > 0 {
        request = request.header(reqwest::header::RANGE, format!("bytes={have}-"));
    }
    let response = request.send().await?;
    let status = response.status().as_u16();
    let (mut file, done) = match status {
        // the rest of a download cut short
        206 => {
            let file = tokio::fs::OpenOptions::new().append(true).open(&part).await;
            (
                file.map_err(|e| Failure::error(format!("cannot open {}: {e}", part.display())))?,
                have,
            )
        }
        // the whole file (or a part that was already complete)
        200 => (
            tokio::fs::File::create(&part)
                .await
                .map_err(|e| Failure::error(format!("cannot write {}: {e}", part.display())))?,
            0,
        ),
        416 if have > 0 => {
            tokio::fs::rename(&part, &path)
                .await
                .map_err(|e| Failure::error(e.to_string()))?;
            eprintln!("{} was complete already", path.display());
            return Ok(0);
        }
        404 => {
            return Err(Failure {
                code: crate::error::NOT_FOUND,
                message: format!("There is no file at {from}."),
            });
        }
        _ => {
            let body = response.text().await.unwrap_or_default();
            return Err(Failure::error(format!(
                "the bucket answered {status}: {}",
                body.chars().take(300).collect::<String>()
            )));
        }
    };
    let total = response.content_length().map(|length| length + done);
    let mut progress = Progress::new(total, done);
    let mut body = response.bytes_stream();
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| {
            Failure::error(format!(
                "the download was cut off ({e}); run the same command again to resume"
            ))
        })?;
        file.write_all(&chunk)
            .await
            .map_err(|e| Failure::error(e.to_string()))?;
        progress.add(chunk.len() as u64);
    }
    file.flush()
        .await
        .map_err(|e| Failure::error(e.to_string()))?;
    drop(file);
    progress.finish();
    tokio::fs::rename(&part, &path)
        .await
        .map_err(|e| Failure::error(e.to_string()))?;
    if done > 0 {
        eprintln!(
            "{}: resumed at {} bytes, {} bytes in all",
            path.display(),
            done,
            progress.done
        );
    }
    Ok(0)
}

async fn upload(
    client: &Client,
    from: &str,
    to: &str,
    workspace: Option<&str>,
) -> Result<u8, Failure> {
    let target = paths::resolve(client, to, workspace).await?;
    send(client, from, target).await
}

/// Uploads the local file `from` as the target's key (into it, keeping the
/// file's name, when the key is a folder).
async fn send(client: &Client, from: &str, mut target: paths::Target) -> Result<u8, Failure> {
    let file = tokio::fs::File::open(from)
        .await
        .map_err(|e| Failure::usage(format!("cannot read {from}: {e}")))?;
    let length = file
        .metadata()
        .await
        .map_err(|e| Failure::error(e.to_string()))?
        .len();
    if target.key.is_empty() || target.key.ends_with('/') {
        let name = Path::new(from)
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| Failure::usage(format!("{from} has no file name to keep")))?;
        target.key.push_str(name);
    }
    if length > super::chunked::THRESHOLD {
        // a chunk at a time: under any proxy's request limit, and resumable
        let stored = super::chunked::send(client, Path::new(from), length, &target).await?;
        eprintln!("Uploaded {from} to {} ({} bytes)", stored.key, stored.size);
        return Ok(0);
    }
    let mut progress = Progress::new(Some(length), 0);
    let stream = chunks_of(file).map(move |chunk| {
        if let Ok(bytes) = &chunk {
            progress.add(bytes.len() as u64);
        }
        chunk
    });
    let stored: api::Uploaded = client
        .put_stream(
            &format!("{}/upload", target.api()),
            &[("key", target.key.as_str()), ("overwrite", "true")],
            reqwest::Body::wrap_stream(stream),
            length,
        )
        .await?;
    if stored.size != length {
        return Err(Failure::error(format!(
            "{from} changed while it was sent: {} bytes were stored, it has {length}",
            stored.size
        )));
    }
    eprintln!("Uploaded {from} to {} ({length} bytes)", target.key);
    Ok(0)
}

/// A file as a stream of 64 KiB chunks.
fn chunks_of(file: tokio::fs::File) -> impl futures::Stream<Item = std::io::Result<Vec<u8>>> {
    futures::stream::unfold(file, |mut file| async move {
        use tokio::io::AsyncReadExt;
        let mut buffer = vec![0u8; 64 * 1024];
        match file.read(&mut buffer).await {
            Ok(0) => None,
            Ok(n) => {
                buffer.truncate(n);
                Some((Ok(buffer), file))
            }
            Err(e) => Some((Err(e), file)),
        }
    })
}

/// `bdk cp --recursive s3://bucket/folder/ here/`: every file under the
/// folder, into the same tree of local folders (each file resumable as one).
async fn download_folder(
    client: &Client,
    from: &str,
    to: &str,
    workspace: Option<&str>,
) -> Result<u8, Failure> {
    if to == "-" {
        return Err(Failure::usage("A folder cannot go to standard output."));
    }
    let folder = paths::resolve(client, from, workspace).await?;
    if !folder.key.is_empty() && !folder.key.ends_with('/') {
        return Err(Failure::usage(
            "With --recursive, name a folder ending in /: bdk cp --recursive s3://bucket/folder/ here/",
        ));
    }
    let files = crate::commands::files::every_file(client, &folder).await?;
    for file in &files {
        let relative = &file.key[folder.key.len()..];
        // never outside the local folder, whatever the keys say
        if relative
            .split('/')
            .any(|part| part.is_empty() || part == "." || part == "..")
        {
            eprintln!("skipped {}: its name cannot be a local path", file.key);
            continue;
        }
        let local = Path::new(to).join(relative);
        if let Some(parent) = local.parent() {
            tokio::fs::create_dir_all(parent)
                .await
                .map_err(|e| Failure::error(format!("cannot create {}: {e}", parent.display())))?;
        }
        let target = paths::Target {
            workspace: folder.workspace.clone(),
            bucket: folder.bucket.clone(),
            key: file.key.clone(),
        };
        let label = format!("s3://.../{}", file.key);
        fetch(client, &target, &label, &local.to_string_lossy()).await?;
    }
    let count = files.len();
    eprintln!(
        "{count} file{} copied into {to}",
        if count == 1 { "" } else { "s" }
    );
    Ok(0)
}

/// `bdk cp --recursive here/ s3://bucket/folder/`: every file under the
/// local folder, keys keeping their relative paths.
async fn upload_folder(
    client: &Client,
    from: &str,
    to: &str,
    workspace: Option<&str>,
) -> Result<u8, Failure> {
    let folder = paths::resolve(client, to, workspace).await?;
    let prefix = match folder.key.as_str() {
        "" => String::new(),
        key if key.ends_with('/') => key.to_owned(),
        key => format!("{key}/"),
    };
    let root = PathBuf::from(from);
    if !root.is_dir() {
        return Err(Failure::usage(format!("{from} is not a folder")));
    }
    let mut pending = vec![root.clone()];
    let mut sent = 0;
    while let Some(dir) = pending.pop() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(&dir)
            .map_err(|e| Failure::error(format!("cannot read {}: {e}", dir.display())))?
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                pending.push(path);
                continue;
            }
            let relative = path
                .strip_prefix(&root)
                .map_err(|e| Failure::error(e.to_string()))?
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            let target = paths::Target {
                workspace: folder.workspace.clone(),
                bucket: folder.bucket.clone(),
                key: format!("{prefix}{relative}"),
            };
            send(client, &path.to_string_lossy(), target).await?;
            sent += 1;
        }
    }
    eprintln!("{sent} file{} uploaded", if sent == 1 { "" } else { "s" });
    Ok(0)
}
