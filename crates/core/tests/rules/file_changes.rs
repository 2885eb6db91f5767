use super::*;
use bucketdesk_core::access::Editor;
use bucketdesk_core::changes::{self, UploadRequest};
use bucketdesk_core::files::{self, ListRequest};
use bytes::Bytes;

fn body(bytes: usize) -> impl futures::Stream<Item = Result<Bytes, std::io::Error>> + Unpin {
    futures::stream::iter([Ok(Bytes::from(vec![b'x'; bytes]))])
}

fn request(key: &str) -> UploadRequest<'_> {
    UploadRequest {
        key,
        overwrite: false,
        content_type: None,
        declared_length: None,
        max_size: 1_000,
    }
}

fn code(error: CoreError) -> &'static str {
    match error {
        CoreError::Conflict { code, .. } => code,
        other => panic!("not a conflict: {other:?}"),
    }
}

#[tokio::test]
async fn an_editor_changes_files_and_nothing_is_replaced_or_moved_into_itself_by_accident() {
    let w = world().await;
    let (db, state) = (&w.app.db, &w.app.state);
    let (s3, uploads) = (&state.s3_clients, &state.uploads);
    let alice = session(&w.alice);
    let grant = access::bucket(db, &alice, w.workspace, w.bucket)
        .await
        .unwrap();
    let can = grant.can::<Editor>().unwrap();

    let stored = changes::upload(
        s3,
        db,
        uploads,
        &can,
        &alice,
        &origin(),
        request("notes/a.txt"),
        body(10),
    )
    .await
    .unwrap();
    assert_eq!(stored, 10);
    let again = changes::upload(
        s3,
        db,
        uploads,
        &can,
        &alice,
        &origin(),
        request("notes/a.txt"),
        body(10),
    )
    .await
    .unwrap_err();
    assert_eq!(code(again), "exists");
    let replace = UploadRequest {
        overwrite: true,
        ..request("notes/a.txt")
    };
    changes::upload(s3, db, uploads, &can, &alice, &origin(), replace, body(20))
        .await
        .unwrap();
    let big = changes::upload(
        s3,
        db,
        uploads,
        &can,
        &alice,
        &origin(),
        request("big.bin"),
        body(1_001),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(big, CoreError::TooLarge { limit: 1_000 }),
        "{big:?}"
    );

    let no_slash = changes::create_folder(s3, db, &can, &alice, &origin(), "plain")
        .await
        .unwrap_err();
    assert_eq!(fields(no_slash), [("key", "not_a_folder")]);
    let climbing = changes::create_folder(s3, db, &can, &alice, &origin(), "../up/")
        .await
        .unwrap_err();
    assert_eq!(fields(climbing), [("key", "invalid")]);

    changes::upload(
        s3,
        db,
        uploads,
        &can,
        &alice,
        &origin(),
        request("notes/b.txt"),
        body(1),
    )
    .await
    .unwrap();
    let here = origin();
    let rename = |from: &'static str, to: &'static str| {
        changes::rename(s3, db, &can, &alice, &here, from, to, None)
    };
    assert_eq!(
        fields(rename("notes/", "notes/old/").await.unwrap_err()),
        [("to", "into_itself")]
    );
    assert_eq!(
        fields(rename("notes/a.txt", "archive/").await.unwrap_err()),
        [("to", "kind_mismatch")]
    );
    assert_eq!(
        fields(rename("missing/", "gone/").await.unwrap_err()),
        [("from", "not_found")]
    );
    assert_eq!(
        code(rename("notes/a.txt", "notes/b.txt").await.unwrap_err()),
        "exists"
    );
    assert_eq!(
        rename("notes/", "archive/").await.unwrap(),
        2,
        "both files moved"
    );

    let deleted = changes::delete(s3, db, &can, &alice, &origin(), "archive/")
        .await
        .unwrap();
    assert_eq!(deleted, 2);
    let listing = |cursor| ListRequest {
        prefix: "",
        starts_with: "",
        cursor,
        limit: 100,
    };
    let page = files::list(s3, &grant, listing(None)).await.unwrap();
    assert!(
        page.files.is_empty() && page.folders.is_empty(),
        "the bucket is empty again"
    );
    let damaged = listing(Some("not a cursor"));
    let refused = files::list(s3, &grant, damaged).await.err().unwrap();
    assert_eq!(fields(refused), [("cursor", "invalid")]);
}

#[tokio::test]
async fn a_viewer_cannot_change_files_and_a_read_token_cannot_even_with_an_owners_role() {
    let w = world().await;
    let (db, s3) = (&w.app.db, &w.app.state.s3_clients);
    let victor = session(&w.victor);
    let grant = access::bucket(db, &victor, w.workspace, w.bucket)
        .await
        .unwrap();
    let refused = grant.can::<Editor>().err().unwrap();
    assert!(
        matches!(
            refused,
            CoreError::Forbidden(Denied::BucketRole {
                needed: Role::Editor
            })
        ),
        "{refused:?}"
    );

    let reader = token(&w.alice, &[Scope::Read]);
    let grant = access::bucket(db, &reader, w.workspace, w.bucket)
        .await
        .unwrap();
    let can = grant.can::<Editor>().unwrap();
    let refused = changes::create_folder(s3, db, &can, &reader, &origin(), "new/")
        .await
        .unwrap_err();
    assert!(
        matches!(
            refused,
            CoreError::Forbidden(Denied::Scope {
                needed: Scope::Write
            })
        ),
        "{refused:?}"
    );
}

#[tokio::test]
async fn a_selection_moves_into_a_folder_whole_or_not_at_all_and_is_deleted_in_one_go() {
    let w = world().await;
    let (db, state) = (&w.app.db, &w.app.state);
    let (s3, uploads) = (&state.s3_clients, &state.uploads);
    let alice = session(&w.alice);
    let grant = access::bucket(db, &alice, w.workspace, w.bucket)
        .await
        .unwrap();
    let can = grant.can::<Editor>().unwrap();
    for key in [
        "a.txt",
        "b.txt",
        "photos/1.jpg",
        "photos/2.jpg",
        "archive/b.txt",
    ] {
        changes::upload(
            s3,
            db,
            uploads,
            &can,
            &alice,
            &origin(),
            request(key),
            body(3),
        )
        .await
        .unwrap();
    }
    let keys = |list: &[&str]| list.iter().map(|k| (*k).to_owned()).collect::<Vec<_>>();
    let here = origin();
    let move_into = |list: Vec<String>, folder: &'static str| {
        let (can, alice, here) = (&can, &alice, &here);
        async move { changes::move_into(s3, db, can, alice, here, &list, folder, None).await }
    };

    // b.txt is taken in archive/: nothing moves, a.txt included
    let clash = move_into(keys(&["a.txt", "b.txt"]), "archive/")
        .await
        .unwrap_err();
    assert_eq!(code(clash), "exists");
    let top = files::list(
        s3,
        &grant,
        ListRequest {
            prefix: "",
            starts_with: "",
            cursor: None,
            limit: 100,
        },
    )
    .await
    .unwrap();
    assert_eq!(top.files.len(), 2, "a.txt and b.txt are still at the top");

    let into_itself = move_into(keys(&["photos/"]), "photos/2026/")
        .await
        .unwrap_err();
    assert_eq!(fields(into_itself), [("to", "into_itself")]);
    assert_eq!(
        fields(move_into(vec![], "archive/").await.unwrap_err()),
        [("keys", "empty")]
    );
    assert_eq!(
        fields(move_into(keys(&["a.txt"]), "../up/").await.unwrap_err()),
        [("folder", "invalid")]
    );

    // a file and a folder with everything in it, into another folder
    let moved = move_into(keys(&["a.txt", "photos/"]), "archive/")
        .await
        .unwrap();
    assert_eq!(moved, 3, "a.txt and the two photos");
    let archive = files::list(
        s3,
        &grant,
        ListRequest {
            prefix: "archive/",
            starts_with: "",
            cursor: None,
            limit: 100,
        },
    )
    .await
    .unwrap();
    assert_eq!(archive.folders, ["archive/photos/"]);
    assert_eq!(
        archive
            .files
            .iter()
            .map(|f| f.key.as_str())
            .collect::<Vec<_>>(),
        ["archive/a.txt", "archive/b.txt"]
    );
    let events: Vec<(String, serde_json::Value)> = sqlx::query_as(
        "select action, details from audit_events where action = 'object_renamed' order by id",
    )
    .fetch_all(db)
    .await
    .unwrap();
    assert_eq!(
        events.iter().map(|(_, d)| d.clone()).collect::<Vec<_>>(),
        [
            serde_json::json!({ "from": "a.txt", "to": "archive/a.txt", "objects": 1 }),
            serde_json::json!({ "from": "photos/", "to": "archive/photos/", "objects": 2 }),
        ],
        "one audit event per moved key"
    );

    // deleting the selection: a folder with what is in it, and a file
    let deleted = changes::delete_many(s3, db, &can, &alice, &here, &keys(&["archive/", "b.txt"]))
        .await
        .unwrap();
    assert_eq!(deleted, 5);
    let left = files::list(
        s3,
        &grant,
        ListRequest {
            prefix: "",
            starts_with: "",
            cursor: None,
            limit: 100,
        },
    )
    .await
    .unwrap();
    assert!(
        left.files.is_empty() && left.folders.is_empty(),
        "the bucket is empty"
    );
    let deletions: i64 =
        sqlx::query_scalar("select count(*) from audit_events where action = 'object_deleted'")
            .fetch_one(db)
            .await
            .unwrap();
    assert_eq!(deletions, 2, "one audit event per deleted key");
}
