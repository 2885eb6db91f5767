//! Inviting by email (flow 5, S14, R6).

use crate::team::{invite, invite_link, team};
use bucketdesk_testkit::TestApp;

#[tokio::test]
async fn bob_is_invited_signs_in_from_the_mail_and_sees_exactly_his_buckets_until_removed() {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    let page = invite(
        &t,
        "bob@example.com",
        &[(&t.photos, "viewer"), (&t.reports, "editor")],
    )
    .await;
    assert_eq!(page.status, 303, "{}", page.body);
    let mail = app.last_email_to("bob@example.com").await;
    assert!(
        mail.subject.contains("invited you to Team"),
        "{}",
        mail.subject
    );
    assert!(
        mail.text.contains("Photos: Viewer") && mail.text.contains("Reports: Editor"),
        "{}",
        mail.text
    );
    assert!(mail.html.contains("Accept the invitation"));
    let link = invite_link(&app, "bob@example.com").await;

    // Bob opens the link in his own browser, not signed in
    let bob = app.browser();
    let landing = bob.get(&link).await;
    assert_eq!(landing.status, 200);
    assert!(
        landing
            .body
            .contains(&format!(r#"name="next" value="{link}""#)),
        "the sign-in form comes back here: {}",
        landing.body
    );
    assert!(
        landing.body.contains("alice@example.com") && landing.body.contains("Team"),
        "{}",
        landing.body
    );
    // signs in with the code for the invited address, and comes back to the invitation
    let asked = bob
        .post("/login", &[("email", "bob@example.com"), ("next", &link)])
        .await;
    assert_eq!(asked.location(), Some("/login/code"));
    let mail = app
        .mail
        .wait_for_nth_where("bob@example.com", 1, |m| {
            m.subject == "Your bucketdesk sign-in code"
        })
        .await;
    let code = bucketdesk_testkit::code_in(&mail.text).unwrap();
    let signed_in = bob.post("/login/code", &[("code", &code)]).await;
    assert_eq!(signed_in.location(), Some(link.as_str()));
    bob.get(&link).await;
    let accepted = bob.post(&format!("{link}/accept"), &[]).await;
    assert_eq!(
        accepted.location(),
        Some(format!("/w/{}", t.workspace).as_str())
    );

    let workspace = bob.get(&format!("/w/{}", t.workspace)).await;
    assert!(
        workspace.body.contains("Photos") && workspace.body.contains("Reports"),
        "{}",
        workspace.body
    );
    assert_eq!(bob.get(&t.bucket_path(&t.photos)).await.status, 200);
    let home = bob.get("/").await;
    assert!(
        home.body.contains("Viewer") && home.body.contains("Editor"),
        "{}",
        home.body
    );

    // Alice removes Bob: his next click is refused
    let bob_id = crate::team::user_id(&app, "bob@example.com").await;
    t.alice.get(&t.members_path()).await;
    let removed = t
        .alice
        .post(&format!("/w/{}/members/{bob_id}/remove", t.workspace), &[])
        .await;
    assert_eq!(removed.status, 303, "{}", removed.body);
    let refused = bob.get(&t.bucket_path(&t.reports)).await;
    assert_eq!(refused.status, 404);
    assert!(
        refused.body.contains("no longer have access"),
        "{}",
        refused.body
    );
    assert_eq!(bob.get(&format!("/w/{}", t.workspace)).await.status, 404);
}

#[tokio::test]
async fn the_token_has_256_bits_and_only_its_hash_is_stored() {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    invite(&t, "bob@example.com", &[(&t.photos, "viewer")]).await;
    let link = invite_link(&app, "bob@example.com").await;
    let token = link.trim_start_matches("/invites/");
    assert_eq!(token.len(), 43, "32 bytes, base64url");
    let (hash, lifetime): (Vec<u8>, f64) = sqlx::query_as(
        "select token_hash, extract(epoch from expires_at - sent_at)::float8 from invites",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(hash.len(), 32);
    assert!(!String::from_utf8_lossy(&hash).contains(token));
    assert_eq!(lifetime, 7.0 * 24.0 * 3600.0);
}

async fn bob_with_link(app: &TestApp) -> (crate::team::Team, bucketdesk_testkit::Browser, String) {
    let t = team(app).await;
    invite(&t, "bob@example.com", &[(&t.photos, "viewer")]).await;
    let link = invite_link(app, "bob@example.com").await;
    let bob = app.browser();
    app.sign_in(&bob, "bob@example.com").await;
    (t, bob, link)
}

#[tokio::test]
async fn an_expired_link_is_refused_with_a_clear_page() {
    let app = TestApp::spawn().await;
    let (_t, bob, link) = bob_with_link(&app).await;
    sqlx::query("update invites set expires_at = now() - interval '1 second'")
        .execute(&app.db)
        .await
        .unwrap();
    let page = bob.get(&link).await;
    assert_eq!(page.status, 410);
    assert!(page.body.contains("expired"));
    assert_eq!(bob.post(&format!("{link}/accept"), &[]).await.status, 410);
}

#[tokio::test]
async fn a_link_works_once() {
    let app = TestApp::spawn().await;
    let (_t, bob, link) = bob_with_link(&app).await;
    bob.get(&link).await;
    assert_eq!(bob.post(&format!("{link}/accept"), &[]).await.status, 303);
    let again = bob.post(&format!("{link}/accept"), &[]).await;
    assert_eq!(again.status, 410);
    assert!(again.body.contains("already used"));
}

#[tokio::test]
async fn a_link_only_works_for_the_invited_address() {
    let app = TestApp::spawn().await;
    let (t, _bob, link) = bob_with_link(&app).await;
    let mallory = app.sign_in_as("mallory@example.com").await;
    let page = mallory.get(&link).await;
    assert!(
        page.body.contains("This invitation is for bob@example.com"),
        "{}",
        page.body
    );
    let refused = mallory.post(&format!("{link}/accept"), &[]).await;
    assert_eq!(refused.status, 403);
    assert!(refused.body.contains("bob@example.com"));
    assert_eq!(mallory.get(&t.bucket_path(&t.photos)).await.status, 404);
}

#[tokio::test]
async fn a_tampered_token_is_refused() {
    let app = TestApp::spawn().await;
    let (_t, bob, link) = bob_with_link(&app).await;
    let mut tampered = link.clone();
    let last = tampered.pop().unwrap();
    tampered.push(if last == 'A' { 'B' } else { 'A' });
    let page = bob.get(&tampered).await;
    assert_eq!(page.status, 404);
    assert!(page.body.contains("This invitation link does not work"));
    assert_eq!(
        bob.post(&format!("{tampered}/accept"), &[]).await.status,
        404
    );
}

#[tokio::test]
async fn sending_again_replaces_the_link_and_cancelling_kills_it() {
    let app = TestApp::spawn().await;
    let (t, bob, old_link) = bob_with_link(&app).await;
    let invite_id: uuid::Uuid = sqlx::query_scalar("select id from invites")
        .fetch_one(&app.db)
        .await
        .unwrap();
    t.alice.get(&t.members_path()).await;
    let resent = t
        .alice
        .post(
            &format!("/w/{}/invites/{invite_id}/resend", t.workspace),
            &[],
        )
        .await;
    assert_eq!(resent.status, 303);
    app.mail.wait_for_nth("bob@example.com", 3).await; // invite, sign-in code, invite again
    let new_link = invite_link(&app, "bob@example.com").await;
    assert_ne!(new_link, old_link);
    assert_eq!(bob.get(&old_link).await.status, 404, "the old link died");
    assert_eq!(bob.get(&new_link).await.status, 200);

    let cancelled = t
        .alice
        .post(
            &format!("/w/{}/invites/{invite_id}/cancel", t.workspace),
            &[],
        )
        .await;
    assert_eq!(cancelled.status, 303);
    let page = bob.get(&new_link).await;
    assert_eq!(page.status, 410);
    assert!(page.body.contains("cancelled"));
}

#[tokio::test]
async fn the_same_invitation_sent_fifty_times_at_once_is_one_invitation_and_one_mail() {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    t.alice.get(&t.members_path()).await;
    let field = format!("role_{}", t.photos);
    let form = [("email", "bob@example.com"), (field.as_str(), "viewer")];
    let path = format!("/w/{}/invites", t.workspace);
    let answers = futures::future::join_all((0..50).map(|_| t.alice.post(&path, &form))).await;
    assert!(
        answers.iter().all(|p| p.status == 303),
        "{:?}",
        answers.iter().map(|p| p.status).collect::<Vec<_>>()
    );
    let invites: i64 = sqlx::query_scalar("select count(*) from invites")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(invites, 1);
    app.last_email_to("bob@example.com").await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(app.mail.count_to("bob@example.com"), 1);
}

#[tokio::test]
async fn inviting_a_member_updates_their_roles_and_says_so() {
    let app = TestApp::spawn().await;
    let (t, bob, link) = bob_with_link(&app).await;
    bob.get(&link).await;
    bob.post(&format!("{link}/accept"), &[]).await;
    let page = invite(&t, "bob@example.com", &[(&t.reports, "editor")]).await;
    assert_eq!(
        page.location(),
        Some(format!("{}?done=updated", t.members_path()).as_str())
    );
    let notice = t.alice.get(page.location().unwrap()).await;
    assert!(
        notice
            .body
            .contains("member already: their roles were updated")
    );
    assert_eq!(bob.get(&t.bucket_path(&t.reports)).await.status, 200);
    let invites: i64 = sqlx::query_scalar("select count(*) from invites")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(invites, 1, "no new invitation");
}

#[tokio::test]
async fn bad_invitations_get_clear_messages() {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    // a bucket that is not one of this workspace's
    let foreign = uuid::Uuid::new_v4().to_string();
    type Roles<'a> = Vec<(&'a str, &'a str)>;
    let cases: Vec<(&str, Roles, &str)> = vec![
        (
            "not-an-email",
            vec![(&t.photos, "viewer")],
            "looks like name@example.com",
        ),
        (
            "bob@example.com",
            vec![(&t.photos, "superuser")],
            "There is no role called",
        ),
        (
            "bob@example.com",
            vec![(&foreign, "viewer")],
            "not one you manage",
        ),
        (
            "alice@example.com",
            vec![(&t.photos, "viewer")],
            "cannot invite yourself",
        ),
        ("bob@example.com", vec![], "at least one bucket"),
    ];
    for (email, roles, message) in cases {
        let page = invite(&t, email, &roles).await;
        assert_eq!(page.status, 422, "{message}: {}", page.body);
        assert!(page.body.contains(message), "{message}: {}", page.body);
    }
    let invites: i64 = sqlx::query_scalar("select count(*) from invites")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(invites, 0);
}

/// Adam, an Admin of Photos, invites a second address of his as Admin.
async fn adam_invites_his_other_address(app: &TestApp) -> (crate::team::Team, String) {
    let t = team(app).await;
    crate::team::grant(app, &t, "adam@example.com", &t.photos, "admin").await;
    let adam = app.sign_in_as("adam@example.com").await;
    adam.get(&t.members_path()).await;
    let field = format!("role_{}", t.photos);
    let sent = adam
        .post(
            &format!("/w/{}/invites", t.workspace),
            &[
                ("email", "adam.other@example.com"),
                (field.as_str(), "admin"),
            ],
        )
        .await;
    assert_eq!(sent.status, 303, "{}", sent.body);
    let link = invite_link(app, "adam.other@example.com").await;
    (t, link)
}

async fn cancelled_because_the_sender_lost_the_role(app: &TestApp) -> i64 {
    sqlx::query_scalar(
        "select count(*) from audit_events
         where action = 'invite_cancelled' and details ->> 'reason' = 'sender_lost_role'
           and details ->> 'email' = 'adam.other@example.com'",
    )
    .fetch_one(&app.db)
    .await
    .unwrap()
}

/// The second address accepts (or tries to); its role on Photos afterwards.
async fn second_address_accepts(
    app: &TestApp,
    t: &crate::team::Team,
    link: &str,
) -> (u16, Option<String>) {
    let other = app.sign_in_as("adam.other@example.com").await;
    other.get(link).await;
    let accepted = other.post(&format!("{link}/accept"), &[]).await;
    let role: Option<String> = sqlx::query_scalar(
        "select bm.role from bucket_members bm join users u on u.id = bm.user_id
         where u.email = 'adam.other@example.com' and bm.bucket_id = $1::uuid",
    )
    .bind(&t.photos)
    .fetch_optional(&app.db)
    .await
    .unwrap();
    (accepted.status, role)
}

#[tokio::test]
async fn removing_a_member_cancels_the_invitations_they_sent_in_the_same_transaction() {
    let app = TestApp::spawn().await;
    let (t, link) = adam_invites_his_other_address(&app).await;
    let adam_id = crate::team::user_id(&app, "adam@example.com").await;
    t.alice.get(&t.members_path()).await;
    let removed = t
        .alice
        .post(&format!("/w/{}/members/{adam_id}/remove", t.workspace), &[])
        .await;
    assert_eq!(removed.status, 303, "{}", removed.body);

    assert_eq!(cancelled_because_the_sender_lost_the_role(&app).await, 1);
    let (status, role) = second_address_accepts(&app, &t, &link).await;
    assert_eq!(status, 410, "the invitation died with Adam's role");
    assert_eq!(role, None, "Adam is not back in by his other address");
}

#[tokio::test]
async fn demoting_an_admin_cancels_the_invitations_their_new_role_no_longer_covers() {
    let app = TestApp::spawn().await;
    let (t, link) = adam_invites_his_other_address(&app).await;
    let adam_id = crate::team::user_id(&app, "adam@example.com").await;
    t.alice.get(&t.members_path()).await;
    let demoted = t
        .alice
        .post(
            &format!("/w/{}/members/{adam_id}/buckets/{}", t.workspace, t.photos),
            &[("role", "editor")],
        )
        .await;
    assert_eq!(demoted.status, 303, "{}", demoted.body);

    assert_eq!(cancelled_because_the_sender_lost_the_role(&app).await, 1);
    let (status, role) = second_address_accepts(&app, &t, &link).await;
    assert_eq!(status, 410);
    assert_eq!(role, None);
}

#[tokio::test]
async fn an_owner_demoted_to_admin_keeps_the_invitations_admin_still_covers() {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    crate::team::grant(&app, &t, "olga@example.com", &t.photos, "owner").await;
    let olga = app.sign_in_as("olga@example.com").await;
    olga.get(&t.members_path()).await;
    let field = format!("role_{}", t.photos);
    for (email, role) in [("ed@example.com", "editor"), ("oscar@example.com", "owner")] {
        let sent = olga
            .post(
                &format!("/w/{}/invites", t.workspace),
                &[("email", email), (field.as_str(), role)],
            )
            .await;
        assert_eq!(sent.status, 303, "{}", sent.body);
    }
    let olga_id = crate::team::user_id(&app, "olga@example.com").await;
    t.alice.get(&t.members_path()).await;
    t.alice
        .post(
            &format!("/w/{}/members/{olga_id}/buckets/{}", t.workspace, t.photos),
            &[("role", "admin")],
        )
        .await;
    let pending: Vec<String> = sqlx::query_scalar(
        "select email from invites where cancelled_at is null and accepted_at is null order by email",
    )
    .fetch_all(&app.db)
    .await
    .unwrap();
    assert_eq!(
        pending,
        ["ed@example.com"],
        "only the Owner invitation went"
    );
}

#[tokio::test]
async fn accepting_grants_at_most_what_the_sender_holds_at_that_moment() {
    let app = TestApp::spawn().await;
    let (t, link) = adam_invites_his_other_address(&app).await;
    // Adam's role changes behind the members page's back (as a concurrent
    // change or an invitation sent before this rule would): accepting still checks it
    sqlx::query(
        "update bucket_members set role = 'editor'
         where user_id = (select id from users where email = 'adam@example.com')",
    )
    .execute(&app.db)
    .await
    .unwrap();
    let (status, role) = second_address_accepts(&app, &t, &link).await;
    assert_eq!(status, 410, "an Editor grants nothing");
    assert_eq!(role, None);
    let cancelled: bool = sqlx::query_scalar(
        "select cancelled_at is not null from invites where email = 'adam.other@example.com'",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert!(cancelled, "a withdrawn invitation is spent");
}

#[tokio::test]
async fn accepting_an_invitation_whose_sender_was_lowered_grants_the_lower_role() {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    crate::team::grant(&app, &t, "olga@example.com", &t.photos, "owner").await;
    let olga = app.sign_in_as("olga@example.com").await;
    olga.get(&t.members_path()).await;
    let field = format!("role_{}", t.photos);
    olga.post(
        &format!("/w/{}/invites", t.workspace),
        &[("email", "oscar@example.com"), (field.as_str(), "owner")],
    )
    .await;
    let link = invite_link(&app, "oscar@example.com").await;
    sqlx::query(
        "update bucket_members set role = 'admin'
         where user_id = (select id from users where email = 'olga@example.com')",
    )
    .execute(&app.db)
    .await
    .unwrap();
    let oscar = app.sign_in_as("oscar@example.com").await;
    oscar.get(&link).await;
    assert_eq!(oscar.post(&format!("{link}/accept"), &[]).await.status, 303);
    let role: String = sqlx::query_scalar(
        "select bm.role from bucket_members bm join users u on u.id = bm.user_id
         where u.email = 'oscar@example.com'",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(role, "admin", "never above what Olga holds now");
}
