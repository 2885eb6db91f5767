//! CSRF (S8): state-changing requests must come from bucketdesk's own pages.

use bucketdesk_testkit::TestApp;

#[tokio::test]
async fn a_form_without_the_token_is_refused() {
    let app = TestApp::spawn().await;
    let browser = app.sign_in_as("alice@example.com").await;
    let page = browser.post_raw("/logout", &[], &[]).await;
    assert_eq!(page.status, 403);
    assert!(page.body.contains("reload the page"), "{}", page.body);
    assert_eq!(browser.get("/").await.status, 200, "still signed in");
}

#[tokio::test]
async fn a_wrong_token_is_refused() {
    let app = TestApp::spawn().await;
    let browser = app.sign_in_as("alice@example.com").await;
    let page = browser
        .post_raw("/logout/everywhere", &[("csrf_token", "forged")], &[])
        .await;
    assert_eq!(page.status, 403);
    assert_eq!(browser.get("/").await.status, 200, "still signed in");
}

#[tokio::test]
async fn another_sessions_token_is_refused() {
    let app = TestApp::spawn().await;
    let alice = app.sign_in_as("alice@example.com").await;
    let mallory = app.sign_in_as("mallory@example.com").await;
    let mallorys_token = mallory.csrf_token().await;
    let page = alice
        .post_raw("/logout", &[("csrf_token", &mallorys_token)], &[])
        .await;
    assert_eq!(page.status, 403);
}

#[tokio::test]
async fn a_cross_site_request_is_refused_even_with_a_valid_token() {
    let app = TestApp::spawn().await;
    let browser = app.sign_in_as("alice@example.com").await;
    let token = browser.csrf_token().await;
    for headers in [
        [
            ("origin", "https://evil.example"),
            ("sec-fetch-site", "cross-site"),
        ],
        [("origin", "https://evil.example"), ("x-unused", "")],
        [("origin", "null"), ("sec-fetch-site", "cross-site")],
        [("sec-fetch-site", "same-site"), ("x-unused", "")],
    ] {
        let page = browser
            .post_raw("/logout", &[("csrf_token", &token)], &headers)
            .await;
        assert_eq!(page.status, 403, "{headers:?}");
    }
    assert_eq!(browser.get("/").await.status, 200, "still signed in");
}

#[tokio::test]
async fn a_same_origin_request_with_the_token_passes() {
    let app = TestApp::spawn().await;
    let browser = app.sign_in_as("alice@example.com").await;
    let token = browser.csrf_token().await;
    let headers = [
        ("origin", app.url.as_str()),
        ("sec-fetch-site", "same-origin"),
    ];
    let page = browser
        .post_raw("/logout", &[("csrf_token", &token)], &headers)
        .await;
    assert_eq!(page.status, 303);
    assert_eq!(browser.get("/").await.status, 303, "signed out");
}

#[tokio::test]
async fn a_browser_that_hides_the_origin_of_a_same_origin_form_is_let_through() {
    // what Chromium sends for a form on a page with Referrer-Policy: no-referrer
    let app = TestApp::spawn().await;
    let browser = app.sign_in_as("alice@example.com").await;
    let token = browser.csrf_token().await;
    let headers = [("origin", "null"), ("sec-fetch-site", "same-origin")];
    let page = browser
        .post_raw("/logout", &[("csrf_token", &token)], &headers)
        .await;
    assert_eq!(page.status, 303);
}

#[tokio::test]
async fn the_token_may_come_in_a_header() {
    let app = TestApp::spawn().await;
    let browser = app.sign_in_as("alice@example.com").await;
    let token = browser.csrf_token().await;
    let page = browser
        .post_raw("/logout", &[], &[("x-csrf-token", &token)])
        .await;
    assert_eq!(page.status, 303);
}

#[tokio::test]
async fn signing_in_needs_the_token_too() {
    let app = TestApp::spawn().await;
    app.create_user("alice@example.com").await;
    let browser = app.browser();
    let page = browser
        .post_raw("/login", &[("email", "alice@example.com")], &[])
        .await;
    assert_eq!(page.status, 403);
    let codes: i64 = sqlx::query_scalar("select count(*) from login_codes")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(codes, 0, "no code was made");
}

#[tokio::test]
async fn no_get_request_changes_state() {
    let app = TestApp::spawn().await;
    let browser = app.sign_in_as("alice@example.com").await;
    for path in ["/logout", "/logout/everywhere"] {
        let page = browser.get(path).await;
        assert_eq!(page.status, 405, "{path}");
    }
    assert_eq!(browser.get("/").await.status, 200, "still signed in");
}

#[tokio::test]
async fn a_token_from_before_sign_in_does_not_work_after_it() {
    let app = TestApp::spawn().await;
    app.create_user("alice@example.com").await;
    let browser = app.browser();
    let before = browser.get("/login").await.csrf_token().unwrap();
    app.sign_in(&browser, "alice@example.com").await;
    let page = browser
        .post_raw("/logout", &[("csrf_token", &before)], &[])
        .await;
    assert_eq!(
        page.status, 403,
        "tokens are bound to the signed-in session"
    );
    let now = browser.csrf_token().await;
    assert_ne!(now, before);
    assert_eq!(
        browser
            .post_raw("/logout", &[("csrf_token", &now)], &[])
            .await
            .status,
        303
    );
}

#[tokio::test]
async fn a_token_without_the_cookie_it_was_made_from_is_refused() {
    let app = TestApp::spawn().await;
    app.create_user("alice@example.com").await;
    let token = app.browser().get("/login").await.csrf_token().unwrap();
    // another browser (no cookie, or its own) replays the token
    for other in [app.browser(), {
        let b = app.browser();
        b.get("/login").await;
        b
    }] {
        let page = other
            .post_raw(
                "/login",
                &[("csrf_token", &token), ("email", "alice@example.com")],
                &[],
            )
            .await;
        assert_eq!(page.status, 403);
    }
}

#[tokio::test]
async fn refused_requests_are_recorded_in_the_audit_trail_without_the_token() {
    let app = TestApp::spawn().await;
    let browser = app.sign_in_as("alice@example.com").await;
    let alice = app.create_user("alice@example.com").await;
    let token = browser.csrf_token().await;
    browser
        .post_raw(
            "/logout",
            &[("csrf_token", &token)],
            &[
                ("sec-fetch-site", "cross-site"),
                ("x-forwarded-for", "203.0.113.5"),
            ],
        )
        .await;
    browser
        .post_raw("/logout/everywhere", &[("csrf_token", "forged-token")], &[])
        .await;
    // a flood of the same refusal is on record once a minute, not once per request
    for _ in 0..20 {
        let refused = browser
            .post_raw("/logout/everywhere", &[("csrf_token", "forged-token")], &[])
            .await;
        assert_eq!(refused.status, 403);
    }
    let events = bucketdesk_db::audit::with_action(&app.db, "csrf_refused")
        .await
        .unwrap();
    assert_eq!(events.len(), 2);
    assert_eq!(events[0].ip.as_deref(), Some("203.0.113.5"));
    assert_eq!(events[0].actor_id, Some(alice.id));
    assert_eq!(events[0].details["route"], "/logout");
    assert_eq!(events[0].details["reason"], "cross_site");
    assert_eq!(events[1].details["route"], "/logout/everywhere");
    assert_eq!(events[1].details["reason"], "wrong_token");
    for event in &events {
        let text = event.details.to_string();
        assert!(
            !text.contains(&token) && !text.contains("forged-token"),
            "{text}"
        );
    }
}
