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
        changes::rename(s3, db, &can, &alice, &here, from, to)
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
