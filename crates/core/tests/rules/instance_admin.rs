use super::*;

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
