//! Uploads a chunk at a time (through the API, as the CLI sends them; the
//! page's script uses the same core through `/w/…/uploads`): chunks in any
//! order, again after a lost answer, resumed by the same file, checked as
//! they land, completed once all arrived, only by the person who started
//! them, discarded on cancel and aborted once abandoned.

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
        count(&app, "select count(*) from resumable_uploads").await,
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
