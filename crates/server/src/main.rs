//! `bucketdesk`: the server binary. Parses the command line and the
//! configuration, then runs one command.

mod commands;
mod config;
mod demo;
mod keys;
mod telemetry;

use clap::{Parser, Subcommand};

/// mimalloc returns freed memory to the system promptly: with glibc's
/// per-thread arenas, the large part buffers of streamed uploads linger and
/// the process's memory climbs well past what it actually holds (R1).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use std::process::ExitCode;

/// bucketdesk: a self-hosted, multi-user web workspace for S3 buckets.
///
/// Configuration comes from environment variables and a `.env` file in the
/// working folder; see the README or `.env.example` for the full list.
#[derive(Parser)]
#[command(name = "bucketdesk", version, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web server (the default). Applies pending database migrations
    /// first, creates the instance key file when it is missing, and stops
    /// gracefully on SIGTERM or Ctrl-C, letting requests in flight finish.
    Serve,
    /// Apply pending database migrations, then exit.
    Migrate,
    /// Manage instance admins.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Show or rotate the instance key that protects stored bucket secrets.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Check that the server on BUCKETDESK_BIND answers /healthz (for
    /// container health checks). Exits 0 when healthy, 1 otherwise.
    Healthcheck,
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Show the instance key's id and how many bucket secrets it protects.
    Status,
    /// Generate a new key pair and re-wrap every stored secret under it, in
    /// one transaction. The old key file is kept beside the new one until
    /// you delete it. Restart running servers afterwards.
    Rotate,
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create an instance admin who can sign in with an emailed code (or
    /// make an existing account an admin).
    Add {
        /// The admin's email address.
        email: String,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Err(e) = dotenvy::dotenv().map(|_| ())
        && !e.not_found()
    {
        eprintln!("error: cannot read .env: {e}");
        return ExitCode::FAILURE;
    }
    let config = match config::Config::from_env() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let telemetry = match telemetry::init(
        config.log_json,
        config.metrics_bind.is_some(),
        config.otlp_traces_endpoint.as_ref(),
    ) {
        Ok(telemetry) => telemetry,
        Err(e) => {
            eprintln!("error: OpenTelemetry: cannot send traces to the OTLP address: {e}");
            return ExitCode::FAILURE;
        }
    };

    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command.unwrap_or(Command::Serve) {
            Command::Serve => commands::serve(config).await,
            Command::Migrate => commands::migrate(config).await,
            Command::Admin(AdminCommand::Add { email }) => {
                commands::add_admin(config, &email).await
            }
            Command::Keys(KeysCommand::Status) => commands::keys_status(config).await,
            Command::Keys(KeysCommand::Rotate) => commands::keys_rotate(config).await,
            Command::Healthcheck => commands::healthcheck(config).await,
        }
    });
    drop(runtime);
    telemetry.shutdown();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
