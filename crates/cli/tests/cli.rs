//! `bdk` end to end: the real binary against a real bucketdesk (Postgres,
//! the S3 server with signature checks), doing what the seed scripts did
//! with `aws s3 presign` and boto3, without AWS keys.

#![allow(clippy::unwrap_used)] // a failed unwrap in a test is a failed test

use bucketdesk_testkit::TestApp;
use std::process::{Output, Stdio};
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::process::Command;

struct Bdk {
    config: tempfile::TempDir,
}

impl Bdk {
    fn new() -> Bdk {
        Bdk {
            config: tempfile::tempdir().unwrap(),
        }
    }

    fn config_file(&self) -> std::path::PathBuf {
        self.config.path().join("bdk.json")
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_bdk"));
        command
            .args(args)
            .env("BDK_CONFIG", self.config_file())
            .env_remove("BDK_URL")
            .env_remove("BDK_TOKEN")
            .env_remove("BDK_PROFILE");
        command
    }

    /// Runs bdk (without blocking the test's runtime, which serves bucketdesk).
    async fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().await.unwrap()
    }

    /// Runs bdk with these AWS config files (instead of `~/.aws`).
    async fn run_with_aws_files(&self, args: &[&str], files: &std::path::Path) -> Output {
        self.command(args)
            .env("AWS_SHARED_CREDENTIALS_FILE", files.join("credentials"))
            .env("AWS_CONFIG_FILE", files.join("config"))
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_ACCESS_KEY_ID")
            .env_remove("AWS_SECRET_ACCESS_KEY")
            .env_remove("AWS_REGION")
            .output()
            .await
            .unwrap()
    }

    async fn run_with_stdin(&self, args: &[&str], stdin: &str) -> Output {
        let mut child = self
            .command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut input = child.stdin.take().unwrap();
        input.write_all(stdin.as_bytes()).await.unwrap();
        drop(input);
        child.wait_with_output().await.unwrap()
    }
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

/// A bucketdesk with Alice owning bucket "photos" (files in it), and Alice's
/// token saved by `bdk login` in a fresh config.
async fn signed_in(scopes: &[&str]) -> (TestApp, Bdk, bucketdesk_testkit::Browser) {
    let app = TestApp::spawn().await;
    app.s3.create_bucket("photos").unwrap();
    std::fs::create_dir_all(app.s3.root.join("photos/2026")).unwrap();
    std::fs::write(app.s3.root.join("photos/readme.txt"), b"hello").unwrap();
    std::fs::write(app.s3.root.join("photos/2026/a.jpg"), b"first").unwrap();
    std::fs::write(app.s3.root.join("photos/2026/b.jpg"), b"second").unwrap();
    let alice = app.sign_in_as("alice@example.com").await;
    let workspace = alice.create_workspace("Team").await;
    alice
        .connect_bucket(&workspace, &app.s3, "Photos", "photos")
        .await;
    let token = alice.make_access_token("laptop", scopes).await;
    let bdk = Bdk::new();
    let login = bdk
        .run_with_stdin(&["login", &app.url, "--token-stdin"], &format!("{token}\n"))
        .await;
    assert!(login.status.success(), "{}", stderr(&login));
    assert!(
        stderr(&login).contains("as alice@example.com"),
        "{}",
        stderr(&login)
    );
    (app, bdk, alice)
}

#[tokio::test]
async fn login_saves_a_private_profile_and_whoami_and_ls_use_it() {
    let (_app, bdk, _alice) = signed_in(&["read", "share"]).await;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(bdk.config_file())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(
            mode & 0o777,
            0o600,
            "the config holds a token: only its owner reads it"
        );
    }
    let whoami = bdk.run(&["whoami"]).await;
    assert!(whoami.status.success(), "{}", stderr(&whoami));
    assert!(
        stdout(&whoami).contains("alice@example.com"),
        "{}",
        stdout(&whoami)
    );
    assert!(stdout(&whoami).contains("read, share"));

    let buckets = bdk.run(&["ls"]).await;
    assert!(stdout(&buckets).contains("photos"), "{}", stdout(&buckets));
    let top = stdout(&bdk.run(&["ls", "s3://photos"]).await);
    assert!(top.contains("PRE 2026/"), "{top}");
    assert!(top.contains("5 readme.txt"), "{top}");
    let all = stdout(
        &bdk.run(&["ls", "photos/", "--recursive", "--output", "csv"])
            .await,
    );
    let lines: Vec<&str> = all.lines().collect();
    assert_eq!(lines[0], "key,size,last_modified");
    assert!(lines[1].starts_with("\"2026/a.jpg\",5,"), "{all}");
    assert!(lines[2].starts_with("\"2026/b.jpg\",6,"), "{all}");
    assert!(lines[3].starts_with("\"readme.txt\",5,"), "{all}");
    let json: serde_json::Value = serde_json::from_str(&stdout(
        &bdk.run(&["ls", "photos/2026/", "-o", "json"]).await,
    ))
    .unwrap();
    assert_eq!(json["files"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn presign_prints_the_url_alone_it_downloads_and_inspect_says_valid_then_expired() {
    let (_app, bdk, _alice) = signed_in(&["read", "share"]).await;
    let presigned = bdk
        .run(&["presign", "s3://photos/readme.txt", "--expires-in", "2"])
        .await;
    assert!(presigned.status.success(), "{}", stderr(&presigned));
    let out = stdout(&presigned);
    assert_eq!(
        out.lines().count(),
        1,
        "the URL alone, as aws s3 presign prints it: {out}"
    );
    let url = out.trim();
    assert!(url.contains("X-Amz-Expires=2"), "{url}");
    let fetched = reqwest::get(url).await.unwrap();
    assert_eq!(fetched.status(), 200);
    assert_eq!(fetched.text().await.unwrap(), "hello");

    let valid = bdk.run(&["inspect", url]).await;
    assert_eq!(valid.status.code(), Some(0), "{}", stderr(&valid));
    let text = stdout(&valid);
    assert!(text.starts_with("VALID"), "{text}");
    assert!(
        text.contains("bucket:    photos") && text.contains("key:       readme.txt"),
        "{text}"
    );

    tokio::time::sleep(Duration::from_secs(3)).await;
    let expired = bdk.run(&["inspect", url]).await;
    assert_eq!(
        expired.status.code(),
        Some(5),
        "EXPIRED has its own exit code"
    );
    assert!(stdout(&expired).starts_with("EXPIRED"));
    assert_eq!(
        reqwest::get(url).await.unwrap().status(),
        403,
        "the bucket refuses it too"
    );

    let not_a_link = bdk.run(&["inspect", "https://example.com/file.txt"]).await;
    assert_eq!(not_a_link.status.code(), Some(2));
    assert!(stderr(&not_a_link).contains("not a presigned S3 URL"));
}

#[tokio::test]
async fn a_prefix_presigns_to_csv_and_a_put_url_uploads() {
    let (app, bdk, _alice) = signed_in(&["read", "write", "share"]).await;
    let csv = bdk
        .run(&["presign", "--recursive", "s3://photos/2026/", "--csv"])
        .await;
    assert!(csv.status.success(), "{}", stderr(&csv));
    let csv = stdout(&csv);
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(rows[0], "key,url,expires_at");
    assert_eq!(rows.len(), 3, "{csv}");
    let url = rows[2].split(',').nth(1).unwrap().trim_matches('"');
    assert_eq!(
        reqwest::get(url).await.unwrap().text().await.unwrap(),
        "second"
    );

    let put = bdk
        .run(&["presign", "--put", "s3://photos/inbox/report.csv"])
        .await;
    assert!(put.status.success(), "{}", stderr(&put));
    let sent = reqwest::Client::new()
        .put(stdout(&put).trim())
        .body("a,b\n1,2\n")
        .send()
        .await
        .unwrap();
    assert_eq!(sent.status(), 200);
    assert_eq!(
        std::fs::read(app.s3.root.join("photos/inbox/report.csv")).unwrap(),
        b"a,b\n1,2\n"
    );
}

#[tokio::test]
async fn failures_say_what_is_wrong_and_exit_with_their_own_codes() {
    let (app, bdk, alice) = signed_in(&["read"]).await;
    let missing = bdk.run(&["presign", "s3://nope/a.txt"]).await;
    assert_eq!(missing.status.code(), Some(3), "{}", stderr(&missing));
    assert!(stderr(&missing).contains("no bucket called \"nope\""));

    let refused = bdk.run(&["presign", "s3://photos/readme.txt"]).await;
    assert_eq!(
        refused.status.code(),
        Some(4),
        "a read-only token: {}",
        stderr(&refused)
    );
    assert!(
        stderr(&refused).contains("\"share\" scope"),
        "{}",
        stderr(&refused)
    );

    let bad = bdk
        .run(&[
            "presign",
            "s3://photos/readme.txt",
            "--expires-in",
            "604801",
        ])
        .await;
    assert_eq!(bad.status.code(), Some(2), "a wrong input is a usage error");
    assert!(
        stderr(&bad).contains("from 1 second to 7 days"),
        "{}",
        stderr(&bad)
    );

    let no_profile = bdk.run(&["whoami", "--profile", "work"]).await;
    assert_eq!(no_profile.status.code(), Some(2));
    assert!(
        stderr(&no_profile).contains("bdk login"),
        "{}",
        stderr(&no_profile)
    );

    // revoked on the account page: the next command is refused
    let id: uuid::Uuid = sqlx::query_scalar("select id from access_tokens")
        .fetch_one(&app.db)
        .await
        .unwrap();
    alice.get("/account/tokens").await;
    alice
        .post(&format!("/account/tokens/{id}/revoke"), &[])
        .await;
    let after = bdk.run(&["whoami"]).await;
    assert_eq!(after.status.code(), Some(4));
    assert!(
        stderr(&after).contains("valid personal access token"),
        "{}",
        stderr(&after)
    );
}

#[tokio::test]
async fn mkdir_mv_and_rm_change_the_bucket_and_a_folder_is_deleted_only_when_asked_for() {
    let (app, bdk, _alice) = signed_in(&["read", "write"]).await;
    let root = app.s3.root.join("photos");
    let made = bdk.run(&["mkdir", "s3://photos/archive"]).await;
    assert!(made.status.success(), "{}", stderr(&made));
    assert!(stderr(&made).contains("Created the folder archive/"));
    // (the local S3 server keeps a folder marker as a directory)
    assert!(root.join("archive").is_dir());

    // a file into a folder keeps its name; a folder moves with everything in it
    let moved = bdk
        .run(&["mv", "s3://photos/readme.txt", "s3://photos/archive/"])
        .await;
    assert!(moved.status.success(), "{}", stderr(&moved));
    assert_eq!(
        std::fs::read(root.join("archive/readme.txt")).unwrap(),
        b"hello"
    );
    assert!(!root.join("readme.txt").exists());
    let moved = bdk
        .run(&["mv", "s3://photos/2026/", "s3://photos/archive/2026"])
        .await;
    assert!(stderr(&moved).contains("(2 objects)"), "{}", stderr(&moved));
    assert_eq!(
        std::fs::read(root.join("archive/2026/b.jpg")).unwrap(),
        b"second"
    );
    let clash = bdk
        .run(&[
            "mv",
            "s3://photos/archive/2026/a.jpg",
            "s3://photos/archive/2026/b.jpg",
        ])
        .await;
    assert_eq!(clash.status.code(), Some(1), "{}", stderr(&clash));
    assert!(
        stderr(&clash).contains("exists already"),
        "{}",
        stderr(&clash)
    );

    let one = bdk.run(&["rm", "s3://photos/archive/readme.txt"]).await;
    assert!(one.status.success(), "{}", stderr(&one));
    assert!(!root.join("archive/readme.txt").exists());
    let folder = bdk.run(&["rm", "s3://photos/archive/2026/"]).await;
    assert_eq!(folder.status.code(), Some(2));
    assert!(
        stderr(&folder).contains("--recursive"),
        "{}",
        stderr(&folder)
    );
    // no terminal to ask on: it says how much would go, and deletes nothing
    let unasked = bdk
        .run(&["rm", "--recursive", "s3://photos/archive/2026"])
        .await;
    assert_eq!(unasked.status.code(), Some(2));
    assert!(
        stderr(&unasked).contains("removes 2 object(s); add --yes"),
        "{}",
        stderr(&unasked)
    );
    assert!(root.join("archive/2026/a.jpg").exists());
    let gone = bdk
        .run(&["rm", "-r", "--yes", "s3://photos/archive/2026/"])
        .await;
    assert!(gone.status.success(), "{}", stderr(&gone));
    assert!(!root.join("archive/2026/a.jpg").exists());
    assert!(!root.join("archive/2026/b.jpg").exists());
    let audited: i64 = sqlx::query_scalar(
        "select count(*) from audit_events
         where action in ('folder_created', 'object_renamed', 'object_deleted') and details->>'token' = 'laptop'",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(audited, 1 + 2 + 2);
}

#[tokio::test]
async fn cp_copies_down_resumes_a_cut_off_download_and_copies_up_with_read_and_write_scopes_only() {
    let (app, bdk, _alice) = signed_in(&["read", "write"]).await;
    let big: Vec<u8> = (0..3 * 1024 * 1024 + 17).map(|i| (i % 251) as u8).collect();
    std::fs::write(app.s3.root.join("photos/2026/big.bin"), &big).unwrap();
    let here = tempfile::tempdir().unwrap();
    let into = format!("{}/", here.path().display());

    let down = bdk.run(&["cp", "s3://photos/2026/big.bin", &into]).await;
    assert!(down.status.success(), "{}", stderr(&down));
    assert_eq!(std::fs::read(here.path().join("big.bin")).unwrap(), big);
    assert!(!here.path().join("big.bin.part").exists());

    // a download cut off after 1 MiB resumes where it stopped
    let again = here.path().join("again.bin");
    std::fs::write(here.path().join("again.bin.part"), &big[..1024 * 1024]).unwrap();
    let resumed = bdk
        .run(&["cp", "s3://photos/2026/big.bin", again.to_str().unwrap()])
        .await;
    assert!(resumed.status.success(), "{}", stderr(&resumed));
    assert!(
        stderr(&resumed).contains("resumed at 1048576 bytes"),
        "{}",
        stderr(&resumed)
    );
    assert_eq!(std::fs::read(&again).unwrap(), big);

    let piped = bdk.run(&["cp", "s3://photos/readme.txt", "-"]).await;
    assert_eq!(piped.stdout, b"hello");

    // up, keeping the file's name in a folder, and again over it
    let local = here.path().join("report.csv");
    std::fs::write(&local, &big[..100_000]).unwrap();
    let up = bdk
        .run(&["cp", local.to_str().unwrap(), "s3://photos/inbox/"])
        .await;
    assert!(up.status.success(), "{}", stderr(&up));
    assert_eq!(
        std::fs::read(app.s3.root.join("photos/inbox/report.csv")).unwrap(),
        &big[..100_000]
    );
    std::fs::write(&local, &big).unwrap();
    let over = bdk
        .run(&[
            "cp",
            local.to_str().unwrap(),
            "s3://photos/inbox/report.csv",
        ])
        .await;
    assert!(over.status.success(), "{}", stderr(&over));
    assert_eq!(
        std::fs::read(app.s3.root.join("photos/inbox/report.csv")).unwrap(),
        big
    );
    let audited: i64 = sqlx::query_scalar(
        "select count(*) from audit_events where action = 'file_uploaded' and details->>'token' = 'laptop'",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(audited, 2, "each upload is audited with the token's name");

    // whole folders, down and up, keeping their tree
    let tree = here.path().join("tree");
    let down_all = bdk
        .run(&[
            "cp",
            "--recursive",
            "s3://photos/2026/",
            tree.to_str().unwrap(),
        ])
        .await;
    assert!(down_all.status.success(), "{}", stderr(&down_all));
    assert_eq!(std::fs::read(tree.join("a.jpg")).unwrap(), b"first");
    assert_eq!(std::fs::read(tree.join("b.jpg")).unwrap(), b"second");
    assert_eq!(std::fs::read(tree.join("big.bin")).unwrap(), big);
    std::fs::create_dir_all(tree.join("deeper/still")).unwrap();
    std::fs::write(tree.join("deeper/still/c.txt"), b"third").unwrap();
    let up_all = bdk
        .run(&["cp", "-r", tree.to_str().unwrap(), "s3://photos/backup"])
        .await;
    assert!(up_all.status.success(), "{}", stderr(&up_all));
    assert!(
        stderr(&up_all).contains("4 files uploaded"),
        "{}",
        stderr(&up_all)
    );
    assert_eq!(
        std::fs::read(app.s3.root.join("photos/backup/deeper/still/c.txt")).unwrap(),
        b"third"
    );
    assert_eq!(
        std::fs::read(app.s3.root.join("photos/backup/a.jpg")).unwrap(),
        b"first"
    );

    let missing = bdk.run(&["cp", "s3://photos/nothing.txt", &into]).await;
    assert_eq!(missing.status.code(), Some(3), "{}", stderr(&missing));
    assert!(stderr(&missing).contains("There is no file at s3://photos/nothing.txt"));
    let neither = bdk.run(&["cp", "a", "b"]).await;
    assert_eq!(neither.status.code(), Some(2));
}

#[tokio::test]
async fn cp_sends_a_large_file_in_chunks_and_a_second_run_resumes_an_interrupted_upload() {
    let (app, bdk, alice) = signed_in(&["read", "write"]).await;
    let mib = 1024 * 1024;
    let big: Vec<u8> = (0..20 * mib + 5).map(|i| ((i * 7) % 253) as u8).collect();
    let here = tempfile::tempdir().unwrap();
    let local = here.path().join("film.bin");
    std::fs::write(&local, &big).unwrap();
    // an earlier run sent chunk 2 of 3, then the laptop closed
    let modified = std::fs::metadata(&local)
        .unwrap()
        .modified()
        .unwrap()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let token = alice.make_access_token("earlier", &["write"]).await;
    let workspace: uuid::Uuid = sqlx::query_scalar("select id from workspaces")
        .fetch_one(&app.db)
        .await
        .unwrap();
    let bucket: uuid::Uuid = sqlx::query_scalar("select id from buckets")
        .fetch_one(&app.db)
        .await
        .unwrap();
    let uploads = format!(
        "{}/api/v1/workspaces/{workspace}/buckets/{bucket}/uploads",
        app.url
    );
    let http = reqwest::Client::new();
    let started: serde_json::Value = http
        .post(&uploads)
        .bearer_auth(&token)
        .json(&serde_json::json!({ "key": "big/film.bin", "size": big.len(), "last_modified": modified }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = started["id"].as_str().unwrap();
    let second = http
        .put(format!("{uploads}/{id}/chunks/2"))
        .bearer_auth(&token)
        .body(big[8 * mib..16 * mib].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(second.status(), 200);

    let up = bdk
        .run(&["cp", local.to_str().unwrap(), "s3://photos/big/"])
        .await;
    assert!(up.status.success(), "{}", stderr(&up));
    assert!(
        stderr(&up).contains("resuming, 1 of 3 chunks were sent before"),
        "{}",
        stderr(&up)
    );
    assert!(std::fs::read(app.s3.root.join("photos/big/film.bin")).unwrap() == big);
    let (all, unfinished): (i64, i64) = sqlx::query_as(
        "select count(*), count(*) filter (where completed_at is null) from resumable_uploads",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(
        (all, unfinished),
        (1, 0),
        "the upload was completed, not started anew"
    );
}

#[tokio::test]
async fn cp_sends_the_chunks_straight_to_the_bucket_when_it_has_direct_uploads_on() {
    let (app, bdk, alice) = signed_in(&["read", "write"]).await;
    let bucket: uuid::Uuid = sqlx::query_scalar("select id from buckets")
        .fetch_one(&app.db)
        .await
        .unwrap();
    let workspace: uuid::Uuid = sqlx::query_scalar("select id from workspaces")
        .fetch_one(&app.db)
        .await
        .unwrap();
    let settings = format!("/w/{workspace}/b/{bucket}/settings/direct-uploads");
    alice.get(&settings).await;
    assert_eq!(
        alice.post(&format!("{settings}/cors"), &[]).await.status,
        303
    );
    let on = alice.post(&settings, &[("direct_uploads", "on")]).await;
    assert_eq!(on.location(), Some(format!("{settings}?done=on").as_str()));

    let big: Vec<u8> = (0..20 * 1024 * 1024 + 5)
        .map(|i| ((i * 11) % 251) as u8)
        .collect();
    let here = tempfile::tempdir().unwrap();
    let local = here.path().join("film.bin");
    std::fs::write(&local, &big).unwrap();
    let before = app.s3.bytes_received_presigned();
    let up = bdk
        .run(&["cp", local.to_str().unwrap(), "s3://photos/direct/"])
        .await;
    assert!(up.status.success(), "{}", stderr(&up));
    assert!(std::fs::read(app.s3.root.join("photos/direct/film.bin")).unwrap() == big);
    assert_eq!(
        app.s3.bytes_received_presigned() - before,
        big.len() as u64,
        "every chunk went to a presigned part URL, none through bucketdesk"
    );
}

#[tokio::test]
async fn connect_uses_the_key_and_region_of_an_aws_profile_and_refuses_temporary_credentials() {
    let (app, bdk, _alice) = signed_in(&["read", "admin"]).await;
    app.s3.create_bucket("archive").unwrap();
    std::fs::write(app.s3.root.join("archive/old.txt"), b"old").unwrap();
    let aws = tempfile::tempdir().unwrap();
    std::fs::write(
        aws.path().join("credentials"),
        format!(
            "[work]\naws_access_key_id = {}\naws_secret_access_key = {}\n\n\
             [temporary]\naws_access_key_id = ASIATEMPORARY\naws_secret_access_key = secret\naws_session_token = a-session\n",
            bucketdesk_testkit::S3_ACCESS_KEY,
            bucketdesk_testkit::S3_SECRET_KEY
        ),
    )
    .unwrap();
    std::fs::write(
        aws.path().join("config"),
        "[profile work]\nregion = eu-west-3\n",
    )
    .unwrap();

    let endpoint = app.s3.endpoint();
    let connect = |profile: &'static str| {
        vec![
            "connect".to_owned(),
            "s3://archive".to_owned(),
            "--from-profile".to_owned(),
            profile.to_owned(),
            "--provider".to_owned(),
            "minio".to_owned(),
            "--endpoint".to_owned(),
            endpoint.clone(),
            "--name".to_owned(),
            "Archive".to_owned(),
        ]
    };
    let args = connect("temporary");
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let refused = bdk.run_with_aws_files(&args, aws.path()).await;
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
    assert!(
        stderr(&refused).contains("temporary credentials"),
        "{}",
        stderr(&refused)
    );
    let args = connect("nobody");
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let missing = bdk.run_with_aws_files(&args, aws.path()).await;
    assert_eq!(missing.status.code(), Some(2), "{}", stderr(&missing));
    assert!(stderr(&missing).contains("The AWS profile \"nobody\" gives no access key"));

    let args = connect("work");
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let connected = bdk.run_with_aws_files(&args, aws.path()).await;
    assert!(connected.status.success(), "{}", stderr(&connected));
    assert!(stdout(&connected).contains("Connected s3://archive as \"Archive\" in Team"));
    let (key_id, region): (String, String) =
        sqlx::query_as("select access_key_id, region from buckets where bucket_name = 'archive'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(key_id, bucketdesk_testkit::S3_ACCESS_KEY);
    assert_eq!(region, "eu-west-3", "the profile's region");
    let sealed: Vec<u8> = sqlx::query_scalar(
        "select s.ciphertext from bucket_secrets s join buckets b on b.id = s.bucket_id where b.bucket_name = 'archive'",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    let secret = bucketdesk_testkit::S3_SECRET_KEY.as_bytes();
    assert!(
        !sealed.windows(secret.len()).any(|w| w == secret),
        "the secret is stored sealed"
    );
    let listed = bdk.run(&["ls", "s3://archive/"]).await;
    assert!(stdout(&listed).contains("old.txt"), "{}", stderr(&listed));
}

#[tokio::test]
async fn share_makes_a_revocable_link_with_a_password_and_a_limit_that_links_ls_show_extend_and_revoke_manage()
 {
    let (app, bdk, _alice) = signed_in(&["read", "share"]).await;
    let made = bdk
        .run_with_stdin(
            &[
                "share",
                "s3://photos/readme.txt",
                "--expires",
                "2d",
                "--max-downloads",
                "1",
                "--password-stdin",
            ],
            "correct horse\n",
        )
        .await;
    assert!(made.status.success(), "{}", stderr(&made));
    let url = stdout(&made).trim().to_owned();
    assert!(url.starts_with(&format!("{}/s/", app.url)), "{url}");
    assert_eq!(
        stdout(&made).lines().count(),
        1,
        "the link alone, like presign"
    );
    let path = url.trim_start_matches(&app.url).to_owned();

    // a visitor needs the password, then gets the file once
    let visitor = app.browser();
    assert!(visitor.get(&path).await.body.contains("needs a password"));
    let unlocked = visitor
        .post(&format!("{path}/unlock"), &[("password", "correct horse")])
        .await;
    assert_eq!(unlocked.status, 303);
    let download = visitor.get(&format!("{path}/download")).await;
    let file = visitor.get_url(download.location().unwrap()).await;
    assert_eq!(file.body, "hello");
    assert_eq!(
        visitor.get(&format!("{path}/download")).await.status,
        410,
        "one download allowed"
    );

    // ls lists it, used up; show has its visits
    let listed = stdout(&bdk.run(&["links", "ls"]).await);
    let row = listed
        .lines()
        .find(|line| line.contains("readme.txt"))
        .unwrap_or_else(|| panic!("{listed}"));
    let id = row.split('\t').next().unwrap().to_owned();
    assert!(
        row.contains("used_up") && row.contains("1/1 downloads"),
        "{row}"
    );
    let shown = stdout(&bdk.run(&["links", "show", &id]).await);
    assert!(shown.contains("password: yes"), "{shown}");
    assert!(shown.contains("link_downloaded"), "{shown}");
    let json: serde_json::Value = serde_json::from_str(&stdout(
        &bdk.run(&["links", "show", &id, "-o", "json"]).await,
    ))
    .unwrap();
    assert_eq!(json["link"]["downloads"], 1);
    assert_eq!(json["link"]["max_downloads"], 1);

    // a folder link, extended, then revoked: it stops working at once
    let folder = bdk.run(&["share", "s3://photos/2026/"]).await;
    assert!(folder.status.success(), "{}", stderr(&folder));
    let folder_path = stdout(&folder)
        .trim()
        .trim_start_matches(&app.url)
        .to_owned();
    assert!(app.browser().get(&folder_path).await.body.contains("a.jpg"));
    let listed = stdout(&bdk.run(&["links", "ls", "-o", "json"]).await);
    let listed: serde_json::Value = serde_json::from_str(&listed).unwrap();
    let folder_id = listed["links"]
        .as_array()
        .unwrap()
        .iter()
        .find(|link| link["folder"] == "2026/")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let extended = bdk
        .run(&[
            "links",
            "extend",
            &folder_id,
            "--expires",
            "30d",
            "-o",
            "json",
        ])
        .await;
    assert!(extended.status.success(), "{}", stderr(&extended));
    let extended: serde_json::Value = serde_json::from_str(&stdout(&extended)).unwrap();
    let expires = time::OffsetDateTime::parse(
        extended["expires_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let days = (expires - time::OffsetDateTime::now_utc()).whole_hours();
    assert!((29 * 24..=30 * 24).contains(&days), "{days} hours left");
    let folder_url = stdout(&folder).trim().to_owned();
    let valid = bdk.run(&["inspect", &folder_url]).await;
    assert_eq!(valid.status.code(), Some(0), "{}", stderr(&valid));
    assert!(stdout(&valid).starts_with("VALID"), "{}", stdout(&valid));
    assert!(
        stdout(&valid).contains("the folder 2026/"),
        "{}",
        stdout(&valid)
    );
    let stranger = Bdk::new(); // no profile: only whether it works
    let seen = stranger.run(&["inspect", &folder_url]).await;
    assert!(stdout(&seen).starts_with("VALID"), "{}", stdout(&seen));
    let revoked = bdk.run(&["links", "revoke", &folder_id]).await;
    assert!(stdout(&revoked).contains("revoked"), "{}", stdout(&revoked));
    assert_eq!(app.browser().get(&folder_path).await.status, 410);
    let gone = bdk.run(&["inspect", &folder_url]).await;
    assert_eq!(gone.status.code(), Some(5), "{}", stdout(&gone));
    assert!(stdout(&gone).starts_with("REVOKED"), "{}", stdout(&gone));
    let used_up = bdk.run(&["inspect", &url]).await;
    assert!(
        stdout(&used_up).starts_with("USED UP"),
        "{}",
        stdout(&used_up)
    );
    let unknown_url = format!("{}/s/{}", app.url, "A".repeat(43));
    let unknown = bdk.run(&["inspect", &unknown_url]).await;
    assert_eq!(unknown.status.code(), Some(3), "{}", stdout(&unknown));
    let again = bdk
        .run(&["links", "extend", &folder_id, "--expires", "1d"])
        .await;
    assert_eq!(again.status.code(), Some(1), "{}", stderr(&again));
    assert!(
        stderr(&again).contains("revoked link stays revoked"),
        "{}",
        stderr(&again)
    );
    let unknown = bdk
        .run(&["links", "revoke", "00000000-0000-0000-0000-000000000000"])
        .await;
    assert_eq!(unknown.status.code(), Some(3), "{}", stderr(&unknown));

    // an upload link needs Editor rights and the token's scopes allow it
    let upload = bdk
        .run(&[
            "upload-link",
            "s3://photos/inbox/",
            "--max-files",
            "2",
            "--max-size",
            "1MB",
        ])
        .await;
    assert!(upload.status.success(), "{}", stderr(&upload));
    assert!(
        stdout(&upload)
            .trim()
            .starts_with(&format!("{}/u/", app.url)),
        "{}",
        stdout(&upload)
    );
    // a link that opens only from the office's network
    let office_only = bdk
        .run(&[
            "share",
            "s3://photos/readme.txt",
            "--from",
            "10.9.0.0/16",
            "--from",
            "2001:db8::1",
        ])
        .await;
    assert!(office_only.status.success(), "{}", stderr(&office_only));
    let address = stdout(&office_only).trim().to_owned();
    let path = &address[address.find("/s/").unwrap()..];
    assert_eq!(app.browser_from("10.9.3.4").get(path).await.status, 200);
    assert_eq!(app.browser_from("192.0.2.7").get(path).await.status, 403);
    // and one only for a named person
    let for_carol = bdk
        .run(&[
            "share",
            "s3://photos/readme.txt",
            "--for",
            "carol@example.com",
        ])
        .await;
    assert!(for_carol.status.success(), "{}", stderr(&for_carol));
    let address = stdout(&for_carol).trim().to_owned();
    let page = app
        .browser()
        .get(&address[address.find("/s/").unwrap()..])
        .await;
    assert!(
        page.body.contains("This link is for named people"),
        "{}",
        page.body
    );
    let bad = bdk
        .run(&["share", "s3://photos/readme.txt", "--expires", "3y"])
        .await;
    assert_eq!(bad.status.code(), Some(2), "{}", stderr(&bad));
}

#[tokio::test]
async fn a_token_without_the_share_scope_cannot_make_links() {
    let (_app, bdk, _alice) = signed_in(&["read"]).await;
    let refused = bdk.run(&["share", "s3://photos/readme.txt"]).await;
    assert_eq!(refused.status.code(), Some(4), "{}", stderr(&refused));
    assert!(stderr(&refused).contains("share"), "{}", stderr(&refused));
    let listed = bdk.run(&["links", "ls"]).await;
    assert_eq!(listed.status.code(), Some(4), "{}", stderr(&listed));
}

#[tokio::test]
async fn someone_with_only_a_folder_sees_and_changes_only_that_folder() {
    let (app, _alice_bdk, _alice) = signed_in(&["read"]).await;
    std::fs::create_dir_all(app.s3.root.join("photos/clients/acme")).unwrap();
    std::fs::create_dir_all(app.s3.root.join("photos/clients/acme-evil")).unwrap();
    std::fs::write(app.s3.root.join("photos/clients/acme/plan.txt"), b"plan").unwrap();
    std::fs::write(app.s3.root.join("photos/clients/acme-evil/x.txt"), b"x").unwrap();
    // Edith edits clients/acme/ and holds nothing else of the bucket
    app.create_user("edith@example.com").await;
    sqlx::query(
        "insert into workspace_members (workspace_id, user_id, role)
         select b.workspace_id, u.id, 'viewer' from buckets b, users u where u.email = 'edith@example.com'",
    )
    .execute(&app.db)
    .await
    .unwrap();
    sqlx::query(
        "insert into folder_grants (bucket_id, user_id, folder, role)
         select b.id, u.id, 'clients/acme/', 'editor' from buckets b, users u where u.email = 'edith@example.com'",
    )
    .execute(&app.db)
    .await
    .unwrap();
    let edith = app.sign_in_as("edith@example.com").await;
    let token = edith.make_access_token("laptop", &["read", "write"]).await;
    let bdk = Bdk::new();
    let login = bdk
        .run_with_stdin(&["login", &app.url, "--token-stdin"], &format!("{token}\n"))
        .await;
    assert!(login.status.success(), "{}", stderr(&login));

    let buckets = stdout(&bdk.run(&["ls"]).await);
    assert!(buckets.contains("editor in clients/acme/"), "{buckets}");
    // the top shows only the way to her folder, never another name
    let top = stdout(&bdk.run(&["ls", "s3://photos"]).await);
    assert!(top.contains("PRE clients/"), "{top}");
    assert!(
        !top.contains("readme.txt") && !top.contains("2026"),
        "{top}"
    );
    let clients = stdout(&bdk.run(&["ls", "s3://photos/clients/"]).await);
    assert!(
        clients.contains("acme/") && !clients.contains("acme-evil"),
        "{clients}"
    );
    let hers = stdout(&bdk.run(&["ls", "s3://photos/clients/acme/"]).await);
    assert!(hers.contains("plan.txt"), "{hers}");
    // up into her folder, and not beside it
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("notes.txt");
    std::fs::write(&file, b"notes").unwrap();
    let file = file.to_str().unwrap();
    let up = bdk.run(&["cp", file, "s3://photos/clients/acme/"]).await;
    assert!(up.status.success(), "{}", stderr(&up));
    assert!(app.s3.root.join("photos/clients/acme/notes.txt").exists());
    let beside = bdk
        .run(&["cp", file, "s3://photos/clients/acme-evil/"])
        .await;
    assert!(!beside.status.success());
    assert!(
        stderr(&beside).contains("limited to some of its folders"),
        "{}",
        stderr(&beside)
    );
    assert!(
        !app.s3
            .root
            .join("photos/clients/acme-evil/notes.txt")
            .exists()
    );
    let out = bdk
        .run(&[
            "mv",
            "s3://photos/clients/acme/plan.txt",
            "s3://photos/readme2.txt",
        ])
        .await;
    assert!(!out.status.success());
    assert!(app.s3.root.join("photos/clients/acme/plan.txt").exists());
}
