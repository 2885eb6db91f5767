//! Health checks, and behaviour while the database is down (R4).

use bucketdesk_testkit::TestApp;
use std::time::{Duration, Instant};

#[tokio::test]
async fn healthz_and_readyz_answer_when_all_is_well() {
    let app = TestApp::spawn().await;
    let browser = app.browser();
    let live = browser.get("/healthz").await;
    assert_eq!((live.status, live.body.as_str()), (200, "ok\n"));
    let ready = browser.get("/readyz").await;
    assert_eq!((ready.status, ready.body.as_str()), (200, "ready\n"));
}

#[tokio::test]
async fn while_the_database_is_down_requests_fail_fast_with_503_and_recover_by_themselves() {
    let app = TestApp::builder().with_db_proxy().spawn().await;
    let browser = app.sign_in_as("alice@example.com").await;
    let proxy = app.db_proxy.as_ref().unwrap();

    proxy.take_down();
    let started = Instant::now();
    let page = browser.get("/").await;
    assert_eq!(page.status, 503, "{}", page.body);
    assert!(
        page.body.contains("cannot reach its database"),
        "{}",
        page.body
    );
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "fails fast, not after a hang"
    );
    assert_eq!(browser.get("/readyz").await.status, 503);
    assert_eq!(
        browser.get("/healthz").await.status,
        200,
        "the process is alive"
    );
    // within a few seconds every page says so, signed in or not, whether
    // or not it needs the database itself
    let stranger = app.browser();
    let mut pages = Vec::new();
    for path in [
        "/login",
        "/login?next=/",
        "/",
        "/invites/abc",
        "/s/abc",
        "/workspaces/new",
    ] {
        let (status, body) = loop {
            let page = stranger.get(path).await;
            if page.status == 503 || started.elapsed() > Duration::from_secs(5) {
                break (page.status, page.body);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        assert!(body.contains("cannot reach its database"), "{path}: {body}");
        pages.push((path, status));
    }
    assert!(pages.iter().all(|(_, status)| *status == 503), "{pages:?}");
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "within a few seconds"
    );
    let form = stranger
        .post_raw("/login", &[("email", "a@example.com")], &[])
        .await;
    assert_eq!(form.status, 503, "forms too");
    assert_eq!(
        stranger.get("/static/app.css").await.status,
        200,
        "static files need no database"
    );

    proxy.bring_back();
    let mut recovered = false;
    for _ in 0..50 {
        if browser.get("/").await.status == 200 {
            recovered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(recovered, "the app recovers without a restart");
    assert_eq!(browser.get("/readyz").await.status, 200);
}

#[tokio::test]
async fn a_busy_connection_pool_is_not_a_database_that_is_down() {
    let app = TestApp::spawn().await;
    let stranger = app.browser();
    assert_eq!(stranger.get("/login").await.status, 200);
    // every connection of the app's pool in use, for longer than a request
    // waits for one (a burst of slow requests does this)
    let mut held = Vec::new();
    while let Ok(Ok(connection)) =
        tokio::time::timeout(Duration::from_millis(500), app.state.db.acquire()).await
    {
        held.push(connection);
    }
    assert!(!held.is_empty());
    tokio::time::sleep(Duration::from_secs(4)).await;
    // the database answers all along: pages that need no connection keep
    // working, instead of the whole site saying the database is down
    let page = stranger.get("/login").await;
    assert_eq!(page.status, 200, "{}", page.body);
    drop(held);
    let page = stranger.get("/login?next=/").await;
    assert_eq!(page.status, 200, "{}", page.body);
}
