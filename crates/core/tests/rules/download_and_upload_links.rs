use super::*;

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
            networks: "10.0.0.0/8, the office".into(),
            recipients: "carol@example.com, carol at home".into(),
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
            ("networks", "invalid"),
            ("recipients", "invalid"),
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
        visit::open(db, "not-a-token", LinkKind::Download, &origin()).await,
        Err(CoreError::NotFound)
    ));
    assert!(
        matches!(
            visit::open(db, &made.token, LinkKind::Upload, &origin()).await,
            Err(CoreError::NotFound)
        ),
        "a download link's token opens no upload link"
    );
    let link = visit::open(db, &made.token, LinkKind::Download, &origin())
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
    let revoked = visit::open(db, &made.token, LinkKind::Download, &origin())
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
    let link = visit::open(&w.app.db, &made.token, LinkKind::Upload, &origin())
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
