//! Buckets connected by IAM role instead of a stored key: bucketdesk's own
//! AWS identity assumes the role at a local STS (which checks the caller's
//! signature and the external id), and the local S3 server accepts exactly
//! the temporary keys that STS issued, until they expire.

use bucketdesk_testkit::{Browser, Page, TestApp};
use std::time::Duration;

/// The workspace's external id, as the connect page shows it.
fn external_id_on(page: &Page) -> String {
    let marker = "<code data-external-id>";
    let start = page.body.find(marker).expect("the external id on the page") + marker.len();
    let end = page.body[start..].find('<').unwrap();
    page.body[start..start + end].to_owned()
}

async fn connect_by_role(app: &TestApp, alice: &Browser, workspace: &str, role_arn: &str) -> Page {
    let form = [
        ("display_name", "Photos"),
        ("provider", "minio"),
        ("endpoint_url", &app.s3.endpoint()),
        ("region", "us-east-1"),
        ("bucket_name", "photos"),
        ("addressing", "auto"),
        ("signing", "role"),
        ("role_arn", role_arn),
        // a key typed before switching to the role is not what connects
        ("access_key_id", "AKIGNORED"),
    ];
    alice.post(&format!("/w/{workspace}/buckets"), &form).await
}

/// Connects `photos` by role; returns the bucket page's path.
async fn connected_by_role(app: &TestApp, alice: &Browser, workspace: &str, role: &str) -> String {
    let connected = connect_by_role(app, alice, workspace, role).await;
    assert_eq!(connected.status, 303, "{}", connected.body);
    let location = connected.location().unwrap();
    location.split('?').next().unwrap().to_owned()
}

/// Alice's workspace, the connect page, and a role trusting its external id.
async fn alice_and_role(app: &TestApp) -> (Browser, String, String) {
    app.s3.create_bucket("photos").unwrap();
    let alice = app.sign_in_as("alice@example.com").await;
    let workspace = alice.create_workspace("Team").await;
    let page = alice.get(&format!("/w/{workspace}/buckets/new")).await;
    assert!(
        page.body.contains(r#"value="role""#),
        "the role option is offered"
    );
    let external_id = external_id_on(&page);
    let shown = page.body.replace("&#34;", "\"");
    assert!(
        shown.contains(&format!(r#""sts:ExternalId": "{external_id}""#))
            && shown.contains(r#""AWS": "arn:aws:iam::111122223333:user/bucketdesk""#),
        "the trust policy names bucketdesk's identity and the external id: {}",
        page.body
    );
    let role = app
        .sts
        .as_ref()
        .unwrap()
        .add_role("bucketdesk-photos", &external_id);
    (alice, workspace, role)
}

#[tokio::test]
async fn a_bucket_connected_by_role_lists_presigns_and_uploads_and_no_secret_is_stored() {
    let app = TestApp::builder().with_local_sts().spawn().await;
    let (alice, workspace, role) = alice_and_role(&app).await;
    std::fs::write(app.s3.root.join("photos/a.txt"), b"from the role").unwrap();

    let bucket_path = connected_by_role(&app, &alice, &workspace, &role).await;
    let (key_id, role_arn): (Option<String>, Option<String>) =
        sqlx::query_as("select access_key_id, role_arn from buckets")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!((key_id, role_arn.as_deref()), (None, Some(role.as_str())));
    let secrets: i64 = sqlx::query_scalar("select count(*) from bucket_secrets")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(secrets, 0, "no secret stored for a role bucket");

    let listing = alice.get(&bucket_path).await;
    assert_eq!(listing.status, 200);
    assert!(listing.body.contains("a.txt"), "{}", listing.body);
    let settings = alice.get(&format!("{bucket_path}/settings")).await;
    assert!(settings.body.contains(&role) && !settings.body.contains("New access key id"));

    // an upload signs with the role's temporary key
    let token = alice.csrf_token().await;
    let uploaded = alice
        .client
        .post(format!("{}{bucket_path}/upload?key=b.txt", alice.base))
        .header("x-csrf-token", token)
        .body("uploaded through the role")
        .send()
        .await
        .unwrap();
    assert!(uploaded.status().is_success(), "{}", uploaded.status());
    assert_eq!(
        std::fs::read(app.s3.root.join("photos/b.txt")).unwrap(),
        b"uploaded through the role"
    );

    // a download is presigned with the temporary key and its session token
    let download = alice
        .get(&format!("{bucket_path}/download?key=a.txt"))
        .await;
    let url = download.location().unwrap().to_owned();
    assert!(
        url.contains("X-Amz-Security-Token=") && url.contains("X-Amz-Credential=ASIA"),
        "{url}"
    );
    let fetched = reqwest::get(&url).await.unwrap();
    assert_eq!(fetched.status(), 200);
    assert_eq!(fetched.bytes().await.unwrap().as_ref(), b"from the role");
    // the URL without its session token is refused, as S3 refuses it
    let without_token: String = url
        .split('&')
        .filter(|part| !part.starts_with("X-Amz-Security-Token="))
        .collect::<Vec<_>>()
        .join("&");
    assert_eq!(reqwest::get(&without_token).await.unwrap().status(), 403);

    // a presign for a week lasts as long as the role session, and says so
    let api = alice.make_access_token("script", &["read", "share"]).await;
    let bucket_id = bucket_path.rsplit('/').next().unwrap();
    let presigned: serde_json::Value = reqwest::Client::new()
        .post(format!(
            "{}/api/v1/workspaces/{workspace}/buckets/{bucket_id}/presign",
            app.url
        ))
        .bearer_auth(&api)
        .json(&serde_json::json!({ "key": "a.txt", "expires_in": 7 * 24 * 3600 }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(presigned["capped"], true, "{presigned}");
    let lasts = presigned["expires_in"].as_u64().unwrap();
    assert!(
        (3000..=3600).contains(&lasts),
        "capped to the hour's session: {presigned}"
    );
    let url = presigned["url"].as_str().unwrap();
    assert!(url.contains(&format!("X-Amz-Expires={lasts}")), "{url}");
    assert_eq!(reqwest::get(url).await.unwrap().status(), 200);
    // the share page says so too
    let page = alice
        .post(
            &format!("{bucket_path}/share"),
            &[("key", "a.txt"), ("expires", "604800")],
        )
        .await;
    assert!(
        page.body.contains("cannot outlive the role session"),
        "{}",
        page.body
    );

    // a revocable link presigns afresh at each visit
    let made = alice
        .post(&format!("{bucket_path}/links"), &[("keys", "a.txt")])
        .await;
    assert_eq!(made.status, 303, "{}", made.body);
    let link_page = alice.get(made.location().unwrap()).await;
    let marker = r#"readonly value=""#;
    let start = link_page.body.find(marker).unwrap() + marker.len();
    let address = &link_page.body[start..start + link_page.body[start..].find('"').unwrap()];
    let visit = app.browser().get_url(&format!("{address}/download")).await;
    assert_eq!(visit.status, 303);
    let fetched = reqwest::get(visit.location().unwrap()).await.unwrap();
    assert_eq!(fetched.bytes().await.unwrap().as_ref(), b"from the role");
}

#[tokio::test]
async fn a_role_that_does_not_trust_the_workspace_is_refused_with_a_plain_message() {
    let app = TestApp::builder().with_local_sts().spawn().await;
    let (alice, workspace, _) = alice_and_role(&app).await;
    let sts = app.sts.as_ref().unwrap();
    let other = sts.add_role(
        "another-workspaces-role",
        "bucketdesk-some-other-external-id",
    );

    let refused = connect_by_role(&app, &alice, &workspace, &other).await;
    assert_eq!(refused.status, 422);
    assert!(
        refused
            .body
            .contains("AWS did not let bucketdesk assume this role")
            && refused
                .body
                .contains("not authorized to perform: sts:AssumeRole")
            && refused.body.contains("external id"),
        "{}",
        refused.body
    );
    let typo = connect_by_role(&app, &alice, &workspace, "arn:aws:iam::1111:role/x").await;
    assert_eq!(typo.status, 422);
    assert!(
        typo.body
            .contains("Type the role&#39;s ARN as IAM shows it"),
        "{}",
        typo.body
    );
    let buckets: i64 = sqlx::query_scalar("select count(*) from buckets")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(buckets, 0, "nothing connected");
}

#[tokio::test]
async fn without_an_aws_identity_the_role_option_is_not_offered_or_accepted() {
    let app = TestApp::spawn().await;
    app.s3.create_bucket("photos").unwrap();
    let alice = app.sign_in_as("alice@example.com").await;
    let workspace = alice.create_workspace("Team").await;
    let page = alice.get(&format!("/w/{workspace}/buckets/new")).await;
    assert!(!page.body.contains("data-external-id") && !page.body.contains(r#"value="role""#));
    let refused = connect_by_role(
        &app,
        &alice,
        &workspace,
        "arn:aws:iam::111122223333:role/bucketdesk-photos",
    )
    .await;
    assert_eq!(refused.status, 422);
    assert!(
        refused.body.contains("BUCKETDESK_AWS_IDENTITY=host"),
        "{}",
        refused.body
    );
}

#[tokio::test]
async fn role_sessions_are_renewed_before_they_expire_and_presigns_never_outlive_them() {
    let app = TestApp::builder().with_local_sts().spawn().await;
    let (alice, workspace, role) = alice_and_role(&app).await;
    let sts = app.sts.as_ref().unwrap();
    // a role whose sessions last 20 seconds, whatever bucketdesk asks for
    sts.limit_sessions_to(Duration::from_secs(20));
    std::fs::write(app.s3.root.join("photos/a.txt"), b"a").unwrap();
    let bucket_path = connected_by_role(&app, &alice, &workspace, &role).await;

    assert_eq!(alice.get(&bucket_path).await.status, 200);
    let issued = sts.sessions_issued();
    // a 15-minute download link from a 20-second session lasts 20 seconds at most
    let download = alice
        .get(&format!("{bucket_path}/download?key=a.txt"))
        .await;
    let url = download.location().unwrap().to_owned();
    let expires: u64 = url
        .split("X-Amz-Expires=")
        .nth(1)
        .and_then(|rest| rest.split('&').next())
        .and_then(|n| n.parse().ok())
        .unwrap();
    assert!(expires <= 20, "{url}");
    assert_eq!(
        sts.sessions_issued(),
        issued,
        "no new session while the first is young"
    );

    // past three quarters of the session, the next use renews it first
    tokio::time::sleep(Duration::from_secs(16)).await;
    assert_eq!(alice.get(&bucket_path).await.status, 200);
    assert_eq!(
        sts.sessions_issued(),
        issued + 1,
        "renewed before it expired"
    );
    // and the first session's URL dies with it, as on S3
    tokio::time::sleep(Duration::from_secs(5)).await;
    let expired = reqwest::get(&url).await.unwrap();
    let (status, body) = (expired.status().as_u16(), expired.text().await.unwrap());
    assert!(
        matches!(status, 400 | 403) && (body.contains("Expired") || body.contains("expired")),
        "{status} {body}"
    );
    assert_eq!(
        alice.get(&bucket_path).await.status,
        200,
        "the renewed session works"
    );
}
