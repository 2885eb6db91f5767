//! Business rules where they live, in the core, checked by their typed
//! outcomes (an error kind, a reason code, the fields that are wrong), not
//! by the words a page shows. Real Postgres; the workspace and bucket are
//! made through the real app, as a person would.

#![allow(clippy::unwrap_used)] // a failed unwrap in a test is a failed test

use bucketdesk_core::access::{self, Owner, Viewer, WorkspaceGrant};
use bucketdesk_core::invitations;
use bucketdesk_core::links::{self, DownloadLink, LinkLimits, LinkOptions};
use bucketdesk_core::members;
use bucketdesk_core::{Actor, CoreError, Denied, Origin, Via};
use bucketdesk_db::users::{self, User};
use bucketdesk_db::{PgPool, members as rows};
use bucketdesk_domain::{BucketId, Email, Role, Scope, Scopes, UserId, WorkspaceId};
use bucketdesk_testkit::TestApp;
use std::time::Duration;

/// Alice owns workspace "Team" with bucket "Photos"; Bob is an Admin of
/// it, Victor a Viewer.
struct World {
    app: TestApp,
    workspace: WorkspaceId,
    bucket: BucketId,
    alice: User,
    bob: User,
    victor: User,
}

async fn user(db: &PgPool, email: &str) -> User {
    users::find_or_create(db, &Email::parse(email).unwrap())
        .await
        .unwrap()
}

async fn world() -> World {
    let app = TestApp::spawn().await;
    app.s3.create_bucket("photos").unwrap();
    let browser = app.sign_in_as("alice@example.com").await;
    let workspace = browser.create_workspace("Team").await;
    let bucket = browser
        .connect_bucket(&workspace, &app.s3, "Photos", "photos")
        .await;
    let workspace = WorkspaceId(workspace.parse().unwrap());
    let bucket = BucketId(bucket.parse().unwrap());
    let alice = user(&app.db, "alice@example.com").await;
    let bob = user(&app.db, "bob@example.com").await;
    let victor = user(&app.db, "victor@example.com").await;
    for (person, role) in [(&bob, Role::Admin), (&victor, Role::Viewer)] {
        rows::join_workspace(&app.db, workspace, person.user_id())
            .await
            .unwrap();
        rows::set_bucket_role(&app.db, bucket, person.user_id(), role)
            .await
            .unwrap();
    }
    World {
        app,
        workspace,
        bucket,
        alice,
        bob,
        victor,
    }
}

fn session(user: &User) -> Actor {
    Actor {
        user: user.clone(),
        via: Via::Session,
    }
}

fn token(user: &User, scopes: &[Scope]) -> Actor {
    Actor {
        user: user.clone(),
        via: Via::Token {
            id: uuid::Uuid::new_v4(),
            name: "script".into(),
            scopes: Scopes::parse(scopes.iter().map(|s| s.as_str())).unwrap(),
        },
    }
}

fn origin() -> Origin {
    Origin::new("127.0.0.1".parse().unwrap(), Some("rules test".into()))
}

const LIMITS: LinkLimits = LinkLimits {
    max_lifetime: Duration::from_secs(90 * 86_400),
    max_file_bytes: 1_000_000,
};

async fn workspace_grant(w: &World, actor: &Actor) -> WorkspaceGrant {
    access::workspace(&w.app.db, actor, w.workspace)
        .await
        .unwrap()
}

fn fields(error: CoreError) -> Vec<(&'static str, &'static str)> {
    match error {
        CoreError::Invalid(problems) => problems.iter().map(|p| (p.field, p.code)).collect(),
        other => panic!("not an invalid input: {other:?}"),
    }
}

#[tokio::test]
async fn a_download_link_names_every_wrong_option_and_a_revoked_link_stays_revoked() {
    let w = world().await;
    let actor = session(&w.victor);
    let grant = access::bucket(&w.app.db, &actor, w.workspace, w.bucket)
        .await
        .unwrap();
    let can = grant.can::<Viewer>().unwrap();
    let tokens = &w.app.state.link_tokens;
    let wrong = DownloadLink {
        keys: vec!["report.pdf".into()],
        max_downloads: Some(0),
        options: LinkOptions {
            lifetime: Some(Duration::from_secs(91 * 86_400)),
            password: Some("abc".into()),
            note: "x".repeat(501),
        },
        ..DownloadLink::default()
    };
    let refused =
        links::create_download(&w.app.db, tokens, &can, &actor, &origin(), &LIMITS, wrong)
            .await
            .unwrap_err();
    assert_eq!(
        fields(refused),
        [
            ("max_downloads", "out_of_range"),
            ("expires_in", "out_of_range"),
            ("note", "invalid"),
            ("password", "too_short_or_long"),
        ]
    );
    let nothing = DownloadLink::default();
    let refused =
        links::create_download(&w.app.db, tokens, &can, &actor, &origin(), &LIMITS, nothing)
            .await
            .unwrap_err();
    assert_eq!(fields(refused), [("keys", "nothing_chosen")]);

    let made = links::create_download(
        &w.app.db,
        tokens,
        &can,
        &actor,
        &origin(),
        &LIMITS,
        DownloadLink {
            keys: vec!["report.pdf".into()],
            ..DownloadLink::default()
        },
    )
    .await
    .unwrap();
    let workspace = workspace_grant(&w, &actor).await;
    links::revoke(&w.app.db, &workspace, &actor, &origin(), made.id)
        .await
        .unwrap();
    let extended = links::extend(
        &w.app.db,
        &workspace,
        &actor,
        &origin(),
        &LIMITS,
        made.id,
        Duration::from_secs(3600),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(
            extended,
            CoreError::Conflict {
                code: "revoked",
                ..
            }
        ),
        "{extended:?}"
    );
    // another Viewer's link is not Victor's to see: it does not exist for him
    let bob = session(&w.bob);
    let bobs = workspace_grant(&w, &bob).await;
    assert!(
        links::find(&w.app.db, &bobs, &bob, made.id).await.is_ok(),
        "an Admin of the bucket sees it"
    );
    let alice_sees = links::find(
        &w.app.db,
        &workspace_grant(&w, &session(&w.alice)).await,
        &session(&w.alice),
        made.id,
    )
    .await;
    assert!(alice_sees.is_ok(), "the Owner of the bucket sees it");
}

#[tokio::test]
async fn a_token_acts_within_its_scopes_whatever_its_owners_role() {
    let w = world().await;
    let reader = token(&w.alice, &[Scope::Read]);
    let grant = access::bucket(&w.app.db, &reader, w.workspace, w.bucket)
        .await
        .unwrap();
    let can = grant.can::<Viewer>().unwrap();
    let link = DownloadLink {
        keys: vec!["report.pdf".into()],
        ..DownloadLink::default()
    };
    let refused = links::create_download(
        &w.app.db,
        &w.app.state.link_tokens,
        &can,
        &reader,
        &origin(),
        &LIMITS,
        link,
    )
    .await
    .unwrap_err();
    assert!(
        matches!(
            refused,
            CoreError::Forbidden(Denied::Scope {
                needed: Scope::Share
            })
        ),
        "{refused:?}"
    );
    let workspace = workspace_grant(&w, &reader).await;
    let listing = members::list(&w.app.db, &workspace, &reader)
        .await
        .unwrap_err();
    assert!(
        matches!(
            listing,
            CoreError::Forbidden(Denied::Scope {
                needed: Scope::Admin
            })
        ),
        "{listing:?}"
    );
}

#[tokio::test]
async fn roles_are_given_up_to_ones_own_never_over_a_higher_role_and_the_last_owner_stays() {
    let w = world().await;
    let bob = session(&w.bob);
    let bobs = workspace_grant(&w, &bob).await;
    let raise = members::change_role(
        &w.app.db,
        &bobs,
        &bob,
        &origin(),
        w.victor.user_id(),
        w.bucket,
        Some(Role::Owner),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(
            raise,
            CoreError::Forbidden(Denied::AboveOwnRole { own: Role::Admin })
        ),
        "{raise:?}"
    );
    let demote_owner = members::change_role(
        &w.app.db,
        &bobs,
        &bob,
        &origin(),
        w.alice.user_id(),
        w.bucket,
        Some(Role::Viewer),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(demote_owner, CoreError::Forbidden(Denied::Outranked)),
        "{demote_owner:?}"
    );
    let victor = session(&w.victor);
    let not_a_manager = members::change_role(
        &w.app.db,
        &workspace_grant(&w, &victor).await,
        &victor,
        &origin(),
        w.bob.user_id(),
        w.bucket,
        None,
    )
    .await
    .unwrap_err();
    assert!(
        matches!(
            not_a_manager,
            CoreError::Forbidden(Denied::BucketRole {
                needed: Role::Admin
            })
        ),
        "{not_a_manager:?}"
    );

    let alice = session(&w.alice);
    let alices = workspace_grant(&w, &alice).await;
    let last = members::change_role(
        &w.app.db,
        &alices,
        &alice,
        &origin(),
        w.alice.user_id(),
        w.bucket,
        Some(Role::Editor),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(
            last,
            CoreError::Conflict {
                code: "last_owner",
                ..
            }
        ),
        "{last:?}"
    );
    let owner = alices.can::<Owner>().unwrap();
    let leave = members::remove(&w.app.db, &owner, &alice, &origin(), w.alice.user_id())
        .await
        .unwrap_err();
    assert!(
        matches!(
            leave,
            CoreError::Conflict {
                code: "last_owner",
                ..
            }
        ),
        "{leave:?}"
    );
    // and Bob, demoted by the Owner, applies at once
    members::change_role(
        &w.app.db,
        &alices,
        &alice,
        &origin(),
        w.bob.user_id(),
        w.bucket,
        Some(Role::Editor),
    )
    .await
    .unwrap();
    assert_eq!(
        rows::role_on_bucket(&w.app.db, w.bucket, w.bob.user_id())
            .await
            .unwrap(),
        Some(Role::Editor)
    );
    let unknown = members::change_role(
        &w.app.db,
        &alices,
        &alice,
        &origin(),
        UserId(uuid::Uuid::new_v4()),
        w.bucket,
        None,
    )
    .await
    .unwrap_err();
    assert!(matches!(unknown, CoreError::NotFound), "{unknown:?}");
}

#[tokio::test]
async fn an_invitation_offers_only_managed_buckets_up_to_ones_own_role() {
    let w = world().await;
    let bob = session(&w.bob);
    let bobs = workspace_grant(&w, &bob).await;
    let carol = Email::parse("carol@example.com").unwrap();
    let cases = [
        (
            Email::parse("bob@example.com").unwrap(),
            vec![(w.bucket, Role::Viewer)],
            ("email", "yourself"),
        ),
        (carol.clone(), vec![], ("roles", "required")),
        (
            carol.clone(),
            vec![(w.bucket, Role::Owner)],
            ("roles", "above_own_role"),
        ),
        (
            carol.clone(),
            vec![(BucketId(uuid::Uuid::new_v4()), Role::Viewer)],
            ("roles", "not_managed"),
        ),
    ];
    for (email, roles, wanted) in cases {
        let refused = invitations::invite(&w.app.db, &bobs, &bob, &origin(), &email, &roles)
            .await
            .unwrap_err();
        assert_eq!(fields(refused), [wanted]);
    }
    let sent = invitations::invite(
        &w.app.db,
        &bobs,
        &bob,
        &origin(),
        &carol,
        &[(w.bucket, Role::Admin)],
    )
    .await
    .unwrap();
    assert!(
        matches!(sent, invitations::Invited::Mail { .. }),
        "{sent:?}"
    );
    let again = invitations::invite(
        &w.app.db,
        &bobs,
        &bob,
        &origin(),
        &carol,
        &[(w.bucket, Role::Admin)],
    )
    .await
    .unwrap();
    assert_eq!(
        again,
        invitations::Invited::AlreadySent,
        "the same invitation moments later is not sent twice"
    );
    let victor = session(&w.victor);
    let refused = invitations::pending(&w.app.db, &workspace_grant(&w, &victor).await, &victor)
        .await
        .unwrap_err();
    assert!(matches!(refused, CoreError::Forbidden(_)), "{refused:?}");
}

#[tokio::test]
async fn a_visitor_opens_a_working_link_only_and_too_many_wrong_passwords_are_refused_unchecked() {
    use bucketdesk_core::access::through_link;
    use bucketdesk_core::links::visit;
    use bucketdesk_db::links::LinkKind;
    use bucketdesk_domain::link::LinkState;
    let w = world().await;
    let actor = session(&w.alice);
    let grant = access::bucket(&w.app.db, &actor, w.workspace, w.bucket)
        .await
        .unwrap();
    let can = grant.can::<Viewer>().unwrap();
    let made = links::create_download(
        &w.app.db,
        &w.app.state.link_tokens,
        &can,
        &actor,
        &origin(),
        &LIMITS,
        DownloadLink {
            keys: vec!["report.pdf".into()],
            max_downloads: Some(1),
            options: LinkOptions {
                password: Some("correct horse".into()),
                ..LinkOptions::default()
            },
            ..DownloadLink::default()
        },
    )
    .await
    .unwrap();
    let db = &w.app.db;
    assert!(matches!(
        visit::open(db, "not-a-token", LinkKind::Download).await,
        Err(CoreError::NotFound)
    ));
    assert!(
        matches!(
            visit::open(db, &made.token, LinkKind::Upload).await,
            Err(CoreError::NotFound)
        ),
        "a download link's token opens no upload link"
    );
    let link = visit::open(db, &made.token, LinkKind::Download)
        .await
        .unwrap();

    let audit = &w.app.state.audit;
    let visitor = origin();
    assert!(
        !visit::try_password(db, audit, &link, &visitor, "wrong horse")
            .await
            .unwrap()
    );
    assert!(
        visit::try_password(db, audit, &link, &visitor, "correct horse")
            .await
            .unwrap()
    );
    for _ in 0..visit::PASSWORD_TRIES_PER_CLIENT {
        let _ = visit::try_password(db, audit, &link, &visitor, "guess").await;
    }
    let limited = visit::try_password(db, audit, &link, &visitor, "correct horse")
        .await
        .unwrap_err();
    assert!(matches!(limited, CoreError::TooMany { .. }), "{limited:?}");

    // one download allowed: the second is refused, and says why
    let reach = through_link(db, &link).await.unwrap();
    assert_eq!(
        visit::count_download(db, &link, &reach, &visitor, "report.pdf")
            .await
            .unwrap(),
        1
    );
    let second = visit::count_download(db, &link, &reach, &visitor, "report.pdf")
        .await
        .unwrap_err();
    assert!(
        matches!(second, CoreError::Gone(LinkState::UsedUp)),
        "{second:?}"
    );
    let workspace = workspace_grant(&w, &actor).await;
    links::revoke(db, &workspace, &actor, &origin(), made.id)
        .await
        .unwrap();
    let revoked = visit::open(db, &made.token, LinkKind::Download)
        .await
        .unwrap_err();
    assert!(
        matches!(revoked, CoreError::Gone(LinkState::Revoked)),
        "{revoked:?}"
    );
}

#[tokio::test]
async fn an_upload_link_never_replaces_a_file_and_takes_no_more_files_than_it_allows() {
    use bucketdesk_core::access::Editor;
    use bucketdesk_core::links::UploadLink;
    use bucketdesk_core::links::visit::{self, Arrival};
    use bucketdesk_db::links::LinkKind;
    use bucketdesk_domain::link::LinkState;
    let w = world().await;
    std::fs::create_dir_all(w.app.s3.root.join("photos/inbox")).unwrap();
    std::fs::write(
        w.app.s3.root.join("photos/inbox/report.pdf"),
        b"already here",
    )
    .unwrap();
    let actor = session(&w.alice);
    let grant = access::bucket(&w.app.db, &actor, w.workspace, w.bucket)
        .await
        .unwrap();
    let can = grant.can::<Editor>().unwrap();
    let made = links::create_upload(
        &w.app.db,
        &w.app.state.link_tokens,
        &can,
        &actor,
        &origin(),
        &LIMITS,
        UploadLink {
            folder: "inbox/".into(),
            max_files: Some(1),
            max_file_bytes: Some(100),
            ..UploadLink::default()
        },
    )
    .await
    .unwrap();
    let link = visit::open(&w.app.db, &made.token, LinkKind::Upload)
        .await
        .unwrap();
    let send = |name: &'static str, bytes: &'static [u8], declared: Option<u64>| {
        let (db, app, link) = (&w.app.db, &w.app, &link);
        async move {
            let body =
                futures::stream::iter([Ok::<_, std::io::Error>(bytes::Bytes::from_static(bytes))]);
            let arrival = Arrival {
                name,
                content_type: None,
                declared_length: declared,
                max_upload_bytes: 1_000_000,
            };
            visit::receive_file(
                db,
                &app.state.s3_clients,
                &app.state.uploads,
                link,
                &origin(),
                arrival,
                body,
            )
            .await
        }
    };
    let too_big = send("big.bin", &[0; 200], Some(200)).await.unwrap_err();
    assert!(
        matches!(too_big, CoreError::TooLarge { limit: 100 }),
        "{too_big:?}"
    );
    let bad_name = send("../escape.txt", b"x", Some(1)).await.unwrap_err();
    assert_eq!(fields(bad_name), [("name", "invalid")]);
    let received = send("report.pdf", b"new", Some(3)).await.unwrap();
    assert_eq!(
        received.key, "inbox/report (1).pdf",
        "the file already there stays"
    );
    assert_eq!(
        std::fs::read(w.app.s3.root.join("photos/inbox/report.pdf")).unwrap(),
        b"already here"
    );
    let full = send("other.pdf", b"more", Some(4)).await.unwrap_err();
    assert!(
        matches!(full, CoreError::Gone(LinkState::UsedUp)),
        "{full:?}"
    );
}

#[tokio::test]
async fn only_an_instance_admin_administers_accounts_never_their_own_and_never_a_sole_owner() {
    use bucketdesk_core::admin;
    let w = world().await;
    let not_admin = session(&w.bob);
    assert!(matches!(
        admin::instance_admin(&not_admin),
        Err(CoreError::Forbidden(Denied::InstanceAdmin))
    ));
    let mut root = w.victor.clone();
    root.is_admin = true;
    let root_actor = session(&root);
    let through_a_token = token(&root, &[Scope::Read]);
    assert!(matches!(
        admin::instance_admin(&through_a_token),
        Err(CoreError::Forbidden(Denied::Scope {
            needed: Scope::Admin
        }))
    ));
    let capability = admin::instance_admin(&root_actor).unwrap();
    let yourself = admin::disable(&w.app.db, &capability, &origin(), &root)
        .await
        .unwrap_err();
    assert!(
        matches!(
            yourself,
            CoreError::Conflict {
                code: "yourself",
                ..
            }
        ),
        "{yourself:?}"
    );
    let sole = admin::delete(&w.app.db, &capability, &origin(), &w.alice)
        .await
        .unwrap_err();
    assert!(
        matches!(
            sole,
            CoreError::Conflict {
                code: "sole_owner",
                ..
            }
        ),
        "{sole:?}"
    );
    admin::disable(&w.app.db, &capability, &origin(), &w.bob)
        .await
        .unwrap();
    let bob = users::find(&w.app.db, w.bob.user_id())
        .await
        .unwrap()
        .unwrap();
    assert!(bob.disabled_at.is_some());
    // disabling twice changes nothing and is recorded once
    admin::disable(&w.app.db, &capability, &origin(), &w.bob)
        .await
        .unwrap();
    let recorded: i64 =
        sqlx::query_scalar("select count(*) from audit_events where action = 'account_disabled'")
            .fetch_one(&w.app.db)
            .await
            .unwrap();
    assert_eq!(recorded, 1);
}
