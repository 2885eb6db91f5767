//! Connecting buckets: tested before saving, every failure explained, the
//! secret sealed (S13), only owners edit or disconnect.

use bucketdesk_testkit::{Browser, Page, S3_ACCESS_KEY, S3_SECRET_KEY, TestApp};

/// The connect form's fields for the test app's S3 server, bucket `photos`.
fn fields(app: &TestApp) -> Vec<(&'static str, String)> {
    vec![
        ("display_name", "Photos".into()),
        ("provider", "minio".into()),
        ("endpoint_url", app.s3.endpoint()),
        ("region", "us-east-1".into()),
        ("bucket_name", "photos".into()),
        ("addressing", "auto".into()),
        ("access_key_id", S3_ACCESS_KEY.into()),
        ("secret_access_key", S3_SECRET_KEY.into()),
    ]
}

fn with(
    mut fields: Vec<(&'static str, String)>,
    name: &str,
    value: &str,
) -> Vec<(&'static str, String)> {
    for field in &mut fields {
        if field.0 == name {
            field.1 = value.to_owned();
        }
    }
    fields
}

async fn connect(browser: &Browser, workspace: &str, fields: &[(&'static str, String)]) -> Page {
    browser.get(&format!("/w/{workspace}/buckets/new")).await;
    let form: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    browser
        .post(&format!("/w/{workspace}/buckets"), &form)
        .await
}

/// Alice, signed in, with a workspace; the S3 server has a bucket `photos`.
async fn alice_with_workspace(app: &TestApp) -> (Browser, String) {
    app.s3.create_bucket("photos").unwrap();
    let alice = app.sign_in_as("alice@example.com").await;
    let workspace = alice.create_workspace("Team").await;
    (alice, workspace)
}

/// Connects `photos` as Alice; returns the bucket page's path.
async fn connected(app: &TestApp, alice: &Browser, workspace: &str) -> String {
    let page = connect(alice, workspace, &fields(app)).await;
    assert_eq!(page.status, 303, "{}", page.body);
    page.location()
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn connecting_with_the_right_key_saves_the_bucket_and_it_works() {
    let app = TestApp::spawn().await;
    let (alice, workspace) = alice_with_workspace(&app).await;
    let page = connect(&alice, &workspace, &fields(&app)).await;
    assert_eq!(page.status, 303, "{}", page.body);
    let bucket_page = alice.get(page.location().unwrap()).await;
    assert_eq!(bucket_page.status, 200);
    assert!(
        bucket_page.body.contains("This folder is empty"),
        "{}",
        bucket_page.body
    );
    assert!(bucket_page.body.contains("s3://photos"));
    assert!(
        alice
            .get(&format!("/w/{workspace}"))
            .await
            .body
            .contains("Photos")
    );

    let (path_style, role): (bool, String) = sqlx::query_as(
        "select b.path_style, m.role from buckets b join bucket_members m on m.bucket_id = b.id",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert!(
        path_style,
        "auto addressing picked what works on a local server"
    );
    assert_eq!(role, "owner", "the workspace owner owns the bucket");
}

#[tokio::test]
async fn the_database_holds_no_readable_secret() {
    let app = TestApp::spawn().await;
    let (alice, workspace) = alice_with_workspace(&app).await;
    connected(&app, &alice, &workspace).await;
    let dump: Vec<String> = sqlx::query_scalar(
        "select row_to_json(t)::text from (select * from buckets) t
         union all select row_to_json(t)::text from (select * from bucket_secrets) t
         union all select row_to_json(t)::text from (select * from audit_events) t",
    )
    .fetch_all(&app.db)
    .await
    .unwrap();
    assert!(dump.len() >= 3);
    for row in &dump {
        assert!(!row.contains(S3_SECRET_KEY), "{row}");
    }
    let (key_id, wrapped, nonce): (String, Vec<u8>, Vec<u8>) =
        sqlx::query_as("select key_id, wrapped_key, nonce from bucket_secrets")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(key_id, app.state.instance_key.id());
    assert_eq!((wrapped.len(), nonce.len()), (512, 12));
}

#[tokio::test]
async fn each_wrong_input_is_explained_and_the_typed_values_are_kept_but_not_the_secret() {
    let app = TestApp::spawn().await;
    let (alice, workspace) = alice_with_workspace(&app).await;
    let closed_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let cases = [
        (
            with(fields(&app), "secret_access_key", "wrong-secret"),
            "secret access key does not match",
        ),
        (
            with(fields(&app), "access_key_id", "AKUNKNOWN0000"),
            "does not know this access key id",
        ),
        (
            with(fields(&app), "bucket_name", "not-here"),
            "There is no bucket called &#34;not-here&#34;",
        ),
        (
            with(
                fields(&app),
                "endpoint_url",
                &format!("http://127.0.0.1:{closed_port}"),
            ),
            "Cannot connect to the endpoint",
        ),
    ];
    for (form, message) in cases {
        let page = connect(&alice, &workspace, &form).await;
        assert_eq!(page.status, 422, "{message}");
        assert!(page.body.contains(message), "{message}: {}", page.body);
        assert!(
            page.body.contains(r#"value="Photos""#),
            "the typed name is kept"
        );
        assert!(
            !page.body.contains("wrong-secret") && !page.body.contains(S3_SECRET_KEY),
            "the secret is not"
        );
    }
    let buckets: i64 = sqlx::query_scalar("select count(*) from buckets")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(buckets, 0, "nothing is saved");
}

#[tokio::test]
async fn bad_input_gets_a_message_on_the_form() {
    let app = TestApp::spawn().await;
    let (alice, workspace) = alice_with_workspace(&app).await;
    let cases = [
        (
            with(fields(&app), "display_name", ""),
            "Give the bucket a name",
        ),
        (with(fields(&app), "bucket_name", ""), "Enter the bucket"),
        (
            with(fields(&app), "bucket_name", "My_Bucket"),
            "only lower-case letters",
        ),
        (
            with(fields(&app), "bucket_name", "192.168.1.1"),
            "cannot look like an IP address",
        ),
        (
            with(fields(&app), "endpoint_url", "not a url"),
            "The endpoint is not a URL",
        ),
        (
            with(fields(&app), "endpoint_url", "ftp://files.example.com"),
            "must start with https://",
        ),
        (
            with(fields(&app), "region", "Mars Base"),
            "A region looks like us-east-1",
        ),
        (
            with(fields(&app), "access_key_id", ""),
            "Enter the access key id",
        ),
        (
            with(fields(&app), "secret_access_key", ""),
            "Enter the secret access key",
        ),
        (
            with(fields(&app), "provider", "dropbox"),
            "Choose a provider",
        ),
        (
            with(fields(&app), "addressing", "sideways"),
            "Choose an addressing style",
        ),
        (
            with(with(fields(&app), "provider", "r2"), "endpoint_url", ""),
            "Cloudflare account id",
        ),
    ];
    for (form, message) in cases {
        let page = connect(&alice, &workspace, &form).await;
        assert_eq!(page.status, 422, "{message}: {}", page.body);
        assert!(page.body.contains(message), "{message}: {}", page.body);
    }
}

#[tokio::test]
async fn a_huge_form_is_refused_with_a_page() {
    let app = TestApp::spawn().await;
    let (alice, workspace) = alice_with_workspace(&app).await;
    let huge = "x".repeat(10 * 1024 * 1024);
    let page = connect(
        &alice,
        &workspace,
        &with(fields(&app), "display_name", &huge),
    )
    .await;
    assert_eq!(page.status, 413);
    assert!(page.body.contains("larger than this form accepts"));
}

#[tokio::test]
async fn private_endpoints_are_refused_unless_the_admin_allows_them() {
    let app = TestApp::builder().guard_private_endpoints().spawn().await;
    let (alice, workspace) = alice_with_workspace(&app).await;
    for endpoint in [
        app.s3.endpoint(),
        "http://[::1]:9000".into(),
        "http://169.254.169.254".into(),
        "http://10.0.0.1".into(),
        "http://2130706433:9000".into(),
    ] {
        let page = connect(
            &alice,
            &workspace,
            &with(fields(&app), "endpoint_url", &endpoint),
        )
        .await;
        assert_eq!(page.status, 422, "{endpoint}");
        assert!(
            page.body.contains("BUCKETDESK_ALLOW_PRIVATE_ENDPOINTS"),
            "{endpoint}: {}",
            page.body
        );
    }
    let port = app.s3.addr.port();
    let page = connect(
        &alice,
        &workspace,
        &with(
            fields(&app),
            "endpoint_url",
            &format!("http://localhost.:{port}"),
        ),
    )
    .await;
    assert!(
        page.body.contains("BUCKETDESK_ALLOW_PRIVATE_ENDPOINTS"),
        "a name for loopback: {}",
        page.body
    );
}

#[tokio::test]
async fn a_display_name_is_unique_within_the_workspace() {
    let app = TestApp::spawn().await;
    let (alice, workspace) = alice_with_workspace(&app).await;
    connected(&app, &alice, &workspace).await;
    let page = connect(&alice, &workspace, &fields(&app)).await;
    assert_eq!(page.status, 422);
    assert!(
        page.body
            .contains("Another bucket in this workspace has this name"),
        "{}",
        page.body
    );
}

#[tokio::test]
async fn the_owner_renames_and_replaces_the_key_after_it_is_tested() {
    let app = TestApp::spawn().await;
    let (alice, workspace) = alice_with_workspace(&app).await;
    let bucket = connected(&app, &alice, &workspace).await;
    alice.get(&format!("{bucket}/settings")).await;
    let stored = || async {
        let (ciphertext,): (Vec<u8>,) = sqlx::query_as("select ciphertext from bucket_secrets")
            .fetch_one(&app.db)
            .await
            .unwrap();
        ciphertext
    };
    let original = stored().await;

    let wrong = alice
        .post(
            &format!("{bucket}/settings"),
            &[
                ("display_name", "Photos"),
                ("access_key_id", S3_ACCESS_KEY),
                ("secret_access_key", "nope"),
            ],
        )
        .await;
    assert_eq!(wrong.status, 422);
    assert!(
        wrong.body.contains("nothing was changed") && wrong.body.contains("does not match"),
        "{}",
        wrong.body
    );
    let before = stored().await;
    assert_eq!(before, original, "the wrong key replaced nothing");
    let saved = alice
        .post(
            &format!("{bucket}/settings"),
            &[
                ("display_name", "Product photos"),
                ("access_key_id", S3_ACCESS_KEY),
                ("secret_access_key", S3_SECRET_KEY),
            ],
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let after = stored().await;
    assert_ne!(before, after, "the new secret replaced the old one");
    let page = alice.get(&bucket).await;
    assert!(
        page.body.contains("Product photos") && page.body.contains("This folder is empty"),
        "{}",
        page.body
    );
}

#[tokio::test]
async fn disconnecting_deletes_the_stored_secret() {
    let app = TestApp::spawn().await;
    let (alice, workspace) = alice_with_workspace(&app).await;
    let bucket = connected(&app, &alice, &workspace).await;
    alice.get(&format!("{bucket}/settings")).await;
    let page = alice.post(&format!("{bucket}/disconnect"), &[]).await;
    assert_eq!(
        page.location(),
        Some(format!("/w/{workspace}?done=disconnected").as_str())
    );
    let secrets: i64 = sqlx::query_scalar("select count(*) from bucket_secrets")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(secrets, 0);
    assert_eq!(alice.get(&bucket).await.status, 404);
    assert!(
        app.s3.root.join("photos").exists(),
        "the bucket itself is untouched"
    );
}

#[tokio::test]
async fn only_the_owner_edits_or_disconnects_and_outsiders_see_nothing() {
    let app = TestApp::spawn().await;
    let (alice, workspace) = alice_with_workspace(&app).await;
    let bucket = connected(&app, &alice, &workspace).await;
    // Victor has the Viewer role on the bucket (invites arrive with the roles feature)
    let victor = app.sign_in_as("victor@example.com").await;
    sqlx::query(
        "insert into workspace_members (workspace_id, user_id, role) select $1::uuid, id, 'viewer' from users where email = 'victor@example.com';
         ",
    )
    .bind(&workspace)
    .execute(&app.db)
    .await
    .unwrap();
    sqlx::query("insert into bucket_members (bucket_id, user_id, role) select b.id, u.id, 'viewer' from buckets b, users u where u.email = 'victor@example.com'")
        .execute(&app.db)
        .await
        .unwrap();
    let mallory = app.sign_in_as("mallory@example.com").await;

    assert_eq!(
        victor.get(&bucket).await.status,
        200,
        "a viewer sees the bucket"
    );
    assert_eq!(victor.get(&format!("{bucket}/settings")).await.status, 403);
    assert_eq!(
        victor
            .post(&format!("{bucket}/settings"), &[("display_name", "Mine")])
            .await
            .status,
        403
    );
    assert_eq!(
        victor
            .post(&format!("{bucket}/disconnect"), &[])
            .await
            .status,
        403
    );
    assert_eq!(
        victor
            .get(&format!("/w/{workspace}/buckets/new"))
            .await
            .status,
        403
    );

    for path in [bucket.clone(), format!("{bucket}/settings")] {
        assert_eq!(mallory.get(&path).await.status, 404, "{path}");
    }
    assert_eq!(
        mallory
            .post(&format!("{bucket}/disconnect"), &[])
            .await
            .status,
        404
    );
    let buckets: i64 = sqlx::query_scalar("select count(*) from buckets")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(buckets, 1);
}

#[tokio::test]
async fn a_bucket_id_under_another_workspace_is_not_found() {
    let app = TestApp::spawn().await;
    let (alice, workspace) = alice_with_workspace(&app).await;
    let bucket = connected(&app, &alice, &workspace).await;
    let other = alice.create_workspace("Other").await;
    let moved = bucket.replace(&workspace, &other);
    assert_eq!(alice.get(&moved).await.status, 404);
}

#[tokio::test]
async fn an_unreachable_bucket_shows_a_clear_problem_and_the_app_keeps_working() {
    let app = TestApp::spawn().await;
    let (alice, workspace) = alice_with_workspace(&app).await;
    let bucket = connected(&app, &alice, &workspace).await;
    let closed_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    sqlx::query("update buckets set endpoint_url = $1, updated_at = now()")
        .bind(format!("http://127.0.0.1:{closed_port}"))
        .execute(&app.db)
        .await
        .unwrap();
    let page = alice.get(&bucket).await;
    assert_eq!(page.status, 502);
    assert!(
        page.body.contains("could not be listed") && page.body.contains("Cannot connect"),
        "{}",
        page.body
    );
    assert_eq!(alice.get("/").await.status, 200);
}

#[tokio::test]
async fn no_page_shows_the_secret() {
    let app = TestApp::spawn().await;
    let (alice, workspace) = alice_with_workspace(&app).await;
    let bucket = connected(&app, &alice, &workspace).await;
    for path in [
        "/".to_owned(),
        format!("/w/{workspace}"),
        bucket.clone(),
        format!("{bucket}/settings"),
    ] {
        let page = alice.get(&path).await;
        assert_eq!(page.status, 200, "{path}");
        assert!(!page.body.contains(S3_SECRET_KEY), "{path}");
    }
}

#[tokio::test]
async fn a_new_secret_with_the_key_id_left_empty_keeps_the_key_id_as_the_placeholder_says() {
    let app = TestApp::spawn().await;
    let (alice, workspace) = alice_with_workspace(&app).await;
    let bucket = connected(&app, &alice, &workspace).await;
    let form = alice.get(&format!("{bucket}/settings")).await;
    assert!(
        form.body.contains(&format!(
            "placeholder=\"Leave empty to keep {S3_ACCESS_KEY}\""
        )),
        "{}",
        form.body
    );
    let saved = alice
        .post(
            &format!("{bucket}/settings"),
            &[
                ("display_name", "Photos"),
                ("access_key_id", ""),
                ("secret_access_key", S3_SECRET_KEY),
            ],
        )
        .await;
    assert_eq!(saved.status, 303, "B10: {}", saved.body);
    let key_id: String = sqlx::query_scalar("select access_key_id from buckets")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(key_id, S3_ACCESS_KEY);
    let replaced: i64 = sqlx::query_scalar(
        "select count(*) from audit_events where action = 'bucket_key_replaced'",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(replaced, 1, "the secret was tested and replaced");
}

#[tokio::test]
async fn a_public_endpoint_signs_links_for_where_browsers_reach_the_storage_while_bucketdesk_keeps_its_own()
 {
    let app = TestApp::spawn().await;
    app.s3.create_bucket("photos").unwrap();
    std::fs::write(app.s3.root.join("photos/hello.txt"), b"hello").unwrap();
    let alice = app.sign_in_as("alice@example.com").await;
    let workspace = alice.create_workspace("Team").await;
    let id = alice
        .connect_bucket(&workspace, &app.s3, "Photos", "photos")
        .await;
    let bucket = format!("/w/{workspace}/b/{id}");
    alice.get(&format!("{bucket}/settings")).await;
    let wrong = alice
        .post(
            &format!("{bucket}/settings"),
            &[
                ("display_name", "Photos"),
                ("public_endpoint_url", "ftp://files"),
            ],
        )
        .await;
    assert_eq!(wrong.status, 422);
    assert!(
        wrong
            .body
            .contains("Type the address browsers reach the storage service at")
    );
    // browsers reach this S3 server as files.example.test:9000
    let public = "http://files.example.test:9000";
    let saved = alice
        .post(
            &format!("{bucket}/settings"),
            &[("display_name", "Photos"), ("public_endpoint_url", public)],
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);

    // bucketdesk still lists through its own address
    let listing = alice.get(&bucket).await;
    assert!(listing.body.contains("hello.txt"));
    let download = alice.get(&format!("{bucket}/download?key=hello.txt")).await;
    assert_eq!(download.status, 303);
    let url = url::Url::parse(download.location().unwrap()).unwrap();
    assert_eq!(url.host_str(), Some("files.example.test"));
    assert_eq!(url.port(), Some(9000));
    // signed for that host: the S3 server accepts it when asked under that name
    let fetched = reqwest::Client::new()
        .get(format!(
            "{}{}?{}",
            app.s3.endpoint(),
            url.path(),
            url.query().unwrap()
        ))
        .header("host", "files.example.test:9000")
        .send()
        .await
        .unwrap();
    assert_eq!(fetched.status(), 200);
    assert_eq!(fetched.text().await.unwrap(), "hello");
    let preview = alice.get(&format!("{bucket}/object?key=hello.txt")).await;
    assert_eq!(preview.status, 200);

    // cleared: links use bucketdesk's own address again
    alice
        .post(
            &format!("{bucket}/settings"),
            &[("display_name", "Photos"), ("public_endpoint_url", "")],
        )
        .await;
    let download = alice.get(&format!("{bucket}/download?key=hello.txt")).await;
    assert!(
        download.location().unwrap().starts_with(&app.s3.endpoint()),
        "{:?}",
        download.location()
    );
    let audited: i64 = sqlx::query_scalar(
        "select count(*) from audit_events where action = 'bucket_public_endpoint_set'",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(audited, 2);
}

#[tokio::test]
async fn proxy_mode_streams_downloads_previews_and_link_visits_through_bucketdesk_passing_ranges_on()
 {
    let app = TestApp::spawn().await;
    app.s3.create_bucket("photos").unwrap();
    std::fs::write(app.s3.root.join("photos/hello.txt"), b"hello").unwrap();
    std::fs::write(app.s3.root.join("photos/clip.mp4"), b"0123456789").unwrap();
    let alice = app.sign_in_as("alice@example.com").await;
    let workspace = alice.create_workspace("Team").await;
    let id = alice
        .connect_bucket(&workspace, &app.s3, "Photos", "photos")
        .await;
    let bucket = format!("/w/{workspace}/b/{id}");
    alice.get(&format!("{bucket}/settings")).await;
    let saved = alice
        .post(
            &format!("{bucket}/settings"),
            &[("display_name", "Photos"), ("proxy_downloads", "on")],
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);

    let download = alice.get(&format!("{bucket}/download?key=hello.txt")).await;
    assert_eq!(
        download.status, 200,
        "the bytes, not a redirect to the storage"
    );
    assert_eq!(download.body, "hello");
    assert!(
        download
            .header("content-disposition")
            .unwrap()
            .starts_with("attachment")
    );

    let page = alice.get(&format!("{bucket}/object?key=clip.mp4")).await;
    assert!(
        page.body
            .contains(&format!("src=\"{bucket}/preview?key=clip.mp4\"")),
        "{}",
        page.body
    );
    let seek = alice
        .client
        .get(alice.url(&format!("{bucket}/preview?key=clip.mp4")))
        .header("range", "bytes=2-5")
        .send()
        .await
        .unwrap();
    assert_eq!(seek.status(), 206);
    assert_eq!(seek.headers()["content-range"], "bytes 2-5/10");
    assert_eq!(seek.headers()["content-type"], "video/mp4");
    assert_eq!(seek.headers()["x-content-type-options"], "nosniff");
    assert!(
        seek.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("sandbox")
    );
    assert_eq!(seek.text().await.unwrap(), "2345");
    let whole = alice.get(&format!("{bucket}/preview?key=clip.mp4")).await;
    assert_eq!((whole.status, whole.body.as_str()), (200, "0123456789"));
    // only what a preview shows inline: not text, HTML or SVG
    let refused = alice.get(&format!("{bucket}/preview?key=hello.txt")).await;
    assert!(refused.status >= 400, "{}", refused.status);

    // a revocable link's visit streams too
    let made = alice
        .post(&format!("{bucket}/links"), &[("keys", "hello.txt")])
        .await;
    let link_page = alice.get(made.location().unwrap()).await;
    let start = link_page.body.find("/s/").unwrap();
    let link = &link_page.body[start..start + 46];
    let visit = app.browser().get(&format!("{link}/download")).await;
    assert_eq!((visit.status, visit.body.as_str()), (200, "hello"));
}

#[tokio::test]
async fn a_bucket_connected_with_a_public_endpoint_signs_its_links_for_it_from_the_start() {
    let app = TestApp::spawn().await;
    app.s3.create_bucket("photos").unwrap();
    std::fs::write(app.s3.root.join("photos/hello.txt"), b"hello").unwrap();
    let alice = app.sign_in_as("alice@example.com").await;
    let workspace = alice.create_workspace("Team").await;
    alice.get(&format!("/w/{workspace}/buckets/new")).await;
    let endpoint = app.s3.endpoint();
    let connect = |public: &'static str| {
        let alice = &alice;
        let (workspace, endpoint) = (workspace.clone(), endpoint.clone());
        async move {
            alice
                .post(
                    &format!("/w/{workspace}/buckets"),
                    &[
                        ("display_name", "Photos"),
                        ("provider", "minio"),
                        ("endpoint_url", &endpoint),
                        ("bucket_name", "photos"),
                        ("access_key_id", S3_ACCESS_KEY),
                        ("secret_access_key", S3_SECRET_KEY),
                        ("public_endpoint_url", public),
                    ],
                )
                .await
        }
    };
    let wrong = connect("localhost:9000/?x=1").await;
    assert_eq!(wrong.status, 422);
    assert!(
        wrong
            .body
            .contains("Type the address browsers reach the storage service at")
    );
    let connected = connect("http://localhost:9000/").await;
    assert_eq!(connected.status, 303, "{}", connected.body);
    let bucket = connected
        .location()
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let download = alice.get(&format!("{bucket}/download?key=hello.txt")).await;
    assert!(
        download
            .location()
            .unwrap()
            .starts_with("http://localhost:9000/photos/hello.txt?"),
        "{:?}",
        download.location()
    );
}
