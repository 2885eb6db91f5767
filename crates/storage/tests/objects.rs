//! Object operations against a real, signature-verifying S3 server.

#![allow(clippy::unwrap_used)] // a failed unwrap in a test is a failed test

use bucketdesk_s3_local::LocalS3;
use bucketdesk_storage::objects;
use bucketdesk_storage::upload::{self, Conditions, NoJournal, Target, UploadBudget, UploadError};
use bucketdesk_storage::{ConnectError, Connection, Signer, StorageOptions, s3_client};
use bytes::Bytes;
use std::time::Duration;

struct Fixture {
    s3: LocalS3,
    client: aws_sdk_s3::Client,
    _dir: tempfile::TempDir,
}

fn options() -> StorageOptions {
    StorageOptions {
        allow_private_endpoints: true,
        ..StorageOptions::default()
    }
}

async fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let s3 = LocalS3::start(
        dir.path(),
        "127.0.0.1:0".parse().unwrap(),
        "AKOBJECTS0001",
        "objects-secret",
    )
    .await
    .unwrap();
    s3.create_bucket("files").unwrap();
    let client = s3_client(
        &Connection {
            bucket: "files".into(),
            region: "us-east-1".into(),
            endpoint: Some(s3.endpoint()),
            path_style: true,
            signer: Signer::key("AKOBJECTS0001", "objects-secret"),
        },
        &options(),
    );
    Fixture {
        s3,
        client,
        _dir: dir,
    }
}

async fn put(f: &Fixture, key: &str, body: &[u8]) {
    f.client
        .put_object()
        .bucket("files")
        .key(key)
        .body(body.to_vec().into())
        .send()
        .await
        .unwrap();
}

fn chunks(
    total: usize,
    chunk: usize,
) -> impl futures::Stream<Item = Result<Bytes, std::io::Error>> + Unpin {
    let pattern: Vec<u8> = (0..chunk).map(|i| (i % 251) as u8).collect();
    let pattern = Bytes::from(pattern);
    let count = total / chunk;
    futures::stream::iter((0..count).map(move |_| Ok(pattern.clone())))
}

#[tokio::test]
async fn a_folder_of_ten_thousand_objects_lists_page_by_page_with_one_list_call_each() {
    let f = fixture().await;
    // written straight into the served folder: 10,000 files in big/
    let folder = f.s3.root.join("files/big");
    std::fs::create_dir_all(&folder).unwrap();
    for i in 0..10_000 {
        std::fs::write(folder.join(format!("file-{i:05}.txt")), b"x").unwrap();
    }
    let mut token = None;
    let mut seen = 0;
    let mut pages = 0;
    loop {
        let before = f.s3.request_count();
        let page = objects::list_page(
            &f.client,
            "files",
            "big/",
            token.as_deref(),
            1000,
            &options(),
        )
        .await
        .unwrap();
        assert_eq!(f.s3.request_count() - before, 1, "one LIST call per page");
        seen += page.files.len();
        pages += 1;
        match page.next_token {
            Some(next) => token = Some(next),
            None => break,
        }
    }
    assert_eq!((seen, pages), (10_000, 10));
}

#[tokio::test]
async fn folders_and_files_are_told_apart_and_the_folder_marker_is_not_a_file() {
    let f = fixture().await;
    objects::create_folder(&f.client, "files", "docs/", &options())
        .await
        .unwrap();
    for key in ["docs/a.txt", "docs/sub/b.txt", "docs/sub/c.txt", "top.txt"] {
        put(&f, key, b"hello").await;
    }
    let page = objects::list_page(&f.client, "files", "docs/", None, 200, &options())
        .await
        .unwrap();
    assert_eq!(page.folders, vec!["docs/sub/".to_owned()]);
    assert_eq!(
        page.files
            .iter()
            .map(|e| e.key.as_str())
            .collect::<Vec<_>>(),
        vec!["docs/a.txt"]
    );
    assert!(page.next_token.is_none());
}

#[tokio::test]
async fn a_tampered_page_token_is_an_error_not_a_crash() {
    let f = fixture().await;
    put(&f, "a.txt", b"x").await;
    let result = objects::list_page(
        &f.client,
        "files",
        "",
        Some("not-a-real-token"),
        200,
        &options(),
    )
    .await;
    // servers differ: an error the page can explain, or simply no more entries
    if let Err(e) = result {
        assert!(!e.to_string().is_empty());
    }
}

#[tokio::test]
async fn a_presigned_download_fetches_the_bytes_with_the_disposition_then_expires() {
    let f = fixture().await;
    put(&f, "dir/naïve file.txt", b"the bytes").await;
    let disposition = bucketdesk_domain::object::content_disposition(
        bucketdesk_domain::object::Disposition::Attachment,
        "naïve file.txt",
    );
    let url = objects::presign_get(
        &f.client,
        "files",
        "dir/naïve file.txt",
        Duration::from_secs(900),
        &disposition,
        None,
    )
    .await
    .unwrap();
    assert!(url.contains("X-Amz-Expires=900"), "{url}");
    let response = reqwest::get(&url).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-disposition"].to_str().unwrap(),
        disposition
    );
    assert_eq!(response.bytes().await.unwrap().as_ref(), b"the bytes");

    let short = objects::presign_get(
        &f.client,
        "files",
        "dir/naïve file.txt",
        Duration::from_secs(1),
        &disposition,
        None,
    )
    .await
    .unwrap();
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(
        reqwest::get(&short).await.unwrap().status(),
        403,
        "an expired link is refused by S3"
    );
    let tampered = url.replace("X-Amz-Expires=900", "X-Amz-Expires=9000");
    assert_eq!(
        reqwest::get(&tampered).await.unwrap().status(),
        403,
        "a changed link is refused by S3"
    );
}

#[tokio::test]
async fn presigned_links_never_live_longer_than_seven_days() {
    let f = fixture().await;
    let url = objects::presign_get(
        &f.client,
        "files",
        "x",
        Duration::from_secs(30 * 24 * 3600),
        "attachment",
        None,
    )
    .await
    .unwrap();
    assert!(url.contains("X-Amz-Expires=604800"), "{url}");
}

#[tokio::test]
async fn details_and_the_start_of_a_file() {
    let f = fixture().await;
    f.client
        .put_object()
        .bucket("files")
        .key("notes.md")
        .content_type("text/markdown")
        .metadata("owner", "alice")
        .body(b"# Title\nbody".to_vec().into())
        .send()
        .await
        .unwrap();
    let d = objects::details(&f.client, "files", "notes.md", &options())
        .await
        .unwrap();
    assert_eq!(
        (d.size, d.content_type.as_deref()),
        (12, Some("text/markdown"))
    );
    assert_eq!(d.metadata, vec![("owner".to_owned(), "alice".to_owned())]);
    assert_eq!(
        objects::read_start(&f.client, "files", "notes.md", 7, &options())
            .await
            .unwrap(),
        b"# Title"
    );
    let missing = objects::details(&f.client, "files", "gone.md", &options())
        .await
        .unwrap_err();
    assert!(matches!(missing, ConnectError::NoSuchKey(_)), "{missing:?}");
}

fn target<'a>(f: &'a Fixture, key: &'a str, max_size: u64) -> Target<'a> {
    Target {
        client: &f.client,
        bucket: "files",
        key,
        content_type: Some("application/octet-stream"),
        max_size,
        options: &OPTIONS,
    }
}

static OPTIONS: StorageOptions = StorageOptions {
    connect_timeout: StorageOptions::DEFAULT_CONNECT_TIMEOUT,
    operation_timeout: StorageOptions::DEFAULT_OPERATION_TIMEOUT,
    allow_private_endpoints: true,
};

fn conditions<'a>(budget: &'a UploadBudget, declared_length: Option<u64>) -> Conditions<'a> {
    Conditions {
        declared_length,
        budget,
        journal: &NoJournal,
        stop: None,
    }
}

/// The stored object holds `total` bytes of the `chunks` pattern, in order.
fn stored_in_order(f: &Fixture, key: &str, total: usize) {
    let stored = std::fs::read(f.s3.root.join("files").join(key)).unwrap();
    assert_eq!(stored.len(), total);
    assert!(
        stored
            .chunks(4096)
            .all(|c| c.iter().enumerate().all(|(i, b)| *b == (i % 251) as u8)),
        "the bytes arrived in order"
    );
}

#[tokio::test]
async fn a_small_upload_is_one_put_and_a_large_one_is_multipart_with_the_right_bytes() {
    let f = fixture().await;
    let budget = UploadBudget::new(64 << 20);
    let small = upload::upload(
        &target(&f, "small.bin", 1 << 40),
        chunks(64 * 1024, 16 * 1024),
        conditions(&budget, None),
    )
    .await
    .unwrap();
    assert_eq!(small, 64 * 1024);
    let total = 20 * 1024 * 1024 + 4096;
    // length unknown (chunked): buffered parts
    let before = f.s3.request_count();
    let big = upload::upload(
        &target(&f, "big.bin", 1 << 40),
        chunks(total, 4096),
        conditions(&budget, None),
    )
    .await
    .unwrap();
    assert_eq!(big as usize, total);
    stored_in_order(&f, "big.bin", total);
    assert_eq!(
        f.s3.request_count() - before,
        5,
        "create, 3 parts, complete"
    );
    // length declared: streamed parts
    let streamed = upload::upload(
        &target(&f, "streamed.bin", 1 << 40),
        chunks(total, 4096),
        conditions(&budget, Some(total as u64)),
    )
    .await
    .unwrap();
    assert_eq!(streamed as usize, total);
    stored_in_order(&f, "streamed.bin", total);
    assert_eq!(f.s3.unfinished_parts(), 0);
    assert_eq!(
        budget.available_mib(),
        64,
        "every buffered part gave its room back"
    );
}

#[tokio::test]
async fn a_cut_off_too_large_or_lying_upload_leaves_nothing_behind() {
    let f = fixture().await;
    let budget = UploadBudget::new(64 << 20);
    let good = chunks(11 * 1024 * 1024, 1024 * 1024);
    let broken = futures::StreamExt::chain(
        good,
        futures::stream::iter([Err(std::io::Error::other("connection reset"))]),
    );
    let cut = upload::upload(
        &target(&f, "cut.bin", 1 << 40),
        Box::pin(broken),
        conditions(&budget, None),
    )
    .await;
    assert!(matches!(cut, Err(UploadError::CutOff(_))), "{cut:?}");
    let too_large = upload::upload(
        &target(&f, "huge.bin", 8 * 1024 * 1024),
        chunks(12 * 1024 * 1024, 1024 * 1024),
        conditions(&budget, None),
    )
    .await;
    assert!(
        matches!(too_large, Err(UploadError::TooLarge(_))),
        "{too_large:?}"
    );
    let declared_too_large = upload::upload(
        &target(&f, "declared.bin", 8 * 1024 * 1024),
        chunks(1024, 1024),
        conditions(&budget, Some(5 << 40)),
    )
    .await;
    assert!(
        matches!(declared_too_large, Err(UploadError::TooLarge(_))),
        "refused before a byte is read: {declared_too_large:?}"
    );
    // declares 5 TiB, sends 20 MiB and ends
    let lying = upload::upload(
        &target(&f, "lying.bin", 1 << 50),
        chunks(20 * 1024 * 1024, 64 * 1024),
        conditions(&budget, Some(5 << 40)),
    )
    .await;
    assert!(matches!(lying, Err(UploadError::CutOff(_))), "{lying:?}");
    assert_eq!(f.s3.unfinished_parts(), 0, "aborted (R2)");
    for key in ["cut.bin", "huge.bin", "declared.bin", "lying.bin"] {
        assert!(
            !objects::exists(&f.client, "files", key, &options())
                .await
                .unwrap(),
            "{key}"
        );
    }
    assert_eq!(budget.available_mib(), 64);
}

#[tokio::test]
async fn a_stop_signal_cuts_an_upload_under_way_and_aborts_it() {
    let f = fixture().await;
    let budget = UploadBudget::new(64 << 20);
    let (stop, stopped) = tokio::sync::watch::channel(false);
    // 12 MiB arrive, then the client goes quiet
    let body = futures::StreamExt::chain(
        chunks(12 * 1024 * 1024, 1024 * 1024),
        futures::stream::pending(),
    );
    let running = async {
        upload::upload(
            &target(&f, "stopped.bin", 1 << 40),
            Box::pin(body),
            Conditions {
                stop: Some(stopped),
                ..conditions(&budget, Some(100 << 20))
            },
        )
        .await
    };
    let stopping = async {
        tokio::time::sleep(Duration::from_millis(500)).await;
        stop.send_replace(true);
    };
    let (cut, ()) = tokio::join!(running, stopping);
    assert!(
        matches!(cut, Err(UploadError::CutOff(ref why)) if why.contains("restarting")),
        "{cut:?}"
    );
    assert_eq!(f.s3.unfinished_parts(), 0);
}

#[tokio::test]
async fn copy_delete_and_recursive_listing() {
    let f = fixture().await;
    for key in ["old/a.txt", "old/b/c.txt", "keep.txt", "odd key +%#?&.txt"] {
        put(&f, key, key.as_bytes()).await;
    }
    objects::copy(
        &f.client,
        "files",
        "odd key +%#?&.txt",
        "odd key +%#?&.txt".len() as i64,
        "new name.txt",
        &options(),
    )
    .await
    .unwrap();
    assert!(
        objects::exists(&f.client, "files", "new name.txt", &options())
            .await
            .unwrap()
    );
    let keys = objects::all_keys(&f.client, "files", "old/", &options())
        .await
        .unwrap();
    assert_eq!(keys.len(), 2);
    assert_eq!(
        objects::delete_keys(&f.client, "files", &keys, &options())
            .await
            .unwrap(),
        2
    );
    assert!(
        objects::all_keys(&f.client, "files", "old/", &options())
            .await
            .unwrap()
            .is_empty()
    );
    objects::create_folder(&f.client, "files", "made/", &options())
        .await
        .unwrap();
    put(&f, "made/inside.txt", b"x").await;
    let root = objects::list_page(&f.client, "files", "", None, 200, &options())
        .await
        .unwrap();
    assert!(root.folders.contains(&"made/".to_owned()), "{root:?}");
}

#[tokio::test]
async fn the_local_server_refuses_keys_that_would_reach_another_bucket() {
    let f = fixture().await;
    f.s3.create_bucket("other").unwrap();
    std::fs::write(f.s3.root.join("other/secret.txt"), b"other only").unwrap();
    let read = f
        .client
        .get_object()
        .bucket("files")
        .key("../other/secret.txt")
        .send()
        .await;
    let status = read
        .err()
        .and_then(|e| e.raw_response().map(|r| r.status().as_u16()));
    assert_eq!(status, Some(400), "refused before the file system");
    for key in ["../other/secret.txt", "a/./b.txt"] {
        let write = f
            .client
            .put_object()
            .bucket("files")
            .key(key)
            .body(b"overwritten".to_vec().into())
            .send()
            .await;
        assert!(write.is_err(), "{key}");
    }
    let copy = f
        .client
        .copy_object()
        .bucket("files")
        .key("stolen.txt")
        .copy_source("files/../other/secret.txt")
        .send()
        .await;
    assert!(copy.is_err());
    assert_eq!(
        std::fs::read(f.s3.root.join("other/secret.txt")).unwrap(),
        b"other only"
    );
    assert!(!f.s3.root.join("files/stolen.txt").exists());
    assert!(!f.s3.root.join("files/a/b.txt").exists());
}
