//! A second factor (issue 17): an authenticator app added after a fresh
//! proof of identity, asked for after the email code, its codes good once
//! and only one step either side of now, recovery codes good once each, a
//! lock after many wrong codes, mails to the owner, and the workspace and
//! instance rules that lead a member without one to add one.

use crate::github::confirm_with_mailed_code;
use crate::team::{grant, team};
use bucketdesk_core::second_factor::code_at;
use bucketdesk_testkit::{Browser, Page, TestApp};
use time::{Duration, OffsetDateTime};

/// What adding an app leaves the test: its secret (to play the app) and
/// the recovery codes shown once.
pub(crate) struct AddedApp {
    secret: String,
    recovery_codes: Vec<String>,
}

impl AddedApp {
    /// The code the app shows `seconds` from now.
    pub(crate) fn code_in(&self, seconds: i64) -> String {
        code_at(
            &self.secret,
            OffsetDateTime::now_utc() + Duration::seconds(seconds),
        )
        .unwrap()
    }
}

fn between<'a>(text: &'a str, start: &str, end: &str) -> Vec<&'a str> {
    text.split(start)
        .skip(1)
        .filter_map(|rest| rest.split(end).next())
        .collect()
}

/// Adds an authenticator app to the account signed in in `browser`, as a
/// person would: the button, the mailed confirmation code, the secret off
/// the page, a code from the "app".
pub(crate) async fn add_app(app: &TestApp, browser: &Browser, email: &str) -> AddedApp {
    browser.get("/account/second-factor").await;
    let asked = browser
        .post("/account/second-factor/authenticator", &[])
        .await;
    let setup = confirm_with_mailed_code(app, browser, asked, email).await;
    assert_eq!(setup.status, 200, "{}", setup.body);
    assert!(setup.body.contains("<svg"), "a QR code: {}", setup.body);
    let secret: String = between(&setup.body, r#"id="totp-secret">"#, "<")[0]
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let before_id = &setup.body[..setup.body.find(r#"" id="otpauth-link""#).unwrap()];
    let app_link = before_id[before_id.rfind(r#"href=""#).unwrap() + 6..].replace("&#38;", "&");
    assert!(
        app_link.starts_with("otpauth://totp/bucketdesk%3A")
            && app_link.contains(&format!("?secret={secret}&issuer=bucketdesk&")),
        "the app link carries the same secret: {app_link}"
    );
    let code = code_at(&secret, OffsetDateTime::now_utc()).unwrap();
    let shown = browser
        .post(
            "/account/second-factor/authenticator/confirm",
            &[("code", &code)],
        )
        .await;
    assert_eq!(shown.status, 200, "{}", shown.body);
    let recovery_codes: Vec<String> = between(&shown.body, "<li><code>", "</code>")
        .into_iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(recovery_codes.len(), 10, "{}", shown.body);
    AddedApp {
        secret,
        recovery_codes,
    }
}

/// Signs `email` in with a mailed code in a new browser; returns the
/// browser and the page the code leads to.
async fn first_factor(app: &TestApp, email: &str) -> (Browser, Page) {
    // each from its own address, as different devices would: three codes
    // per address and network in 15 minutes is the sign-in limit
    static NEXT: std::sync::atomic::AtomicU8 = std::sync::atomic::AtomicU8::new(1);
    let host = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let browser = app.browser_from(&format!("198.51.100.{host}"));
    let code = app.ask_for_code(&browser, email).await;
    let page = browser.post("/login/code", &[("code", &code)]).await;
    (browser, page)
}

pub(crate) async fn second_factor(browser: &Browser, code: &str) -> Page {
    browser.get("/login/second-factor").await;
    browser
        .post("/login/second-factor", &[("code", code)])
        .await
}

/// The mail to `to` whose subject has `words` (waits for it).
async fn mail_about(app: &TestApp, to: &str, words: &str) -> String {
    app.mail
        .wait_for_nth_where(to, 1, |m| m.subject.contains(words))
        .await
        .subject
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(&app.db).await.unwrap()
}

#[tokio::test]
async fn an_account_with_an_authenticator_app_is_asked_for_its_code_after_the_email_code() {
    let app = TestApp::spawn().await;
    let ana = app.sign_in_as("ana@example.com").await;
    let added = add_app(&app, &ana, "ana@example.com").await;
    mail_about(
        &app,
        "ana@example.com",
        "An authenticator app was added as a second factor on your bucketdesk account",
    )
    .await;
    let stored: Vec<u8> = sqlx::query_scalar("select secret_sealed from totp_factors")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert!(
        !stored
            .windows(added.secret.len())
            .any(|w| w == added.secret.as_bytes()),
        "the secret is stored sealed"
    );

    let (browser, page) = first_factor(&app, "ana@example.com").await;
    assert_eq!(page.location(), Some("/login/second-factor"));
    assert_eq!(
        browser.get("/").await.location(),
        Some("/login"),
        "not signed in before the second factor"
    );
    let asked = browser.get("/login/second-factor").await;
    assert!(asked.body.contains("ana@example.com"), "{}", asked.body);

    let wrong = second_factor(&browser, "000000").await;
    assert_eq!(wrong.status, 422);
    assert!(
        wrong.body.contains("That code is not right"),
        "{}",
        wrong.body
    );
    assert_eq!(browser.get("/").await.location(), Some("/login"));
    mail_about(&app, "ana@example.com", "A wrong second factor was tried").await;

    // the code of now was spent adding the app: the next step's is accepted
    let next_code = added.code_in(30);
    let passed = second_factor(&browser, &next_code).await;
    assert_eq!(passed.location(), Some("/"), "{}", passed.body);
    assert_eq!(browser.get("/").await.status, 200);

    // the same code does not sign in anyone again
    let (other, _) = first_factor(&app, "ana@example.com").await;
    let replayed = second_factor(&other, &next_code).await;
    assert_eq!(replayed.status, 422, "a code is good once");
    assert_eq!(other.get("/").await.location(), Some("/login"));
    assert_eq!(
        count(
            &app,
            "select count(*) from audit_events where action = 'second_factor_failed'"
        )
        .await,
        2
    );
    assert_eq!(
        count(
            &app,
            "select count(*) from audit_events where action = 'second_factor_added'"
        )
        .await,
        1
    );
    // the sign-in is recorded once its second factor passed, not before
    assert_eq!(
        count(
            &app,
            "select count(*) from audit_events where action = 'first_factor_passed'"
        )
        .await,
        2
    );
    assert_eq!(
        count(&app, "select count(*) from audit_events where action = 'sign_in' and details->>'second_factor' = 'authenticator'").await,
        1
    );
}

#[tokio::test]
async fn codes_two_steps_away_are_refused() {
    let app = TestApp::spawn().await;
    let ana = app.sign_in_as("ana@example.com").await;
    let added = add_app(&app, &ana, "ana@example.com").await;
    for seconds in [-90, 90] {
        let (browser, _) = first_factor(&app, "ana@example.com").await;
        let page = second_factor(&browser, &added.code_in(seconds)).await;
        assert_eq!(page.status, 422, "a code {seconds} s away");
    }
}

#[tokio::test]
async fn each_recovery_code_signs_in_once() {
    let app = TestApp::spawn().await;
    let ana = app.sign_in_as("ana@example.com").await;
    let added = add_app(&app, &ana, "ana@example.com").await;
    let code = added.recovery_codes[3].to_uppercase();

    let (browser, _) = first_factor(&app, "ana@example.com").await;
    let passed = second_factor(&browser, &code).await;
    assert_eq!(
        passed.location(),
        Some("/account/second-factor?done=recovery_code_used")
    );
    let page = browser.get("/account/second-factor").await;
    assert!(page.body.contains("9 left"), "{}", page.body);
    mail_about(
        &app,
        "ana@example.com",
        "A recovery code was used to sign in (9 are left)",
    )
    .await;

    let (again, _) = first_factor(&app, "ana@example.com").await;
    let refused = second_factor(&again, &code).await;
    assert_eq!(refused.status, 422, "a recovery code is good once");
    let other = second_factor(&again, &added.recovery_codes[4]).await;
    assert!(other.location().is_some(), "{}", other.body);
}

#[tokio::test]
async fn many_wrong_codes_in_an_hour_stop_second_factor_codes_for_the_account() {
    let app = TestApp::spawn().await;
    let ana = app.sign_in_as("ana@example.com").await;
    let added = add_app(&app, &ana, "ana@example.com").await;
    let (browser, _) = first_factor(&app, "ana@example.com").await;
    for _ in 0..10 {
        assert_eq!(second_factor(&browser, "111111").await.status, 422);
    }
    let locked = second_factor(&browser, &added.code_in(30)).await;
    assert_eq!(locked.status, 429, "{}", locked.body);
    assert!(
        locked.body.contains("Too many wrong second factors"),
        "{}",
        locked.body
    );
    // the step is over: a new sign-in is needed, and it is refused too
    assert_eq!(
        browser.get("/login/second-factor").await.location(),
        Some("/login")
    );
    let (other, _) = first_factor(&app, "ana@example.com").await;
    assert_eq!(second_factor(&other, &added.code_in(30)).await.status, 429);
}

#[tokio::test]
async fn removing_the_app_asks_for_a_fresh_code_and_tells_the_owner() {
    let app = TestApp::spawn().await;
    let ana = app.sign_in_as("ana@example.com").await;
    add_app(&app, &ana, "ana@example.com").await;
    // adding the app proved it was Ana a moment ago: removing asks no code now
    let removed = ana.post("/account/second-factor/remove", &[]).await;
    assert_eq!(
        removed.location(),
        Some("/account/second-factor?done=removed")
    );
    mail_about(
        &app,
        "ana@example.com",
        "The authenticator app (second factor) was removed",
    )
    .await;
    assert_eq!(count(&app, "select count(*) from totp_factors").await, 0);
    assert_eq!(count(&app, "select count(*) from recovery_codes").await, 0);
    let (browser, page) = first_factor(&app, "ana@example.com").await;
    assert_eq!(page.location(), Some("/"), "no second step any more");
    assert_eq!(browser.get("/").await.status, 200);

    // a session without a fresh proof is asked for one first
    let (later, _) = first_factor(&app, "ana@example.com").await;
    later.get("/account/second-factor").await;
    let asked = later
        .post("/account/second-factor/authenticator", &[])
        .await;
    assert!(asked.body.contains("Confirm it is you"), "{}", asked.body);
}

#[tokio::test]
async fn a_workspace_that_asks_for_a_second_factor_leads_a_member_without_one_to_add_one() {
    let app = TestApp::spawn().await;
    let team = team(&app).await;
    grant(&app, &team, "bob@example.com", &team.photos, "editor").await;
    let bob = app.sign_in_as("bob@example.com").await;
    let token = bob.make_access_token("script", &["read"]).await;
    let workspace = format!("/w/{}", team.workspace);
    let rule = format!("{workspace}/second-factor-rule");

    // Alice has no second factor herself: she cannot turn the rule on
    let page = team.alice.get(&workspace).await;
    assert!(
        page.body
            .contains("Add a second factor to your own account first"),
        "{}",
        page.body
    );
    let refused = team.alice.post(&rule, &[("required", "on")]).await;
    assert_eq!(
        refused.location(),
        Some("/account/second-factor?required=1")
    );
    add_app(&app, &team.alice, "alice@example.com").await;
    team.alice.get(&workspace).await;
    let on = team.alice.post(&rule, &[("required", "on")]).await;
    assert_eq!(
        on.location(),
        Some(format!("{workspace}?done=second_factor_rule_on").as_str())
    );

    // the Members page shows who lacks one
    let members = team.alice.get(&team.members_path()).await;
    let row_of = |page: &str, email: &str| {
        let start = page.find(&format!("<td>{email}")).unwrap();
        page[start..start + page[start..].find("</td>").unwrap()].to_owned()
    };
    assert!(row_of(&members.body, "bob@example.com").contains("no second factor"));
    assert!(row_of(&members.body, "alice@example.com").contains(">second factor<"));

    // Bob's next click is led to add one
    let bucket = team.bucket_path(&team.photos);
    for path in [workspace.as_str(), bucket.as_str()] {
        let led = bob.get(path).await;
        assert_eq!(
            led.location(),
            Some("/account/second-factor?required=1"),
            "{path}"
        );
    }
    let help = bob.get("/account/second-factor?required=1").await;
    assert!(
        help.body.contains("asks its members for a second factor"),
        "{}",
        help.body
    );
    assert!(bob.get("/").await.body.contains("asks for a"));
    // and his token is refused there, with a reason programs can read
    let api = reqwest::Client::new()
        .get(format!(
            "{}/api/v1/workspaces/{}/buckets/{}/objects",
            app.url, team.workspace, team.photos
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), 403);
    let body: serde_json::Value = api.json().await.unwrap();
    assert_eq!(body["error"]["code"], "second_factor_required", "{body}");

    // with an app, the workspace opens again
    add_app(&app, &bob, "bob@example.com").await;
    let members = team.alice.get(&team.members_path()).await;
    assert!(!row_of(&members.body, "bob@example.com").contains("no second factor"));
    assert_eq!(bob.get(&workspace).await.status, 200);
    assert_eq!(bob.get(&bucket).await.status, 200);
    assert_eq!(
        count(
            &app,
            "select count(*) from audit_events where action = 'workspace_second_factor_rule_set'"
        )
        .await,
        1
    );
}

#[tokio::test]
async fn the_instance_rule_leads_everyone_without_a_second_factor_to_add_one() {
    let app = TestApp::builder()
        .configure(|s| s.require_second_factor = true)
        .spawn()
        .await;
    let ana = app.sign_in_as("ana@example.com").await;
    assert_eq!(ana.get("/").await.status, 200, "the account page opens");
    for path in ["/workspaces/new", "/account/tokens"] {
        assert_eq!(
            ana.get(path).await.location(),
            Some("/account/second-factor?required=1"),
            "{path}"
        );
    }
    add_app(&app, &ana, "ana@example.com").await;
    assert_eq!(ana.get("/account/tokens").await.status, 200);
}
