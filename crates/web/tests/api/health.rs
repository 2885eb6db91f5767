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
    let anonymous = app.browser().get("/login").await;
    assert!(
        anonymous.status == 503 || anonymous.status == 500 || anonymous.status == 200,
        "{}",
        anonymous.status
    );
    assert!(!anonymous.body.contains("panicked"));

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
