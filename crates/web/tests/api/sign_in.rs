//! Email one-time-code sign-in: the flow, S1 and S4.

use bucketdesk_domain::SignupPolicy;
use bucketdesk_testkit::{TestApp, code_in};

#[tokio::test]
async fn a_known_user_signs_in_with_the_code_from_a_real_mail() {
    let app = TestApp::spawn().await;
    app.create_user("alice@example.com").await;
    let browser = app.browser();

    let page = browser.request_code("Alice@Example.com ").await;
    assert_eq!(page.status, 303);
    assert_eq!(page.location(), Some("/login/code"));
    let page = browser.get("/login/code").await;
    assert!(page.body.contains("alice@example.com"), "{}", page.body);

    let mail = app.last_email_to("alice@example.com").await;
    let code = code_in(&mail.text).expect("a 6-digit code in the text body");
    assert_eq!(mail.subject, "Your bucketdesk sign-in code");
    assert!(mail.html.contains(&code), "the HTML body has the code too");
    for body in [&mail.text, &mail.html] {
        assert!(
            body.contains("10 minutes"),
            "the mail says how long the code works"
        );
        assert!(body.contains(" UTC"), "the mail says until when");
    }
    assert!(mail.html.contains(&format!("{}/login/code", app.url)));

    let page = browser.post("/login/code", &[("code", &code)]).await;
    assert_eq!(page.status, 303);
    assert_eq!(page.location(), Some("/"));
    let home = browser.get("/").await;
    assert_eq!(home.status, 200);
    assert!(home.body.contains("alice@example.com"));
}

#[tokio::test]
async fn an_unknown_email_gets_the_same_answer_and_no_mail() {
    let app = TestApp::spawn().await;
    app.create_user("known@example.com").await;

    let unknown = app.browser();
    let unknown_answer = unknown.request_code("nobody@example.com").await;
    let known = app.browser();
    let known_answer = known.request_code("known@example.com").await;

    assert_eq!(unknown_answer.status, known_answer.status);
    assert_eq!(unknown_answer.location(), known_answer.location());
    assert_eq!(unknown_answer.body, known_answer.body);
    let unknown_page = unknown
        .get("/login/code")
        .await
        .body
        .replace("nobody@example.com", "EMAIL");
    let known_page = known
        .get("/login/code")
        .await
        .body
        .replace("known@example.com", "EMAIL");
    let strip_token = |s: &str| {
        s.lines()
            .filter(|l| !l.contains("csrf_token"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(strip_token(&unknown_page), strip_token(&known_page));

    // the known address's mail arrives; by then the unknown one's would have too
    app.last_email_to("known@example.com").await;
    assert_eq!(app.mail.count_to("nobody@example.com"), 0);
}

#[tokio::test]
async fn with_invite_signup_an_unknown_email_never_gets_an_account() {
    let app = TestApp::spawn().await;
    let browser = app.browser();
    browser.request_code("stranger@example.com").await;
    for guess in ["000000", "123456", "999999"] {
        browser.post("/login/code", &[("code", guess)]).await;
    }
    let users: i64 = sqlx::query_scalar("select count(*) from users")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(users, 0);
    assert_eq!(browser.get("/").await.location(), Some("/login"));
}

#[tokio::test]
async fn with_open_signup_the_first_sign_in_creates_the_account() {
    let app = TestApp::builder().signup(SignupPolicy::Open).spawn().await;
    let browser = app.browser();
    let code = app.ask_for_code(&browser, "newcomer@example.com").await;
    let page = browser.post("/login/code", &[("code", &code)]).await;
    assert_eq!(page.location(), Some("/"));
    let email: String = sqlx::query_scalar("select email from users")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(email, "newcomer@example.com");
}

#[tokio::test]
async fn codes_are_six_digits_and_stored_only_as_a_keyed_hash() {
    let app = TestApp::spawn().await;
    app.create_user("alice@example.com").await;
    let code = app.ask_for_code(&app.browser(), "alice@example.com").await;
    assert_eq!(code.len(), 6);

    let (hash, expires_in): (Vec<u8>, f64) = sqlx::query_as(
        "select code_hash, extract(epoch from expires_at - created_at)::float8 from login_codes",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(hash.len(), 32, "an HMAC-SHA256");
    assert!(
        !hash.windows(6).any(|w| w == code.as_bytes()),
        "the code is not stored in the clear"
    );
    use sha2::Digest;
    assert_ne!(
        hash,
        sha2::Sha256::digest(code.as_bytes()).to_vec(),
        "not an unkeyed hash"
    );
    assert_eq!(expires_in, 600.0, "a code lives 10 minutes");
}

#[tokio::test]
async fn a_code_works_only_once() {
    let app = TestApp::spawn().await;
    app.create_user("alice@example.com").await;
    let browser = app.browser();
    let code = app.ask_for_code(&browser, "alice@example.com").await;
    assert_eq!(
        browser
            .post("/login/code", &[("code", &code)])
            .await
            .location(),
        Some("/")
    );

    // the same code, again, in a second browser that asked for a code of its own
    let second = app.browser();
    second.request_code("alice@example.com").await;
    let page = second.post("/login/code", &[("code", &code)]).await;
    assert_eq!(page.status, 422);
    assert!(page.body.contains("not right"), "{}", page.body);

    // and in the first browser, which used it already
    browser.get("/").await;
    let page = browser.post("/login/code", &[("code", &code)]).await;
    assert_eq!(page.status, 400);
    assert!(
        page.body
            .contains("did not ask for a sign-in code, or it already used it")
    );
}

#[tokio::test]
async fn a_new_code_kills_the_old_one() {
    let app = TestApp::spawn().await;
    app.create_user("alice@example.com").await;
    let first = app.browser();
    first.request_code("alice@example.com").await;
    let old_code = code_in(&app.mail.wait_for_nth("alice@example.com", 1).await.text).unwrap();

    let second = app.browser();
    second.request_code("alice@example.com").await;
    app.mail.wait_for_nth("alice@example.com", 2).await;

    let page = first.post("/login/code", &[("code", &old_code)]).await;
    assert_eq!(page.status, 422);
    assert!(page.body.contains("no longer works"), "{}", page.body);
}

#[tokio::test]
async fn the_code_only_works_in_the_browser_that_asked_for_it() {
    let app = TestApp::spawn().await;
    app.create_user("alice@example.com").await;
    let asker = app.browser();
    let code = app.ask_for_code(&asker, "alice@example.com").await;

    let other = app.browser();
    other.get("/login").await;
    let page = other.post("/login/code", &[("code", &code)]).await;
    assert_eq!(page.status, 400);
    assert!(
        page.body
            .contains("This browser did not ask for a sign-in code")
    );
    assert_eq!(
        other.get("/").await.location(),
        Some("/login"),
        "not signed in"
    );

    assert_eq!(
        asker
            .post("/login/code", &[("code", &code)])
            .await
            .location(),
        Some("/")
    );
}

#[tokio::test]
async fn an_expired_code_is_refused() {
    let app = TestApp::spawn().await;
    app.create_user("alice@example.com").await;
    let browser = app.browser();
    let code = app.ask_for_code(&browser, "alice@example.com").await;
    sqlx::query("update login_codes set expires_at = now() - interval '1 second'")
        .execute(&app.db)
        .await
        .unwrap();

    let page = browser.post("/login/code", &[("code", &code)]).await;
    assert_eq!(page.status, 422);
    assert!(page.body.contains("expired"), "{}", page.body);
    assert_eq!(browser.get("/").await.location(), Some("/login"));
}

#[tokio::test]
async fn bad_code_input_gets_a_clear_message() {
    let app = TestApp::spawn().await;
    app.create_user("alice@example.com").await;
    let browser = app.browser();
    browser.request_code("alice@example.com").await;
    for (input, message) in [
        ("", "Enter the 6-digit code"),
        ("12ab56", "The code is 6 digits"),
        ("1234567", "The code is 6 digits"),
    ] {
        let page = browser.post("/login/code", &[("code", input)]).await;
        assert_eq!(page.status, 422, "{input:?}");
        assert!(page.body.contains(message), "{input:?}: {}", page.body);
    }
    let tries: i32 = sqlx::query_scalar("select attempts from login_codes")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(tries, 0, "malformed input does not use up a try");
}

#[tokio::test]
async fn a_malformed_email_gets_a_clear_message() {
    let app = TestApp::spawn().await;
    let browser = app.browser();
    browser.get("/login").await;
    for (input, message) in [
        ("", "Enter an email address"),
        ("not-an-email", "looks like name@example.com"),
        (
            "<script>alert(1)</script>@x.com",
            "looks like name@example.com",
        ),
    ] {
        let page = browser.post("/login", &[("email", input)]).await;
        assert_eq!(page.status, 422, "{input:?}");
        assert!(page.body.contains(message), "{input:?}: {}", page.body);
        assert!(!page.body.contains("<script>alert"), "the input is escaped");
    }
    let page = browser.post("/login", &[]).await;
    assert_eq!(page.status, 422, "a missing field is an empty one");
}

#[tokio::test]
async fn a_page_opened_signed_out_is_where_sign_in_comes_back_to() {
    let app = TestApp::spawn().await;
    let alice = app.sign_in_as("alice@example.com").await;
    let workspace = alice.create_workspace("Team").await;
    let deep = format!("/w/{workspace}/audit?action=sign_in");

    let browser = app.browser();
    let sent = browser.get(&deep).await;
    let to_sign_in = crate::sign_in_then(&deep);
    assert_eq!(sent.location(), Some(to_sign_in.as_str()));
    let page = browser.get(&to_sign_in).await;
    assert!(
        page.body.contains(&format!(
            r#"name="next" value="{}""#,
            deep.replace('&', "&#38;")
        )),
        "{}",
        page.body
    );
    let asked = browser
        .post("/login", &[("email", "alice@example.com"), ("next", &deep)])
        .await;
    assert_eq!(asked.location(), Some("/login/code"));
    // the second code mail Alice gets (the first signed her in above)
    let mail = app.mail.wait_for_nth("alice@example.com", 2).await;
    let code = code_in(&mail.text).unwrap();
    let signed_in = browser.post("/login/code", &[("code", &code)]).await;
    assert_eq!(
        signed_in.location(),
        Some(deep.as_str()),
        "{}",
        signed_in.body
    );

    // only paths on this site, and a script's request is not sent to a page
    let elsewhere = app.browser();
    let page = elsewhere.get("/login?next=https://evil.example/").await;
    assert!(!page.body.contains("evil.example"), "{}", page.body);
    // a page's script, after its person signed out in another tab, hears so
    let token = alice.csrf_token().await;
    alice.post("/logout", &[]).await;
    let share = format!("/w/{workspace}/b/{}/share", uuid::Uuid::new_v4());
    let script = alice
        .post_raw(&share, &[("key", "a.txt")], &[("x-csrf-token", &token)])
        .await;
    assert_eq!(script.status, 401, "{}", script.body);
    assert!(script.body.contains("session has ended"), "{}", script.body);
    // the same, signed out everywhere from another device (the cookie stays)
    let laptop = browser;
    laptop.get(&format!("/w/{workspace}")).await;
    let token = laptop.csrf_token().await;
    app.sign_in_as("alice@example.com")
        .await
        .post("/logout/everywhere", &[])
        .await;
    let script = laptop
        .post_raw(&share, &[("key", "a.txt")], &[("x-csrf-token", &token)])
        .await;
    assert_eq!(script.status, 401, "{}", script.body);
}
