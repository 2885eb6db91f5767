//! bucketdesk in a real browser (headless Chromium through playwright-core;
//! the steps are scripts in `tests/browser/`):
//! - `files.mjs`: an Editor opens a folder, drops a file on it, downloads and
//!   deletes it, makes an upload link; a Viewer sees the listing without the
//!   editing controls, copies a share link and makes a revocable one;
//! - `journey.mjs`: the whole product, from Alice's first sign-in to Bob's
//!   revoked access, with screenshots of every page;
//! - `screens.mjs`: every page on a phone and a wide screen, light and dark:
//!   nothing wider than the window, the action columns in view, screenshots;
//! - `keyboard.mjs`: sign-in to a copied share link with the keyboard alone;
//! - `transfers.mjs`: a 1 GiB upload through nginx with a 100 MB request
//!   limit, a cut connection and a reload, each resumed;
//! - `seek.mjs`: a recording in a proxy-mode bucket seeks through bucketdesk;
//! - `direct.mjs`: an Owner sets up direct uploads, and a file's parts go
//!   from the browser straight to the S3 port, none through bucketdesk;
//! - `sso.mjs`: single sign-on through a real OpenID Connect provider, and
//!   signing out of both;
//! - `second_factor.mjs`: an authenticator app added and asked for at
//!   sign-in, and a workspace rule leading a member to add one;
//! - `passkeys.mjs`: a passkey added with Chromium's virtual authenticator,
//!   signing in alone and as the second step; another origin's answer and a
//!   removed passkey refused.
//!
//! Needs Chromium (`/usr/bin/chromium` or `CHROMIUM`) and
//! `npm ci --prefix tests/browser`; `scripts/test` and `.ci/run` provide both.

#![allow(clippy::unwrap_used)] // a failed unwrap in a test is a failed test

use axum::Router;
use axum::extract::{Query, State};
use axum::routing::get;
use bucketdesk_testkit::{MailSink, TestApp};
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

/// Chromium's path, once it and playwright-core are known to be there.
fn chromium() -> String {
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
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
    chromium
}

/// Runs `tests/browser/<script>` with `config`; fails with its output unless
/// it prints `passed`.
async fn run_script(script: &str, config: serde_json::Value, artifacts: &std::path::Path) {
    let output = tokio::process::Command::new("node")
        .arg(repo().join("tests/browser").join(script))
        .env("BUCKETDESK_BROWSER_TEST", config.to_string())
        .output()
        .await
        .expect("node runs (install Node.js)");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() && stdout.contains("passed"),
        "{script} failed:\n{stdout}\n{stderr}\nscreenshots: {}",
        artifacts.display()
    );
}

#[derive(serde::Deserialize)]
struct MailQuery {
    to: String,
    subject: String,
    #[serde(default)]
    n: usize,
}

/// A little HTTP window on the SMTP sink for the browser script: how many
/// mails to someone have a subject, and the text of the nth (waiting for it).
async fn mail_window(sink: MailSink) -> String {
    let matching = |m: &bucketdesk_testkit::ReceivedMail, q: &MailQuery| {
        m.to.contains(&q.to) && m.subject.contains(&q.subject)
    };
    let router = Router::new()
        .route(
            "/count",
            get(
                move |State(sink): State<MailSink>, Query(q): Query<MailQuery>| async move {
                    sink.all()
                        .iter()
                        .filter(|m| matching(m, &q))
                        .count()
                        .to_string()
                },
            ),
        )
        .route(
            "/mail",
            get(
                move |State(sink): State<MailSink>, Query(q): Query<MailQuery>| async move {
                    sink.wait_for_nth_where(&q.to, q.n, |m| m.subject.contains(&q.subject))
                        .await
                        .text
                },
            ),
        )
        .with_state(sink);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    url
}

#[tokio::test]
async fn a_full_journey_from_first_sign_in_to_revoked_access_in_chromium() {
    let chromium = chromium();
    let app = TestApp::spawn().await;
    app.s3.create_bucket("journey").unwrap();
    app.create_user("alice@example.com").await;
    let upload = tempfile::tempdir().unwrap();
    let folder = upload.path().join("reports");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join("q3.csv"), "quarter,revenue\nQ3,1200\n").unwrap();
    std::fs::write(folder.join("q4.csv"), "quarter,revenue\nQ4,1500\n").unwrap();
    let artifacts = repo().join("test-artifacts/browser/journey");
    let config = serde_json::json!({
        "base": app.url,
        "mail": mail_window(app.mail.clone()).await,
        "s3": {
            "endpoint": app.s3.endpoint(),
            "bucket": "journey",
            "access_key": bucketdesk_testkit::S3_ACCESS_KEY,
            "secret_key": bucketdesk_testkit::S3_SECRET_KEY,
        },
        "folder": folder,
        "chromium": chromium,
        "artifacts": artifacts,
    });
    run_script("journey.mjs", config, &artifacts).await;

    assert_eq!(
        std::fs::read_to_string(app.s3.root.join("journey/reports/q4.csv")).unwrap(),
        "quarter,revenue\nQ4,1500\n",
        "the folder was uploaded whole"
    );
    let actions: Vec<String> = sqlx::query_scalar("select distinct action from audit_events")
        .fetch_all(&app.db)
        .await
        .unwrap();
    for step in [
        "sign_in",
        "workspace_created",
        "bucket_connected",
        "file_uploaded",
        "invite_sent",
        "invite_accepted",
        "share_link_created",
        "link_created",
        "link_downloaded",
        "member_removed",
        "link_revoked",
    ] {
        assert!(
            actions.iter().any(|a| a == step),
            "{step} is audited: {actions:?}"
        );
    }
}

#[tokio::test]
async fn an_editor_uploads_downloads_and_deletes_in_chromium_and_a_viewer_only_looks() {
    let chromium = chromium();

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
    run_script("files.mjs", config, &artifacts).await;
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

#[tokio::test]
async fn the_listing_selects_drags_onto_folders_shows_a_grid_and_sends_three_files_at_a_time_in_chromium()
 {
    let chromium = chromium();
    let app = TestApp::spawn().await;
    app.s3.create_bucket("photos").unwrap();
    let docs = app.s3.root.join("photos/docs");
    std::fs::create_dir_all(docs.join("archive")).unwrap();
    for name in ["a.txt", "b.txt", "c.txt", "archive/old.txt"] {
        std::fs::write(docs.join(name), name).unwrap();
    }
    // enough files in the folder that is renamed for its progress to show
    std::fs::create_dir_all(docs.join("archive/raw")).unwrap();
    for n in 0..400 {
        std::fs::write(docs.join(format!("archive/raw/{n:03}.dat")), n.to_string()).unwrap();
    }
    std::fs::write(
        docs.join("main.rs"),
        "// greet\nfn main() {\n    println!(\"hello\");\n}\n",
    )
    .unwrap();
    image::RgbImage::from_fn(1200, 900, |x, y| {
        image::Rgb([(x / 5) as u8, (y / 4) as u8, 120])
    })
    .save(docs.join("cat.jpg"))
    .unwrap();
    let alice = app.sign_in_as("alice@example.com").await;
    let workspace = alice.create_workspace("Team").await;
    let bucket_id = alice
        .connect_bucket(&workspace, &app.s3, "Photos", "photos")
        .await;
    let artifacts = repo().join("test-artifacts/browser/selection");
    let config = serde_json::json!({
        "base": app.url,
        "bucket": format!("/w/{workspace}/b/{bucket_id}"),
        "editor_cookie": session_cookie(&alice),
        "chromium": chromium,
        "artifacts": artifacts,
    });
    run_script("selection.mjs", config, &artifacts).await;
    assert_eq!(
        std::fs::read_to_string(docs.join("old-stuff/a.txt")).unwrap(),
        "a.txt",
        "dragged into archive/, which was then renamed"
    );
    assert!(docs.join("old-stuff/raw/399.dat").exists());
    for n in 1..=5 {
        assert!(
            docs.join(format!("batch-{n}.txt")).exists(),
            "batch-{n}.txt uploaded"
        );
    }
}

#[tokio::test]
async fn account_security_and_administration_pages_in_chromium_on_a_phone_and_a_desktop() {
    let chromium = chromium();
    let github = bucketdesk_testkit::FakeGithub::start().await;
    github.sign_in_as(bucketdesk_testkit::GithubPerson::verified(
        5,
        "alice-gh",
        "alice@home.example",
    ));
    let app = TestApp::builder().github(&github).spawn().await;
    app.s3.create_bucket("photos").unwrap();
    // Alice, an instance admin, owns "Team"; she is also signed in elsewhere
    let elsewhere = app.browser_from("198.51.100.23");
    app.create_user("alice@example.com").await;
    app.sign_in(&elsewhere, "alice@example.com").await;
    sqlx::query("update users set is_admin = true where email = 'alice@example.com'")
        .execute(&app.db)
        .await
        .unwrap();
    let workspace = elsewhere.create_workspace("Team").await;
    elsewhere
        .connect_bucket(&workspace, &app.s3, "Photos", "photos")
        .await;
    for email in ["bob@example.com", "carol@example.com"] {
        app.create_user(email).await;
    }
    let artifacts = repo().join("test-artifacts/browser/account");
    let config = serde_json::json!({
        "base": app.url,
        "mail": mail_window(app.mail.clone()).await,
        "workspace": workspace,
        "chromium": chromium,
        "artifacts": artifacts,
    });
    run_script("account.mjs", config, &artifacts).await;

    assert_eq!(
        elsewhere.get("/").await.location(),
        Some("/login"),
        "the session Alice ended is over"
    );
    let actions: Vec<String> = sqlx::query_scalar("select distinct action from audit_events")
        .fetch_all(&app.db)
        .await
        .unwrap();
    for step in [
        "session_ended",
        "identity_confirmed",
        "github_linked",
        "account_disabled",
        "account_deleted",
        "workspace_deleted",
    ] {
        assert!(actions.iter().any(|a| a == step), "{step}: {actions:?}");
    }
}

#[tokio::test]
async fn every_page_fits_a_phone_and_a_wide_screen_in_light_and_dark() {
    use bucketdesk_core::links::{DownloadLink, LinkLimits, UploadLink};
    use bucketdesk_core::{Actor, Origin, Via, access};
    use bucketdesk_domain::{BucketId, WorkspaceId};
    let chromium = chromium();
    // with an AWS identity, so the connect page offers IAM roles too
    let app = TestApp::builder().with_local_sts().spawn().await;
    app.s3.create_bucket("photos").unwrap();
    let acme = app.s3.root.join("photos/clients/acme");
    std::fs::create_dir_all(&acme).unwrap();
    std::fs::write(acme.join("READ ME.md"), "# Acme\n\nOur *shared* folder.\n").unwrap();
    let wide_row = (1..=12)
        .map(|n| format!("column {n}"))
        .collect::<Vec<_>>()
        .join(",");
    std::fs::write(
        acme.join("clients.csv"),
        format!("{wide_row}\n\"Acme, Inc.\",Lyon,3,4,5,6,7,8,9,10,11,12\n"),
    )
    .unwrap();
    std::fs::write(
        acme.join("quarterly-report-for-the-board-2026-final-version-2.pdf"),
        "%PDF",
    )
    .unwrap();
    image::RgbImage::from_fn(800, 600, |x, y| {
        image::Rgb([(x / 4) as u8, (y / 3) as u8, 150])
    })
    .save(acme.join("team-photo.jpg"))
    .unwrap();
    let alice = app.sign_in_as("alice@example.com").await;
    let workspace = alice.create_workspace("Team").await;
    let bucket = alice
        .connect_bucket(&workspace, &app.s3, "Photos", "photos")
        .await;
    // Bob, an Editor, for the Members page's Remove
    app.create_user("bob@example.com").await;
    sqlx::query(
        "insert into workspace_members (workspace_id, user_id, role)
         select b.workspace_id, u.id, 'viewer' from buckets b, users u where u.email = $1",
    )
    .bind("bob@example.com")
    .execute(&app.db)
    .await
    .unwrap();
    sqlx::query("insert into bucket_members (bucket_id, user_id, role) select b.id, u.id, 'editor' from buckets b, users u where u.email = $1")
        .bind("bob@example.com")
        .execute(&app.db)
        .await
        .unwrap();
    // Carol, a client's person with two folders, for the Members page's folder list
    app.create_user("carol@acme.example").await;
    sqlx::query(
        "insert into workspace_members (workspace_id, user_id, role)
         select b.workspace_id, u.id, 'viewer' from buckets b, users u where u.email = $1",
    )
    .bind("carol@acme.example")
    .execute(&app.db)
    .await
    .unwrap();
    sqlx::query(
        "insert into folder_grants (bucket_id, user_id, folder, role)
         select b.id, u.id, f.folder, f.role from buckets b, users u,
           (values ('clients/acme/', 'viewer'), ('clients/acme/uploads/', 'editor')) f (folder, role)
         where u.email = $1",
    )
    .bind("carol@acme.example")
    .execute(&app.db)
    .await
    .unwrap();
    // the Members page stays readable at 10 buckets and 30 people: nine
    // more buckets (never opened here) and 30 people with a role on one or
    // two of them, some with folders
    sqlx::query(
        "insert into buckets (workspace_id, display_name, bucket_name, region, endpoint_url, path_style, access_key_id, provider, created_by)
         select b.workspace_id, 'Client ' || n, 'client-' || n, b.region, b.endpoint_url, true, 'AKIAEXAMPLE', b.provider, b.created_by
         from buckets b, generate_series(1, 9) n",
    )
    .execute(&app.db)
    .await
    .unwrap();
    sqlx::query(
        "insert into bucket_members (bucket_id, user_id, role)
         select b.id, u.id, 'owner' from buckets b, users u
         where u.email = 'alice@example.com' and b.display_name like 'Client %'",
    )
    .execute(&app.db)
    .await
    .unwrap();
    for n in 1..=30 {
        app.create_user(&format!("person{n:02}@example.com")).await;
    }
    sqlx::query(
        "insert into workspace_members (workspace_id, user_id, role)
         select b.workspace_id, u.id, 'viewer' from buckets b, users u
         where b.display_name = 'Photos' and u.email like 'person%'",
    )
    .execute(&app.db)
    .await
    .unwrap();
    sqlx::query(
        "insert into bucket_members (bucket_id, user_id, role)
         select b.id, u.id, case when n % 3 = 0 then 'editor' else 'viewer' end
         from (select id, email, row_number() over (order by email) as n from users where email like 'person%') u
         join buckets b on b.display_name = 'Client ' || (1 + u.n % 9)",
    )
    .execute(&app.db)
    .await
    .unwrap();
    sqlx::query(
        "insert into folder_grants (bucket_id, user_id, folder, role)
         select b.id, u.id, 'deliveries/' || u.n || '/', 'editor'
         from (select id, row_number() over (order by email) as n from users where email like 'person%') u
         join buckets b on b.display_name = 'Client ' || (1 + (u.n + 4) % 9)
         where u.n % 2 = 0",
    )
    .execute(&app.db)
    .await
    .unwrap();
    // a folder link and an upload link, made as the pages make them
    let user = bucketdesk_db::users::find_by_email(
        &app.db,
        &bucketdesk_domain::Email::parse("alice@example.com").unwrap(),
    )
    .await
    .unwrap()
    .unwrap();
    let actor = Actor {
        user,
        via: Via::Session { strong: false },
    };
    let origin = Origin::new("127.0.0.1".parse().unwrap(), None);
    let (workspace_id, bucket_id) = (
        WorkspaceId(workspace.parse().unwrap()),
        BucketId(bucket.parse().unwrap()),
    );
    let grant = access::bucket(&app.db, &actor, workspace_id, bucket_id)
        .await
        .unwrap();
    let limits = LinkLimits {
        max_lifetime: std::time::Duration::from_secs(90 * 86_400),
        max_file_bytes: 1 << 30,
    };
    let tokens = &app.state.link_tokens;
    let folder_link = bucketdesk_core::links::create_download(
        &app.db,
        tokens,
        &grant.can().unwrap(),
        &actor,
        &origin,
        &limits,
        DownloadLink {
            folder: Some("clients/acme/".into()),
            ..DownloadLink::default()
        },
    )
    .await
    .unwrap();
    // a link for named people: its visitors first see the address step
    let named_link = bucketdesk_core::links::create_download(
        &app.db,
        tokens,
        &grant.can().unwrap(),
        &actor,
        &origin,
        &limits,
        DownloadLink {
            folder: Some("clients/acme/".into()),
            options: bucketdesk_core::links::LinkOptions {
                recipients: "carol@example.com".into(),
                ..Default::default()
            },
            ..DownloadLink::default()
        },
    )
    .await
    .unwrap();
    let upload_link = bucketdesk_core::links::create_upload(
        &app.db,
        tokens,
        &grant.can().unwrap(),
        &actor,
        &origin,
        &limits,
        UploadLink {
            folder: "clients/acme/".into(),
            ..UploadLink::default()
        },
    )
    .await
    .unwrap();

    let w = format!("/w/{workspace}");
    let b = format!("{w}/b/{bucket}");
    let folder = format!("{b}?path=clients%2Facme%2F");
    let object = format!("{b}/object?key=clients%2Facme%2FREAD%20ME.md");
    let page = |name: &str, path: &str, visible: &[&str]| serde_json::json!({ "name": name, "path": path, "visible": visible });
    let pages = [
        page("home", "/", &[]),
        page("workspace", &w, &["td[data-label='Your role']"]),
        page("bucket", &b, &["a.folder"]),
        page(
            "rename-folder",
            &format!("{b}/rename?key=clients%2Facme%2F"),
            &["#new_name"],
        ),
        page(
            "folder",
            &folder,
            &["[data-listing] .row-actions a:has-text('Download')"],
        ),
        page(
            "object",
            &object,
            &["a.button:has-text('Download')", ".markdown h1"],
        ),
        page(
            "csv",
            &format!("{b}/object?key=clients%2Facme%2Fclients.csv"),
            &[".csv-table th"],
        ),
        page(
            "members",
            &format!("{w}/members"),
            &["button:has-text('Remove')", ".folder-grants .folder-path"],
        ),
        page("audit", &format!("{w}/audit"), &["td[data-label='What']"]),
        page(
            "links",
            &format!("{w}/links"),
            &["td[data-label='Status']", "button:has-text('Revoke')"],
        ),
        page("link", &format!("{w}/links/{}", folder_link.id), &[]),
        page(
            "new-link",
            &format!("{b}/links/new?folder=clients%2Facme%2F"),
            &[],
        ),
        page("settings", &format!("{b}/settings"), &[]),
        page(
            "direct-uploads",
            &format!("{b}/settings/direct-uploads"),
            &["button:has-text('Save these rules to the bucket')"],
        ),
        page("connect", &format!("{w}/buckets/new"), &[]),
        page("tokens", "/account/tokens", &[]),
        page("api-docs", "/api/docs", &[]),
        page(
            "shared-folder",
            &format!("/s/{}", folder_link.token),
            &["a:has-text('Download')"],
        ),
        page("upload-link", &format!("/u/{}", upload_link.token), &[]),
        page("named-link", &format!("/s/{}", named_link.token), &[]),
        page(
            "new-upload-link",
            &format!("{b}/upload-links/new?path=clients%2Facme%2F"),
            &[],
        ),
        serde_json::json!({ "name": "sign-in", "path": "/login", "visible": [], "signed_out": true }),
        serde_json::json!({ "name": "not-found", "path": "/no-such-page", "visible": [], "signed_out": true }),
    ];
    let artifacts = repo().join("test-artifacts/browser/screens");
    let config = serde_json::json!({
        "base": app.url,
        "cookie": session_cookie(&alice),
        "pages": pages,
        "name_pages": [folder, object, format!("/s/{}", folder_link.token)],
        "object_page": object,
        "times_page": format!("{w}/links"),
        "link_forms": [
            format!("{b}/links/new?folder=clients%2Facme%2F"),
            format!("{b}/upload-links/new?path=clients%2Facme%2F"),
        ],
        "chromium": chromium,
        "artifacts": artifacts,
    });
    run_script("screens.mjs", config, &artifacts).await;
}

#[tokio::test]
async fn a_keyboard_alone_signs_in_uploads_and_copies_a_share_link() {
    let chromium = chromium();
    let app = TestApp::spawn().await;
    app.s3.create_bucket("photos").unwrap();
    let alice = app.sign_in_as("alice@example.com").await;
    let workspace = alice.create_workspace("Team").await;
    alice
        .connect_bucket(&workspace, &app.s3, "Photos", "photos")
        .await;
    let artifacts = repo().join("test-artifacts/browser/keyboard");
    let config = serde_json::json!({
        "base": app.url,
        "mail": mail_window(app.mail.clone()).await,
        "chromium": chromium,
        "artifacts": artifacts,
    });
    run_script("keyboard.mjs", config, &artifacts).await;
    assert_eq!(
        std::fs::read(app.s3.root.join("photos/typed.txt")).unwrap(),
        b"sent with the keyboard"
    );
}

/// A file of `mib` MiB whose every MiB differs (its number and `salt` lead
/// it), so a chunk stored in the wrong place or twice shows.
fn numbered_file(path: &std::path::Path, mib: u64, salt: u64) {
    use std::io::Write;
    let mut base = vec![0u8; 1 << 20];
    let mut state = 0x2545_f491_4f6c_dd1du64 ^ salt;
    for byte in base.iter_mut() {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        *byte = state as u8;
    }
    let mut file = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    for n in 0..mib {
        base[..8].copy_from_slice(&n.to_le_bytes());
        base[8..16].copy_from_slice(&salt.to_le_bytes());
        file.write_all(&base).unwrap();
    }
    file.flush().unwrap();
}

fn sha256_of(path: &std::path::Path) -> String {
    use sha2::Digest;
    use std::io::Read;
    let mut file = std::fs::File::open(path).unwrap();
    let mut hasher = sha2::Sha256::new();
    let mut buffer = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buffer).unwrap();
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
    }
    hex::encode(hasher.finalize())
}

/// What a 150 MB single-request upload through the proxy gets: its status.
async fn single_request_status(proxy: &str, path: &str, cookie: &str, csrf: &str) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(proxy).await.unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {proxy}\r\nCookie: bucketdesk_session={cookie}\r\n\
         X-CSRF-Token: {csrf}\r\nContent-Type: application/octet-stream\r\n\
         Content-Length: 150000000\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut answer = vec![0u8; 512];
    let n = stream.read(&mut answer).await.unwrap();
    let answer = String::from_utf8_lossy(&answer[..n]).into_owned();
    answer
        .split_whitespace()
        .nth(1)
        .and_then(|status| status.parse().ok())
        .unwrap_or_else(|| panic!("no status in {answer:?}"))
}

#[tokio::test]
async fn a_gigabyte_uploads_through_nginx_with_a_100m_limit_and_survives_a_cut_and_a_reload_in_chromium()
 {
    let chromium = chromium();
    let port = bucketdesk_testkit::free_port();
    let app = TestApp::builder()
        .public_url(&format!("http://127.0.0.1:{port}"))
        .spawn()
        .await;
    let upstream = app.url.trim_start_matches("http://").to_owned();
    let nginx = std::sync::Arc::new(std::sync::Mutex::new(bucketdesk_testkit::Nginx::start(
        port, &upstream, "100m",
    )));
    let proxy = nginx.lock().unwrap().url();
    app.s3.create_bucket("media").unwrap();
    let alice = app.sign_in_as("alice@example.com").await;
    let workspace = alice.create_workspace("Team").await;
    let bucket_id = alice
        .connect_bucket(&workspace, &app.s3, "Media", "media")
        .await;
    let bucket = format!("/w/{workspace}/b/{bucket_id}");

    // the old way, one request for the file, stops at the proxy
    let csrf = alice.csrf_token().await;
    let status = single_request_status(
        proxy.trim_start_matches("http://"),
        &format!("{bucket}/upload?key=single.bin"),
        &session_cookie(&alice),
        &csrf,
    )
    .await;
    assert_eq!(status, 413, "nginx refuses a 150 MB request");

    let files = tempfile::tempdir().unwrap();
    let big = files.path().join("big.bin");
    let cut = files.path().join("cut.bin");
    let reload = files.path().join("reload.bin");
    // BUCKETDESK_TEST_BIG_MIB=2048 tries the 2 GiB of issue 16's "done when" by hand
    let big_mib = std::env::var("BUCKETDESK_TEST_BIG_MIB")
        .ok()
        .and_then(|mib| mib.parse().ok())
        .unwrap_or(1024);
    numbered_file(&big, big_mib, 1);
    numbered_file(&cut, 400, 2);
    numbered_file(&reload, 400, 3);

    // the script stops and starts the proxy through this little window
    let controlled = nginx.clone();
    let control = Router::new().route(
        "/{what}",
        get(
            move |axum::extract::Path(what): axum::extract::Path<String>| async move {
                let mut nginx = controlled.lock().unwrap();
                if what == "stop" {
                    nginx.stop()
                } else {
                    nginx.start_again()
                }
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let control_url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = axum::serve(listener, control).await;
    });

    let artifacts = repo().join("test-artifacts/browser/transfers");
    let config = serde_json::json!({
        "base": proxy,
        "bucket": bucket,
        "editor_cookie": session_cookie(&alice),
        "chromium": chromium,
        "artifacts": artifacts,
        "control": control_url,
        "files": { "big": big, "cut": cut, "reload": reload },
    });
    run_script("transfers.mjs", config, &artifacts).await;

    for (name, source) in [
        ("big.bin", &big),
        ("cut.bin", &cut),
        ("reload.bin", &reload),
    ] {
        let stored = app.s3.root.join("media").join(name);
        assert_eq!(
            sha256_of(&stored),
            sha256_of(source),
            "{name} arrived exact"
        );
    }
    // through the proxy, every chunk was one request under its limit, and
    // none landed twice
    let log = nginx.lock().unwrap().access_log();
    let (mut landed, mut abandoned) = (std::collections::HashMap::new(), Vec::new());
    for line in log.lines().filter(|l| l.contains("/chunks/")) {
        let fields: Vec<&str> = line.split(' ').collect();
        assert!(fields[3].parse::<u64>().unwrap() < 100 << 20, "{line}");
        if fields[2] == "200" {
            *landed.entry(fields[1].to_owned()).or_insert(0) += 1;
        } else {
            // dropped by the reload while its body was on the way: nginx
            // logs 499 (client closed), or bucketdesk's 400 (the part ended early)
            abandoned.push(line.to_owned());
        }
    }
    // besides the chunks that landed once each, only those in flight at the
    // reload were sent (a request in flight when nginx was stopped is not logged)
    assert!(abandoned.len() <= 2, "{abandoned:#?}");
    // a chunk in flight when nginx was stopped may have reached bucketdesk
    // with its answer lost (nginx never logged it): the script then learnt
    // from bucketdesk that it had landed and did not send it again
    assert!(
        landed.len() as u64 >= big_mib / 8 + 50 + 50 - 2,
        "nearly every chunk of the three files is logged: {}",
        landed.len()
    );
    // a chunk whose 200 nginx logged while it was being stopped may never
    // have reached the browser, which then sent it again: only a chunk in
    // flight at the cut or the reload may land twice, and none more often
    let twice: Vec<_> = landed.iter().filter(|(_, times)| **times > 1).collect();
    assert!(
        landed.values().all(|times| *times <= 2) && twice.len() + abandoned.len() <= 2,
        "no chunk landed twice but one in flight at a cut or reload: {twice:?}, {abandoned:#?}"
    );
    let unfinished: i64 =
        sqlx::query_scalar("select count(*) from resumable_uploads where completed_at is null")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(unfinished, 0);
}

/// A WAV file of `seconds` of a tone (44.1 kHz, 16-bit stereo: 176 KB a second).
fn wav(seconds: u32) -> Vec<u8> {
    let rate = 44_100u32;
    let samples = rate * seconds;
    let data_len = samples * 4;
    let mut out = Vec::with_capacity(44 + data_len as usize);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_len).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes()); // PCM
    out.extend_from_slice(&2u16.to_le_bytes()); // stereo
    out.extend_from_slice(&rate.to_le_bytes());
    out.extend_from_slice(&(rate * 4).to_le_bytes());
    out.extend_from_slice(&4u16.to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    for i in 0..samples {
        let sample =
            ((i as f32 * 440.0 * std::f32::consts::TAU / rate as f32).sin() * 8000.0) as i16;
        out.extend_from_slice(&sample.to_le_bytes());
        out.extend_from_slice(&sample.to_le_bytes());
    }
    out
}

#[tokio::test]
async fn a_recording_in_a_proxy_mode_bucket_plays_and_seeks_through_bucketdesk_in_chromium() {
    let chromium = chromium();
    let app = TestApp::spawn().await;
    app.s3.create_bucket("media").unwrap();
    std::fs::write(app.s3.root.join("media/interview.wav"), wav(60)).unwrap();
    let alice = app.sign_in_as("alice@example.com").await;
    let workspace = alice.create_workspace("Team").await;
    let bucket_id = alice
        .connect_bucket(&workspace, &app.s3, "Media", "media")
        .await;
    let bucket = format!("/w/{workspace}/b/{bucket_id}");
    alice.get(&format!("{bucket}/settings")).await;
    let saved = alice
        .post(
            &format!("{bucket}/settings"),
            &[("display_name", "Media"), ("proxy_downloads", "on")],
        )
        .await;
    assert_eq!(saved.status, 303);
    let artifacts = repo().join("test-artifacts/browser/seek");
    let config = serde_json::json!({
        "base": app.url,
        "bucket": bucket,
        "key": "interview.wav",
        "editor_cookie": session_cookie(&alice),
        "chromium": chromium,
        "artifacts": artifacts,
    });
    run_script("seek.mjs", config, &artifacts).await;
}

#[tokio::test]
async fn an_owner_sets_up_direct_uploads_and_the_browsers_parts_go_to_the_s3_port_in_chromium() {
    let chromium = chromium();
    let app = TestApp::spawn().await;
    app.s3.create_bucket("media").unwrap();
    let alice = app.sign_in_as("alice@example.com").await;
    let workspace = alice.create_workspace("Team").await;
    let bucket_id = alice
        .connect_bucket(&workspace, &app.s3, "Media", "media")
        .await;
    let bucket = format!("/w/{workspace}/b/{bucket_id}");
    let files = tempfile::tempdir().unwrap();
    let file = files.path().join("direct.bin");
    numbered_file(&file, 40, 4);
    let size = std::fs::metadata(&file).unwrap().len();

    let artifacts = repo().join("test-artifacts/browser/direct");
    let config = serde_json::json!({
        "base": app.url,
        "bucket": bucket,
        "s3": app.s3.endpoint(),
        "owner_cookie": session_cookie(&alice),
        "chromium": chromium,
        "artifacts": artifacts,
        "file": file,
    });
    let (from_browsers, from_bucketdesk) = app.s3.bytes_received();
    run_script("direct.mjs", config, &artifacts).await;
    let (from_browsers_after, from_bucketdesk_after) = app.s3.bytes_received();

    let stored = app.s3.root.join("media/direct.bin");
    assert_eq!(
        sha256_of(&stored),
        sha256_of(&file),
        "the file arrived exact"
    );
    // the S3 port received the file's bytes from the browser; bucketdesk
    // sent it only its own small calls (start, list, complete)
    assert_eq!(from_browsers_after - from_browsers, size);
    assert!(
        from_bucketdesk_after - from_bucketdesk < 64 * 1024,
        "bucketdesk sent {} bytes to the bucket",
        from_bucketdesk_after - from_bucketdesk
    );
    let audited: i64 = sqlx::query_scalar(
        "select count(*) from audit_events where action = 'file_uploaded' and details->>'key' = 'direct.bin'",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(audited, 1, "the upload is audited as any other");
}

#[tokio::test]
async fn single_sign_on_through_a_real_openid_provider_and_out_of_both_in_chromium() {
    let chromium = chromium();
    let idp = bucketdesk_testkit::OidcProvider::start(&[bucketdesk_testkit::IdpAccount {
        id: "ana",
        email: "ana@example.com",
        email_verified: true,
        groups: &[],
        userinfo_only: false,
    }]);
    let app = TestApp::builder().sso(idp.settings("idp")).spawn().await;
    app.create_user("ana@example.com").await;
    let artifacts = repo().join("test-artifacts/browser/sso");
    let config = serde_json::json!({
        "base": app.url,
        "email": "ana@example.com",
        "chromium": chromium,
        "artifacts": artifacts,
    });
    run_script("sso.mjs", config, &artifacts).await;
    let signed_in: i64 = sqlx::query_scalar(
        "select count(*) from audit_events where action = 'sign_in' and details->>'method' = 'sso'",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(signed_in, 1);
}

#[tokio::test]
async fn a_second_factor_is_added_asked_for_and_required_in_chromium() {
    let chromium = chromium();
    let app = TestApp::spawn().await;
    // (from another address: the script's own sign-ins and confirmation
    // use up the three codes an address gets in 15 minutes)
    let ana = app.browser_from("198.51.100.7");
    app.create_user("ana@example.com").await;
    app.sign_in(&ana, "ana@example.com").await;
    let workspace = ana.create_workspace("Corp").await;
    app.create_user("bob@example.com").await;
    sqlx::query(
        "insert into workspace_members (workspace_id, user_id, role)
         select $1::uuid, id, 'viewer' from users where email = 'bob@example.com'",
    )
    .bind(&workspace)
    .execute(&app.db)
    .await
    .unwrap();
    let artifacts = repo().join("test-artifacts/browser/second-factor");
    let config = serde_json::json!({
        "base": app.url,
        "mail": mail_window(app.mail.clone()).await,
        "workspace": workspace,
        "chromium": chromium,
        "artifacts": artifacts,
    });
    run_script("second_factor.mjs", config, &artifacts).await;
    let events: Vec<String> = sqlx::query_scalar(
        "select action from audit_events
         where action in ('second_factor_added', 'second_factor_failed', 'workspace_second_factor_rule_set')
         order by id",
    )
    .fetch_all(&app.db)
    .await
    .unwrap();
    assert_eq!(
        events,
        [
            "second_factor_added",
            "second_factor_failed",
            "workspace_second_factor_rule_set"
        ]
    );
}

#[tokio::test]
async fn passkeys_sign_in_alone_and_as_the_second_step_in_chromium() {
    let chromium = chromium();
    // passkeys need a domain name: browsers take localhost as one
    let app = TestApp::builder().on_localhost().spawn().await;
    app.create_user("ana@example.com").await;
    let mail = mail_window(app.mail.clone()).await;
    // a page on another origin (the mail window, by name), whose answers
    // carry that origin
    let other_origin = format!(
        "{}/count?to=nobody&subject=x",
        mail.replace("127.0.0.1", "localhost")
    );
    let artifacts = repo().join("test-artifacts/browser/passkeys");
    let config = serde_json::json!({
        "base": app.url,
        "mail": mail,
        "otherOrigin": other_origin,
        "chromium": chromium,
        "artifacts": artifacts,
    });
    run_script("passkeys.mjs", config, &artifacts).await;
    let events: Vec<String> = sqlx::query_scalar(
        "select action from audit_events where action like 'passkey%' order by id",
    )
    .fetch_all(&app.db)
    .await
    .unwrap();
    assert_eq!(events, ["passkey_added", "passkey_removed"]);
    let passkey_sign_ins: i64 = sqlx::query_scalar(
        "select count(*) from audit_events where action = 'sign_in' and details->>'method' = 'passkey'",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(passkey_sign_ins, 1, "one sign-in with the passkey alone");
    let left: i64 = sqlx::query_scalar("select count(*) from passkeys")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(left, 0);
}
