//! `bdk presign` (one URL, an upload URL, or every file under a prefix)
//! and `bdk inspect`.

use crate::client::Client;
use crate::error::Failure;
use crate::{Output, print_json};
use crate::{csv_cell, error, inspect, paths};
use bucketdesk_api_types as api;

pub async fn presign(
    client: &Client,
    target: &paths::Target,
    expires_in: Option<u64>,
    put: bool,
    output: Output,
) -> Result<u8, Failure> {
    if target.key.is_empty() || target.key.ends_with('/') {
        return Err(Failure::usage(
            "Name a file: bdk presign s3://bucket/path/to/file (or --recursive for a folder).",
        ));
    }
    let request = api::PresignRequest {
        key: target.key.clone(),
        method: put.then(|| "PUT".to_owned()),
        expires_in,
    };
    let link: api::Presigned = client
        .post(&format!("{}/presign", target.api()), &request)
        .await?;
    match output {
        Output::Json => print_json(&link)?,
        Output::Csv => {
            println!("key,url,expires_at");
            println!(
                "{},{},{}",
                csv_cell(&link.key),
                csv_cell(&link.url),
                link.expires_at
            );
        }
        Output::Text => println!("{}", link.url),
    }
    Ok(0)
}

pub async fn presign_many(
    client: &Client,
    target: &paths::Target,
    expires_in: Option<u64>,
    output: Output,
) -> Result<u8, Failure> {
    let request = api::BatchPresignRequest {
        keys: None,
        prefix: Some(target.key.clone()),
        expires_in,
    };
    let path = format!("{}/presign/batch", target.api());
    match output {
        Output::Csv => print!(
            "{}",
            client.post_for_text(&path, &request, "text/csv").await?
        ),
        Output::Json => print_json(
            &client
                .post::<_, api::BatchPresigned>(&path, &request)
                .await?,
        )?,
        Output::Text => {
            let batch: api::BatchPresigned = client.post(&path, &request).await?;
            for link in batch.links {
                println!("{}\t{}", link.key, link.url);
            }
        }
    }
    Ok(0)
}

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
