//! Uploads a chunk at a time (through the API, as the CLI sends them; the
//! page's script uses the same core through `/w/…/uploads`): chunks in any
//! order, again after a lost answer, resumed by the same file, checked as
//! they land, completed once all arrived, only by the person who started
//! them, discarded on cancel and aborted once abandoned. In a bucket with
//! direct uploads on, the parts go straight to the bucket with presigned
//! part URLs, and the same completion makes the same file.

use crate::team::{Team, grant, team};
use bucketdesk_testkit::TestApp;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::time::Duration;

const MIB: usize = 1024 * 1024;
/// The test app's chunk size (the default).
const CHUNK: usize = 8 * MIB;

/// Bytes that differ all along, so a chunk in the wrong place shows.
fn file_bytes(len: usize) -> Vec<u8> {
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect()
}

struct Uploader {
    base: String,
    token: String,
    client: reqwest::Client,
}

impl Uploader {
    async fn of(app: &TestApp, t: &Team, browser: &bucketdesk_testkit::Browser) -> Uploader {
        Uploader {
            base: format!(
                "{}/api/v1/workspaces/{}/buckets/{}/uploads",
                app.url, t.workspace, t.photos
            ),
            token: browser.make_access_token("cli", &["read", "write"]).await,
            client: reqwest::Client::new(),
        }
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> (u16, Value) {
        let response = request.bearer_auth(&self.token).send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    async fn start(&self, key: &str, size: usize, last_modified: i64) -> (u16, Value) {
        let body = json!({ "key": key, "size": size, "last_modified": last_modified });
        self.send(self.client.post(&self.base).json(&body)).await
    }

    async fn chunk(&self, id: &str, number: usize, bytes: &[u8]) -> (u16, Value) {
        let url = format!("{}/{id}/chunks/{number}", self.base);
        self.send(self.client.put(url).body(bytes.to_vec())).await
    }

    async fn part_url(&self, id: &str, number: usize) -> (u16, Value) {
        let url = format!("{}/{id}/chunks/{number}/url", self.base);
        self.send(self.client.post(url)).await
    }

    async fn complete(&self, id: &str) -> (u16, Value) {
        let url = format!("{}/{id}/complete", self.base);
        self.send(self.client.post(url)).await
    }

    async fn unfinished(&self) -> Value {
        self.send(self.client.get(&self.base)).await.1
    }
}

fn chunk_of(bytes: &[u8], number: usize) -> &[u8] {
    let start = (number - 1) * CHUNK;
    &bytes[start..(start + CHUNK).min(bytes.len())]
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(&app.db).await.unwrap()
}

#[tokio::test]
async fn chunks_sent_in_any_order_and_one_twice_make_the_exact_file_with_one_audit_event() {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    let up = Uploader::of(&app, &t, &t.alice).await;
    let bytes = file_bytes(2 * CHUNK + 1000);
    let (status, started) = up
        .start("big/video.bin", bytes.len(), 1_700_000_000_000)
        .await;
    assert_eq!(status, 200, "{started}");
    assert_eq!(started["part_size"], CHUNK);
    assert_eq!(started["part_count"], 3);
    let id = started["id"].as_str().unwrap();
    for number in [3, 1, 2, 1] {
        let (status, state) = up.chunk(id, number, chunk_of(&bytes, number)).await;
        assert_eq!(status, 200, "chunk {number}: {state}");
    }
    let (status, done) = up.complete(id).await;
    assert_eq!(status, 201, "{done}");
    assert_eq!(done["size"], bytes.len());
    let stored = std::fs::read(app.s3.root.join("photos/big/video.bin")).unwrap();
    assert!(
        stored == bytes,
        "the stored file is the file, byte for byte"
    );
    assert_eq!(
        count(
            &app,
            "select count(*) from audit_events where action = 'file_uploaded'"
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &app,
            "select count(*) from resumable_uploads where completed_at is null"
        )
        .await,
        0
    );
    assert_eq!(
        count(&app, "select count(*) from resumable_upload_parts").await,
        0
    );
}

#[tokio::test]
async fn the_same_file_picked_again_resumes_with_the_chunks_that_landed() {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    let up = Uploader::of(&app, &t, &t.alice).await;
    let bytes = file_bytes(2 * CHUNK + 10);
    let (_, first) = up.start("resume.bin", bytes.len(), 42).await;
    let id = first["id"].as_str().unwrap();
    up.chunk(id, 2, chunk_of(&bytes, 2)).await;
    // a reload, another browser, another day: the same key, size and time
    let (status, again) = up.start("resume.bin", bytes.len(), 42).await;
    assert_eq!(status, 200);
    assert_eq!(again["id"], first["id"]);
    assert_eq!(again["landed"], json!([2]));
    assert_eq!(again["landed_bytes"], CHUNK);
    // the listing a page shows after a reload
    let listed = up.unfinished().await;
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["key"], "resume.bin");
    // a changed file (another last-modified time) is another upload
    let (_, changed) = up.start("resume.bin", bytes.len(), 43).await;
    assert_ne!(changed["id"], first["id"]);
    // the first finishes with the chunks it lacked
    for number in [1, 3] {
        assert_eq!(up.chunk(id, number, chunk_of(&bytes, number)).await.0, 200);
    }
    assert_eq!(up.complete(id).await.0, 201);
    assert!(std::fs::read(app.s3.root.join("photos/resume.bin")).unwrap() == bytes);
}

#[tokio::test]
async fn a_chunk_of_the_wrong_length_or_damaged_on_the_way_is_refused_and_not_counted() {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    let up = Uploader::of(&app, &t, &t.alice).await;
    let bytes = file_bytes(CHUNK + 5);
    let (_, started) = up.start("checked.bin", bytes.len(), 1).await;
    let id = started["id"].as_str().unwrap();
    let (status, refused) = up.chunk(id, 1, &bytes[..CHUNK - 1]).await;
    assert_eq!(status, 422);
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains(&format!("Chunk 1 of this upload is {CHUNK} bytes")),
        "{refused}"
    );
    assert_eq!(up.chunk(id, 3, b"x").await.0, 422, "there is no chunk 3");
    // the sender's SHA-256 is of other bytes: damaged on the way
    let wrong = hex::encode(Sha256::digest(b"something else"));
    let url = format!("{}/{id}/chunks/2", up.base);
    let (status, refused) = up
        .send(
            up.client
                .put(&url)
                .header("x-chunk-sha256", wrong)
                .body(bytes[CHUNK..].to_vec()),
        )
        .await;
    assert_eq!(status, 422);
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("arrived damaged"),
        "{refused}"
    );
    let (status, state) = up.start("checked.bin", bytes.len(), 1).await;
    assert_eq!(status, 200);
    assert_eq!(
        state["landed"],
        json!([]),
        "nothing refused counts as landed"
    );
    // a chunk that had landed and is sent again damaged no longer counts:
    // S3 replaced it as the new bytes arrived
    assert_eq!(up.chunk(id, 1, chunk_of(&bytes, 1)).await.0, 200);
    let first = format!("{}/{id}/chunks/1", up.base);
    let wrong = hex::encode(Sha256::digest(b"not these bytes"));
    let (status, _) = up
        .send(
            up.client
                .put(&first)
                .header("x-chunk-sha256", wrong)
                .body(chunk_of(&bytes, 1).to_vec()),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(
        up.start("checked.bin", bytes.len(), 1).await.1["landed"],
        json!([])
    );
    // completing before every chunk arrived says which are missing
    let right = hex::encode(Sha256::digest(&bytes[CHUNK..]));
    let (status, _) = up
        .send(
            up.client
                .put(&url)
                .header("x-chunk-sha256", right)
                .body(bytes[CHUNK..].to_vec()),
        )
        .await;
    assert_eq!(status, 200, "the same chunk with its own SHA-256");
    let (status, refused) = up.complete(id).await;
    assert_eq!(status, 422);
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("1 of 2 chunks have not arrived yet (chunk 1)"),
        "{refused}"
    );
    assert!(!app.s3.root.join("photos/checked.bin").exists());
}

#[tokio::test]
async fn only_the_person_who_started_an_upload_sees_it_or_sends_its_chunks() {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    grant(&app, &t, "edith@example.com", &t.photos, "editor").await;
    grant(&app, &t, "victor@example.com", &t.photos, "viewer").await;
    let edith = app.sign_in_as("edith@example.com").await;
    let victor = app.sign_in_as("victor@example.com").await;
    let alices = Uploader::of(&app, &t, &t.alice).await;
    let ediths = Uploader::of(&app, &t, &edith).await;
    let victors = Uploader::of(&app, &t, &victor).await;
    let bytes = file_bytes(CHUNK + 1);
    let (_, started) = alices.start("mine.bin", bytes.len(), 7).await;
    let id = started["id"].as_str().unwrap();
    assert_eq!(ediths.unfinished().await, json!([]));
    assert_eq!(ediths.chunk(id, 1, chunk_of(&bytes, 1)).await.0, 404);
    assert_eq!(ediths.complete(id).await.0, 404);
    let cancel = format!("{}/{id}", ediths.base);
    assert_eq!(ediths.send(ediths.client.delete(&cancel)).await.0, 404);
    // the same file started by Edith is her own upload
    let (_, hers) = ediths.start("mine.bin", bytes.len(), 7).await;
    assert_ne!(hers["id"], started["id"]);
    // a Viewer may not upload at all
    assert_eq!(victors.start("v.bin", bytes.len(), 7).await.0, 403);
    assert_eq!(victors.chunk(id, 1, chunk_of(&bytes, 1)).await.0, 403);
    assert_eq!(
        alices.unfinished().await.as_array().unwrap().len(),
        1,
        "Alice's is untouched"
    );
}

#[tokio::test]
async fn a_cancelled_upload_is_gone_and_a_name_that_is_taken_is_refused_at_the_start() {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    let up = Uploader::of(&app, &t, &t.alice).await;
    let bytes = file_bytes(CHUNK + 1);
    let (_, started) = up.start("gone.bin", bytes.len(), 1).await;
    let id = started["id"].as_str().unwrap();
    up.chunk(id, 1, chunk_of(&bytes, 1)).await;
    let url = format!("{}/{id}", up.base);
    assert_eq!(up.send(up.client.delete(&url)).await.0, 204);
    assert_eq!(up.unfinished().await, json!([]));
    let (status, refused) = up.chunk(id, 2, chunk_of(&bytes, 2)).await;
    assert_eq!(status, 404, "{refused}");
    std::fs::write(app.s3.root.join("photos/taken.bin"), b"old").unwrap();
    let (status, refused) = up.start("taken.bin", bytes.len(), 1).await;
    assert_eq!(status, 409, "{refused}");
    assert_eq!(refused["error"]["code"], "exists");
    let body = json!({ "key": "taken.bin", "size": bytes.len(), "overwrite": true });
    assert_eq!(up.send(up.client.post(&up.base).json(&body)).await.0, 200);
}

#[tokio::test]
async fn uploads_no_chunk_reached_for_the_configured_time_are_aborted() {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    let up = Uploader::of(&app, &t, &t.alice).await;
    let bytes = file_bytes(CHUNK + 1);
    let (_, old) = up.start("old.bin", bytes.len(), 1).await;
    up.chunk(old["id"].as_str().unwrap(), 1, chunk_of(&bytes, 1))
        .await;
    let (_, fresh) = up.start("fresh.bin", bytes.len(), 1).await;
    sqlx::query("update resumable_uploads set touched_at = now() - interval '25 hours' where key = 'old.bin'")
        .execute(&app.db)
        .await
        .unwrap();
    let aborted = bucketdesk_core::uploads::abort_abandoned(
        &app.db,
        &app.state.s3_clients,
        Duration::from_secs(24 * 60 * 60),
    )
    .await
    .unwrap();
    assert_eq!(aborted, 1);
    let left = up.unfinished().await;
    assert_eq!(left.as_array().unwrap().len(), 1);
    assert_eq!(left[0]["id"], fresh["id"]);
}

/// The bucket's settings through the API, as its Owner (scope `admin`).
struct DirectUploads {
    url: String,
    token: String,
    client: reqwest::Client,
}

impl DirectUploads {
    async fn of(app: &TestApp, t: &Team, bucket: &str) -> DirectUploads {
        DirectUploads {
            url: format!(
                "{}/api/v1/workspaces/{}/buckets/{bucket}/direct-uploads",
                app.url, t.workspace
            ),
            token: t.alice.make_access_token("settings", &["admin"]).await,
            client: reqwest::Client::new(),
        }
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> (u16, Value) {
        let response = request.bearer_auth(&self.token).send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn check(&self) -> (u16, Value) {
        self.send(self.client.get(&self.url)).await
    }

    async fn apply_rule(&self) -> (u16, Value) {
        self.send(self.client.post(format!("{}/cors", self.url)))
            .await
    }

    async fn turn(&self, on: bool) -> (u16, Value) {
        let body = json!({ "direct_uploads": on });
        self.send(self.client.put(&self.url).json(&body)).await
    }
}

fn intranet_rule() -> bucketdesk_s3_local::CorsRule {
    bucketdesk_s3_local::CorsRule {
        allowed_origins: vec!["https://intranet.example.com".into()],
        allowed_methods: vec!["GET".into()],
        allowed_headers: vec![],
        expose_headers: vec![],
        max_age_seconds: None,
    }
}

/// What the S3 service answers a browser on `origin` asking to `PUT` there.
async fn preflight(app: &TestApp, origin: &str) -> (u16, Option<String>) {
    let answer = reqwest::Client::new()
        .request(
            reqwest::Method::OPTIONS,
            format!("{}/photos/some-key", app.s3.endpoint()),
        )
        .header("origin", origin)
        .header("access-control-request-method", "PUT")
        .send()
        .await
        .unwrap();
    let allowed = answer
        .headers()
        .get("access-control-allow-origin")
        .map(|v| v.to_str().unwrap().to_owned());
    (answer.status().as_u16(), allowed)
}

#[tokio::test]
async fn an_owner_checks_the_cors_rules_adds_the_one_needed_beside_the_others_and_only_then_turns_direct_uploads_on()
 {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    app.s3
        .set_cors("photos", Some(vec![intranet_rule()]))
        .unwrap();
    let origin = app.url.clone();
    let settings = DirectUploads::of(&app, &t, &t.photos).await;

    let (status, check) = settings.check().await;
    assert_eq!(status, 200, "{check}");
    assert_eq!(check["direct_uploads"], false);
    assert_eq!(check["origin"], origin);
    assert_eq!(check["cors_allows"], false);
    assert_eq!(
        check["cors_rules"][0]["AllowedOrigins"],
        json!(["https://intranet.example.com"])
    );
    assert_eq!(
        check["proposed_rules"][1],
        json!({ "AllowedHeaders": ["*"], "AllowedMethods": ["PUT"], "AllowedOrigins": [origin],
                "MaxAgeSeconds": 3000 })
    );
    assert_eq!(
        preflight(&app, &origin).await.0,
        403,
        "the bucket refuses this origin"
    );

    // while the rules would block browsers, direct uploads stay off
    let (status, refused) = settings.turn(true).await;
    assert_eq!(status, 422, "{refused}");
    assert_eq!(refused["error"]["fields"][0]["code"], "cors_blocks");

    let (status, applied) = settings.apply_rule().await;
    assert_eq!(status, 200, "{applied}");
    assert_eq!(applied["cors_allows"], true);
    let stored = app.s3.cors("photos").unwrap();
    assert_eq!(stored.len(), 2);
    assert_eq!(
        stored[0],
        intranet_rule(),
        "the bucket's other rule is kept"
    );
    assert_eq!(stored[1].allowed_origins, vec![origin.clone()]);
    assert_eq!(
        preflight(&app, &origin).await,
        (200, Some(origin.clone())),
        "the bucket now lets browsers on bucketdesk's origin send parts"
    );
    assert_eq!(
        preflight(&app, "https://evil.example").await.0,
        403,
        "and no one else"
    );

    let (status, on) = settings.turn(true).await;
    assert_eq!(status, 200, "{on}");
    assert_eq!(on["direct_uploads"], true);
    // applying again changes nothing
    assert_eq!(settings.apply_rule().await.0, 200);
    assert_eq!(app.s3.cors("photos").unwrap().len(), 2);
    for (action, times) in [("bucket_cors_applied", 1), ("bucket_direct_uploads_set", 1)] {
        let sql = format!("select count(*) from audit_events where action = '{action}'");
        assert_eq!(count(&app, &sql).await, times, "{action}");
    }
    // the upload page lets its script reach the bucket, and only there
    let page = t.alice.get(&t.bucket_path(&t.photos)).await;
    let policy = page.header("content-security-policy").unwrap();
    assert!(
        policy.ends_with(&format!("; connect-src 'self' {}", app.s3.endpoint())),
        "{policy}"
    );
    let other = t.alice.get(&t.bucket_path(&t.reports)).await;
    assert!(
        !other
            .header("content-security-policy")
            .unwrap()
            .contains("connect-src")
    );
}

#[tokio::test]
async fn parts_sent_straight_to_the_bucket_and_one_through_bucketdesk_make_the_exact_file_with_one_audit_event()
 {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    let settings = DirectUploads::of(&app, &t, &t.photos).await;
    settings.apply_rule().await;
    assert_eq!(settings.turn(true).await.0, 200);
    let up = Uploader::of(&app, &t, &t.alice).await;
    let bytes = file_bytes(2 * CHUNK + 1000);
    let (status, started) = up.start("direct/video.bin", bytes.len(), 5).await;
    assert_eq!(status, 200, "{started}");
    assert_eq!(started["direct"], true);
    let id = started["id"].as_str().unwrap();

    let s3 = reqwest::Client::new();
    let (from_browsers, _) = app.s3.bytes_received();
    for number in [3, 1] {
        let (status, part) = up.part_url(id, number).await;
        assert_eq!(status, 200, "{part}");
        assert_eq!(part["length"], chunk_of(&bytes, number).len());
        assert_eq!(part["expires_in"], 900);
        let url = part["url"].as_str().unwrap();
        assert!(url.starts_with(&app.s3.endpoint()), "{url}");
        // the URL is for this one part: another part number breaks the signature
        let other = url.replace(&format!("partNumber={number}"), "partNumber=2");
        let sent = s3
            .put(&other)
            .body(chunk_of(&bytes, number).to_vec())
            .send()
            .await
            .unwrap();
        assert_eq!(sent.status().as_u16(), 403);
        let sent = s3
            .put(url)
            .header("origin", &app.url)
            .body(chunk_of(&bytes, number).to_vec())
            .send()
            .await
            .unwrap();
        assert_eq!(sent.status().as_u16(), 200);
    }
    let (from_browsers_after, _) = app.s3.bytes_received();
    assert_eq!(
        from_browsers_after - from_browsers,
        (CHUNK + 1000) as u64,
        "parts 1 and 3 reached the bucket from the browser"
    );
    // bucketdesk did not see them: it asks the bucket which parts landed
    let listed = up.unfinished().await;
    assert_eq!(listed[0]["landed"], json!([1, 3]));
    // a part the browser could not send directly may come through bucketdesk
    assert_eq!(up.chunk(id, 2, chunk_of(&bytes, 2)).await.0, 200);
    let (status, done) = up.complete(id).await;
    assert_eq!(status, 201, "{done}");
    let stored = std::fs::read(app.s3.root.join("photos/direct/video.bin")).unwrap();
    assert!(
        stored == bytes,
        "the stored file is the file, byte for byte"
    );
    assert_eq!(
        count(
            &app,
            "select count(*) from audit_events where action = 'file_uploaded'"
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &app,
            "select count(*) from resumable_uploads where completed_at is null"
        )
        .await,
        0
    );
}

#[tokio::test]
async fn a_part_url_takes_exactly_its_length_and_completing_waits_for_every_part() {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    let settings = DirectUploads::of(&app, &t, &t.photos).await;
    settings.apply_rule().await;
    settings.turn(true).await;
    let up = Uploader::of(&app, &t, &t.alice).await;
    let bytes = file_bytes(CHUNK + 10);
    let (_, started) = up.start("short.bin", bytes.len(), 5).await;
    let id = started["id"].as_str().unwrap();
    let (_, part) = up.part_url(id, 1).await;
    let s3 = reqwest::Client::new();
    for wrong in [&bytes[..CHUNK - 1], &bytes[..CHUNK + 1]] {
        let sent = s3
            .put(part["url"].as_str().unwrap())
            .body(wrong.to_vec())
            .send()
            .await
            .unwrap();
        assert_eq!(
            sent.status().as_u16(),
            403,
            "the length is signed: {} bytes are refused",
            wrong.len()
        );
    }
    assert_eq!(up.unfinished().await[0]["landed"], json!([]));
    let (status, refused) = up.complete(id).await;
    assert_eq!(status, 422, "{refused}");
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("2 of 2 chunks have not arrived"),
        "{refused}"
    );
}

#[tokio::test]
async fn part_urls_are_only_for_direct_uploads_and_only_for_the_person_who_started_them() {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    grant(&app, &t, "edith@example.com", &t.photos, "editor").await;
    grant(&app, &t, "victor@example.com", &t.photos, "viewer").await;
    let edith = app.sign_in_as("edith@example.com").await;
    let victor = app.sign_in_as("victor@example.com").await;
    let alices = Uploader::of(&app, &t, &t.alice).await;
    let bytes = file_bytes(CHUNK + 1);
    // an upload started before direct uploads were on goes through bucketdesk
    let (_, through) = alices.start("through.bin", bytes.len(), 1).await;
    assert_eq!(through["direct"], false);
    let (status, refused) = alices.part_url(through["id"].as_str().unwrap(), 1).await;
    assert_eq!(status, 422, "{refused}");
    assert_eq!(refused["error"]["fields"][0]["code"], "not_direct");

    let settings = DirectUploads::of(&app, &t, &t.photos).await;
    settings.apply_rule().await;
    settings.turn(true).await;
    let (_, direct) = alices.start("direct.bin", bytes.len(), 1).await;
    let id = direct["id"].as_str().unwrap();
    assert_eq!(alices.part_url(id, 0).await.0, 422, "there is no chunk 0");
    assert_eq!(alices.part_url(id, 3).await.0, 422, "nor chunk 3");
    assert_eq!(
        Uploader::of(&app, &t, &edith).await.part_url(id, 1).await.0,
        404
    );
    assert_eq!(
        Uploader::of(&app, &t, &victor)
            .await
            .part_url(id, 1)
            .await
            .0,
        403
    );
}

#[tokio::test]
async fn completing_again_after_a_lost_answer_answers_the_same_and_records_once() {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    let up = Uploader::of(&app, &t, &t.alice).await;
    let bytes = file_bytes(CHUNK + 3);
    let (_, started) = up.start("twice.bin", bytes.len(), 9).await;
    let id = started["id"].as_str().unwrap();
    for number in [1, 2] {
        up.chunk(id, number, chunk_of(&bytes, number)).await;
    }
    let (first_status, first) = up.complete(id).await;
    assert_eq!(first_status, 201, "{first}");
    // the answer was lost on the way: the script asks again
    let (again_status, again) = up.complete(id).await;
    assert_eq!((again_status, &again), (201, &first));
    assert_eq!(
        count(
            &app,
            "select count(*) from audit_events where action = 'file_uploaded'"
        )
        .await,
        1,
        "the file was recorded once"
    );
    // it is done: no more chunks, no longer listed as unfinished
    assert_eq!(up.chunk(id, 1, chunk_of(&bytes, 1)).await.0, 404);
    assert_eq!(up.unfinished().await, json!([]));
    assert_eq!(
        count(&app, "select count(*) from resumable_upload_parts").await,
        0,
        "its parts are forgotten"
    );
    // an hour later the clean-up forgets it too
    sqlx::query("update resumable_uploads set completed_at = now() - interval '61 minutes'")
        .execute(&app.db)
        .await
        .unwrap();
    let aborted = bucketdesk_core::uploads::abort_abandoned(
        &app.db,
        &app.state.s3_clients,
        Duration::from_secs(24 * 60 * 60),
    )
    .await
    .unwrap();
    assert_eq!(aborted, 0, "nothing to abort: it was completed");
    assert_eq!(
        count(&app, "select count(*) from resumable_uploads").await,
        0
    );
    assert_eq!(up.complete(id).await.0, 404);
}

#[tokio::test]
async fn a_deleted_accounts_unfinished_uploads_are_handed_to_the_clean_up_that_aborts_them() {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    grant(&app, &t, "edith@example.com", &t.photos, "editor").await;
    let edith = app.sign_in_as("edith@example.com").await;
    let ediths = Uploader::of(&app, &t, &edith).await;
    let bytes = file_bytes(CHUNK + 1);
    let (_, started) = ediths.start("left.bin", bytes.len(), 1).await;
    ediths
        .chunk(started["id"].as_str().unwrap(), 1, chunk_of(&bytes, 1))
        .await;
    let upload_id: String = sqlx::query_scalar("select s3_upload_id from resumable_uploads")
        .fetch_one(&app.db)
        .await
        .unwrap();
    sqlx::query("update users set is_admin = true where email = 'alice@example.com'")
        .execute(&app.db)
        .await
        .unwrap();
    let id = crate::team::user_id(&app, "edith@example.com").await;
    t.alice.get(&format!("/admin/users/{id}/delete")).await;
    let deleted = t
        .alice
        .post(
            &format!("/admin/users/{id}/delete"),
            &[("confirm", "edith@example.com")],
        )
        .await;
    assert_eq!(deleted.location(), Some("/admin/users?done=deleted"));
    assert_eq!(
        count(&app, "select count(*) from resumable_uploads").await,
        0
    );
    let journaled: Vec<String> = sqlx::query_scalar("select upload_id from multipart_uploads")
        .fetch_all(&app.db)
        .await
        .unwrap();
    assert_eq!(
        journaled,
        vec![upload_id],
        "the S3 upload is left for the clean-up to abort"
    );
}

/// Alice's bucket Photos with direct uploads on.
async fn direct_team(app: &TestApp) -> Team {
    let t = team(app).await;
    let settings = DirectUploads::of(app, &t, &t.photos).await;
    assert_eq!(settings.apply_rule().await.0, 200);
    assert_eq!(settings.turn(true).await.0, 200);
    t
}

#[tokio::test]
async fn a_direct_upload_that_keeps_getting_part_urls_is_not_taken_for_abandoned() {
    let app = TestApp::spawn().await;
    let t = direct_team(&app).await;
    let up = Uploader::of(&app, &t, &t.alice).await;
    let bytes = file_bytes(2 * CHUNK);
    let (_, started) = up.start("slow.bin", bytes.len(), 1).await;
    let id = started["id"].as_str().unwrap();
    sqlx::query("update resumable_uploads set touched_at = now() - interval '25 hours'")
        .execute(&app.db)
        .await
        .unwrap();
    // a day later the browser asks for the next part's URL: the upload is alive
    assert_eq!(up.part_url(id, 2).await.0, 200);
    let aborted = bucketdesk_core::uploads::abort_abandoned(
        &app.db,
        &app.state.s3_clients,
        Duration::from_secs(24 * 60 * 60),
    )
    .await
    .unwrap();
    assert_eq!(aborted, 0);
    assert_eq!(up.unfinished().await.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_direct_upload_the_storage_discarded_is_forgotten_and_the_same_file_starts_afresh() {
    let app = TestApp::spawn().await;
    let t = direct_team(&app).await;
    let up = Uploader::of(&app, &t, &t.alice).await;
    let bytes = file_bytes(CHUNK + 1);
    let (_, first) = up.start("discarded.bin", bytes.len(), 1).await;
    let (_, other) = up.start("kept.bin", bytes.len(), 1).await;
    let first_id = first["id"].as_str().unwrap();
    // a lifecycle rule aborts it in the bucket
    let s3_id: String =
        sqlx::query_scalar("select s3_upload_id from resumable_uploads where id = $1::uuid")
            .bind(first_id)
            .fetch_one(&app.db)
            .await
            .unwrap();
    std::fs::remove_file(app.s3.root.join(format!(".upload-{s3_id}.json"))).unwrap();
    // the list of unfinished uploads still loads, without it
    let listed = up.unfinished().await;
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
    assert_eq!(listed[0]["id"], other["id"]);
    // the same file picked again starts a new upload
    let (status, again) = up.start("discarded.bin", bytes.len(), 1).await;
    assert_eq!(status, 200, "{again}");
    assert_ne!(again["id"], first["id"]);
    assert_eq!(up.complete(first_id).await.0, 404);
}

#[tokio::test]
async fn turning_direct_uploads_off_sends_the_rest_of_an_upload_through_bucketdesk() {
    let app = TestApp::spawn().await;
    let t = direct_team(&app).await;
    let up = Uploader::of(&app, &t, &t.alice).await;
    let bytes = file_bytes(CHUNK + 1);
    let (_, started) = up.start("switch.bin", bytes.len(), 1).await;
    let id = started["id"].as_str().unwrap();
    let settings = DirectUploads::of(&app, &t, &t.photos).await;
    assert_eq!(settings.turn(false).await.0, 200);
    let (status, refused) = up.part_url(id, 1).await;
    assert_eq!(status, 422, "{refused}");
    assert_eq!(refused["error"]["fields"][0]["code"], "not_direct");
    for number in [1, 2] {
        assert_eq!(up.chunk(id, number, chunk_of(&bytes, number)).await.0, 200);
    }
    assert_eq!(up.complete(id).await.0, 201);
    assert!(std::fs::read(app.s3.root.join("photos/switch.bin")).unwrap() == bytes);
}

#[tokio::test]
async fn a_proxy_mode_bucket_cannot_have_direct_uploads() {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    let base = t.bucket_path(&t.photos);
    t.alice.get(&format!("{base}/settings")).await;
    let saved = t
        .alice
        .post(
            &format!("{base}/settings"),
            &[("display_name", "Photos"), ("proxy_downloads", "on")],
        )
        .await;
    assert_eq!(saved.status, 303);
    let settings = DirectUploads::of(&app, &t, &t.photos).await;
    assert_eq!(settings.apply_rule().await.0, 200);
    let (status, refused) = settings.turn(true).await;
    assert_eq!(status, 422, "{refused}");
    assert_eq!(refused["error"]["fields"][0]["code"], "proxy_mode");
}

#[tokio::test]
async fn the_same_file_started_many_times_at_once_is_one_upload() {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    let up = Uploader::of(&app, &t, &t.alice).await;
    let bytes = file_bytes(CHUNK + 1);
    let starts = (0..8).map(|_| up.start("twice-clicked.bin", bytes.len(), 77));
    let answers = futures::future::join_all(starts).await;
    let ids: std::collections::HashSet<String> = answers
        .iter()
        .map(|(status, upload)| {
            assert_eq!(*status, 200, "{upload}");
            upload["id"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(ids.len(), 1, "every start resumes the one upload: {ids:?}");
    assert_eq!(
        count(&app, "select count(*) from resumable_uploads").await,
        1
    );
    // the S3 uploads started alongside were aborted: one is left
    let in_s3 = std::fs::read_dir(&app.s3.root)
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with(".upload-"))
        .count();
    assert_eq!(in_s3, 1);
}
