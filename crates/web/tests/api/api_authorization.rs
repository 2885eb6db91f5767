//! The authorization matrix of the JSON API (S9): every `/api/v1` route,
//! with each persona's token (all scopes), gets the status its row says,
//! including ids of another workspace; a token lacking the route's scope is
//! refused with `scope_missing`; without a token it is 401.
//! `every_api_route_has_a_row` fails when an API route is added without one.

use super::authorization::{PERSONAS, World, routes_in, world};
use bucketdesk_testkit::{S3_ACCESS_KEY, S3_SECRET_KEY};
use std::collections::{BTreeSet, HashMap};

const ALL_SCOPES: [&str; 4] = ["read", "write", "share", "admin"];

/// A row: method, route pattern, whether its ids are another workspace's,
/// a JSON body, the scope it needs, and each persona's status.
struct ApiRow {
    method: &'static str,
    route: &'static str,
    /// A query string to add, e.g. `key=hello.txt`.
    query: &'static str,
    /// Fill `{workspace}`, `{bucket}` and `{link}` with the outsider's own.
    foreign: bool,
    body: &'static str,
    /// The scope a token needs (`None`: any valid token).
    scope: Option<&'static str>,
    expect: [u16; 7],
}

const fn api(
    method: &'static str,
    route: &'static str,
    query: &'static str,
    body: &'static str,
    scope: Option<&'static str>,
    expect: [u16; 7],
) -> ApiRow {
    ApiRow {
        method,
        route,
        query,
        foreign: false,
        body,
        scope,
        expect,
    }
}

const fn foreign(
    method: &'static str,
    route: &'static str,
    body: &'static str,
    expect: [u16; 7],
) -> ApiRow {
    ApiRow {
        method,
        route,
        query: "",
        foreign: true,
        body,
        scope: None,
        expect,
    }
}

const OBJECTS: &str = "/api/v1/workspaces/{workspace}/buckets/{bucket}/objects";
const LINK: &str = "/api/v1/workspaces/{workspace}/links/{link}";

// The link in the world is the owner's, on the bucket the admin administers:
// those two may manage it; to everyone else it does not exist.
//                                            anonymous outsider viewer editor admin owner revoked
#[rustfmt::skip]
const ROWS: &[ApiRow] = &[
    api("GET", "/api/v1/me", "", "", None, [401, 200, 200, 200, 200, 200, 200]),
    api("GET", "/api/v1/workspaces", "", "", None, [401, 200, 200, 200, 200, 200, 200]),
    api("GET", "/api/v1/tokens", "", "", None, [401, 200, 200, 200, 200, 200, 200]),
    // instance administration: nobody in this world is an instance admin
    // (tokens.rs has an admin's own test)
    api("GET", "/api/v1/admin/users", "", "", Some("admin"), [401, 403, 403, 403, 403, 403, 403]),
    api("POST", "/api/v1/admin/users/{user}/sign-out-everywhere", "", "", Some("admin"), [401, 403, 403, 403, 403, 403, 403]),
    api("POST", "/api/v1/admin/users/{user}/disable", "", "", Some("admin"), [401, 403, 403, 403, 403, 403, 403]),
    api("POST", "/api/v1/admin/users/{user}/enable", "", "", Some("admin"), [401, 403, 403, 403, 403, 403, 403]),
    api("DELETE", "/api/v1/admin/users/{user}", "", "", Some("admin"), [401, 403, 403, 403, 403, 403, 403]),
    api("POST", "/api/v1/workspaces", "", r#"{"name":"Another"}"#, Some("admin"), [401, 201, 201, 201, 201, 201, 201]),
    api("POST", "/api/v1/workspaces/{workspace}/rename", "", r#"{"name":"Team"}"#, Some("admin"), [401, 404, 403, 403, 403, 200, 404]),
    // a token id that is none of the caller's is not found
    api("POST", "/api/v1/tokens/{token}/revoke", "", "", None, [401, 404, 404, 404, 404, 404, 404]),
    api("GET", OBJECTS, "", "", Some("read"), [401, 404, 200, 200, 200, 200, 404]),
    api("POST", "/api/v1/workspaces/{workspace}/buckets/{bucket}/presign", "", r#"{"key":"hello.txt"}"#, Some("share"), [401, 404, 200, 200, 200, 200, 404]),
    api("POST", "/api/v1/workspaces/{workspace}/buckets/{bucket}/presign/batch", "", r#"{"keys":["hello.txt"]}"#, Some("share"), [401, 404, 200, 200, 200, 200, 404]),
    api("POST", "/api/v1/workspaces/{workspace}/buckets/{bucket}/folders", "", r#"{"key":"new/"}"#, Some("write"), [401, 404, 403, 201, 201, 201, 404]),
    api("POST", "/api/v1/workspaces/{workspace}/buckets/{bucket}/move", "", r#"{"from":"hello.txt","to":"moved.txt"}"#, Some("write"), [401, 404, 403, 200, 200, 200, 404]),
    api("DELETE", OBJECTS, "key=hello.txt", "", Some("write"), [401, 404, 403, 200, 200, 200, 404]),
    api("GET", "/api/v1/workspaces/{workspace}/buckets/{bucket}/objects/details", "key=hello.txt", "", Some("read"), [401, 404, 200, 200, 200, 200, 404]),
    api("GET", "/api/v1/workspaces/{workspace}/buckets/{bucket}/download", "key=hello.txt", "", Some("read"), [401, 404, 200, 200, 200, 200, 404]),
    api("PUT", "/api/v1/workspaces/{workspace}/buckets/{bucket}/upload", "key=up.txt&overwrite=true", "new bytes", Some("write"), [401, 404, 403, 201, 201, 201, 404]),
    api("GET", "/api/v1/workspaces/{workspace}/buckets/{bucket}/uploads", "", "", Some("write"), [401, 404, 403, 200, 200, 200, 404]),
    api("POST", "/api/v1/workspaces/{workspace}/buckets/{bucket}/uploads", "", r#"{"key":"big.bin","size":10000000}"#, Some("write"), [401, 404, 403, 200, 200, 200, 404]),
    // an upload id that is none of the caller's is not found
    api("PUT", "/api/v1/workspaces/{workspace}/buckets/{bucket}/uploads/{upload}/chunks/{number}", "", "x", Some("write"), [401, 404, 403, 404, 404, 404, 404]),
    api("POST", "/api/v1/workspaces/{workspace}/buckets/{bucket}/uploads/{upload}/chunks/{number}/url", "", "", Some("write"), [401, 404, 403, 404, 404, 404, 404]),
    api("POST", "/api/v1/workspaces/{workspace}/buckets/{bucket}/uploads/{upload}/complete", "", "", Some("write"), [401, 404, 403, 404, 404, 404, 404]),
    api("DELETE", "/api/v1/workspaces/{workspace}/buckets/{bucket}/uploads/{upload}", "", "", Some("write"), [401, 404, 403, 404, 404, 404, 404]),
    api("POST", "/api/v1/workspaces/{workspace}/buckets/{bucket}/links", "", r#"{"keys":["hello.txt"]}"#, Some("share"), [401, 404, 201, 201, 201, 201, 404]),
    api("GET", "/api/v1/workspaces/{workspace}/links", "", "", Some("share"), [401, 404, 200, 200, 200, 200, 404]),
    api("GET", LINK, "", "", Some("share"), [401, 404, 404, 404, 200, 200, 404]),
    api("POST", "/api/v1/workspaces/{workspace}/links/{link}/extend", "", r#"{"expires_in":3600}"#, Some("share"), [401, 404, 404, 404, 200, 200, 404]),
    api("POST", "/api/v1/workspaces/{workspace}/links/{link}/revoke", "", "", Some("share"), [401, 404, 404, 404, 200, 200, 404]),
    api("GET", "/api/v1/openapi.json", "", "", None, [200, 200, 200, 200, 200, 200, 200]),
    api("GET", "/api/docs", "", "", None, [200, 200, 200, 200, 200, 200, 200]),
    api("GET", "/api/v1", "", "", None, [404, 404, 404, 404, 404, 404, 404]),
    api("GET", "/api/v1/{*rest}", "", "", None, [404, 404, 404, 404, 404, 404, 404]),
    api("POST", "/api/v1", "", "", None, [404, 404, 404, 404, 404, 404, 404]),
    api("POST", "/api/v1/{*rest}", "", "", None, [404, 404, 404, 404, 404, 404, 404]),
    api("PUT", "/api/v1/{*rest}", "", "", None, [404, 404, 404, 404, 404, 404, 404]),
    api("DELETE", "/api/v1/{*rest}", "", "", None, [404, 404, 404, 404, 404, 404, 404]),
    // another workspace's ids: only their owner (the outsider) reaches them
    foreign("GET", OBJECTS, "", [401, 200, 404, 404, 404, 404, 404]),
    foreign("POST", "/api/v1/workspaces/{workspace}/buckets/{bucket}/links", r#"{"keys":["x.txt"]}"#, [401, 201, 404, 404, 404, 404, 404]),
    foreign("GET", LINK, "", [401, 200, 404, 404, 404, 404, 404]),
    foreign("POST", "/api/v1/workspaces/{workspace}/links/{link}/revoke", "", [401, 200, 404, 404, 404, 404, 404]),
    // members and invitations: bucket Admins and workspace Owners. The
    // invitation is the owner's, of carol to the bucket the admin manages.
    api("GET", "/api/v1/workspaces/{workspace}/members", "", "", Some("admin"), [401, 404, 403, 403, 200, 200, 404]),
    api("GET", "/api/v1/workspaces/{workspace}/invitations", "", "", Some("admin"), [401, 404, 403, 403, 200, 200, 404]),
    api("GET", "/api/v1/workspaces/{workspace}/audit", "", "", Some("admin"), [401, 404, 403, 403, 200, 200, 404]),
    api("POST", "/api/v1/workspaces/{workspace}/invitations", "", r#"{"email":"nina@example.com","roles":[{"bucket_id":"{bucket}","role":"viewer"}]}"#, Some("admin"), [401, 404, 403, 403, 201, 201, 404]),
    api("POST", "/api/v1/workspaces/{workspace}/invitations/{invitation}/resend", "", "", Some("admin"), [401, 404, 403, 403, 200, 200, 404]),
    api("POST", "/api/v1/workspaces/{workspace}/invitations/{invitation}/cancel", "", "", Some("admin"), [401, 404, 403, 403, 204, 409, 404]),
    api("POST", "/api/v1/workspaces/{workspace}/buckets", "", r#"{"display_name":"Third","provider":"minio","endpoint_url":"{endpoint}","bucket_name":"photos","access_key_id":"{access_key}","secret_access_key":"{secret_key}"}"#, Some("admin"), [401, 404, 403, 403, 403, 201, 404]),
    api("POST", "/api/v1/workspaces/{workspace}/buckets/{bucket}/settings", "", r#"{"display_name":"Photos"}"#, Some("admin"), [401, 404, 403, 403, 403, 200, 404]),
    api("GET", "/api/v1/workspaces/{workspace}/buckets/{bucket}/direct-uploads", "", "", Some("admin"), [401, 404, 403, 403, 403, 200, 404]),
    api("POST", "/api/v1/workspaces/{workspace}/buckets/{bucket}/direct-uploads/cors", "", "", Some("admin"), [401, 404, 403, 403, 403, 200, 404]),
    api("PUT", "/api/v1/workspaces/{workspace}/buckets/{bucket}/direct-uploads", "", r#"{"direct_uploads":false}"#, Some("admin"), [401, 404, 403, 403, 403, 200, 404]),
    // last, as they change the viewer's own roles: to editor, then off the
    // bucket, then out of the workspace (workspace Owners only)
    api("PUT", "/api/v1/workspaces/{workspace}/members/{member}/buckets/{bucket}", "", r#"{"role":"editor"}"#, Some("admin"), [401, 404, 403, 403, 200, 200, 404]),
    api("DELETE", "/api/v1/workspaces/{workspace}/members/{member}/buckets/{bucket}", "", "", Some("admin"), [401, 404, 403, 403, 204, 204, 404]),
    api("DELETE", "/api/v1/workspaces/{workspace}/members/{member}", "", "", Some("admin"), [401, 404, 403, 403, 403, 204, 404]),
    api("DELETE", "/api/v1/workspaces/{workspace}/buckets/{bucket}", "", "", Some("admin"), [401, 404, 404, 403, 403, 204, 404]),
    // the very last: the workspace goes (a wrong confirmation first changes
    // nothing); the viewer was just removed from it, so it is not there for him
    api("DELETE", "/api/v1/workspaces/{workspace}", "confirm=Wrong", "", Some("admin"), [401, 404, 404, 403, 403, 422, 404]),
    api("DELETE", "/api/v1/workspaces/{workspace}", "confirm=Team", "", Some("admin"), [401, 404, 404, 403, 403, 204, 404]),
];

fn url(world: &World, row: &ApiRow) -> String {
    let pick = |name: &'static str, foreign: &'static str| {
        world.ids[if row.foreign { foreign } else { name }].clone()
    };
    let mut path = row
        .route
        .replace("{workspace}", &pick("workspace", "foreign_workspace"))
        .replace("{bucket}", &pick("bucket", "foreign_bucket"))
        .replace("{link}", &pick("link", "foreign_link"))
        .replace("{member}", &world.ids["member"])
        .replace("{user}", &world.ids["user"])
        .replace("{invitation}", &world.ids["invite"])
        .replace("{token}", &world.ids["access_token"])
        .replace("{upload}", &world.ids["upload"])
        .replace("{number}", "1")
        .replace("{*rest}", "nothing/here");
    if !row.query.is_empty() {
        path = format!("{path}?{}", row.query);
    }
    format!("{}{path}", world.app.url)
}

async fn call(world: &World, row: &ApiRow, token: Option<&str>) -> (u16, String) {
    // each row finds the bucket as the world made it
    std::fs::write(world.app.s3.root.join("photos/hello.txt"), b"hello").unwrap();
    let _ = std::fs::remove_file(world.app.s3.root.join("photos/moved.txt"));
    let method = reqwest::Method::from_bytes(row.method.as_bytes()).unwrap();
    let mut request = reqwest::Client::new().request(method, url(world, row));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if !row.body.is_empty() {
        request = request.header("content-type", "application/json").body(
            row.body
                .replace("{bucket}", &world.ids["bucket"])
                .replace("{endpoint}", &world.app.s3.endpoint())
                .replace("{access_key}", S3_ACCESS_KEY)
                .replace("{secret_key}", S3_SECRET_KEY),
        );
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

/// A token with every scope for each persona (none for the anonymous one).
async fn tokens(world: &World) -> HashMap<&'static str, String> {
    let mut tokens = HashMap::new();
    for persona in PERSONAS.iter().filter(|p| **p != "anonymous") {
        let token = world.browsers[persona]
            .make_access_token("matrix", &ALL_SCOPES)
            .await;
        tokens.insert(*persona, token);
    }
    tokens
}

#[tokio::test]
async fn every_api_route_answers_each_kind_of_caller_as_specified() {
    let world = world().await;
    let tokens = tokens(&world).await;
    let mut failures = Vec::new();
    for row in ROWS {
        for (persona, want) in PERSONAS.iter().zip(row.expect) {
            let (got, body) = call(&world, row, tokens.get(persona).map(String::as_str)).await;
            if got != want {
                failures.push(format!(
                    "{} {} (foreign: {}) as {persona}: want {want}, got {got}: {body}",
                    row.method, row.route, row.foreign
                ));
            }
            if got >= 400 {
                let error: serde_json::Value = serde_json::from_str(&body)
                    .unwrap_or_else(|_| panic!("{} {}: not JSON: {body}", row.method, row.route));
                assert!(error["error"]["code"].is_string(), "{body}");
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[tokio::test]
async fn a_token_without_a_routes_scope_is_refused_whatever_its_owners_role() {
    let world = world().await;
    let owner = &world.browsers["owner"];
    let mut lacking = HashMap::new();
    for scope in ALL_SCOPES {
        let others: Vec<&str> = ALL_SCOPES.into_iter().filter(|s| *s != scope).collect();
        lacking.insert(
            scope,
            owner
                .make_access_token(&format!("no {scope}"), &others)
                .await,
        );
    }
    let mut failures = Vec::new();
    for row in ROWS.iter().filter(|row| !row.foreign) {
        let Some(scope) = row.scope else { continue };
        let (got, body) = call(&world, row, Some(&lacking[scope])).await;
        let code =
            serde_json::from_str::<serde_json::Value>(&body).unwrap_or_default()["error"]["code"]
                .clone();
        if got != 403 || code != "scope_missing" {
            failures.push(format!(
                "{} {} without {scope}: {got} {body}",
                row.method, row.route
            ));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
    // and nothing a refused token asked for happened
    let links: i64 = sqlx::query_scalar("select count(*) from links")
        .fetch_one(&world.app.db)
        .await
        .unwrap();
    assert_eq!(links, 3, "the world's three links, no more");
    assert!(!world.app.s3.root.join("photos/new").exists());
    assert!(!world.app.s3.root.join("photos/up.txt").exists());
}

#[test]
fn every_api_route_has_a_row() {
    // the documented routes, and the few routes outside the document
    let mut in_source: BTreeSet<(String, String)> = routes_in(
        vec![std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/api/mod.rs")],
        Vec::new(),
    );
    let document = serde_json::to_value(bucketdesk_web::openapi_document()).unwrap();
    for (path, item) in document["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            in_source.insert((method.to_uppercase(), path.clone()));
        }
    }
    assert!(
        in_source.len() > 10,
        "the route scan found too little: {in_source:?}"
    );
    let in_matrix: BTreeSet<(String, String)> = ROWS
        .iter()
        .map(|r| (r.method.to_owned(), r.route.to_owned()))
        .collect();
    let missing: Vec<_> = in_source.difference(&in_matrix).collect();
    assert!(
        missing.is_empty(),
        "API routes without a row in the API authorization matrix: {missing:#?}"
    );
}
