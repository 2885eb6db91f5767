//! Account disable and delete by instance admins, workspace deletion by its
//! owners, and who may create workspaces (S16).

use crate::links::made_link_path;
use crate::team::{Team, grant, team, user_id};
use bucketdesk_testkit::{Browser, TestApp};

async fn make_admin(app: &TestApp, email: &str) {
    sqlx::query("update users set is_admin = true where email = $1")
        .bind(email)
        .execute(&app.db)
        .await
        .unwrap();
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(&app.db).await.unwrap()
}

/// Alice (an instance admin) acts on `email`'s account from the people page.
async fn admin_action(
    t: &Team,
    app: &TestApp,
    email: &str,
    action: &str,
) -> bucketdesk_testkit::Page {
    let id = user_id(app, email).await;
    t.alice.get("/admin/users").await;
    t.alice
        .post(&format!("/admin/users/{id}/{action}"), &[])
        .await
}

/// Bob, a Viewer of Photos, signed in, with a revocable link to a file of it.
async fn bob_with_a_link(app: &TestApp, t: &Team) -> (Browser, String) {
    grant(app, t, "bob@example.com", &t.photos, "viewer").await;
    std::fs::write(app.s3.root.join("photos/report.pdf"), b"%PDF").unwrap();
    let bob = app.sign_in_as("bob@example.com").await;
    let photos = t.bucket_path(&t.photos);
    bob.get(&format!("{photos}/links/new?key=report.pdf")).await;
    let link = made_link_path(&bob, &format!("{photos}/links"), &[("keys", "report.pdf")]).await;
    (bob, link)
}

#[tokio::test]
async fn a_disabled_account_is_signed_out_at_once_cannot_sign_in_and_its_links_stop_until_enabled()
{
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    make_admin(&app, "alice@example.com").await;
    let (bob, link) = bob_with_a_link(&app, &t).await;
    let visitor = app.browser();
    assert_eq!(visitor.get(&format!("{link}/download")).await.status, 303);

    let disabled = admin_action(&t, &app, "bob@example.com", "disable").await;
    assert_eq!(disabled.location(), Some("/admin/users?done=disabled"));
    let people = t.alice.get("/admin/users?done=disabled").await;
    assert!(people.body.contains("disabled since"), "{}", people.body);

    assert_eq!(
        bob.get("/").await.location(),
        Some("/login"),
        "signed out at once"
    );
    assert_eq!(bob.get(&t.bucket_path(&t.photos)).await.status, 303);
    let gone = visitor.get(&format!("{link}/download")).await;
    assert_eq!(gone.status, 410, "its links stop");

    // no code goes out, and the answer is the one every address gets
    let mails = app.mail.count_to("bob@example.com");
    let asked = app.browser().request_code("bob@example.com").await;
    assert_eq!(asked.location(), Some("/login/code"));
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(
        app.mail.count_to("bob@example.com"),
        mails,
        "no code for a disabled account"
    );

    let enabled = admin_action(&t, &app, "bob@example.com", "enable").await;
    assert_eq!(enabled.location(), Some("/admin/users?done=enabled"));
    let bob = app.browser();
    app.sign_in(&bob, "bob@example.com").await;
    assert_eq!(bob.get(&t.bucket_path(&t.photos)).await.status, 200);
    assert_eq!(
        visitor.get(&format!("{link}/download")).await.status,
        303,
        "the link works again"
    );
    assert_eq!(count(&app, "select count(*) from audit_events where action in ('account_disabled', 'account_enabled')").await, 2);
}

#[tokio::test]
async fn only_instance_admins_disable_and_never_their_own_account() {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    grant(&app, &t, "bob@example.com", &t.photos, "viewer").await;
    let bob = app.sign_in_as("bob@example.com").await;
    let alice_id = user_id(&app, "alice@example.com").await;
    bob.get("/").await;
    let refused = bob
        .post(&format!("/admin/users/{alice_id}/disable"), &[])
        .await;
    assert_eq!(refused.status, 403);

    make_admin(&app, "alice@example.com").await;
    let own = admin_action(&t, &app, "alice@example.com", "disable").await;
    assert_eq!(own.status, 422);
    assert!(
        own.body.contains("You cannot disable your own account"),
        "{}",
        own.body
    );
    assert_eq!(t.alice.get("/").await.status, 200, "still signed in");
}

#[tokio::test]
async fn a_disabled_account_cannot_sign_in_with_a_code_it_already_had() {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    make_admin(&app, "alice@example.com").await;
    grant(&app, &t, "bob@example.com", &t.photos, "viewer").await;
    let bob = app.browser();
    let code = app.ask_for_code(&bob, "bob@example.com").await;
    admin_action(&t, &app, "bob@example.com", "disable").await;
    let page = bob.post("/login/code", &[("code", &code)]).await;
    assert_eq!(page.status, 422);
    assert_eq!(bob.get("/").await.location(), Some("/login"));
}

#[tokio::test]
async fn deleting_an_account_removes_its_memberships_and_invitations_and_the_audit_trail_keeps_its_address()
 {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    make_admin(&app, "alice@example.com").await;
    grant(&app, &t, "bob@example.com", &t.photos, "admin").await;
    let bob = app.sign_in_as("bob@example.com").await;
    bob.get(&t.members_path()).await;
    let field = format!("role_{}", t.photos);
    let sent = bob
        .post(
            &format!("/w/{}/invites", t.workspace),
            &[("email", "carol@example.com"), (field.as_str(), "viewer")],
        )
        .await;
    assert_eq!(sent.status, 303);
    // and an invitation to Bob in another workspace of Alice's
    let other = t.alice.create_workspace("Other").await;
    let elsewhere = t
        .alice
        .connect_bucket(&other, &app.s3, "Reports again", "reports")
        .await;
    t.alice.get(&format!("/w/{other}/members")).await;
    let field = format!("role_{elsewhere}");
    t.alice
        .post(
            &format!("/w/{other}/invites"),
            &[("email", "bob@example.com"), (field.as_str(), "viewer")],
        )
        .await;

    let id = user_id(&app, "bob@example.com").await;
    let page = t.alice.get(&format!("/admin/users/{id}/delete")).await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("Type <strong>bob@example.com</strong>"),
        "{}",
        page.body
    );
    let mistyped = t
        .alice
        .post(
            &format!("/admin/users/{id}/delete"),
            &[("confirm", "bob@example.org")],
        )
        .await;
    assert_eq!(mistyped.status, 422);
    assert!(mistyped.body.contains("Type bob@example.com exactly"));
    assert_eq!(
        count(
            &app,
            "select count(*) from users where email = 'bob@example.com'"
        )
        .await,
        1
    );

    let deleted = t
        .alice
        .post(
            &format!("/admin/users/{id}/delete"),
            &[("confirm", "bob@example.com")],
        )
        .await;
    assert_eq!(deleted.location(), Some("/admin/users?done=deleted"));
    assert_eq!(bob.get("/").await.location(), Some("/login"));
    assert_eq!(
        count(
            &app,
            "select count(*) from users where email = 'bob@example.com'"
        )
        .await,
        0
    );
    assert_eq!(
        count(
            &app,
            "select count(*) from invites where cancelled_at is null and accepted_at is null"
        )
        .await,
        0,
        "the invitation he sent and the one to him are cancelled"
    );
    let kept = count(
        &app,
        "select count(*) from audit_events where actor_email = 'bob@example.com' and actor_id is null",
    )
    .await;
    assert!(
        kept >= 2,
        "his sign-in and invitation stay on record, by address: {kept}"
    );
    assert_eq!(
        count(
            &app,
            "select count(*) from audit_events where action = 'account_deleted'"
        )
        .await,
        1
    );
}

#[tokio::test]
async fn the_only_owner_of_a_workspace_is_not_deleted() {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    app.create_user("root@example.com").await;
    make_admin(&app, "root@example.com").await;
    let root = app.sign_in_as("root@example.com").await;
    let alice = user_id(&app, "alice@example.com").await;
    let page = root.get(&format!("/admin/users/{alice}/delete")).await;
    assert!(page.body.contains("is the only owner of"), "{}", page.body);
    assert!(page.body.contains("Team"));
    let refused = root
        .post(
            &format!("/admin/users/{alice}/delete"),
            &[("confirm", "alice@example.com")],
        )
        .await;
    assert_eq!(refused.status, 422);
    assert!(
        refused.body.contains("Make someone else owner"),
        "{}",
        refused.body
    );
    assert_eq!(t.alice.get("/").await.status, 200);
}

#[tokio::test]
async fn an_owner_deletes_a_workspace_after_typing_its_name_and_its_secrets_are_erased() {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    grant(&app, &t, "adam@example.com", &t.photos, "admin").await;
    let adam = app.sign_in_as("adam@example.com").await;
    let path = format!("/w/{}/delete", t.workspace);
    assert_eq!(adam.get(&path).await.status, 403, "owners only");

    let page = t.alice.get(&path).await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("Photos") && page.body.contains("Reports"),
        "{}",
        page.body
    );
    let mistyped = t.alice.post(&path, &[("name", "team")]).await;
    assert_eq!(mistyped.status, 422);
    assert!(
        mistyped.body.contains("exactly to confirm"),
        "{}",
        mistyped.body
    );
    assert_eq!(count(&app, "select count(*) from bucket_secrets").await, 2);

    let deleted = t.alice.post(&path, &[("name", "Team")]).await;
    assert_eq!(deleted.location(), Some("/?done=workspace_deleted"));
    assert_eq!(
        count(&app, "select count(*) from bucket_secrets").await,
        0,
        "secrets erased"
    );
    assert_eq!(count(&app, "select count(*) from buckets").await, 0);
    assert_eq!(adam.get(&t.bucket_path(&t.photos)).await.status, 404);
    let home = t.alice.get("/?done=workspace_deleted").await;
    assert!(
        home.body.contains("You have no workspaces"),
        "{}",
        home.body
    );
    let event: serde_json::Value =
        sqlx::query_scalar("select details from audit_events where action = 'workspace_deleted'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(event["name"], "Team");
}

#[tokio::test]
async fn someone_removed_from_every_workspace_still_signs_in_and_sees_they_have_none() {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    grant(&app, &t, "bob@example.com", &t.photos, "viewer").await;
    let bob_id = user_id(&app, "bob@example.com").await;
    t.alice.get(&t.members_path()).await;
    t.alice
        .post(&format!("/w/{}/members/{bob_id}/remove", t.workspace), &[])
        .await;
    let bob = app.sign_in_as("bob@example.com").await;
    let home = bob.get("/").await;
    assert_eq!(home.status, 200);
    assert!(
        home.body.contains("You have no workspaces"),
        "{}",
        home.body
    );
    assert!(
        home.body.contains("New workspace"),
        "everyone may create one by default"
    );
}

#[tokio::test]
async fn with_workspace_creators_set_to_admins_only_instance_admins_create_workspaces() {
    let app = TestApp::builder()
        .configure(|s| s.workspace_creators = bucketdesk_domain::WorkspaceCreators::Admins)
        .spawn()
        .await;
    let bob = app.sign_in_as("bob@example.com").await;
    let home = bob.get("/").await;
    assert!(
        home.body.contains("You have no workspaces"),
        "{}",
        home.body
    );
    assert!(
        home.body.contains("only its admins create workspaces"),
        "{}",
        home.body
    );
    assert!(!home.body.contains("New workspace"));
    assert_eq!(bob.get("/workspaces/new").await.status, 403);
    let refused = bob.post("/workspaces", &[("name", "Mine")]).await;
    assert_eq!(refused.status, 403);
    assert_eq!(count(&app, "select count(*) from workspaces").await, 0);

    app.create_user("root@example.com").await;
    make_admin(&app, "root@example.com").await;
    let root = app.sign_in_as("root@example.com").await;
    assert!(root.get("/").await.body.contains("New workspace"));
    root.create_workspace("Instance").await;
}
