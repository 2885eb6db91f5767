//! Configuration: every setting bucketdesk reads, from environment variables
//! (and a `.env` file in the working folder). This module, `.env.example` and
//! the README's configuration table document the same list.
//!
//! A missing or malformed value stops start-up with one line naming the
//! variable and what is wrong with it.

mod parse;

use bucketdesk_domain::{Email, SignupPolicy, WorkspaceCreators};
use bucketdesk_mail::{Mailbox, Mailer};
use bucketdesk_storage::StorageOptions;
use bucketdesk_web::Settings;
use bucketdesk_web::github_oauth::GithubSettings;
use bucketdesk_web::oidc::SsoSettings;
use ipnet::IpNet;
use parse::*;
use secrecy::{ExposeSecret, SecretString};
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;
use url::Url;

#[derive(Debug)]
pub struct Config {
    /// `DATABASE_URL`: where Postgres is. Secret: it usually holds a password.
    pub database_url: Option<SecretString>,
    /// `DATABASE_MAX_CONNECTIONS`: pool size per process.
    pub database_max_connections: u32,
    /// `BUCKETDESK_BIND`: the address to listen on.
    pub bind: SocketAddr,
    /// `BUCKETDESK_METRICS_BIND`: where `/metrics` is served; unset: nowhere.
    pub metrics_bind: Option<SocketAddr>,
    /// `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, or `OTEL_EXPORTER_OTLP_ENDPOINT`
    /// with `/v1/traces`: where traces go (OTLP over HTTP); unset: nowhere.
    pub otlp_traces_endpoint: Option<Url>,
    /// `BUCKETDESK_PUBLIC_URL`: how people reach bucketdesk.
    pub public_url: Url,
    /// `SMTP_URL`: the mail server; unset prints mails to the console.
    pub smtp_url: Option<SecretString>,
    /// `MAIL_FROM`: the sender of every mail.
    pub mail_from: Mailbox,
    /// `BUCKETDESK_DATA_DIR`: where local state lives.
    pub data_dir: PathBuf,
    /// `BUCKETDESK_KEY_FILE`: the instance RSA-4096 key pair.
    pub key_file: PathBuf,
    /// `BUCKETDESK_SIGNUP`: `invite` or `open`.
    pub signup: SignupPolicy,
    /// `BUCKETDESK_TRUSTED_PROXIES`: peers whose X-Forwarded-For is believed.
    pub trusted_proxies: Vec<IpNet>,
    /// `BUCKETDESK_SESSION_IDLE_MINUTES`: idle timeout of a session.
    pub session_idle: Duration,
    /// `BUCKETDESK_REQUEST_TIMEOUT_SECS`: longest time a request may take.
    pub request_timeout: Duration,
    /// `BUCKETDESK_LOG_FORMAT`: `text` or `json`.
    pub log_json: bool,
    /// `BUCKETDESK_ALLOW_PRIVATE_ENDPOINTS`: let buckets live on private addresses.
    pub allow_private_endpoints: bool,
    /// `BUCKETDESK_S3_TIMEOUT_SECS`: longest time one S3 operation may take.
    pub s3_timeout: Duration,
    /// `BUCKETDESK_MAX_UPLOAD_MB`: the largest file one upload may store.
    pub max_upload_mb: u64,
    /// `BUCKETDESK_LINK_MAX_DAYS`: the longest a revocable link may live.
    pub link_max_days: u64,
    /// `GITHUB_CLIENT_ID`, `GITHUB_CLIENT_SECRET`, `GITHUB_URL`,
    /// `GITHUB_API_URL`: "Sign in with GitHub", when the first two are set.
    pub github: Option<GithubSettings>,
    /// `BUCKETDESK_SSO_PROVIDERS` and `BUCKETDESK_SSO_<NAME>_*`: single
    /// sign-on with OpenID Connect providers.
    pub sso: Vec<SsoSettings>,
    /// `BUCKETDESK_SSO_ONLY`: single sign-on is the only way in.
    pub sso_only: bool,
    /// `BUCKETDESK_REQUIRE_SECOND_FACTOR`: everyone must use a second factor
    /// or single sign-on.
    pub require_second_factor: bool,
    /// `BUCKETDESK_DEMO_OWNER`: when set, the demo bucket of the local start.
    pub demo_owner: Option<Email>,
    /// `BUCKETDESK_DEMO_S3_BIND`: where the demo S3 server listens.
    pub demo_s3_bind: SocketAddr,
    /// `BUCKETDESK_HSTS_INCLUDE_SUBDOMAINS`: HSTS covers subdomains too.
    pub hsts_include_subdomains: bool,
    /// `BUCKETDESK_WORKSPACE_CREATORS`: `everyone` or `admins`.
    pub workspace_creators: WorkspaceCreators,
    /// `BUCKETDESK_UPLOAD_BUFFER_MB`: what buffered upload parts may hold together.
    pub upload_buffer_mb: u64,
    /// `BUCKETDESK_UPLOAD_CHUNK_MB`: the chunk size of resumable uploads.
    pub upload_chunk_mb: u64,
    /// `BUCKETDESK_UPLOAD_ABANDON_HOURS`: resumable uploads idle this long are aborted.
    pub upload_abandon_hours: u64,
    /// `BUCKETDESK_ZIP_MAX_FILES`: the most files one zip download holds.
    pub zip_max_files: usize,
    /// `BUCKETDESK_ZIP_MAX_GB`: the most GiB one zip download holds.
    pub zip_max_gb: u64,
    /// `BUCKETDESK_HEADER_TIMEOUT_SECS`: how long a connection may take to send its headers.
    pub header_timeout: Duration,
    /// `BUCKETDESK_MAX_CONNECTIONS_PER_IP`: connections one address may hold open.
    pub max_connections_per_ip: usize,
    /// `BUCKETDESK_AUDIT_RETENTION_DAYS`: audit events older than this many
    /// days are deleted; unset keeps them forever.
    pub audit_retention_days: Option<u64>,
    /// `BUCKETDESK_SHUTDOWN_GRACE_SECS`: how long requests may finish after SIGTERM.
    pub shutdown_grace: Duration,
    /// `BUCKETDESK_AWS_IDENTITY=host`: bucketdesk takes an AWS identity from
    /// the host's credential chain, to assume buckets' IAM roles.
    pub aws_identity_from_host: bool,
    /// `BUCKETDESK_AWS_STS_ENDPOINT`: where STS is, when not at AWS's own
    /// address (a VPC endpoint).
    pub aws_sts_endpoint: Option<String>,
}

/// One bad setting: `VARIABLE: what is wrong`.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{var}: {problem}")]
pub struct ConfigError {
    pub var: &'static str,
    pub problem: String,
}

fn bad(var: &'static str, problem: impl Into<String>) -> ConfigError {
    ConfigError {
        var,
        problem: problem.into(),
    }
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_source(|name| std::env::var(name).ok())
    }

    /// Reads settings through `get`; an empty value counts as unset.
    pub fn from_source(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| {
            get(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };

        let database_url = get("DATABASE_URL").map(SecretString::from);
        if let Some(url) = &database_url {
            let scheme = url.expose_secret().split("://").next().unwrap_or("");
            if scheme != "postgres" && scheme != "postgresql" {
                return Err(bad(
                    "DATABASE_URL",
                    "must be a Postgres URL like postgres://user:password@host:5432/bucketdesk",
                ));
            }
        }
        let database_max_connections = parse_number(
            get("DATABASE_MAX_CONNECTIONS"),
            "DATABASE_MAX_CONNECTIONS",
            10,
            1..=500,
        )? as u32;

        let bind: SocketAddr = match get("BUCKETDESK_BIND") {
            None => SocketAddr::from(([127, 0, 0, 1], 8080)),
            Some(v) => v.parse().map_err(|_| {
                bad(
                    "BUCKETDESK_BIND",
                    format!("`{v}` is not an address and port like 127.0.0.1:8080 or 0.0.0.0:8080"),
                )
            })?,
        };

        let metrics_bind = match get("BUCKETDESK_METRICS_BIND") {
            None => None,
            Some(v) => {
                let address: SocketAddr = v.parse().map_err(|_| {
                    bad(
                        "BUCKETDESK_METRICS_BIND",
                        format!("`{v}` is not an address and port like 127.0.0.1:9090"),
                    )
                })?;
                if address == bind {
                    return Err(bad(
                        "BUCKETDESK_METRICS_BIND",
                        format!(
                            "`{v}` is BUCKETDESK_BIND's address too: metrics need an address of their own, one people cannot reach"
                        ),
                    ));
                }
                Some(address)
            }
        };

        let otlp_traces_endpoint = match (
            get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"),
            get("OTEL_EXPORTER_OTLP_ENDPOINT"),
        ) {
            (Some(traces), _) => Some(parse_otlp_endpoint(
                "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
                &traces,
                "",
            )?),
            (None, Some(base)) => Some(parse_otlp_endpoint(
                "OTEL_EXPORTER_OTLP_ENDPOINT",
                &base,
                "v1/traces",
            )?),
            (None, None) => None,
        };

        let public_url = match get("BUCKETDESK_PUBLIC_URL") {
            None => default_public_url(bind),
            Some(v) => parse_public_url(&v)?,
        };

        let smtp_url = get("SMTP_URL").map(SecretString::from);
        let mail_from = match get("MAIL_FROM") {
            Some(v) => {
                Mailer::parse_from(&v).map_err(|e| bad("MAIL_FROM", format!("`{v}` {e}")))?
            }
            None if smtp_url.is_some() => {
                return Err(bad(
                    "MAIL_FROM",
                    "must be set when SMTP_URL is set, e.g. \"bucketdesk <files@example.com>\"",
                ));
            }
            None => Mailer::parse_from("bucketdesk <bucketdesk@localhost>")
                .map_err(|e| bad("MAIL_FROM", e.to_string()))?,
        };
        if let Some(url) = &smtp_url {
            // validate now, so a typo stops start-up instead of the first mail
            Mailer::check_smtp_url(url.expose_secret())
                .map_err(|e| bad("SMTP_URL", e.to_string()))?;
        }

        let data_dir = PathBuf::from(get("BUCKETDESK_DATA_DIR").unwrap_or_else(|| "data".into()));
        let key_file = get("BUCKETDESK_KEY_FILE")
            .map_or_else(|| data_dir.join("instance-key.pem"), PathBuf::from);

        let signup = match get("BUCKETDESK_SIGNUP") {
            None => SignupPolicy::Invite,
            Some(v) => v
                .parse()
                .map_err(|e: bucketdesk_domain::SignupPolicyError| {
                    bad("BUCKETDESK_SIGNUP", e.to_string())
                })?,
        };

        let workspace_creators = match get("BUCKETDESK_WORKSPACE_CREATORS") {
            None => WorkspaceCreators::Everyone,
            Some(v) => v
                .parse()
                .map_err(|e: bucketdesk_domain::WorkspaceCreatorsError| {
                    bad("BUCKETDESK_WORKSPACE_CREATORS", e.to_string())
                })?,
        };

        let trusted_proxies = match get("BUCKETDESK_TRUSTED_PROXIES") {
            None => Vec::new(),
            Some(v) => v
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(parse_net)
                .collect::<Result<_, _>>()?,
        };

        let idle_minutes = parse_number(
            get("BUCKETDESK_SESSION_IDLE_MINUTES"),
            "BUCKETDESK_SESSION_IDLE_MINUTES",
            30,
            1..=720,
        )?;
        let timeout_secs = parse_number(
            get("BUCKETDESK_REQUEST_TIMEOUT_SECS"),
            "BUCKETDESK_REQUEST_TIMEOUT_SECS",
            30,
            1..=3600,
        )?;

        let log_json = match get("BUCKETDESK_LOG_FORMAT").as_deref() {
            None | Some("text") => false,
            Some("json") => true,
            Some(other) => {
                return Err(bad(
                    "BUCKETDESK_LOG_FORMAT",
                    format!("must be `text` or `json`, not `{other}`"),
                ));
            }
        };

        let allow_private_endpoints = parse_bool(
            get("BUCKETDESK_ALLOW_PRIVATE_ENDPOINTS"),
            "BUCKETDESK_ALLOW_PRIVATE_ENDPOINTS",
            false,
        )?;
        let hsts_include_subdomains = parse_bool(
            get("BUCKETDESK_HSTS_INCLUDE_SUBDOMAINS"),
            "BUCKETDESK_HSTS_INCLUDE_SUBDOMAINS",
            true,
        )?;
        let s3_timeout_secs = parse_number(
            get("BUCKETDESK_S3_TIMEOUT_SECS"),
            "BUCKETDESK_S3_TIMEOUT_SECS",
            30,
            1..=600,
        )?;

        let demo_owner = match get("BUCKETDESK_DEMO_OWNER") {
            None => None,
            Some(v) => {
                Some(Email::parse(&v).map_err(|e| bad("BUCKETDESK_DEMO_OWNER", e.to_string()))?)
            }
        };
        let demo_s3_bind: SocketAddr = match get("BUCKETDESK_DEMO_S3_BIND") {
            None => SocketAddr::from(([127, 0, 0, 1], 8333)),
            Some(v) => v.parse().map_err(|_| {
                bad(
                    "BUCKETDESK_DEMO_S3_BIND",
                    format!("`{v}` is not an address and port like 127.0.0.1:8333"),
                )
            })?,
        };

        let max_upload_mb = parse_number(
            get("BUCKETDESK_MAX_UPLOAD_MB"),
            "BUCKETDESK_MAX_UPLOAD_MB",
            5 * 1024 * 1024,
            1..=5 * 1024 * 1024,
        )?;

        let upload_buffer_mb = parse_number(
            get("BUCKETDESK_UPLOAD_BUFFER_MB"),
            "BUCKETDESK_UPLOAD_BUFFER_MB",
            256,
            64..=65536,
        )?;
        let upload_chunk_mb = parse_number(
            get("BUCKETDESK_UPLOAD_CHUNK_MB"),
            "BUCKETDESK_UPLOAD_CHUNK_MB",
            8,
            5..=64,
        )?;
        let upload_abandon_hours = parse_number(
            get("BUCKETDESK_UPLOAD_ABANDON_HOURS"),
            "BUCKETDESK_UPLOAD_ABANDON_HOURS",
            24,
            1..=24 * 30,
        )?;
        let zip_max_files = parse_number(
            get("BUCKETDESK_ZIP_MAX_FILES"),
            "BUCKETDESK_ZIP_MAX_FILES",
            20_000,
            1..=1_000_000,
        )?;
        let zip_max_gb = parse_number(
            get("BUCKETDESK_ZIP_MAX_GB"),
            "BUCKETDESK_ZIP_MAX_GB",
            50,
            1..=5 * 1024,
        )?;

        let header_timeout_secs = parse_number(
            get("BUCKETDESK_HEADER_TIMEOUT_SECS"),
            "BUCKETDESK_HEADER_TIMEOUT_SECS",
            10,
            1..=300,
        )?;
        let audit_retention_days = get("BUCKETDESK_AUDIT_RETENTION_DAYS")
            .filter(|days| !days.trim().is_empty())
            .map(|days| {
                parse_number(
                    Some(days.trim().to_owned()),
                    "BUCKETDESK_AUDIT_RETENTION_DAYS",
                    0,
                    1..=36_500,
                )
            })
            .transpose()?;
        let max_connections_per_ip = parse_number(
            get("BUCKETDESK_MAX_CONNECTIONS_PER_IP"),
            "BUCKETDESK_MAX_CONNECTIONS_PER_IP",
            64,
            1..=100_000,
        )? as usize;
        let shutdown_grace_secs = parse_number(
            get("BUCKETDESK_SHUTDOWN_GRACE_SECS"),
            "BUCKETDESK_SHUTDOWN_GRACE_SECS",
            8,
            1..=3600,
        )?;

        let link_max_days = parse_number(
            get("BUCKETDESK_LINK_MAX_DAYS"),
            "BUCKETDESK_LINK_MAX_DAYS",
            90,
            1..=3650,
        )?;

        let github = parse_github(
            get("GITHUB_CLIENT_ID"),
            get("GITHUB_CLIENT_SECRET"),
            get("GITHUB_URL"),
            get("GITHUB_API_URL"),
        )?;

        let sso = parse_sso(&get)?;
        let sso_only = parse_bool(get("BUCKETDESK_SSO_ONLY"), "BUCKETDESK_SSO_ONLY", false)?;
        if sso_only && sso.is_empty() {
            return Err(bad(
                "BUCKETDESK_SSO_ONLY",
                "is on, but no single sign-on provider is set up (BUCKETDESK_SSO_PROVIDERS): nobody could sign in",
            ));
        }

        let aws_identity_from_host = match get("BUCKETDESK_AWS_IDENTITY").as_deref() {
            None | Some("") | Some("off") => false,
            Some("host") => true,
            Some(other) => {
                return Err(bad(
                    "BUCKETDESK_AWS_IDENTITY",
                    format!("must be `off` or `host`, not `{other}`"),
                ));
            }
        };
        let aws_sts_endpoint = match get("BUCKETDESK_AWS_STS_ENDPOINT") {
            None => None,
            Some(url) if url.trim().is_empty() => None,
            Some(url) => match url::Url::parse(url.trim()) {
                Ok(parsed) if matches!(parsed.scheme(), "http" | "https") => {
                    Some(url.trim().trim_end_matches('/').to_owned())
                }
                _ => {
                    return Err(bad(
                        "BUCKETDESK_AWS_STS_ENDPOINT",
                        format!(
                            "must be an http or https URL, like https://sts.eu-west-1.amazonaws.com, not `{url}`"
                        ),
                    ));
                }
            },
        };
        if aws_sts_endpoint.is_some() && !aws_identity_from_host {
            return Err(bad(
                "BUCKETDESK_AWS_STS_ENDPOINT",
                "is set, but BUCKETDESK_AWS_IDENTITY is not `host`: nothing would call STS",
            ));
        }

        let require_second_factor = parse_bool(
            get("BUCKETDESK_REQUIRE_SECOND_FACTOR"),
            "BUCKETDESK_REQUIRE_SECOND_FACTOR",
            false,
        )?;

        Ok(Config {
            sso,
            sso_only,
            require_second_factor,
            upload_buffer_mb,
            upload_chunk_mb,
            upload_abandon_hours,
            zip_max_files: zip_max_files as usize,
            zip_max_gb,
            header_timeout: Duration::from_secs(header_timeout_secs),
            max_connections_per_ip,
            audit_retention_days,
            shutdown_grace: Duration::from_secs(shutdown_grace_secs),
            aws_identity_from_host,
            aws_sts_endpoint,
            hsts_include_subdomains,
            workspace_creators,
            max_upload_mb,
            link_max_days,
            github,
            demo_owner,
            demo_s3_bind,
            allow_private_endpoints,
            s3_timeout: Duration::from_secs(s3_timeout_secs),
            database_url,
            database_max_connections,
            bind,
            metrics_bind,
            otlp_traces_endpoint,
            public_url,
            smtp_url,
            mail_from,
            data_dir,
            key_file,
            signup,
            trusted_proxies,
            session_idle: Duration::from_secs(idle_minutes * 60),
            request_timeout: Duration::from_secs(timeout_secs),
            log_json,
        })
    }

    /// `DATABASE_URL`, which every command but `healthcheck` needs.
    pub fn require_database_url(&self) -> Result<&SecretString, ConfigError> {
        self.database_url.as_ref().ok_or_else(|| {
            bad("DATABASE_URL", "is not set: point it at Postgres, e.g. postgres://bucketdesk:secret@localhost:5432/bucketdesk")
        })
    }

    pub fn mailer(&self) -> Result<Mailer, ConfigError> {
        match &self.smtp_url {
            Some(url) => Mailer::smtp(url.expose_secret(), self.mail_from.clone())
                .map_err(|e| bad("SMTP_URL", e.to_string())),
            None => Ok(Mailer::console(self.mail_from.clone())),
        }
    }

    pub fn web_settings(&self) -> Settings {
        Settings {
            public_url: self.public_url.clone(),
            signup: self.signup,
            trusted_proxies: self.trusted_proxies.clone(),
            session_idle: self.session_idle,
            session_absolute: Settings::DEFAULT_SESSION_ABSOLUTE,
            request_timeout: self.request_timeout,
            storage: StorageOptions {
                connect_timeout: StorageOptions::DEFAULT_CONNECT_TIMEOUT.min(self.s3_timeout),
                operation_timeout: self.s3_timeout,
                allow_private_endpoints: self.allow_private_endpoints,
            },
            max_upload_bytes: self.max_upload_mb * 1024 * 1024,
            link_max_lifetime: Duration::from_secs(self.link_max_days * 24 * 60 * 60),
            github: self.github.clone(),
            sso: self.sso.clone(),
            sso_only: self.sso_only,
            require_second_factor: self.require_second_factor,
            hsts_include_subdomains: self.hsts_include_subdomains,
            workspace_creators: self.workspace_creators,
            upload_buffer_bytes: self.upload_buffer_mb * 1024 * 1024,
            upload_chunk_bytes: self.upload_chunk_mb * 1024 * 1024,
            upload_abandon_after: Duration::from_secs(self.upload_abandon_hours * 60 * 60),
            zip_limits: bucketdesk_core::archive::ZipLimits {
                max_files: self.zip_max_files,
                max_bytes: self.zip_max_gb << 30,
            },
            header_read_timeout: self.header_timeout,
            max_connections_per_ip: self.max_connections_per_ip,
            audit_retention: self
                .audit_retention_days
                .map(|days| Duration::from_secs(days * 24 * 60 * 60)),
            shutdown_grace: self.shutdown_grace,
            aws_identity: None,
        }
    }

    /// bucketdesk's own AWS identity, when `BUCKETDESK_AWS_IDENTITY=host`:
    /// asks STS who the host is, so a host without an identity stops the
    /// start with the reason.
    pub async fn aws_identity(
        &self,
    ) -> Result<Option<bucketdesk_storage::HostIdentity>, ConfigError> {
        if !self.aws_identity_from_host {
            return Ok(None);
        }
        bucketdesk_storage::HostIdentity::from_host(self.aws_sts_endpoint.as_deref())
            .await
            .map(Some)
            .map_err(|problem| bad("BUCKETDESK_AWS_IDENTITY", problem))
    }
}

#[cfg(test)]
mod tests;
