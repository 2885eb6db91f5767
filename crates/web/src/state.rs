//! What every handler can reach: the pool, settings, mailer and keys.

use bucketdesk_db::PgPool;
use bucketdesk_domain::{SignupPolicy, WorkspaceCreators};
use bucketdesk_mail::Mailer;
use bucketdesk_storage::StorageOptions;
use bucketdesk_vault::{InstanceKey, TokenBox};
use ipnet::IpNet;
use std::sync::Arc;
use std::time::Duration;
use url::Url;
use zeroize::Zeroizing;

/// The settings the web layer needs, already validated (the server crate
/// builds them from the environment; see its `config` module).
#[derive(Debug, Clone)]
pub struct Settings {
    /// Scheme, host and port people use to reach bucketdesk; the base of links in mails.
    pub public_url: Url,
    pub signup: SignupPolicy,
    /// Peers whose `X-Forwarded-For` header is believed.
    pub trusted_proxies: Vec<IpNet>,
    /// A session ends after this long without a request.
    pub session_idle: Duration,
    /// A session ends this long after sign-in, however active.
    pub session_absolute: Duration,
    /// Longest time one request may take before it is answered with 408.
    pub request_timeout: Duration,
    /// Timeouts and the endpoint guard for every S3 client.
    pub storage: StorageOptions,
    /// The largest file one upload may store.
    pub max_upload_bytes: u64,
    /// The longest a revocable link may live.
    pub link_max_lifetime: Duration,
    /// The GitHub OAuth app for "Sign in with GitHub"; none hides it.
    pub github: Option<crate::github_oauth::GithubSettings>,
    /// The OpenID Connect providers of single sign-on, one button each.
    pub sso: Vec<crate::oidc::SsoSettings>,
    /// Single sign-on is the only way in: no email codes, no GitHub.
    pub sso_only: bool,
    /// Everyone must use a second factor or single sign-on, in every
    /// workspace (`BUCKETDESK_REQUIRE_SECOND_FACTOR`).
    pub require_second_factor: bool,
    /// HSTS covers subdomains too (`includeSubDomains`); off for hosts that
    /// share a parent domain with plain-http sites.
    pub hsts_include_subdomains: bool,
    /// Who may create workspaces.
    pub workspace_creators: WorkspaceCreators,
    /// The most bytes buffered upload parts of the process hold together.
    pub upload_buffer_bytes: u64,
    /// The chunk size of resumable uploads (5 to 64 MiB).
    pub upload_chunk_bytes: u64,
    /// Resumable uploads no chunk reached for this long are aborted.
    pub upload_abandon_after: Duration,
    /// The most files and bytes one zip download holds.
    pub zip_limits: bucketdesk_core::archive::ZipLimits,
    /// How long a connection may take to send its request headers (R9).
    pub header_read_timeout: Duration,
    /// Connections one client address may hold open at once (R9).
    pub max_connections_per_ip: usize,
    /// Audit events older than this are deleted (none: kept forever).
    pub audit_retention: Option<Duration>,
    /// How long requests in flight may finish after SIGTERM (R8).
    pub shutdown_grace: Duration,
    /// bucketdesk's own AWS identity, which assumes buckets' IAM roles
    /// (none: buckets connect with keys only).
    pub aws_identity: Option<bucketdesk_storage::HostIdentity>,
}

impl Settings {
    pub const DEFAULT_SESSION_IDLE: Duration = Duration::from_secs(30 * 60);
    pub const DEFAULT_SESSION_ABSOLUTE: Duration = Duration::from_secs(12 * 60 * 60);
    pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
    /// S3's own limit for one object: 5 TiB.
    pub const DEFAULT_MAX_UPLOAD_BYTES: u64 = 5 * 1024 * 1024 * 1024 * 1024;
    pub const DEFAULT_LINK_MAX_LIFETIME: Duration = Duration::from_secs(90 * 24 * 60 * 60);
    pub const DEFAULT_UPLOAD_BUFFER_BYTES: u64 = 256 * 1024 * 1024;
    pub const DEFAULT_UPLOAD_CHUNK_BYTES: u64 = bucketdesk_core::resumable::DEFAULT_CHUNK;
    pub const DEFAULT_UPLOAD_ABANDON_AFTER: Duration = Duration::from_secs(24 * 60 * 60);
    pub const DEFAULT_ZIP_LIMITS: bucketdesk_core::archive::ZipLimits =
        bucketdesk_core::archive::ZipLimits {
            max_files: bucketdesk_core::archive::ZipLimits::DEFAULT_MAX_FILES,
            max_bytes: bucketdesk_core::archive::ZipLimits::DEFAULT_MAX_BYTES,
        };
    pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
    pub const DEFAULT_MAX_CONNECTIONS_PER_IP: usize = 64;
    /// Under Docker's default 10 s between SIGTERM and SIGKILL.
    pub const DEFAULT_SHUTDOWN_GRACE: Duration = Duration::from_secs(8);

    /// Cookies get the Secure flag (and the `__Host-` prefix) when people reach us over https.
    pub fn secure_cookies(&self) -> bool {
        self.public_url.scheme() == "https"
    }

    /// `https://files.example.com` (no trailing slash), for building links.
    pub fn origin(&self) -> String {
        self.public_url.origin().ascii_serialization()
    }

    pub fn link(&self, path: &str) -> String {
        format!("{}{path}", self.origin())
    }

    /// The limits every new or extended link is checked against.
    /// How long sessions last, as the core's session operations take it.
    pub fn session_lifetimes(&self) -> bucketdesk_core::sessions::Lifetimes {
        bucketdesk_core::sessions::Lifetimes {
            idle: self.session_idle,
            absolute: self.session_absolute,
        }
    }

    pub fn link_limits(&self) -> bucketdesk_core::links::LinkLimits {
        bucketdesk_core::links::LinkLimits {
            max_lifetime: self.link_max_lifetime,
            max_file_bytes: self.max_upload_bytes,
        }
    }
}

/// Cheap to clone: everything lives behind one `Arc`.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

pub struct Inner {
    pub db: PgPool,
    pub settings: Settings,
    pub mailer: Mailer,
    /// Keys the hashes of login codes (S1); derived from the instance key.
    pub code_hash_key: Zeroizing<[u8; 32]>,
    /// Signs CSRF tokens (S8); derived from the instance key.
    pub csrf_key: Zeroizing<[u8; 32]>,
    /// Seals and opens bucket secrets.
    pub instance_key: Arc<InstanceKey>,
    /// The S3 client of each connected bucket, reachable through a grant,
    /// so no secret is decrypted (an RSA private operation) per request.
    pub s3_clients: bucketdesk_core::s3_clients::S3Clients,
    /// Seals the tokens of revocable links, so they can be copied again.
    pub link_tokens: TokenBox,
    /// Seals the secrets of authenticator apps (second factors).
    pub second_factors: TokenBox,
    /// Passkeys, when the public URL's host can be a WebAuthn relying party
    /// (a domain name or `localhost`, not an IP address).
    pub passkeys: Option<bucketdesk_core::passkeys::Passkeys>,
    /// "Sign in with GitHub", when it is set up (and SSO is not the only way in).
    pub github: Option<crate::github_oauth::Github>,
    /// The single sign-on providers, in the order of their buttons.
    pub sso: Vec<Arc<crate::oidc::SsoProvider>>,
    /// Writes audit events that stand on their own, in batches.
    pub audit: bucketdesk_core::audit_log::AuditLog,
    /// Mails upload links' creators about files that arrived.
    pub arrival_mails: crate::arrival_mails::ArrivalMails,
    /// Whether the database is reachable, checked every second (R4).
    pub database: Arc<crate::middleware::database::DatabaseWatch>,
    /// The budget, journal and stop signal of uploads (R8, R9).
    pub uploads: bucketdesk_core::uploads::Uploads,
    /// Thumbnails of image files, two at a time (each bounded in memory).
    pub thumbnails: bucketdesk_core::thumbnails::Thumbnails,
    /// The Content-Security-Policy of every page (S11).
    pub csp: axum::http::HeaderValue,
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    /// What sign-in depends on here: the code key and the signup policy.
    pub fn sign_in_rules(&self) -> bucketdesk_core::sign_in::SignInRules<'_> {
        bucketdesk_core::sign_in::SignInRules {
            code_key: self.code_hash_key.as_ref(),
            signup: self.settings.signup,
            codes_sign_in: !self.settings.sso_only,
        }
    }

    /// Must be called within a Tokio runtime: it starts the audit writer
    /// and the database watch.
    pub fn new(
        db: PgPool,
        settings: Settings,
        mailer: Mailer,
        instance_key: Arc<InstanceKey>,
    ) -> Self {
        // (with single sign-on the only way in, there are no passkeys either)
        let passkeys = Some(&settings.public_url)
            .filter(|_| !settings.sso_only)
            .and_then(bucketdesk_core::passkeys::Passkeys::new);
        let callback = settings.link("/auth/github/callback");
        let github = settings
            .github
            .as_ref()
            .filter(|_| !settings.sso_only)
            .and_then(|github| {
                crate::github_oauth::Github::new(github, &callback)
                    .inspect_err(|error| tracing::error!(%error, "sign-in with GitHub is off"))
                    .ok()
            });
        let sso = settings
            .sso
            .iter()
            .filter_map(|provider| {
                let callback = settings.link(&format!("/auth/sso/{}/callback", provider.name));
                crate::oidc::SsoProvider::new(provider.clone(), &callback)
                    .inspect_err(|error| {
                        tracing::error!(%error, provider = %provider.name, "this single sign-on is off")
                    })
                    .ok()
                    .map(Arc::new)
            })
            .collect();
        Self(Arc::new(Inner {
            github,
            sso,
            audit: bucketdesk_core::audit_log::AuditLog::start(db.clone()),
            arrival_mails: {
                let settings = settings.clone();
                crate::arrival_mails::ArrivalMails::start(db.clone(), mailer.clone(), move |path| {
                    settings.link(path)
                })
            },
            database: crate::middleware::database::DatabaseWatch::start(db.clone()),
            uploads: bucketdesk_core::uploads::Uploads::new(
                settings.upload_buffer_bytes,
                settings.upload_chunk_bytes,
                settings.upload_abandon_after,
            ),
            thumbnails: bucketdesk_core::thumbnails::Thumbnails::new(2),
            s3_clients: bucketdesk_core::s3_clients::S3Clients::new(
                db.clone(),
                instance_key.clone(),
                settings.storage,
            )
            .with_identity(settings.aws_identity.clone()),
            csp: axum::http::HeaderValue::from_str(
                &crate::middleware::headers::content_security_policy(&settings),
            )
            .unwrap_or(axum::http::HeaderValue::from_static(
                crate::middleware::headers::CSP,
            )),
            db,
            settings,
            mailer,
            code_hash_key: instance_key.derive_secret("login code hash v1"),
            csrf_key: instance_key.derive_secret("csrf token v1"),
            link_tokens: TokenBox::for_link_tokens(&instance_key),
            second_factors: TokenBox::for_second_factors(&instance_key),
            passkeys,
            instance_key,
        }))
    }
}
