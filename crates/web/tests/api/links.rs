//! Revocable links: `/s/{token}` download links (a file, a set, a folder) and
//! `/u/{token}` upload links. Each visit is checked, counted exactly, recorded
//! and handed a fresh 15-minute presigned URL; links die when revoked,
//! expired, used up, or when their creator or bucket goes.

use crate::team::{Team, grant, team};
use bucketdesk_testkit::{Browser, Page, TestApp};
use sha2::{Digest, Sha256};

/// Makes a download link through the form; returns (link id, full address).
async fn make_link(
    browser: &Browser,
    team: &Team,
    bucket: &str,
    fields: &[(&str, &str)],
) -> (String, String) {
    let base = team.bucket_path(bucket);
    browser.get(&format!("{base}/links/new")).await;
    let made = browser.post(&format!("{base}/links"), fields).await;
    assert_eq!(made.status, 303, "{}", made.body);
    let page_path = made.location().unwrap().to_owned();
    assert!(page_path.ends_with("?done=created"), "{page_path}");
    let page = browser.get(&page_path).await;
    assert_eq!(page.status, 200);
    let id = page_path
        .trim_end_matches("?done=created")
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    (id, address_on(&page))
}

/// Makes a link with the form at `action` (`{bucket}/links` or
/// `{bucket}/upload-links`); returns its `/s/…` or `/u/…` path.
pub(crate) async fn made_link_path(
    browser: &Browser,
    action: &str,
    fields: &[(&str, &str)],
) -> String {
    let made = browser.post(action, fields).await;
    assert_eq!(made.status, 303, "{}", made.body);
    let page = browser.get(made.location().unwrap()).await;
    path_of(&address_on(&page))
}

/// The link address a link's page shows for copying.
fn address_on(page: &Page) -> String {
    let marker = r#"readonly value=""#;
    let start = page.body.find(marker).expect("an address on the page") + marker.len();
    let end = page.body[start..].find('"').unwrap();
    page.body[start..start + end].to_owned()
}

/// `/s/{token}` from a full address.
fn path_of(address: &str) -> String {
    let start = address.find("/s/").or_else(|| address.find("/u/")).unwrap();
    address[start..].to_owned()
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(&app.db).await.unwrap()
}

/// Follows one download: the answer must redirect to a 15-minute presigned
/// URL, which must serve `expected`.
async fn download_ok(visitor: &Browser, path: &str, expected: &[u8]) {
    let answer = visitor.get(&format!("{path}/download")).await;
    assert_eq!(answer.status, 303, "{}", answer.body);
    let url = answer.location().unwrap();
    assert!(url.contains("X-Amz-Expires=900"), "{url}");
    assert!(
        url.contains("response-content-disposition=attachment"),
        "{url}"
    );
    let fetched = reqwest::get(url).await.unwrap();
    assert_eq!(fetched.status(), 200);
    assert_eq!(fetched.bytes().await.unwrap().as_ref(), expected);
}

#[tokio::test]
async fn a_link_with_a_password_and_a_limit_of_two_downloads_twice_and_records_both_visits() {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    std::fs::write(app.s3.root.join("photos/report.txt"), b"quarterly numbers").unwrap();
    let (id, address) = make_link(
        &t.alice,
        &t,
        &t.photos,
        &[
            ("keys", "report.txt"),
            ("password", "correct horse"),
            ("max_downloads", "2"),
            ("note", "For the auditors"),
        ],
    )
    .await;
    assert!(address.starts_with(&app.url), "{address}");
    let path = path_of(&address);

    let visitor = app.browser();
    let locked = visitor.get(&path).await;
    assert_eq!(locked.status, 200);
    assert!(locked.body.contains("needs a password"), "{}", locked.body);
    assert!(
        !locked.body.contains("report.txt"),
        "nothing shown before the password"
    );
    assert_eq!(visitor.get(&format!("{path}/download")).await.status, 303);
    assert_eq!(
        count(&app, "select downloads::int8 from links").await,
        0,
        "no download before the password"
    );

    let wrong = visitor
        .post(&format!("{path}/unlock"), &[("password", "wrong horse")])
        .await;
    assert_eq!(wrong.status, 403);
    assert!(wrong.body.contains("not right"), "{}", wrong.body);
    let right = visitor
        .post(&format!("{path}/unlock"), &[("password", "correct horse")])
        .await;
    assert_eq!(right.status, 303);
    assert_eq!(right.location(), Some(path.as_str()));

    let page = visitor.get(&path).await;
    assert_eq!(page.status, 200);
    for shown in [
        "report.txt",
        "17 bytes",
        "For the auditors",
        "2 more downloads",
    ] {
        assert!(page.body.contains(shown), "{shown}: {}", page.body);
    }
    // nothing about the bucket, its name, endpoint or keys
    for hidden in [
        "photos",
        "Photos",
        &app.s3.endpoint(),
        bucketdesk_testkit::S3_ACCESS_KEY,
    ] {
        assert!(
            !page.body.contains(hidden),
            "{hidden} leaked: {}",
            page.body
        );
    }

    download_ok(&visitor, &path, b"quarterly numbers").await;
    download_ok(&visitor, &path, b"quarterly numbers").await;
    let third = visitor.get(&format!("{path}/download")).await;
    assert_eq!(third.status, 410);
    assert!(
        third.body.contains("used as many times as it allows"),
        "{}",
        third.body
    );
    assert_eq!(visitor.get(&path).await.status, 410);

    // both visits are in the audit log, with address and browser
    let visits = bucketdesk_db::audit::with_action(&app.db, "link_downloaded")
        .await
        .unwrap();
    assert_eq!(visits.len(), 2);
    for visit in &visits {
        assert_eq!(visit.ip.as_deref(), Some("127.0.0.1"));
        assert_eq!(visit.user_agent.as_deref(), Some("bucketdesk-tests"));
        assert_eq!(visit.details["link"], id.as_str());
        assert_eq!(visit.details["key"], "report.txt");
    }
    let audit = t.alice.get(&format!("/w/{}/audit", t.workspace)).await;
    // (the person column of each visit; the action also names them)
    assert_eq!(
        audit.body.matches("Someone with a link").count(),
        2,
        "{}",
        audit.body
    );
    assert!(audit.body.contains("Downloaded through a link"));
    assert!(audit.body.contains("Made a revocable link"));

    // the links page and the link's page say what happened
    let links = t.alice.get(&format!("/w/{}/links", t.workspace)).await;
    assert!(links.body.contains("2 of 2 downloads"), "{}", links.body);
    assert!(links.body.contains("Used up"));
    let detail = t.alice.get(&format!("/w/{}/links/{id}", t.workspace)).await;
    assert_eq!(detail.body.matches("Downloaded through a link").count(), 2);
}

#[tokio::test]
async fn revoking_a_link_refuses_the_next_visit_at_once_with_410() {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    std::fs::write(app.s3.root.join("photos/a.txt"), b"a").unwrap();
    let (id, address) = make_link(&t.alice, &t, &t.photos, &[("keys", "a.txt")]).await;
    let path = path_of(&address);
    let visitor = app.browser();
    assert_eq!(visitor.get(&path).await.status, 200);
    download_ok(&visitor, &path, b"a").await;

    let revoked = t
        .alice
        .post(&format!("/w/{}/links/{id}/revoke", t.workspace), &[])
        .await;
    assert_eq!(revoked.status, 303);
    let page = visitor.get(&path).await;
    assert_eq!(page.status, 410);
    assert!(page.body.contains("revoked"), "{}", page.body);
    assert_eq!(visitor.get(&format!("{path}/download")).await.status, 410);
    assert_eq!(
        count(
            &app,
            "select count(*) from audit_events where action = 'link_revoked'"
        )
        .await,
        1
    );
    // a revoked link cannot be brought back by extending it
    let extend = t
        .alice
        .post(
            &format!("/w/{}/links/{id}/extend", t.workspace),
            &[("expires", "3600")],
        )
        .await;
    assert_eq!(extend.status, 400);
    assert_eq!(visitor.get(&path).await.status, 410);
}

#[tokio::test]
async fn an_expired_link_is_refused_until_extended() {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    std::fs::write(app.s3.root.join("photos/a.txt"), b"a").unwrap();
    let (id, address) = make_link(
        &t.alice,
        &t,
        &t.photos,
        &[("keys", "a.txt"), ("expires", "3600")],
    )
    .await;
    let seconds = count(
        &app,
        "select extract(epoch from expires_at - created_at)::int8 from links",
    )
    .await;
    assert!((3599..=3601).contains(&seconds), "{seconds}");
    let path = path_of(&address);
    sqlx::query("update links set expires_at = now() - interval '1 second'")
        .execute(&app.db)
        .await
        .unwrap();
    let visitor = app.browser();
    let page = visitor.get(&path).await;
    assert_eq!(page.status, 410);
    assert!(page.body.contains("expired"), "{}", page.body);
    assert_eq!(visitor.get(&format!("{path}/download")).await.status, 410);

    let extended = t
        .alice
        .post(
            &format!("/w/{}/links/{id}/extend", t.workspace),
            &[("expires", "86400")],
        )
        .await;
    assert_eq!(extended.status, 303);
    download_ok(&visitor, &path, b"a").await;
}

#[tokio::test]
async fn a_link_dies_when_its_creator_leaves_the_bucket_or_the_bucket_is_disconnected() {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    std::fs::write(app.s3.root.join("photos/a.txt"), b"a").unwrap();
    grant(&app, &t, "victor@example.com", &t.photos, "viewer").await;
    let victor = app.sign_in_as("victor@example.com").await;
    let (_, victors) = make_link(&victor, &t, &t.photos, &[("keys", "a.txt")]).await;
    let (_, alices) = make_link(&t.alice, &t, &t.photos, &[("keys", "a.txt")]).await;
    let visitor = app.browser();
    download_ok(&visitor, &path_of(&victors), b"a").await;

    // Victor is removed from the workspace: his link dies, Alice's lives
    let victor_id = crate::team::user_id(&app, "victor@example.com").await;
    let removed = t
        .alice
        .post(
            &format!("/w/{}/members/{victor_id}/remove", t.workspace),
            &[],
        )
        .await;
    assert_eq!(removed.status, 303);
    let dead = visitor
        .get(&format!("{}/download", path_of(&victors)))
        .await;
    assert_eq!(dead.status, 410);
    assert!(dead.body.contains("no longer works"), "{}", dead.body);
    assert_eq!(visitor.get(&path_of(&victors)).await.status, 410);
    download_ok(&visitor, &path_of(&alices), b"a").await;

    // the bucket is disconnected: every link to it dies
    let base = t.bucket_path(&t.photos);
    t.alice.get(&format!("{base}/settings")).await;
    assert_eq!(
        t.alice
            .post(&format!("{base}/disconnect"), &[])
            .await
            .status,
        303
    );
    assert_eq!(visitor.get(&path_of(&alices)).await.status, 410);
    assert_eq!(
        visitor
            .get(&format!("{}/download", path_of(&alices)))
            .await
            .status,
        410
    );
    // and Alice still sees it on her links page, as no longer working
    let links = t.alice.get(&format!("/w/{}/links", t.workspace)).await;
    assert!(links.body.contains("No longer works"), "{}", links.body);
}

#[tokio::test]
async fn fifty_concurrent_downloads_against_a_limit_of_ten_give_exactly_ten_redirects() {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    std::fs::write(app.s3.root.join("photos/a.txt"), b"a").unwrap();
    let (_, address) = make_link(
        &t.alice,
        &t,
        &t.photos,
        &[("keys", "a.txt"), ("max_downloads", "10")],
    )
    .await;
    let url = format!("{address}/download");
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let visits = (0..50).map(|_| {
        let (client, url) = (client.clone(), url.clone());
        async move { client.get(url).send().await.unwrap().status().as_u16() }
    });
    let statuses = futures::future::join_all(visits).await;
    assert_eq!(
        statuses.iter().filter(|s| **s == 303).count(),
        10,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 410).count(),
        40,
        "{statuses:?}"
    );
    assert_eq!(count(&app, "select downloads::int8 from links").await, 10);
    assert_eq!(
        count(
            &app,
            "select count(*) from audit_events where action = 'link_downloaded'"
        )
        .await,
        10
    );
}

#[tokio::test]
async fn a_wrong_password_hammered_100_times_is_rate_limited_with_a_clear_page() {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    std::fs::write(app.s3.root.join("photos/a.txt"), b"a").unwrap();
    let (_, address) = make_link(
        &t.alice,
        &t,
        &t.photos,
        &[("keys", "a.txt"), ("password", "the right one")],
    )
    .await;
    let path = path_of(&address);
    let attacker = app.browser();
    attacker.get(&path).await;
    let mut statuses = Vec::new();
    for n in 0..100 {
        let answer = attacker
            .post(
                &format!("{path}/unlock"),
                &[("password", &format!("guess {n}"))],
            )
            .await;
        statuses.push(answer.status);
        if answer.status == 429 {
            assert!(
                answer.body.contains("Too many wrong passwords"),
                "{}",
                answer.body
            );
        }
    }
    assert!(statuses[..10].iter().all(|s| *s == 403), "{statuses:?}");
    assert!(statuses[10..].iter().all(|s| *s == 429), "{statuses:?}");
    // while limited, even the right password waits
    let right = attacker
        .post(&format!("{path}/unlock"), &[("password", "the right one")])
        .await;
    assert_eq!(right.status, 429);
    assert_eq!(
        count(&app, "select count(*) from link_password_failures").await,
        10
    );
    // the limit is on record once, with who hit it, not once per refusal
    let limited = bucketdesk_db::audit::with_action(&app.db, "link_password_limited")
        .await
        .unwrap();
    assert_eq!(limited.len(), 1, "{limited:?}");
    assert_eq!(limited[0].ip.as_deref(), Some("127.0.0.1"));
    assert_eq!(limited[0].details["whose"], "visitor");
    let link_id: uuid::Uuid = sqlx::query_scalar("select id from links")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(limited[0].details["link"], link_id.to_string());
}

#[tokio::test]
async fn guesses_sent_all_at_once_cannot_slip_under_the_password_limit() {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    std::fs::write(app.s3.root.join("photos/a.txt"), b"a").unwrap();
    let (_, address) = make_link(
        &t.alice,
        &t,
        &t.photos,
        &[("keys", "a.txt"), ("password", "the right one")],
    )
    .await;
    let path = path_of(&address);
    let attacker = app.browser();
    attacker.get(&path).await;
    let token = attacker.csrf_token().await;
    let guesses = (0..40).map(|n| {
        let (attacker, path, token) = (&attacker, &path, &token);
        async move {
            let guess = format!("guess {n}");
            attacker
                .post_raw(
                    &format!("{path}/unlock"),
                    &[("csrf_token", token.as_str()), ("password", guess.as_str())],
                    &[],
                )
                .await
                .status
        }
    });
    let statuses = futures::future::join_all(guesses).await;
    assert_eq!(
        statuses.iter().filter(|s| **s == 403).count(),
        10,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 429).count(),
        30,
        "{statuses:?}"
    );
}

#[tokio::test]
async fn bad_tokens_and_bad_settings_get_clear_messages_never_a_500() {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    std::fs::write(app.s3.root.join("photos/a.txt"), b"a").unwrap();
    let (_, address) = make_link(&t.alice, &t, &t.photos, &[("keys", "a.txt")]).await;
    let path = path_of(&address);
    let visitor = app.browser();
    let unknown = format!("/s/{}", "A".repeat(43));
    for bad in [
        unknown.clone(),
        path[..path.len() - 1].to_owned(),
        format!("{path}x"),
        "/s/short".to_owned(),
        format!("{unknown}/download"),
        format!("/u/{}", &path[3..]),
    ] {
        let page = visitor.get(&bad).await;
        assert_eq!(page.status, 404, "{bad}");
        assert!(
            page.body.contains("This link does not exist"),
            "{bad}: {}",
            page.body
        );
    }
    let not_in_link = visitor.get(&format!("{path}/download?key=other.txt")).await;
    assert_eq!(not_in_link.status, 400);

    let base = t.bucket_path(&t.photos);
    for (fields, message) in [
        (
            vec![("keys", "a.txt"), ("expires", "0")],
            "from 1 second to 90 days",
        ),
        (
            vec![("keys", "a.txt"), ("expires", "-60")],
            "from 1 second to 90 days",
        ),
        (
            vec![("keys", "a.txt"), ("expires", "7776001")],
            "from 1 second to 90 days",
        ),
        (
            vec![("keys", "a.txt"), ("expires", "soon")],
            "from 1 second to 90 days",
        ),
        (
            vec![("keys", "a.txt"), ("max_downloads", "0")],
            "The download limit must be a whole number of 1 or more",
        ),
        (
            vec![("keys", "a.txt"), ("max_downloads", "-1")],
            "The download limit must be",
        ),
        (
            vec![("keys", "a.txt"), ("password", "abc")],
            "at least 6 characters",
        ),
        (vec![], "Choose at least one file"),
        (
            vec![("keys", "a.txt"), ("folder", "docs/")],
            "either files or one folder",
        ),
        (vec![("keys", "bad\u{1}key")], "control characters"),
    ] {
        let refused = t.alice.post(&format!("{base}/links"), &fields).await;
        assert_eq!(refused.status, 400, "{fields:?}");
        assert!(
            refused.body.contains(message),
            "{fields:?}: {}",
            refused.body
        );
    }
    assert_eq!(count(&app, "select count(*) from links").await, 1);
}

#[tokio::test]
async fn tokens_are_256_random_bits_stored_only_hashed_and_sealed() {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    std::fs::write(app.s3.root.join("photos/a.txt"), b"a").unwrap();
    let (_, first) = make_link(&t.alice, &t, &t.photos, &[("keys", "a.txt")]).await;
    let (_, second) = make_link(&t.alice, &t, &t.photos, &[("keys", "a.txt")]).await;
    let token = path_of(&first)[3..].to_owned();
    assert_eq!(token.len(), 43, "32 random bytes, base64url");
    assert_ne!(first, second);
    let hash: Vec<u8> =
        sqlx::query_scalar("select token_hash from links order by created_at limit 1")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(hash, Sha256::digest(token.as_bytes()).to_vec());
    let rows: Vec<String> = sqlx::query_scalar("select row_to_json(l)::text from links l")
        .fetch_all(&app.db)
        .await
        .unwrap();
    for row in rows {
        assert!(!row.contains(&token), "the token is stored readable: {row}");
    }
    let events: Vec<String> = sqlx::query_scalar("select row_to_json(e)::text from audit_events e")
        .fetch_all(&app.db)
        .await
        .unwrap();
    assert!(
        events.iter().all(|e| !e.contains(&token)),
        "the token is in the audit log"
    );
}

#[tokio::test]
async fn links_are_managed_by_their_creator_and_the_buckets_admins_only() {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    std::fs::write(app.s3.root.join("photos/a.txt"), b"a").unwrap();
    grant(&app, &t, "adam@example.com", &t.photos, "admin").await;
    grant(&app, &t, "edith@example.com", &t.photos, "editor").await;
    let (id, address) = make_link(
        &t.alice,
        &t,
        &t.photos,
        &[("keys", "a.txt"), ("note", "alice's link")],
    )
    .await;
    let detail = format!("/w/{}/links/{id}", t.workspace);

    // an Editor of the bucket sees only their own links
    let edith = app.sign_in_as("edith@example.com").await;
    let list = edith.get(&format!("/w/{}/links", t.workspace)).await;
    assert_eq!(list.status, 200);
    assert!(!list.body.contains(&id), "{}", list.body);
    assert_eq!(edith.get(&detail).await.status, 404);
    assert_eq!(
        edith.post(&format!("{detail}/revoke"), &[]).await.status,
        404
    );

    // another workspace's owner cannot see or revoke it, by either path
    let mallory = app.sign_in_as("mallory@example.com").await;
    let elsewhere = mallory.create_workspace("Elsewhere").await;
    assert_eq!(mallory.get(&detail).await.status, 404);
    assert_eq!(
        mallory
            .get(&format!("/w/{elsewhere}/links/{id}"))
            .await
            .status,
        404
    );
    mallory.get(&format!("/w/{elsewhere}/links")).await;
    assert_eq!(
        mallory
            .post(&format!("/w/{elsewhere}/links/{id}/revoke"), &[])
            .await
            .status,
        404
    );
    assert_eq!(
        mallory
            .post(
                &format!("/w/{elsewhere}/links/{id}/extend"),
                &[("expires", "60")]
            )
            .await
            .status,
        404
    );
    download_ok(&app.browser(), &path_of(&address), b"a").await;

    // the bucket's Admin sees it, can copy it, and revokes it
    let adam = app.sign_in_as("adam@example.com").await;
    let list = adam.get(&format!("/w/{}/links", t.workspace)).await;
    assert!(
        list.body.contains(&id) && list.body.contains(&address),
        "{}",
        list.body
    );
    assert!(list.body.contains("alice@example.com"));
    assert_eq!(adam.get(&detail).await.status, 200);
    assert_eq!(
        adam.post(&format!("{detail}/revoke"), &[]).await.status,
        303
    );
    assert_eq!(app.browser().get(&path_of(&address)).await.status, 410);
}

#[tokio::test]
async fn a_folder_link_lists_the_folder_and_downloads_only_inside_it() {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    let root = app.s3.root.join("photos");
    std::fs::create_dir_all(root.join("docs/sub")).unwrap();
    std::fs::write(root.join("docs/a.txt"), b"in docs").unwrap();
    std::fs::write(root.join("docs/sub/b.txt"), b"in sub").unwrap();
    std::fs::write(root.join("secret.txt"), b"not shared").unwrap();
    let (_, address) = make_link(
        &t.alice,
        &t,
        &t.photos,
        &[("folder", "docs/"), ("max_downloads", "5")],
    )
    .await;
    let path = path_of(&address);
    let visitor = app.browser();
    let page = visitor.get(&path).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("<h1>docs</h1>"), "{}", page.body);
    assert!(
        page.body.contains("a.txt") && page.body.contains("sub/"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("secret.txt"));
    let sub = visitor.get(&format!("{path}?path=sub%2F")).await;
    assert!(
        sub.body.contains("b.txt") && sub.body.contains("Up one folder"),
        "{}",
        sub.body
    );

    let answer = visitor
        .get(&format!("{path}/download?key=docs%2Fsub%2Fb.txt"))
        .await;
    assert_eq!(answer.status, 303);
    let fetched = reqwest::get(answer.location().unwrap()).await.unwrap();
    assert_eq!(fetched.bytes().await.unwrap().as_ref(), b"in sub");
    // nothing outside the folder, however the key is spelled: some S3
    // services (s3s-fs among them) resolve "..", so such keys are refused
    for outside in [
        "secret.txt",
        "docs%2F",
        "docs2%2Fx.txt",
        "docs%2F..%2Fsecret.txt",
        "docs%2F.%2F..%2Fsecret.txt",
        "docs%2F%2E%2E%2Fsecret.txt",
        "docs%2F%2F..%2Fsecret.txt",
    ] {
        let refused = visitor.get(&format!("{path}/download?key={outside}")).await;
        assert_eq!(refused.status, 400, "{outside}");
    }
    for escape in ["..%2F", "sub%2F..%2F..%2F", "sub%2F%2F"] {
        let refused = visitor.get(&format!("{path}?path={escape}")).await;
        assert_eq!(refused.status, 400, "{escape}");
        assert!(!refused.body.contains("secret.txt"));
    }
    // a HEAD request (a link checker) is not a download
    let head = visitor
        .client
        .head(visitor.url(&format!("{path}/download?key=docs%2Fa.txt")))
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), 405);
    assert_eq!(count(&app, "select downloads::int8 from links").await, 1);

    // when the storage fails, visitors learn nothing about the bucket
    std::fs::rename(&root, app.s3.root.join("moved")).unwrap();
    let broken = visitor.get(&path).await;
    assert_eq!(broken.status, 502);
    assert!(
        broken.body.contains("could not be fetched from storage"),
        "{}",
        broken.body
    );
    assert!(!broken.body.contains("photos"), "{}", broken.body);
}

#[tokio::test]
async fn selected_files_get_one_revocable_link_or_a_list_of_fifteen_minute_links() {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    std::fs::write(app.s3.root.join("photos/a.txt"), b"first").unwrap();
    std::fs::write(app.s3.root.join("photos/=b.txt"), b"second").unwrap();
    let base = t.bucket_path(&t.photos);
    t.alice.get(&base).await;
    let selected = [("keys", "a.txt"), ("keys", "=b.txt")];

    // the list of presigned links, as text and as CSV
    let listed = t
        .alice
        .post(&format!("{base}/share/batch"), &selected)
        .await;
    assert_eq!(listed.status, 200);
    assert_eq!(
        listed.body.matches("X-Amz-Expires=900").count(),
        2,
        "{}",
        listed.body
    );
    let mut form = selected.to_vec();
    form.push(("format", "csv"));
    let csv = t.alice.post(&format!("{base}/share/batch"), &form).await;
    assert_eq!(csv.header("content-type"), Some("text/csv; charset=utf-8"));
    let lines: Vec<&str> = csv.body.lines().collect();
    assert_eq!(lines.len(), 3, "{}", csv.body);
    assert_eq!(lines[0], "key,url,expires_at_utc");
    assert!(
        lines[2].starts_with("\"'=b.txt\""),
        "never a formula: {}",
        lines[2]
    );
    let url = lines[1]
        .split("\",\"")
        .nth(1)
        .unwrap()
        .replace("&#38;", "&");
    let fetched = reqwest::get(&url).await.unwrap();
    assert_eq!(fetched.bytes().await.unwrap().as_ref(), b"first");
    assert_eq!(
        count(
            &app,
            "select count(*) from audit_events where action = 'share_link_created'"
        )
        .await,
        4
    );
    // B6: nothing ticked goes back to the list, said beside the buttons
    let nothing = t.alice.post(&format!("{base}/share/batch"), &[]).await;
    assert_eq!(nothing.status, 303);
    let list = t.alice.get(nothing.location().unwrap()).await;
    assert!(
        list.body.contains("Tick the files to share"),
        "{}",
        list.body
    );
    // a folder ticked: the core refuses it (a presigned link names one file), said in place
    let folder = t
        .alice
        .post(
            &format!("{base}/share/batch"),
            &[("keys", "a.txt"), ("keys", "docs/")],
        )
        .await;
    assert_eq!(folder.status, 303);
    let list = t.alice.get(folder.location().unwrap()).await;
    assert!(
        list.body
            .contains("is a folder: a presigned link names one file"),
        "{}",
        list.body
    );

    // one revocable link for the set
    let form_page = t.alice.post(&format!("{base}/links/new"), &selected).await;
    assert_eq!(form_page.status, 200);
    assert!(form_page.body.contains("a.txt") && form_page.body.contains("=b.txt"));
    let (_, address) = make_link(&t.alice, &t, &t.photos, &selected).await;
    let path = path_of(&address);
    let visitor = app.browser();
    let page = visitor.get(&path).await;
    assert!(page.body.contains("2 files"), "{}", page.body);
    let answer = visitor.get(&format!("{path}/download?key=%3Db.txt")).await;
    assert_eq!(answer.status, 303);
    assert_eq!(
        visitor
            .get(&format!("{path}/download?key=c.txt"))
            .await
            .status,
        400
    );
}

#[tokio::test]
async fn the_creator_can_ask_for_a_mail_on_the_first_download_only() {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    std::fs::write(app.s3.root.join("photos/a.txt"), b"a").unwrap();
    let (id, address) = make_link(
        &t.alice,
        &t,
        &t.photos,
        &[("keys", "a.txt"), ("notify", "1")],
    )
    .await;
    let before = app.mail.count_to("alice@example.com");
    let visitor = app.browser();
    download_ok(&visitor, &path_of(&address), b"a").await;
    download_ok(&visitor, &path_of(&address), b"a").await;
    let mail = app
        .mail
        .wait_for_nth_where("alice@example.com", 1, |m| {
            m.subject.contains("was downloaded")
        })
        .await;
    assert_eq!(mail.subject, "Your link to a.txt was downloaded");
    assert!(
        mail.text.contains("127.0.0.1") && mail.text.contains(&format!("/links/{id}")),
        "{}",
        mail.text
    );
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(
        app.mail.count_to("alice@example.com"),
        before + 1,
        "one mail, for the first download"
    );
}

mod upload_links {
    use super::*;

    /// Edith (an Editor) makes an upload link into `inbox/`; returns its path.
    async fn upload_link(
        app: &TestApp,
        t: &Team,
        fields: &[(&str, &str)],
    ) -> (String, String, Browser) {
        grant(app, t, "edith@example.com", &t.photos, "editor").await;
        let edith = app.sign_in_as("edith@example.com").await;
        let base = t.bucket_path(&t.photos);
        let form = edith
            .get(&format!("{base}/upload-links/new?path=inbox%2F"))
            .await;
        assert_eq!(form.status, 200);
        let mut all = vec![("folder", "inbox")];
        all.extend_from_slice(fields);
        let made = edith.post(&format!("{base}/upload-links"), &all).await;
        assert_eq!(made.status, 303, "{}", made.body);
        let page_path = made.location().unwrap().to_owned();
        let page = edith.get(&page_path).await;
        (path_of(&address_on(&page)), page_path, edith)
    }

    pub(super) async fn send(
        visitor: &Browser,
        path: &str,
        name: &str,
        body: &'static [u8],
    ) -> (u16, String) {
        let token = visitor.csrf_token().await;
        let answer = visitor
            .client
            .post(visitor.url(&format!("{path}/files?name={name}")))
            .header("x-csrf-token", token)
            .body(body)
            .send()
            .await
            .unwrap();
        (answer.status().as_u16(), answer.text().await.unwrap())
    }

    #[tokio::test]
    async fn the_creator_hears_of_arrivals_at_most_once_every_ten_minutes() {
        let app = TestApp::spawn().await;
        let t = team(&app).await;
        let (path, _, _) = upload_link(&app, &t, &[("notify", "1")]).await;
        let arrived =
            |m: &bucketdesk_testkit::ReceivedMail| m.subject.contains("arrived in inbox/");
        let visitor = app.browser();
        assert_eq!(send(&visitor, &path, "one.txt", b"1").await.0, 201);
        let first = app
            .mail
            .wait_for_nth_where("edith@example.com", 1, arrived)
            .await;
        assert_eq!(first.subject, "A file arrived in inbox/");
        assert!(
            first.text.contains("one.txt") && first.text.contains("/links/"),
            "{}",
            first.text
        );

        // more files within ten minutes: no mail yet
        assert_eq!(send(&visitor, &path, "two.txt", b"2").await.0, 201);
        assert_eq!(send(&visitor, &path, "three.txt", b"3").await.0, 201);
        tokio::time::sleep(std::time::Duration::from_secs(2)).await;
        let mails = |app: &TestApp| {
            app.mail
                .all()
                .into_iter()
                .filter(|m| m.to.iter().any(|to| to == "edith@example.com") && arrived(m))
                .count()
        };
        assert_eq!(mails(&app), 1, "at most one mail every ten minutes");

        // ten minutes later, the next arrival brings one mail with all three
        for moved in [
            "update links set arrivals_mailed_at = arrivals_mailed_at - interval '11 minutes'",
            "update link_uploads set finished_at = finished_at - interval '11 minutes'",
        ] {
            sqlx::query(moved).execute(&app.db).await.unwrap();
        }
        assert_eq!(send(&visitor, &path, "four.txt", b"4").await.0, 201);
        let second = app
            .mail
            .wait_for_nth_where("edith@example.com", 2, arrived)
            .await;
        assert_eq!(second.subject, "3 files arrived in inbox/");
        for name in ["two.txt", "three.txt", "four.txt"] {
            assert!(second.text.contains(name), "{name}: {}", second.text);
        }
        assert!(
            !second.text.contains("one.txt"),
            "what was mailed is not mailed again"
        );
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        assert_eq!(mails(&app), 2);
    }

    #[tokio::test]
    async fn an_upload_link_limited_to_a_network_takes_files_only_from_it() {
        let app = TestApp::spawn().await;
        let t = team(&app).await;
        let (path, _, _) = upload_link(&app, &t, &[("networks", "10.9.0.0/16")]).await;
        let elsewhere = app.browser_from("192.0.2.7");
        assert_eq!(elsewhere.get(&path).await.status, 403);
        let (status, _) = send(&elsewhere, &path, "from-outside.txt", b"no").await;
        assert_eq!(status, 403);
        let office = app.browser_from("10.9.1.2");
        assert_eq!(office.get(&path).await.status, 200);
        let (status, body) = send(&office, &path, "from-the-office.txt", b"yes").await;
        assert!((200..300).contains(&status), "{status} {body}");
        assert!(
            app.s3
                .root
                .join("photos/inbox/from-the-office.txt")
                .exists()
        );
        assert!(!app.s3.root.join("photos/inbox/from-outside.txt").exists());
    }

    #[tokio::test]
    async fn an_upload_link_takes_files_into_its_folder_without_replacing_any_within_its_limits() {
        let app = TestApp::spawn().await;
        let t = team(&app).await;
        let inbox = app.s3.root.join("photos/inbox");
        std::fs::create_dir_all(&inbox).unwrap();
        std::fs::write(inbox.join("b.txt"), b"already here").unwrap();
        let (path, page_path, edith) =
            upload_link(&app, &t, &[("max_files", "2"), ("max_file_mb", "1")]).await;
        let visitor = app.browser();
        let page = visitor.get(&path).await;
        assert_eq!(page.status, 200);
        assert!(
            page.body.contains("Send files") && page.body.contains("Files of at most 1.0 MB"),
            "{}",
            page.body
        );
        assert!(
            !page.body.contains("inbox") && !page.body.contains("photos"),
            "{}",
            page.body
        );

        assert_eq!(
            send(&visitor, &path, "a.txt", b"first").await,
            (201, "a.txt: received.".into())
        );
        let (status, text) = send(&visitor, &path, "b.txt", b"second").await;
        assert_eq!(status, 201);
        assert!(text.contains("as b (1).txt"), "{text}");
        assert_eq!(std::fs::read(inbox.join("b.txt")).unwrap(), b"already here");
        assert_eq!(std::fs::read(inbox.join("b (1).txt")).unwrap(), b"second");
        assert_eq!(std::fs::read(inbox.join("a.txt")).unwrap(), b"first");

        let (status, text) = send(&visitor, &path, "c.txt", b"third").await;
        assert_eq!(status, 410, "{text}");
        assert!(text.contains("as many files"), "{text}");
        assert!(
            text.starts_with("c.txt: "),
            "B19: the refusal names the file: {text}"
        );
        assert!(!inbox.join("c.txt").exists());
        assert_eq!(visitor.get(&path).await.status, 410);
        // another link into the same folder never replaces what arrived either
        let (other, _, _) = upload_link(&app, &t, &[]).await;
        visitor.get(&other).await;
        let (status, text) = send(&visitor, &other, "a.txt", b"from the other link").await;
        assert_eq!(status, 201);
        assert!(text.contains("as a (1).txt"), "{text}");
        assert_eq!(std::fs::read(inbox.join("a.txt")).unwrap(), b"first");

        // the creator sees what arrived, and the audit log has each file
        let detail = edith.get(&page_path).await;
        assert!(
            detail.body.contains("inbox/a.txt") && detail.body.contains("inbox/b (1).txt"),
            "{}",
            detail.body
        );
        assert_eq!(
            count(
                &app,
                "select count(*) from audit_events where action = 'link_upload_received'"
            )
            .await,
            3
        );
    }

    #[tokio::test]
    async fn upload_links_refuse_large_files_bad_names_and_die_when_expired_or_revoked() {
        let app = TestApp::spawn().await;
        let t = team(&app).await;
        let (path, page_path, edith) = upload_link(&app, &t, &[("max_file_mb", "1")]).await;
        let visitor = app.browser();
        visitor.get(&path).await;
        static BIG: [u8; 1_000_001] = [7; 1_000_001];
        let (status, text) = send(&visitor, &path, "big.bin", &BIG).await;
        assert_eq!(status, 413, "{text}");
        assert!(text.starts_with("big.bin: "), "B19: {text}");
        assert!(!app.s3.root.join("photos/inbox/big.bin").exists());
        let (status, _) = send(&visitor, &path, "a%2Fb.txt", b"x").await;
        assert_eq!(status, 400);
        assert_eq!(send(&visitor, &path, "ok.txt", b"x").await.0, 201);

        sqlx::query("update links set expires_at = now() - interval '1 second'")
            .execute(&app.db)
            .await
            .unwrap();
        let (status, text) = send(&visitor, &path, "late.txt", b"x").await;
        assert_eq!(status, 410);
        assert!(text.contains("expired"), "{text}");
        assert!(text.starts_with("late.txt: "), "B19: {text}");
        sqlx::query("update links set expires_at = now() + interval '1 hour'")
            .execute(&app.db)
            .await
            .unwrap();
        let id = page_path
            .split('/')
            .nth(4)
            .unwrap()
            .split('?')
            .next()
            .unwrap()
            .to_owned();
        let revoked = edith
            .post(&format!("/w/{}/links/{id}/revoke", t.workspace), &[])
            .await;
        assert_eq!(revoked.status, 303);
        let (status, text) = send(&visitor, &path, "after.txt", b"x").await;
        assert_eq!(status, 410);
        assert!(text.contains("revoked"), "{text}");
        assert!(!app.s3.root.join("photos/inbox/after.txt").exists());
    }

    #[tokio::test]
    async fn only_editors_and_above_make_upload_links_and_a_password_guards_them() {
        let app = TestApp::spawn().await;
        let t = team(&app).await;
        grant(&app, &t, "victor@example.com", &t.photos, "viewer").await;
        let victor = app.sign_in_as("victor@example.com").await;
        let base = t.bucket_path(&t.photos);
        assert_eq!(
            victor.get(&format!("{base}/upload-links/new")).await.status,
            403
        );
        victor.get(&base).await;
        assert_eq!(
            victor
                .post(&format!("{base}/upload-links"), &[("folder", "x")])
                .await
                .status,
            403
        );

        let (path, _, _) = upload_link(&app, &t, &[("password", "letmein!")]).await;
        let visitor = app.browser();
        let page = visitor.get(&path).await;
        assert!(page.body.contains("needs a password"), "{}", page.body);
        assert_eq!(send(&visitor, &path, "a.txt", b"x").await.0, 403);
        let unlocked = visitor
            .post(&format!("{path}/unlock"), &[("password", "letmein!")])
            .await;
        assert_eq!(unlocked.status, 303);
        assert_eq!(send(&visitor, &path, "a.txt", b"x").await.0, 201);
    }
}

#[tokio::test]
async fn the_links_page_counts_in_words_says_when_a_link_was_last_used_and_copies_only_live_ones() {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    std::fs::write(app.s3.root.join("photos/a.txt"), b"a").unwrap();
    let (once, address) = make_link(&t.alice, &t, &t.photos, &[("keys", "a.txt")]).await;
    let visitor = app.browser();
    download_ok(&visitor, &path_of(&address), b"a").await;
    let (revoked, _) = make_link(
        &t.alice,
        &t,
        &t.photos,
        &[("keys", "a.txt"), ("max_downloads", "1")],
    )
    .await;
    t.alice
        .post(&format!("/w/{}/links/{revoked}/revoke", t.workspace), &[])
        .await;

    let page = t.alice.get(&format!("/w/{}/links", t.workspace)).await;
    let row = |id: &str| {
        let start = page.body.find(&format!("/links/{id}\"")).unwrap();
        let end = page.body[start..].find("</tr>").unwrap() + start;
        page.body[start..end].to_owned()
    };
    let used = row(&once);
    assert!(used.contains(">1 download<"), "B13: {used}");
    assert!(
        page.body.contains("<th>Last used</th>"),
        "B14: {}",
        page.body
    );
    assert!(!page.body.contains("Last visit"), "B14");
    assert!(used.contains("data-copy-text"), "a live link can be copied");
    let dead = row(&revoked);
    assert!(dead.contains(">0 of 1 download<"), "{dead}");
    assert!(
        !dead.contains("data-copy-text"),
        "B15: no Copy on a revoked link: {dead}"
    );
}

#[tokio::test]
async fn a_files_details_panel_lists_the_links_that_share_it_by_its_key_or_its_folder() {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    let root = app.s3.root.join("photos");
    std::fs::create_dir_all(root.join("docs")).unwrap();
    std::fs::write(root.join("a.txt"), "a").unwrap();
    std::fs::write(root.join("docs/b.txt"), "bb").unwrap();
    make_link(&t.alice, &t, &t.photos, &[("keys", "a.txt")]).await;
    make_link(&t.alice, &t, &t.photos, &[("folder", "docs/")]).await;
    let base = t.bucket_path(&t.photos);

    let panel = t.alice.get(&format!("{base}/details?key=a.txt")).await;
    assert_eq!(panel.status, 200);
    for fact in [
        "<dt>Size</dt><dd>1 byte</dd>",
        "<dt>Storage class</dt><dd>STANDARD</dd>",
        "s3://photos/a.txt",
    ] {
        assert!(panel.body.contains(fact), "{fact}: {}", panel.body);
    }
    assert!(!panel.body.contains("<html"), "a fragment, not a page");
    assert_eq!(
        panel.body.matches("class=\"badge\">Active</span>").count(),
        1,
        "{}",
        panel.body
    );
    let nested = t.alice.get(&format!("{base}/details?key=docs/b.txt")).await;
    assert!(
        nested.body.contains(">the folder docs/</a>")
            && nested.body.matches("class=\"badge\">Active</span>").count() == 1,
        "{}",
        nested.body
    );
    let missing = t.alice.get(&format!("{base}/details?key=gone.txt")).await;
    assert_eq!(missing.status, 400, "as the file's page says it");
    assert!(missing.body.contains("no longer exists"));
}

/// A team whose `photos` bucket holds `plan.txt`, and a link to it made
/// through the form with one more field; returns (team, link id, link path).
async fn plan_link(app: &TestApp, field: (&str, &str)) -> (Team, String, String) {
    let t = team(app).await;
    std::fs::write(app.s3.root.join("photos/plan.txt"), b"the plan").unwrap();
    let (id, address) = make_link(&t.alice, &t, &t.photos, &[("keys", "plan.txt"), field]).await;
    (t, id, path_of(&address))
}

mod networks {
    use super::*;

    #[tokio::test]
    async fn a_link_limited_to_networks_opens_only_from_them_and_says_so_elsewhere() {
        let app = TestApp::spawn().await;
        let (t, id, path) = plan_link(&app, ("networks", "10.9.0.0/16, 2001:db8::/32")).await;

        let office = app.browser_from("10.9.1.2");
        assert_eq!(office.get(&path).await.status, 200);
        download_ok(&office, &path, b"the plan").await;

        let elsewhere = app.browser_from("192.0.2.7");
        for refused in [
            elsewhere.get(&path).await,
            elsewhere.get(&format!("{path}/download")).await,
        ] {
            assert_eq!(refused.status, 403);
            assert!(
                refused.body.contains("opens only from the networks")
                    && !refused.body.contains("plan.txt"),
                "refused without saying what is shared: {}",
                refused.body
            );
        }
        assert_eq!(
            count(&app, "select downloads::int8 from links").await,
            1,
            "only the office's download counts"
        );
        assert_eq!(
            count(
                &app,
                "select count(*) from audit_events where action = 'link_network_refused' and ip = '192.0.2.7'"
            )
            .await,
            1,
            "a refused visitor is on record once, however often they knock"
        );
        // the link's page shows where it opens from
        let page = t.alice.get(&format!("/w/{}/links/{id}", t.workspace)).await;
        assert!(
            page.body.contains("Opens from")
                && page
                    .body
                    .contains("<code>10.9.0.0/16</code>, <code>2001:db8::/32</code>"),
            "{}",
            page.body
        );
    }

    #[tokio::test]
    async fn a_network_that_is_not_one_is_refused_beside_its_field_and_nothing_is_made() {
        let app = TestApp::spawn().await;
        let t = team(&app).await;
        std::fs::write(app.s3.root.join("photos/plan.txt"), b"the plan").unwrap();
        let base = t.bucket_path(&t.photos);
        let page = t
            .alice
            .post(
                &format!("{base}/links"),
                &[("keys", "plan.txt"), ("networks", "10.0.0.0/8, office")],
            )
            .await;
        assert_eq!(page.status, 400);
        assert!(
            page.body.contains("&quot;office&quot; is not a network")
                || page.body.contains("&#34;office&#34; is not a network"),
            "{}",
            page.body
        );
        assert!(
            page.body.contains(r#"value="10.0.0.0/8, office""#),
            "what was typed stays"
        );
        assert_eq!(count(&app, "select count(*) from links").await, 0);

        // the API says which field, and keeps what it normalised
        let token = t.alice.make_access_token("links", &["share"]).await;
        let bucket = base.rsplit('/').next().unwrap();
        let api = format!(
            "{}/api/v1/workspaces/{}/buckets/{bucket}/links",
            app.url, t.workspace
        );
        let client = reqwest::Client::new();
        let wrong = client
            .post(&api)
            .bearer_auth(&token)
            .json(&serde_json::json!({ "keys": ["plan.txt"], "networks": ["300.1.1.1"] }))
            .send()
            .await
            .unwrap();
        assert_eq!(wrong.status(), 422);
        let body: serde_json::Value = wrong.json().await.unwrap();
        assert_eq!(body["error"]["fields"][0]["field"], "networks", "{body}");
        let made: serde_json::Value = client
            .post(&api)
            .bearer_auth(&token)
            .json(&serde_json::json!({ "keys": ["plan.txt"], "networks": ["10.1.2.3/8", "203.0.113.9"] }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(
            made["networks"],
            serde_json::json!(["10.0.0.0/8", "203.0.113.9/32"]),
            "{made}"
        );
    }
}

mod recipients {
    use super::*;
    use bucketdesk_testkit::code_in;

    #[tokio::test]
    async fn a_link_for_named_people_opens_after_a_mailed_code_and_each_visit_names_who() {
        let app = TestApp::spawn().await;
        let (t, id, path) =
            plan_link(&app, ("recipients", "Carol@Example.com; dan@example.com")).await;

        let visitor = app.browser();
        let page = visitor.get(&path).await;
        assert_eq!(page.status, 200);
        assert!(
            page.body.contains("This link is for named people") && !page.body.contains("plan.txt"),
            "nothing shown before the address is proved: {}",
            page.body
        );
        let early = visitor.get(&format!("{path}/download")).await;
        assert_eq!(early.location(), Some(path.as_str()), "no download before");

        // an address the link is not for: the same answer, and no mail
        let asked = visitor
            .post(
                &format!("{path}/recipient"),
                &[("email", "mallory@example.com")],
            )
            .await;
        assert_eq!(asked.status, 303);
        let code_page = visitor.get(&path).await;
        assert!(
            code_page
                .body
                .contains("If <strong>mallory@example.com</strong> is an address"),
            "{}",
            code_page.body
        );
        let guessed = visitor
            .post(&format!("{path}/recipient/code"), &[("code", "123456")])
            .await;
        assert_eq!(
            guessed.status, 403,
            "a guess for an unlisted address opens nothing"
        );

        // one it is for (typed in another case): a code, once
        let asked = visitor
            .post(
                &format!("{path}/recipient"),
                &[("email", "carol@example.com")],
            )
            .await;
        assert_eq!(asked.status, 303);
        let mail = app.mail.last_to("carol@example.com").await;
        assert_eq!(mail.subject, "Your code to open files shared with you");
        let code = code_in(&mail.text).expect("a code in the mail");
        let wrong = if code == "000000" { "111111" } else { "000000" };
        let refused = visitor
            .post(&format!("{path}/recipient/code"), &[("code", wrong)])
            .await;
        assert_eq!(refused.status, 403);
        assert!(
            refused.body.contains("That code is not right"),
            "{}",
            refused.body
        );
        let opened = visitor
            .post(&format!("{path}/recipient/code"), &[("code", &code)])
            .await;
        assert_eq!(opened.location(), Some(path.as_str()), "{}", opened.body);
        assert!(visitor.get(&path).await.body.contains("plan.txt"));
        download_ok(&visitor, &path, b"the plan").await;
        let who: Option<String> = sqlx::query_scalar(
            "select actor_email from audit_events where action = 'link_downloaded'",
        )
        .fetch_one(&app.db)
        .await
        .unwrap();
        assert_eq!(
            who.as_deref(),
            Some("carol@example.com"),
            "the visit names who"
        );
        // the code works once, and another browser still has to prove an address
        let reused = app.browser();
        assert!(
            reused
                .get(&path)
                .await
                .body
                .contains("This link is for named people")
        );
        assert_eq!(
            app.mail.count_to("mallory@example.com"),
            0,
            "no mail to an address not named"
        );

        // the link's page says who it is for
        let shown = t.alice.get(&format!("/w/{}/links/{id}", t.workspace)).await;
        assert!(
            shown.body.contains("Only for")
                && shown.body.contains("carol@example.com, dan@example.com"),
            "{}",
            shown.body
        );
    }

    #[tokio::test]
    async fn an_upload_link_for_named_people_takes_files_only_from_a_proved_address() {
        let app = TestApp::spawn().await;
        let t = team(&app).await;
        let base = t.bucket_path(&t.photos);
        let made = t
            .alice
            .post(
                &format!("{base}/upload-links"),
                &[("folder", "inbox"), ("recipients", "carol@example.com")],
            )
            .await;
        assert_eq!(made.status, 303, "{}", made.body);
        let page = t.alice.get(made.location().unwrap()).await;
        let path = path_of(&address_on(&page));
        let visitor = app.browser();
        assert!(
            visitor
                .get(&path)
                .await
                .body
                .contains("This link is for named people")
        );
        let (status, _) =
            super::upload_links::send(&visitor, &path, "early.txt", b"too early").await;
        assert_eq!(status, 403);
        assert!(!app.s3.root.join("photos/inbox/early.txt").exists());
        visitor
            .post(
                &format!("{path}/recipient"),
                &[("email", "carol@example.com")],
            )
            .await;
        let code = code_in(&app.mail.last_to("carol@example.com").await.text).unwrap();
        visitor
            .post(&format!("{path}/recipient/code"), &[("code", &code)])
            .await;
        let (status, _) =
            super::upload_links::send(&visitor, &path, "from-carol.txt", b"hello").await;
        assert_eq!(status, 201);
        assert!(app.s3.root.join("photos/inbox/from-carol.txt").exists());
        let who: Option<String> = sqlx::query_scalar(
            "select actor_email from audit_events where action = 'link_upload_received'",
        )
        .fetch_one(&app.db)
        .await
        .unwrap();
        assert_eq!(
            who.as_deref(),
            Some("carol@example.com"),
            "the arrival names who"
        );
    }
}
