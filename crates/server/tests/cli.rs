//! The `bucketdesk` binary as an operator runs it: commands, configuration
//! errors, graceful shutdown (R5) and what reaches the logs (S13).

#![allow(clippy::unwrap_used)] // a failed unwrap in a test is a failed test

use bucketdesk_testkit::{Browser, MailSink, code_in, database_url, empty_database};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_bucketdesk");

/// A command with a clean environment: only what the test sets, run in an
/// empty folder so no `.env` file is picked up.
fn bucketdesk(dir: &tempfile::TempDir, envs: &[(&str, &str)]) -> Command {
    let mut command = Command::new(BIN);
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .current_dir(dir.path());
    for (k, v) in envs {
        command.env(k, v);
    }
    command
}

fn output(mut command: Command) -> (i32, String, String) {
    let out = command.output().expect("run bucketdesk");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn fixture_key(dir: &tempfile::TempDir) -> String {
    let path = dir.path().join("instance-key.pem");
    std::fs::write(&path, bucketdesk_testkit::FIXTURE_KEY_PEM).unwrap();
    path.display().to_string()
}

/// A running `bucketdesk serve` whose output is collected.
struct Server {
    child: Child,
    port: u16,
    output: Arc<Mutex<String>>,
}

impl Server {
    fn start(dir: &tempfile::TempDir, envs: &[(&str, &str)]) -> Server {
        let key = fixture_key(dir);
        Self::start_with_key_file(dir, std::path::Path::new(&key), envs)
    }

    fn start_with_key_file(
        dir: &tempfile::TempDir,
        key: &std::path::Path,
        envs: &[(&str, &str)],
    ) -> Server {
        Self::start_at(free_port(), dir, key, envs)
    }

    /// Starts one on `port` (again, after a restart).
    fn start_at(
        port: u16,
        dir: &tempfile::TempDir,
        key: &std::path::Path,
        envs: &[(&str, &str)],
    ) -> Server {
        let bind = format!("127.0.0.1:{port}");
        let mut command = bucketdesk(dir, envs);
        command
            .env("BUCKETDESK_BIND", &bind)
            .env("BUCKETDESK_KEY_FILE", key)
            .arg("serve");
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start serve");
        let output = Arc::new(Mutex::new(String::new()));
        for mut stream in [
            Box::new(child.stdout.take().unwrap()) as Box<dyn Read + Send>,
            Box::new(child.stderr.take().unwrap()),
        ] {
            let output = output.clone();
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                while let Ok(n) = stream.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    output
                        .lock()
                        .unwrap()
                        .push_str(&String::from_utf8_lossy(&buf[..n]));
                }
            });
        }
        let server = Server {
            child,
            port,
            output,
        };
        server.wait_until_healthy();
        server
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn wait_until_healthy(&self) {
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(60) {
            if let Ok(mut s) = TcpStream::connect(("127.0.0.1", self.port)) {
                let _ = s.write_all(b"GET /healthz HTTP/1.0\r\n\r\n");
                let mut answer = String::new();
                let _ = s.read_to_string(&mut answer);
                if answer.starts_with("HTTP/1.0 200") || answer.starts_with("HTTP/1.1 200") {
                    return;
                }
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!(
            "the server did not become healthy: {}",
            self.output.lock().unwrap()
        );
    }

    fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    fn wait_for_exit(&mut self) -> i32 {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code().unwrap_or(-1);
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "did not exit after SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn logs(&self) -> String {
        self.output.lock().unwrap().clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

/// The tests' S3 server, in a folder of its own (dropped with it).
async fn local_s3() -> (bucketdesk_s3_local::LocalS3, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let s3 = bucketdesk_s3_local::LocalS3::start(
        dir.path(),
        "127.0.0.1:0".parse().unwrap(),
        bucketdesk_testkit::S3_ACCESS_KEY,
        bucketdesk_testkit::S3_SECRET_KEY,
    )
    .await
    .unwrap();
    (s3, dir)
}

/// A browser signed in to `server` as `email`, with the code from `sink`.
async fn signed_in(server: &Server, sink: &MailSink, email: &str) -> Browser {
    let browser = Browser::new(&server.url());
    assert_eq!(browser.request_code(email).await.status, 303);
    let code = code_in(&sink.last_to(email).await.text).unwrap();
    let page = browser.post("/login/code", &[("code", &code)]).await;
    assert_eq!(page.location(), Some("/"), "signing in: {}", page.body);
    browser
}

/// Makes a download link through its form (the keys and options in
/// `fields`): its token, and the path of its page.
async fn make_link(browser: &Browser, bucket: &str, fields: &[(&str, &str)]) -> (String, String) {
    let made = browser.post(&format!("{bucket}/links"), fields).await;
    let detail = made
        .location()
        .and_then(|l| l.split('?').next())
        .unwrap_or_else(|| panic!("no link was made: {}", made.body))
        .to_owned();
    assert!(detail.contains("/links/"), "{detail}");
    let page = browser.get(&detail).await;
    let start = page.body.find("/s/").expect("the link's address") + 3;
    (page.body[start..start + 43].to_owned(), detail)
}

/// Creates a workspace and connects `bucket` of `s3` through the forms, as a
/// person would; returns the bucket's path.
async fn connect_bucket(
    browser: &Browser,
    s3: &bucketdesk_s3_local::LocalS3,
    bucket: &str,
) -> String {
    let workspace = browser.create_workspace("Team").await;
    let id = browser.connect_bucket(&workspace, s3, bucket, bucket).await;
    format!("/w/{workspace}/b/{id}")
}

#[test]
fn help_documents_every_command() {
    let dir = tempfile::tempdir().unwrap();
    let mut command = bucketdesk(&dir, &[]);
    command.arg("--help");
    let (code, stdout, _) = output(command);
    assert_eq!(code, 0);
    for word in ["serve", "migrate", "admin", "healthcheck", "SIGTERM"] {
        assert!(stdout.contains(word), "--help mentions {word}:\n{stdout}");
    }
    let mut command = bucketdesk(&dir, &[]);
    command.args(["admin", "add", "--help"]);
    let (code, stdout, _) = output(command);
    assert_eq!(code, 0);
    assert!(
        stdout.contains("<EMAIL>") && stdout.contains("sign in"),
        "{stdout}"
    );
}

#[test]
fn a_malformed_setting_stops_start_up_with_one_line_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    for (var, value) in [
        ("BUCKETDESK_BIND", "not-an-address"),
        ("BUCKETDESK_PUBLIC_URL", "example.com"),
        ("BUCKETDESK_SIGNUP", "sometimes"),
        ("DATABASE_URL", "mysql://localhost/x"),
        ("BUCKETDESK_TRUSTED_PROXIES", "10.0.0.300"),
    ] {
        let (code, stdout, stderr) = output(bucketdesk(&dir, &[(var, value)]));
        assert_eq!(code, 2, "{var}={value}: {stderr}");
        assert!(stdout.is_empty());
        assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
        assert!(stderr.starts_with(&format!("error: {var}: ")), "{stderr}");
    }
}

#[test]
fn serve_without_a_database_url_says_what_to_set() {
    let dir = tempfile::tempdir().unwrap();
    let key = fixture_key(&dir);
    let (code, _, stderr) = output(bucketdesk(&dir, &[("BUCKETDESK_KEY_FILE", &key)]));
    assert_eq!(code, 1);
    assert!(stderr.contains("DATABASE_URL: is not set"), "{stderr}");
}

#[test]
fn settings_are_read_from_a_dot_env_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(".env"), "BUCKETDESK_SIGNUP=nonsense\n").unwrap();
    let (code, _, stderr) = output(bucketdesk(&dir, &[]));
    assert_eq!(code, 2);
    assert!(stderr.contains("BUCKETDESK_SIGNUP"), "{stderr}");
}

#[tokio::test]
async fn migrate_prepares_an_empty_database_and_admin_add_creates_an_admin() {
    let dir = tempfile::tempdir().unwrap();
    let database = empty_database().await;
    let url = database.url();
    let envs = [("DATABASE_URL", url.as_str())];

    let mut migrate = bucketdesk(&dir, &envs);
    migrate.arg("migrate");
    let (code, stdout, stderr) = output(migrate);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("up to date"));

    let mut add = bucketdesk(&dir, &envs);
    add.args(["admin", "add", "Root@Example.com"]);
    let (code, stdout, stderr) = output(add);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("root@example.com is now an instance admin"),
        "{stdout}"
    );

    let mut again = bucketdesk(&dir, &envs);
    again.args(["admin", "add", "root@example.com"]);
    let (_, stdout, _) = output(again);
    assert!(stdout.contains("was already an instance admin"), "{stdout}");

    let mut bad = bucketdesk(&dir, &envs);
    bad.args(["admin", "add", "not-an-email"]);
    let (code, _, stderr) = output(bad);
    assert_eq!(code, 1);
    assert!(stderr.contains("looks like name@example.com"), "{stderr}");

    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    let admin: bool =
        sqlx::query_scalar("select is_admin from users where email = 'root@example.com'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(admin);
}

#[tokio::test]
async fn sigterm_stops_accepting_lets_the_request_in_flight_finish_and_exits_zero() {
    let dir = tempfile::tempdir().unwrap();
    let name = empty_database().await;
    let url = database_url(&name);
    let mut server = Server::start(&dir, &[("DATABASE_URL", &url)]);

    // a request whose body is still arriving when SIGTERM comes
    let mut stream = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    let body = "email=late%40example.com";
    write!(
        stream,
        "POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\nemail=",
        body.len()
    )
    .unwrap();
    stream.flush().unwrap();
    std::thread::sleep(Duration::from_millis(300));
    server.terminate();
    std::thread::sleep(Duration::from_millis(500));
    stream
        .write_all(&body.as_bytes()["email=".len()..])
        .unwrap();
    let mut answer = String::new();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let _ = stream.read_to_string(&mut answer);
    assert!(
        answer.starts_with("HTTP/1.1 403"),
        "the request in flight got its answer (no CSRF token: 403): {answer:?}"
    );

    assert_eq!(server.wait_for_exit(), 0, "{}", server.logs());
    assert!(server.logs().contains("shutting down"));
    assert!(
        TcpStream::connect(("127.0.0.1", server.port)).is_err(),
        "no longer accepting"
    );
}

#[tokio::test]
async fn logs_never_contain_codes_session_ids_tokens_or_passwords() {
    let dir = tempfile::tempdir().unwrap();
    let name = empty_database().await;
    let url = database_url(&name).replacen("postgres@", "postgres:db-password-xyz@", 1);
    let sink = MailSink::start().await;
    let server = Server::start(
        &dir,
        &[
            ("DATABASE_URL", &url),
            ("SMTP_URL", &sink.url()),
            ("MAIL_FROM", "bucketdesk <files@example.com>"),
            ("BUCKETDESK_SIGNUP", "open"),
            ("RUST_LOG", "debug"),
            ("BUCKETDESK_ALLOW_PRIVATE_ENDPOINTS", "true"),
        ],
    );
    let browser = Browser::new(&server.url());
    assert_eq!(browser.request_code("alice@example.com").await.status, 303);
    let mail = sink.last_to("alice@example.com").await;
    let code = code_in(&mail.text).unwrap();
    browser.post("/login/code", &[("code", "000000")]).await;
    assert_eq!(
        browser
            .post("/login/code", &[("code", &code)])
            .await
            .location(),
        Some("/")
    );
    let home = browser.get("/").await;
    assert_eq!(home.status, 200);
    // the session id and the CSRF cookie
    let cookie = browser.cookie_header().unwrap();
    let cookies: Vec<String> = cookie
        .split("; ")
        .filter_map(|c| c.split_once('=').map(|(_, v)| v.to_owned()))
        .collect();
    assert_eq!(cookies.len(), 2, "{cookie}");
    let csrf = home.csrf_token().unwrap();

    // connect a bucket: its secret must not reach the logs either
    let (s3, s3_dir) = local_s3().await;
    s3.create_bucket("photos").unwrap();
    let bucket = connect_bucket(&browser, &s3, "photos").await;
    assert_eq!(browser.get(&bucket).await.status, 200);

    // share links: their tokens, password and presigned signatures stay out too
    std::fs::write(s3_dir.path().join("photos/hello.txt"), b"hello").unwrap();
    let token_on = |page: &bucketdesk_testkit::Page, marker: &str| {
        let start = page.body.find(marker).expect("a link address") + marker.len();
        page.body[start..start + 43].to_owned()
    };
    let made = browser
        .post(
            &format!("{bucket}/links"),
            &[("keys", "hello.txt"), ("password", "link-password-xyz")],
        )
        .await;
    let share = token_on(&browser.get(made.location().unwrap()).await, "/s/");
    let made = browser
        .post(&format!("{bucket}/upload-links"), &[("folder", "in")])
        .await;
    let upload = token_on(&browser.get(made.location().unwrap()).await, "/u/");
    let visitor = Browser::new(&server.url());
    assert_eq!(visitor.get(&format!("/s/{share}")).await.status, 200);
    visitor
        .post(
            &format!("/s/{share}/unlock"),
            &[("password", "link-password-xyz")],
        )
        .await;
    let download = visitor.get(&format!("/s/{share}/download")).await;
    assert_eq!(download.status, 303);
    let location = download.location().unwrap();
    let signature = location.split("X-Amz-Signature=").nth(1).unwrap()[..64].to_owned();
    assert_eq!(visitor.get(&format!("/u/{upload}")).await.status, 200);
    // a signed-in stranger probing Alice's bucket is refused, and logged
    let bob = signed_in(&server, &sink, "bob@example.com").await;
    assert_eq!(bob.get(&bucket).await.status, 404);
    std::thread::sleep(Duration::from_millis(300));

    let logs = server.logs();
    assert!(logs.contains("request"), "the server logs requests: {logs}");
    let refusal = logs
        .lines()
        .find(|l| l.contains("refused a signed-in request"))
        .unwrap_or_else(|| panic!("no refusal logged: {logs}"));
    assert!(
        refusal.contains("route=/w/{workspace}/b/{bucket}")
            && refusal.contains("status=404")
            && refusal.contains("user.id=")
            && refusal.contains("ip=127.0.0.1"),
        "{refusal}"
    );
    for secret in cookies.iter().map(String::as_str).chain([
        code.as_str(),
        csrf.as_str(),
        "db-password-xyz",
        share.as_str(),
        upload.as_str(),
        "link-password-xyz",
        signature.as_str(),
    ]) {
        assert!(
            !logs.contains(secret),
            "the logs contain {secret:?}:\n{logs}"
        );
    }
}

#[tokio::test]
async fn health_probes_and_static_files_stay_out_of_an_info_log_and_pages_do_not() {
    let dir = tempfile::tempdir().unwrap();
    let name = empty_database().await;
    let sink = MailSink::start().await;
    let server = Server::start(
        &dir,
        &[
            ("DATABASE_URL", &database_url(&name)),
            ("SMTP_URL", &sink.url()),
            ("MAIL_FROM", "files@example.com"),
            ("RUST_LOG", "info"),
        ],
    );
    let browser = Browser::new(&server.url());
    for path in [
        "/healthz",
        "/readyz",
        "/static/app.css",
        "/favicon.ico",
        "/healthz",
    ] {
        assert_eq!(browser.get(path).await.status, 200, "{path}");
    }
    assert_eq!(browser.get("/login").await.status, 200);
    assert_eq!(browser.get("/no/such/page").await.status, 404);
    // no proxy is trusted here: a client's own request id is not believed
    let forged = reqwest::Client::new()
        .get(format!("{}/login", server.url()))
        .header("x-request-id", "forged-by-the-client")
        .send()
        .await
        .unwrap();
    assert_ne!(forged.headers()["x-request-id"], "forged-by-the-client");
    std::thread::sleep(Duration::from_millis(300));
    let logs = server.logs();
    assert!(!logs.contains("forged-by-the-client"), "{logs}");
    let requests: Vec<&str> = logs.lines().filter(|l| l.contains(" request ")).collect();
    assert!(
        requests.iter().any(|l| l.contains("route=/login")),
        "a page is logged at INFO: {logs}"
    );
    for quiet in ["/healthz", "/readyz", "/static/", "/favicon.ico"] {
        assert!(
            !requests
                .iter()
                .any(|l| l.contains(&format!("route={quiet}"))),
            "{quiet} is logged at INFO: {logs}"
        );
    }
}

#[tokio::test]
async fn a_request_is_followed_by_its_id_from_the_proxy_to_the_log_and_the_error_page() {
    let dir = tempfile::tempdir().unwrap();
    let name = empty_database().await;
    let sink = MailSink::start().await;
    let server = Server::start(
        &dir,
        &[
            ("DATABASE_URL", &database_url(&name)),
            ("SMTP_URL", &sink.url()),
            ("MAIL_FROM", "files@example.com"),
            ("RUST_LOG", "info"),
            // the test connects from 127.0.0.1: it plays the trusted proxy
            ("BUCKETDESK_TRUSTED_PROXIES", "127.0.0.1/32"),
        ],
    );
    let client = reqwest::Client::new();
    let ask = |id: &'static str| {
        client
            .get(format!("{}/no/such/page", server.url()))
            .header("x-request-id", id)
            .send()
    };
    let answer = ask("proxy-id-42").await.unwrap();
    assert_eq!(answer.status(), 404);
    assert_eq!(answer.headers()["x-request-id"], "proxy-id-42");
    let page = answer.text().await.unwrap();
    assert!(page.contains("quote this id"), "{page}");
    assert!(page.contains("proxy-id-42"), "{page}");
    // an id that is no id is replaced by one of bucketdesk's own
    let answer = ask("an id; with spaces").await.unwrap();
    let made = answer.headers()["x-request-id"].to_str().unwrap();
    assert!(
        made.len() == 32 && made.bytes().all(|b| b.is_ascii_hexdigit()),
        "{made}"
    );
    let own = client
        .get(format!("{}/login", server.url()))
        .send()
        .await
        .unwrap();
    let own_id = own.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert_eq!(own_id.len(), 32, "{own_id}");
    std::thread::sleep(Duration::from_millis(300));
    let logs = server.logs();
    let line = logs
        .lines()
        .find(|l| l.contains("proxy-id-42"))
        .unwrap_or_else(|| panic!("the proxy's id is not in the log: {logs}"));
    assert!(line.contains("status=404"), "{line}");
    assert!(
        logs.lines()
            .any(|l| l.contains(&own_id) && l.contains("route=/login")),
        "{logs}"
    );
}

#[path = "cli/metrics.rs"]
mod metrics;
#[path = "cli/replicas.rs"]
mod replicas;
#[path = "cli/traces.rs"]
mod traces;

#[tokio::test]
async fn the_healthcheck_command_reports_whether_the_server_answers() {
    let dir = tempfile::tempdir().unwrap();
    let database = empty_database().await;
    let url = database.url();
    let server = Server::start(&dir, &[("DATABASE_URL", &url)]);
    let bind = format!("127.0.0.1:{}", server.port);
    let mut check = bucketdesk(&dir, &[("BUCKETDESK_BIND", &bind)]);
    check.arg("healthcheck");
    let (code, stdout, _) = output(check);
    assert_eq!((code, stdout.trim()), (0, "healthy"));

    let closed = format!("127.0.0.1:{}", free_port());
    let mut check = bucketdesk(&dir, &[("BUCKETDESK_BIND", &closed)]);
    check.arg("healthcheck");
    let (code, _, stderr) = output(check);
    assert_eq!(code, 1);
    assert!(stderr.contains("cannot reach"), "{stderr}");
}

#[tokio::test]
async fn serve_creates_a_missing_key_file_owner_only_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let database = empty_database().await;
    let url = database.url();
    let data = dir.path().join("data");
    let mut command = bucketdesk(
        &dir,
        &[
            ("DATABASE_URL", &url),
            ("BUCKETDESK_DATA_DIR", data.to_str().unwrap()),
        ],
    );
    let port = free_port();
    command
        .env("BUCKETDESK_BIND", format!("127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let child = command.spawn().unwrap();
    let key = data.join("instance-key.pem");
    let started = Instant::now();
    while !(key.exists() && std::fs::metadata(&key).unwrap().len() > 0) {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "no key file was created"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(300));
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("CREATED A NEW INSTANCE KEY"), "{stderr}");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert!(
        std::fs::read_to_string(&key)
            .unwrap()
            .starts_with("-----BEGIN PRIVATE KEY-----")
    );
}

mod keys {
    //! `bucketdesk keys` and the start-up check of the key file.

    use super::*;
    use bucketdesk_db::buckets;
    use bucketdesk_vault::{InstanceKey, bucket_secret_context};
    use std::path::Path;

    const SECRET: &str = "the-bucket-secret-value-123";

    fn fixture(n: u8) -> InstanceKey {
        let pem = match n {
            1 => bucketdesk_testkit::FIXTURE_KEY_PEM,
            _ => include_str!("../../testkit/fixtures/instance-key-2.pem"),
        };
        InstanceKey::from_pem(pem, Path::new("fixture")).unwrap()
    }

    /// A migrated database with one user (alice), a workspace she owns and
    /// `n` buckets whose secrets are sealed with `key`, reached at `endpoint`.
    async fn seeded(
        key: &InstanceKey,
        n: usize,
        endpoint: &str,
    ) -> (
        bucketdesk_testkit::TestDatabase,
        sqlx::PgPool,
        Vec<uuid::Uuid>,
    ) {
        let database = empty_database().await;
        let url = database.url();
        let pool = sqlx::PgPool::connect(&url).await.unwrap();
        bucketdesk_web::migrate(&pool).await.unwrap();
        let user: uuid::Uuid = sqlx::query_scalar(
            "insert into users (email) values ('alice@example.com') returning id",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        let workspace: uuid::Uuid =
            sqlx::query_scalar("insert into workspaces (name) values ('Team') returning id")
                .fetch_one(&pool)
                .await
                .unwrap();
        sqlx::query(
            "insert into workspace_members (workspace_id, user_id, role) values ($1, $2, 'owner')",
        )
        .bind(workspace)
        .bind(user)
        .execute(&pool)
        .await
        .unwrap();
        let mut ids = Vec::new();
        for i in 0..n {
            let id = uuid::Uuid::new_v4();
            sqlx::query(
                "insert into buckets (id, workspace_id, display_name, bucket_name, region, endpoint_url, path_style, access_key_id)
                 values ($1, $2, $3, 'photos', 'us-east-1', $4, true, $5)",
            )
            .bind(id)
            .bind(workspace)
            .bind(format!("Bucket {i}"))
            .bind(endpoint)
            .bind(bucketdesk_testkit::S3_ACCESS_KEY)
            .execute(&pool)
            .await
            .unwrap();
            sqlx::query(
                "insert into bucket_members (bucket_id, user_id, role) values ($1, $2, 'owner')",
            )
            .bind(id)
            .bind(user)
            .execute(&pool)
            .await
            .unwrap();
            let context = bucket_secret_context(&id.to_string(), bucketdesk_testkit::S3_ACCESS_KEY);
            let secret = if endpoint.is_empty() {
                SECRET
            } else {
                bucketdesk_testkit::S3_SECRET_KEY
            };
            let sealed = key.seal(secret.as_bytes(), &context).unwrap();
            buckets::store_secret(
                &pool,
                bucketdesk_domain::BucketId(id),
                &sealed.key_id,
                &sealed.wrapped_key,
                &sealed.nonce,
                &sealed.ciphertext,
            )
            .await
            .unwrap();
            ids.push(id);
        }
        (database, pool, ids)
    }

    /// `bucketdesk keys <what>` for this database and key file.
    fn keys_command(dir: &tempfile::TempDir, url: &str, key_file: &Path, what: &str) -> Command {
        let mut command = bucketdesk(
            dir,
            &[
                ("DATABASE_URL", url),
                ("BUCKETDESK_KEY_FILE", key_file.to_str().unwrap()),
            ],
        );
        command.args(["keys", what]);
        command
    }

    /// `bucketdesk serve` for this database and key file, on a free port.
    fn serve_command(dir: &tempfile::TempDir, url: &str, key_file: &Path) -> Command {
        let mut command = bucketdesk(
            dir,
            &[
                ("DATABASE_URL", url),
                ("BUCKETDESK_KEY_FILE", key_file.to_str().unwrap()),
            ],
        );
        command.env("BUCKETDESK_BIND", format!("127.0.0.1:{}", free_port()));
        command
    }

    fn key_file(dir: &tempfile::TempDir, key: &InstanceKey) -> std::path::PathBuf {
        let path = dir.path().join("instance-key.pem");
        key.write_new(&path).unwrap();
        path
    }

    #[tokio::test]
    async fn keys_status_names_the_key_and_counts_the_secrets_it_protects() {
        let dir = tempfile::tempdir().unwrap();
        let key = fixture(1);
        let (database, _pool, _) = seeded(&key, 2, "").await;
        let url = database.url();
        let path = key_file(&dir, &key);
        let command = keys_command(&dir, &url, &path, "status");
        let (code, stdout, stderr) = output(command);
        assert_eq!(code, 0, "{stderr}");
        assert!(
            stdout.contains(&format!("Instance key: {}", key.id())),
            "{stdout}"
        );
        assert!(stdout.contains("Bucket secrets it protects: 2"), "{stdout}");
    }

    #[tokio::test]
    async fn rotation_rewraps_every_secret_under_a_new_key_and_keeps_the_old_key_aside() {
        let dir = tempfile::tempdir().unwrap();
        let old = fixture(1);
        let (database, pool, ids) = seeded(&old, 3, "").await;
        let url = database.url();
        let path = key_file(&dir, &old);
        let command = keys_command(&dir, &url, &path, "rotate");
        let (code, stdout, stderr) = output(command);
        assert_eq!(code, 0, "{stdout}{stderr}");
        assert!(
            stdout.contains("Rotated: 3 bucket secrets are now sealed with key"),
            "{stdout}"
        );

        let new = InstanceKey::load(&path).unwrap();
        assert_ne!(new.id(), old.id());
        let retired = dir
            .path()
            .join(format!("instance-key.pem.retired-{}", old.id()));
        assert_eq!(
            InstanceKey::load(&retired).unwrap().id(),
            old.id(),
            "the old key is kept aside"
        );
        for id in ids {
            let row = buckets::secret(&pool, bucketdesk_domain::BucketId(id))
                .await
                .unwrap()
                .unwrap();
            assert_eq!(row.key_id, new.id());
            let sealed = bucketdesk_core::s3_clients::sealed_from_row(row);
            let context = bucket_secret_context(&id.to_string(), bucketdesk_testkit::S3_ACCESS_KEY);
            assert_eq!(
                new.open(&sealed, &context).unwrap().as_slice(),
                SECRET.as_bytes()
            );
            assert!(old.open(&sealed, &context).is_err());
        }
    }

    #[tokio::test]
    async fn start_up_refuses_a_missing_key_file_when_secrets_exist() {
        let dir = tempfile::tempdir().unwrap();
        let (database, _pool, _) = seeded(&fixture(1), 1, "").await;
        let url = database.url();
        let path = dir.path().join("gone.pem");
        let (code, _, stderr) = output(serve_command(&dir, &url, &path));
        assert_eq!(code, 1);
        assert!(
            stderr.contains("does not exist") && stderr.contains("Restore the key file"),
            "{stderr}"
        );
        assert!(!path.exists(), "no new key was made to orphan the secrets");
    }

    #[tokio::test]
    async fn start_up_refuses_a_different_key() {
        let dir = tempfile::tempdir().unwrap();
        let sealed_with = fixture(1);
        let (database, _pool, _) = seeded(&sealed_with, 1, "").await;
        let url = database.url();
        let path = key_file(&dir, &fixture(2));
        let (code, _, stderr) = output(serve_command(&dir, &url, &path));
        assert_eq!(code, 1);
        assert!(
            stderr.contains(sealed_with.id()) && stderr.contains(fixture(2).id()),
            "{stderr}"
        );
    }

    #[tokio::test]
    async fn after_rotation_the_bucket_still_works() {
        let dir = tempfile::tempdir().unwrap();
        let s3_dir = tempfile::tempdir().unwrap();
        let s3 = bucketdesk_s3_local::LocalS3::start(
            s3_dir.path(),
            "127.0.0.1:0".parse().unwrap(),
            bucketdesk_testkit::S3_ACCESS_KEY,
            bucketdesk_testkit::S3_SECRET_KEY,
        )
        .await
        .unwrap();
        s3.create_bucket("photos").unwrap();
        let old = fixture(1);
        let (database, pool, ids) = seeded(&old, 1, &s3.endpoint()).await;
        let url = database.url();
        // a revocable link whose address is sealed with the old key
        let link = uuid::Uuid::new_v4();
        let token = "T".repeat(43);
        let sealed = bucketdesk_vault::TokenBox::for_link_tokens(&old)
            .seal(token.as_bytes(), link.as_bytes());
        sqlx::query(
            "insert into links (id, kind, token_hash, token_sealed, workspace_id, bucket_id, bucket_label, created_by, keys, expires_at)
             select $1, 'download', '\\x00', $2, b.workspace_id, b.id, b.display_name, u.id, array['a.txt'], now() + interval '1 day'
             from buckets b, users u where b.id = $3",
        )
        .bind(link)
        .bind(&sealed)
        .bind(ids[0])
        .execute(&pool)
        .await
        .unwrap();
        // and an authenticator app's secret
        let user: uuid::Uuid = sqlx::query_scalar("select id from users limit 1")
            .fetch_one(&pool)
            .await
            .unwrap();
        let app_secret = b"twenty bytes secret!";
        let sealed =
            bucketdesk_vault::TokenBox::for_second_factors(&old).seal(app_secret, user.as_bytes());
        sqlx::query("insert into totp_factors (user_id, secret_sealed) values ($1, $2)")
            .bind(user)
            .bind(&sealed)
            .execute(&pool)
            .await
            .unwrap();
        let path = key_file(&dir, &old);
        let rotate = keys_command(&dir, &url, &path, "rotate");
        assert_eq!(output(rotate).0, 0);
        let new = bucketdesk_vault::InstanceKey::load(&path).unwrap();
        let resealed: Vec<u8> =
            sqlx::query_scalar("select secret_sealed from totp_factors where user_id = $1")
                .bind(user)
                .fetch_one(&pool)
                .await
                .unwrap();
        assert_eq!(
            bucketdesk_vault::TokenBox::for_second_factors(&new)
                .open(&resealed, user.as_bytes())
                .unwrap()
                .as_slice(),
            app_secret,
            "the app's secret moved to the new key"
        );
        assert!(
            bucketdesk_vault::TokenBox::for_second_factors(&old)
                .open(&resealed, user.as_bytes())
                .is_none()
        );

        let sink = MailSink::start().await;
        let server = Server::start_with_key_file(
            &dir,
            &path,
            &[
                ("DATABASE_URL", &url),
                ("SMTP_URL", &sink.url()),
                ("MAIL_FROM", "files@example.com"),
                ("BUCKETDESK_ALLOW_PRIVATE_ENDPOINTS", "true"),
            ],
        );
        let browser = signed_in(&server, &sink, "alice@example.com").await;
        let home = browser.get("/").await;
        let workspace = home
            .body
            .split("/w/")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .to_owned();
        let page = browser.get(&format!("/w/{workspace}/b/{}", ids[0])).await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(page.body.contains("This folder is empty"), "{}", page.body);
        // the link's address was re-sealed: it can still be copied
        let links = browser.get(&format!("/w/{workspace}/links")).await;
        assert!(
            links.body.contains(&format!("/s/{token}")),
            "{}",
            links.body
        );
    }
}

#[tokio::test]
async fn the_demo_gives_its_owner_a_working_bucket_with_sample_files_once() {
    let dir = tempfile::tempdir().unwrap();
    let database = empty_database().await;
    let url = database.url();
    let mut add = bucketdesk(&dir, &[("DATABASE_URL", &url)]);
    add.args(["admin", "add", "admin@example.com"]);
    assert_eq!(output(add).0, 0);
    let sink = MailSink::start().await;
    let demo_bind = format!("127.0.0.1:{}", free_port());
    let data = dir.path().join("data");
    let envs = [
        ("DATABASE_URL", url.as_str()),
        ("SMTP_URL", &sink.url()),
        ("MAIL_FROM", "files@example.com"),
        ("BUCKETDESK_DEMO_OWNER", "admin@example.com"),
        ("BUCKETDESK_DEMO_S3_BIND", &demo_bind),
        ("BUCKETDESK_ALLOW_PRIVATE_ENDPOINTS", "true"),
        ("BUCKETDESK_DATA_DIR", data.to_str().unwrap()),
    ];
    let server = Server::start(&dir, &envs);
    let browser = signed_in(&server, &sink, "admin@example.com").await;
    let home = browser.get("/").await;
    assert!(home.body.contains("Demo"), "{}", home.body);
    let workspace = home
        .body
        .split("href=\"/w/")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let page = browser.get(&format!("/w/{workspace}")).await;
    let bucket = page
        .body
        .split(&format!("/w/{workspace}/b/"))
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let bucket_page = browser.get(&format!("/w/{workspace}/b/{bucket}")).await;
    assert!(
        bucket_page.body.contains("README.md"),
        "{}",
        bucket_page.body
    );

    // the sample files are there, in folders
    for key in [
        "README.md",
        "notes.txt",
        "images/bucket.png",
        "documents/welcome.pdf",
        "reports/2026/q3/summary.csv",
    ] {
        assert!(data.join("demo-s3/demo").join(key).exists(), "{key}");
    }
    // its secret is sealed like any other
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    let credentials = std::fs::read_to_string(data.join("demo-s3.credentials")).unwrap();
    let demo_secret = credentials.trim().split(':').nth(1).unwrap().to_owned();
    let ciphertext: Vec<u8> = sqlx::query_scalar("select ciphertext from bucket_secrets")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(
        !ciphertext
            .windows(demo_secret.len())
            .any(|w| w == demo_secret.as_bytes())
    );
    // made by the same operations as the forms, with their audit events
    let recorded: Vec<String> = sqlx::query_scalar(
        "select action from audit_events where action in ('workspace_created', 'bucket_connected') order by id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(recorded, ["workspace_created", "bucket_connected"]);
    drop(server);

    // a second start reuses everything: still one demo workspace
    let _again = Server::start(&dir, &envs);
    let workspaces: i64 = sqlx::query_scalar("select count(*) from workspaces")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(workspaces, 1);
}

/// The peak resident memory of a process while a test runs, sampled every 20 ms.
struct PeakMemory {
    baseline: u64,
    peak: Arc<std::sync::atomic::AtomicU64>,
    sampler: tokio::task::JoinHandle<()>,
}

impl PeakMemory {
    fn watch(pid: u32) -> PeakMemory {
        let baseline = rss_of(pid);
        let peak = Arc::new(std::sync::atomic::AtomicU64::new(baseline));
        let sampling = peak.clone();
        let sampler = tokio::spawn(async move {
            loop {
                sampling.fetch_max(rss_of(pid), std::sync::atomic::Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        });
        PeakMemory {
            baseline,
            peak,
            sampler,
        }
    }

    /// How far the memory rose above where it was when watching began.
    fn rise(&self) -> u64 {
        self.peak
            .load(std::sync::atomic::Ordering::Relaxed)
            .saturating_sub(self.baseline)
    }
}

impl Drop for PeakMemory {
    fn drop(&mut self) {
        self.sampler.abort();
    }
}

/// Resident memory of a process, in bytes.
fn rss_of(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse::<u64>().ok())
        .unwrap_or(0)
        * 1024
}

// the S3 server runs in this test's runtime: give it threads of its own
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_one_gib_upload_through_the_server_stores_the_right_bytes_with_bounded_memory() {
    use sha2::{Digest, Sha256};
    const GIB: u64 = 1024 * 1024 * 1024;
    const CHUNK: usize = 1024 * 1024;
    // every chunk differs (its first bytes are its number) without costing a
    // pass over a megabyte per chunk
    let pattern: Vec<u8> = (0..CHUNK).map(|j| ((j * 31) % 251) as u8).collect();
    let chunk = move |i: u64| -> Vec<u8> {
        let mut c = pattern.clone();
        c[..8].copy_from_slice(&i.to_le_bytes());
        c
    };

    let dir = tempfile::tempdir().unwrap();
    let database = empty_database().await;
    let url = database.url();
    let sink = MailSink::start().await;
    let (s3, _s3_dir) = local_s3().await;
    s3.create_bucket("big").unwrap();
    let server = Server::start(
        &dir,
        &[
            ("DATABASE_URL", &url),
            ("SMTP_URL", &sink.url()),
            ("MAIL_FROM", "files@example.com"),
            ("BUCKETDESK_SIGNUP", "open"),
            ("BUCKETDESK_ALLOW_PRIVATE_ENDPOINTS", "true"),
            // memory is under test here, not speed: a busy machine must not fail it
            ("BUCKETDESK_S3_TIMEOUT_SECS", "600"),
        ],
    );
    let browser = signed_in(&server, &sink, "alice@example.com").await;
    let bucket = connect_bucket(&browser, &s3, "big").await;
    browser.get(&bucket).await;
    let token = browser.csrf_token().await;

    // the expected checksum, chunk by chunk: never the whole body at once
    let mut expected = Sha256::new();
    for i in 0..GIB / CHUNK as u64 {
        expected.update(chunk(i));
    }
    let expected = expected.finalize();

    let memory = PeakMemory::watch(server.child.id());
    let body = futures::stream::iter(
        (0..GIB / CHUNK as u64).map(move |i| Ok::<_, std::io::Error>(chunk(i))),
    );
    let response = browser
        .client
        .post(format!("{}{bucket}/upload?key=one-gib.bin", server.url()))
        .header("x-csrf-token", token)
        .header("content-type", "application/octet-stream")
        .body(reqwest::Body::wrap_stream(body))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    assert_eq!(status, 201, "{text}");
    let growth = memory.rise();
    println!(
        "bucketdesk's peak memory growth during a 1 GiB upload: {} MiB (baseline {} MiB)",
        growth >> 20,
        memory.baseline >> 20
    );
    assert!(
        growth <= 64 << 20,
        "the server's memory grew by {} MiB (R1 allows 64)",
        growth >> 20
    );

    let mut stored = std::fs::File::open(s3.root.join("big/one-gib.bin")).unwrap();
    let mut actual = Sha256::new();
    let mut buffer = vec![0u8; CHUNK];
    let mut total = 0u64;
    loop {
        let n = stored.read(&mut buffer).unwrap();
        if n == 0 {
            break;
        }
        total += n as u64;
        actual.update(&buffer[..n]);
    }
    assert_eq!(total, GIB);
    assert_eq!(
        actual.finalize(),
        expected,
        "the stored object has the right checksum"
    );
}

/// Sends an upload-link request that declares 5 TiB and sends `mib` MiB, then
/// hangs up, as a lying client would.
async fn lying_upload(port: u16, path: String, cookie: String, token: String, mib: usize) {
    use tokio::io::AsyncWriteExt;
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: {}\r\n\
         Content-Type: application/octet-stream\r\nCookie: {cookie}\r\nX-CSRF-Token: {token}\r\n\r\n",
        5u64 << 40
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let chunk = vec![42u8; 1024 * 1024];
    for _ in 0..mib {
        if stream.write_all(&chunk).await.is_err() {
            break;
        }
    }
    let _ = stream.shutdown().await;
}

// the S3 server runs in this test's runtime: give it threads of its own
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lying_content_length_costs_memory_by_what_arrives_not_by_what_it_declares() {
    let dir = tempfile::tempdir().unwrap();
    let s3_dir = tempfile::tempdir().unwrap();
    let (server, s3, _database, link, cookie, token) = server_with_an_upload_link(
        &dir,
        &s3_dir,
        // memory is under test here, not speed: a busy machine must not fail it
        &[("BUCKETDESK_S3_TIMEOUT_SECS", "600")],
    )
    .await;
    let memory = PeakMemory::watch(server.child.id());
    let path = |n: usize| format!("{link}/files?name=big-{n}.bin");
    lying_upload(server.port, path(0), cookie.clone(), token.clone(), 600).await;
    let one = memory.rise();

    futures::future::join_all(
        (1..=10).map(|n| lying_upload(server.port, path(n), cookie.clone(), token.clone(), 600)),
    )
    .await;
    // the aborts land once each body's end is seen
    let started = Instant::now();
    while s3.unfinished_parts() > 0 && started.elapsed() < Duration::from_secs(60) {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let ten = memory.rise();
    println!(
        "memory rise: one lying upload {} MiB, ten at once {} MiB (baseline {} MiB)",
        one >> 20,
        ten >> 20,
        memory.baseline >> 20
    );
    assert!(
        one <= 64 << 20,
        "one lying upload raised memory by {} MiB",
        one >> 20
    );
    assert!(
        ten <= 160 << 20,
        "ten lying uploads raised memory by {} MiB",
        ten >> 20
    );
    assert_eq!(s3.unfinished_parts(), 0, "every one aborted");
    assert!(
        !s3.root.join("drop/in/big-0.bin").exists(),
        "nothing was stored"
    );
}

/// An upload link on a fresh server: (server, S3, the link's path, a visitor's cookie and token).
async fn server_with_an_upload_link(
    dir: &tempfile::TempDir,
    s3_dir: &tempfile::TempDir,
    extra: &[(&str, &str)],
) -> (
    Server,
    bucketdesk_s3_local::LocalS3,
    bucketdesk_testkit::TestDatabase,
    String,
    String,
    String,
) {
    let database = empty_database().await;
    let url = database.url();
    let sink = MailSink::start().await;
    let s3 = bucketdesk_s3_local::LocalS3::start(
        s3_dir.path(),
        "127.0.0.1:0".parse().unwrap(),
        bucketdesk_testkit::S3_ACCESS_KEY,
        bucketdesk_testkit::S3_SECRET_KEY,
    )
    .await
    .unwrap();
    s3.create_bucket("drop").unwrap();
    let smtp = sink.url();
    let mut envs = vec![
        ("DATABASE_URL", url.as_str()),
        ("SMTP_URL", smtp.as_str()),
        ("MAIL_FROM", "files@example.com"),
        ("BUCKETDESK_SIGNUP", "open"),
        ("BUCKETDESK_ALLOW_PRIVATE_ENDPOINTS", "true"),
    ];
    envs.extend_from_slice(extra);
    let server = Server::start(dir, &envs);
    let browser = signed_in(&server, &sink, "alice@example.com").await;
    let bucket = connect_bucket(&browser, &s3, "drop").await;
    browser.get(&format!("{bucket}/upload-links/new")).await;
    let made = browser
        .post(&format!("{bucket}/upload-links"), &[("folder", "in")])
        .await;
    assert_eq!(made.status, 303, "{}", made.body);
    let page = browser.get(made.location().unwrap()).await;
    let start = page.body.find("/u/").unwrap();
    let link = page.body[start..start + 46].to_owned();
    let visitor = Browser::new(&server.url());
    let form = visitor.get(&link).await;
    let at = form.body.find(r#"data-csrf=""#).expect("the page's token") + 11;
    let token = form.body[at..].split('"').next().unwrap().to_owned();
    let cookie = visitor.cookie_header().unwrap();
    (server, s3, database, link, cookie, token)
}

// the S3 server runs in this test's runtime: give it threads of its own
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_cuts_a_trickling_upload_after_the_grace_period_and_aborts_it() {
    use tokio::io::AsyncWriteExt;
    let dir = tempfile::tempdir().unwrap();
    let s3_dir = tempfile::tempdir().unwrap();
    let (mut server, s3, _database, link, cookie, token) =
        server_with_an_upload_link(&dir, &s3_dir, &[("BUCKETDESK_SHUTDOWN_GRACE_SECS", "2")]).await;

    // 20 MiB arrive at once, then a byte now and then: a multipart upload is under way
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", server.port))
        .await
        .unwrap();
    let head = format!(
        "POST {link}/files?name=slow.bin HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {}\r\n\
         Content-Type: application/octet-stream\r\nCookie: {cookie}\r\nX-CSRF-Token: {token}\r\n\r\n",
        100 << 20
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&vec![1u8; 20 << 20]).await.unwrap();
    let trickle = tokio::spawn(async move {
        while stream.write_all(b"x").await.is_ok() {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    });
    let started = Instant::now();
    while s3.unfinished_parts() == 0 && started.elapsed() < Duration::from_secs(30) {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(s3.unfinished_parts() > 0, "a part is stored");

    server.terminate();
    let terminated = Instant::now();
    let code = tokio::task::spawn_blocking(move || {
        let code = server.wait_for_exit();
        (code, server)
    })
    .await
    .unwrap();
    let (code, server) = code;
    let took = terminated.elapsed();
    trickle.abort();
    assert_eq!(code, 0, "{}", server.logs());
    assert!(
        took >= Duration::from_secs(2),
        "it waited the grace period: {took:?}"
    );
    assert!(took < Duration::from_secs(6), "then stopped: {took:?}");
    assert!(
        server.logs().contains("cutting uploads"),
        "{}",
        server.logs()
    );
    assert_eq!(s3.unfinished_parts(), 0, "the multipart upload was aborted");
    assert!(!s3.root.join("drop/in/slow.bin").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multipart_uploads_abandoned_a_day_ago_are_aborted_at_start_up() {
    let dir = tempfile::tempdir().unwrap();
    let s3_dir = tempfile::tempdir().unwrap();
    let (server, s3, database, _, _, _) = server_with_an_upload_link(&dir, &s3_dir, &[]).await;
    let url = database.url();
    // a process killed in the middle of an upload left this behind
    let client = bucketdesk_storage::s3_client(
        &bucketdesk_storage::Connection {
            bucket: "drop".into(),
            region: "us-east-1".into(),
            endpoint: Some(s3.endpoint()),
            path_style: true,
            signer: bucketdesk_storage::Signer::key(
                bucketdesk_testkit::S3_ACCESS_KEY,
                bucketdesk_testkit::S3_SECRET_KEY,
            ),
        },
        &bucketdesk_storage::StorageOptions {
            allow_private_endpoints: true,
            ..Default::default()
        },
    );
    let mut ids = Vec::new();
    for key in ["old.bin", "recent.bin"] {
        let created = client
            .create_multipart_upload()
            .bucket("drop")
            .key(key)
            .send()
            .await
            .unwrap();
        let id = created.upload_id().unwrap().to_owned();
        client
            .upload_part()
            .bucket("drop")
            .key(key)
            .upload_id(&id)
            .part_number(1)
            .body(vec![1u8; 1024].into())
            .send()
            .await
            .unwrap();
        ids.push(id);
    }
    let db = sqlx::PgPool::connect(&url).await.unwrap();
    for (id, key, age) in [
        (&ids[0], "old.bin", "2 days"),
        (&ids[1], "recent.bin", "1 hour"),
    ] {
        sqlx::query(&format!(
            "insert into multipart_uploads (upload_id, bucket_id, key, started_at)
             select $1, id, $2, now() - interval '{age}' from buckets"
        ))
        .bind(id)
        .bind(key)
        .execute(&db)
        .await
        .unwrap();
    }
    assert_eq!(s3.unfinished_parts(), 2);
    drop(server);

    let _again = Server::start(
        &dir,
        &[
            ("DATABASE_URL", &url),
            ("BUCKETDESK_ALLOW_PRIVATE_ENDPOINTS", "true"),
        ],
    );
    // the abort at S3 comes first, then its row goes: wait for both
    let journal = || async {
        sqlx::query_scalar::<_, String>("select key from multipart_uploads order by key")
            .fetch_all(&db)
            .await
            .unwrap()
    };
    let started = Instant::now();
    while (s3.unfinished_parts() > 1 || journal().await.len() > 1)
        && started.elapsed() < Duration::from_secs(20)
    {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        s3.unfinished_parts(),
        1,
        "the day-old upload was aborted, the recent one kept"
    );
    assert_eq!(journal().await, ["recent.bin"]);
}

#[tokio::test]
async fn half_sent_requests_are_closed_and_one_address_cannot_hold_hundreds_of_connections() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let dir = tempfile::tempdir().unwrap();
    let name = empty_database().await;
    let url = database_url(&name);
    let server = Server::start(
        &dir,
        &[
            ("DATABASE_URL", &url),
            ("BUCKETDESK_HEADER_TIMEOUT_SECS", "2"),
            ("BUCKETDESK_MAX_CONNECTIONS_PER_IP", "20"),
        ],
    );
    // 300 requests that never finish their headers
    let mut held = Vec::new();
    for _ in 0..300 {
        let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", server.port))
            .await
            .unwrap();
        let _ = stream
            .write_all(b"GET /login HTTP/1.1\r\nHost: x\r\n")
            .await;
        held.push(stream);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let still_open = |held: &mut Vec<tokio::net::TcpStream>| {
        let held = std::mem::take(held);
        async move {
            let mut open = Vec::new();
            for mut stream in held {
                let mut byte = [0u8; 1];
                // nothing to read yet: the server still holds it (closed or
                // answered with 408 otherwise)
                let read = tokio::time::timeout(Duration::from_millis(20), stream.read(&mut byte));
                if read.await.is_err() {
                    open.push(stream);
                }
            }
            open
        }
    };
    let mut open = still_open(&mut held).await;
    assert!(
        open.len() <= 20,
        "{} connections held from one address",
        open.len()
    );
    // past the header timeout, none is left
    tokio::time::sleep(Duration::from_secs(3)).await;
    open = still_open(&mut open).await;
    assert!(
        open.is_empty(),
        "{} half-sent requests still held",
        open.len()
    );
    assert!(server.logs().contains("too many open from this address"));
    // and the server serves as before
    let page = Browser::new(&server.url()).get("/login").await;
    assert_eq!(page.status, 200);
}

// the STS runs in this test's runtime: give it threads of its own
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_aws_identity_comes_from_the_hosts_environment_and_without_one_the_server_does_not_start()
 {
    let dir = tempfile::tempdir().unwrap();
    let database = empty_database().await;
    let url = database.url();
    let (s3, _s3_dir) = local_s3().await;
    let sts = bucketdesk_s3_local::sts::LocalSts::start(
        s3.temporary_keys(),
        bucketdesk_testkit::STS_CALLER_KEY,
        bucketdesk_testkit::STS_CALLER_SECRET,
    )
    .await
    .unwrap();
    let endpoint = sts.endpoint();
    let base = [
        ("DATABASE_URL", url.as_str()),
        ("BUCKETDESK_AWS_IDENTITY", "host"),
        ("BUCKETDESK_AWS_STS_ENDPOINT", endpoint.as_str()),
        // no profile files on this machine get in the way
        ("HOME", dir.path().to_str().unwrap()),
        ("AWS_EC2_METADATA_DISABLED", "true"),
    ];

    // a key the STS does not know: the start stops with STS's reason
    let mut wrong = bucketdesk(&dir, &base);
    wrong
        .env("AWS_ACCESS_KEY_ID", "AKIDNOBODY")
        .env("AWS_SECRET_ACCESS_KEY", "nothing")
        .env("BUCKETDESK_BIND", format!("127.0.0.1:{}", free_port()))
        .env("BUCKETDESK_KEY_FILE", fixture_key(&dir))
        .arg("serve");
    // (blocking this worker: the STS answers on the other)
    let (code, _, stderr) = output(wrong);
    assert_ne!(code, 0);
    assert!(
        stderr.contains("BUCKETDESK_AWS_IDENTITY") && stderr.contains("InvalidClientTokenId"),
        "{stderr}"
    );

    // the environment's key: the server starts, and says who it is
    let mut envs = base.to_vec();
    envs.push(("AWS_ACCESS_KEY_ID", bucketdesk_testkit::STS_CALLER_KEY));
    envs.push((
        "AWS_SECRET_ACCESS_KEY",
        bucketdesk_testkit::STS_CALLER_SECRET,
    ));
    let server = Server::start(&dir, &envs);
    assert!(
        server
            .logs()
            .contains("arn:aws:iam::111122223333:user/bucketdesk"),
        "{}",
        server.logs()
    );
}
