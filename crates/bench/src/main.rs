//! `bucketdesk-bench`: measures bucketdesk against doing the same work
//! directly on the same S3 server in the same run (DESIGN.md P1-P4), because
//! absolute times on a shared machine are noisy; ratios are what count.
//!
//! It starts a real stack: a fresh Postgres database, the signature-verifying
//! s3s-fs server with folders of 10,000 and 100,000 objects, and the release
//! `bucketdesk` binary next to this one. Then:
//! - P1: first page and a walk of every page of each folder, through the app
//!   and with a bare ListObjectsV2 loop; S3 LIST calls per page view;
//! - P2: share-link requests per second (p50, p99) with 1, 16 and 64
//!   clients, through the page and through the API with a token, and presigning in a loop with aws-sdk-s3;
//! - P3: a 1 GiB upload through the app and a direct multipart upload with
//!   the same part size, and the server's peak memory during it;
//! - P4: authenticated page views per second (the workspace page, and a
//!   bucket page listing a folder of 20 files);
//! - P8: presigned links for 1,000 keys: one `bdk presign --recursive`
//!   call (a token, no AWS keys) against 1,000 `aws s3 presign` processes
//!   (as shell loops do) and a boto3 loop in one Python process (`aws` and
//!   `python3` with boto3 from PATH, or AWS_CLI and PYTHON; skipped without).
//!
//! ```sh
//! cargo build --release -p bucketdesk -p bucketdesk-bench -p bucketdesk-cli
//! target/release/bucketdesk-bench   # options: --quick, --only p2,p8, --postgres-tls, --out FILE
//! ```

use anyhow::{Context, Result, bail};
use aws_sdk_s3::operation::list_objects_v2::builders::ListObjectsV2FluentBuilder;
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use bucketdesk_s3_local::LocalS3;
use bucketdesk_storage::{Connection, StorageOptions, s3_client};
use bucketdesk_testkit::{
    Browser, FIXTURE_KEY_PEM, MailSink, S3_ACCESS_KEY, S3_SECRET_KEY, code_in, empty_database,
};
use bytes::Bytes;
use serde_json::{Value, json};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const PART: usize = 8 * 1024 * 1024;

struct Options {
    /// The measures to take (`--only p2,p4`); all four by default.
    only: Vec<String>,
    /// The app reaches Postgres over TLS (`--postgres-tls`); plain TCP by
    /// default, as in docker-compose.yml.
    postgres_tls: bool,
    runs: usize,
    big_folder: usize,
    /// How many `aws s3 presign` processes P8 runs (the rest is projected).
    aws_cli_runs: usize,
    upload_bytes: u64,
    out: String,
}

impl Options {
    fn wants(&self, measure: &str) -> bool {
        self.only.iter().any(|m| m == measure)
    }
}

/// Median, fastest and slowest of some numbers.
fn spread(mut values: Vec<f64>) -> Value {
    values.sort_by(|a, b| a.total_cmp(b));
    let median = values[values.len() / 2];
    json!({ "median": round(median), "min": round(values[0]), "max": round(values[values.len() - 1]) })
}

fn round(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let quick = args.iter().any(|a| a == "--quick");
    let out = args
        .iter()
        .position(|a| a == "--out")
        .and_then(|i| args.get(i + 1).cloned())
        .unwrap_or_else(|| "target/bench/results.json".into());
    let only = args
        .iter()
        .position(|a| a == "--only")
        .and_then(|i| args.get(i + 1))
        .map(|list| list.split(',').map(|m| m.trim().to_lowercase()).collect())
        .unwrap_or_else(|| ["p1", "p2", "p3", "p4", "p8"].map(String::from).to_vec());
    let options = Options {
        only,
        postgres_tls: args.iter().any(|a| a == "--postgres-tls"),
        runs: if quick { 2 } else { 3 },
        big_folder: if quick { 20_000 } else { 100_000 },
        aws_cli_runs: if quick { 100 } else { 1000 },
        upload_bytes: if quick { 256 << 20 } else { 1 << 30 },
        out,
    };
    let stack = Stack::start(&options).await?;
    let mut results = json!({
        "machine": machine(),
        "runs": options.runs,
        "postgres_tls": options.postgres_tls,
    });
    if options.wants("p1") {
        eprintln!("P1: listing...");
        results["p1_listing"] = p1_listing(&stack, &options).await?;
    }
    if options.wants("p2") {
        eprintln!("P2: share links...");
        results["p2_share_links"] = p2_share_links(&stack).await?;
    }
    if options.wants("p3") {
        eprintln!("P3: 1 GiB upload...");
        results["p3_upload"] = p3_upload(&stack, &options).await?;
    }
    if options.wants("p4") {
        eprintln!("P4: page views...");
        results["p4_page_views"] = p4_page_views(&stack).await?;
    }
    if options.wants("p8") {
        eprintln!("P8: presigning 1,000 keys...");
        results["p8_presign_1000"] = p8_presign_1000(&stack, &options).await?;
    }
    if let Some(dir) = std::path::Path::new(&options.out).parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&options.out, serde_json::to_string_pretty(&results)?)?;
    println!("{}", table(&results));
    eprintln!("written to {}", options.out);
    Ok(())
}

fn machine() -> Value {
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
struct Stack {
    server: Child,
    url: String,
    s3: LocalS3,
    direct: aws_sdk_s3::Client,
    browser: Browser,
    cookie: String,
    csrf: String,
    /// A personal access token with the share scope, for the API.
    token: String,
    workspace: String,
    bucket_path: String,
    _dirs: Vec<tempfile::TempDir>,
    /// Dropped after the server (the drop below kills it first).
    _database: bucketdesk_testkit::TestDatabase,
}

impl Drop for Stack {
    fn drop(&mut self) {
        let _ = self.server.kill();
        let _ = self.server.wait();
    }
}

impl Stack {
    async fn start(options: &Options) -> Result<Stack> {
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
                access_key_id: S3_ACCESS_KEY.into(),
                secret_access_key: S3_SECRET_KEY.to_owned().into(),
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
        let server = Command::new(&binary)
            .arg("serve")
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("DATABASE_URL", database.as_str())
            .env("BUCKETDESK_BIND", format!("127.0.0.1:{port}"))
            .env("BUCKETDESK_DATA_DIR", data.path())
            .env("BUCKETDESK_KEY_FILE", &key)
            .env("SMTP_URL", mail.url())
            .env("MAIL_FROM", "bench@example.com")
            .env("BUCKETDESK_SIGNUP", "open")
            .env("BUCKETDESK_ALLOW_PRIVATE_ENDPOINTS", "true")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .context("start bucketdesk")?;
        let started = Instant::now();
        while !reqwest::get(format!("{url}/readyz"))
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            if started.elapsed() > Duration::from_secs(60) {
                bail!("bucketdesk did not start within a minute");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }

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
        Ok(Stack {
            server,
            url,
            s3,
            direct,
            browser,
            cookie,
            csrf,
            token,
            workspace,
            bucket_path,
            _dirs: vec![s3_dir, data],
            _database: test_database,
        })
    }

    fn client(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .pool_max_idle_per_host(128)
            .build()
            .expect("HTTP client")
    }

    /// The server's resident memory now, in MiB.
    fn server_rss_mib(&self) -> f64 {
        rss_mib(self.server.id()).unwrap_or(0.0)
    }
}

/// A process's resident memory, in MiB.
fn rss_mib(pid: u32) -> Option<f64> {
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
fn next_link(body: &str) -> Option<String> {
    let end = body.find("\" rel=\"next\"")?;
    let start = body[..end].rfind("href=\"")? + 6;
    Some(body[start..end].replace("&#38;", "&").replace("&amp;", "&"))
}

async fn p1_listing(stack: &Stack, options: &Options) -> Result<Value> {
    let client = stack.client();
    let mut out = json!({});
    for (folder, count) in [("10k/", 10_000), ("100k/", options.big_folder)] {
        let (mut app_first, mut direct_first, mut app_walk, mut direct_walk) =
            (vec![], vec![], vec![], vec![]);
        let mut lists_per_view = 0.0;
        for run in 1..=options.runs {
            eprintln!("  {folder} run {run} of {}", options.runs);
            // s3s-fs reads the whole folder for every page it lists, so a
            // walk of 100,000 objects takes minutes: it is timed once
            let walk = run == 1 || count <= 10_000;
            // the first page, as someone opening the folder sees it (200 entries)
            let at = Instant::now();
            let page = client
                .get(format!("{}{}?path={folder}", stack.url, stack.bucket_path))
                .header("cookie", &stack.cookie)
                .send()
                .await?;
            if !page.status().is_success() {
                bail!("listing answered {}", page.status());
            }
            page.text().await?;
            app_first.push(ms(at.elapsed()));
            let at = Instant::now();
            list_page(&stack.direct, folder, 200).send().await?;
            direct_first.push(ms(at.elapsed()));

            if !walk {
                continue;
            }
            // every page, 1000 entries each
            let lists_before = stack.s3.request_count();
            let at = Instant::now();
            let mut next = Some(format!("{}?path={folder}&per_page=1000", stack.bucket_path));
            let mut views = 0;
            while let Some(path) = next {
                let body = client
                    .get(format!("{}{path}", stack.url))
                    .header("cookie", &stack.cookie)
                    .send()
                    .await?
                    .text()
                    .await?;
                views += 1;
                next = next_link(&body);
            }
            app_walk.push(ms(at.elapsed()));
            lists_per_view = (stack.s3.request_count() - lists_before) as f64 / views as f64;
            if views < count / 1000 {
                bail!("the walk saw {views} pages of {folder}");
            }
            let at = Instant::now();
            let mut token: Option<String> = None;
            loop {
                let page = list_page(&stack.direct, folder, 1000)
                    .set_continuation_token(token)
                    .send()
                    .await?;
                token = page.next_continuation_token().map(str::to_owned);
                if token.is_none() {
                    break;
                }
            }
            direct_walk.push(ms(at.elapsed()));
        }
        let ratio = |a: &[f64], b: &[f64]| median(a) / median(b);
        out[folder.trim_end_matches('/')] = json!({
            "objects": count,
            "first_page_ms": { "app": spread(app_first.clone()), "direct": spread(direct_first.clone()) },
            "first_page_ratio": round(ratio(&app_first, &direct_first)),
            "walk_runs": app_walk.len(),
            "walk_ms": { "app": spread(app_walk.clone()), "direct": spread(direct_walk.clone()) },
            "walk_ratio": round(ratio(&app_walk, &direct_walk)),
            "s3_list_calls_per_page_view": round(lists_per_view),
        });
    }
    Ok(out)
}

/// One page of a folder of the bench bucket, asked for directly the way
/// bucketdesk asks for it (`/` as the delimiter).
fn list_page(
    direct: &aws_sdk_s3::Client,
    folder: &str,
    max_keys: i32,
) -> ListObjectsV2FluentBuilder {
    direct
        .list_objects_v2()
        .bucket("bench")
        .prefix(folder)
        .delimiter("/")
        .max_keys(max_keys)
}

fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// CPU seconds used so far by the server, by every Postgres process, and by
/// this process (the load generator, and s3s-fs, which runs inside it).
#[derive(Clone, Copy)]
struct CpuTimes {
    app: f64,
    postgres: f64,
    bench: f64,
}

/// A process's name and user plus system CPU seconds, from `/proc/<pid>/stat`.
fn process_cpu(pid: &str) -> Option<(String, f64)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (open, close) = (stat.find('(')?, stat.rfind(')')?);
    let fields: Vec<&str> = stat.get(close + 2..)?.split_whitespace().collect();
    let ticks = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    // Linux counts in clock ticks of 1/100 s on every common platform
    Some((stat[open + 1..close].to_owned(), ticks / 100.0))
}

impl CpuTimes {
    fn now(server: u32) -> CpuTimes {
        let postgres = std::fs::read_dir("/proc")
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|entry| process_cpu(entry.file_name().to_str()?))
            .filter(|(name, _)| name == "postgres")
            .map(|(_, seconds)| seconds)
            .sum();
        CpuTimes {
            app: process_cpu(&server.to_string()).map_or(0.0, |(_, s)| s),
            postgres,
            bench: process_cpu("self").map_or(0.0, |(_, s)| s),
        }
    }
}

/// Requests per second, latency percentiles and CPU milliseconds per
/// request (server, Postgres, load generator) of `concurrency` clients each
/// sending `per_client` requests made by `send`.
async fn load<F, Fut>(
    stack: &Stack,
    concurrency: usize,
    per_client: usize,
    send: F,
) -> Result<Value>
where
    F: Fn() -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = Result<()>> + Send,
{
    let cpu_before = CpuTimes::now(stack.server.id());
    let started = Instant::now();
    let workers = (0..concurrency).map(|_| {
        let send = send.clone();
        tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(per_client);
            for _ in 0..per_client {
                let at = Instant::now();
                send().await?;
                latencies.push(ms(at.elapsed()));
            }
            Ok::<_, anyhow::Error>(latencies)
        })
    });
    let mut latencies = Vec::new();
    for worker in futures::future::join_all(workers).await {
        latencies.extend(worker??);
    }
    let elapsed = started.elapsed().as_secs_f64();
    let cpu = CpuTimes::now(stack.server.id());
    latencies.sort_by(|a, b| a.total_cmp(b));
    let pick = |q: f64| latencies[((latencies.len() as f64 - 1.0) * q) as usize];
    let per_request =
        |before: f64, after: f64| round((after - before) * 1000.0 / latencies.len() as f64);
    Ok(json!({
        "requests_per_second": round(latencies.len() as f64 / elapsed),
        "p50_ms": round(pick(0.5)),
        "p99_ms": round(pick(0.99)),
        "cpu_ms_per_request": {
            "app": per_request(cpu_before.app, cpu.app),
            "postgres": per_request(cpu_before.postgres, cpu.postgres),
            "load_generator": per_request(cpu_before.bench, cpu.bench),
        },
    }))
}

async fn p2_share_links(stack: &Stack) -> Result<Value> {
    let mut out = json!({});
    for concurrency in [1usize, 16, 64] {
        let per_client = (4000 / concurrency).max(50);
        let client = stack.client();
        let url = format!("{}{}/share", stack.url, stack.bucket_path);
        let (cookie, csrf) = (stack.cookie.clone(), stack.csrf.clone());
        let app = load(stack, concurrency, per_client, move || {
            let (client, url, cookie, csrf) =
                (client.clone(), url.clone(), cookie.clone(), csrf.clone());
            async move {
                let answer = client
                    .post(url)
                    .header("cookie", cookie)
                    .header("x-csrf-token", csrf)
                    .header("accept", "application/json")
                    .form(&[("key", "10k/object-000001.txt")])
                    .send()
                    .await?;
                if !answer.status().is_success() {
                    bail!("share link answered {}", answer.status());
                }
                answer.bytes().await?;
                Ok(())
            }
        })
        .await?;
        // the same link through the JSON API, with a bearer token
        let api_url = format!(
            "{}/api/v1{}/presign",
            stack.url,
            stack
                .bucket_path
                .replacen("/w/", "/workspaces/", 1)
                .replacen("/b/", "/buckets/", 1)
        );
        let (client, token) = (stack.client(), stack.token.clone());
        let api = load(stack, concurrency, per_client, move || {
            let (client, url, token) = (client.clone(), api_url.clone(), token.clone());
            async move {
                let answer = client
                    .post(url)
                    .bearer_auth(token)
                    .json(&json!({ "key": "10k/object-000001.txt" }))
                    .send()
                    .await?;
                if !answer.status().is_success() {
                    bail!("the API's presign answered {}", answer.status());
                }
                answer.bytes().await?;
                Ok(())
            }
        })
        .await?;
        let direct = stack.direct.clone();
        let presign = load(stack, concurrency, per_client, move || {
            let direct = direct.clone();
            async move {
                direct
                    .get_object()
                    .bucket("bench")
                    .key("10k/object-000001.txt")
                    .response_content_disposition("attachment; filename=\"object-000001.txt\"")
                    .presigned(PresigningConfig::expires_in(Duration::from_secs(900))?)
                    .await?;
                Ok(())
            }
        })
        .await?;
        out[format!("{concurrency}_clients")] =
            json!({ "app": app, "api": api, "direct_presign": presign });
    }
    Ok(out)
}

/// Runs `command` to the end; its wall time, and its standard output.
fn timed(command: &mut Command) -> Result<(f64, String)> {
    let started = Instant::now();
    let output = command.stderr(Stdio::inherit()).output()?;
    let took = ms(started.elapsed());
    if !output.status.success() {
        bail!("{command:?} failed: {}", output.status);
    }
    Ok((took, String::from_utf8_lossy(&output.stdout).into_owned()))
}

/// A program from the environment variable `var`, else `name` on PATH.
fn program(var: &str, name: &str) -> Option<String> {
    let wanted = std::env::var(var).unwrap_or_else(|_| name.to_owned());
    let found = Command::new(&wanted)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    found.then_some(wanted)
}

async fn p8_presign_1000(stack: &Stack, options: &Options) -> Result<Value> {
    let bdk = std::env::current_exe()?.with_file_name("bdk");
    if !bdk.exists() {
        bail!(
            "{} is missing: build it with `cargo build --release -p bucketdesk-cli`",
            bdk.display()
        );
    }
    let mut bdk_ms = Vec::new();
    for _ in 0..options.runs {
        let (took, csv) = timed(
            Command::new(&bdk)
                .args(["presign", "--recursive", "s3://bench/1k/", "--csv"])
                .env("BDK_URL", &stack.url)
                .env("BDK_TOKEN", &stack.token)
                .env("BDK_CONFIG", "/nonexistent/bdk.json"),
        )?;
        if csv.lines().count() != 1001 {
            bail!("bdk presigned {} keys, not 1000", csv.lines().count() - 1);
        }
        bdk_ms.push(took);
    }
    let mut out = json!({ "bdk_batch_ms": spread(bdk_ms) });
    let endpoint = stack.s3.endpoint();
    let keys = |cmd: &mut Command| {
        cmd.env("AWS_ACCESS_KEY_ID", S3_ACCESS_KEY)
            .env("AWS_SECRET_ACCESS_KEY", S3_SECRET_KEY)
            .env("AWS_DEFAULT_REGION", "us-east-1")
            .env("AWS_CONFIG_FILE", "/nonexistent")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent");
    };
    match program("AWS_CLI", "aws") {
        Some(aws) => {
            let started = Instant::now();
            for i in 0..options.aws_cli_runs {
                let mut cmd = Command::new(&aws);
                cmd.args(["s3", "presign"])
                    .arg(format!("s3://bench/1k/object-{i:06}.txt"))
                    .args(["--endpoint-url", &endpoint, "--expires-in", "900"]);
                keys(&mut cmd);
                timed(&mut cmd)?;
            }
            let per_key = ms(started.elapsed()) / options.aws_cli_runs as f64;
            out["aws_cli"] = json!({
                "processes_run": options.aws_cli_runs,
                "ms_per_key": round(per_key),
                "ms_for_1000": round(per_key * 1000.0),
            });
        }
        None => out["aws_cli"] = json!("skipped: no aws command (pip install awscli)"),
    }
    match program("PYTHON", "python3") {
        Some(python) => {
            let script = format!(
                "import boto3\n\
                 s3 = boto3.client('s3', endpoint_url='{endpoint}')\n\
                 for i in range(1000):\n\
                 \x20   print(s3.generate_presigned_url('get_object', Params={{'Bucket': 'bench', 'Key': '1k/object-%06d.txt' % i}}, ExpiresIn=900))\n"
            );
            let mut boto_ms = Vec::new();
            for _ in 0..options.runs {
                let mut cmd = Command::new(&python);
                cmd.args(["-c", &script]);
                keys(&mut cmd);
                match timed(&mut cmd) {
                    Ok((took, urls)) if urls.lines().count() == 1000 => boto_ms.push(took),
                    _ => break,
                }
            }
            out["boto3_loop_ms"] = if boto_ms.is_empty() {
                json!("skipped: no boto3 for that python (pip install boto3)")
            } else {
                spread(boto_ms)
            };
        }
        None => out["boto3_loop_ms"] = json!("skipped: no python3"),
    }
    Ok(out)
}

/// A body of `size` bytes, streamed in 1 MiB chunks.
fn body(size: u64) -> reqwest::Body {
    let chunk = Bytes::from(vec![7u8; 1 << 20]);
    let chunks = size / (1 << 20);
    let stream =
        futures::stream::iter((0..chunks).map(move |_| Ok::<_, std::io::Error>(chunk.clone())));
    reqwest::Body::wrap_stream(stream)
}

async fn p3_upload(stack: &Stack, options: &Options) -> Result<Value> {
    let size = options.upload_bytes;
    let runs = options.runs.min(3);
    let client = stack.client();
    let (mut app, mut direct, mut peak) = (vec![], vec![], vec![]);
    // before the first upload: the allocator keeps what a run used for the
    // next, so a baseline taken between runs would hide the rise
    let baseline = stack.server_rss_mib();
    for run in 0..runs {
        let sampling = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
        let pid = stack.server.id();
        let watcher = {
            let sampling = sampling.clone();
            tokio::spawn(async move {
                let mut highest: f64 = 0.0;
                while sampling.load(std::sync::atomic::Ordering::Relaxed) {
                    if let Some(mib) = rss_mib(pid) {
                        highest = highest.max(mib);
                    }
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                highest
            })
        };
        let at = Instant::now();
        let answer = client
            .post(format!(
                "{}{}/upload?key=big-{run}.bin",
                stack.url, stack.bucket_path
            ))
            .header("cookie", &stack.cookie)
            .header("x-csrf-token", &stack.csrf)
            .header("content-length", size)
            .body(body(size))
            .send()
            .await?;
        if answer.status().as_u16() != 201 {
            bail!(
                "upload answered {}: {}",
                answer.status(),
                answer.text().await?
            );
        }
        app.push(size as f64 / (1 << 20) as f64 / at.elapsed().as_secs_f64());
        sampling.store(false, std::sync::atomic::Ordering::Relaxed);
        peak.push(watcher.await? - baseline);

        // the same bytes, directly, in parts of the same size, two at a time as the app does
        let at = Instant::now();
        let key = format!("direct-{run}.bin");
        let upload = stack
            .direct
            .create_multipart_upload()
            .bucket("bench")
            .key(&key)
            .send()
            .await?;
        let id = upload.upload_id().context("an upload id")?.to_owned();
        let parts = size.div_ceil(PART as u64) as i32;
        let chunk = Bytes::from(vec![7u8; PART]);
        let mut completed = Vec::new();
        for pair in (1..=parts).collect::<Vec<_>>().chunks(2) {
            let sends = pair.iter().map(|&n| {
                let len = (size - (n as u64 - 1) * PART as u64).min(PART as u64) as usize;
                stack
                    .direct
                    .upload_part()
                    .bucket("bench")
                    .key(&key)
                    .upload_id(&id)
                    .part_number(n)
                    .body(ByteStream::from(chunk.slice(..len)))
                    .send()
            });
            for (n, sent) in pair.iter().zip(futures::future::join_all(sends).await) {
                let sent = sent?;
                completed.push(
                    CompletedPart::builder()
                        .part_number(*n)
                        .set_e_tag(sent.e_tag().map(str::to_owned))
                        .build(),
                );
            }
        }
        stack
            .direct
            .complete_multipart_upload()
            .bucket("bench")
            .key(&key)
            .upload_id(&id)
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .set_parts(Some(completed))
                    .build(),
            )
            .send()
            .await?;
        direct.push(size as f64 / (1 << 20) as f64 / at.elapsed().as_secs_f64());
        let _ = std::fs::remove_file(stack.s3.root.join("bench").join(format!("big-{run}.bin")));
        let _ = std::fs::remove_file(stack.s3.root.join("bench").join(&key));
    }
    Ok(json!({
        "size_mib": size >> 20,
        "throughput_mib_s": { "app": spread(app.clone()), "direct": spread(direct.clone()) },
        "throughput_ratio": round(median(&app) / median(&direct)),
        "server_memory_before_mib": round(baseline),
        "server_memory_rise_mib": spread(peak),
    }))
}

async fn p4_page_views(stack: &Stack) -> Result<Value> {
    let mut out = json!({});
    for (name, path) in [
        ("workspace_page", format!("/w/{}", stack.workspace)),
        // a folder of 20 files: the page, not the S3 server, is measured
        ("bucket_page", format!("{}?path=small/", stack.bucket_path)),
    ] {
        let client = stack.client();
        let url = format!("{}{path}", stack.url);
        let cookie = stack.cookie.clone();
        out[name] = load(stack, 16, 200, move || {
            let (client, url, cookie) = (client.clone(), url.clone(), cookie.clone());
            async move {
                let answer = client.get(url).header("cookie", cookie).send().await?;
                if !answer.status().is_success() {
                    bail!("page answered {}", answer.status());
                }
                answer.bytes().await?;
                Ok(())
            }
        })
        .await?;
    }
    // the S3 call behind each bucket page, made directly: on this machine
    // s3s-fs shares the two cores, so this bounds what the page can reach
    let direct = stack.direct.clone();
    out["bucket_page_direct_list"] = load(stack, 16, 200, move || {
        let direct = direct.clone();
        async move {
            list_page(&direct, "small/", 200).send().await?;
            Ok(())
        }
    })
    .await?;
    // keep the browser's session alive for the whole run
    stack.browser.get("/").await;
    Ok(out)
}

/// The results as a Markdown table: what was measured, then where the CPU went.
/// `a / b` to two decimals, or "?" when either is missing.
fn ratio(a: &Value, b: &Value) -> String {
    match (a.as_f64(), b.as_f64()) {
        (Some(a), Some(b)) if b > 0.0 && a / b < 0.01 => format!("{:.4}", a / b),
        (Some(a), Some(b)) if b > 0.0 => format!("{:.2}", a / b),
        _ => "?".into(),
    }
}

fn table(r: &Value) -> String {
    let m = &r["machine"];
    let mut t = format!(
        "Machine: {} ({} cores, {} GiB). Medians of {} runs; ratio = app / direct. \
         Postgres on the same machine, reached over {}.\n\n",
        m["cpu"].as_str().unwrap_or("?"),
        m["cores"],
        m["memory_gib"],
        r["runs"],
        if r["postgres_tls"] == json!(true) {
            "TLS"
        } else {
            "plain TCP"
        },
    );
    t.push_str("| Measure | bucketdesk | direct S3 | ratio | target |\n|---|---|---|---|---|\n");
    let mut cpu = String::new();
    let mut cpu_row = |label: String, p: &Value| {
        let c = &p["cpu_ms_per_request"];
        cpu.push_str(&format!(
            "| {label} | {} | {} | {} |\n",
            c["app"], c["postgres"], c["load_generator"]
        ));
    };
    for folder in ["10k", "100k"] {
        let p = &r["p1_listing"][folder];
        if p.is_null() {
            continue;
        }
        t.push_str(&format!(
            "| P1 first page, {} objects | {} ms | {} ms | {} | about 1 round trip |\n",
            p["objects"],
            p["first_page_ms"]["app"]["median"],
            p["first_page_ms"]["direct"]["median"],
            p["first_page_ratio"]
        ));
        t.push_str(&format!(
            "| P1 every page (1000 each), {} objects ({} runs) | {} ms | {} ms | {} | ≤ 1.2 |\n",
            p["objects"],
            p["walk_runs"],
            p["walk_ms"]["app"]["median"],
            p["walk_ms"]["direct"]["median"],
            p["walk_ratio"]
        ));
        t.push_str(&format!(
            "| P1 S3 LIST calls per page view, {} objects | {} | | | ≤ 1 |\n",
            p["objects"], p["s3_list_calls_per_page_view"]
        ));
    }
    for c in ["1", "16", "64"] {
        let p = &r["p2_share_links"][format!("{c}_clients")];
        if p.is_null() {
            continue;
        }
        t.push_str(&format!(
            "| P2 share links/s, {c} clients (p50 / p99 ms) | {} ({} / {}) | {} presigns/s | | ≥ 3,000/s |\n",
            p["app"]["requests_per_second"], p["app"]["p50_ms"], p["app"]["p99_ms"], p["direct_presign"]["requests_per_second"]
        ));
        cpu_row(format!("P2 share link, {c} clients"), &p["app"]);
        t.push_str(&format!(
            "| P2 share links/s through the API, {c} clients (p50 / p99 ms) | {} ({} / {}) | {} presigns/s | | ≥ the page's rate |\n",
            p["api"]["requests_per_second"], p["api"]["p50_ms"], p["api"]["p99_ms"], p["direct_presign"]["requests_per_second"]
        ));
    }
    let p = &r["p3_upload"];
    if !p.is_null() {
        t.push_str(&format!(
            "| P3 upload of {} MiB, MiB/s | {} | {} | {} | ≥ 0.8 |\n",
            p["size_mib"],
            p["throughput_mib_s"]["app"]["median"],
            p["throughput_mib_s"]["direct"]["median"],
            p["throughput_ratio"]
        ));
        t.push_str(&format!(
            "| P3 server memory rise during it (highest of the runs, over {} MiB before) | {} MiB | | | ≤ 64 MiB |\n",
            p["server_memory_before_mib"],
            p["server_memory_rise_mib"]["max"]
        ));
    }
    let p4 = &r["p4_page_views"];
    for (name, label, direct) in [
        ("workspace_page", "workspace page", String::new()),
        (
            "bucket_page",
            "bucket page (20 files)",
            format!(
                "{} LISTs/s",
                p4["bucket_page_direct_list"]["requests_per_second"]
            ),
        ),
    ] {
        let p = &p4[name];
        if p.is_null() {
            continue;
        }
        t.push_str(&format!(
            "| P4 {label} views/s, 16 clients (p50 / p99 ms) | {} ({} / {}) | {direct} | | ≥ 2,000/s |\n",
            p["requests_per_second"], p["p50_ms"], p["p99_ms"]
        ));
        cpu_row(format!("P4 {label}"), p);
    }
    let p8 = &r["p8_presign_1000"];
    if !p8.is_null() {
        t.push_str(&format!(
            "| P8 presigned links for 1,000 keys: `bdk presign --recursive` vs 1,000 × `aws s3 presign` | {} ms | {} ms | {} | faster |\n",
            p8["bdk_batch_ms"]["median"],
            p8["aws_cli"]["ms_for_1000"],
            ratio(&p8["bdk_batch_ms"]["median"], &p8["aws_cli"]["ms_for_1000"])
        ));
        t.push_str(&format!(
            "| P8 the same vs a boto3 loop (one Python process) | {} ms | {} ms | {} | |\n",
            p8["bdk_batch_ms"]["median"],
            p8["boto3_loop_ms"]["median"],
            ratio(
                &p8["bdk_batch_ms"]["median"],
                &p8["boto3_loop_ms"]["median"]
            )
        ));
    }
    if !cpu.is_empty() {
        t.push_str(
            "\nCPU milliseconds per request, all on the same two cores:\n\n\
             | Request | bucketdesk | Postgres | load generator and s3s-fs |\n|---|---|---|---|\n",
        );
        t.push_str(&cpu);
    }
    t
}
