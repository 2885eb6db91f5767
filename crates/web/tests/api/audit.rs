//! The audit trail records sign-ins, sign-outs and failed code attempts
//! with the actor, time, IP address and user agent.

use bucketdesk_db::audit;
use bucketdesk_testkit::TestApp;

#[tokio::test]
async fn sign_in_failures_and_sign_outs_are_recorded_with_ip_and_user_agent() {
    let app = TestApp::spawn().await;
    app.create_user("alice@example.com").await;
    let browser = app.browser();
    browser.request_code("alice@example.com").await;
    browser.post("/login/code", &[("code", "000000")]).await;
    browser.post("/login/code", &[("code", "111111")]).await;
    drop(browser);
    let browser = app.sign_in_as("alice@example.com").await;
    browser.post("/logout", &[]).await;
    let browser = app.sign_in_as("alice@example.com").await;
    browser.post("/logout/everywhere", &[]).await;

    let failed = audit::with_action(&app.db, "sign_in_failed").await.unwrap();
    assert_eq!(failed.len(), 2, "each wrong code is recorded");
    for event in &failed {
        assert_eq!(event.actor_email.as_deref(), Some("alice@example.com"));
        assert_eq!(event.ip.as_deref(), Some("127.0.0.1"));
        assert_eq!(event.user_agent.as_deref(), Some("bucketdesk-tests"));
    }
    let user = app.create_user("alice@example.com").await;
    for action in ["sign_in", "sign_out", "sign_out_everywhere"] {
        let events = audit::with_action(&app.db, action).await.unwrap();
        assert!(!events.is_empty(), "{action} is recorded");
        let event = &events[0];
        assert_eq!(event.actor_id, Some(user.id), "{action}");
        assert_eq!(event.ip.as_deref(), Some("127.0.0.1"), "{action}");
        assert_eq!(
            event.user_agent.as_deref(),
            Some("bucketdesk-tests"),
            "{action}"
        );
    }
}

#[tokio::test]
async fn the_home_page_shows_my_recent_activity() {
    let app = TestApp::spawn().await;
    let browser = app.sign_in_as("alice@example.com").await;
    let home = browser.get("/").await;
    assert!(home.body.contains("Signed in"), "{}", home.body);
    assert!(home.body.contains("bucketdesk-tests"));
}

#[tokio::test]
async fn a_forwarded_client_address_is_believed_only_from_a_trusted_proxy() {
    // the test app trusts 127.0.0.1, so X-Forwarded-For from the test client counts
    let app = TestApp::spawn().await;
    app.create_user("alice@example.com").await;
    let browser = app.browser();
    browser.request_code("alice@example.com").await;
    browser
        .post_raw(
            "/login/code",
            &[
                ("csrf_token", &browser.csrf_token().await),
                ("code", "000000"),
            ],
            &[("x-forwarded-for", "6.6.6.6, 198.51.100.7")],
        )
        .await;
    let event = &audit::with_action(&app.db, "sign_in_failed").await.unwrap()[0];
    assert_eq!(event.ip.as_deref(), Some("198.51.100.7"));
}

#[tokio::test]
async fn a_forged_forwarded_header_line_before_the_proxys_own_is_ignored() {
    // e.g. HAProxy adds its own X-Forwarded-For line instead of appending
    let app = TestApp::spawn().await;
    app.create_user("alice@example.com").await;
    let browser = app.browser();
    browser.request_code("alice@example.com").await;
    let token = browser.csrf_token().await;
    let response = browser
        .client
        .post(browser.url("/login/code"))
        .form(&[("csrf_token", token.as_str()), ("code", "000000")])
        .header("x-forwarded-for", "6.6.6.6")
        .header("x-forwarded-for", "198.51.100.7")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    let event = &audit::with_action(&app.db, "sign_in_failed").await.unwrap()[0];
    assert_eq!(event.ip.as_deref(), Some("198.51.100.7"));
}
