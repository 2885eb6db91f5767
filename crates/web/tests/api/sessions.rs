//! Sessions (S6): cookie flags, id rotation, timeouts, signing out.

use crate::links::made_link_path;
use bucketdesk_testkit::TestApp;
use std::time::Duration;

fn session_cookie(page: &bucketdesk_testkit::Page) -> Option<String> {
    page.set_cookies()
        .into_iter()
        .find(|c| c.contains("bucketdesk_session="))
}

fn cookie_value(set_cookie: &str) -> String {
    set_cookie.split(';').next().unwrap().to_owned()
}

/// A client that sends exactly this Cookie header and keeps no jar.
async fn replay(app: &TestApp, cookie: &str, path: &str) -> u16 {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = client
        .get(format!("{}{path}", app.url))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    response.status().as_u16()
}

#[tokio::test]
async fn pages_need_a_signed_in_session() {
    let app = TestApp::spawn().await;
    let page = app.browser().get("/").await;
    assert_eq!(page.status, 303);
    assert_eq!(page.location(), Some("/login"));
}

/// The session starts when a browser asks for a code: its answer sets the cookie.
async fn asking_for_a_code(app: &TestApp, browser: &bucketdesk_testkit::Browser) -> String {
    app.create_user("alice@example.com").await;
    let asked = browser.request_code("alice@example.com").await;
    assert_eq!(asked.status, 303, "{}", asked.body);
    session_cookie(&asked).expect("a session cookie once a code is asked for")
}

#[tokio::test]
async fn the_session_cookie_is_http_only_and_same_site_lax() {
    let app = TestApp::spawn().await;
    let cookie = asking_for_a_code(&app, &app.browser()).await;
    assert!(cookie.starts_with("bucketdesk_session="), "{cookie}");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(cookie.contains("Path=/"), "{cookie}");
    assert!(
        !cookie.contains("Secure"),
        "plain http for local use: {cookie}"
    );
}

#[tokio::test]
async fn over_https_the_cookies_are_secure_and_host_prefixed() {
    let app = TestApp::builder()
        .public_url("https://files.example.test")
        .spawn()
        .await;
    app.create_user("alice@example.com").await;
    let browser = app.browser();
    let page = browser.get("/login").await;
    let csrf = page
        .set_cookies()
        .into_iter()
        .next()
        .expect("the CSRF cookie");
    assert!(csrf.starts_with("__Host-bucketdesk_csrf="), "{csrf}");
    // the test client speaks plain http to the app, so it keeps Secure
    // cookies to itself: send the CSRF cookie by hand, as a browser on https would
    let token = page.csrf_token().unwrap();
    let asked = browser
        .post_raw(
            "/login",
            &[("csrf_token", &token), ("email", "alice@example.com")],
            &[("cookie", &cookie_value(&csrf))],
        )
        .await;
    assert_eq!(asked.status, 303, "{}", asked.body);
    let session = session_cookie(&asked).expect("a session cookie");
    assert!(
        session.starts_with("__Host-bucketdesk_session="),
        "{session}"
    );
    for cookie in [&csrf, &session] {
        assert!(
            cookie.contains("Secure")
                && cookie.contains("HttpOnly")
                && cookie.contains("SameSite=Lax")
                && cookie.contains("Path=/"),
            "{cookie}"
        );
        assert!(!cookie.contains("Domain="), "{cookie}");
    }
    assert_eq!(
        page.header("strict-transport-security"),
        Some("max-age=31536000; includeSubDomains")
    );
}

#[tokio::test]
async fn hsts_can_leave_subdomains_out_for_hosts_that_share_a_parent_with_plain_http_sites() {
    let app = TestApp::builder()
        .public_url("https://files.example.test")
        .configure(|s| s.hsts_include_subdomains = false)
        .spawn()
        .await;
    let page = app.browser().get("/login").await;
    assert_eq!(
        page.header("strict-transport-security"),
        Some("max-age=31536000")
    );
    let plain = TestApp::spawn().await.browser().get("/login").await;
    assert_eq!(
        plain.header("strict-transport-security"),
        None,
        "never over plain http"
    );
}

#[tokio::test]
async fn the_session_id_changes_at_sign_in_and_the_old_one_is_worthless() {
    let app = TestApp::spawn().await;
    app.create_user("alice@example.com").await;
    let browser = app.browser();
    let before = cookie_value(&asking_for_a_code(&app, &browser).await);
    let code =
        bucketdesk_testkit::code_in(&app.last_email_to("alice@example.com").await.text).unwrap();
    let signed_in = browser.post("/login/code", &[("code", &code)]).await;
    let after = cookie_value(&session_cookie(&signed_in).expect("a new cookie at sign-in"));

    assert_ne!(before, after);
    assert_eq!(replay(&app, &after, "/").await, 200);
    assert_eq!(
        replay(&app, &before, "/").await,
        303,
        "the pre-sign-in id does not sign anyone in"
    );
}

#[tokio::test]
async fn signing_out_ends_the_session_on_the_server() {
    let app = TestApp::spawn().await;
    let browser = app.sign_in_as("alice@example.com").await;
    let cookie = browser.cookie_header().expect("a session cookie");
    let page = browser.post("/logout", &[]).await;
    assert_eq!(page.location(), Some("/login?signed_out=1"));
    assert!(
        browser
            .get("/login?signed_out=1")
            .await
            .body
            .contains("You are signed out of bucketdesk.")
    );
    assert_eq!(browser.get("/").await.status, 303);
    assert_eq!(
        replay(&app, &cookie, "/").await,
        303,
        "a copied cookie is dead too"
    );
}

#[tokio::test]
async fn sign_out_everywhere_ends_every_session_of_the_user() {
    let app = TestApp::spawn().await;
    let laptop = app.sign_in_as("alice@example.com").await;
    let phone = app.browser();
    app.sign_in(&phone, "alice@example.com").await;
    let bob = app.sign_in_as("bob@example.com").await;

    let page = laptop.post("/logout/everywhere", &[]).await;
    assert_eq!(page.status, 303);
    assert_eq!(laptop.get("/").await.location(), Some("/login"));
    assert_eq!(
        phone.get("/").await.location(),
        Some("/login"),
        "the other device is signed out too"
    );
    assert_eq!(
        bob.get("/").await.status,
        200,
        "other people are not affected"
    );

    app.sign_in(&phone, "alice@example.com").await;
    assert_eq!(phone.get("/").await.status, 200, "signing in again works");
}

#[tokio::test]
async fn an_idle_session_expires() {
    let app = TestApp::builder()
        .session_idle(Duration::from_secs(2))
        .spawn()
        .await;
    let browser = app.sign_in_as("alice@example.com").await;
    assert_eq!(browser.get("/").await.status, 200);
    tokio::time::sleep(Duration::from_millis(3100)).await;
    assert_eq!(browser.get("/").await.location(), Some("/login"));
}

#[tokio::test]
async fn a_session_ends_at_its_absolute_lifetime_however_active() {
    let app = TestApp::builder()
        .session_absolute(Duration::from_secs(3))
        .spawn()
        .await;
    let browser = app.sign_in_as("alice@example.com").await;
    for _ in 0..2 {
        tokio::time::sleep(Duration::from_millis(1000)).await;
        assert_eq!(
            browser.get("/").await.status,
            200,
            "active within the lifetime"
        );
    }
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(browser.get("/").await.location(), Some("/login"));
}

#[tokio::test]
async fn the_default_timeouts_are_thirty_minutes_idle_and_twelve_hours_absolute() {
    let app = TestApp::spawn().await;
    let settings = &app.state.settings;
    assert_eq!(settings.session_idle, Duration::from_secs(30 * 60));
    assert_eq!(settings.session_absolute, Duration::from_secs(12 * 60 * 60));
    let cookie = asking_for_a_code(&app, &app.browser()).await;
    assert!(cookie.contains("Max-Age=1800"), "{cookie}");
}

#[tokio::test]
async fn a_signed_out_session_saved_back_by_a_racing_request_still_signs_nobody_in() {
    let app = TestApp::spawn().await;
    let browser = app.sign_in_as("alice@example.com").await;
    let cookie = sign_out_and_save_back(&app, &browser).await;
    assert_eq!(replay(&app, &cookie, "/").await, 303);
}

/// Signs the browser (the only one signed in) out, then puts its session row
/// back, as a request that loaded the session just before sign-out does when
/// it saves. Returns that session's cookie.
async fn sign_out_and_save_back(app: &TestApp, browser: &bucketdesk_testkit::Browser) -> String {
    let cookie = browser.cookie_header().expect("a session cookie");
    let row: (String, Vec<u8>, time::OffsetDateTime) =
        sqlx::query_as("select id, data, expiry_date from tower_sessions.session")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(browser.post("/logout", &[]).await.status, 303);
    sqlx::query("insert into tower_sessions.session (id, data, expiry_date) values ($1, $2, $3)")
        .bind(&row.0)
        .bind(&row.1)
        .bind(row.2)
        .execute(&app.db)
        .await
        .unwrap();
    cookie
}

#[tokio::test]
async fn workspace_and_bucket_pages_check_the_session_in_the_same_query_as_the_role() {
    // these pages ask for the user and their role together (one query): an
    // ended session must still end there, and a live one without a role
    // must still get "no access"
    let app = TestApp::spawn().await;
    let t = crate::team::team(&app).await;
    let workspace = format!("/w/{}", t.workspace);
    let bucket = t.bucket_path(&t.photos);
    let alice = &t.alice;
    assert_eq!(alice.get(&workspace).await.status, 200);
    assert_eq!(alice.get(&bucket).await.status, 200);

    // a copy of the session saved back after sign-out (see the test above)
    let cookie = sign_out_and_save_back(&app, alice).await;
    assert_eq!(replay(&app, &cookie, &workspace).await, 303);
    assert_eq!(replay(&app, &cookie, &bucket).await, 303);

    // "sign out everywhere" from another device ends this one's session
    let laptop = app.sign_in_as("alice@example.com").await;
    let phone = app.browser();
    app.sign_in(&phone, "alice@example.com").await;
    assert_eq!(phone.get(&bucket).await.status, 200);
    assert_eq!(laptop.post("/logout/everywhere", &[]).await.status, 303);
    let back_to = |path: &str| Some(crate::sign_in_then(path));
    assert_eq!(
        phone.get(&bucket).await.location().map(str::to_owned),
        back_to(&bucket)
    );
    assert_eq!(
        phone.get(&workspace).await.location().map(str::to_owned),
        back_to(&workspace)
    );

    // someone signed in without a role there gets "no access", not the page
    let mallory = app.sign_in_as("mallory@example.com").await;
    assert_eq!(mallory.get(&workspace).await.status, 404);
    assert_eq!(mallory.get(&bucket).await.status, 404);
    assert_eq!(
        mallory
            .get(&format!("/w/{}/b/not-an-id", t.workspace))
            .await
            .status,
        404
    );
    assert_eq!(
        replay(&app, "", &format!("/w/{}/b/not-an-id", t.workspace)).await,
        303,
        "a malformed path still sends strangers to sign in first"
    );
}

async fn session_rows(app: &TestApp) -> i64 {
    sqlx::query_scalar("select count(*) from tower_sessions.session")
        .fetch_one(&app.db)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_thousand_anonymous_page_views_write_no_session_row() {
    let app = TestApp::spawn().await;
    let t = crate::team::team(&app).await;
    crate::team::invite(&t, "bob@example.com", &[(&t.photos, "viewer")]).await;
    let invite = crate::team::invite_link(&app, "bob@example.com").await;
    let photos = t.bucket_path(&t.photos);
    std::fs::write(app.s3.root.join("photos/a.txt"), b"a").unwrap();
    t.alice.get(&photos).await;
    let share = made_link_path(&t.alice, &format!("{photos}/links"), &[("keys", "a.txt")]).await;
    let upload = made_link_path(
        &t.alice,
        &format!("{photos}/upload-links"),
        &[("folder", "in")],
    )
    .await;
    let before = session_rows(&app).await;

    let paths = ["/login".to_owned(), share, upload, invite];
    // Fifty at a time: the point is that no view writes a row, not how many
    // requests a busy two-core machine answers within the pool's wait.
    use futures::StreamExt;
    let views: Vec<_> = futures::stream::iter(0..1000)
        .map(|n| {
            let path = paths[n % paths.len()].clone();
            let browser = app.browser(); // no cookies: a new visitor each time
            async move { browser.get(&path).await }
        })
        .buffered(50)
        .collect()
        .await;
    let statuses: std::collections::BTreeSet<u16> = views.iter().map(|p| p.status).collect();
    assert_eq!(statuses, [200].into(), "every view is a page");
    assert!(
        views
            .iter()
            .step_by(paths.len())
            .all(|page| page.csrf_token().is_some()),
        "the sign-in page still has its form"
    );
    assert_eq!(
        session_rows(&app).await,
        before,
        "no row for anonymous views"
    );
}

#[tokio::test]
async fn the_sign_in_form_works_from_a_fresh_visit_with_no_session_behind_it() {
    let app = TestApp::spawn().await;
    app.create_user("alice@example.com").await;
    let browser = app.browser();
    browser.get("/login").await;
    assert_eq!(session_rows(&app).await, 0);
    let code = app.ask_for_code(&browser, "alice@example.com").await;
    let signed_in = browser.post("/login/code", &[("code", &code)]).await;
    assert_eq!(signed_in.location(), Some("/"));
    assert_eq!(browser.get("/").await.status, 200);
}

#[tokio::test]
async fn a_database_copy_holds_no_session_id_a_browser_could_replay() {
    let app = TestApp::spawn().await;
    let browser = app.sign_in_as("alice@example.com").await;
    let cookie = browser.cookie_header().unwrap();
    let session = cookie
        .split("; ")
        .find_map(|c| c.strip_prefix("bucketdesk_session="))
        .expect("the session cookie")
        .to_owned();
    let dump = std::process::Command::new("pg_dump")
        .arg("--data-only")
        .arg(&app.database_url)
        .output()
        .expect("pg_dump (Debian's postgresql-client) runs");
    assert!(
        dump.status.success(),
        "{}",
        String::from_utf8_lossy(&dump.stderr)
    );
    let dump = String::from_utf8_lossy(&dump.stdout);
    assert!(
        dump.contains("tower_sessions"),
        "the dump has the session table"
    );
    for value in cookie
        .split("; ")
        .filter_map(|c| c.split_once('=').map(|(_, v)| v))
    {
        assert!(!dump.contains(value), "a cookie value in the dump: {value}");
    }
    // the row is there, under the hash, and the session works
    let hashed: i64 =
        sqlx::query_scalar("select count(*) from tower_sessions.session where id <> $1")
            .bind(&session)
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(hashed, 1);
    assert_eq!(
        replay(&app, &format!("bucketdesk_session={session}"), "/").await,
        200
    );
}

#[tokio::test]
async fn the_account_page_lists_each_session_and_ends_them_one_by_one() {
    let app = TestApp::spawn().await;
    let laptop = app.sign_in_as("alice@example.com").await;
    let phone = app.browser_from("198.51.100.23");
    app.sign_in(&phone, "alice@example.com").await;

    let home = laptop.get("/").await;
    assert!(
        home.body.contains("Where you are signed in"),
        "{}",
        home.body
    );
    assert!(
        home.body.contains("127.0.0.1 · signed in")
            && home.body.contains("198.51.100.23 · signed in")
    );
    assert_eq!(home.body.matches("this browser").count(), 1);
    let phones: uuid::Uuid =
        sqlx::query_scalar("select id from user_sessions where ip = '198.51.100.23'")
            .fetch_one(&app.db)
            .await
            .unwrap();

    // Bob cannot end Alice's session
    let bob = app.sign_in_as("bob@example.com").await;
    let path = format!("/account/sessions/{phones}/end");
    assert_eq!(bob.post(&path, &[]).await.status, 404);
    assert_eq!(phone.get("/").await.status, 200);

    let ended = laptop.post(&path, &[]).await;
    assert_eq!(ended.location(), Some("/?done=session_ended"));
    assert_eq!(
        phone.get("/").await.location(),
        Some("/login"),
        "ended at once"
    );
    let home = laptop.get("/").await;
    assert_eq!(home.status, 200, "this browser goes on");
    assert!(!home.body.contains("198.51.100.23 · signed in"));
    let events = bucketdesk_db::audit::with_action(&app.db, "session_ended")
        .await
        .unwrap();
    assert_eq!(events.len(), 1);

    // ending this very session signs this browser out
    let mine: uuid::Uuid =
        sqlx::query_scalar("select id from user_sessions where ip = '127.0.0.1' and user_id = (select id from users where email = 'alice@example.com')")
            .fetch_one(&app.db)
            .await
            .unwrap();
    let out = laptop
        .post(&format!("/account/sessions/{mine}/end"), &[])
        .await;
    assert_eq!(out.location(), Some("/login?signed_out=1"));
    assert_eq!(laptop.get("/").await.location(), Some("/login"));
}

#[tokio::test]
async fn sessions_signed_out_everywhere_leave_the_list() {
    let app = TestApp::spawn().await;
    let one = app.sign_in_as("alice@example.com").await;
    let two = app.browser();
    app.sign_in(&two, "alice@example.com").await;
    two.post("/logout/everywhere", &[]).await;
    let three = app.browser();
    app.sign_in(&three, "alice@example.com").await;
    let home = three.get("/").await;
    assert_eq!(
        home.body.matches(r#"class="session-item""#).count(),
        1,
        "{}",
        home.body
    );
    assert_eq!(one.get("/").await.location(), Some("/login"));
}

#[tokio::test]
async fn viewing_pages_does_not_rewrite_the_session() {
    // a session is saved when it changes; a page view that only looks (for a
    // form's mistake, say) must not turn into a database write
    let app = TestApp::spawn().await;
    let t = crate::team::team(&app).await;
    let bucket = t.bucket_path(&t.photos);
    std::fs::write(app.s3.root.join("photos/a.txt"), b"a").unwrap();
    t.alice.get(&bucket).await;
    let saved = || async {
        let expiry: Vec<time::OffsetDateTime> =
            sqlx::query_scalar("select expiry_date from tower_sessions.session order by id")
                .fetch_all(&app.db)
                .await
                .unwrap();
        expiry
    };
    let before = saved().await;
    for path in [
        bucket.clone(),
        format!("{bucket}/object?key=a.txt"),
        bucket.clone(),
    ] {
        assert_eq!(t.alice.get(&path).await.status, 200, "{path}");
    }
    assert_eq!(saved().await, before, "no session was saved again");
}
