//! `TestApp`: the real bucketdesk router on 127.0.0.1:0, with a fresh
//! database, the fixture instance key and an SMTP sink.

use crate::{Browser, DbProxy, FIXTURE_KEY_PEM, MailSink, fresh_database};
use bucketdesk_db::PgPool;
use bucketdesk_domain::{Email, SignupPolicy};
use bucketdesk_mail::Mailer;
use bucketdesk_s3_local::LocalS3;
use bucketdesk_s3_local::sts::LocalSts;
use bucketdesk_storage::StorageOptions;
use bucketdesk_vault::InstanceKey;
use bucketdesk_web::{AppState, Settings};
use sha2::Digest;
use std::sync::Arc;

/// The access key of every test app's S3 server.
pub const S3_ACCESS_KEY: &str = "AKBUCKETDESKTEST01";
/// Its secret: distinctive, so tests can look for it in pages and logs.
pub const S3_SECRET_KEY: &str = "tEsT-sEcReT-8c2f1e9d7b6a5f4e3d2c1b0a";
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;
use tokio::sync::oneshot;
use url::Url;

pub struct TestApp {
    pub addr: SocketAddr,
    /// `http://127.0.0.1:port`
    pub url: String,
    /// A pool straight to the test database (not through any proxy).
    pub db: PgPool,
    /// The test database's URL (for tools such as `pg_dump`).
    pub database_url: String,
    pub mail: MailSink,
    pub state: AppState,
    /// Present when built `with_db_proxy()`: the app reaches Postgres through it.
    pub db_proxy: Option<DbProxy>,
    /// A signature-verifying S3 server on loopback, with access key
    /// [`S3_ACCESS_KEY`] and secret [`S3_SECRET_KEY`], no buckets yet.
    pub s3: LocalS3,
    /// Present when built `with_local_sts()`: the STS that bucketdesk's own
    /// AWS identity (key [`STS_CALLER_KEY`]) assumes buckets' roles at; its
    /// temporary keys are good at [`TestApp::s3`] until they expire.
    pub sts: Option<LocalSts>,
    _s3_dir: tempfile::TempDir,
    shutdown: Option<oneshot::Sender<()>>,
    /// Dropped last (fields drop in order): after the app has stopped.
    _database: crate::TestDatabase,
}

#[derive(Default)]
pub struct TestAppBuilder {
    signup: Option<SignupPolicy>,
    public_url: Option<String>,
    localhost: bool,
    session_idle: Option<Duration>,
    session_absolute: Option<Duration>,
    request_timeout: Option<Duration>,
    db_proxy: bool,
    guard_private_endpoints: bool,
    max_upload_bytes: Option<u64>,
    s3_timeout: Option<Duration>,
    github: Option<bucketdesk_web::github_oauth::GithubSettings>,
    sso: Vec<bucketdesk_web::oidc::SsoSettings>,
    local_sts: bool,
    configure: Vec<SettingsChange>,
}

/// The key of bucketdesk's own AWS identity at the local STS.
pub const STS_CALLER_KEY: &str = "AKIDBUCKETDESKHOST";
pub const STS_CALLER_SECRET: &str = "bucketdesk-host-secret";

/// A change to the app's settings, made before it starts.
type SettingsChange = Box<dyn FnOnce(&mut Settings) + Send>;

impl TestAppBuilder {
    pub fn signup(mut self, policy: SignupPolicy) -> Self {
        self.signup = Some(policy);
        self
    }

    /// Pretend the app is reached at this URL (e.g. https, for cookie flags).
    pub fn public_url(mut self, url: &str) -> Self {
        self.public_url = Some(url.to_owned());
        self
    }

    /// Reach the app as `http://localhost:PORT` (its public URL too):
    /// passkeys need a domain name, and browsers take `localhost` as one.
    pub fn on_localhost(mut self) -> Self {
        self.localhost = true;
        self
    }

    pub fn session_idle(mut self, idle: Duration) -> Self {
        self.session_idle = Some(idle);
        self
    }

    pub fn session_absolute(mut self, absolute: Duration) -> Self {
        self.session_absolute = Some(absolute);
        self
    }

    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = Some(timeout);
        self
    }

    /// Give bucketdesk an AWS identity of its own, at a local STS (as
    /// `BUCKETDESK_AWS_IDENTITY=host` with `BUCKETDESK_AWS_STS_ENDPOINT`), so
    /// buckets can be connected by role ARN.
    pub fn with_local_sts(mut self) -> Self {
        self.local_sts = true;
        self
    }

    /// Refuse private endpoints, as a production instance does by default
    /// (the tests' own S3 server on 127.0.0.1 is then refused too).
    pub fn guard_private_endpoints(mut self) -> Self {
        self.guard_private_endpoints = true;
        self
    }

    /// How long S3 calls may take (connecting included).
    pub fn s3_timeout(mut self, timeout: Duration) -> Self {
        self.s3_timeout = Some(timeout);
        self
    }

    pub fn max_upload_bytes(mut self, max: u64) -> Self {
        self.max_upload_bytes = Some(max);
        self
    }

    /// Offer "Sign in with GitHub", against this (fake) GitHub.
    pub fn github(mut self, github: &crate::FakeGithub) -> Self {
        self.github = Some(github.settings());
        self
    }

    /// Offer "Sign in with GitHub" with these settings (e.g. a short flow lifetime).
    pub fn github_settings(
        mut self,
        settings: bucketdesk_web::github_oauth::GithubSettings,
    ) -> Self {
        self.github = Some(settings);
        self
    }

    /// Offer single sign-on with this provider.
    pub fn sso(mut self, provider: bucketdesk_web::oidc::SsoSettings) -> Self {
        self.sso.push(provider);
        self
    }

    /// Changes any setting before the app starts, e.g.
    /// `.configure(|s| s.hsts_include_subdomains = false)`.
    pub fn configure(mut self, change: impl FnOnce(&mut Settings) + Send + 'static) -> Self {
        self.configure.push(Box::new(change));
        self
    }

    /// Route the app's database connections through a [`DbProxy`].
    pub fn with_db_proxy(mut self) -> Self {
        self.db_proxy = true;
        self
    }

    pub async fn spawn(self) -> TestApp {
        let (database, options) = fresh_database().await;
        // the test's own look into the database: a few connections are
        // plenty, and tests that build many apps at once (the authorization
        // matrix) must stay well under Postgres's 100 connections
        let db = sqlx::postgres::PgPoolOptions::new()
            .max_connections(3)
            .connect_with(options.clone())
            .await
            .expect("connect test database");

        let db_proxy = if self.db_proxy {
            let host = options.get_host().to_owned();
            let upstream = tokio::net::lookup_host((host.as_str(), options.get_port()))
                .await
                .ok()
                .and_then(|mut a| a.next())
                .expect("resolve the test Postgres host");
            Some(DbProxy::start(upstream).await)
        } else {
            None
        };
        let app_options = match &db_proxy {
            Some(proxy) => options.clone().host("127.0.0.1").port(proxy.addr.port()),
            None => options.clone(),
        };
        let app_db = bucketdesk_db::pool(app_options, 5);

        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind app");
        let addr = listener.local_addr().expect("app address");
        let url = if self.localhost {
            format!("http://localhost:{}", addr.port())
        } else {
            format!("http://{addr}")
        };
        let public_url =
            Url::parse(self.public_url.as_deref().unwrap_or(&url)).expect("public URL");

        let mail = MailSink::start().await;
        let from = Mailer::parse_from("bucketdesk <bucketdesk@example.com>").expect("sender");
        let mailer = Mailer::smtp(&mail.url(), from).expect("SMTP mailer");
        let key = Arc::new(
            InstanceKey::from_pem(FIXTURE_KEY_PEM, Path::new("fixtures/instance-key.pem"))
                .expect("fixture key"),
        );
        let s3_dir = tempfile::tempdir().expect("S3 folder");
        let s3 = LocalS3::start(
            s3_dir.path(),
            "127.0.0.1:0".parse().expect("addr"),
            S3_ACCESS_KEY,
            S3_SECRET_KEY,
        )
        .await
        .expect("start the S3 server");
        let sts = match self.local_sts {
            false => None,
            true => Some(
                LocalSts::start(s3.temporary_keys(), STS_CALLER_KEY, STS_CALLER_SECRET)
                    .await
                    .expect("start the STS"),
            ),
        };
        let aws_identity = match &sts {
            None => None,
            Some(sts) => Some(
                bucketdesk_storage::HostIdentity::with_key(
                    STS_CALLER_KEY,
                    STS_CALLER_SECRET,
                    Some(&sts.endpoint()),
                )
                .await
                .expect("the STS knows its caller"),
            ),
        };
        let mut settings = Settings {
            public_url,
            signup: self.signup.unwrap_or_default(),
            trusted_proxies: vec!["127.0.0.1/32".parse().expect("net")],
            session_idle: self.session_idle.unwrap_or(Settings::DEFAULT_SESSION_IDLE),
            session_absolute: self
                .session_absolute
                .unwrap_or(Settings::DEFAULT_SESSION_ABSOLUTE),
            request_timeout: self
                .request_timeout
                .unwrap_or(Settings::DEFAULT_REQUEST_TIMEOUT),
            // the tests' S3 server lives on 127.0.0.1
            storage: StorageOptions {
                allow_private_endpoints: !self.guard_private_endpoints,
                connect_timeout: self
                    .s3_timeout
                    .unwrap_or(StorageOptions::DEFAULT_CONNECT_TIMEOUT),
                operation_timeout: self
                    .s3_timeout
                    .unwrap_or(StorageOptions::DEFAULT_OPERATION_TIMEOUT),
            },
            max_upload_bytes: self
                .max_upload_bytes
                .unwrap_or(Settings::DEFAULT_MAX_UPLOAD_BYTES),
            link_max_lifetime: Settings::DEFAULT_LINK_MAX_LIFETIME,
            github: self.github,
            sso: self.sso,
            sso_only: false,
            require_second_factor: false,
            hsts_include_subdomains: true,
            workspace_creators: Default::default(),
            upload_buffer_bytes: Settings::DEFAULT_UPLOAD_BUFFER_BYTES,
            upload_chunk_bytes: Settings::DEFAULT_UPLOAD_CHUNK_BYTES,
            upload_abandon_after: Settings::DEFAULT_UPLOAD_ABANDON_AFTER,
            zip_limits: Settings::DEFAULT_ZIP_LIMITS,
            header_read_timeout: Settings::DEFAULT_HEADER_READ_TIMEOUT,
            max_connections_per_ip: Settings::DEFAULT_MAX_CONNECTIONS_PER_IP,
            audit_retention: None,
            shutdown_grace: Settings::DEFAULT_SHUTDOWN_GRACE,
            aws_identity,
        };
        for change in self.configure {
            change(&mut settings);
        }
        let (state, router) = bucketdesk_web::build_app(app_db, settings, mailer, key);
        let (shutdown, stop) = oneshot::channel::<()>();
        tokio::spawn(bucketdesk_web::serve(
            listener,
            state.clone(),
            router,
            async {
                let _ = stop.await;
            },
        ));
        TestApp {
            addr,
            url,
            database_url: database.url(),
            _database: database,
            db,
            mail,
            state,
            db_proxy,
            s3,
            sts,
            _s3_dir: s3_dir,
            shutdown: Some(shutdown),
        }
    }
}

impl TestApp {
    pub fn builder() -> TestAppBuilder {
        TestAppBuilder::default()
    }

    /// The app with default settings (signup by invite).
    pub async fn spawn() -> Self {
        Self::builder().spawn().await
    }

    /// A new browser: its own cookie jar, nothing signed in.
    pub fn browser(&self) -> Browser {
        Browser::new(&self.url)
    }

    /// A new browser on another client network: every request comes through
    /// the (trusted) test proxy address with `X-Forwarded-For: ip`.
    pub fn browser_from(&self, ip: &str) -> Browser {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(
            "x-forwarded-for",
            reqwest::header::HeaderValue::from_str(ip).expect("an IP address"),
        );
        Browser::with_headers(&self.url, headers)
    }

    /// Creates the account if needed.
    pub async fn create_user(&self, email: &str) -> bucketdesk_db::users::User {
        let email = Email::parse(email).expect("valid email");
        bucketdesk_db::users::find_or_create(&self.db, &email)
            .await
            .expect("create user")
    }

    /// A browser signed in as `email` (the account is created first), through
    /// the real flow: ask for a code, read it from the mail, enter it.
    pub async fn sign_in_as(&self, email: &str) -> Browser {
        self.create_user(email).await;
        let browser = self.browser();
        self.sign_in(&browser, email).await;
        browser
    }

    /// Asks for a code in `browser` and returns the code from the mail it
    /// brings (the address must have an account, or signup must be open).
    pub async fn ask_for_code(&self, browser: &Browser, email: &str) -> String {
        let page = browser.request_code(email).await;
        assert_eq!(
            page.status, 303,
            "asking for a code: {:?} {}",
            page.headers, page.body
        );
        // the mail of exactly this code: its sign-in link's token hashes to
        // the newest code's link hash (an earlier mail arriving late is not it)
        let email = email.trim().to_lowercase();
        let newest: Vec<u8> = sqlx::query_scalar(
            "select link_hash from login_codes where email = $1 and link_hash is not null
             order by created_at desc limit 1",
        )
        .bind(&email)
        .fetch_one(&self.db)
        .await
        .expect("the newest code");
        let mail = self
            .mail
            .wait_for_nth_where(&email, 1, |m| {
                crate::sign_in_link_in(&m.text).is_some_and(|link| {
                    let token = link.rsplit('/').next().unwrap_or_default();
                    sha2::Sha256::digest(token.as_bytes()).as_slice() == newest.as_slice()
                })
            })
            .await;
        crate::code_in(&mail.text).expect("a code in the mail")
    }

    /// Signs `browser` in as an existing user; panics when that fails.
    pub async fn sign_in(&self, browser: &Browser, email: &str) {
        let code = self.ask_for_code(browser, email).await;
        let page = browser.post("/login/code", &[("code", &code)]).await;
        assert_eq!(
            page.location(),
            Some("/"),
            "entering the code: {}",
            page.body
        );
        // land on the home page, as a browser would after the redirect
        let home = browser.get("/").await;
        assert_eq!(
            home.status, 200,
            "the home page after sign-in: {:?}",
            home.headers
        );
    }

    /// The newest mail sent to `to` (waits for one).
    pub async fn last_email_to(&self, to: &str) -> crate::ReceivedMail {
        self.mail.last_to(to).await
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}
