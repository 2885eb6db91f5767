//! Folders and selections downloaded as one zip: streamed with bounded
//! memory whatever the size (zip64 past 4 GiB), names with any characters,
//! valid for Python's zipfile, limited in files and bytes with the refusal
//! said beside the selection, audited once, and stopped reading S3 when the
//! download is cancelled.

use crate::team::{grant, team};
use bucketdesk_testkit::TestApp;
use futures::StreamExt;
use std::collections::BTreeSet;
use std::io::Write;
use std::time::Duration;

/// Awkward names: spaces, quotes, `#`, `%`, `+`, `&`, accents, emoji,
/// right-to-left text, and deep folders.
fn awkward_name(i: usize) -> String {
    let names = [
        "plain",
        "with space",
        "quote \"double\" and 'single'",
        "hash#and%percent+plus&amp",
        "été — naïve façade",
        "📷 photo 🎉",
        "עברית",
        "deep/er/still/down",
        "semi;colon,comma=equals",
        "brackets [1] {2} (3)",
    ];
    format!("{} {i:04}.txt", names[i % names.len()])
}

/// The names in a zip, sorted, once Python's zipfile found every entry's
/// CRC right (a Python list, as it prints it).
fn names_in_valid_zip(zip: &[u8]) -> String {
    let out = tempfile::tempdir().unwrap();
    let zip_path = out.path().join("download.zip");
    std::fs::write(&zip_path, zip).unwrap();
    let listed = std::process::Command::new("python3")
        .arg("-c")
        .arg("import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None; print(sorted(z.namelist()))")
        .arg(&zip_path)
        .output()
        .expect("python3 runs");
    assert!(
        listed.status.success(),
        "{}",
        String::from_utf8_lossy(&listed.stderr)
    );
    String::from_utf8_lossy(&listed.stdout).trim().to_owned()
}

/// Alice's revocable link to `folder` of Photos, as a path (`/s/…`).
async fn folder_link(t: &crate::team::Team, folder: &str) -> String {
    let bucket = t.bucket_path(&t.photos);
    t.alice.get(&format!("{bucket}/links/new")).await;
    let made = t
        .alice
        .post(&format!("{bucket}/links"), &[("folder", folder)])
        .await;
    let page = t.alice.get(made.location().unwrap()).await;
    let start = page.body.find("/s/").unwrap();
    page.body[start..start + 46].to_owned()
}

fn rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let kib: f64 = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap();
    kib / 1024.0
}

#[tokio::test]
async fn a_folder_of_two_thousand_awkward_names_and_a_5_gib_file_zips_valid_with_bounded_memory() {
    // the local S3 server hashes the 5 GiB file (made on its disk, so with no
    // stored ETag) before it answers the GET: 15 to 40 s on this machine, over
    // the 30 s an S3 call may take by default
    let app = TestApp::builder()
        .configure(|s| s.storage.operation_timeout = std::time::Duration::from_secs(180))
        .spawn()
        .await;
    let t = team(&app).await;
    let folder = app.s3.root.join("photos/big");
    let mut expected = BTreeSet::new();
    for i in 0..2000 {
        let name = awkward_name(i);
        let path = folder.join(&name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, format!("file {i}")).unwrap();
        expected.insert(format!("big/{name}"));
    }
    // 5 GiB of zeros that take no disk: a file past zip's 32-bit sizes
    let huge = std::fs::File::create(folder.join("huge.bin")).unwrap();
    huge.set_len(5 << 30).unwrap();
    expected.insert("big/huge.bin".into());

    let out = tempfile::tempdir().unwrap();
    let zip_path = out.path().join("big.zip");
    let baseline = rss_mib();
    let response = t
        .alice
        .client
        .get(t.alice.url(&format!(
            "{}/zip?path=&keys=big%2F",
            t.bucket_path(&t.photos)
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "application/octet-stream"
    );
    let disposition = response.headers()["content-disposition"].to_str().unwrap();
    assert!(disposition.contains("big.zip"), "{disposition}");
    let mut file = std::io::BufWriter::new(std::fs::File::create(&zip_path).unwrap());
    let mut body = response.bytes_stream();
    let mut peak = baseline;
    let mut received = 0u64;
    while let Some(chunk) = body.next().await {
        let chunk = chunk.unwrap();
        received += chunk.len() as u64;
        file.write_all(&chunk).unwrap();
        if received % (64 << 20) < chunk.len() as u64 {
            peak = peak.max(rss_mib());
        }
    }
    file.flush().unwrap();
    drop(file);
    assert!(received > 5 << 30, "{received}");
    assert!(
        peak - baseline < 64.0,
        "memory rose {:.1} MiB while 5 GiB were zipped",
        peak - baseline
    );

    let check = std::process::Command::new("python3")
        .arg("-c")
        .arg(
            "import sys, zipfile, json\n\
             z = zipfile.ZipFile(sys.argv[1])\n\
             bad = z.testzip()\n\
             assert bad is None, bad\n\
             huge = z.getinfo('big/huge.bin')\n\
             assert huge.file_size == 5 << 30, huge.file_size\n\
             assert z.read('big/plain 0000.txt') == b'file 0'\n\
             print(json.dumps(z.namelist()))",
        )
        .arg(&zip_path)
        .output()
        .expect("python3 runs");
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    let names: BTreeSet<String> = serde_json::from_slice(&check.stdout).unwrap();
    assert_eq!(names, expected);
    let audited: i64 = sqlx::query_scalar(
        "select count(*) from audit_events where action = 'zip_downloaded' and (details->>'files')::int = 2001",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(audited, 1);
}

#[tokio::test]
async fn a_selection_zips_for_a_viewer_and_one_over_the_limit_is_refused_beside_the_selection() {
    let app = TestApp::builder()
        .configure(|settings| settings.zip_limits.max_files = 3)
        .spawn()
        .await;
    let t = team(&app).await;
    for name in [
        "docs/a.txt",
        "docs/b.txt",
        "docs/more/c.txt",
        "docs/more/d.txt",
    ] {
        let path = app.s3.root.join("photos").join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, name).unwrap();
    }
    grant(&app, &t, "victor@example.com", &t.photos, "viewer").await;
    let victor = app.sign_in_as("victor@example.com").await;
    let bucket = t.bucket_path(&t.photos);
    victor.get(&format!("{bucket}?path=docs%2F")).await;
    let zipped = victor
        .client
        .post(victor.url(&format!("{bucket}/zip")))
        .header("x-csrf-token", victor.csrf_token().await)
        // more/c.txt is picked with its folder too: it goes in once
        .form(&[
            ("path", "docs/"),
            ("keys", "docs/a.txt"),
            ("keys", "docs/more/"),
            ("keys", "docs/more/c.txt"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(zipped.status(), 200);
    let disposition = zipped.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        disposition.contains("filename=\"docs.zip\""),
        "{disposition}"
    );
    assert_eq!(
        names_in_valid_zip(&zipped.bytes().await.unwrap()),
        "['a.txt', 'more/c.txt', 'more/d.txt']"
    );

    // four files are one more than this instance's zips hold
    let refused = victor
        .post(&format!("{bucket}/zip"), &[("path", ""), ("keys", "docs/")])
        .await;
    assert_eq!(refused.status, 303);
    let page = victor.get(refused.location().unwrap()).await;
    assert!(
        page.body
            .contains("more than 3 files, the most one zip holds"),
        "the refusal is said on the page"
    );
}

#[tokio::test]
async fn a_cancelled_zip_download_stops_reading_the_bucket() {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    let folder = app.s3.root.join("photos/many");
    std::fs::create_dir_all(&folder).unwrap();
    for i in 0..3000 {
        std::fs::write(folder.join(format!("f{i:04}.bin")), vec![b'x'; 64 * 1024]).unwrap();
    }
    let response = t
        .alice
        .client
        .get(
            t.alice
                .url(&format!("{}/zip?keys=many%2F", t.bucket_path(&t.photos))),
        )
        .send()
        .await
        .unwrap();
    let mut body = response.bytes_stream();
    let mut received = 0;
    while received < 1 << 20 {
        received += body.next().await.unwrap().unwrap().len();
    }
    drop(body); // the person cancels
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after_cancel = app.s3.request_count();
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(
        app.s3.request_count() <= after_cancel + 1,
        "no more files are read once the download is cancelled"
    );
    assert!(
        after_cancel < 1000,
        "it stopped long before the 3,000 files"
    );
}

#[tokio::test]
async fn a_folder_link_downloads_everything_as_one_zip_counted_once_with_each_file_in_the_visit() {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    for name in [
        "clients/acme/a.txt",
        "clients/acme/b.txt",
        "clients/acme/more/c.txt",
        "clients/other/x.txt",
    ] {
        let path = app.s3.root.join("photos").join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, name).unwrap();
    }
    let link = &folder_link(&t, "clients/acme/").await;

    let visitor = app.browser();
    let shared = visitor.get(link).await;
    assert!(
        shared.body.contains("Download all as a zip"),
        "{}",
        shared.body
    );
    let zipped = visitor
        .client
        .get(visitor.url(&format!("{link}/zip")))
        .send()
        .await
        .unwrap();
    assert_eq!(zipped.status(), 200);
    assert_eq!(
        names_in_valid_zip(&zipped.bytes().await.unwrap()),
        "['acme/a.txt', 'acme/b.txt', 'acme/more/c.txt']",
        "only the shared folder, named from it"
    );
    let downloads: i32 = sqlx::query_scalar("select downloads from links")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(downloads, 1, "one download of the link");
    let visit: serde_json::Value =
        sqlx::query_scalar("select details from audit_events where action = 'link_downloaded'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(visit["zip"], true);
    assert_eq!(visit["files"], 3);
    assert_eq!(
        visit["keys"],
        serde_json::json!([
            "clients/acme/a.txt",
            "clients/acme/b.txt",
            "clients/acme/more/c.txt"
        ])
    );
}

#[tokio::test]
async fn a_link_to_the_whole_bucket_zips_everything_in_it() {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    for name in ["top.txt", "deep/er.txt"] {
        let path = app.s3.root.join("photos").join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, name).unwrap();
    }
    let link = &folder_link(&t, "").await;
    let visitor = app.browser();
    let zipped = visitor
        .client
        .get(visitor.url(&format!("{link}/zip")))
        .send()
        .await
        .unwrap();
    assert_eq!(zipped.status(), 200);
    assert_eq!(
        names_in_valid_zip(&zipped.bytes().await.unwrap()),
        "['deep/er.txt', 'top.txt']"
    );
}
