use super::*;

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
async fn a_token_is_made_only_in_a_browser_with_a_name_a_scope_and_a_lifetime_up_to_a_year() {
    use bucketdesk_core::tokens::{self, TokenRequest};
    let w = world().await;
    let db = &w.app.db;
    let alice = session(&w.alice);
    let wrong = TokenRequest {
        name: " ",
        scopes: Scopes::parse([]).unwrap(),
        lifetime: Some(Duration::from_secs(400 * 86_400)),
    };
    let refused = tokens::create(db, &alice, &origin(), wrong)
        .await
        .err()
        .unwrap();
    assert_eq!(
        fields(refused),
        [
            ("name", "required"),
            ("scopes", "required"),
            ("expires_in_days", "out_of_range")
        ]
    );
    let made = tokens::create(
        db,
        &alice,
        &origin(),
        TokenRequest {
            name: "backup script",
            scopes: Scopes::parse(["read"]).unwrap(),
            lifetime: None,
        },
    )
    .await
    .unwrap();
    assert!(made.secret.starts_with(tokens::PREFIX));

    let script = token(
        &w.alice,
        &[Scope::Read, Scope::Write, Scope::Share, Scope::Admin],
    );
    let again = TokenRequest {
        name: "made by a token",
        scopes: Scopes::parse(["read"]).unwrap(),
        lifetime: None,
    };
    let refused = tokens::create(db, &script, &origin(), again)
        .await
        .err()
        .unwrap();
    assert!(
        matches!(refused, CoreError::Forbidden(Denied::SessionOnly)),
        "{refused:?}"
    );
}
