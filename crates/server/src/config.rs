//! Configuration: every setting bucketdesk reads, from environment variables
//! (and a `.env` file in the working folder). This module, `.env.example` and
//! the README's configuration table document the same list.
//!
//! A missing or malformed value stops start-up with one line naming the
//! variable and what is wrong with it.

use bucketdesk_domain::{Email, SignupPolicy, WorkspaceCreators};
use bucketdesk_mail::{Mailbox, Mailer};
use bucketdesk_storage::StorageOptions;
use bucketdesk_web::Settings;
use bucketdesk_web::github_oauth::GithubSettings;
use ipnet::IpNet;
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
    /// `BUCKETDESK_HEADER_TIMEOUT_SECS`: how long a connection may take to send its headers.
    pub header_timeout: Duration,
    /// `BUCKETDESK_MAX_CONNECTIONS_PER_IP`: connections one address may hold open.
    pub max_connections_per_ip: usize,
    /// `BUCKETDESK_SHUTDOWN_GRACE_SECS`: how long requests may finish after SIGTERM.
    pub shutdown_grace: Duration,
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

        let header_timeout_secs = parse_number(
            get("BUCKETDESK_HEADER_TIMEOUT_SECS"),
            "BUCKETDESK_HEADER_TIMEOUT_SECS",
            10,
            1..=300,
        )?;
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

        Ok(Config {
            upload_buffer_mb,
            header_timeout: Duration::from_secs(header_timeout_secs),
            max_connections_per_ip,
            shutdown_grace: Duration::from_secs(shutdown_grace_secs),
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
            hsts_include_subdomains: self.hsts_include_subdomains,
            workspace_creators: self.workspace_creators,
            upload_buffer_bytes: self.upload_buffer_mb * 1024 * 1024,
            header_read_timeout: self.header_timeout,
            max_connections_per_ip: self.max_connections_per_ip,
            shutdown_grace: self.shutdown_grace,
        }
    }
}

/// The GitHub OAuth app: both the id and the secret, or neither.
fn parse_github(
    id: Option<String>,
    secret: Option<String>,
    web: Option<String>,
    api: Option<String>,
) -> Result<Option<GithubSettings>, ConfigError> {
    let (client_id, client_secret) = match (id, secret) {
        (None, None) => return Ok(None),
        (Some(id), Some(secret)) => (id, secret),
        (None, Some(_)) => {
            return Err(bad(
                "GITHUB_CLIENT_ID",
                "is not set, but GITHUB_CLIENT_SECRET is: set both, or neither",
            ));
        }
        (Some(_), None) => {
            return Err(bad(
                "GITHUB_CLIENT_SECRET",
                "is not set, but GITHUB_CLIENT_ID is: set both, or neither",
            ));
        }
    };
    let url = |var: &'static str, value: Option<String>, default: &str| {
        let value = value.unwrap_or_else(|| default.to_owned());
        match Url::parse(&value) {
            Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => Ok(url),
            _ => Err(bad(var, format!("`{value}` is not an http(s) address"))),
        }
    };
    let web_url = url("GITHUB_URL", web, "https://github.com")?;
    // GitHub Enterprise Server serves its API under /api/v3 of its own address
    let default_api = if web_url.host_str() == Some("github.com") {
        "https://api.github.com".to_owned()
    } else {
        format!("{}/api/v3", web_url.as_str().trim_end_matches('/'))
    };
    Ok(Some(GithubSettings {
        client_id,
        client_secret: SecretString::from(client_secret),
        web_url,
        api_url: url("GITHUB_API_URL", api, &default_api)?,
        timeout: GithubSettings::DEFAULT_TIMEOUT,
        flow_lifetime: GithubSettings::FLOW_LIFETIME,
    }))
}

fn default_public_url(bind: SocketAddr) -> Url {
    let host = match bind.ip() {
        ip if ip.is_unspecified() => "localhost".to_owned(),
        IpAddr::V6(ip) => format!("[{ip}]"),
        IpAddr::V4(ip) => ip.to_string(),
    };
    Url::parse(&format!("http://{host}:{}", bind.port()))
        .unwrap_or_else(|_| Url::parse("http://localhost:8080").expect("valid URL"))
}

fn parse_public_url(v: &str) -> Result<Url, ConfigError> {
    const VAR: &str = "BUCKETDESK_PUBLIC_URL";
    let url = Url::parse(v).map_err(|_| {
        bad(
            VAR,
            format!("`{v}` is not a URL like https://files.example.com"),
        )
    })?;
    if url.scheme() != "http" && url.scheme() != "https" {
        return Err(bad(
            VAR,
            format!(
                "must start with https:// (or http:// for local use), not {}://",
                url.scheme()
            ),
        ));
    }
    if url.host_str().is_none() || !url.username().is_empty() || url.password().is_some() {
        return Err(bad(
            VAR,
            format!("`{v}` must be just a scheme, host and optional port"),
        ));
    }
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
        return Err(bad(
            VAR,
            format!("`{v}` must not have a path: bucketdesk is served at the root of its host"),
        ));
    }
    Ok(url)
}

fn parse_net(s: &str) -> Result<IpNet, ConfigError> {
    s.parse::<IpNet>()
        .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
        .map_err(|_| {
            bad(
                "BUCKETDESK_TRUSTED_PROXIES",
                format!("`{s}` is not an IP address or network like 10.0.0.0/8"),
            )
        })
}

fn parse_bool(v: Option<String>, var: &'static str, default: bool) -> Result<bool, ConfigError> {
    match v.as_deref() {
        None => Ok(default),
        Some("false" | "0" | "no") => Ok(false),
        Some("true" | "1" | "yes") => Ok(true),
        Some(other) => Err(bad(
            var,
            format!("must be `true` or `false`, not `{other}`"),
        )),
    }
}

fn parse_number(
    v: Option<String>,
    var: &'static str,
    default: u64,
    range: std::ops::RangeInclusive<u64>,
) -> Result<u64, ConfigError> {
    let Some(v) = v else { return Ok(default) };
    match v.parse::<u64>() {
        Ok(n) if range.contains(&n) => Ok(n),
        _ => Err(bad(
            var,
            format!(
                "`{v}` must be a whole number from {} to {}",
                range.start(),
                range.end()
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_source(|name| map.get(name).cloned())
    }

    #[test]
    fn defaults_need_nothing_but_give_a_local_setup() {
        let c = config(&[]).unwrap();
        assert_eq!(c.bind.to_string(), "127.0.0.1:8080");
        assert_eq!(c.public_url.as_str(), "http://127.0.0.1:8080/");
        assert_eq!(c.signup, SignupPolicy::Invite);
        assert_eq!(c.workspace_creators, WorkspaceCreators::Everyone);
        assert_eq!(c.key_file, PathBuf::from("data/instance-key.pem"));
        assert_eq!(c.session_idle, Duration::from_secs(30 * 60));
        assert_eq!(
            c.shutdown_grace,
            Duration::from_secs(8),
            "under Docker's 10 s"
        );
        assert!(c.smtp_url.is_none());
        assert!(c.require_database_url().is_err());
    }

    #[test]
    fn a_wildcard_bind_gives_a_localhost_public_url() {
        let c = config(&[("BUCKETDESK_BIND", "0.0.0.0:9000")]).unwrap();
        assert_eq!(c.public_url.as_str(), "http://localhost:9000/");
    }

    #[test]
    fn each_malformed_value_names_its_variable() {
        for (var, value) in [
            ("DATABASE_URL", "mysql://x"),
            ("BUCKETDESK_BIND", "localhost"),
            ("BUCKETDESK_PUBLIC_URL", "files.example.com"),
            ("BUCKETDESK_PUBLIC_URL", "ftp://files.example.com"),
            ("BUCKETDESK_PUBLIC_URL", "https://example.com/files"),
            ("SMTP_URL", "http://mail"),
            ("MAIL_FROM", "not an address"),
            ("BUCKETDESK_SIGNUP", "closed"),
            ("BUCKETDESK_WORKSPACE_CREATORS", "owners"),
            ("BUCKETDESK_TRUSTED_PROXIES", "10.0.0.0/8, nonsense"),
            ("BUCKETDESK_SESSION_IDLE_MINUTES", "0"),
            ("BUCKETDESK_REQUEST_TIMEOUT_SECS", "abc"),
            ("BUCKETDESK_LOG_FORMAT", "xml"),
            ("BUCKETDESK_ALLOW_PRIVATE_ENDPOINTS", "maybe"),
            ("BUCKETDESK_HSTS_INCLUDE_SUBDOMAINS", "sometimes"),
            ("BUCKETDESK_S3_TIMEOUT_SECS", "0"),
            ("BUCKETDESK_DEMO_OWNER", "not-an-email"),
            ("BUCKETDESK_DEMO_S3_BIND", "somewhere"),
            ("BUCKETDESK_LINK_MAX_DAYS", "0"),
            ("BUCKETDESK_UPLOAD_BUFFER_MB", "16"),
            ("BUCKETDESK_HEADER_TIMEOUT_SECS", "0"),
            ("BUCKETDESK_MAX_CONNECTIONS_PER_IP", "none"),
            ("BUCKETDESK_SHUTDOWN_GRACE_SECS", "-1"),
            ("GITHUB_URL", "github.example.com"),
            ("GITHUB_API_URL", "ftp://api.github.example.com"),
        ] {
            let mut vars = vec![(var, value)];
            if var == "SMTP_URL" {
                vars.push(("MAIL_FROM", "a@example.com"));
            }
            if var == "GITHUB_URL" || var == "GITHUB_API_URL" {
                vars.push(("GITHUB_CLIENT_ID", "id"));
                vars.push(("GITHUB_CLIENT_SECRET", "secret"));
            }
            let err = config(&vars).unwrap_err();
            assert_eq!(err.var, var, "{value}: {err}");
            assert!(!err.to_string().contains('\n'), "one line: {err}");
        }
    }

    #[test]
    fn github_sign_in_is_on_with_an_id_and_a_secret_and_defaults_to_github_com() {
        assert!(config(&[]).unwrap().github.is_none());
        // one without the other names the missing one
        let err = config(&[("GITHUB_CLIENT_SECRET", "s")]).unwrap_err();
        assert_eq!(err.var, "GITHUB_CLIENT_ID");
        let err = config(&[("GITHUB_CLIENT_ID", "Iv1.abc")]).unwrap_err();
        assert_eq!(err.var, "GITHUB_CLIENT_SECRET");
        let c = config(&[
            ("GITHUB_CLIENT_ID", "Iv1.abc"),
            ("GITHUB_CLIENT_SECRET", "gh-secret-xyz"),
        ])
        .unwrap();
        let github = c.web_settings().github.unwrap();
        assert_eq!(github.web_url.as_str(), "https://github.com/");
        assert_eq!(github.api_url.as_str(), "https://api.github.com/");
        assert!(
            !format!("{c:?}").contains("gh-secret-xyz"),
            "the secret stays out of Debug"
        );
        let enterprise = config(&[
            ("GITHUB_CLIENT_ID", "Iv1.abc"),
            ("GITHUB_CLIENT_SECRET", "s"),
            ("GITHUB_URL", "https://github.example.com"),
            ("GITHUB_API_URL", "https://github.example.com/api/v3"),
        ])
        .unwrap();
        let github = enterprise.github.unwrap();
        assert_eq!(github.api_url.as_str(), "https://github.example.com/api/v3");
        // with only GITHUB_URL set, the API is the server's own, never api.github.com
        let only_web = config(&[
            ("GITHUB_CLIENT_ID", "Iv1.abc"),
            ("GITHUB_CLIENT_SECRET", "s"),
            ("GITHUB_URL", "https://ghes.example.com/"),
        ])
        .unwrap();
        assert_eq!(
            only_web.github.unwrap().api_url.as_str(),
            "https://ghes.example.com/api/v3"
        );
    }

    #[test]
    fn smtp_needs_a_sender() {
        let err = config(&[("SMTP_URL", "smtp://127.0.0.1:2525")]).unwrap_err();
        assert_eq!(err.var, "MAIL_FROM");
    }

    #[test]
    fn https_public_url_and_proxies_parse() {
        let c = config(&[
            ("BUCKETDESK_PUBLIC_URL", "https://files.example.com"),
            ("BUCKETDESK_TRUSTED_PROXIES", "10.0.0.0/8, 127.0.0.1"),
            ("BUCKETDESK_SIGNUP", "open"),
        ])
        .unwrap();
        assert!(c.web_settings().secure_cookies());
        assert_eq!(c.trusted_proxies.len(), 2);
        assert_eq!(c.signup, SignupPolicy::Open);
    }

    #[test]
    fn debug_output_hides_secrets() {
        let c = config(&[
            ("DATABASE_URL", "postgres://u:hunter2@db/x"),
            ("SMTP_URL", "smtp://u:swordfish@mail:587"),
            ("MAIL_FROM", "a@example.com"),
        ])
        .unwrap();
        let debug = format!("{c:?}");
        assert!(
            !debug.contains("hunter2") && !debug.contains("swordfish"),
            "{debug}"
        );
    }
}
