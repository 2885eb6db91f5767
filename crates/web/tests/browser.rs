//! The file browser in a real browser (headless Chromium through
//! playwright-core; `tests/browser/files.mjs` holds the steps). An Editor
//! opens a folder, drops a file on it, downloads it and deletes it; a Viewer
//! sees the same listing without the editing controls.
//!
//! Needs Chromium (`/usr/bin/chromium` or `CHROMIUM`) and
//! `npm ci --prefix tests/browser`; `scripts/test` and `.ci/run` provide both.

#![allow(clippy::unwrap_used)] // a failed unwrap in a test is a failed test

use bucketdesk_testkit::TestApp;
use std::path::PathBuf;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn session_cookie(browser: &bucketdesk_testkit::Browser) -> String {
    let header = browser.cookie_header().unwrap();
    header
        .split("; ")
        .find_map(|c| c.strip_prefix("bucketdesk_session="))
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn an_editor_uploads_downloads_and_deletes_in_chromium_and_a_viewer_only_looks() {
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let script = repo().join("tests/browser/files.mjs");
    assert!(
        std::path::Path::new(&chromium).exists(),
        "Chromium is missing at {chromium}: install Debian's `chromium` (scripts/test does) or set CHROMIUM"
    );
    assert!(
        repo()
            .join("tests/browser/node_modules/playwright-core")
            .exists(),
        "playwright-core is missing: run `npm ci --prefix tests/browser` (scripts/test does)"
    );

    let app = TestApp::spawn().await;
    app.s3.create_bucket("photos").unwrap();
    std::fs::create_dir_all(app.s3.root.join("photos/docs")).unwrap();
    std::fs::write(app.s3.root.join("photos/docs/readme.txt"), b"read me").unwrap();
    let alice = app.sign_in_as("alice@example.com").await;
    let workspace = alice.create_workspace("Team").await;
    let bucket_id = alice
        .connect_bucket(&workspace, &app.s3, "Photos", "photos")
        .await;
    let bucket = format!("/w/{workspace}/b/{bucket_id}");
    // Editor Edith and Viewer Victor
    for (email, role) in [
        ("edith@example.com", "editor"),
        ("victor@example.com", "viewer"),
    ] {
        app.create_user(email).await;
        sqlx::query(
            "insert into workspace_members (workspace_id, user_id, role)
             select b.workspace_id, u.id, 'viewer' from buckets b, users u where u.email = $1",
        )
        .bind(email)
        .execute(&app.db)
        .await
        .unwrap();
        sqlx::query("insert into bucket_members (bucket_id, user_id, role) select b.id, u.id, $2 from buckets b, users u where u.email = $1")
            .bind(email)
            .bind(role)
            .execute(&app.db)
            .await
            .unwrap();
    }
    let edith = app.sign_in_as("edith@example.com").await;
    let victor = app.sign_in_as("victor@example.com").await;

    let artifacts = repo().join("test-artifacts/browser/files");
    let config = serde_json::json!({
        "base": app.url,
        "bucket": bucket,
        "editor_cookie": session_cookie(&edith),
        "viewer_cookie": session_cookie(&victor),
        "chromium": chromium,
        "artifacts": artifacts,
    });
    let output = tokio::process::Command::new("node")
        .arg(&script)
        .env("BUCKETDESK_BROWSER_TEST", config.to_string())
        .output()
        .await
        .expect("node runs (install Node.js)");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the browser test failed:\n{stdout}\n{stderr}\nscreenshots: {}",
        artifacts.display()
    );
    assert!(stdout.contains("browser test passed"), "{stdout}");
    let uploaded: i64 = sqlx::query_scalar("select count(*) from audit_events where action in ('file_uploaded', 'object_deleted', 'download_link_issued')")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(
        uploaded, 3,
        "upload, download and delete went through the app"
    );
    assert_eq!(
        std::fs::read(app.s3.root.join("photos/docs/from-a-stranger.txt")).unwrap(),
        b"sent through a link",
        "the upload link put the file into the folder"
    );
    let links: Vec<String> = sqlx::query_scalar(
        "select action from audit_events where action in ('share_link_created', 'link_created', 'link_downloaded', 'link_revoked') order by id",
    )
    .fetch_all(&app.db)
    .await
    .unwrap();
    assert_eq!(
        links,
        [
            "share_link_created",
            "link_created",
            "link_downloaded",
            "link_revoked"
        ],
        "the share link, the revocable link, its download and its revocation are audited"
    );
}
