//! `bdk`: bucketdesk from the shell, with a personal access token instead of
//! AWS keys. `bdk presign` prints a URL alone on stdout, exactly where
//! `aws s3 presign` would, so shell functions keep working with the command
//! swapped. Exit codes are listed in `error.rs` and the README.

mod client;
mod commands;
mod config;
mod error;
mod inspect;
mod paths;
mod units;

use clap::{Parser, Subcommand, ValueEnum};
use client::Client;
use error::Failure;
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
pub(crate) enum Output {
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
    /// Copies a file down from a bucket (resumes a cut-off download when run
    /// again; `-` writes to standard output) or up into one:
    /// `bdk cp s3://photos/a.jpg .`, `bdk cp report.pdf s3://photos/inbox/`.
    Cp {
        from: String,
        to: String,
        /// A whole folder, down or up, keeping its tree.
        #[arg(long, short)]
        recursive: bool,
        #[arg(long)]
        workspace: Option<String>,
    },
    /// Creates a folder: `bdk mkdir s3://photos/2026/`.
    Mkdir {
        path: String,
        #[arg(long)]
        workspace: Option<String>,
    },
    /// Renames or moves within a bucket: `bdk mv s3://photos/a.jpg s3://photos/old/a.jpg`.
    Mv {
        from: String,
        to: String,
        #[arg(long)]
        workspace: Option<String>,
    },
    /// Deletes a file, or with --recursive a folder and everything in it.
    Rm {
        path: String,
        /// A folder and everything in it (asks first unless --yes).
        #[arg(long, short)]
        recursive: bool,
        /// Do not ask.
        #[arg(long, short)]
        yes: bool,
        #[arg(long)]
        workspace: Option<String>,
    },
    /// Makes a revocable download link to a file or a folder (ending in /)
    /// and prints it: `bdk share s3://photos/a.jpg --expires 30d --max-downloads 5`.
    Share {
        path: String,
        /// How long it works: 30d, 12h, 90m or seconds (7 days by default).
        #[arg(long)]
        expires: Option<String>,
        /// Read a password visitors must type from standard input.
        #[arg(long)]
        password_stdin: bool,
        /// How many downloads it allows.
        #[arg(long)]
        max_downloads: Option<i32>,
        /// Mail you when it is first downloaded.
        #[arg(long)]
        notify: bool,
        /// A note shown to visitors.
        #[arg(long)]
        note: Option<String>,
        /// Opens only from this network (a CIDR range or an address);
        /// repeat for several: `--from 203.0.113.0/24 --from 2001:db8::/32`.
        #[arg(long = "from", value_name = "NETWORK")]
        from: Vec<String>,
        /// Only for this person: visitors type this address and the code
        /// mailed to it before the link opens; repeat for several.
        #[arg(long = "for", value_name = "EMAIL")]
        recipients: Vec<String>,
        #[arg(long)]
        workspace: Option<String>,
    },
    /// Makes a link through which people without an account upload into a
    /// folder: `bdk upload-link s3://photos/inbox/ --max-files 20`.
    UploadLink {
        path: String,
        /// How long it works: 30d, 12h, 90m or seconds (7 days by default).
        #[arg(long)]
        expires: Option<String>,
        /// The largest file it accepts: 100MB, 2GiB or bytes.
        #[arg(long)]
        max_size: Option<String>,
        /// How many files it accepts.
        #[arg(long)]
        max_files: Option<i32>,
        /// Mail you when files arrive (at most one mail every 10 minutes).
        #[arg(long)]
        notify: bool,
        /// Read a password visitors must type from standard input.
        #[arg(long)]
        password_stdin: bool,
        /// A note shown to visitors.
        #[arg(long)]
        note: Option<String>,
        /// Opens only from this network (a CIDR range or an address);
        /// repeat for several: `--from 203.0.113.0/24 --from 2001:db8::/32`.
        #[arg(long = "from", value_name = "NETWORK")]
        from: Vec<String>,
        /// Only for this person: visitors type this address and the code
        /// mailed to it before the link opens; repeat for several.
        #[arg(long = "for", value_name = "EMAIL")]
        recipients: Vec<String>,
        #[arg(long)]
        workspace: Option<String>,
    },
    /// Lists, shows, extends and revokes your revocable links.
    #[command(subcommand)]
    Links(LinksCommand),
    /// Connects a bucket with the access key of an AWS profile (workspace
    /// Owners; a token with the admin scope):
    /// `bdk connect s3://photos --from-profile work --workspace Team`.
    Connect {
        /// The S3 bucket: s3://NAME.
        bucket: String,
        /// The profile of your AWS config files whose access key (and
        /// region) to use, as `aws configure` wrote it.
        #[arg(long)]
        from_profile: String,
        /// Its name in bucketdesk (the bucket's own name by default).
        #[arg(long)]
        name: Option<String>,
        /// aws (default), r2, minio, b2, wasabi, spaces, gcs or other.
        #[arg(long)]
        provider: Option<String>,
        /// The S3 endpoint, for a service other than AWS (e.g. http://localhost:9000).
        #[arg(long)]
        endpoint: Option<String>,
        /// The bucket's region, instead of the profile's.
        #[arg(long)]
        region: Option<String>,
        /// The workspace (by name or id); the only one you own by default.
        #[arg(long)]
        workspace: Option<String>,
    },
    /// Reads a presigned S3 URL offline (signed, expires, time left, VALID or
    /// EXPIRED), or asks bucketdesk whether one of its /s/ or /u/ links works.
    Inspect { url: String },
}

#[derive(Subcommand)]
enum LinksCommand {
    /// Every link you may manage: id, state, kind, uses, expiry, what.
    Ls {
        #[arg(long)]
        workspace: Option<String>,
    },
    /// One link with its visits (and the files that arrived through an upload link).
    Show { id: String },
    /// Makes a link work for a new length of time from now: `--expires 30d`.
    Extend {
        id: String,
        #[arg(long)]
        expires: String,
    },
    /// Stops a link at once, for good.
    Revoke { id: String },
}

fn main() -> ExitCode {
    // Rust ignores SIGPIPE, so printing into a closed pipe (`bdk ls | head`)
    // would panic; like other command-line tools, end quietly instead
    sigpipe::reset();
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
        Command::Login { url, token_stdin } => {
            commands::account::login(&cli.profile, &url, token_stdin).await
        }
        Command::Inspect { url } if commands::inspect::is_bucketdesk_link(&url) => {
            // a profile, when there is one, tells what the link shares
            let client = config::profile(&cli.profile).ok().map(|p| Client::new(&p));
            commands::inspect::inspect_link(&url, client.as_ref(), cli.output).await
        }
        Command::Inspect { url } => Ok(commands::inspect::inspect(&url, cli.output)),
        command => {
            let client = Client::new(&config::profile(&cli.profile)?);
            match command {
                Command::Whoami => commands::account::whoami(&client, cli.output).await,
                Command::Ls {
                    path,
                    recursive,
                    workspace,
                } => {
                    commands::files::ls(
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
                        commands::presign::presign_many(&client, &target, expires_in, output).await
                    } else {
                        commands::presign::presign(&client, &target, expires_in, put, output).await
                    }
                }
                Command::Mkdir { path, workspace } => {
                    commands::files::mkdir(&client, &path, workspace.as_deref(), cli.output).await
                }
                Command::Mv {
                    from,
                    to,
                    workspace,
                } => {
                    commands::files::mv(&client, &from, &to, workspace.as_deref(), cli.output).await
                }
                Command::Rm {
                    path,
                    recursive,
                    yes,
                    workspace,
                } => {
                    commands::files::rm(
                        &client,
                        &path,
                        recursive,
                        yes,
                        workspace.as_deref(),
                        cli.output,
                    )
                    .await
                }
                Command::Cp {
                    from,
                    to,
                    recursive,
                    workspace,
                } => commands::copy::cp(&client, &from, &to, recursive, workspace.as_deref()).await,
                Command::Share {
                    path,
                    expires,
                    password_stdin,
                    max_downloads,
                    notify,
                    note,
                    from,
                    recipients,
                    workspace,
                } => {
                    let target = paths::resolve(&client, &path, workspace.as_deref()).await?;
                    let options = commands::links::LinkOptions {
                        expires,
                        password_stdin,
                        note,
                        networks: from,
                        recipients,
                    };
                    commands::links::share(
                        &client,
                        &target,
                        &options,
                        max_downloads,
                        notify,
                        cli.output,
                    )
                    .await
                }
                Command::UploadLink {
                    path,
                    expires,
                    max_size,
                    max_files,
                    notify,
                    password_stdin,
                    note,
                    from,
                    recipients,
                    workspace,
                } => {
                    let target = paths::resolve(&client, &path, workspace.as_deref()).await?;
                    let options = commands::links::LinkOptions {
                        expires,
                        password_stdin,
                        note,
                        networks: from,
                        recipients,
                    };
                    commands::links::upload_link(
                        &client,
                        &target,
                        &options,
                        max_size.as_deref(),
                        max_files,
                        notify,
                        cli.output,
                    )
                    .await
                }
                Command::Links(LinksCommand::Ls { workspace }) => {
                    commands::links::ls(&client, workspace.as_deref(), cli.output).await
                }
                Command::Links(LinksCommand::Show { id }) => {
                    commands::links::show(&client, &id, cli.output).await
                }
                Command::Links(LinksCommand::Extend { id, expires }) => {
                    commands::links::extend(&client, &id, &expires, cli.output).await
                }
                Command::Links(LinksCommand::Revoke { id }) => {
                    commands::links::revoke(&client, &id, cli.output).await
                }
                Command::Connect {
                    bucket,
                    from_profile,
                    name,
                    provider,
                    endpoint,
                    region,
                    workspace,
                } => {
                    let asked = commands::connect::Connect {
                        bucket: &bucket,
                        from_profile: &from_profile,
                        name: name.as_deref(),
                        provider: provider.as_deref(),
                        endpoint: endpoint.as_deref(),
                        region: region.as_deref(),
                        workspace: workspace.as_deref(),
                    };
                    commands::connect::connect(&client, &asked, cli.output).await
                }
                Command::Login { .. } | Command::Inspect { .. } => Ok(0),
            }
        }
    }
}
pub(crate) fn print_json<T: serde::Serialize>(value: &T) -> Result<(), Failure> {
    let text = serde_json::to_string_pretty(value).map_err(|e| Failure::error(e.to_string()))?;
    println!("{text}");
    Ok(())
}
pub(crate) fn csv_cell(value: &str) -> String {
    let guarded = if value.starts_with(['=', '+', '-', '@']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    format!("\"{}\"", guarded.replace('"', "\"\""))
}
