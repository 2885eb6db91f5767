//! `bdk presign`: one URL, an upload URL, or every file under a prefix.

use crate::client::Client;
use crate::error::Failure;
use crate::{Output, print_json};
use crate::{csv_cell, paths};
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
    if link.capped {
        say_capped(&link.expires_at);
    }
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
            if let Some(link) = batch.links.iter().find(|link| link.capped) {
                say_capped(&link.expires_at);
            }
            for link in batch.links {
                println!("{}\t{}", link.key, link.url);
            }
        }
    }
    Ok(0)
}

/// On standard error, so the URLs on standard output stay clean for scripts.
fn say_capped(expires_at: &str) {
    eprintln!(
        "note: this bucket is reached through an IAM role, and a presigned URL cannot outlive the role \
         session that signed it: valid until {expires_at}, sooner than asked. For longer, make a revocable \
         link (bdk share)."
    );
}
