//! `bdk`: bucketdesk from the shell, with a personal access token instead of
//! AWS keys. `bdk presign` prints a URL alone on stdout, exactly where
//! `aws s3 presign` would, so shell functions keep working with the command
//! swapped. Exit codes are listed in `error.rs` and the README.

mod client;
mod config;
mod error;
mod inspect;
mod paths;

use bucketdesk_api_types as api;
use clap::{Parser, Subcommand, ValueEnum};
use client::Client;
use error::Failure;
use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "bdk",
    version,
    about = "bucketdesk from the shell: presigned links, batch links, upload URLs and listings, without AWS keys"
)]
struct Cli {
    /// The profile to use (see `bdk login`).
    #[arg(long, global = true, default_value = "default", env = "BDK_PROFILE")]
    profile: String,
    /// How results are printed.
    #[arg(long, short, global = true, value_enum, default_value_t = Output::Text)]
    output: Output,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Output {
    Text,
    Json,
    Csv,
}

#[derive(Subcommand)]
enum Command {
    /// Saves a bucketdesk URL and a personal access token as a profile.
    Login {
        /// The address of bucketdesk, e.g. https://files.example.com
        url: String,
        /// Read the token from standard input (else BDK_TOKEN, else a prompt).
        #[arg(long)]
        token_stdin: bool,
    },
    /// Who the profile's token acts for.
    Whoami,
    /// Lists your buckets, or a folder: `bdk ls s3://photos/2026/`.
    Ls {
        path: Option<String>,
        /// Everything under the folder, not only its first level.
        #[arg(long, short)]
        recursive: bool,
        /// The workspace, when a bucket name is in several.
        #[arg(long)]
        workspace: Option<String>,
    },
    /// Prints a presigned URL: `bdk presign s3://photos/a.jpg --expires-in 3600`.
    Presign {
        path: String,
        /// Seconds, 1 to 604800 (7 days); 900 by default.
        #[arg(long)]
        expires_in: Option<u64>,
        /// An upload URL (HTTP PUT) instead of a download URL (Editors).
        #[arg(long, conflicts_with = "recursive")]
        put: bool,
        /// A URL for every file under the path (at most 1,000).
        #[arg(long, short)]
        recursive: bool,
        /// With --recursive: CSV (key,url,expires_at), as --output csv.
        #[arg(long)]
        csv: bool,
        #[arg(long)]
        workspace: Option<String>,
    },
    /// Reads a presigned S3 URL offline: signed, expires, time left, VALID or EXPIRED.
    Inspect { url: String },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("bdk: {e}");
            return ExitCode::from(error::ERROR);
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => ExitCode::from(code),
        Err(failure) => {
            eprintln!("bdk: {}", failure.message);
            ExitCode::from(failure.code)
        }
    }
}

async fn run(cli: Cli) -> Result<u8, Failure> {
    match cli.command {
        Command::Login { url, token_stdin } => login(&cli.profile, &url, token_stdin).await,
        Command::Inspect { url } => Ok(inspect(&url, cli.output)),
        command => {
            let client = Client::new(&config::profile(&cli.profile)?);
            match command {
                Command::Whoami => whoami(&client, cli.output).await,
                Command::Ls {
                    path,
                    recursive,
                    workspace,
                } => {
                    ls(
                        &client,
                        path.as_deref(),
                        recursive,
                        workspace.as_deref(),
                        cli.output,
                    )
                    .await
                }
                Command::Presign {
                    path,
                    expires_in,
                    put,
                    recursive,
                    csv,
                    workspace,
                } => {
                    let output = if csv { Output::Csv } else { cli.output };
                    let target = paths::resolve(&client, &path, workspace.as_deref()).await?;
                    if recursive {
                        presign_many(&client, &target, expires_in, output).await
                    } else {
                        presign(&client, &target, expires_in, put, output).await
                    }
                }
                Command::Login { .. } | Command::Inspect { .. } => Ok(0),
            }
        }
    }
}

fn print_json<T: serde::Serialize>(value: &T) -> Result<(), Failure> {
    let text = serde_json::to_string_pretty(value).map_err(|e| Failure::error(e.to_string()))?;
    println!("{text}");
    Ok(())
}

async fn login(profile: &str, url: &str, token_stdin: bool) -> Result<u8, Failure> {
    let url = url.trim_end_matches('/').to_owned();
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        return Err(Failure::usage(
            "The URL starts with https:// (or http:// on your own machine).",
        ));
    }
    let token = match std::env::var("BDK_TOKEN") {
        Ok(token) if !token_stdin => token,
        _ => {
            let stdin = std::io::stdin();
            if !token_stdin && stdin.is_terminal() {
                eprint!("Make a token at {url}/account/tokens and paste it here: ");
                let _ = std::io::stderr().flush();
            }
            let mut line = String::new();
            stdin
                .lock()
                .read_line(&mut line)
                .map_err(|e| Failure::error(e.to_string()))?;
            line.trim().to_owned()
        }
    };
    if token.is_empty() {
        return Err(Failure::usage(format!(
            "No token given. Make one at {url}/account/tokens."
        )));
    }
    let saved = config::Profile {
        url: url.clone(),
        token,
    };
    let me = Client::new(&saved).me().await?;
    let mut all = config::load()?;
    all.profiles.insert(profile.to_owned(), saved);
    let path = config::save(&all)?;
    eprintln!(
        "Signed in to {url} as {} with the token \"{}\" ({}); saved as profile \"{profile}\" in {}.",
        me.email,
        me.token.name,
        me.token.scopes.join(", "),
        path.display()
    );
    Ok(0)
}

async fn whoami(client: &Client, output: Output) -> Result<u8, Failure> {
    let me = client.me().await?;
    match output {
        Output::Json => print_json(&me)?,
        _ => println!(
            "{} (token \"{}\" {}…, scopes {}, expires {})",
            me.email,
            me.token.name,
            me.token.prefix,
            me.token.scopes.join(", "),
            me.token.expires_at
        ),
    }
    Ok(0)
}

fn csv_cell(value: &str) -> String {
    let guarded = if value.starts_with(['=', '+', '-', '@']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    format!("\"{}\"", guarded.replace('"', "\"\""))
}

async fn ls(
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
                        println!("{:<24} {:<24} {:<8} ({})", b.bucket, b.name, b.role, w.name);
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
    let mut folders = Vec::new();
    let mut files = Vec::new();
    let mut pending = vec![prefix];
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

async fn presign(
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

async fn presign_many(
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

fn inspect(url: &str, output: Output) -> u8 {
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
