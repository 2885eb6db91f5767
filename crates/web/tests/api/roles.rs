//! Roles per bucket, role changes and revocation (flows 4 and 6, S7).

use crate::team::{Team, grant, invite, team, user_id};
use bucketdesk_testkit::{Browser, TestApp};
use std::sync::Arc;
use std::time::Instant;

async fn set_role(
    t: &Team,
    actor: &Browser,
    target: &str,
    bucket: &str,
    role: &str,
) -> bucketdesk_testkit::Page {
    actor.get(&t.members_path()).await;
    actor
        .post(
            &format!("/w/{}/members/{target}/buckets/{bucket}", t.workspace),
            &[("role", role)],
        )
        .await
}

#[tokio::test]
async fn a_role_change_applies_to_the_members_very_next_request() {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    grant(&app, &t, "bob@example.com", &t.photos, "viewer").await;
    let bob = app.sign_in_as("bob@example.com").await;
    let bob_id = user_id(&app, "bob@example.com").await;
    assert_eq!(bob.get(&t.bucket_path(&t.photos)).await.status, 200);
    assert_eq!(
        bob.get(&format!("{}/settings", t.bucket_path(&t.photos)))
            .await
            .status,
        403
    );

    assert_eq!(
        set_role(&t, &t.alice, &bob_id, &t.photos, "owner")
            .await
            .status,
        303
    );
    assert_eq!(
        bob.get(&format!("{}/settings", t.bucket_path(&t.photos)))
            .await
            .status,
        200,
        "raised at once"
    );

    assert_eq!(
        set_role(&t, &t.alice, &bob_id, &t.photos, "").await.status,
        303
    );
    let page = bob.get(&t.bucket_path(&t.photos)).await;
    assert_eq!(page.status, 404, "removed from the bucket at once");
    assert!(page.body.contains("no longer have access"));
    let events: i64 = sqlx::query_scalar(
        "select count(*) from audit_events where action in ('role_changed', 'member_removed')",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(events, 2);
}

#[tokio::test]
async fn an_admin_manages_only_their_buckets_and_never_above_their_role() {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    grant(&app, &t, "adam@example.com", &t.photos, "admin").await;
    grant(&app, &t, "bob@example.com", &t.photos, "viewer").await;
    let adam = app.sign_in_as("adam@example.com").await;
    let members = adam.get(&t.members_path()).await;
    assert_eq!(members.status, 200);
    assert!(members.body.contains(&format!("role_{}", t.photos)));
    assert!(
        !members.body.contains(&format!("role_{}", t.reports)),
        "Reports is not his to manage"
    );

    let path = format!("/w/{}/invites", t.workspace);
    let field = format!("role_{}", t.photos);
    let too_high = adam
        .post(
            &path,
            &[("email", "carol@example.com"), (field.as_str(), "owner")],
        )
        .await;
    assert_eq!(too_high.status, 422);
    assert!(
        too_high
            .body
            .contains("at most your own role on Photos, Admin"),
        "{}",
        too_high.body
    );
    let other_bucket = format!("role_{}", t.reports);
    let not_his = adam
        .post(
            &path,
            &[
                ("email", "carol@example.com"),
                (other_bucket.as_str(), "viewer"),
            ],
        )
        .await;
    assert_eq!(not_his.status, 422);
    let fine = adam
        .post(
            &path,
            &[("email", "carol@example.com"), (field.as_str(), "admin")],
        )
        .await;
    assert_eq!(fine.status, 303, "{}", fine.body);

    let bob_id = user_id(&app, "bob@example.com").await;
    let raise = set_role(&t, &adam, &bob_id, &t.photos, "owner").await;
    assert_eq!(raise.status, 422);
    let alice_id = user_id(&app, "alice@example.com").await;
    let demote_owner = set_role(&t, &adam, &alice_id, &t.photos, "viewer").await;
    assert_eq!(demote_owner.status, 422);
    assert!(
        demote_owner
            .body
            .contains("higher role on this bucket than you"),
        "{}",
        demote_owner.body
    );
    assert_eq!(
        adam.post(&format!("/w/{}/members/{bob_id}/remove", t.workspace), &[])
            .await
            .status,
        403,
        "only owners remove people"
    );
}

#[tokio::test]
async fn the_last_owner_cannot_be_demoted_or_removed() {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    let alice_id = user_id(&app, "alice@example.com").await;
    let demote = set_role(&t, &t.alice, &alice_id, &t.photos, "admin").await;
    assert_eq!(demote.status, 422);
    assert!(
        demote.body.contains("last Owner of this bucket"),
        "{}",
        demote.body
    );

    grant(&app, &t, "bob@example.com", &t.photos, "viewer").await;
    sqlx::query("update workspace_members set role = 'owner' where user_id = (select id from users where email = 'bob@example.com')")
        .execute(&app.db)
        .await
        .unwrap();
    let bob = app.sign_in_as("bob@example.com").await;
    bob.get(&t.members_path()).await;
    let remove_alice = bob
        .post(
            &format!("/w/{}/members/{alice_id}/remove", t.workspace),
            &[],
        )
        .await;
    assert_eq!(
        remove_alice.status, 422,
        "Alice is the only owner of both buckets"
    );
    assert!(
        remove_alice.body.contains("only Owner of Photos, Reports"),
        "{}",
        remove_alice.body
    );
    let owners: i64 =
        sqlx::query_scalar("select count(*) from bucket_members where role = 'owner'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(owners, 2);
}

#[tokio::test]
async fn no_request_that_starts_after_a_revoke_commits_succeeds() {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    grant(&app, &t, "bob@example.com", &t.photos, "viewer").await;
    let bob = Arc::new(app.sign_in_as("bob@example.com").await);
    let bob_id = user_id(&app, "bob@example.com").await;
    let path = t.bucket_path(&t.photos);
    let started = Instant::now();

    // Bob clicks in a loop, noting when each request started and how it ended
    let looping = {
        let bob = bob.clone();
        let path = path.clone();
        tokio::spawn(async move {
            let mut results = Vec::new();
            for _ in 0..200 {
                let at = started.elapsed();
                let status = bob
                    .client
                    .get(bob.url(&path))
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16();
                results.push((at, status));
                if results.iter().filter(|(_, s)| *s == 404).count() >= 20 {
                    break;
                }
            }
            results
        })
    };
    tokio::time::sleep(std::time::Duration::from_millis(150)).await;
    t.alice.get(&t.members_path()).await;
    let removed = t
        .alice
        .post(&format!("/w/{}/members/{bob_id}/remove", t.workspace), &[])
        .await;
    let committed = started.elapsed();
    assert_eq!(removed.status, 303);

    let results = looping.await.unwrap();
    assert!(
        results.iter().any(|(_, s)| *s == 200),
        "Bob had access before"
    );
    for (at, status) in &results {
        if *at > committed {
            assert_eq!(
                *status, 404,
                "a request started {at:?} after the revoke committed at {committed:?} succeeded"
            );
        }
    }
    assert!(
        results.iter().any(|(at, _)| *at > committed),
        "some requests started after the revoke"
    );
}

#[tokio::test]
async fn an_instance_admin_signs_a_person_out_everywhere() {
    let app = TestApp::spawn().await;
    let root = app.sign_in_as("root@example.com").await;
    sqlx::query("update users set is_admin = true where email = 'root@example.com'")
        .execute(&app.db)
        .await
        .unwrap();
    let bob = app.sign_in_as("bob@example.com").await;
    let page = root.get("/admin/users").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("bob@example.com"));
    let bob_id = user_id(&app, "bob@example.com").await;
    let done = root
        .post(&format!("/admin/users/{bob_id}/sign-out-everywhere"), &[])
        .await;
    assert_eq!(done.status, 303);
    assert_eq!(bob.get("/").await.location(), Some("/login"));
    assert_eq!(root.get("/").await.status, 200, "the admin stays signed in");
    assert_eq!(bob.get("/admin/users").await.status, 303);
    let bob2 = app.sign_in_as("bob@example.com").await;
    assert_eq!(
        bob2.get("/admin/users").await.status,
        403,
        "only instance admins"
    );
}

#[tokio::test]
async fn invitations_are_audited() {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    invite(&t, "bob@example.com", &[(&t.photos, "viewer")]).await;
    let invite_id: uuid::Uuid = sqlx::query_scalar("select id from invites")
        .fetch_one(&app.db)
        .await
        .unwrap();
    t.alice.get(&t.members_path()).await;
    t.alice
        .post(
            &format!("/w/{}/invites/{invite_id}/resend", t.workspace),
            &[],
        )
        .await;
    t.alice
        .post(
            &format!("/w/{}/invites/{invite_id}/cancel", t.workspace),
            &[],
        )
        .await;
    let actions: Vec<String> = sqlx::query_scalar(
        "select action from audit_events where action like 'invite_%' order by id",
    )
    .fetch_all(&app.db)
    .await
    .unwrap();
    assert_eq!(
        actions,
        ["invite_sent", "invite_resent", "invite_cancelled"]
    );
}
