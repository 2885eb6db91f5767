//! `/metrics` on its own address, scraped before and after a known
//! sequence of requests: every count moves by exactly what was done.

use super::*;

/// The value of one sample (`name{labels}`, as written), 0 when absent.
fn sample(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .map_or(0.0, |value| value.trim().parse().unwrap())
}

async fn scrape(port: u16) -> String {
    let answer = reqwest::get(format!("http://127.0.0.1:{port}/metrics"))
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    assert!(
        answer.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/openmetrics-text"),
        "{:?}",
        answer.headers()
    );
    answer.text().await.unwrap()
}

/// How much each series moved between two scrapes.
struct Moves {
    before: String,
    after: String,
}

impl Moves {
    fn of(&self, series: &str) -> f64 {
        sample(&self.after, series) - sample(&self.before, series)
    }
}

#[tokio::test]
async fn a_known_sequence_of_requests_moves_each_count_by_exactly_what_was_done() {
    let dir = tempfile::tempdir().unwrap();
    let name = empty_database().await;
    let sink = MailSink::start().await;
    let (s3, _s3_dir) = local_s3().await;
    let metrics_port = free_port();
    let metrics_bind = format!("127.0.0.1:{metrics_port}");
    let server = Server::start(
        &dir,
        &[
            ("DATABASE_URL", &database_url(&name)),
            ("SMTP_URL", &sink.url()),
            ("MAIL_FROM", "files@example.com"),
            ("BUCKETDESK_SIGNUP", "open"),
            ("BUCKETDESK_ALLOW_PRIVATE_ENDPOINTS", "true"),
            ("BUCKETDESK_METRICS_BIND", &metrics_bind),
        ],
    );
    s3.create_bucket("photos").unwrap();
    let alice = signed_in(&server, &sink, "alice@example.com").await;
    let bucket = connect_bucket(&alice, &s3, "photos").await;
    alice.get(&bucket).await;
    let csrf = alice.csrf_token().await;
    let token = alice.make_access_token("metrics", &["share"]).await;
    let api_bucket = format!(
        "/api/v1/workspaces{}",
        &bucket["/w".len()..].replace("/b/", "/buckets/")
    );
    let before = scrape(metrics_port).await;

    // the public address does not serve them
    assert_eq!(alice.get("/metrics").await.status, 404);
    // probes
    for _ in 0..3 {
        assert_eq!(alice.get("/healthz").await.status, 200);
    }
    // one upload of 1,000 bytes through the server, and its preview
    let upload = alice
        .client
        .post(format!("{}{bucket}/upload?key=notes.pdf", server.url()))
        .header("x-csrf-token", &csrf)
        .header("content-type", "application/pdf")
        .body(vec![b'a'; 1000])
        .send()
        .await
        .unwrap();
    assert_eq!(upload.status(), 201);
    let preview = alice.get(&format!("{bucket}/preview?key=notes.pdf")).await;
    assert_eq!(preview.status, 200);
    assert_eq!(preview.body.len(), 1000);
    // a presigned URL by the API, and a revocable link visited twice, then revoked
    let presigned = reqwest::Client::new()
        .post(format!("{}{api_bucket}/presign", server.url()))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body(r#"{"key": "notes.pdf"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(
        presigned.status(),
        200,
        "{}",
        presigned.text().await.unwrap()
    );
    let (share, detail) = make_link(&alice, &bucket, &[("keys", "notes.pdf")]).await;
    let visitor = Browser::new(&server.url());
    for _ in 0..2 {
        let download = visitor.get(&format!("/s/{share}/download")).await;
        assert_eq!(download.status, 303);
    }
    let revoked = alice.post(&format!("{detail}/revoke"), &[]).await;
    assert!(revoked.status < 400, "revoking: {}", revoked.body);
    assert_eq!(
        visitor.get(&format!("/s/{share}/download")).await.status,
        410
    );
    // a wrong code, then a right one
    let bob = Browser::new(&server.url());
    assert_eq!(bob.request_code("bob@example.com").await.status, 303);
    let code = code_in(&sink.last_to("bob@example.com").await.text).unwrap();
    let wrong: String = code
        .chars()
        .map(|c| char::from(b'0' + (c as u8 - b'0' + 1) % 10))
        .collect();
    assert_eq!(
        bob.post("/login/code", &[("code", &wrong)]).await.status,
        422
    );
    assert_eq!(
        bob.post("/login/code", &[("code", &code)]).await.location(),
        Some("/")
    );

    let moves = Moves {
        before,
        after: scrape(metrics_port).await,
    };
    let requests = |route: &str, method: &str, status: u16| {
        moves.of(&format!(
            r#"bucketdesk_http_request_duration_seconds_count{{method="{method}",route="{route}",status="{status}"}}"#
        ))
    };
    assert_eq!(requests("/healthz", "GET", 200), 3.0);
    assert_eq!(requests("(no route)", "GET", 404), 1.0);
    assert_eq!(
        requests("/w/{workspace}/b/{bucket}/upload", "POST", 201),
        1.0
    );
    assert_eq!(requests("/s/{token}/download", "GET", 303), 2.0);
    assert_eq!(requests("/s/{token}/download", "GET", 410), 1.0);
    let s3 = |operation: &str| {
        moves.of(&format!(
            r#"bucketdesk_s3_call_duration_seconds_count{{operation="{operation}",outcome="ok"}}"#
        ))
    };
    assert_eq!(s3("PutObject"), 1.0, "the upload");
    assert_eq!(s3("GetObject"), 1.0, "the preview");
    assert_eq!(
        moves.of(r#"bucketdesk_s3_call_duration_seconds_count{operation="HeadObject",outcome="client_error"}"#),
        1.0,
        "the upload's look for a file of the same name: 404"
    );
    assert_eq!(
        moves.of(r#"bucketdesk_transferred_bytes_total{direction="upload"}"#),
        1000.0
    );
    assert_eq!(
        moves.of(r#"bucketdesk_transferred_bytes_total{direction="download"}"#),
        1000.0
    );
    assert_eq!(
        moves.of(r#"bucketdesk_links_issued_total{kind="presigned"}"#),
        1.0
    );
    assert_eq!(
        moves.of(r#"bucketdesk_links_issued_total{kind="download"}"#),
        1.0
    );
    assert_eq!(
        moves.of(r#"bucketdesk_link_visits_total{kind="download",outcome="served"}"#),
        2.0
    );
    assert_eq!(
        moves.of(r#"bucketdesk_link_visits_total{kind="download",outcome="refused"}"#),
        1.0
    );
    assert_eq!(
        moves.of(r#"bucketdesk_sign_ins_total{method="code",outcome="signed_in"}"#),
        1.0
    );
    assert_eq!(
        moves.of(r#"bucketdesk_sign_ins_total{method="code",outcome="refused"}"#),
        1.0
    );
    assert!(moves.of("bucketdesk_db_query_duration_seconds_count") > 10.0);
    assert_eq!(sample(&moves.after, "bucketdesk_db_connections_max"), 10.0);
    assert!(sample(&moves.after, r#"bucketdesk_db_connections{state="idle"}"#) >= 1.0);
    assert_eq!(sample(&moves.after, "bucketdesk_audit_queue_depth"), 0.0);
    assert!(moves.after.ends_with("# EOF\n"));
}
