//! Personal access tokens and the JSON API (`/api/v1`): a token made on the
//! account page is shown once and stored as a hash; it acts with its owner's
//! current roles, within its scopes; presigned GET and PUT links work with a
//! plain HTTP client; errors are JSON with stable codes.

use crate::team::{Team, grant, team, user_id};
use bucketdesk_testkit::{Browser, TestApp};
use serde_json::{Value, json};

async fn make_token(browser: &Browser, name: &str, scopes: &[&str]) -> String {
    browser.make_access_token(name, scopes).await
}

struct Api {
    url: String,
    client: reqwest::Client,
}

impl Api {
    fn new(app: &TestApp) -> Api {
        Api {
            url: app.url.clone(),
            client: reqwest::Client::new(),
        }
    }

    async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, reqwest::header::HeaderMap, String) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = self.client.request(method, format!("{}{path}", self.url));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        (status, headers, response.text().await.unwrap())
    }

    async fn json(
        &self,
        method: &str,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let (status, headers, text) = self.call(method, path, Some(token), body).await;
        assert!(
            headers
                .get("content-type")
                .is_some_and(|v| v.to_str().unwrap().starts_with("application/json")),
            "{path}: {status} {text}"
        );
        (status, serde_json::from_str(&text).unwrap())
    }
}

fn bucket_api(t: &Team, bucket: &str) -> String {
    format!("/api/v1/workspaces/{}/buckets/{bucket}", t.workspace)
}

#[tokio::test]
async fn a_token_is_shown_once_stored_as_a_hash_and_listed_by_its_prefix() {
    let app = TestApp::spawn().await;
    let alice = app.sign_in_as("alice@example.com").await;
    let token = make_token(&alice, "nightly export", &["read", "share"]).await;
    assert!(token.starts_with("bdk_") && token.len() == 47, "{token}");

    let list = alice.get("/account/tokens").await;
    assert!(list.body.contains("nightly export"), "{}", list.body);
    assert!(list.body.contains(&token[..8]), "its prefix is listed");
    assert!(
        !list.body.contains(&token),
        "the token itself is not shown again"
    );
    let stored: Vec<Vec<u8>> = sqlx::query_scalar("select token_hash from access_tokens")
        .fetch_all(&app.db)
        .await
        .unwrap();
    assert_eq!(stored.len(), 1);
    assert_ne!(stored[0], token.as_bytes(), "only a hash is stored");
    let dump: String = sqlx::query_scalar("select string_agg(t::text, ' ') from access_tokens t")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert!(
        !dump.contains(&token[8..]),
        "no part beyond the prefix is stored"
    );

    let me = Api::new(&app).json("GET", "/api/v1/me", &token, None).await;
    assert_eq!(me.0, 200, "{}", me.1);
    assert_eq!(me.1["email"], "alice@example.com");
    assert_eq!(me.1["token"]["name"], "nightly export");
    assert_eq!(me.1["token"]["scopes"], json!(["read", "share"]));
    // the call is noted: when and from where the token was last used
    let used: (Option<String>, bool) = sqlx::query_as(
        "select last_used_ip, last_used_at > now() - interval '1 minute' from access_tokens",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(used, (Some("127.0.0.1".into()), true));
    assert!(
        alice
            .get("/account/tokens")
            .await
            .body
            .contains("from 127.0.0.1")
    );
    let audited: i64 = sqlx::query_scalar("select count(*) from audit_events where action = 'token_created' and details->>'token' = 'nightly export'")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(audited, 1);
}

#[tokio::test]
async fn a_token_form_with_mistakes_says_so_beside_the_fields_and_makes_nothing() {
    let app = TestApp::spawn().await;
    let alice = app.sign_in_as("alice@example.com").await;
    alice.get("/account/tokens").await;
    let page = alice
        .post("/account/tokens", &[("name", " "), ("days", "30")])
        .await;
    assert_eq!(page.status, 422, "{}", page.body);
    assert!(page.body.contains("Give the token a name"), "{}", page.body);
    assert!(
        page.body.contains("Choose at least one scope"),
        "{}",
        page.body
    );
    let page = alice
        .post(
            "/account/tokens",
            &[("name", "x"), ("scopes", "read"), ("days", "400")],
        )
        .await;
    assert_eq!(page.status, 422);
    assert!(page.body.contains("from 1 to 366 days"), "{}", page.body);
    let made: i64 = sqlx::query_scalar("select count(*) from access_tokens")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(made, 0);
}

#[tokio::test]
async fn the_api_lists_folders_and_makes_presigned_links_that_work_with_a_plain_http_client() {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    std::fs::create_dir_all(app.s3.root.join("photos/2026")).unwrap();
    std::fs::write(app.s3.root.join("photos/2026/a.jpg"), b"first").unwrap();
    std::fs::write(app.s3.root.join("photos/2026/b.jpg"), b"second").unwrap();
    std::fs::write(app.s3.root.join("photos/readme.txt"), b"hello").unwrap();
    let token = make_token(&t.alice, "script", &["read", "write", "share"]).await;
    let api = Api::new(&app);

    let (status, workspaces) = api.json("GET", "/api/v1/workspaces", &token, None).await;
    assert_eq!(status, 200);
    assert_eq!(workspaces["workspaces"][0]["name"], "Team");
    assert_eq!(workspaces["workspaces"][0]["role"], "owner");
    let names: Vec<&str> = workspaces["workspaces"][0]["buckets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Photos", "Reports"]);

    let photos = bucket_api(&t, &t.photos);
    let (status, top) = api
        .json("GET", &format!("{photos}/objects"), &token, None)
        .await;
    assert_eq!(status, 200, "{top}");
    assert_eq!(top["folders"], json!(["2026/"]));
    assert_eq!(top["files"][0]["key"], "readme.txt");
    assert_eq!(top["files"][0]["size"], 5);
    // one entry per page: the cursor walks the folder
    let (_, first) = api
        .json(
            "GET",
            &format!("{photos}/objects?prefix=2026/&limit=1"),
            &token,
            None,
        )
        .await;
    assert_eq!(first["files"][0]["key"], "2026/a.jpg");
    let cursor = first["next_cursor"].as_str().expect("a next page");
    let (_, second) = api
        .json(
            "GET",
            &format!("{photos}/objects?prefix=2026/&limit=1&cursor={cursor}"),
            &token,
            None,
        )
        .await;
    assert_eq!(second["files"][0]["key"], "2026/b.jpg");
    assert!(second.get("next_cursor").is_none(), "{second}");

    // a presigned GET downloads with any HTTP client, no token needed
    let (status, link) = api
        .json(
            "POST",
            &format!("{photos}/presign"),
            &token,
            Some(json!({ "key": "readme.txt", "expires_in": 60 })),
        )
        .await;
    assert_eq!(status, 200, "{link}");
    assert_eq!(link["method"], "GET");
    assert_eq!(link["expires_in"], 60);
    let url = link["url"].as_str().unwrap();
    assert!(url.contains("X-Amz-Expires=60"), "{url}");
    let fetched = reqwest::get(url).await.unwrap();
    assert_eq!(fetched.status(), 200);
    assert_eq!(fetched.text().await.unwrap(), "hello");

    // a presigned PUT uploads with a plain PUT
    let (status, put) = api
        .json(
            "POST",
            &format!("{photos}/presign"),
            &token,
            Some(json!({ "key": "drop/new.txt", "method": "PUT" })),
        )
        .await;
    assert_eq!(status, 200, "{put}");
    assert_eq!(put["expires_in"], 900, "15 minutes by default");
    let sent = reqwest::Client::new()
        .put(put["url"].as_str().unwrap())
        .body("uploaded")
        .send()
        .await
        .unwrap();
    assert_eq!(sent.status(), 200, "{}", sent.text().await.unwrap());
    assert_eq!(
        std::fs::read(app.s3.root.join("photos/drop/new.txt")).unwrap(),
        b"uploaded"
    );

    // every file under a prefix, as CSV
    let (status, headers, csv) = api
        .call(
            "POST",
            &format!("{photos}/presign/batch"),
            Some(&token),
            Some(json!({ "prefix": "2026/" })),
        )
        .await;
    assert_eq!(status, 200, "{csv}");
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let batch: Value = serde_json::from_str(&csv).unwrap();
    let keys: Vec<&str> = batch["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["2026/a.jpg", "2026/b.jpg"]);
    let response = reqwest::Client::new()
        .post(format!("{}{photos}/presign/batch", app.url))
        .bearer_auth(&token)
        .header("accept", "text/csv")
        .json(&json!({ "prefix": "2026/" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let csv = response.text().await.unwrap();
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("key,url,expires_at"));
    let row = lines.next().unwrap();
    assert!(row.starts_with("\"2026/a.jpg\",\"http"), "{row}");
    let url = row.split(',').nth(1).unwrap().trim_matches('"');
    assert_eq!(
        reqwest::get(url).await.unwrap().text().await.unwrap(),
        "first"
    );

    // each link is on record with the token's name
    let audited: Vec<(String, Value)> = sqlx::query_as(
        "select action, details from audit_events where action in ('share_link_created', 'upload_url_created') order by id",
    )
    .fetch_all(&app.db)
    .await
    .unwrap();
    assert_eq!(audited.len(), 1 + 1 + 2 + 2);
    assert!(
        audited
            .iter()
            .all(|(_, details)| details["token"] == "script"),
        "{audited:?}"
    );
    assert_eq!(audited[1].0, "upload_url_created");
}

#[tokio::test]
async fn a_token_never_exceeds_its_scopes_or_its_owners_current_roles() {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    std::fs::write(app.s3.root.join("photos/a.txt"), b"a").unwrap();
    grant(&app, &t, "bob@example.com", &t.photos, "viewer").await;
    let bob = app.sign_in_as("bob@example.com").await;
    let api = Api::new(&app);
    let photos = bucket_api(&t, &t.photos);
    let reports = bucket_api(&t, &t.reports);
    let presign = format!("{photos}/presign");

    let read_only = make_token(&bob, "reader", &["read"]).await;
    let (status, error) = api
        .json(
            "POST",
            &presign,
            &read_only,
            Some(json!({ "key": "a.txt" })),
        )
        .await;
    assert_eq!(
        (status, error["error"]["code"].as_str()),
        (403, Some("scope_missing")),
        "{error}"
    );
    assert_eq!(
        api.json("GET", &format!("{photos}/objects"), &read_only, None)
            .await
            .0,
        200
    );

    let sharer = make_token(&bob, "sharer", &["read", "write", "share"]).await;
    assert_eq!(
        api.json("POST", &presign, &sharer, Some(json!({ "key": "a.txt" })))
            .await
            .0,
        200
    );
    // a Viewer cannot make upload URLs, whatever the token's scopes
    let (status, error) = api
        .json(
            "POST",
            &presign,
            &sharer,
            Some(json!({ "key": "b.txt", "method": "PUT" })),
        )
        .await;
    assert_eq!(
        (status, error["error"]["code"].as_str()),
        (403, Some("role_too_low")),
        "{error}"
    );
    // a bucket Bob has no role on, and another workspace's ids: 404
    assert_eq!(
        api.json("GET", &format!("{reports}/objects"), &sharer, None)
            .await
            .0,
        404
    );
    let elsewhere = format!(
        "/api/v1/workspaces/{}/buckets/{}/objects",
        uuid::Uuid::new_v4(),
        t.photos
    );
    let (status, error) = api.json("GET", &elsewhere, &sharer, None).await;
    assert_eq!(
        (status, error["error"]["code"].as_str()),
        (404, Some("not_found"))
    );

    // removed from the bucket: the token's next call there is refused
    let bob_id = user_id(&app, "bob@example.com").await;
    sqlx::query("delete from bucket_members where user_id = $1::uuid")
        .bind(&bob_id)
        .execute(&app.db)
        .await
        .unwrap();
    assert_eq!(
        api.json("POST", &presign, &sharer, Some(json!({ "key": "a.txt" })))
            .await
            .0,
        404
    );

    // revoked on the account page: refused at once, with WWW-Authenticate
    let list = bob.get("/account/tokens").await;
    let id: uuid::Uuid = sqlx::query_scalar("select id from access_tokens where name = 'reader'")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert!(list.body.contains(&format!("/account/tokens/{id}/revoke")));
    let revoked = bob.post(&format!("/account/tokens/{id}/revoke"), &[]).await;
    assert_eq!(revoked.status, 303);
    let (status, headers, body) = api.call("GET", "/api/v1/me", Some(&read_only), None).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(headers["www-authenticate"], "Bearer realm=\"bucketdesk\"");
    assert!(body.contains("\"code\":\"unauthenticated\""), "{body}");

    // an expired token is refused too
    sqlx::query(
        "update access_tokens set expires_at = now() - interval '1 second' where name = 'sharer'",
    )
    .execute(&app.db)
    .await
    .unwrap();
    assert_eq!(
        api.call("GET", "/api/v1/me", Some(&sharer), None).await.0,
        401
    );
}

#[tokio::test]
async fn a_disabled_accounts_tokens_stop_and_the_api_never_reads_a_session_cookie() {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    let token = make_token(&t.alice, "laptop", &["read"]).await;
    let api = Api::new(&app);
    assert_eq!(
        api.call("GET", "/api/v1/me", Some(&token), None).await.0,
        200
    );

    // a signed-in browser (cookie, CSRF token) gets nothing from the API
    let page = t.alice.get("/api/v1/workspaces").await;
    assert_eq!(page.status, 401, "{}", page.body);
    let page = t
        .alice
        .post(
            &format!("{}/presign", bucket_api(&t, &t.photos)),
            &[("key", "a.txt")],
        )
        .await;
    assert_eq!(page.status, 401, "{}", page.body);

    // a token cannot make another token
    let (status, _, _) = api
        .call(
            "POST",
            "/account/tokens",
            Some(&token),
            Some(json!({ "name": "x" })),
        )
        .await;
    assert_ne!(status, 200);

    app.create_user("root@example.com").await;
    sqlx::query("update users set is_admin = true where email = 'root@example.com'")
        .execute(&app.db)
        .await
        .unwrap();
    let root = app.sign_in_as("root@example.com").await;
    let alice_id = user_id(&app, "alice@example.com").await;
    root.get("/admin/users").await;
    let disabled = root
        .post(&format!("/admin/users/{alice_id}/disable"), &[])
        .await;
    assert_eq!(disabled.status, 303, "{}", disabled.body);
    assert_eq!(
        api.call("GET", "/api/v1/me", Some(&token), None).await.0,
        401
    );
}

#[tokio::test]
async fn api_errors_are_json_with_stable_codes_and_the_fields_that_are_wrong() {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    let token = make_token(&t.alice, "errors", &["read", "share"]).await;
    let api = Api::new(&app);
    let photos = bucket_api(&t, &t.photos);

    let (status, headers, body) = api.call("GET", "/api/v1/me", None, None).await;
    assert_eq!(status, 401);
    assert!(headers.contains_key("www-authenticate"));
    assert!(body.contains("Authorization: Bearer"), "{body}");
    assert_eq!(
        api.call("GET", "/api/v1/me", Some("bdk_not-a-real-token"), None)
            .await
            .0,
        401
    );

    let (status, error) = api
        .json(
            "POST",
            &format!("{photos}/presign"),
            &token,
            Some(json!({ "key": "a.txt", "expires_in": 604801 })),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(error["error"]["code"], "invalid");
    assert_eq!(error["error"]["fields"][0]["field"], "expires_in");
    assert_eq!(error["error"]["fields"][0]["code"], "out_of_range");
    let (status, error) = api
        .json(
            "POST",
            &format!("{photos}/presign"),
            &token,
            Some(json!({ "key": "a/../b.txt" })),
        )
        .await;
    assert_eq!(
        (status, error["error"]["fields"][0]["field"].as_str()),
        (422, Some("key")),
        "{error}"
    );
    let (status, error) = api
        .json("GET", &format!("{photos}/objects?prefix=../"), &token, None)
        .await;
    assert_eq!(
        (status, error["error"]["fields"][0]["field"].as_str()),
        (422, Some("prefix")),
        "{error}"
    );
    let (status, error) = api
        .json(
            "GET",
            &format!("{photos}/objects?cursor=%21%21"),
            &token,
            None,
        )
        .await;
    assert_eq!(
        (status, error["error"]["fields"][0]["field"].as_str()),
        (422, Some("cursor")),
        "{error}"
    );
    let (status, error) = api
        .json(
            "POST",
            &format!("{photos}/presign/batch"),
            &token,
            Some(json!({ "keys": ["a"], "prefix": "b/" })),
        )
        .await;
    assert_eq!(
        (status, error["error"]["code"].as_str()),
        (422, Some("invalid"))
    );
    let (status, _, body) = api
        .call("POST", &format!("{photos}/presign"), Some(&token), None)
        .await;
    assert_eq!(status, 400, "a body that is not JSON: {body}");
    assert!(body.contains("\"code\":\"bad_request\""), "{body}");
    let (status, error) = api.json("GET", "/api/v1/nothing/here", &token, None).await;
    assert_eq!(
        (status, error["error"]["code"].as_str()),
        (404, Some("no_route"))
    );
    let (status, error) = api.json("PATCH", "/api/v1/me", &token, None).await;
    assert_eq!(
        (status, error["error"]["code"].as_str()),
        (405, Some("method_not_allowed")),
        "a route with another method answers in JSON too"
    );
}

#[tokio::test]
async fn an_editors_token_makes_folders_moves_and_deletes_and_nobody_else_can() {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    std::fs::write(app.s3.root.join("photos/a.txt"), b"a").unwrap();
    std::fs::write(app.s3.root.join("photos/b.txt"), b"b").unwrap();
    grant(&app, &t, "bob@example.com", &t.photos, "viewer").await;
    let bob = app.sign_in_as("bob@example.com").await;
    let api = Api::new(&app);
    let photos = bucket_api(&t, &t.photos);

    let reader = make_token(&t.alice, "reader", &["read"]).await;
    let (status, error) = api
        .json(
            "POST",
            &format!("{photos}/folders"),
            &reader,
            Some(json!({ "key": "new/" })),
        )
        .await;
    assert_eq!(
        (status, error["error"]["code"].as_str()),
        (403, Some("scope_missing"))
    );
    let viewer = make_token(&bob, "bob's", &["read", "write"]).await;
    let (status, error) = api
        .json(
            "DELETE",
            &format!("{photos}/objects?key=a.txt"),
            &viewer,
            None,
        )
        .await;
    assert_eq!(
        (status, error["error"]["code"].as_str()),
        (403, Some("role_too_low"))
    );
    assert!(app.s3.root.join("photos/a.txt").exists());

    let writer = make_token(&t.alice, "writer", &["read", "write"]).await;
    let (status, made) = api
        .json(
            "POST",
            &format!("{photos}/folders"),
            &writer,
            Some(json!({ "key": "new/" })),
        )
        .await;
    assert_eq!((status, made["key"].as_str()), (201, Some("new/")));
    let (status, moved) = api
        .json(
            "POST",
            &format!("{photos}/move"),
            &writer,
            Some(json!({ "from": "a.txt", "to": "new/a.txt" })),
        )
        .await;
    assert_eq!(
        (status, moved["objects"].as_u64()),
        (200, Some(1)),
        "{moved}"
    );
    assert_eq!(
        std::fs::read(app.s3.root.join("photos/new/a.txt")).unwrap(),
        b"a"
    );
    let (status, clash) = api
        .json(
            "POST",
            &format!("{photos}/move"),
            &writer,
            Some(json!({ "from": "b.txt", "to": "new/a.txt" })),
        )
        .await;
    assert_eq!(
        (status, clash["error"]["code"].as_str()),
        (409, Some("exists")),
        "{clash}"
    );
    let (status, wrong) = api
        .json(
            "POST",
            &format!("{photos}/move"),
            &writer,
            Some(json!({ "from": "new/", "to": "new/inner/" })),
        )
        .await;
    assert_eq!(
        (status, wrong["error"]["fields"][0]["code"].as_str()),
        (422, Some("into_itself"))
    );
    let (status, dots) = api
        .json(
            "POST",
            &format!("{photos}/folders"),
            &writer,
            Some(json!({ "key": "../up/" })),
        )
        .await;
    assert_eq!(
        (status, dots["error"]["fields"][0]["field"].as_str()),
        (422, Some("key"))
    );
    let (status, deleted) = api
        .json(
            "DELETE",
            &format!("{photos}/objects?key=new/"),
            &writer,
            None,
        )
        .await;
    assert_eq!(status, 200, "{deleted}");
    // the file, and the folder's marker where the service keeps one as an object
    assert!(deleted["objects"].as_u64().unwrap() >= 1, "{deleted}");
    assert!(!app.s3.root.join("photos/new/a.txt").exists());
}

#[tokio::test]
async fn a_batch_for_a_huge_folder_is_refused_without_listing_all_of_it() {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    let folder = app.s3.root.join("photos/huge");
    std::fs::create_dir_all(&folder).unwrap();
    for i in 0..5000 {
        std::fs::write(folder.join(format!("{i:05}.txt")), b"x").unwrap();
    }
    let token = make_token(&t.alice, "batch", &["read", "share"]).await;
    let api = Api::new(&app);
    let before = app.s3.request_count();
    let (status, error) = api
        .json(
            "POST",
            &format!("{}/presign/batch", bucket_api(&t, &t.photos)),
            &token,
            Some(json!({ "prefix": "huge/" })),
        )
        .await;
    assert_eq!(
        (status, error["error"]["fields"][0]["code"].as_str()),
        (422, Some("too_many")),
        "{error}"
    );
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("At most 1000 files")
    );
    let calls = app.s3.request_count() - before;
    assert!(
        calls <= 3,
        "listing stops past the limit: {calls} S3 calls for 5,000 objects"
    );
    let written: i64 =
        sqlx::query_scalar("select count(*) from audit_events where action = 'share_link_created'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(written, 0, "nothing was handed out");
}

#[tokio::test]
async fn a_token_lists_its_owners_tokens_without_secrets_and_can_revoke_itself() {
    let app = TestApp::spawn().await;
    let alice = app.sign_in_as("alice@example.com").await;
    let laptop = make_token(&alice, "laptop", &["read"]).await;
    let ci = make_token(&alice, "ci", &["read", "share"]).await;
    let api = Api::new(&app);
    let (status, listed) = api.json("GET", "/api/v1/tokens", &laptop, None).await;
    assert_eq!(status, 200, "{listed}");
    let names: Vec<&str> = listed["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 2);
    assert!(
        names.contains(&"laptop") && names.contains(&"ci"),
        "{names:?}"
    );
    assert!(
        !listed.to_string().contains(&ci[8..]),
        "no secret is listed"
    );
    let ci_id = listed["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "ci")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, revoked) = api
        .json("POST", &format!("/api/v1/tokens/{ci_id}/revoke"), &ci, None)
        .await;
    assert_eq!(status, 200, "{revoked}");
    assert!(revoked["revoked_at"].is_string(), "{revoked}");
    let (status, _, _) = api.call("GET", "/api/v1/me", Some(&ci), None).await;
    assert_eq!(status, 401, "a revoked token's next call is refused");
    let (status, _) = api.json("GET", "/api/v1/me", &laptop, None).await;
    assert_eq!(status, 200, "the other token still works");
}

#[tokio::test]
async fn the_audit_log_reads_as_json_pages_and_csv_and_names_the_token_that_acted() {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    std::fs::write(app.s3.root.join("photos/readme.txt"), b"hello").unwrap();
    let token = make_token(&t.alice, "nightly", &["read", "share", "admin"]).await;
    let api = Api::new(&app);
    let photos = bucket_api(&t, &t.photos);
    for _ in 0..3 {
        let (status, link) = api
            .json(
                "POST",
                &format!("{photos}/links"),
                &token,
                Some(json!({"keys": ["readme.txt"]})),
            )
            .await;
        assert_eq!(status, 201, "{link}");
    }
    let audit = format!("/api/v1/workspaces/{}/audit", t.workspace);
    let (status, page) = api
        .json(
            "GET",
            &format!("{audit}?action=link_created&limit=2"),
            &token,
            None,
        )
        .await;
    assert_eq!(status, 200, "{page}");
    let events = page["events"].as_array().unwrap();
    assert_eq!(events.len(), 2);
    assert_eq!(events[0]["action"], "link_created");
    assert_eq!(events[0]["person"], "alice@example.com");
    assert_eq!(events[0]["details"]["token"], "nightly");
    let before = page["next_before"].as_i64().unwrap();
    let (_, older) = api
        .json(
            "GET",
            &format!("{audit}?action=link_created&limit=2&before={before}"),
            &token,
            None,
        )
        .await;
    assert_eq!(older["events"].as_array().unwrap().len(), 1, "{older}");
    assert!(older["next_before"].is_null(), "the last page: {older}");

    let csv = api
        .client
        .get(format!("{}{audit}?action=link_created", app.url))
        .bearer_auth(&token)
        .header("accept", "text/csv")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "time_utc,person,action,bucket,about,ip,user_agent,details"
    );
    assert_eq!(lines.len(), 4, "a header and three links: {csv}");

    let (status, wrong) = api
        .json("GET", &format!("{audit}?from=yesterday"), &token, None)
        .await;
    assert_eq!(status, 422);
    assert_eq!(wrong["error"]["fields"][0]["field"], "from", "{wrong}");
}

#[tokio::test]
async fn an_owner_connects_renames_rekeys_and_disconnects_a_bucket_through_the_api() {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    app.s3.create_bucket("archive").unwrap();
    let token = make_token(&t.alice, "ops", &["read", "admin"]).await;
    let api = Api::new(&app);
    let buckets = format!("/api/v1/workspaces/{}/buckets", t.workspace);
    let connect = |secret: &str, name: &str| {
        json!({
            "display_name": name, "provider": "minio", "endpoint_url": app.s3.endpoint(),
            "bucket_name": "archive", "access_key_id": bucketdesk_testkit::S3_ACCESS_KEY,
            "secret_access_key": secret,
        })
    };
    // tested before it is saved: a wrong secret connects nothing
    let (status, wrong) = api
        .json(
            "POST",
            &buckets,
            &token,
            Some(connect("not-the-secret-at-all-0000000000", "Archive")),
        )
        .await;
    assert_eq!(status, 502, "{wrong}");
    assert_eq!(wrong["error"]["code"], "storage_credentials", "{wrong}");
    let (status, taken) = api
        .json(
            "POST",
            &buckets,
            &token,
            Some(connect(bucketdesk_testkit::S3_SECRET_KEY, "Photos")),
        )
        .await;
    assert_eq!(status, 422, "{taken}");
    assert_eq!(taken["error"]["fields"][0]["code"], "taken", "{taken}");
    let (status, made) = api
        .json(
            "POST",
            &buckets,
            &token,
            Some(connect(bucketdesk_testkit::S3_SECRET_KEY, "Archive")),
        )
        .await;
    assert_eq!(status, 201, "{made}");
    assert_eq!(made["role"], "owner");
    let id = made["id"].as_str().unwrap().to_owned();

    // a name that is taken and a new key together: neither changes
    let settings = format!("{buckets}/{id}/settings");
    let (status, _) = api
        .json(
            "POST",
            &settings,
            &token,
            Some(
                json!({"display_name": "Photos", "access_key_id": bucketdesk_testkit::S3_ACCESS_KEY,
                        "secret_access_key": bucketdesk_testkit::S3_SECRET_KEY}),
            ),
        )
        .await;
    assert_eq!(status, 422);
    let replaced: i64 = sqlx::query_scalar(
        "select count(*) from audit_events where action = 'bucket_key_replaced'",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(replaced, 0, "the key change was rolled back with the name");
    let (status, renamed) = api
        .json(
            "POST",
            &settings,
            &token,
            Some(json!({"display_name": "Old files"})),
        )
        .await;
    assert_eq!(status, 200, "{renamed}");
    assert_eq!(renamed["name"], "Old files");

    let (status, _, _) = api
        .call("DELETE", &format!("{buckets}/{id}"), Some(&token), None)
        .await;
    assert_eq!(status, 204);
    let (status, _, _) = api
        .call(
            "GET",
            &format!("{buckets}/{id}/objects"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(status, 404, "a disconnected bucket is gone from the API");
}

#[tokio::test]
async fn an_instance_admin_lists_disables_enables_and_deletes_accounts_through_the_api() {
    let app = TestApp::spawn().await;
    let root = app.sign_in_as("root@example.com").await;
    sqlx::query("update users set is_admin = true where email = 'root@example.com'")
        .execute(&app.db)
        .await
        .unwrap();
    let bob = app.sign_in_as("bob@example.com").await;
    let bobs = make_token(&bob, "bob's script", &["read"]).await;
    let token = make_token(&root, "admin script", &["admin"]).await;
    let api = Api::new(&app);
    let (status, listed) = api.json("GET", "/api/v1/admin/users", &token, None).await;
    assert_eq!(status, 200, "{listed}");
    let emails: Vec<&str> = listed["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["email"].as_str().unwrap())
        .collect();
    assert_eq!(emails, ["bob@example.com", "root@example.com"]);
    let bob_id = user_id(&app, "bob@example.com").await;
    let root_id = user_id(&app, "root@example.com").await;
    let users = "/api/v1/admin/users";

    let (status, _, _) = api
        .call(
            "POST",
            &format!("{users}/{bob_id}/disable"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(status, 204);
    let (status, _, _) = api.call("GET", "/api/v1/me", Some(&bobs), None).await;
    assert_eq!(status, 401, "a disabled account's tokens stop at once");
    let (status, _, _) = api
        .call(
            "POST",
            &format!("{users}/{bob_id}/enable"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(status, 204);
    let (status, _, _) = api.call("GET", "/api/v1/me", Some(&bobs), None).await;
    assert_eq!(status, 200, "enabled again");

    let (status, yourself) = api
        .json("DELETE", &format!("{users}/{root_id}"), &token, None)
        .await;
    assert_eq!(status, 409);
    assert_eq!(yourself["error"]["code"], "yourself", "{yourself}");
    let (status, _, _) = api
        .call("DELETE", &format!("{users}/{bob_id}"), Some(&token), None)
        .await;
    assert_eq!(status, 204);
    let (status, _, _) = api
        .call("DELETE", &format!("{users}/{bob_id}"), Some(&token), None)
        .await;
    assert_eq!(status, 404, "gone");
    // someone who is not an instance admin is refused, whatever their token
    let carol = app.sign_in_as("carol@example.com").await;
    let carols = make_token(&carol, "all", &["read", "write", "share", "admin"]).await;
    let (status, refused) = api.json("GET", users, &carols, None).await;
    assert_eq!(status, 403);
    assert_eq!(refused["error"]["code"], "instance_admin_only", "{refused}");
}
