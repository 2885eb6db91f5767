//! The stack a run measures: a fresh database, s3s-fs with its folders, the release server, and what the machine is.

use super::*;

pub(crate) fn machine() -> Value {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_owned())
        })
        .unwrap_or_default();
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let memory_gib = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .next()
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb / 1024 / 1024);
    json!({ "cpu": cpu, "cores": cores, "memory_gib": memory_gib })
}

/// Postgres, s3s-fs, the release server and a signed-in browser.
pub(crate) struct Stack {
    pub(crate) server: Child,
    /// How the server was started: the same again on another port is a replica.
    pub(crate) command: Command,
    pub(crate) url: String,
    pub(crate) s3: LocalS3,
    pub(crate) direct: aws_sdk_s3::Client,
    pub(crate) browser: Browser,
    pub(crate) cookie: String,
    /// The session of someone who holds only folders of the bucket
    /// (`10k/`, `100k/`, `small/`), invited to them as a Viewer.
    pub(crate) folder_cookie: String,
    pub(crate) csrf: String,
    /// A personal access token with the share scope, for the API.
    pub(crate) token: String,
    pub(crate) workspace: String,
    pub(crate) bucket_path: String,
    pub(crate) _dirs: Vec<tempfile::TempDir>,
    /// Dropped after the server (the drop below kills it first).
    pub(crate) _database: bucketdesk_testkit::TestDatabase,
}

impl Drop for Stack {
    fn drop(&mut self) {
        let _ = self.server.kill();
        let _ = self.server.wait();
    }
}

/// A server process that is killed when this is dropped, unless taken.
struct Stopped(Option<Child>);

impl Drop for Stopped {
    fn drop(&mut self) {
        if let Some(mut server) = self.0.take() {
            let _ = server.kill();
            let _ = server.wait();
        }
    }
}

impl Stack {
    pub(crate) async fn start(options: &Options) -> Result<Stack> {
        let binary = std::env::current_exe()?.with_file_name("bucketdesk");
        if !binary.exists() {
            bail!(
                "{} is missing: build it with `cargo build --release -p bucketdesk -p bucketdesk-bench`",
                binary.display()
            );
        }
        let s3_dir = tempfile::tempdir()?;
        let s3 = LocalS3::start(
            s3_dir.path(),
            "127.0.0.1:0".parse()?,
            S3_ACCESS_KEY,
            S3_SECRET_KEY,
        )
        .await
        .context("start s3s-fs")?;
        s3.create_bucket("bench")?;
        let big_folder = if options.wants("p1") {
            options.big_folder
        } else {
            0
        };
        eprintln!("writing 10,000 and {big_folder} objects...");
        let thousand = if options.wants("p8") { 1000 } else { 0 };
        for (folder, count) in [
            ("10k", 10_000),
            ("100k", big_folder),
            ("small", 20),
            ("1k", thousand),
        ] {
            let dir = s3.root.join("bench").join(folder);
            std::fs::create_dir_all(&dir)?;
            for i in 0..count {
                std::fs::write(dir.join(format!("object-{i:06}.txt")), b"x")?;
            }
        }
        let direct = s3_client(
            &Connection {
                bucket: "bench".into(),
                region: "us-east-1".into(),
                endpoint: Some(s3.endpoint()),
                path_style: true,
                signer: bucketdesk_storage::Signer::key(S3_ACCESS_KEY, S3_SECRET_KEY),
            },
            &StorageOptions {
                allow_private_endpoints: true,
                ..StorageOptions::default()
            },
        );

        let data = tempfile::tempdir()?;
        let key = data.path().join("instance-key.pem");
        std::fs::write(&key, FIXTURE_KEY_PEM)?;
        let mail = MailSink::start().await;
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let url = format!("http://127.0.0.1:{port}");
        let test_database = empty_database().await;
        let mut database = reqwest::Url::parse(&test_database.url())?;
        let pairs: Vec<(String, String)> = database
            .query_pairs()
            .filter(|(name, _)| name != "sslmode")
            .map(|(name, value)| (name.into_owned(), value.into_owned()))
            .collect();
        let sslmode = if options.postgres_tls {
            "require"
        } else {
            "disable"
        };
        database
            .query_pairs_mut()
            .clear()
            .extend_pairs(pairs)
            .append_pair("sslmode", sslmode);
        let mut command = Command::new(&binary);
        command
            .arg("serve")
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("DATABASE_URL", database.as_str())
            .env("BUCKETDESK_DATA_DIR", data.path())
            .env("BUCKETDESK_KEY_FILE", &key)
            .env("SMTP_URL", mail.url())
            .env("MAIL_FROM", "bench@example.com")
            .env("BUCKETDESK_SIGNUP", "open")
            .env("BUCKETDESK_ALLOW_PRIVATE_ENDPOINTS", "true")
            // nginx in front, for P13's replicas
            .env("BUCKETDESK_TRUSTED_PROXIES", "127.0.0.1/32")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        // stopped again if the rest of the start-up fails
        let mut server = Stopped(Some(start_replica(&mut command, port).await?));

        let browser = Browser::new(&url);
        browser.request_code("bench@example.com").await;
        let code = code_in(&mail.last_to("bench@example.com").await.text).context("a code")?;
        let signed_in = browser.post("/login/code", &[("code", &code)]).await;
        if signed_in.location() != Some("/") {
            bail!("sign-in failed: {}", signed_in.status);
        }
        let workspace = browser.create_workspace("Bench").await;
        let bucket = browser
            .connect_bucket(&workspace, &s3, "Bench", "bench")
            .await;
        let bucket_path = format!("/w/{workspace}/b/{bucket}");
        browser.get(&bucket_path).await;
        let csrf = browser.csrf_token().await;
        let cookie = browser.cookie_header().context("a session cookie")?;
        let token = browser.make_access_token("bench", &["read", "share"]).await;
        let folder_cookie = folder_person(&browser, &url, &mail, &workspace, &bucket).await?;
        browser.get(&bucket_path).await;
        Ok(Stack {
            server: server.0.take().context("the server")?,
            command,
            url,
            s3,
            direct,
            browser,
            cookie,
            folder_cookie,
            csrf,
            token,
            workspace,
            bucket_path,
            _dirs: vec![s3_dir, data],
            _database: test_database,
        })
    }

    pub(crate) fn client(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .pool_max_idle_per_host(128)
            .build()
            .expect("HTTP client")
    }

    /// The server's resident memory now, in MiB.
    pub(crate) fn server_rss_mib(&self) -> f64 {
        rss_mib(self.server.id()).unwrap_or(0.0)
    }
}

/// Starts `command` as a server on `port`, once it answers `/readyz`.
pub(crate) async fn start_replica(command: &mut Command, port: u16) -> Result<Child> {
    let server = command
        .env("BUCKETDESK_BIND", format!("127.0.0.1:{port}"))
        .spawn()
        .context("start bucketdesk")?;
    let mut server = Stopped(Some(server));
    let started = Instant::now();
    while !reqwest::get(format!("http://127.0.0.1:{port}/readyz"))
        .await
        .is_ok_and(|r| r.status().is_success())
    {
        if started.elapsed() > Duration::from_secs(60) {
            bail!("bucketdesk did not start within a minute");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    server.0.take().context("the server")
}

/// Invites folders@example.com to the bench bucket's folders `10k/`,
/// `100k/` and `small/` only (as a Viewer; the second and third invitation
/// add to a member's access), signs them in and accepts: their session.
async fn folder_person(
    owner: &Browser,
    url: &str,
    mail: &MailSink,
    workspace: &str,
    bucket: &str,
) -> Result<String> {
    let email = "folders@example.com";
    let person = Browser::new(url);
    let (role_field, folder_field) = (format!("role_{bucket}"), format!("folder_{bucket}"));
    for (i, folder) in ["10k/", "100k/", "small/"].into_iter().enumerate() {
        owner.get(&format!("/w/{workspace}/members")).await;
        let sent = owner
            .post(
                &format!("/w/{workspace}/invites"),
                &[
                    ("email", email),
                    (role_field.as_str(), "viewer"),
                    (folder_field.as_str(), folder),
                ],
            )
            .await;
        if sent.status != 303 {
            bail!("inviting to {folder} answered {}", sent.status);
        }
        if i > 0 {
            continue;
        }
        let invitation = mail.last_to(email).await.text;
        let start = invitation.find("/invites/").context("an invitation link")?;
        let link = invitation[start..]
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_owned();
        let mails = mail.count_to(email);
        person.request_code(email).await;
        let code = code_in(&mail.wait_for_nth(email, mails + 1).await.text).context("a code")?;
        person.post("/login/code", &[("code", &code)]).await;
        person.get(&link).await;
        let accepted = person.post(&format!("{link}/accept"), &[]).await;
        if accepted.status != 303 {
            bail!("accepting the invitation answered {}", accepted.status);
        }
    }
    person.get("/").await;
    person
        .cookie_header()
        .context("the folder person's session")
}

/// A process's resident memory, in MiB.
pub(crate) fn rss_mib(pid: u32) -> Option<f64> {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()?
        .lines()
        .find(|l| l.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse::<f64>()
        .ok()
        .map(|kb| kb / 1024.0)
}

/// The `rel="next"` link of a listing page, if any.
pub(crate) fn next_link(body: &str) -> Option<String> {
    let end = body.find("\" rel=\"next\"")?;
    let start = body[..end].rfind("href=\"")? + 6;
    Some(body[start..end].replace("&#38;", "&").replace("&amp;", "&"))
}
