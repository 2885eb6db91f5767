//! Sign in with GitHub (S5), against the fake GitHub in testkit: state and
//! PKCE, accounts matched by GitHub's numeric id or a verified email only,
//! invitations, linking and unlinking, and every failure without a session.

use crate::team::{invite, invite_link, team};
use bucketdesk_domain::SignupPolicy;
use bucketdesk_testkit::{Browser, FakeGithub, GithubMode, GithubPerson, Page, TestApp};
use std::time::Duration;

async fn app_with_github() -> (TestApp, FakeGithub) {
    let github = FakeGithub::start().await;
    let app = TestApp::builder().github(&github).spawn().await;
    (app, github)
}

/// Starts a sign-in and follows it through GitHub back to bucketdesk.
async fn sign_in_with_github(github: &FakeGithub, browser: &Browser) -> Page {
    sign_in_with_github_at(github, browser, "/auth/github").await
}

/// Follows a page's "Sign in with GitHub" link, as a person clicking it would.
async fn sign_in_with_github_from(github: &FakeGithub, browser: &Browser, page: &Page) -> Page {
    let start = page
        .body
        .find(r#"href="/auth/github"#)
        .expect("a GitHub link")
        + 6;
    let href = page.body[start..].split('"').next().unwrap();
    sign_in_with_github_at(github, browser, href).await
}

async fn sign_in_with_github_at(github: &FakeGithub, browser: &Browser, start: &str) -> Page {
    let start = browser.get(start).await;
    assert_eq!(start.status, 303, "{}", start.body);
    github.go_through(browser, start).await
}

/// Answers the "confirm it is you" page that linking or unlinking GitHub
/// shows first (S18) with the code from the mail; returns what follows.
pub(crate) async fn confirm_with_mailed_code(
    app: &TestApp,
    browser: &Browser,
    asked: Page,
    email: &str,
) -> Page {
    assert_eq!(asked.status, 200, "{}", asked.body);
    assert!(asked.body.contains("Confirm it is you"), "{}", asked.body);
    // every confirmation code is mailed: wait for the newest (codes without a sign-in link)
    let codes: i64 = sqlx::query_scalar(
        "select count(*) from login_codes where email = $1 and link_hash is null",
    )
    .bind(email)
    .fetch_one(&app.db)
    .await
    .unwrap();
    let mail = app
        .mail
        .wait_for_nth_where(email, codes as usize, |m| {
            m.subject == "Your bucketdesk confirmation code"
        })
        .await;
    let code = bucketdesk_testkit::code_in(&mail.text).unwrap();
    browser.post("/account/confirm", &[("code", &code)]).await
}

async fn signed_in_as(browser: &Browser) -> Option<String> {
    let home = browser.get("/").await;
    (home.status == 200).then(|| {
        let start =
            home.body.find("Signed in as</dt><dd>").unwrap() + "Signed in as</dt><dd>".len();
        home.body[start..]
            .split(['<', ' '])
            .next()
            .unwrap()
            .to_owned()
    })
}

async fn github_id_of(app: &TestApp, email: &str) -> Option<i64> {
    sqlx::query_scalar("select github_id from users where email = $1")
        .bind(email)
        .fetch_one(&app.db)
        .await
        .unwrap()
}

/// An account already linked to a GitHub id (as after an earlier sign-in).
async fn linked_user(app: &TestApp, email: &str, github_id: i64) {
    app.create_user(email).await;
    sqlx::query("update users set github_id = $2, github_login = 'someone' where email = $1")
        .bind(email)
        .bind(github_id)
        .execute(&app.db)
        .await
        .unwrap();
}

/// A query parameter of a URL.
fn param(url: &str, name: &str) -> String {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

#[tokio::test]
async fn the_sign_in_page_offers_github_only_when_it_is_set_up() {
    let (app, _github) = app_with_github().await;
    let page = app.browser().get("/login").await;
    assert!(page.body.contains("Sign in with GitHub"), "{}", page.body);
    let plain = TestApp::spawn().await;
    let page = plain.browser().get("/login").await;
    assert!(!page.body.contains("Sign in with GitHub"));
    assert_eq!(plain.browser().get("/auth/github").await.status, 404);
}

#[tokio::test]
async fn github_sign_in_uses_state_pkce_and_the_exact_callback_and_matches_an_invited_verified_email()
 {
    let (app, github) = app_with_github().await;
    let t = team(&app).await;
    invite(&t, "bob@example.com", &[(&t.photos, "viewer")]).await;
    github.sign_in_as(GithubPerson::verified(1001, "bob-gh", "Bob@Example.com"));
    let browser = app.browser();
    let start = browser.get("/auth/github").await;
    let to_github = start.location().unwrap().to_owned();
    assert!(to_github.starts_with(&format!("{}/login/oauth/authorize?", github.url)));
    assert_eq!(
        param(&to_github, "redirect_uri"),
        format!("{}/auth/github/callback", app.url)
    );
    assert_eq!(param(&to_github, "scope"), "read:user user:email");
    assert_eq!(param(&to_github, "code_challenge_method"), "S256");
    assert!(param(&to_github, "state").len() >= 22, "a random state");

    let done = github.go_through(&browser, start).await;
    assert_eq!(done.status, 303, "{}", done.body);
    assert_eq!(done.location(), Some("/"));
    assert_eq!(
        signed_in_as(&browser).await.as_deref(),
        Some("bob@example.com")
    );
    let verifiers = github.verifiers_seen();
    assert_eq!(verifiers.len(), 1);
    assert!(
        verifiers[0].len() >= 43,
        "the PKCE verifier was sent: {verifiers:?}"
    );
    assert_eq!(github_id_of(&app, "bob@example.com").await, Some(1001));
    let actions: Vec<String> = sqlx::query_scalar(
        "select action from audit_events where actor_email = 'bob@example.com' order by id",
    )
    .fetch_all(&app.db)
    .await
    .unwrap();
    assert_eq!(actions, ["github_linked", "sign_in"]);

    // next time the numeric id decides, whatever the emails say now
    github.sign_in_as(GithubPerson {
        id: 1001,
        login: "bob-renamed".into(),
        emails: vec![("new@example.org".into(), false, true)],
    });
    let other = app.browser();
    assert_eq!(
        sign_in_with_github(&github, &other).await.location(),
        Some("/")
    );
    assert_eq!(
        signed_in_as(&other).await.as_deref(),
        Some("bob@example.com")
    );
    let home = other.get("/").await;
    assert!(
        home.body.contains("linked to <strong>bob-renamed</strong>"),
        "the login is kept current"
    );

    // an account that was used before is never taken over by a verified
    // address alone: its owner links GitHub on the account page
    github.sign_in_as(GithubPerson::verified(
        2002,
        "not-alice",
        "alice@example.com",
    ));
    let stranger = app.browser();
    let refused = sign_in_with_github(&github, &stranger).await;
    assert_eq!(refused.status, 403);
    assert!(
        refused
            .body
            .contains("is not linked to this GitHub account"),
        "{}",
        refused.body
    );
    assert_eq!(signed_in_as(&stranger).await, None);
}

#[tokio::test]
async fn a_wrong_replayed_or_expired_state_is_refused_with_400_and_no_session() {
    let (app, github) = app_with_github().await;
    linked_user(&app, "alice@example.com", 1).await;
    github.sign_in_as(GithubPerson::verified(1, "alice-gh", "alice@example.com"));

    // a state that is not the one this browser was given
    let browser = app.browser();
    let start = browser.get("/auth/github").await;
    let back = browser.get_url(start.location().unwrap()).await;
    let callback = back.location().unwrap().replace("state=", "state=x");
    let refused = browser.get_url(&callback).await;
    assert_eq!(refused.status, 400);
    assert!(
        refused.body.contains("does not belong to the sign-in"),
        "{}",
        refused.body
    );
    assert_eq!(signed_in_as(&browser).await, None);

    // a callback used once, replayed (here by another browser, then by the same)
    let browser = app.browser();
    let start = browser.get("/auth/github").await;
    let back = browser.get_url(start.location().unwrap()).await;
    let callback = back.location().unwrap().to_owned();
    let attacker = app.browser();
    let replayed = attacker.get_url(&callback).await;
    assert_eq!(replayed.status, 400);
    assert!(
        replayed.body.contains("not started in this browser"),
        "{}",
        replayed.body
    );
    assert_eq!(signed_in_as(&attacker).await, None);
    assert_eq!(browser.get_url(&callback).await.location(), Some("/"));
    // single use: the same answer again, in the same (now signed-in) browser
    let again = browser.get_url(&callback).await;
    assert_eq!(again.status, 400);
    assert!(again.body.contains("already used"), "{}", again.body);

    // a sign-in that took longer than its lifetime
    let github2 = FakeGithub::start().await;
    github2.sign_in_as(GithubPerson::verified(1, "alice-gh", "alice@example.com"));
    let mut settings = github2.settings();
    settings.flow_lifetime = Duration::from_secs(1);
    let slow_app = TestApp::builder().github_settings(settings).spawn().await;
    linked_user(&slow_app, "alice@example.com", 1).await;
    let browser = slow_app.browser();
    let start = browser.get("/auth/github").await;
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let late = github2.go_through(&browser, start).await;
    assert_eq!(late.status, 400);
    assert!(
        late.body.contains("longer than 10 minutes"),
        "{}",
        late.body
    );
    assert_eq!(signed_in_as(&browser).await, None);
}

#[tokio::test]
async fn an_unverified_email_never_signs_in_as_the_account_that_owns_it() {
    let (app, github) = app_with_github().await;
    app.create_user("alice@example.com").await;
    github.sign_in_as(GithubPerson {
        id: 666,
        login: "mallory".into(),
        emails: vec![
            ("alice@example.com".into(), false, true),
            ("mallory@evil.example".into(), true, false),
        ],
    });
    let browser = app.browser();
    let refused = sign_in_with_github(&github, &browser).await;
    assert_eq!(refused.status, 403);
    assert!(
        refused
            .body
            .contains("No bucketdesk account uses a verified email"),
        "{}",
        refused.body
    );
    assert_eq!(signed_in_as(&browser).await, None);
    assert_eq!(github_id_of(&app, "alice@example.com").await, None);
    let refusals: i64 = sqlx::query_scalar(
        "select count(*) from audit_events where action = 'github_sign_in_refused'",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(refusals, 1);

    // with open signup the identity gets an account of its own verified
    // address, never Alice's
    let github = FakeGithub::start().await;
    let open = TestApp::builder()
        .signup(SignupPolicy::Open)
        .github(&github)
        .spawn()
        .await;
    open.create_user("alice@example.com").await;
    github.sign_in_as(GithubPerson {
        id: 666,
        login: "mallory".into(),
        emails: vec![
            ("alice@example.com".into(), false, true),
            ("mallory@evil.example".into(), true, false),
        ],
    });
    let browser = open.browser();
    assert_eq!(
        sign_in_with_github(&github, &browser).await.location(),
        Some("/")
    );
    assert_eq!(
        signed_in_as(&browser).await.as_deref(),
        Some("mallory@evil.example")
    );
    assert_eq!(github_id_of(&open, "alice@example.com").await, None);

    // and no verified address at all: nothing to go on
    github.sign_in_as(GithubPerson {
        id: 777,
        login: "nobody".into(),
        emails: vec![("nobody@example.com".into(), false, true)],
    });
    let browser = open.browser();
    let refused = sign_in_with_github(&github, &browser).await;
    assert_eq!(refused.status, 403);
    assert!(
        refused.body.contains("no verified email address"),
        "{}",
        refused.body
    );
}

#[tokio::test]
async fn an_invited_person_signs_in_with_github_lands_in_the_workspace_and_can_go_back_to_email_codes()
 {
    let github = FakeGithub::start().await;
    let app = TestApp::builder().github(&github).spawn().await;
    let t = team(&app).await;
    invite(&t, "bob@example.com", &[(&t.photos, "viewer")]).await;
    let link = invite_link(&app, "bob@example.com").await;

    let bob = app.browser();
    let page = bob.get(&link).await;
    assert!(page.body.contains("Sign in with GitHub"), "{}", page.body);
    github.sign_in_as(GithubPerson {
        id: 42,
        login: "bob-gh".into(),
        emails: vec![
            ("bob@personal.example".into(), true, true),
            ("bob@example.com".into(), true, false),
        ],
    });
    let back = sign_in_with_github_from(&github, &bob, &page).await;
    assert_eq!(
        back.location(),
        Some(link.as_str()),
        "back to the invitation"
    );
    let page = bob.get(&link).await;
    assert!(page.body.contains("Accept the invitation"), "{}", page.body);
    let accepted = bob.post(&format!("{link}/accept"), &[]).await;
    assert_eq!(
        accepted.location(),
        Some(format!("/w/{}", t.workspace).as_str())
    );
    assert_eq!(bob.get(&t.bucket_path(&t.photos)).await.status, 200);

    // Bob unlinks GitHub, and signs in by email code from then on
    let home = bob.get("/").await;
    assert!(
        home.body.contains("linked to <strong>bob-gh</strong>"),
        "{}",
        home.body
    );
    let asked = bob.post("/account/github/unlink", &[]).await;
    let unlinked = confirm_with_mailed_code(&app, &bob, asked, "bob@example.com").await;
    assert_eq!(unlinked.location(), Some("/?done=github_unlinked"));
    assert_eq!(github_id_of(&app, "bob@example.com").await, None);
    bob.get("/").await;
    bob.post("/logout", &[]).await;
    // unlinked means unlinked: GitHub no longer gets in, verified address or not
    let refused = sign_in_with_github(&github, &bob).await;
    assert_eq!(refused.status, 403);
    assert_eq!(signed_in_as(&bob).await, None);
    app.sign_in(&bob, "bob@example.com").await;
    assert_eq!(signed_in_as(&bob).await.as_deref(), Some("bob@example.com"));
    let actions: Vec<String> = sqlx::query_scalar(
        "select action from audit_events where actor_email = 'bob@example.com' order by id",
    )
    .fetch_all(&app.db)
    .await
    .unwrap();
    for action in [
        "github_linked",
        "sign_in",
        "invite_accepted",
        "github_unlinked",
    ] {
        assert!(
            actions.iter().any(|a| a == action),
            "{action} in {actions:?}"
        );
    }
}

#[tokio::test]
async fn an_invitation_for_another_address_names_it_and_offers_the_email_code() {
    let github = FakeGithub::start().await;
    let app = TestApp::builder().github(&github).spawn().await;
    let t = team(&app).await;
    linked_user(&app, "dave@example.com", 7).await;
    invite(&t, "carol@example.com", &[(&t.photos, "viewer")]).await;
    let link = invite_link(&app, "carol@example.com").await;
    // Carol's GitHub account only has Dave's (verified) address
    github.sign_in_as(GithubPerson::verified(7, "carol-gh", "dave@example.com"));
    let carol = app.browser();
    let page = carol.get(&link).await;
    assert_eq!(
        sign_in_with_github_from(&github, &carol, &page)
            .await
            .location(),
        Some(link.as_str())
    );
    let page = carol.get(&link).await;
    assert!(
        page.body
            .contains("This invitation is for carol@example.com")
            && page
                .body
                .contains("with an email code sent to carol@example.com"),
        "{}",
        page.body
    );
    assert_eq!(carol.post(&format!("{link}/accept"), &[]).await.status, 403);
}

#[tokio::test]
async fn consent_denied_bad_codes_and_a_failing_or_slow_github_are_explained_without_a_session() {
    let (app, github) = app_with_github().await;
    linked_user(&app, "alice@example.com", 1).await;
    github.sign_in_as(GithubPerson::verified(1, "alice-gh", "alice@example.com"));

    github.set_mode(GithubMode::Deny);
    let browser = app.browser();
    let denied = sign_in_with_github(&github, &browser).await;
    assert_eq!(denied.status, 400);
    assert!(
        denied.body.contains("You did not allow bucketdesk"),
        "{}",
        denied.body
    );
    assert_eq!(signed_in_as(&browser).await, None);

    github.set_mode(GithubMode::Consent);
    let start = browser.get("/auth/github").await;
    let state = param(start.location().unwrap(), "state");
    let bad = browser
        .get(&format!(
            "/auth/github/callback?code=not-a-code&state={state}"
        ))
        .await;
    assert_eq!(bad.status, 400);
    assert!(
        bad.body
            .contains("GitHub refused the sign-in (bad_verification_code)"),
        "{}",
        bad.body
    );
    assert_eq!(signed_in_as(&browser).await, None);

    github.set_mode(GithubMode::Broken);
    let broken = sign_in_with_github(&github, &browser).await;
    assert_eq!(broken.status, 502);
    assert!(
        broken.body.contains("GitHub could not be reached"),
        "{}",
        broken.body
    );
    assert_eq!(signed_in_as(&browser).await, None);

    github.set_mode(GithubMode::Slow(Duration::from_secs(4)));
    let started = std::time::Instant::now();
    let slow = sign_in_with_github(&github, &browser).await;
    assert_eq!(slow.status, 502);
    assert!(
        slow.body.contains("did not answer in time"),
        "{}",
        slow.body
    );
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "gave up at the timeout"
    );
    assert_eq!(signed_in_as(&browser).await, None);

    let missing = app
        .browser()
        .get("/auth/github/callback?code=x&state=y")
        .await;
    assert_eq!(missing.status, 400);
}

#[tokio::test]
async fn a_signed_in_person_links_github_once_and_an_identity_belongs_to_one_account() {
    let (app, github) = app_with_github().await;
    let alice = app.sign_in_as("alice@example.com").await;
    let home = alice.get("/").await;
    assert!(home.body.contains("Link GitHub"), "{}", home.body);
    // her GitHub account uses another (verified) address: linking is explicit
    github.sign_in_as(GithubPerson::verified(5, "alice-gh", "alice@home.example"));
    let asked = alice.post("/account/github/link", &[]).await;
    let start = confirm_with_mailed_code(&app, &alice, asked, "alice@example.com").await;
    let done = github.go_through(&alice, start).await;
    assert_eq!(done.location(), Some("/?done=github_linked"));
    assert_eq!(github_id_of(&app, "alice@example.com").await, Some(5));
    let home = alice.get("/?done=github_linked").await;
    assert!(home.body.contains("GitHub is linked"), "{}", home.body);

    // the same GitHub account cannot be linked to Bob as well
    let bob = app.sign_in_as("bob@example.com").await;
    bob.get("/").await;
    let asked = bob.post("/account/github/link", &[]).await;
    let start = confirm_with_mailed_code(&app, &bob, asked, "bob@example.com").await;
    let refused = github.go_through(&bob, start).await;
    assert_eq!(refused.status, 409);
    assert_eq!(github_id_of(&app, "bob@example.com").await, None);

    // and it signs Alice in from another browser
    let elsewhere = app.browser();
    assert_eq!(
        sign_in_with_github(&github, &elsewhere).await.location(),
        Some("/")
    );
    assert_eq!(
        signed_in_as(&elsewhere).await.as_deref(),
        Some("alice@example.com")
    );
}

#[tokio::test]
async fn linking_github_needs_a_fresh_code_from_the_mailbox_and_tells_the_owner() {
    let (app, github) = app_with_github().await;
    let alice = app.sign_in_as("alice@example.com").await;
    alice.get("/").await;
    github.sign_in_as(GithubPerson::verified(
        8,
        "mallory-gh",
        "mallory@example.com",
    ));

    // a copy of Alice's session alone (say, stolen) cannot link anything
    let stolen = bucketdesk_testkit::Browser::new(&app.url);
    let cookie = alice.cookie_header().unwrap();
    let page = stolen
        .client
        .get(stolen.url("/"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    let page = stolen.read(page).await;
    let token = page.csrf_token().unwrap();
    let asked = stolen
        .post_raw(
            "/account/github/link",
            &[("csrf_token", &token)],
            &[("cookie", &cookie)],
        )
        .await;
    assert_eq!(
        asked.status, 200,
        "a code is asked for, not a redirect to GitHub"
    );
    assert!(asked.body.contains("Confirm it is you"));
    let wrong = stolen
        .post_raw(
            "/account/confirm",
            &[("csrf_token", &token), ("code", "000000")],
            &[("cookie", &cookie)],
        )
        .await;
    assert_eq!(wrong.status, 422);
    assert_eq!(github_id_of(&app, "alice@example.com").await, None);

    // Alice, with her mailbox, confirms and links
    github.sign_in_as(GithubPerson::verified(9, "alice-gh", "alice@home.example"));
    let asked = alice.post("/account/github/link", &[]).await;
    let start = confirm_with_mailed_code(&app, &alice, asked, "alice@example.com").await;
    assert_eq!(start.status, 303);
    let done = github.go_through(&alice, start).await;
    assert_eq!(done.location(), Some("/?done=github_linked"));
    assert_eq!(github_id_of(&app, "alice@example.com").await, Some(9));
    let told = app
        .mail
        .wait_for_nth_where("alice@example.com", 1, |m| {
            m.subject.contains("GitHub account alice-gh was linked")
        })
        .await;
    assert!(
        told.text.contains("127.0.0.1") && told.text.contains("bucketdesk-tests"),
        "{}",
        told.text
    );
    let confirmed: i64 = sqlx::query_scalar(
        "select count(*) from audit_events where action = 'identity_confirmed' and actor_email = 'alice@example.com'",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(confirmed, 1);

    // within ten minutes of the proof, unlinking asks for nothing more
    alice.get("/").await;
    let unlinked = alice.post("/account/github/unlink", &[]).await;
    assert_eq!(unlinked.location(), Some("/?done=github_unlinked"));
    app.mail
        .wait_for_nth_where("alice@example.com", 1, |m| {
            m.subject.contains("GitHub account alice-gh was unlinked")
        })
        .await;
}

#[tokio::test]
async fn a_disabled_account_cannot_sign_in_with_github() {
    let (app, github) = app_with_github().await;
    linked_user(&app, "dave@example.com", 77).await;
    sqlx::query("update users set disabled_at = now() where email = 'dave@example.com'")
        .execute(&app.db)
        .await
        .unwrap();
    github.sign_in_as(GithubPerson::verified(77, "dave-gh", "dave@example.com"));
    let browser = app.browser();
    let refused = sign_in_with_github(&github, &browser).await;
    assert_eq!(refused.status, 403);
    assert!(
        refused.body.contains("account is disabled"),
        "{}",
        refused.body
    );
    assert_eq!(signed_in_as(&browser).await, None);
}

#[tokio::test]
async fn an_account_with_an_authenticator_app_is_asked_for_it_after_github_too() {
    let (app, github) = app_with_github().await;
    linked_user(&app, "dave@example.com", 77).await;
    let with_code = app.sign_in_as("dave@example.com").await;
    let added = crate::second_factor::add_app(&app, &with_code, "dave@example.com").await;

    github.sign_in_as(GithubPerson::verified(77, "dave-gh", "dave@example.com"));
    let browser = app.browser();
    let answer = sign_in_with_github(&github, &browser).await;
    assert_eq!(
        answer.location(),
        Some("/login/second-factor"),
        "{}",
        answer.body
    );
    assert_eq!(
        signed_in_as(&browser).await,
        None,
        "not before the second factor"
    );
    let passed = crate::second_factor::second_factor(&browser, &added.code_in(30)).await;
    assert_eq!(passed.location(), Some("/"), "{}", passed.body);
    assert_eq!(
        signed_in_as(&browser).await.as_deref(),
        Some("dave@example.com")
    );
}
