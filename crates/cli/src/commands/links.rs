//! Revocable links: `bdk share`, `bdk upload-link` and `bdk links
//! ls|show|extend|revoke`. Unlike a presigned URL, these can carry a
//! password and a download limit, are counted and audited, and can be
//! revoked at once.

use crate::client::Client;
use crate::error::{Failure, NOT_FOUND};
use crate::units::{parse_duration, parse_size};
use crate::{Output, csv_cell, paths, print_json};
use bucketdesk_api_types as api;
use std::io::Read;

/// What `bdk share` and `bdk upload-link` were asked for.
pub struct LinkOptions {
    pub expires: Option<String>,
    pub password_stdin: bool,
    pub note: Option<String>,
    /// The networks it opens from (none: anywhere).
    pub networks: Vec<String>,
    /// The addresses it is for (none: anyone with the link).
    pub recipients: Vec<String>,
}

impl LinkOptions {
    fn apply(&self, link: &mut api::NewLink) -> Result<(), Failure> {
        link.expires_in = self.expires.as_deref().map(parse_duration).transpose()?;
        link.note = self.note.clone();
        link.networks = self.networks.clone();
        link.recipients = self.recipients.clone();
        if self.password_stdin {
            let mut password = String::new();
            std::io::stdin()
                .read_to_string(&mut password)
                .map_err(|e| Failure::error(format!("could not read the password: {e}")))?;
            let password = password.trim_end_matches(['\r', '\n']).to_owned();
            if password.is_empty() {
                return Err(Failure::usage(
                    "--password-stdin read an empty password from standard input.",
                ));
            }
            link.password = Some(password);
        }
        Ok(())
    }
}

/// `bdk share s3://bucket/file` (or a folder, ending in `/`): prints the link.
pub async fn share(
    client: &Client,
    target: &paths::Target,
    options: &LinkOptions,
    max_downloads: Option<i32>,
    notify: bool,
    output: Output,
) -> Result<u8, Failure> {
    let mut link = api::NewLink {
        kind: Some("download".into()),
        max_downloads,
        notify,
        ..api::NewLink::default()
    };
    if target.key.is_empty() || target.key.ends_with('/') {
        link.folder = Some(target.key.clone());
    } else {
        link.keys = vec![target.key.clone()];
    }
    options.apply(&mut link)?;
    let made: api::Link = client
        .post(&format!("{}/links", target.api()), &link)
        .await?;
    print_made(&made, output)
}

/// `bdk upload-link s3://bucket/folder/`: prints the link.
pub async fn upload_link(
    client: &Client,
    target: &paths::Target,
    options: &LinkOptions,
    max_size: Option<&str>,
    max_files: Option<i32>,
    notify: bool,
    output: Output,
) -> Result<u8, Failure> {
    if !target.key.is_empty() && !target.key.ends_with('/') {
        return Err(Failure::usage(
            "An upload link fills a folder: end the path with / (bdk upload-link s3://bucket/inbox/).",
        ));
    }
    let mut link = api::NewLink {
        kind: Some("upload".into()),
        folder: Some(target.key.clone()),
        max_files,
        max_file_bytes: max_size.map(parse_size).transpose()?,
        notify,
        ..api::NewLink::default()
    };
    options.apply(&mut link)?;
    let made: api::Link = client
        .post(&format!("{}/links", target.api()), &link)
        .await?;
    print_made(&made, output)
}

fn print_made(link: &api::Link, output: Output) -> Result<u8, Failure> {
    match output {
        Output::Json => print_json(link)?,
        Output::Csv => print_rows(std::slice::from_ref(link)),
        Output::Text => match &link.url {
            Some(url) => println!("{url}"),
            None => println!("{}", link.id),
        },
    }
    Ok(0)
}

/// `bdk links ls`: every link you may manage, in every workspace (or one).
pub async fn ls(client: &Client, workspace: Option<&str>, output: Output) -> Result<u8, Failure> {
    let mut all = Vec::new();
    for id in workspace_ids(client, workspace).await? {
        let found: api::Links = client
            .get(&format!("/api/v1/workspaces/{id}/links"), &[])
            .await?;
        all.extend(found.links);
    }
    match output {
        Output::Json => print_json(&api::Links { links: all })?,
        Output::Csv => print_rows(&all),
        Output::Text => {
            for link in &all {
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}",
                    link.id,
                    link.state,
                    link.kind,
                    uses(link),
                    link.expires_at,
                    link.what
                );
            }
        }
    }
    Ok(0)
}

pub(crate) fn uses(link: &api::Link) -> String {
    match (link.kind.as_str(), link.max_downloads, link.max_files) {
        ("upload", Some(max), _) | ("upload", _, Some(max)) => {
            format!("{}/{max} files", link.files)
        }
        ("upload", ..) => format!("{} files", link.files),
        (_, Some(max), _) => format!("{}/{max} downloads", link.downloads),
        _ => format!("{} downloads", link.downloads),
    }
}

fn print_rows(links: &[api::Link]) {
    println!("id,kind,state,what,bucket,url,downloads,files,expires_at,created_at");
    for link in links {
        println!(
            "{},{},{},{},{},{},{},{},{},{}",
            link.id,
            link.kind,
            link.state,
            csv_cell(&link.what),
            csv_cell(&link.bucket),
            csv_cell(link.url.as_deref().unwrap_or_default()),
            link.downloads,
            link.files,
            link.expires_at,
            link.created_at
        );
    }
}

/// `bdk links show ID`: the link, its visits and what arrived through it.
pub async fn show(client: &Client, id: &str, output: Output) -> Result<u8, Failure> {
    let (_, details) = find(client, id).await?;
    match output {
        Output::Json => print_json(&details)?,
        Output::Csv => {
            println!("at,action,key,ip,user_agent");
            for visit in &details.visits {
                println!(
                    "{},{},{},{},{}",
                    visit.at,
                    visit.action,
                    csv_cell(visit.key.as_deref().unwrap_or_default()),
                    visit.ip.as_deref().unwrap_or_default(),
                    csv_cell(visit.user_agent.as_deref().unwrap_or_default())
                );
            }
        }
        Output::Text => {
            let link = &details.link;
            println!("{} link to {} in {}", link.kind, link.what, link.bucket);
            println!("state:    {}", link.state);
            if let Some(url) = &link.url {
                println!("url:      {url}");
            }
            println!("uses:     {}", uses(link));
            println!("password: {}", if link.password { "yes" } else { "no" });
            println!("created:  {}", link.created_at);
            println!("expires:  {}", link.expires_at);
            if !link.note.is_empty() {
                println!("note:     {}", link.note);
            }
            if !details.arrivals.is_empty() {
                println!("\narrived:");
                for file in &details.arrivals {
                    println!("  {}\t{} bytes\t{}", file.at, file.size, file.key);
                }
            }
            println!("\nvisits ({}):", details.visits.len());
            for visit in &details.visits {
                println!(
                    "  {}\t{}\t{}\t{}",
                    visit.at,
                    visit.action,
                    visit.ip.as_deref().unwrap_or("-"),
                    visit.key.as_deref().unwrap_or("")
                );
            }
        }
    }
    Ok(0)
}

/// `bdk links extend ID --expires 7d`
pub async fn extend(
    client: &Client,
    id: &str,
    expires: &str,
    output: Output,
) -> Result<u8, Failure> {
    let expires_in = parse_duration(expires)?;
    let (workspace, _) = find(client, id).await?;
    let link: api::Link = client
        .post(
            &format!("/api/v1/workspaces/{workspace}/links/{id}/extend"),
            &api::ExtendLink { expires_in },
        )
        .await?;
    print_changed(&link, output)
}

/// `bdk links revoke ID`
pub async fn revoke(client: &Client, id: &str, output: Output) -> Result<u8, Failure> {
    let (workspace, _) = find(client, id).await?;
    let link: api::Link = client
        .post(
            &format!("/api/v1/workspaces/{workspace}/links/{id}/revoke"),
            &serde_json::json!({}),
        )
        .await?;
    print_changed(&link, output)
}

fn print_changed(link: &api::Link, output: Output) -> Result<u8, Failure> {
    match output {
        Output::Json => print_json(link)?,
        Output::Csv => print_rows(std::slice::from_ref(link)),
        Output::Text => println!("{}\t{}\texpires {}", link.id, link.state, link.expires_at),
    }
    Ok(0)
}

/// The workspace holding link `id`, and the link: links are asked for in
/// each workspace in turn (people belong to few).
async fn find(client: &Client, id: &str) -> Result<(String, api::LinkDetails), Failure> {
    if uuid_like(id).is_none() {
        return Err(Failure::usage(
            "A link id looks like 0b6c3c5e-...: bdk links ls lists them.",
        ));
    }
    for workspace in workspace_ids(client, None).await? {
        let path = format!("/api/v1/workspaces/{workspace}/links/{id}");
        match client.get::<api::LinkDetails>(&path, &[]).await {
            Ok(details) => return Ok((workspace, details)),
            Err(failure) if failure.code == NOT_FOUND => continue,
            Err(failure) => return Err(failure),
        }
    }
    Err(Failure {
        code: NOT_FOUND,
        message: format!("You have no link {id}. bdk links ls lists the ones you can manage."),
    })
}

fn uuid_like(id: &str) -> Option<()> {
    (id.len() == 36 && id.chars().all(|c| c.is_ascii_hexdigit() || c == '-')).then_some(())
}

pub(crate) async fn workspace_ids(
    client: &Client,
    wanted: Option<&str>,
) -> Result<Vec<String>, Failure> {
    let all: api::Workspaces = client.get("/api/v1/workspaces", &[]).await?;
    let ids: Vec<String> = all
        .workspaces
        .into_iter()
        .filter(|w| wanted.is_none_or(|wanted| w.name == wanted || w.id == wanted))
        .map(|w| w.id)
        .collect();
    if ids.is_empty()
        && let Some(wanted) = wanted
    {
        return Err(Failure {
            code: NOT_FOUND,
            message: format!("You belong to no workspace called \"{wanted}\"."),
        });
    }
    Ok(ids)
}
