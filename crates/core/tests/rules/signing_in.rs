//! Signing in and sessions, checked by their typed outcomes in the core
//! (the pages' words are checked in `web/tests/api/sign_in*.rs`). Real
//! Postgres, no server: codes are read from what the core hands the mailer.

use bucketdesk_core::sessions::{self, Lifetimes};
use bucketdesk_core::sign_in::{
    self, CodeMail, Entry, GithubIdentity, GithubRefusal, Purpose, RequestOutcome, SignInRules,
    VerifyOutcome,
};
use bucketdesk_core::{Actor, CoreError, Denied, Origin, Via};
use bucketdesk_db::users::{self, User};
use bucketdesk_db::{PgPool, invites, workspaces};
use bucketdesk_domain::login::LoginCode;
use bucketdesk_domain::{Email, Scopes, SignupPolicy};
use bucketdesk_testkit::{TestDatabase, fresh_database};
use sqlx::postgres::PgPoolOptions;
use std::time::Duration;
use uuid::Uuid;

const KEY: &[u8] = b"a test key for the codes' hashes";
const CLOSED: SignInRules<'static> = SignInRules {
    code_key: KEY,
    signup: SignupPolicy::Invite,
    codes_sign_in: true,
};
const OPEN: SignInRules<'static> = SignInRules {
    code_key: KEY,
    signup: SignupPolicy::Open,
    codes_sign_in: true,
};
const LIFETIMES: Lifetimes = Lifetimes {
    idle: Duration::from_secs(30 * 60),
    absolute: Duration::from_secs(12 * 3600),
};

async fn database() -> (TestDatabase, PgPool) {
    let (database, options) = fresh_database().await;
    let pool = PgPoolOptions::new()
        .max_connections(4)
        .connect_with(options)
        .await
        .unwrap();
    (database, pool)
}

fn email(address: &str) -> Email {
    Email::parse(address).unwrap()
}

fn from(ip: &str) -> Origin {
    Origin::new(ip.parse().unwrap(), Some("sign-in test".into()))
}

async fn account(db: &PgPool, address: &str) -> User {
    users::find_or_create(db, &email(address)).await.unwrap()
}

/// The code's id and its mail (none when the address may not sign in).
async fn ask(
    db: &PgPool,
    rules: SignInRules<'_>,
    address: &str,
    origin: &Origin,
) -> (Uuid, Option<CodeMail>, bool) {
    match sign_in::request_code(db, rules, &email(address), origin, Purpose::SignIn)
        .await
        .unwrap()
    {
        RequestOutcome::Sent {
            code_id,
            mail,
            link_only,
        } => (code_id, mail, link_only),
        _ => panic!("no code was sent to {address}"),
    }
}

async fn enter(
    db: &PgPool,
    rules: SignInRules<'_>,
    address: &str,
    code_id: Uuid,
    code: &str,
    origin: &Origin,
) -> VerifyOutcome {
    let entry = Entry::Browser {
        code_id,
        email: email(address),
    };
    let code = LoginCode::parse(code).unwrap();
    sign_in::verify_code(db, rules, entry, &code, origin, Purpose::SignIn)
        .await
        .unwrap()
}

/// A six-digit code that is not `right`.
fn wrong(right: &CodeMail) -> &'static str {
    if right.code.expose() == "000000" {
        "111111"
    } else {
        "000000"
    }
}

#[tokio::test]
async fn a_code_signs_in_once_and_dies_after_five_wrong_tries() {
    let (_database, db) = database().await;
    account(&db, "alice@example.com").await;
    let here = from("192.0.2.1");

    let (id, mail, link_only) = ask(&db, CLOSED, "alice@example.com", &here).await;
    let mail = mail.expect("an account gets its code");
    assert!(!link_only);
    assert!(mail.link_token.is_some(), "a sign-in mail carries a link");
    let bad = wrong(&mail);
    let outcome = enter(&db, CLOSED, "alice@example.com", id, bad, &here).await;
    assert!(matches!(outcome, VerifyOutcome::Wrong { tries_left: 4 }));
    let code = mail.code.expose();
    match enter(&db, CLOSED, "alice@example.com", id, code, &here).await {
        VerifyOutcome::Verified { user, method } => {
            assert_eq!(user.email, "alice@example.com");
            assert_eq!(method, "email_code");
        }
        other => panic!("the right code did not sign in: {other:?}"),
    }
    let again = enter(&db, CLOSED, "alice@example.com", id, code, &here).await;
    assert!(matches!(again, VerifyOutcome::NoLongerValid), "{again:?}");

    let (id, mail, _) = ask(&db, CLOSED, "alice@example.com", &here).await;
    let mail = mail.unwrap();
    for tries_left in (1..5).rev() {
        let outcome = enter(&db, CLOSED, "alice@example.com", id, wrong(&mail), &here).await;
        assert!(
            matches!(outcome, VerifyOutcome::Wrong { tries_left: t } if t == tries_left),
            "{outcome:?}"
        );
    }
    let fifth = enter(&db, CLOSED, "alice@example.com", id, wrong(&mail), &here).await;
    assert!(matches!(fifth, VerifyOutcome::TooManyTries), "{fifth:?}");
    let right = enter(
        &db,
        CLOSED,
        "alice@example.com",
        id,
        mail.code.expose(),
        &here,
    )
    .await;
    assert!(matches!(right, VerifyOutcome::NoLongerValid), "{right:?}");
}

#[tokio::test]
async fn only_addresses_that_may_sign_in_get_a_mail_and_open_signup_makes_the_account() {
    let (_database, db) = database().await;
    let here = from("192.0.2.2");
    let (_, mail, _) = ask(&db, CLOSED, "stranger@example.com", &here).await;
    assert!(mail.is_none(), "no account, closed signup: no mail");

    let carol = account(&db, "carol@example.com").await;
    let admin = account(&db, "admin@example.com").await;
    users::disable(&db, carol.user_id(), admin.user_id())
        .await
        .unwrap();
    let (_, mail, _) = ask(&db, OPEN, "carol@example.com", &here).await;
    assert!(mail.is_none(), "a disabled account gets no code");

    let (id, mail, _) = ask(&db, OPEN, "newcomer@example.com", &here).await;
    let code = mail.expect("open signup mails a newcomer").code;
    let outcome = enter(&db, OPEN, "newcomer@example.com", id, code.expose(), &here).await;
    assert!(
        matches!(outcome, VerifyOutcome::Verified { .. }),
        "{outcome:?}"
    );
    assert!(
        users::find_by_email(&db, &email("newcomer@example.com"))
            .await
            .unwrap()
            .is_some()
    );
}

#[tokio::test]
async fn a_network_is_sent_three_codes_per_address_in_fifteen_minutes_and_others_are_not_held_up() {
    let (_database, db) = database().await;
    account(&db, "alice@example.com").await;
    let here = from("192.0.2.3");
    for _ in 0..3 {
        ask(&db, CLOSED, "alice@example.com", &here).await;
    }
    let fourth = sign_in::request_code(
        &db,
        CLOSED,
        &email("alice@example.com"),
        &here,
        Purpose::SignIn,
    )
    .await
    .unwrap();
    assert!(matches!(fourth, RequestOutcome::TooManyForEmail));
    let (_, mail, _) = ask(&db, CLOSED, "alice@example.com", &from("198.51.100.7")).await;
    assert!(mail.is_some(), "another network still gets a code");
}

#[tokio::test]
async fn ten_wrong_codes_lock_a_network_out_but_never_the_mails_own_link() {
    let (_database, db) = database().await;
    account(&db, "alice@example.com").await;
    let attacker = from("203.0.113.9");
    for _ in 0..2 {
        let (id, mail, _) = ask(&db, CLOSED, "alice@example.com", &attacker).await;
        let mail = mail.unwrap();
        for _ in 0..5 {
            enter(
                &db,
                CLOSED,
                "alice@example.com",
                id,
                wrong(&mail),
                &attacker,
            )
            .await;
        }
    }
    let (id, mail, link_only) = ask(&db, CLOSED, "alice@example.com", &attacker).await;
    assert!(link_only, "codes typed on this network do not work now");
    let mail = mail.unwrap();
    let typed = enter(
        &db,
        CLOSED,
        "alice@example.com",
        id,
        mail.code.expose(),
        &attacker,
    )
    .await;
    match typed {
        VerifyOutcome::Locked(lockout) => assert!(!lockout.everywhere),
        other => panic!("a locked-out network signed in: {other:?}"),
    }

    let token = mail.link_token.unwrap();
    let entry = Entry::MailLink { token };
    let outcome = sign_in::verify_code(&db, CLOSED, entry, &mail.code, &attacker, Purpose::SignIn)
        .await
        .unwrap();
    assert!(
        matches!(
            outcome,
            VerifyOutcome::Verified {
                method: "email_link",
                ..
            }
        ),
        "the mail's link is the owner's way in: {outcome:?}"
    );
}

fn identity(id: i64, login: &str, emails: &[&str]) -> GithubIdentity {
    GithubIdentity {
        id,
        login: login.into(),
        verified_emails: emails.iter().map(|e| (*e).to_owned()).collect(),
    }
}

fn in_browser(user: User) -> Actor {
    Actor {
        user,
        via: Via::Session { strong: false },
    }
}

#[tokio::test]
async fn github_signs_in_by_its_id_or_an_unused_invited_account_and_never_by_a_used_address() {
    let (_database, db) = database().await;
    let here = from("192.0.2.4");
    let signed = |outcome: Result<User, GithubRefusal>| outcome.map(|user| user.email);

    let none = identity(1, "ghost", &[]);
    let outcome = sign_in::github_sign_in(&db, OPEN, &none, &here)
        .await
        .unwrap();
    assert_eq!(signed(outcome), Err(GithubRefusal::NoVerifiedEmail));

    // an account that was used is not taken over through its address
    let alice = account(&db, "alice@example.com").await;
    users::record_sign_in(&db, alice.user_id()).await.unwrap();
    let alice_gh = identity(2, "alice-gh", &["alice@example.com"]);
    let outcome = sign_in::github_sign_in(&db, OPEN, &alice_gh, &here)
        .await
        .unwrap();
    assert_eq!(
        signed(outcome),
        Err(GithubRefusal::NotLinked {
            email: "alice@example.com".into()
        })
    );

    // an invitation's unused account is linked on first sign-in, then found by id
    let mut conn = db.acquire().await.unwrap();
    let team = workspaces::create(&mut conn, "Team", alice.user_id())
        .await
        .unwrap();
    drop(conn);
    let bob = email("bob@example.com");
    users::find_or_create(&db, &bob).await.unwrap();
    let week = Duration::from_secs(7 * 86_400);
    invites::create(
        &db,
        team.workspace_id(),
        &bob,
        b"hash",
        alice.user_id(),
        week,
    )
    .await
    .unwrap();
    let bob_gh = identity(3, "bob-gh", &["bob@other.example", "bob@example.com"]);
    for _ in 0..2 {
        let outcome = sign_in::github_sign_in(&db, CLOSED, &bob_gh, &here)
            .await
            .unwrap();
        assert_eq!(signed(outcome), Ok("bob@example.com".to_owned()));
    }

    let unknown = identity(4, "nobody", &["nobody@example.com"]);
    let outcome = sign_in::github_sign_in(&db, CLOSED, &unknown, &here)
        .await
        .unwrap();
    assert_eq!(signed(outcome), Err(GithubRefusal::NoAccount));
    let outcome = sign_in::github_sign_in(&db, OPEN, &unknown, &here)
        .await
        .unwrap();
    assert_eq!(signed(outcome), Ok("nobody@example.com".to_owned()));

    let bob = users::find_by_email(&db, &bob).await.unwrap().unwrap();
    users::disable(&db, bob.user_id(), alice.user_id())
        .await
        .unwrap();
    let outcome = sign_in::github_sign_in(&db, OPEN, &bob_gh, &here)
        .await
        .unwrap();
    assert_eq!(signed(outcome), Err(GithubRefusal::Disabled));
}

#[tokio::test]
async fn github_is_linked_and_unlinked_only_from_a_browser_and_never_twice() {
    let (_database, db) = database().await;
    let here = from("192.0.2.5");
    let alice = account(&db, "alice@example.com").await;
    let carol = account(&db, "carol@example.com").await;
    let alice_gh = identity(10, "alice-gh", &["alice@example.com"]);

    let script = Actor {
        user: alice.clone(),
        via: Via::Token {
            id: Uuid::new_v4(),
            name: "script".into(),
            scopes: Scopes::all(),
            strong: false,
        },
    };
    let refused = sign_in::link_github(&db, &script, &alice_gh, &here).await;
    assert!(matches!(
        refused,
        Err(CoreError::Forbidden(Denied::SessionOnly))
    ));

    sign_in::link_github(&db, &in_browser(alice.clone()), &alice_gh, &here)
        .await
        .unwrap();
    let taken = sign_in::link_github(&db, &in_browser(carol), &alice_gh, &here).await;
    assert!(
        matches!(
            taken,
            Err(CoreError::Conflict {
                code: "github_taken",
                ..
            })
        ),
        "{taken:?}"
    );

    let alice = users::find(&db, alice.user_id()).await.unwrap().unwrap();
    let unlinked = sign_in::unlink_github(&db, &in_browser(alice.clone()), &here)
        .await
        .unwrap();
    assert_eq!(unlinked.as_deref(), Some("alice-gh"));
    let alice = users::find(&db, alice.user_id()).await.unwrap().unwrap();
    assert_eq!(alice.github_id, None);
    let again = sign_in::unlink_github(&db, &in_browser(alice), &here)
        .await
        .unwrap();
    assert_eq!(again, None, "nothing left to unlink");
}

#[tokio::test]
async fn a_person_lists_and_ends_their_own_sessions_only() {
    let (_database, db) = database().await;
    let here = from("192.0.2.6");
    let alice = account(&db, "alice@example.com").await;
    let bob = account(&db, "bob@example.com").await;
    let laptop = sessions::start(&db, &alice, &here, "email_code")
        .await
        .unwrap();
    let phone = sessions::start(&db, &alice, &here, "github").await.unwrap();
    let bobs = sessions::start(&db, &bob, &here, "email_code")
        .await
        .unwrap();
    let alice = in_browser(alice);

    let listed = |list: Vec<bucketdesk_db::sessions::ActiveSession>| {
        let mut ids: Vec<Uuid> = list.into_iter().map(|s| s.id).collect();
        ids.sort();
        ids
    };
    let mut both = vec![laptop, phone];
    both.sort();
    let mine = sessions::list(&db, &alice, LIFETIMES).await.unwrap();
    assert_eq!(listed(mine), both);

    let other = sessions::end(&db, &alice, &here, bobs, LIFETIMES).await;
    assert!(matches!(other, Err(CoreError::NotFound)), "{other:?}");
    sessions::end(&db, &alice, &here, phone, LIFETIMES)
        .await
        .unwrap();
    let mine = sessions::list(&db, &alice, LIFETIMES).await.unwrap();
    assert_eq!(listed(mine), vec![laptop]);

    sessions::sign_out_everywhere(&db, &alice, &here)
        .await
        .unwrap();
    assert!(
        sessions::list(&db, &alice, LIFETIMES)
            .await
            .unwrap()
            .is_empty()
    );
    let bob = in_browser(bob);
    assert_eq!(
        listed(sessions::list(&db, &bob, LIFETIMES).await.unwrap()),
        vec![bobs]
    );
}

#[tokio::test]
async fn with_single_sign_on_the_only_way_in_codes_sign_nobody_in_but_still_confirm_changes() {
    let (_database, db) = database().await;
    account(&db, "ana@example.com").await;
    let origin = from("192.0.2.7");
    // a code asked for before the switch
    let (code_id, mail, _) = ask(&db, CLOSED, "ana@example.com", &origin).await;
    let code = mail.unwrap().code;
    let sso_only = SignInRules {
        codes_sign_in: false,
        ..CLOSED
    };
    let asked = sign_in::request_code(
        &db,
        sso_only,
        &email("ana@example.com"),
        &origin,
        Purpose::SignIn,
    )
    .await
    .unwrap();
    assert!(matches!(asked, RequestOutcome::CodesOff));
    let entry = Entry::Browser {
        code_id,
        email: email("ana@example.com"),
    };
    let typed = sign_in::verify_code(&db, sso_only, entry, &code, &origin, Purpose::SignIn)
        .await
        .unwrap();
    assert!(matches!(typed, VerifyOutcome::CodesOff), "{typed:?}");
    // confirming a change (S18) is not signing in: its codes still work
    let confirm = Purpose::Confirm { what: "a test" };
    let asked = sign_in::request_code(&db, sso_only, &email("ana@example.com"), &origin, confirm)
        .await
        .unwrap();
    assert!(matches!(asked, RequestOutcome::Sent { .. }));
}
