//! `bdk inspect`: a presigned S3 URL read offline (signed, expires, time
//! left, VALID or EXPIRED), or a bucketdesk link checked with its server.

use crate::client::Client;
use crate::commands::links::{uses, workspace_ids};
use crate::error::{self, Failure, NOT_FOUND};
use crate::{Output, csv_cell, inspect, print_json};
use bucketdesk_api_types as api;

pub fn inspect(url: &str, output: Output) -> u8 {
    let now = time::OffsetDateTime::now_utc();
    let seen = match inspect::inspect(url, now) {
        Ok(seen) => seen,
        Err(problem) => {
            eprintln!("bdk: {problem}");
            return error::USAGE;
        }
    };
    let verdict = if seen.valid { "VALID" } else { "EXPIRED" };
    match output {
        Output::Json => {
            if let Ok(text) = serde_json::to_string_pretty(&seen) {
                println!("{text}");
            }
        }
        Output::Csv => {
            println!("status,signed_at,expires_at,seconds_left,bucket,key");
            println!(
                "{verdict},{},{},{},{},{}",
                seen.signed_at,
                seen.expires_at,
                seen.seconds_left,
                csv_cell(seen.bucket.as_deref().unwrap_or("")),
                csv_cell(&seen.key)
            );
        }
        Output::Text => {
            println!("{verdict}");
            println!("signed:    {}", seen.signed_at);
            println!(
                "expires:   {} (after {})",
                seen.expires_at,
                inspect::human_duration(seen.expires_in_seconds)
            );
            if seen.valid {
                println!("time left: {}", inspect::human_duration(seen.seconds_left));
            }
            println!("bucket:    {}", seen.bucket.as_deref().unwrap_or("?"));
            println!("key:       {}", seen.key);
            println!("host:      {}", seen.host);
            if let Some(region) = &seen.region {
                println!("region:    {region}");
            }
            println!(
                "method:    not recorded in a presigned URL (GET to download, PUT if it was made for upload)"
            );
        }
    }
    if seen.valid { 0 } else { error::EXPIRED }
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
