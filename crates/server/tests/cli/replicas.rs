//! Two `bucketdesk serve` processes behind nginx (round robin) on one
//! database: nothing a person or a visitor does depends on which one
//! answers, and a rolling restart (SIGTERM one, start it again, then the
//! other) fails no request.

use super::*;
use bucketdesk_testkit::Nginx;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};

const MIB: usize = 1024 * 1024;

/// Two replicas, their proxy, and what they share.
struct Replicas {
    dir: tempfile::TempDir,
    key: std::path::PathBuf,
    envs: Vec<(String, String)>,
    ports: [u16; 2],
    servers: Vec<Server>,
    nginx: Nginx,
    s3: bucketdesk_s3_local::LocalS3,
    s3_dir: tempfile::TempDir,
    sink: MailSink,
    _database: bucketdesk_testkit::TestDatabase,
}

impl Replicas {
    async fn start() -> Replicas {
        let dir = tempfile::tempdir().unwrap();
        let key = std::path::PathBuf::from(fixture_key(&dir));
        let name = empty_database().await;
        let sink = MailSink::start().await;
        let (s3, s3_dir) = local_s3().await;
        s3.create_bucket("team").unwrap();
        let proxy_port = bucketdesk_testkit::free_port();
        let ports = [free_port(), free_port()];
        let envs: Vec<(String, String)> = [
            ("DATABASE_URL", database_url(&name)),
            ("SMTP_URL", sink.url()),
            ("MAIL_FROM", "files@example.com".into()),
            ("BUCKETDESK_SIGNUP", "open".into()),
            ("BUCKETDESK_ALLOW_PRIVATE_ENDPOINTS", "true".into()),
            (
                "BUCKETDESK_PUBLIC_URL",
                format!("http://127.0.0.1:{proxy_port}"),
            ),
            ("BUCKETDESK_TRUSTED_PROXIES", "127.0.0.1/32".into()),
            ("BUCKETDESK_UPLOAD_CHUNK_MB", "5".into()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        let mut replicas = Replicas {
            dir,
            key,
            envs,
            ports,
            servers: Vec::new(),
            nginx: Nginx::balancing(
                proxy_port,
                &[
                    &format!("127.0.0.1:{}", ports[0]),
                    &format!("127.0.0.1:{}", ports[1]),
                ],
                "100m",
            ),
            s3,
            s3_dir,
            sink,
            _database: name,
        };
        // the first applies the migrations; the second finds them applied
        for i in 0..2 {
            let server = replicas.start_one(i);
            replicas.servers.push(server);
        }
        replicas
    }

    fn start_one(&self, i: usize) -> Server {
        let envs: Vec<(&str, &str)> = self
            .envs
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        Server::start_at(self.ports[i], &self.dir, &self.key, &envs)
    }

    /// SIGTERM replica `i`, which must exit cleanly, then starts it again.
    fn restart(&mut self, i: usize) {
        self.servers[i].terminate();
        let code = self.servers[i].wait_for_exit();
        assert_eq!(code, 0, "replica {i}: {}", self.servers[i].logs());
        self.servers[i] = self.start_one(i);
    }

    fn url(&self) -> String {
        self.nginx.url()
    }

    /// A browser signed in through the proxy.
    async fn signed_in(&self, email: &str) -> Browser {
        let browser = Browser::new(&self.url());
        let asked = browser.request_code(email).await;
        assert_eq!(asked.status, 303, "{} {}", upstream(&asked), asked.body);
        let code = code_in(&self.sink.last_to(email).await.text).unwrap();
        let page = browser.post("/login/code", &[("code", &code)]).await;
        assert_eq!(page.location(), Some("/"), "signing in: {}", page.body);
        browser
    }
}

/// Which replica answered, as the proxy says.
fn upstream(page: &bucketdesk_testkit::Page) -> String {
    page.header("x-upstream").unwrap_or_default().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_share_sessions_limits_revocations_and_chunked_uploads() {
    let replicas = Replicas::start().await;
    let both: BTreeSet<String> = replicas
        .ports
        .iter()
        .map(|port| format!("127.0.0.1:{port}"))
        .collect();

    // signed in on one, the next request goes to the other and is signed in
    let alice = Browser::new(&replicas.url());
    assert_eq!(alice.request_code("alice@example.com").await.status, 303);
    let code = code_in(&replicas.sink.last_to("alice@example.com").await.text).unwrap();
    let signed_in = alice.post("/login/code", &[("code", &code)]).await;
    assert_eq!(signed_in.location(), Some("/"), "{}", signed_in.body);
    let home = alice.get("/").await;
    assert_eq!(home.status, 200, "{}", home.body);
    assert!(home.body.contains("alice@example.com"), "{}", home.body);
    assert_ne!(upstream(&signed_in), upstream(&home), "round robin");
    assert!(both.contains(&upstream(&home)), "{}", upstream(&home));
    let bucket = connect_bucket(&alice, &replicas.s3, "team").await;
    std::fs::write(replicas.s3_dir.path().join("team/notes.txt"), b"hello").unwrap();

    // a rate limit counts requests to both: 3 codes per address, not 3 per replica
    let asked = futures::future::join_all((0..6).map(|_| async {
        let browser = Browser::new(&replicas.url());
        let page = browser.request_code("carol@example.com").await;
        (page.status, upstream(&page))
    }))
    .await;
    let answered_by: BTreeSet<String> = asked.iter().map(|(_, u)| u.clone()).collect();
    assert_eq!(answered_by, both, "{asked:?}");
    let codes_sent = || {
        replicas
            .sink
            .all()
            .iter()
            .filter(|mail| mail.to.iter().any(|to| to == "carol@example.com"))
            .count()
    };
    // mails go out after the answers: wait for three, then a moment for a fourth
    let deadline = Instant::now() + Duration::from_secs(10);
    while codes_sent() < 3 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(codes_sent(), 3, "{asked:?}");

    // a link's download limit holds across both, under concurrent visits
    let (limited, _) = make_link(
        &alice,
        &bucket,
        &[("keys", "notes.txt"), ("max_downloads", "3")],
    )
    .await;
    let visits = futures::future::join_all((0..8).map(|_| async {
        let visitor = Browser::new(&replicas.url());
        let page = visitor.get(&format!("/s/{limited}/download")).await;
        (page.status, upstream(&page))
    }))
    .await;
    let mut statuses = BTreeMap::new();
    for (status, _) in &visits {
        *statuses.entry(*status).or_insert(0) += 1;
    }
    assert_eq!(statuses, BTreeMap::from([(303, 3), (410, 5)]), "{visits:?}");
    let answered_by: BTreeSet<String> = visits.iter().map(|(_, u)| u.clone()).collect();
    assert_eq!(answered_by, both, "{visits:?}");

    // a revoke on one is refused by the other at the next request
    let (revocable, detail) = make_link(&alice, &bucket, &[("keys", "notes.txt")]).await;
    let visitor = Browser::new(&replicas.url());
    assert_eq!(visitor.get(&format!("/s/{revocable}")).await.status, 200);
    let revoked = alice.post(&format!("{detail}/revoke"), &[]).await;
    assert_eq!(revoked.status, 303, "{}", revoked.body);
    let mut refused_by = BTreeSet::new();
    for _ in 0..2 {
        let page = visitor.get(&format!("/s/{revocable}")).await;
        assert_eq!(page.status, 410);
        refused_by.insert(upstream(&page));
    }
    assert_eq!(refused_by, both);

    // a chunked upload's chunks land on both and make one exact file
    let token = alice.make_access_token("cli", &["read", "write"]).await;
    let uploads = format!(
        "{}/api/v1/workspaces{}/uploads",
        replicas.url(),
        bucket["/w".len()..].replace("/b/", "/buckets/")
    );
    let size = 3 * 5 * MIB + 1000;
    let bytes: Vec<u8> = (0..size).map(|i| (i * 7 % 251) as u8).collect();
    let client = reqwest::Client::new();
    let started = client
        .post(&uploads)
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body(format!(
            r#"{{"key": "big.bin", "size": {size}, "last_modified": 1}}"#
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(started.status(), 200);
    let started: serde_json::Value = started.json().await.unwrap();
    let id = started["id"].as_str().unwrap().to_owned();
    let part_size = started["part_size"].as_u64().unwrap() as usize;
    assert_eq!(part_size, 5 * MIB);
    let mut chunks_by = BTreeSet::new();
    for (n, chunk) in bytes.chunks(part_size).enumerate() {
        let sent = client
            .put(format!("{uploads}/{id}/chunks/{}", n + 1))
            .bearer_auth(&token)
            .body(chunk.to_vec())
            .send()
            .await
            .unwrap();
        assert_eq!(sent.status(), 200, "chunk {}", n + 1);
        chunks_by.insert(sent.headers()["x-upstream"].to_str().unwrap().to_owned());
    }
    assert_eq!(chunks_by, both, "the chunks went to both replicas");
    let completed = client
        .post(format!("{uploads}/{id}/complete"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert!(
        completed.status().is_success(),
        "{}",
        completed.text().await.unwrap()
    );
    let stored = std::fs::read(replicas.s3_dir.path().join("team/big.bin")).unwrap();
    assert_eq!(Sha256::digest(&stored), Sha256::digest(&bytes));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rolling_restart_under_load_fails_no_request() {
    let mut replicas = Replicas::start().await;
    let alice = Arc::new(replicas.signed_in("alice@example.com").await);
    let bucket = connect_bucket(&alice, &replicas.s3, "team").await;
    std::fs::write(replicas.s3_dir.path().join("team/notes.txt"), b"hello").unwrap();
    let (share, _) = make_link(&alice, &bucket, &[("keys", "notes.txt")]).await;

    // share-link downloads and page views, four of each at a time, until told to stop
    let stop = Arc::new(AtomicBool::new(false));
    let failures = Arc::new(Mutex::new(Vec::<String>::new()));
    let answered = Arc::new(Mutex::new(BTreeMap::<String, usize>::new()));
    let load: Vec<_> = (0..8)
        .map(|n| {
            let (stop, failures, answered) = (stop.clone(), failures.clone(), answered.clone());
            let (alice, visitor) = (alice.clone(), Browser::new(&replicas.url()));
            let (path, expected) = if n % 2 == 0 {
                (format!("/s/{share}/download"), 303)
            } else {
                (bucket.clone(), 200)
            };
            tokio::spawn(async move {
                let browser = if n % 2 == 0 { &visitor } else { &*alice };
                while !stop.load(Ordering::Relaxed) {
                    let page = browser.get(&path).await;
                    if page.status == expected {
                        *answered.lock().unwrap().entry(upstream(&page)).or_insert(0) += 1;
                    } else {
                        let body: String = page.body.chars().take(300).collect();
                        failures.lock().unwrap().push(format!(
                            "{path}: {} from {}: {body}",
                            page.status,
                            upstream(&page)
                        ));
                    }
                }
            })
        })
        .collect();

    let counted = |answered: &Mutex<BTreeMap<String, usize>>| {
        answered.lock().unwrap().values().sum::<usize>()
    };
    tokio::time::sleep(Duration::from_secs(1)).await;
    let before = counted(&answered);
    // one replica at a time: stopped, started again, and once nginx sends
    // it requests again (it passed over it for a while), the other
    let serving = answered.clone();
    replicas = tokio::task::spawn_blocking(move || {
        for i in 0..2 {
            let address = format!("127.0.0.1:{}", replicas.ports[i]);
            let answers = || serving.lock().unwrap().get(&address).copied().unwrap_or(0);
            replicas.restart(i);
            let before = answers();
            let deadline = Instant::now() + Duration::from_secs(30);
            while answers() < before + 50 {
                assert!(
                    Instant::now() < deadline,
                    "nginx never came back to replica {i}"
                );
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        replicas
    })
    .await
    .unwrap();
    let during = counted(&answered) - before;
    stop.store(true, Ordering::Relaxed);
    for task in load {
        task.await.unwrap();
    }
    let failures = failures.lock().unwrap();
    assert!(
        failures.is_empty(),
        "{} failed: {:#?}\nnginx: {}",
        failures.len(),
        &failures[..failures.len().min(3)],
        replicas.nginx.error_log()
    );
    let answered = answered.lock().unwrap();
    println!("answered during the rolling restart: {during}; by replica: {answered:?}");
    assert!(during >= 100, "the load kept going: {during}");
    for port in replicas.ports {
        assert!(
            answered
                .get(&format!("127.0.0.1:{port}"))
                .is_some_and(|n| *n > 0),
            "{answered:?}"
        );
    }
    // nginx found each stopped replica refusing connections and passed the
    // requests on; no replica broke a connection it had accepted
    let errors = replicas.nginx.error_log();
    assert!(errors.contains("Connection refused"), "{errors}");
    for broken in ["reset by peer", "prematurely closed"] {
        assert!(!errors.contains(broken), "{errors}");
    }
    let log = replicas.nginx.access_log();
    assert!(
        !log.lines().any(|l| l.split(' ').nth(2) == Some("502")),
        "{log}"
    );
}
