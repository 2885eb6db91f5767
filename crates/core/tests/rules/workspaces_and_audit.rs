use super::*;
use bucketdesk_core::{audit_log, workspaces};
use bucketdesk_domain::WorkspaceCreators;

#[tokio::test]
async fn workspaces_are_made_as_the_instance_allows_and_only_their_owner_deletes_one_by_its_name() {
    let w = world().await;
    let db = &w.app.db;
    let victor = session(&w.victor);
    let refused = workspaces::create(db, &victor, &origin(), WorkspaceCreators::Admins, "Mine")
        .await
        .unwrap_err();
    assert!(
        matches!(refused, CoreError::Forbidden(Denied::InstanceAdmin)),
        "{refused:?}"
    );
    let blank = workspaces::create(db, &victor, &origin(), WorkspaceCreators::Everyone, "  ")
        .await
        .unwrap_err();
    assert_eq!(fields(blank), [("name", "invalid")]);
    workspaces::create(db, &victor, &origin(), WorkspaceCreators::Everyone, "Mine")
        .await
        .unwrap();

    let bob = session(&w.bob);
    let bobs = workspace_grant(&w, &bob).await;
    let not_owner = bobs.can::<Owner>().err().unwrap();
    assert!(
        matches!(
            not_owner,
            CoreError::Forbidden(Denied::WorkspaceRole {
                needed: Role::Owner
            })
        ),
        "{not_owner:?}"
    );

    let alice = session(&w.alice);
    let grant = workspace_grant(&w, &alice).await;
    let owner = grant.can::<Owner>().unwrap();
    let s3 = &w.app.state.s3_clients;
    let unconfirmed = workspaces::delete(db, s3, &owner, &alice, &origin(), "team")
        .await
        .unwrap_err();
    assert_eq!(fields(unconfirmed), [("name", "not_confirmed")]);
    workspaces::delete(db, s3, &owner, &alice, &origin(), "Team")
        .await
        .unwrap();
    let gone = access::workspace(db, &alice, w.workspace)
        .await
        .err()
        .unwrap();
    assert!(matches!(gone, CoreError::NoAccess), "{gone:?}");
}

#[tokio::test]
async fn the_audit_log_shows_an_owner_everything_a_bucket_admin_their_buckets_and_a_viewer_nothing()
{
    let w = world().await;
    let db = &w.app.db;
    let alice = session(&w.alice);
    let everything = audit_log::visible_buckets(db, &workspace_grant(&w, &alice).await, &alice)
        .await
        .unwrap();
    assert_eq!(everything.only_buckets, None);

    let bob = session(&w.bob);
    let bobs = audit_log::visible_buckets(db, &workspace_grant(&w, &bob).await, &bob)
        .await
        .unwrap();
    assert_eq!(bobs.only_buckets, Some(vec![w.bucket.0]));

    let victor = session(&w.victor);
    let refused = audit_log::visible_buckets(db, &workspace_grant(&w, &victor).await, &victor)
        .await
        .err()
        .unwrap();
    assert!(
        matches!(
            refused,
            CoreError::Forbidden(Denied::BucketRole {
                needed: Role::Admin
            })
        ),
        "{refused:?}"
    );
}

#[test]
fn a_bucket_to_connect_names_every_wrong_field_at_once() {
    use bucketdesk_core::buckets::ConnectRequest;
    let wrong = ConnectRequest {
        display_name: "".into(),
        provider: "floppy".into(),
        bucket_name: "Not A Bucket".into(),
        addressing: "sideways".into(),
        access_key_id: "".into(),
        secret_access_key: "".into(),
        ..ConnectRequest::default()
    };
    let problems = wrong.check(true).err().unwrap();
    let named: Vec<&str> = problems.iter().map(|p| p.field).collect();
    for field in [
        "display_name",
        "provider",
        "bucket_name",
        "addressing",
        "access_key_id",
        "secret_access_key",
    ] {
        assert!(named.contains(&field), "{field} not named in {named:?}");
    }
    assert!(problems.iter().all(|p| p.code == "invalid"));
}
