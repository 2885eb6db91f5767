use super::*;
use bucketdesk_core::invitations::Offer;

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
        let roles: Vec<Offer> = roles
            .into_iter()
            .map(|(b, r)| Offer::bucket(b, r))
            .collect();
        let refused = invitations::invite(&w.app.db, &bobs, &bob, &origin(), &email, &roles)
            .await
            .unwrap_err();
        assert_eq!(fields(refused), [wanted]);
    }
    // a folder is given as Viewer or Editor, and is a folder
    for (folder, role, wanted) in [
        ("clients/", Role::Admin, ("roles", "not_for_folders")),
        ("clients/../x/", Role::Viewer, ("folder", "invalid")),
    ] {
        let offer = Offer {
            bucket: w.bucket,
            folder: folder.into(),
            role,
        };
        let refused = invitations::invite(&w.app.db, &bobs, &bob, &origin(), &carol, &[offer])
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
        &[Offer::bucket(w.bucket, Role::Admin)],
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
        &[Offer::bucket(w.bucket, Role::Admin)],
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
