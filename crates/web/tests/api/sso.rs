//! Single sign-on against a real OpenID Connect provider (the certified
//! `oidc-provider` package, run by Node): the full code flow with PKCE, the
//! account matched by a verified address and then by the provider's subject,
//! and every answer that must be refused (a tampered, misaddressed, expired
//! or foreign-signed ID token, a replayed `state` or `nonce`, an unverified
//! address) refused with a clear page and no session.

use bucketdesk_domain::SignupPolicy;
use bucketdesk_testkit::{Browser, IdpAccount, OidcProvider, TestApp};

const ACCOUNTS: &[IdpAccount] = &[
    IdpAccount {
        id: "ana",
        email: "ana@example.com",
        email_verified: true,
        groups: &["staff"],
        userinfo_only: false,
    },
    IdpAccount {
        id: "uma",
        email: "uma@example.com",
        email_verified: false,
        groups: &[],
        userinfo_only: false,
    },
    IdpAccount {
        id: "boss",
        email: "boss@corp.example",
        email_verified: true,
        groups: &["staff", "bucketdesk-admins"],
        userinfo_only: false,
    },
    // a provider that keeps the address out of the ID token (user info only)
    IdpAccount {
        id: "ines",
        email: "ines@corp.example",
        email_verified: true,
        groups: &["bucketdesk-admins"],
        userinfo_only: true,
    },
];

/// A bucketdesk with the provider `idp` set up, as `change` adjusts it.
async fn with_provider(
    change: impl FnOnce(&mut bucketdesk_web::oidc::SsoSettings),
    signup: SignupPolicy,
) -> (TestApp, OidcProvider) {
    let idp = OidcProvider::start(ACCOUNTS);
    let mut settings = idp.settings("idp");
    change(&mut settings);
    let app = TestApp::builder()
        .signup(signup)
        .sso(settings)
        .spawn()
        .await;
    (app, idp)
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(&app.db).await.unwrap()
}

async fn signed_in(browser: &Browser) -> bool {
    browser.get("/").await.status == 200
}

#[tokio::test]
async fn a_verified_address_signs_in_to_its_account_and_later_by_the_providers_subject() {
    let (app, idp) = with_provider(|_| {}, SignupPolicy::Invite).await;
    app.create_user("ana@example.com").await;
    let login = Browser::new(&app.url).get("/login").await;
    assert!(
        login
            .body
            .contains(r#"href="/auth/sso/idp">Sign in with Test IdP</a>"#)
    );

    let browser = Browser::new(&app.url);
    idp.next_account("ana").await;
    let (answer, _) = idp.sign_in(&browser, "idp").await;
    assert_eq!(answer.location(), Some("/"), "{}", answer.body);
    assert!(signed_in(&browser).await);
    assert_eq!(
        count(&app, "select count(*) from sso_identities where subject = 'ana' and email = 'ana@example.com'").await,
        1
    );
    assert_eq!(
        count(
            &app,
            "select count(*) from audit_events where action = 'sso_linked'"
        )
        .await,
        1
    );
    assert_eq!(
        count(&app, "select count(*) from audit_events where action = 'sign_in' and details->>'method' = 'sso'").await,
        1
    );
    let mail = app.last_email_to("ana@example.com").await;
    assert!(
        mail.text
            .contains("Single sign-on with Test IdP was linked on your bucketdesk account"),
        "{}",
        mail.text
    );

    // the second time the subject decides, and nothing is linked again
    let again = Browser::new(&app.url);
    let (answer, _) = idp.sign_in(&again, "idp").await;
    assert_eq!(answer.location(), Some("/"));
    assert_eq!(
        count(
            &app,
            "select count(*) from audit_events where action = 'sso_linked'"
        )
        .await,
        1
    );

    // signing out offers the provider's own sign-out
    let page = again.get("/").await;
    let out = again.post("/logout", &[]).await;
    assert_eq!(out.location(), Some("/login?signed_out=1"), "{page:?}");
    let login = again.get("/login?signed_out=1").await;
    assert!(
        login.body.contains("Also sign out of Test IdP"),
        "{}",
        login.body
    );
    assert!(
        login
            .body
            .contains(&format!("{}/session/end?client_id=bucketdesk", idp.issuer))
    );
    // with the sign-in's ID token as the hint (Okta requires it)
    assert!(
        login.body.contains("&#38;id_token_hint=ey"),
        "{}",
        login.body
    );
    // offered once: the page does not offer it again
    let again_login = again.get("/login?signed_out=1").await;
    assert!(!again_login.body.contains("Also sign out of"));
}

#[tokio::test]
async fn every_answer_that_cannot_be_trusted_is_refused_with_a_clear_page_and_no_session() {
    let (app, idp) = with_provider(|_| {}, SignupPolicy::Open).await;
    idp.next_account("ana").await;
    // a first sign-in, so `replay` has an earlier ID token to send again
    let first_browser = Browser::new(&app.url);
    let (first, callback) = idp.sign_in(&first_browser, "idp").await;
    assert_eq!(first.location(), Some("/"));

    for (mode, words) in [
        ("tamper", "signature does not check out"),
        ("wrong_aud", "meant for another application"),
        ("expired", "has expired"),
        ("unknown_key", "signature does not check out"),
        ("replay", "belongs to another sign-in"),
    ] {
        idp.mode(mode).await;
        let browser = Browser::new(&app.url);
        let (answer, _) = idp.sign_in(&browser, "idp").await;
        assert_eq!(answer.status, 400, "{mode}: {}", answer.body);
        assert!(answer.body.contains(words), "{mode}: {}", answer.body);
        assert!(!signed_in(&browser).await, "{mode}: no session");
    }
    idp.mode("normal").await;

    // the first sign-in's answer, brought back again in the same browser: its state was used
    let replayed = first_browser.get(&callback).await;
    assert_eq!(replayed.status, 400);
    assert!(
        replayed
            .body
            .contains("not started in this browser, or it was already used")
    );
    // an answer to another sign-in than the one this browser started
    let browser = Browser::new(&app.url);
    browser.get("/auth/sso/idp").await;
    let wrong = browser
        .get("/auth/sso/idp/callback?code=abc&state=not-the-one")
        .await;
    assert_eq!(wrong.status, 400);
    assert!(
        wrong
            .body
            .contains("does not belong to the sign-in this browser started")
    );
    assert!(!signed_in(&browser).await);

    // an address the provider does not vouch for: not even an existing
    // account of that address is reached
    app.create_user("uma@example.com").await;
    idp.next_account("uma").await;
    let browser = Browser::new(&app.url);
    let (answer, _) = idp.sign_in(&browser, "idp").await;
    assert_eq!(answer.status, 403);
    assert!(
        answer
            .body
            .contains("uma@example.com is yours (it is not verified there)")
    );
    assert!(!signed_in(&browser).await);
    assert_eq!(
        count(
            &app,
            "select count(*) from sso_identities where subject = 'uma'"
        )
        .await,
        0
    );
    assert_eq!(
        count(
            &app,
            "select count(*) from audit_events where action = 'sso_sign_in_refused'"
        )
        .await,
        1
    );
}

#[tokio::test]
async fn an_account_in_use_is_linked_only_when_the_provider_is_trusted_for_its_addresses() {
    let (app, idp) = with_provider(|_| {}, SignupPolicy::Invite).await;
    // Ana has signed in with codes before: the provider cannot take her account
    app.sign_in_as("ana@example.com").await;
    idp.next_account("ana").await;
    let browser = Browser::new(&app.url);
    let (answer, _) = idp.sign_in(&browser, "idp").await;
    assert_eq!(answer.status, 403, "{}", answer.body);
    assert!(
        answer
            .body
            .contains("already in use and is not linked to Test IdP")
    );
    assert!(!signed_in(&browser).await);

    // a provider trusted for its addresses (a company directory) links it
    let (app, idp) = with_provider(|s| s.trust_email = true, SignupPolicy::Invite).await;
    app.sign_in_as("ana@example.com").await;
    idp.next_account("ana").await;
    let browser = Browser::new(&app.url);
    let (answer, _) = idp.sign_in(&browser, "idp").await;
    assert_eq!(answer.location(), Some("/"), "{}", answer.body);
    assert_eq!(
        count(
            &app,
            "select count(*) from audit_events where action = 'sso_linked'"
        )
        .await,
        1
    );
}

#[tokio::test]
async fn a_provider_that_rotates_its_signing_key_is_followed() {
    let (app, idp) = with_provider(|_| {}, SignupPolicy::Open).await;
    idp.next_account("ana").await;
    let (first, _) = idp.sign_in(&Browser::new(&app.url), "idp").await;
    assert_eq!(first.location(), Some("/"));
    // bucketdesk holds the first key; the provider now signs with a second
    idp.mode("rotate").await;
    let browser = Browser::new(&app.url);
    let (answer, _) = idp.sign_in(&browser, "idp").await;
    assert_eq!(answer.location(), Some("/"), "{}", answer.body);
    assert!(signed_in(&browser).await);
}

#[tokio::test]
async fn closed_signup_admits_only_the_providers_allowed_domains_and_a_claim_makes_admins() {
    let (app, idp) = with_provider(
        |settings| {
            settings.allowed_domains = vec!["corp.example".into()];
            settings.admin_claim = Some(("groups".into(), "bucketdesk-admins".into()));
        },
        SignupPolicy::Invite,
    )
    .await;
    // no account and not an allowed domain: refused
    idp.next_account("ana").await;
    let browser = Browser::new(&app.url);
    let (answer, _) = idp.sign_in(&browser, "idp").await;
    assert_eq!(answer.status, 403);
    assert!(
        answer
            .body
            .contains("No bucketdesk account uses ana@example.com")
    );
    // an allowed domain gets an account, and the claim makes it an admin
    idp.next_account("boss").await;
    let boss = Browser::new(&app.url);
    let (answer, _) = idp.sign_in(&boss, "idp").await;
    assert_eq!(answer.location(), Some("/"), "{}", answer.body);
    assert_eq!(boss.get("/admin/users").await.status, 200);
    assert_eq!(
        count(
            &app,
            "select count(*) from users where email = 'boss@corp.example' and is_admin"
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &app,
            "select count(*) from audit_events where action = 'admin_granted_by_sso'"
        )
        .await,
        1
    );
    // from user info when the ID token lacks them: address and admin claim
    idp.next_account("ines").await;
    let ines = Browser::new(&app.url);
    let (answer, _) = idp.sign_in(&ines, "idp").await;
    assert_eq!(answer.location(), Some("/"), "{}", answer.body);
    assert_eq!(ines.get("/admin/users").await.status, 200);
    // a claim that no longer holds takes admin away, but never from the last admin
    let make_admins = |emails: &'static [&'static str]| {
        let db = app.db.clone();
        async move {
            sqlx::query("update users set is_admin = (email = any($1))")
                .bind(emails)
                .execute(&db)
                .await
                .unwrap();
        }
    };
    app.create_user("ana@example.com").await;
    make_admins(&["ana@example.com", "boss@corp.example"]).await;
    idp.next_account("ana").await;
    let (answer, _) = idp.sign_in(&Browser::new(&app.url), "idp").await;
    assert_eq!(answer.location(), Some("/"), "{}", answer.body);
    let admin = "select count(*) from users where email = 'ana@example.com' and is_admin";
    assert_eq!(
        count(&app, admin).await,
        0,
        "ana is not in the admins' group"
    );
    make_admins(&["ana@example.com"]).await;
    let (answer, _) = idp.sign_in(&Browser::new(&app.url), "idp").await;
    assert_eq!(answer.location(), Some("/"));
    assert_eq!(count(&app, admin).await, 1, "the last admin stays one");
}

#[tokio::test]
async fn with_single_sign_on_the_only_way_in_email_codes_and_github_are_off() {
    let idp = OidcProvider::start(ACCOUNTS);
    let app = TestApp::builder()
        .sso(idp.settings("idp"))
        .configure(|settings| settings.sso_only = true)
        .spawn()
        .await;
    let login = Browser::new(&app.url).get("/login").await;
    assert!(login.body.contains("Sign in with Test IdP"));
    assert!(!login.body.contains("Email me a code"));

    // Ana signs in with the provider and shares a file behind a password
    app.create_user("ana@example.com").await;
    idp.next_account("ana").await;
    let ana = Browser::new(&app.url);
    let (answer, _) = idp.sign_in(&ana, "idp").await;
    assert_eq!(answer.location(), Some("/"), "{}", answer.body);
    app.s3.create_bucket("photos").unwrap();
    std::fs::write(app.s3.root.join("photos/a.txt"), b"a").unwrap();
    let workspace = ana.create_workspace("Team").await;
    let bucket = ana
        .connect_bucket(&workspace, &app.s3, "Photos", "photos")
        .await;
    let base = format!("/w/{workspace}/b/{bucket}");
    ana.get(&format!("{base}/links/new")).await;
    let link = crate::links::made_link_path(
        &ana,
        &format!("{base}/links"),
        &[("keys", "a.txt"), ("password", "a password")],
    )
    .await;
    // its visitor holds a page's token, yet cannot ask for a code
    let visitor = Browser::new(&app.url);
    assert_eq!(visitor.get(&link).await.status, 200);
    let asked = visitor
        .post("/login", &[("email", "ana@example.com")])
        .await;
    assert_eq!(asked.status, 403, "{}", asked.body);
    assert!(asked.body.contains("Email codes are off here"));
    let typed = visitor.post("/login/code", &[("code", "123456")]).await;
    assert_eq!(typed.status, 403, "no code is taken either");
    let codes = app
        .mail
        .all()
        .into_iter()
        .filter(|m| m.subject.contains("sign-in code"))
        .count();
    assert_eq!(codes, 0, "no code was mailed");
}

#[tokio::test]
async fn a_provider_that_cannot_be_read_is_asked_again_only_after_a_pause() {
    // a "provider" that answers every request with an error, counting them
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let issuer = format!("http://{}", listener.local_addr().unwrap());
    let asked = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = asked.clone();
    tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        while let Ok((mut stream, _)) = listener.accept().await {
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let mut request = [0u8; 2048];
            let _ = stream.read(&mut request).await;
            let _ = stream
                .write_all(b"HTTP/1.1 500 Internal Server Error\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                .await;
        }
    });
    let idp = OidcProvider::start(ACCOUNTS);
    let mut settings = idp.settings("down");
    settings.issuer = issuer;
    let app = TestApp::builder().sso(settings).spawn().await;
    let browser = Browser::new(&app.url);
    for _ in 0..5 {
        let start = browser.get("/auth/sso/down").await;
        assert_eq!(start.status, 502);
        assert!(
            start.body.contains("could not be reached just now"),
            "{}",
            start.body
        );
        assert!(!start.body.contains("127.0.0.1"), "no address on the page");
        let login = browser.get("/login?signed_out=1&sso=down").await;
        assert_eq!(login.status, 200);
        assert!(!login.body.contains("Also sign out"));
    }
    assert_eq!(
        asked.load(std::sync::atomic::Ordering::SeqCst),
        1,
        "one failure is remembered for a while"
    );
}

#[tokio::test]
async fn single_sign_on_counts_as_a_second_factor_where_a_workspace_asks_for_one() {
    let (app, idp) = with_provider(|_| {}, SignupPolicy::Invite).await;
    app.create_user("ana@example.com").await;
    let through_sso = Browser::new(&app.url);
    idp.next_account("ana").await;
    idp.sign_in(&through_sso, "idp").await;
    let workspace = through_sso.create_workspace("Corp").await;
    let path = format!("/w/{workspace}");
    through_sso.get(&path).await;
    let on = through_sso
        .post(&format!("{path}/second-factor-rule"), &[("required", "on")])
        .await;
    assert_eq!(
        on.location(),
        Some(format!("{path}?done=second_factor_rule_on").as_str()),
        "an Owner signed in with single sign-on may turn the rule on"
    );
    assert_eq!(through_sso.get(&path).await.status, 200);

    // the same person with only an email code is led to add a second factor
    let with_code = app.sign_in_as("ana@example.com").await;
    assert_eq!(
        with_code.get(&path).await.location(),
        Some("/account/second-factor?required=1")
    );
}

#[tokio::test]
async fn an_account_in_use_links_single_sign_on_from_its_page_after_a_fresh_code() {
    let (app, idp) = with_provider(|_| {}, SignupPolicy::Invite).await;
    // Ana's account is in use, and her provider account has another address
    let ana = app.sign_in_as("ana@example.com").await;
    let home = ana.get("/").await;
    assert!(
        home.body.contains("Link it to sign in with it"),
        "{}",
        home.body
    );
    let asked = ana.post("/account/sso/idp/link", &[]).await;
    let to_provider =
        crate::github::confirm_with_mailed_code(&app, &ana, asked, "ana@example.com").await;
    assert!(
        to_provider
            .location()
            .is_some_and(|l| l.starts_with(&idp.issuer)),
        "{to_provider:?}"
    );
    idp.next_account("boss").await;
    let (answer, _) = idp.go_through(&ana, to_provider).await;
    assert_eq!(
        answer.location(),
        Some("/?done=sso_linked"),
        "{}",
        answer.body
    );
    assert_eq!(
        count(&app, "select count(*) from sso_identities i join users u on u.id = i.user_id where i.subject = 'boss' and u.email = 'ana@example.com'").await,
        1
    );
    app.mail
        .wait_for_nth_where("ana@example.com", 1, |m| {
            m.subject
                .contains("Single sign-on with Test IdP was linked")
        })
        .await;
    // from now on that provider account signs in to Ana's
    let elsewhere = Browser::new(&app.url);
    let (signed, _) = idp.sign_in(&elsewhere, "idp").await;
    assert_eq!(signed.location(), Some("/"), "{}", signed.body);
    assert!(
        elsewhere
            .get("/")
            .await
            .body
            .contains("Signed in as</dt><dd>ana@example.com")
    );
    // and it cannot be linked to another account
    let bob = app.sign_in_as("bob@example.com").await;
    let asked = bob.post("/account/sso/idp/link", &[]).await;
    let to_provider =
        crate::github::confirm_with_mailed_code(&app, &bob, asked, "bob@example.com").await;
    idp.next_account("boss").await;
    let (refused, _) = idp.go_through(&bob, to_provider).await;
    assert_eq!(refused.status, 409, "{}", refused.body);
    assert!(
        refused
            .body
            .contains("linked to a bucketdesk account already"),
        "{}",
        refused.body
    );
}
