//! Revocable links: `bdk share`, `bdk upload-link` and `bdk links
//! ls|show|extend|revoke`. Unlike a presigned URL, these can carry a
//! password and a download limit, are counted and audited, and can be
//! revoked at once.

use crate::client::Client;
use crate::error::{Failure, NOT_FOUND};
use crate::{Output, csv_cell, paths, print_json};
use bucketdesk_api_types as api;
use std::io::Read;

/// What `bdk share` and `bdk upload-link` were asked for.
pub struct LinkOptions {
    pub expires: Option<String>,
    pub password_stdin: bool,
    pub note: Option<String>,
}

impl LinkOptions {
    fn apply(&self, link: &mut api::NewLink) -> Result<(), Failure> {
        link.expires_in = self.expires.as_deref().map(parse_duration).transpose()?;
        link.note = self.note.clone();
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

fn uses(link: &api::Link) -> String {
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

async fn workspace_ids(client: &Client, wanted: Option<&str>) -> Result<Vec<String>, Failure> {
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

/// `30d`, `12h`, `90m`, `45s`, `2w` or plain seconds.
pub fn parse_duration(text: &str) -> Result<u64, Failure> {
    let text = text.trim();
    let (number, unit) = text.split_at(
        text.find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len()),
    );
    let per = match unit.trim() {
        "" | "s" => 1,
        "m" | "min" => 60,
        "h" => 3_600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        _ => 0,
    };
    match number.parse::<u64>() {
        Ok(n) if per > 0 && n > 0 => n.checked_mul(per).ok_or_else(|| bad_duration(text)),
        _ => Err(bad_duration(text)),
    }
}

fn bad_duration(text: &str) -> Failure {
    Failure::usage(format!(
        "\"{text}\" is not a duration: write 30d, 12h, 90m, 45s, 2w or a number of seconds."
    ))
}

/// `100MB`, `2GiB`, `512k` or plain bytes (k, M, G are powers of 1000;
/// KiB, MiB, GiB powers of 1024).
pub fn parse_size(text: &str) -> Result<u64, Failure> {
    let text = text.trim();
    let (number, unit) = text.split_at(
        text.find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len()),
    );
    let per: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" => 1_000,
        "m" | "mb" => 1_000_000,
        "g" | "gb" => 1_000_000_000,
        "kib" => 1 << 10,
        "mib" => 1 << 20,
        "gib" => 1 << 30,
        _ => 0,
    };
    match number.parse::<u64>() {
        Ok(n) if per > 0 && n > 0 => n.checked_mul(per).ok_or_else(|| bad_size(text)),
        _ => Err(bad_size(text)),
    }
}

fn bad_size(text: &str) -> Failure {
    Failure::usage(format!(
        "\"{text}\" is not a size: write 100MB, 2GiB, 512k or a number of bytes."
    ))
}

#[cfg(test)]
mod tests {
    use super::{parse_duration, parse_size};

    #[test]
    fn durations_are_read_with_their_unit_and_nonsense_is_refused() {
        assert_eq!(parse_duration("30d").unwrap(), 30 * 86_400);
        assert_eq!(parse_duration("12h").unwrap(), 12 * 3_600);
        assert_eq!(parse_duration("90m").unwrap(), 90 * 60);
        assert_eq!(parse_duration("2w").unwrap(), 14 * 86_400);
        assert_eq!(parse_duration("3600").unwrap(), 3_600);
        for wrong in ["", "0", "d", "3y", "-5d", "1.5h"] {
            assert!(parse_duration(wrong).is_err(), "{wrong} was accepted");
        }
    }

    #[test]
    fn sizes_are_read_in_decimal_and_binary_units() {
        assert_eq!(parse_size("100MB").unwrap(), 100_000_000);
        assert_eq!(parse_size("2GiB").unwrap(), 2 << 30);
        assert_eq!(parse_size("512k").unwrap(), 512_000);
        assert_eq!(parse_size("42").unwrap(), 42);
        for wrong in ["", "0", "MB", "5 parsecs", "1.5GB"] {
            assert!(parse_size(wrong).is_err(), "{wrong} was accepted");
        }
    }
}

/// Whether `url` is a bucketdesk link (`…/s/TOKEN` or `…/u/TOKEN`) rather
/// than a presigned S3 URL.
pub fn is_bucketdesk_link(url: &str) -> bool {
    let Ok(parsed) = url::Url::parse(url.trim()) else {
        return false;
    };
    let parts: Vec<&str> = parsed.path().trim_matches('/').split('/').collect();
    matches!(parts.as_slice(), ["s" | "u", token] if token.len() == 43)
}

/// `bdk inspect https://files.example.com/s/TOKEN`: asks the server whether
/// the link works (a HEAD request: nothing is counted or recorded), and,
/// when it is one of the profile's links, says what it shares and until when.
pub async fn inspect_link(
    url: &str,
    client: Option<&Client>,
    output: Output,
) -> Result<u8, Failure> {
    let url = url.trim();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| Failure::error(e.to_string()))?;
    let status = http.head(url).send().await?.status().as_u16();
    let mut mine = None;
    if let Some(client) = client {
        for id in workspace_ids(client, None).await.unwrap_or_default() {
            let path = format!("/api/v1/workspaces/{id}/links");
            if let Ok(found) = client.get::<api::Links>(&path, &[]).await {
                mine = found
                    .links
                    .into_iter()
                    .find(|l| l.url.as_deref() == Some(url));
            }
            if mine.is_some() {
                break;
            }
        }
    }
    let (verdict, code) = match (status, mine.as_ref().map(|l| l.state.as_str())) {
        (200, _) => ("VALID", 0),
        (410, Some("expired")) => ("EXPIRED", crate::error::EXPIRED),
        (410, Some(state)) => (state_word(state), crate::error::EXPIRED),
        (410, None) => ("GONE", crate::error::EXPIRED),
        (404, _) => ("UNKNOWN", NOT_FOUND),
        _ => {
            return Err(Failure::error(format!(
                "the server answered {status}: is this a bucketdesk link?"
            )));
        }
    };
    match output {
        Output::Json => print_json(&serde_json::json!({ "status": verdict, "link": mine }))?,
        Output::Csv => {
            println!("status,expires_at,what,url");
            println!(
                "{verdict},{},{},{}",
                mine.as_ref().map(|l| l.expires_at.as_str()).unwrap_or(""),
                csv_cell(mine.as_ref().map(|l| l.what.as_str()).unwrap_or("")),
                csv_cell(url)
            );
        }
        Output::Text => {
            println!("{verdict}");
            match &mine {
                Some(link) => {
                    println!("{} link to {} in {}", link.kind, link.what, link.bucket);
                    println!("expires:  {}", link.expires_at);
                    println!("uses:     {}", uses(link));
                    println!("id:       {} (bdk links show {})", link.id, link.id);
                }
                None if status == 410 => {
                    println!("It no longer works: it expired, was revoked or was used up.")
                }
                None if status == 404 => println!("No link has this address."),
                None => println!("(Not one of your links: only whether it works is known.)"),
            }
        }
    }
    Ok(code)
}

fn state_word(state: &str) -> &'static str {
    match state {
        "revoked" => "REVOKED",
        "used_up" => "USED UP",
        "orphaned" => "GONE",
        _ => "GONE",
    }
}
