//! `bdk ls`, `mkdir`, `mv` and `rm`.

use crate::client::Client;
use crate::error::Failure;
use crate::{Output, print_json};
use crate::{csv_cell, paths};
use bucketdesk_api_types as api;
use std::io::{BufRead, IsTerminal, Write};

/// A bucket's role for the listing, and the folders it holds when the
/// person reaches only those (`editor in clients/acme/uploads/`).
fn access_of(bucket: &api::Bucket) -> String {
    let folders = bucket
        .folders
        .iter()
        .map(|f| format!("{} in {}", f.role, f.folder));
    if bucket.whole_bucket {
        std::iter::once(bucket.role.clone())
            .chain(folders)
            .collect::<Vec<_>>()
            .join(", ")
    } else {
        folders.collect::<Vec<_>>().join(", ")
    }
}

pub async fn ls(
    client: &Client,
    path: Option<&str>,
    recursive: bool,
    workspace: Option<&str>,
    output: Output,
) -> Result<u8, Failure> {
    let Some(path) = path else {
        let all: api::Workspaces = client.get("/api/v1/workspaces", &[]).await?;
        match output {
            Output::Json => print_json(&all)?,
            Output::Csv => {
                println!("workspace,bucket,s3_bucket,role");
                for w in &all.workspaces {
                    for b in &w.buckets {
                        println!(
                            "{},{},{},{}",
                            csv_cell(&w.name),
                            csv_cell(&b.name),
                            csv_cell(&b.bucket),
                            b.role
                        );
                    }
                }
            }
            Output::Text => {
                for w in &all.workspaces {
                    for b in &w.buckets {
                        println!(
                            "{:<24} {:<24} {:<8} ({})",
                            b.bucket,
                            b.name,
                            access_of(b),
                            w.name
                        );
                    }
                }
            }
        }
        return Ok(0);
    };
    let target = paths::resolve(client, path, workspace).await?;
    let mut prefix = target.key.clone();
    if !prefix.is_empty() && !prefix.ends_with('/') {
        prefix.push('/');
    }
    let (folders, mut files) = walk(client, &target, &prefix, recursive).await?;
    files.sort_by(|a, b| a.key.cmp(&b.key));
    match output {
        Output::Json => print_json(&api::ObjectPage {
            folders,
            files,
            next_cursor: None,
        })?,
        Output::Csv => {
            println!("key,size,last_modified");
            for f in &files {
                println!(
                    "{},{},{}",
                    csv_cell(&f.key),
                    f.size,
                    f.last_modified.as_deref().unwrap_or("")
                );
            }
        }
        Output::Text => {
            for folder in &folders {
                println!("{:>20} {:>12} {folder}", "", "PRE");
            }
            for f in &files {
                let when = f
                    .last_modified
                    .as_deref()
                    .unwrap_or("")
                    .replace('T', " ")
                    .replace('Z', "");
                println!("{when:>20} {:>12} {}", f.size, f.key);
            }
        }
    }
    Ok(0)
}

/// The folders and files under `prefix`: its first level, or with
/// `recursive` every file at any depth (and no folders).
/// Every file under the target's folder, at any depth.
pub async fn every_file(
    client: &Client,
    target: &paths::Target,
) -> Result<Vec<api::Object>, Failure> {
    Ok(walk(client, target, &target.key, true).await?.1)
}

async fn walk(
    client: &Client,
    target: &paths::Target,
    prefix: &str,
    recursive: bool,
) -> Result<(Vec<String>, Vec<api::Object>), Failure> {
    let mut folders = Vec::new();
    let mut files = Vec::new();
    let mut pending = vec![prefix.to_owned()];
    while let Some(prefix) = pending.pop() {
        let mut cursor: Option<String> = None;
        loop {
            let mut query = vec![("prefix", prefix.as_str())];
            if let Some(cursor) = &cursor {
                query.push(("cursor", cursor.as_str()));
            }
            let page: api::ObjectPage = client
                .get(&format!("{}/objects", target.api()), &query)
                .await?;
            if recursive {
                pending.extend(page.folders.iter().cloned());
            } else {
                folders.extend(page.folders);
            }
            files.extend(page.files);
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
    }
    Ok((folders, files))
}

pub async fn mkdir(
    client: &Client,
    path: &str,
    workspace: Option<&str>,
    output: Output,
) -> Result<u8, Failure> {
    let target = paths::resolve(client, path, workspace).await?;
    let mut key = target.key.clone();
    if !key.ends_with('/') {
        key.push('/');
    }
    let made: api::FolderRequest = client
        .post(
            &format!("{}/folders", target.api()),
            &api::FolderRequest { key },
        )
        .await?;
    match output {
        Output::Json => print_json(&made)?,
        _ => eprintln!("Created the folder {}", made.key),
    }
    Ok(0)
}

pub async fn mv(
    client: &Client,
    from: &str,
    to: &str,
    workspace: Option<&str>,
    output: Output,
) -> Result<u8, Failure> {
    let source = paths::resolve(client, from, workspace).await?;
    let target = paths::resolve(client, to, workspace).await?;
    if (source.workspace.as_str(), source.bucket.as_str())
        != (target.workspace.as_str(), target.bucket.as_str())
    {
        return Err(Failure::usage("bdk mv moves within one bucket."));
    }
    let mut to_key = target.key.clone();
    // a folder moves to a folder; `mv a.txt dir/` keeps the name
    if source.key.ends_with('/') && !to_key.ends_with('/') {
        to_key.push('/');
    } else if !source.key.ends_with('/') && (to_key.ends_with('/') || to_key.is_empty()) {
        to_key.push_str(source.key.rsplit('/').next().unwrap_or(&source.key));
    }
    let request = api::MoveRequest {
        from: source.key.clone(),
        to: to_key,
    };
    let moved: api::Moved = client
        .post(&format!("{}/move", source.api()), &request)
        .await?;
    match output {
        Output::Json => print_json(&moved)?,
        _ => eprintln!(
            "Moved {} to {} ({} object{})",
            moved.from,
            moved.to,
            moved.objects,
            if moved.objects == 1 { "" } else { "s" }
        ),
    }
    Ok(0)
}

pub async fn rm(
    client: &Client,
    path: &str,
    recursive: bool,
    yes: bool,
    workspace: Option<&str>,
    output: Output,
) -> Result<u8, Failure> {
    let target = paths::resolve(client, path, workspace).await?;
    let mut key = target.key.clone();
    if key.is_empty() {
        return Err(Failure::usage(
            "Name a file or folder to delete: bdk rm s3://bucket/path",
        ));
    }
    if recursive && !key.ends_with('/') {
        key.push('/');
    }
    if key.ends_with('/') {
        if !recursive {
            return Err(Failure::usage(format!(
                "{key} is a folder: add --recursive to delete it with everything in it."
            )));
        }
        if !yes {
            let (_, files) = walk(client, &target, &key, true).await?;
            let stdin = std::io::stdin();
            if !stdin.is_terminal() {
                return Err(Failure::usage(format!(
                    "Deleting {key} removes {} object(s); add --yes to do it without asking.",
                    files.len()
                )));
            }
            eprint!(
                "Delete {key} and the {} object(s) in it? [y/N] ",
                files.len()
            );
            let _ = std::io::stderr().flush();
            let mut answer = String::new();
            stdin
                .lock()
                .read_line(&mut answer)
                .map_err(|e| Failure::error(e.to_string()))?;
            if !matches!(answer.trim(), "y" | "Y" | "yes") {
                eprintln!("Nothing was deleted.");
                return Ok(0);
            }
        }
    }
    let deleted: api::Deleted = client
        .delete(
            &format!("{}/objects", target.api()),
            &[("key", key.as_str())],
        )
        .await?;
    match output {
        Output::Json => print_json(&deleted)?,
        _ => eprintln!(
            "Deleted {} ({} object{})",
            deleted.key,
            deleted.objects,
            if deleted.objects == 1 { "" } else { "s" }
        ),
    }
    Ok(0)
}
