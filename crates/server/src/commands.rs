//! The subcommands.

use crate::config::Config;
use anyhow::{Context, bail};
use bucketdesk_db::users::{self, AdminOutcome};
use bucketdesk_domain::Email;
use secrecy::ExposeSecret;
use sqlx::postgres::PgConnectOptions;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// How long start-up waits for the database before giving up.
const DATABASE_WAIT: Duration = Duration::from_secs(60);
/// How often expired sessions and stale sign-in codes are deleted.
const CLEAN_UP_EVERY: Duration = Duration::from_secs(10 * 60);
/// How often multipart uploads abandoned a day ago are looked for.
const ABANDONED_UPLOADS_EVERY: Duration = Duration::from_secs(60 * 60);

async fn connect(config: &Config) -> anyhow::Result<bucketdesk_db::PgPool> {
    let url = config.require_database_url()?;
    let options: PgConnectOptions = url
        .expose_secret()
        .parse()
        .map_err(|_| anyhow::anyhow!("DATABASE_URL: is not a valid Postgres URL"))?;
    let pool = bucketdesk_db::pool(options, config.database_max_connections);
    // wait for the database to come up (it may start alongside us, e.g. in compose)
    let started = Instant::now();
    let mut logged = false;
    while !bucketdesk_db::ping(&pool).await {
        if started.elapsed() > DATABASE_WAIT {
            bail!(
                "DATABASE_URL: cannot reach the database after {}s",
                DATABASE_WAIT.as_secs()
            );
        }
        if !logged {
            tracing::warn!("waiting for the database to accept connections");
            logged = true;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    Ok(pool)
}

async fn connect_and_migrate(config: &Config) -> anyhow::Result<bucketdesk_db::PgPool> {
    let pool = connect(config).await?;
    bucketdesk_web::migrate(&pool).await?;
    Ok(pool)
}

pub async fn migrate(config: Config) -> anyhow::Result<()> {
    connect_and_migrate(&config).await?;
    println!("The database is up to date.");
    Ok(())
}

pub async fn add_admin(config: Config, email: &str) -> anyhow::Result<()> {
    let email = Email::parse(email).map_err(|e| anyhow::anyhow!("{email:?}: {e}"))?;
    let pool = connect_and_migrate(&config).await?;
    let outcome = users::make_admin(&pool, &email)
        .await
        .context("cannot save the admin")?;
    let message = match outcome {
        AdminOutcome::Created => "is now an instance admin",
        AdminOutcome::Promoted => "already had an account and is now an instance admin",
        AdminOutcome::AlreadyAdmin => "was already an instance admin",
    };
    println!(
        "{email} {message}. They sign in at {} with a code sent by email.",
        config.public_url
    );
    Ok(())
}

pub async fn serve(config: Config) -> anyhow::Result<()> {
    std::fs::create_dir_all(&config.data_dir).with_context(|| {
        format!(
            "BUCKETDESK_DATA_DIR: cannot create {}",
            config.data_dir.display()
        )
    })?;
    let pool = connect_and_migrate(&config).await?;
    let key = crate::keys::load_for_serving(&config, &pool).await?;
    let mailer = config.mailer()?;
    if mailer.is_console() {
        tracing::warn!(
            "SMTP_URL is not set: mails (sign-in codes included) are printed to this console. Set SMTP_URL in production."
        );
    }
    let mut settings = config.web_settings();
    settings.aws_identity = config.aws_identity().await?;
    if let Some(identity) = &settings.aws_identity {
        tracing::info!(principal = %identity.principal(), "buckets can be connected by IAM role");
    }
    let (state, router) = bucketdesk_web::build_app(pool, settings, mailer, key);
    // runs as long as this variable lives, that is, until the server stops
    let _demo_s3 = match &config.demo_owner {
        Some(owner) => Some(crate::demo::start(&config, &state, owner).await?),
        None => None,
    };

    let listener = tokio::net::TcpListener::bind(config.bind)
        .await
        .with_context(|| format!("BUCKETDESK_BIND: cannot listen on {}", config.bind))?;
    tracing::info!(bind = %config.bind, public_url = %config.public_url, "bucketdesk is listening");

    if let Some(metrics_bind) = config.metrics_bind {
        let metrics = tokio::net::TcpListener::bind(metrics_bind)
            .await
            .with_context(|| format!("BUCKETDESK_METRICS_BIND: cannot listen on {metrics_bind}"))?;
        tracing::info!(bind = %metrics_bind, "metrics are served at /metrics");
        // a scrape is short; it stops with the process
        tokio::spawn(bucketdesk_web::serve_metrics(metrics, state.clone()));
    }

    let cleaning = state.clone();
    tokio::spawn(async move {
        loop {
            if let Err(error) = bucketdesk_web::clean_up(&cleaning).await {
                tracing::warn!(%error, "could not delete expired sessions and codes");
            }
            tokio::time::sleep(CLEAN_UP_EVERY).await;
        }
    });
    // at start-up, then every hour (R8)
    let aborting = state.clone();
    tokio::spawn(async move {
        loop {
            if let Err(error) = bucketdesk_core::uploads::abort_abandoned(
                &aborting.db,
                &aborting.s3_clients,
                aborting.settings.upload_abandon_after,
            )
            .await
            {
                tracing::warn!(%error, "could not abort abandoned multipart uploads");
            }
            tokio::time::sleep(ABANDONED_UPLOADS_EVERY).await;
        }
    });

    bucketdesk_web::serve(listener, state, router, shutdown_signal())
        .await
        .context("the server stopped")?;
    tracing::info!("stopped");
    Ok(())
}

/// Resolves on SIGTERM (what Docker and systemd send) or Ctrl-C.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!(
        "shutting down: no new connections; finishing requests in flight (BUCKETDESK_SHUTDOWN_GRACE_SECS)"
    );
}

pub async fn keys_status(config: Config) -> anyhow::Result<()> {
    let pool = connect_and_migrate(&config).await?;
    crate::keys::status(&config, &pool).await
}

pub async fn keys_rotate(config: Config) -> anyhow::Result<()> {
    let pool = connect_and_migrate(&config).await?;
    crate::keys::rotate(&config, &pool).await
}

pub async fn healthcheck(config: Config) -> anyhow::Result<()> {
    let mut addr = config.bind;
    if addr.ip().is_unspecified() {
        addr.set_ip(if addr.is_ipv4() {
            [127, 0, 0, 1].into()
        } else {
            std::net::Ipv6Addr::LOCALHOST.into()
        });
    }
    let check = async {
        let mut stream = tokio::net::TcpStream::connect(addr).await?;
        stream
            .write_all(b"GET /healthz HTTP/1.0\r\nHost: localhost\r\n\r\n")
            .await?;
        let mut response = Vec::new();
        stream.read_to_end(&mut response).await?;
        Ok::<_, std::io::Error>(response)
    };
    let response = tokio::time::timeout(Duration::from_secs(5), check)
        .await
        .context("no answer within 5 seconds")?
        .with_context(|| format!("cannot reach {addr}"))?;
    if response.starts_with(b"HTTP/1.0 200") || response.starts_with(b"HTTP/1.1 200") {
        println!("healthy");
        Ok(())
    } else {
        bail!(
            "unhealthy: {}",
            String::from_utf8_lossy(response.split(|b| *b == b'\r').next().unwrap_or_default())
        )
    }
}
