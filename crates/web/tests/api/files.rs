//! The file browser through the app: listing cost (P1), downloads (S15),
//! keys (S10), previews, uploads (R1, R2) and file operations.

use crate::team::{grant, team};
use bucketdesk_testkit::{Browser, TestApp};

/// Uploads `body` to `key` as `browser` would (header CSRF token).
async fn upload(
    browser: &Browser,
    bucket_path: &str,
    key: &str,
    body: Vec<u8>,
    overwrite: bool,
) -> (u16, String) {
    let token = browser.csrf_token().await;
    let mut url = format!(
        "{}{bucket_path}/upload?key={}",
        browser.base,
        urlencode(key)
    );
    if overwrite {
        url.push_str("&overwrite=1");
    }
    let response = browser
        .client
        .post(url)
        .header("x-csrf-token", token)
        .body(body)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test]
async fn a_folder_of_ten_thousand_objects_pages_with_one_list_call_per_view() {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    let folder = app.s3.root.join("photos/big");
    std::fs::create_dir_all(&folder).unwrap();
    for i in 0..10_000 {
        std::fs::write(folder.join(format!("img-{i:05}.jpg")), b"x").unwrap();
    }
    let mut next = Some(format!(
        "{}?path=big/&per_page=1000",
        t.bucket_path(&t.photos)
    ));
    let mut pages = 0;
    while let Some(href) = next.take() {
        let before = app.s3.request_count();
        let page = t.alice.get(&href).await;
        assert_eq!(page.status, 200);
        assert_eq!(
            app.s3.request_count() - before,
            1,
            "page {pages}: one LIST call"
        );
        assert_eq!(
            page.body.matches("data-select data-download").count(),
            1000,
            "{href}: {}",
            page.body
                .split("rel=\"next\"")
                .next()
                .unwrap()
                .rsplit("href=")
                .next()
                .unwrap()
        );
        pages += 1;
        next = page
            .body
            .split(r#"rel="next""#)
            .next()
            .and_then(|before| before.rsplit("href=\"").next())
            .filter(|_| page.body.contains(r#"rel="next""#))
            .map(|h| h.split('"').next().unwrap().replace("&#38;", "&"));
    }
    assert_eq!(pages, 10);

    // a page of 1,000 entries goes compressed in well under 150 KB
    let first = format!("{}?path=big/&per_page=1000", t.bucket_path(&t.photos));
    let compressed = t
        .alice
        .client
        .get(t.alice.url(&first))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(compressed.headers()["content-encoding"], "gzip");
    let compressed = compressed.bytes().await.unwrap().len();
    let plain = t.alice.get(&first).await.body.len();
    eprintln!("a page of 1,000 entries: {plain} bytes, {compressed} gzipped");
    assert!(compressed < 150_000, "{compressed} bytes gzipped");
}

#[tokio::test]
async fn a_download_is_a_fifteen_minute_presigned_attachment_that_really_downloads() {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    std::fs::write(
        app.s3.root.join("photos/report 2026 ünï.txt"),
        b"the report",
    )
    .unwrap();
    let page = t
        .alice
        .get(&format!(
            "{}/download?key={}",
            t.bucket_path(&t.photos),
            urlencode("report 2026 ünï.txt")
        ))
        .await;
    assert_eq!(page.status, 303);
    let location = page.location().unwrap();
    assert!(
        location.starts_with(&app.s3.endpoint()),
        "bytes come straight from the bucket: {location}"
    );
    assert!(location.contains("X-Amz-Expires=900"), "{location}");
    let response = reqwest::get(location).await.unwrap();
    assert_eq!(response.status(), 200);
    let disposition = response.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        disposition.starts_with("attachment;")
            && disposition.contains("filename*=UTF-8''report%202026%20%C3%BCn%C3%AF.txt"),
        "{disposition}"
    );
    assert_eq!(response.bytes().await.unwrap().as_ref(), b"the report");
    let events: i64 = sqlx::query_scalar(
        "select count(*) from audit_events where action = 'download_link_issued'",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(events, 1);
}

#[tokio::test]
async fn a_viewer_of_another_bucket_gets_no_download_link() {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    std::fs::write(app.s3.root.join("photos/secret.txt"), b"x").unwrap();
    grant(&app, &t, "victor@example.com", &t.reports, "viewer").await;
    let victor = app.sign_in_as("victor@example.com").await;
    let page = victor
        .get(&format!(
            "{}/download?key=secret.txt",
            t.bucket_path(&t.photos)
        ))
        .await;
    assert_eq!(page.status, 404);
    assert!(page.location().is_none());
}

#[tokio::test]
async fn odd_keys_work_and_are_shown_as_text() {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    let base = t.bucket_path(&t.photos);
    t.alice.get(&base).await;
    for key in [
        "odd +%#?&/ünïcødé file.txt",
        "<img src=x onerror=alert(1)>.txt",
        "deep/a/b/c/d.txt",
    ] {
        assert_eq!(
            upload(&t.alice, &base, key, key.as_bytes().to_vec(), false)
                .await
                .0,
            201,
            "{key}"
        );
    }
    let root = t.alice.get(&base).await;
    assert!(
        root.body
            .contains("&#60;img src=x onerror=alert(1)&#62;.txt"),
        "escaped: {}",
        root.body
    );
    assert!(!root.body.contains("<img src=x"), "never raw HTML");
    let folder = t
        .alice
        .get(&format!("{base}?path={}", urlencode("odd +%#?&/")))
        .await;
    assert!(folder.body.contains("ünïcødé file.txt"), "{}", folder.body);
    let object = t
        .alice
        .get(&format!(
            "{base}/object?key={}",
            urlencode("odd +%#?&/ünïcødé file.txt")
        ))
        .await;
    assert_eq!(object.status, 200);
    assert!(
        object.body.contains("odd +%#?&amp;/ünïcødé file.txt")
            || object.body.contains("odd +%#?&#38;/ünïcødé file.txt"),
        "{}",
        object.body
    );

    let (status, message) = upload(&t.alice, &base, "bad\nname.txt", b"x".to_vec(), false).await;
    assert_eq!(status, 400);
    assert!(message.contains("control characters"), "{message}");
    let (status, message) = upload(&t.alice, &base, &"x".repeat(1025), b"x".to_vec(), false).await;
    assert_eq!(status, 400);
    assert!(message.contains("1024 bytes"), "{message}");
}

#[tokio::test]
async fn text_previews_show_text_never_html_and_images_load_from_the_bucket() {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    let base = t.bucket_path(&t.photos);
    std::fs::write(
        app.s3.root.join("photos/notes.md"),
        b"# Title\n<script>alert(1)</script>",
    )
    .unwrap();
    std::fs::write(app.s3.root.join("photos/pic.png"), b"\x89PNG\r\n").unwrap();
    std::fs::write(
        app.s3.root.join("photos/logo.svg"),
        b"<svg onload=alert(1)/>",
    )
    .unwrap();
    let notes = t.alice.get(&format!("{base}/object?key=notes.md")).await;
    assert!(
        notes.body.contains("# Title") && notes.body.contains("&#60;script&#62;"),
        "{}",
        notes.body
    );
    let pic = t.alice.get(&format!("{base}/object?key=pic.png")).await;
    assert!(
        pic.body
            .contains(&format!("<img src=\"{}", app.s3.endpoint())),
        "{}",
        pic.body
    );
    let csp = pic.header("content-security-policy").unwrap();
    assert!(
        csp.contains(&format!("img-src 'self' {}", app.s3.endpoint())),
        "{csp}"
    );
    let svg = t.alice.get(&format!("{base}/object?key=logo.svg")).await;
    assert!(
        svg.body.contains("No preview for this kind of file"),
        "SVG is never shown inline"
    );
    let missing = t.alice.get(&format!("{base}/object?key=gone.txt")).await;
    assert_eq!(missing.status, 400);
    assert!(missing.body.contains("no longer exists"));
}

#[tokio::test]
async fn uploads_ask_before_overwriting_and_viewers_cannot_upload() {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    let base = t.bucket_path(&t.photos);
    t.alice.get(&base).await;
    assert_eq!(
        upload(&t.alice, &base, "a.txt", b"one".to_vec(), false)
            .await
            .0,
        201
    );
    let (status, message) = upload(&t.alice, &base, "a.txt", b"two".to_vec(), false).await;
    assert_eq!(status, 409);
    assert!(message.contains("exists already"));
    assert_eq!(
        upload(&t.alice, &base, "a.txt", b"two".to_vec(), true)
            .await
            .0,
        201
    );
    assert_eq!(
        std::fs::read(app.s3.root.join("photos/a.txt")).unwrap(),
        b"two"
    );

    grant(&app, &t, "victor@example.com", &t.photos, "viewer").await;
    let victor = app.sign_in_as("victor@example.com").await;
    let listing = victor.get(&base).await;
    assert!(
        !listing.body.contains("data-upload-files")
            && !listing.body.contains("Create folder")
            && !listing.body.contains(">Delete<")
    );
    victor.get(&base).await;
    assert_eq!(
        upload(&victor, &base, "v.txt", b"x".to_vec(), false)
            .await
            .0,
        403
    );
}

#[tokio::test]
async fn a_large_upload_streams_in_parts_and_a_cut_off_one_leaves_nothing() {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    let base = t.bucket_path(&t.photos);
    t.alice.get(&base).await;
    let body: Vec<u8> = (0..20 * 1024 * 1024).map(|i| (i % 253) as u8).collect();
    assert_eq!(
        upload(&t.alice, &base, "big.bin", body.clone(), false)
            .await
            .0,
        201
    );
    assert_eq!(
        std::fs::read(app.s3.root.join("photos/big.bin")).unwrap(),
        body
    );

    // a body announced but cut off midway
    use tokio::io::AsyncWriteExt;
    let token = t.alice.csrf_token().await;
    let cookie = t.alice.cookie_header().unwrap();
    let mut stream = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    let head = format!(
        "POST {base}/upload?key=cut.bin HTTP/1.1\r\nHost: x\r\nCookie: {cookie}\r\nX-CSRF-Token: {token}\r\nContent-Length: 30000000\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&body[..12 * 1024 * 1024]).await.unwrap();
    drop(stream);
    // the server notices the cut, lets parts in flight finish, then aborts
    // (up to a minute: on a busy machine this takes a while). A part still
    // in flight may not be on disk yet, so "no parts" must hold for a second.
    let (mut waited, mut clear) = (0, 0);
    while clear < 10 && waited < 600 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        clear = if app.s3.unfinished_parts() == 0 {
            clear + 1
        } else {
            0
        };
        waited += 1;
    }
    assert_eq!(
        app.s3.unfinished_parts(),
        0,
        "the multipart upload was aborted (R2)"
    );
    assert!(!app.s3.root.join("photos/cut.bin").exists());
}

#[tokio::test]
async fn an_upload_over_the_limit_is_refused_and_nothing_is_stored() {
    let app = TestApp::builder()
        .max_upload_bytes(1024 * 1024)
        .spawn()
        .await;
    let t = team(&app).await;
    let base = t.bucket_path(&t.photos);
    t.alice.get(&base).await;
    let (status, message) = upload(
        &t.alice,
        &base,
        "big.bin",
        vec![0u8; 2 * 1024 * 1024],
        false,
    )
    .await;
    assert_eq!(status, 413);
    assert!(message.contains("larger than"), "{message}");
    assert!(!app.s3.root.join("photos/big.bin").exists());
}

#[tokio::test]
async fn folders_rename_move_and_delete() {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    let base = t.bucket_path(&t.photos);
    t.alice.get(&base).await;
    for key in ["docs/a.txt", "docs/sub/b.txt", "top.txt"] {
        upload(&t.alice, &base, key, b"x".to_vec(), false).await;
    }
    // B6: a bad name goes back to the form, said beside the field, kept
    let bad = t
        .alice
        .post(&format!("{base}/folders"), &[("path", ""), ("name", "a/b")])
        .await;
    assert_eq!(bad.status, 303);
    assert_eq!(bad.location(), Some(format!("{base}?path=").as_str()));
    let form = t.alice.get(bad.location().unwrap()).await;
    assert!(
        form.body
            .contains(r#"value="a/b" aria-invalid="true" aria-describedby="folder-error""#)
            && form
                .body
                .contains(r#"<p id="folder-error" class="error field-error" role="alert">"#)
            && form.body.contains("cannot contain a slash"),
        "{}",
        form.body
    );
    assert!(
        form.body.contains(">Account</a>"),
        "the page keeps its top bar"
    );
    let again = t.alice.get(&base).await;
    assert!(!again.body.contains("folder-error"), "said once");
    // B5: a new folder opens at once
    let made = t
        .alice
        .post(
            &format!("{base}/folders"),
            &[("path", "docs/"), ("name", "new")],
        )
        .await;
    assert_eq!(made.status, 303);
    assert_eq!(
        made.location(),
        Some(format!("{base}?path=docs%2Fnew%2F&done=folder").as_str())
    );
    let opened = t.alice.get(made.location().unwrap()).await;
    assert!(
        opened.body.contains("s3://photos/docs/new/") && opened.body.contains("this is it"),
        "{}",
        opened.body
    );

    let renamed = t
        .alice
        .post(
            &format!("{base}/rename"),
            &[
                ("key", "top.txt"),
                ("new_name", "moved.txt"),
                ("folder", "docs/"),
            ],
        )
        .await;
    assert_eq!(renamed.status, 303, "{}", renamed.body);
    assert!(
        app.s3.root.join("photos/docs/moved.txt").exists()
            && !app.s3.root.join("photos/top.txt").exists()
    );
    let folder = t
        .alice
        .post(
            &format!("{base}/rename"),
            &[("key", "docs/sub/"), ("new_name", "kept")],
        )
        .await;
    assert_eq!(folder.status, 303);
    assert!(app.s3.root.join("photos/docs/kept/b.txt").exists());
    let clash = t
        .alice
        .post(
            &format!("{base}/rename"),
            &[("key", "docs/a.txt"), ("new_name", "moved.txt")],
        )
        .await;
    // B6: a name that is taken goes back to the file's page, beside the field
    assert_eq!(clash.status, 303);
    assert_eq!(
        clash.location(),
        Some(format!("{base}/object?key=docs%2Fa.txt").as_str())
    );
    let page = t.alice.get(clash.location().unwrap()).await;
    assert!(
        page.body
            .contains(r#"value="moved.txt" aria-invalid="true""#)
            && page.body.contains("exists already"),
        "{}",
        page.body
    );
    assert!(
        app.s3.root.join("photos/docs/a.txt").exists(),
        "nothing moved"
    );

    let confirm = t.alice.get(&format!("{base}/delete?key=docs/")).await;
    // docs/a.txt, docs/moved.txt, docs/kept/b.txt (and the docs/new/ marker where the service lists it)
    assert!(
        confirm.body.contains("in it, from the bucket itself"),
        "{}",
        confirm.body
    );
    assert!(
        confirm.body.contains("<strong>3 objects</strong>")
            || confirm.body.contains("<strong>4 objects</strong>"),
        "{}",
        confirm.body
    );
    assert_eq!(
        t.alice
            .post(&format!("{base}/delete"), &[("key", "docs/")])
            .await
            .status,
        303
    );
    let left = t.alice.get(&base).await;
    assert!(left.body.contains("This folder is empty"), "{}", left.body);
    let actions: Vec<String> = sqlx::query_scalar("select distinct action from audit_events where action in ('file_uploaded','folder_created','object_renamed','object_deleted') order by action")
        .fetch_all(&app.db)
        .await
        .unwrap();
    assert_eq!(
        actions,
        [
            "file_uploaded",
            "folder_created",
            "object_deleted",
            "object_renamed"
        ]
    );
}

#[tokio::test]
async fn a_missing_path_and_a_tampered_page_token_are_explained() {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    let base = t.bucket_path(&t.photos);
    let missing = t.alice.get(&format!("{base}?path=no/such/folder/")).await;
    assert_eq!(missing.status, 200);
    assert!(missing.body.contains("This folder is empty"));
    std::fs::write(app.s3.root.join("photos/a.txt"), b"x").unwrap();
    let tampered = t.alice.get(&format!("{base}?token=garbage%00token")).await;
    assert_eq!(tampered.status, 400, "{}", tampered.body);
    assert!(
        tampered.body.contains("This page link is no longer valid"),
        "{}",
        tampered.body
    );
}

#[tokio::test]
async fn an_s3_server_that_stops_answering_gets_a_clear_page_in_time_and_the_app_keeps_working() {
    let app = TestApp::builder()
        .s3_timeout(std::time::Duration::from_secs(2))
        .spawn()
        .await;
    let t = team(&app).await;
    // a server that accepts connections and never answers
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let silent = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    sqlx::query("update buckets set endpoint_url = $1, updated_at = now() where id = $2::uuid")
        .bind(format!("http://{silent}"))
        .bind(&t.photos)
        .execute(&app.db)
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let page = t.alice.get(&t.bucket_path(&t.photos)).await;
    assert_eq!(page.status, 502);
    assert!(page.body.contains("did not answer within"), "{}", page.body);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(15),
        "answered within the timeout, not after a hang"
    );
    assert_eq!(
        t.alice.get(&t.bucket_path(&t.reports)).await.status,
        200,
        "the other bucket still works"
    );
}

#[tokio::test]
async fn on_storage_that_keeps_keys_literally_a_dot_key_downloads_through_the_app() {
    // S3 itself stores "dots/../dotted.txt" as it is; a presigned link to it
    // cannot work (browsers resolve the dots), so the bytes come through
    // bucketdesk. s3s-fs, with its guard off, stands in for such a service:
    // it resolves the key to dotted.txt, which this test does not mind.
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    sqlx::query("update buckets set provider = 'custom'")
        .execute(&app.db)
        .await
        .unwrap();
    app.s3.allow_dot_segments(true);
    std::fs::write(app.s3.root.join("photos/dotted.txt"), b"dotted bytes").unwrap();
    let base = t.bucket_path(&t.photos);
    let page = t
        .alice
        .get(&format!(
            "{base}/download?key={}",
            urlencode("dots/../dotted.txt")
        ))
        .await;
    assert_eq!(page.status, 200, "streamed, not redirected");
    assert!(
        page.header("content-disposition")
            .unwrap()
            .starts_with("attachment;")
    );
    assert_eq!(page.body, "dotted bytes");
}

#[tokio::test]
async fn dot_blank_and_slash_only_keys_are_refused_for_every_write_and_never_reach_another_bucket()
{
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    std::fs::write(app.s3.root.join("reports/secret.txt"), b"reports only").unwrap();
    std::fs::write(app.s3.root.join("photos/a.txt"), b"a").unwrap();
    let base = t.bucket_path(&t.photos);
    t.alice.get(&base).await;
    for (key, words) in [
        ("../reports/secret.txt", ". or .."),
        ("x/../../reports/new.txt", ". or .."),
        ("./a.txt", ". or .."),
        ("   ", "blank"),
        ("/", "only slashes"),
        ("//", "only slashes"),
        ("/etc/passwd", "start with a slash"),
        ("a//b.txt", "two slashes"),
    ] {
        let (status, body) = upload(&t.alice, &base, key, b"overwritten".to_vec(), true).await;
        assert_eq!(status, 400, "{key:?}: {body}");
        assert!(body.contains(words), "{key:?}: {body}");
    }
    let writes: [(&str, Vec<(&str, &str)>); 5] = [
        ("folders", vec![("path", "../reports/"), ("name", "x")]),
        ("folders", vec![("path", "/"), ("name", "x")]),
        (
            "rename",
            vec![("key", "../reports/secret.txt"), ("new_name", "mine.txt")],
        ),
        (
            "rename",
            vec![
                ("key", "a.txt"),
                ("new_name", "a.txt"),
                ("folder", "../reports"),
            ],
        ),
        ("delete", vec![("key", "../reports/secret.txt")]),
    ];
    for (action, form) in writes {
        let mut page = t.alice.post(&format!("{base}/{action}"), &form).await;
        if form.contains(&("folder", "../reports")) {
            // a typed folder is the person's mistake: said beside the field
            assert_eq!(page.status, 303, "{action} {form:?}: {}", page.body);
            page = t.alice.get(page.location().unwrap()).await;
            assert!(page.body.contains("aria-invalid"), "{}", page.body);
        } else {
            assert_eq!(page.status, 400, "{action} {form:?}: {}", page.body);
        }
        assert!(
            page.body.contains(". or ..") || page.body.contains("slash"),
            "{action} {form:?}: {}",
            page.body
        );
    }
    let confirm = t
        .alice
        .get(&format!(
            "{base}/delete?key={}",
            urlencode("../reports/secret.txt")
        ))
        .await;
    assert_eq!(confirm.status, 400);
    assert_eq!(
        std::fs::read(app.s3.root.join("reports/secret.txt")).unwrap(),
        b"reports only",
        "the other bucket is untouched"
    );
    assert!(app.s3.root.join("photos/a.txt").exists());
    assert!(!app.s3.root.join("reports/mine.txt").exists());
}

#[tokio::test]
async fn dot_keys_are_never_read_from_file_system_backed_storage() {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    std::fs::write(app.s3.root.join("reports/secret.txt"), b"reports only").unwrap();
    let base = t.bucket_path(&t.photos);
    let key = urlencode("../reports/secret.txt");
    for path in [
        format!("{base}/download?key={key}"),
        format!("{base}/object?key={key}"),
        format!("{base}/links/new?key={key}"),
    ] {
        let page = t.alice.get(&path).await;
        assert!(page.body.contains("as files"), "{path}: {}", page.body);
        assert!(!page.body.contains("reports only"), "{path}");
        assert_ne!(page.status, 303, "{path}: no link to it");
    }
    t.alice.get(&base).await;
    let link = t
        .alice
        .post(
            &format!("{base}/links"),
            &[("keys", "../reports/secret.txt")],
        )
        .await;
    assert_eq!(link.status, 400, "{}", link.body);
    assert!(link.body.contains("as files"), "{}", link.body);
    assert_eq!(
        sqlx::query_scalar::<_, i64>("select count(*) from links")
            .fetch_one(&app.db)
            .await
            .unwrap(),
        0
    );
}

#[tokio::test]
async fn the_starts_with_filter_and_the_folder_path_are_checked_before_they_reach_s3() {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    let base = t.bucket_path(&t.photos);
    for (query, words) in [
        (
            "starts=a%00b",
            "The &#34;starts with&#34; filter cannot contain control characters",
        ),
        (
            "starts=%E2%80%AEtxt.exe",
            "The &#34;starts with&#34; filter",
        ),
        ("starts=a%0D%0Ab", "The &#34;starts with&#34; filter"),
        (
            "starts=..",
            "The &#34;starts with&#34; filter cannot be . or ..",
        ),
        ("starts=a/b", "cannot contain a slash"),
        ("path=../reports/", "The folder path"),
        ("path=%2F%2F", "The folder path"),
    ] {
        let before = app.s3.request_count();
        let page = t.alice.get(&format!("{base}?{query}")).await;
        assert_eq!(page.status, 400, "{query}: {}", page.body);
        assert!(page.body.contains(words), "{query}: {}", page.body);
        assert!(
            page.body.contains(r#"role="alert""#),
            "shown in place: {query}"
        );
        assert_eq!(app.s3.request_count(), before, "{query} never reached S3");
    }
}

#[tokio::test]
async fn the_upload_check_says_whether_a_name_is_free_before_any_body_is_sent() {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    let base = t.bucket_path(&t.photos);
    t.alice.get(&base).await;
    let token = t.alice.csrf_token().await;
    let check = |key: &str| {
        t.alice
            .client
            .post(format!("{}{base}/upload?key={key}&check=1", t.alice.base))
            .header("x-csrf-token", token.clone())
            .send()
    };
    assert_eq!(check("free.txt").await.unwrap().status(), 204);
    std::fs::write(app.s3.root.join("photos/taken.txt"), b"x").unwrap();
    assert_eq!(check("taken.txt").await.unwrap().status(), 409);
    assert!(
        !app.s3.root.join("photos/free.txt").exists(),
        "a check stores nothing"
    );
}

#[tokio::test]
async fn names_starting_with_include_the_exact_name_and_empty_text_files_preview() {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    let base = t.bucket_path(&t.photos);
    std::fs::create_dir_all(app.s3.root.join("photos/docs")).unwrap();
    for name in ["report", "report.txt", "other.txt"] {
        std::fs::write(app.s3.root.join("photos/docs").join(name), b"").unwrap();
    }
    let page = t
        .alice
        .get(&format!("{base}?path=docs/&starts=report"))
        .await;
    assert!(
        page.body.contains(">report</span>") && page.body.contains(">report.txt</span>"),
        "{}",
        page.body
    );
    assert!(!page.body.contains(">other.txt</span>"));
    let empty = t
        .alice
        .get(&format!("{base}/object?key=docs/report.txt"))
        .await;
    assert_eq!(empty.status, 200, "{}", empty.body);
}

mod share_links {
    //! The right-click share link: a presigned GET, 15 minutes by default.

    use crate::team::{grant, team};
    use bucketdesk_testkit::TestApp;

    #[tokio::test]
    async fn a_share_link_is_a_fifteen_minute_attachment_that_downloads_and_is_audited() {
        let app = TestApp::spawn().await;
        let t = team(&app).await;
        std::fs::write(app.s3.root.join("photos/shared.txt"), b"shared bytes").unwrap();
        grant(&app, &t, "victor@example.com", &t.photos, "viewer").await;
        let victor = app.sign_in_as("victor@example.com").await;
        let base = t.bucket_path(&t.photos);
        victor.get(&base).await;
        let token = victor.csrf_token().await;
        let answer = victor
            .client
            .post(format!("{}{base}/share", victor.base))
            .header("x-csrf-token", token)
            .header("accept", "application/json")
            .form(&[("key", "shared.txt")])
            .send()
            .await
            .unwrap();
        assert_eq!(
            answer.status(),
            200,
            "a Viewer may share what they may download"
        );
        let link: serde_json::Value = answer.json().await.unwrap();
        let url = link["url"].as_str().unwrap();
        assert!(url.contains("X-Amz-Expires=900"), "{url}");
        assert!(
            url.contains("response-content-disposition=attachment"),
            "{url}"
        );
        assert_eq!(link["expires_in"], 900);
        // anyone, without a session, downloads it from the bucket
        let fetched = reqwest::get(url).await.unwrap();
        assert_eq!(fetched.status(), 200);
        assert_eq!(fetched.bytes().await.unwrap().as_ref(), b"shared bytes");
        let events: i64 = sqlx::query_scalar(
            "select count(*) from audit_events where action = 'share_link_created'",
        )
        .fetch_one(&app.db)
        .await
        .unwrap();
        assert_eq!(events, 1);
    }

    #[tokio::test]
    async fn share_links_made_at_once_are_each_on_record_before_they_are_handed_out() {
        // audit events of requests that arrive together are written in one
        // batch: each request must still wait until its own is committed
        let app = TestApp::spawn().await;
        let t = team(&app).await;
        let base = t.bucket_path(&t.photos);
        t.alice.get(&base).await;
        let token = t.alice.csrf_token().await;
        let requests = (0..40).map(|i| {
            let (alice, base, token, db) = (&t.alice, &base, &token, &app.db);
            async move {
                let key = format!("batch/file-{i}.txt");
                let answer = alice
                    .client
                    .post(format!("{}{base}/share", alice.base))
                    .header("x-csrf-token", token)
                    .header("accept", "application/json")
                    .form(&[("key", key.as_str())])
                    .send()
                    .await
                    .unwrap();
                assert_eq!(answer.status(), 200);
                let recorded: i64 = sqlx::query_scalar(
                    "select count(*) from audit_events
                     where action = 'share_link_created' and details->>'key' = $1
                       and actor_email = 'alice@example.com' and ip is not null",
                )
                .bind(&key)
                .fetch_one(db)
                .await
                .unwrap();
                assert_eq!(recorded, 1, "{key} is on record once its link is out");
            }
        });
        futures::future::join_all(requests).await;
        let events: i64 = sqlx::query_scalar(
            "select count(*) from audit_events where action = 'share_link_created'",
        )
        .fetch_one(&app.db)
        .await
        .unwrap();
        assert_eq!(events, 40);
    }

    #[tokio::test]
    async fn a_share_link_is_refused_by_the_bucket_once_expired() {
        let app = TestApp::spawn().await;
        let t = team(&app).await;
        std::fs::write(app.s3.root.join("photos/brief.txt"), b"brief").unwrap();
        let base = t.bucket_path(&t.photos);
        t.alice.get(&base).await;
        let page = t
            .alice
            .post(
                &format!("{base}/share"),
                &[("key", "brief.txt"), ("expires", "3")],
            )
            .await;
        assert_eq!(page.status, 200);
        let start = page.body.find("http://").unwrap();
        let end = start + page.body[start..].find('<').unwrap();
        let url = page.body[start..end].replace("&#38;", "&");
        assert!(url.contains("X-Amz-Expires=3&"), "{url}");
        let fresh = reqwest::get(&url).await.unwrap();
        assert_eq!(fresh.status(), 200, "works while fresh");
        // S3 counts whole seconds from the signing time: wait past it
        tokio::time::sleep(std::time::Duration::from_millis(4500)).await;
        let expired = reqwest::get(&url).await.unwrap();
        assert_eq!(
            expired.status(),
            403,
            "the signature-verifying server refuses it"
        );
    }

    #[tokio::test]
    async fn the_form_shows_the_link_and_bad_lifetimes_get_a_clear_message() {
        let app = TestApp::spawn().await;
        let t = team(&app).await;
        std::fs::write(app.s3.root.join("photos/a.txt"), b"x").unwrap();
        let base = t.bucket_path(&t.photos);
        t.alice.get(&base).await;
        let page = t
            .alice
            .post(
                &format!("{base}/share"),
                &[("key", "a.txt"), ("expires", "86400")],
            )
            .await;
        assert_eq!(page.status, 200);
        assert!(
            page.body.contains("X-Amz-Expires=86400")
                && page.body.contains("It cannot be taken back"),
            "{}",
            page.body
        );
        for bad in ["0", "-5", "604801", "never"] {
            let refused = t
                .alice
                .post(
                    &format!("{base}/share"),
                    &[("key", "a.txt"), ("expires", bad)],
                )
                .await;
            assert_eq!(refused.status, 400, "{bad}");
            assert!(
                refused.body.contains("from 1 second to 7 days"),
                "{bad}: {}",
                refused.body
            );
        }
        let dotted = t
            .alice
            .post(&format!("{base}/share"), &[("key", "a/../a.txt")])
            .await;
        assert_eq!(dotted.status, 400);
    }
}

#[tokio::test]
async fn a_files_page_names_each_folder_above_it_and_says_a_small_size_once() {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    let base = t.bucket_path(&t.photos);
    std::fs::create_dir_all(app.s3.root.join("photos/docs/2026")).unwrap();
    std::fs::write(app.s3.root.join("photos/top.txt"), vec![b'x'; 480]).unwrap();
    std::fs::write(
        app.s3.root.join("photos/docs/2026/plan.txt"),
        vec![b'x'; 4800],
    )
    .unwrap();

    let top = t.alice.get(&format!("{base}/object?key=top.txt")).await;
    assert!(top.body.contains("<dd>480 bytes</dd>"), "B16: {}", top.body);
    assert!(!top.body.contains("(480 bytes)"), "B16");
    let crumbs = |page: &bucketdesk_testkit::Page| {
        let start = page.body.find("<nav class=\"crumbs\"").unwrap();
        let end = page.body[start..].find("</nav>").unwrap() + start;
        page.body[start..end].to_owned()
    };
    let at_top = crumbs(&top);
    assert!(!at_top.contains(">/<"), "B17: no bare / in {at_top}");
    assert!(at_top.ends_with("<span>top.txt</span>"), "{at_top}");

    let nested = t
        .alice
        .get(&format!("{base}/object?key=docs%2F2026%2Fplan.txt"))
        .await;
    assert!(
        nested.body.contains("<dd>4.8 KB (4800 bytes)</dd>"),
        "{}",
        nested.body
    );
    let trail = crumbs(&nested);
    for (name, path) in [("docs", "docs%2F"), ("2026", "docs%2F2026%2F")] {
        assert!(
            trail.contains(&format!(r#"<a href="{base}?path={path}">{name}</a>"#)),
            "B17: {name} opens {path}: {trail}"
        );
    }
}

#[tokio::test]
async fn csv_shows_as_a_table_and_markdown_as_a_page_without_html_of_its_own() {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    let base = t.bucket_path(&t.photos);
    std::fs::write(
        app.s3.root.join("photos/clients.csv"),
        "name,city\n\"Acme, Inc.\",Lyon\nGlobex,Oslo\n",
    )
    .unwrap();
    std::fs::write(
        app.s3.root.join("photos/README.md"),
        "# Hello\n\n<script>alert(1)</script>\n\n[run](javascript:alert(1)) [docs](https://example.com)\n",
    )
    .unwrap();

    let csv = t.alice.get(&format!("{base}/object?key=clients.csv")).await;
    assert!(
        csv.body.contains(r#"<table class="csv-table">"#)
            && csv
                .body
                .contains(r#"<th scope="col">name</th><th scope="col">city</th>"#)
            && csv.body.contains("<td>Acme, Inc.</td><td>Lyon</td>"),
        "{}",
        csv.body
    );
    let md = t.alice.get(&format!("{base}/object?key=README.md")).await;
    assert!(
        md.body.contains(r#"as a page"><h1>Hello</h1>"#),
        "{}",
        md.body
    );
    assert!(
        md.body.contains(r#"href="https://example.com""#),
        "{}",
        md.body
    );
    let page = md.body.split("<details>").next().unwrap();
    assert!(
        !page.contains("<script>alert"),
        "no HTML of its own: {page}"
    );
    assert!(!page.contains("javascript:"), "no script links: {page}");
}

#[tokio::test]
async fn the_selection_moves_files_and_folders_and_is_deleted_after_one_confirmation() {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    let base = t.bucket_path(&t.photos);
    let root = app.s3.root.join("photos");
    std::fs::create_dir_all(root.join("trip/day1")).unwrap();
    std::fs::create_dir_all(root.join("archive")).unwrap();
    std::fs::write(root.join("a.txt"), "a").unwrap();
    std::fs::write(root.join("trip/day1/1.jpg"), "1").unwrap();
    std::fs::write(root.join("archive/keep.txt"), "k").unwrap();
    // the bar's move: a file and a folder with what is in it
    t.alice.get(&base).await;
    let moved = t
        .alice
        .post(
            &format!("{base}/move"),
            &[
                ("keys", "a.txt"),
                ("keys", "trip/"),
                ("folder", "archive"),
                ("path", ""),
            ],
        )
        .await;
    assert_eq!(moved.status, 303, "{}", moved.body);
    assert_eq!(
        moved.location(),
        Some(format!("{base}?path=&done=moved").as_str())
    );
    assert!(root.join("archive/a.txt").exists() && root.join("archive/trip/day1/1.jpg").exists());
    assert!(!root.join("a.txt").exists() && !root.join("trip/day1/1.jpg").exists());

    // a name taken there: said beside the selection's buttons, nothing moved
    std::fs::write(root.join("keep.txt"), "other").unwrap();
    let clash = t
        .alice
        .post(
            &format!("{base}/move"),
            &[("keys", "keep.txt"), ("folder", "archive/"), ("path", "")],
        )
        .await;
    assert_eq!(clash.status, 303);
    let page = t.alice.get(clash.location().unwrap()).await;
    assert!(
        page.body
            .contains("role=\"alert\">&#34;archive/keep.txt&#34; exists already"),
        "{}",
        page.body
    );
    assert!(root.join("keep.txt").exists());

    // nothing ticked: said in place too
    let nothing = t
        .alice
        .post(&format!("{base}/delete/confirm"), &[("path", "archive/")])
        .await;
    assert_eq!(nothing.status, 303);
    let page = t.alice.get(nothing.location().unwrap()).await;
    assert!(
        page.body
            .contains("Tick the files and folders to delete first.")
    );

    // delete: one confirmation that counts what goes, then one post
    let confirm = t
        .alice
        .post(
            &format!("{base}/delete/confirm"),
            &[
                ("keys", "archive/trip/"),
                ("keys", "archive/a.txt"),
                ("path", "archive/"),
            ],
        )
        .await;
    assert_eq!(confirm.status, 200);
    assert!(
        confirm.body.contains("Delete 2 selected items?")
            && confirm.body.contains(
                "<strong>2 objects</strong> (everything in the selected folders included)"
            ),
        "{}",
        confirm.body
    );
    let deleted = t
        .alice
        .post(
            &format!("{base}/delete"),
            &[("key", "archive/trip/"), ("key", "archive/a.txt")],
        )
        .await;
    assert_eq!(deleted.status, 303);
    assert_eq!(
        deleted.location(),
        Some(format!("{base}?path=archive%2F&done=deleted").as_str())
    );
    assert!(!root.join("archive/a.txt").exists() && !root.join("archive/trip/day1/1.jpg").exists());
    assert!(
        root.join("archive/keep.txt").exists(),
        "what was not selected stays"
    );

    // a folder's Rename opens its own form; a taken name comes back beside it
    std::fs::create_dir_all(root.join("old")).unwrap();
    std::fs::write(root.join("old/x.txt"), "x").unwrap();
    std::fs::write(root.join("archive/x.txt"), "taken").unwrap();
    let form = t.alice.get(&format!("{base}/rename?key=old/")).await;
    assert!(
        form.body.contains("Rename or move the folder “old”"),
        "{}",
        form.body
    );
    let taken = t
        .alice
        .post(
            &format!("{base}/rename"),
            &[("key", "old/"), ("new_name", "archive")],
        )
        .await;
    assert_eq!(
        taken.location(),
        Some(format!("{base}/rename?key=old%2F").as_str())
    );
    let again = t.alice.get(taken.location().unwrap()).await;
    assert!(
        again
            .body
            .contains(r#"value="archive" aria-invalid="true""#),
        "{}",
        again.body
    );
}

#[tokio::test]
async fn image_files_get_thumbnails_made_by_the_server_and_kept_by_the_browser() {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    let base = t.bucket_path(&t.photos);
    let root = app.s3.root.join("photos/pics");
    std::fs::create_dir_all(&root).unwrap();
    let photo = image::RgbImage::from_fn(1600, 1200, |x, y| {
        image::Rgb([(x / 7) as u8, (y / 5) as u8, 90])
    });
    photo.save(root.join("cat.jpg")).unwrap();
    std::fs::write(root.join("notes.txt"), "not a picture").unwrap();
    std::fs::write(root.join("broken.png"), "not a png either").unwrap();

    let listing = t.alice.get(&format!("{base}?path=pics/")).await;
    assert!(
        listing
            .body
            .contains(&format!("src=\"{base}/thumbnail?key=pics%2Fcat.jpg&#38;v=")),
        "{}",
        listing.body
    );
    assert!(
        listing
            .body
            .contains(r#"width="160" height="160" loading="lazy""#),
        "a thumbnail's box is sized before it arrives (no layout shift)"
    );
    assert!(
        !listing.body.contains("thumbnail?key=pics%2Fnotes.txt"),
        "no thumbnail for text"
    );

    let url = format!("{}{base}/thumbnail?key=pics%2Fcat.jpg&v=1", t.alice.base);
    let answer = t.alice.client.get(&url).send().await.unwrap();
    assert_eq!(answer.status(), 200);
    assert_eq!(answer.headers()["content-type"], "image/jpeg");
    assert_eq!(answer.headers()["cache-control"], "private, max-age=86400");
    let small = image::load_from_memory(&answer.bytes().await.unwrap()).unwrap();
    assert_eq!((small.width(), small.height()), (320, 240));
    assert!(
        std::fs::read_dir(&root).unwrap().count() == 3,
        "nothing is written into the bucket"
    );

    for key in ["pics%2Fnotes.txt", "pics%2Fbroken.png"] {
        let url = format!("{}{base}/thumbnail?key={key}", t.alice.base);
        let answer = t.alice.client.get(&url).send().await.unwrap();
        assert_eq!(
            answer.status(),
            422,
            "{key}: the page keeps the file's icon"
        );
    }
}

#[tokio::test]
async fn a_folder_of_300_objects_moves_with_one_copy_each_and_no_head_per_object() {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    let folder = app.s3.root.join("photos/shoot/raw");
    std::fs::create_dir_all(&folder).unwrap();
    for i in 0..300 {
        std::fs::write(folder.join(format!("img-{i:03}.jpg")), format!("{i}")).unwrap();
    }
    std::fs::create_dir_all(app.s3.root.join("photos/archive")).unwrap();
    std::fs::write(app.s3.root.join("photos/archive/other.txt"), b"other").unwrap();
    let base = t.bucket_path(&t.photos);
    t.alice.get(&base).await;
    let before = app.s3.request_count();
    let moved = t
        .alice
        .post(
            &format!("{base}/rename"),
            &[
                ("key", "shoot/"),
                ("new_name", "shoot"),
                ("folder", "archive/"),
            ],
        )
        .await;
    assert_eq!(moved.status, 303, "{}", moved.body);
    let requests = app.s3.request_count() - before;
    // a listing of the folder and one of the target, 300 copies, one batch delete
    assert!(
        requests <= 300 + 5,
        "{requests} S3 requests to move 300 objects"
    );
    assert_eq!(
        std::fs::read_to_string(app.s3.root.join("photos/archive/shoot/raw/img-299.jpg")).unwrap(),
        "299"
    );
    assert!(!app.s3.root.join("photos/shoot/raw/img-000.jpg").exists());
    assert!(
        app.s3.root.join("photos/archive/other.txt").exists(),
        "the target's other files stay"
    );
}

#[tokio::test]
async fn moving_two_files_of_one_name_into_one_folder_is_refused_and_moves_nothing() {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    for path in ["photos/a/x.txt", "photos/b/x.txt"] {
        let path = app.s3.root.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, path.to_string_lossy().as_bytes()).unwrap();
    }
    let base = t.bucket_path(&t.photos);
    t.alice.get(&base).await;
    let moved = t
        .alice
        .post(
            &format!("{base}/move"),
            &[
                ("path", ""),
                ("keys", "a/x.txt"),
                ("keys", "b/x.txt"),
                ("folder", "c/"),
            ],
        )
        .await;
    assert_eq!(moved.status, 303);
    let page = t.alice.get(moved.location().unwrap()).await;
    assert!(
        page.body.contains("would both become"),
        "said beside the selection"
    );
    assert!(
        app.s3.root.join("photos/a/x.txt").exists() && app.s3.root.join("photos/b/x.txt").exists()
    );
    assert!(!app.s3.root.join("photos/c/x.txt").exists());
}

#[tokio::test]
async fn a_folder_move_followed_by_the_page_reports_its_copies_then_the_page_to_open() {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    let folder = app.s3.root.join("photos/shoot");
    std::fs::create_dir_all(&folder).unwrap();
    for i in 0..300 {
        std::fs::write(folder.join(format!("img-{i:03}.jpg")), format!("{i}")).unwrap();
    }
    let base = t.bucket_path(&t.photos);
    t.alice.get(&base).await;
    let csrf = t.alice.csrf_token().await;
    let followed = t
        .alice
        .post_raw(
            &format!("{base}/rename"),
            &[
                ("csrf_token", &csrf),
                ("key", "shoot/"),
                ("new_name", "shoot"),
                ("folder", "archive/"),
            ],
            &[("accept", "application/x-ndjson")],
        )
        .await;
    assert_eq!(followed.status, 200, "{}", followed.body);
    assert_eq!(
        followed.header("content-type"),
        Some("application/x-ndjson")
    );
    let lines: Vec<serde_json::Value> = followed
        .body
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let (last, steps) = lines.split_last().unwrap();
    assert!(!steps.is_empty(), "{lines:?}");
    assert!(steps.iter().all(|s| s["total"] == 300), "{steps:?}");
    let copied: Vec<u64> = steps
        .iter()
        .map(|s| s["copied"].as_u64().unwrap())
        .collect();
    assert!(copied.windows(2).all(|w| w[0] <= w[1]), "{copied:?}");
    assert_eq!(copied.last(), Some(&300), "the last step counts every copy");
    assert_eq!(
        last["done"],
        format!("{base}?path=archive%2F&done=renamed"),
        "then the page to open"
    );
    assert!(
        app.s3
            .root
            .join("photos/archive/shoot/img-299.jpg")
            .exists()
    );
    assert!(!app.s3.root.join("photos/shoot/img-000.jpg").exists());

    // a move refused before anything moved leads back to the folder, which says why
    std::fs::write(app.s3.root.join("photos/img-001.jpg"), b"taken").unwrap();
    let refused = t
        .alice
        .post_raw(
            &format!("{base}/move"),
            &[
                ("csrf_token", &csrf),
                ("path", "archive/"),
                ("keys", "archive/shoot/img-001.jpg"),
                ("folder", ""),
            ],
            &[("accept", "application/x-ndjson")],
        )
        .await;
    let line: serde_json::Value =
        serde_json::from_str(refused.body.lines().last().unwrap()).unwrap();
    let back = line["done"].as_str().unwrap();
    assert_eq!(back, format!("{base}?path=archive%2F"));
    assert!(t.alice.get(back).await.body.contains("exists already"));
    assert!(
        app.s3
            .root
            .join("photos/archive/shoot/img-001.jpg")
            .exists()
    );
}
