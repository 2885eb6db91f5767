//! Folder grants (issue 18): a role on a folder of a bucket instead of the
//! whole of it. The folder matrix gives every bucket route, in the pages
//! and in the API, a row for three folder personas, with traversal
//! attempts; `every_bucket_route_has_a_folder_row` fails when a bucket
//! route is added without one. The other tests follow a new user: an Owner
//! invites a client's person to `clients/acme/` and a colleague to
//! `clients/acme/uploads/`, and each sees exactly their part.

use crate::authorization::routes_in;
use crate::team::{Team, invite_link, join_workspace, team};
use bucketdesk_testkit::{Browser, TestApp};
use std::collections::{BTreeSet, HashMap};

/// The folder personas, in the order of each row's expectations: Victor
/// views `clients/acme/`; Edith edits `clients/acme/uploads/` (and nothing
/// above it); Sam edits `clients/acme-evil/`, whose name begins like Acme's.
const PERSONAS: [&str; 3] = ["folder_viewer", "folder_editor", "sibling"];

/// Any refusal (a 4xx): for traversal attempts, which some layer refuses
/// before the folder check does.
const REFUSED: u16 = 4;

/// The files each row finds (written again before every call).
const FILES: [&str; 4] = [
    "clients/acme/report.txt",
    "clients/acme/uploads/in.txt",
    "clients/acme-evil/secret.txt",
    "top.txt",
];

struct World {
    app: TestApp,
    team: Team,
    browsers: HashMap<&'static str, Browser>,
    tokens: HashMap<&'static str, String>,
}

/// Gives `email` (made a workspace member if needed) `role` on `folder` of
/// the Photos bucket, straight in the database.
async fn grant_folder(app: &TestApp, team: &Team, email: &str, folder: &str, role: &str) {
    join_workspace(app, team, email).await;
    sqlx::query(
        "insert into folder_grants (bucket_id, user_id, folder, role)
         select $1::uuid, id, $3, $4 from users where email = $2",
    )
    .bind(&team.photos)
    .bind(email)
    .bind(folder)
    .bind(role)
    .execute(&app.db)
    .await
    .unwrap();
}

async fn world() -> World {
    let app = TestApp::spawn().await;
    let team = team(&app).await;
    let mut browsers = HashMap::new();
    let mut tokens = HashMap::new();
    for (persona, email, folder, role) in [
        (
            "folder_viewer",
            "victor@example.com",
            "clients/acme/",
            "viewer",
        ),
        (
            "folder_editor",
            "edith@example.com",
            "clients/acme/uploads/",
            "editor",
        ),
        ("sibling", "sam@example.com", "clients/acme-evil/", "editor"),
    ] {
        grant_folder(&app, &team, email, folder, role).await;
        let browser = app.sign_in_as(email).await;
        browser.get("/").await;
        let token = browser
            .make_access_token("folders", &["read", "write", "share", "admin"])
            .await;
        browser.get("/").await; // a current CSRF token
        browsers.insert(persona, browser);
        tokens.insert(persona, token);
    }
    World {
        app,
        team,
        browsers,
        tokens,
    }
}

fn reset_files(app: &TestApp) {
    for file in FILES {
        let path = app.s3.root.join("photos").join(file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, file.as_bytes()).unwrap();
    }
}

/// A page row: method, route, query, form fields, and the status for each
/// of `PERSONAS` ([`REFUSED`]: any 4xx).
struct Row {
    method: &'static str,
    route: &'static str,
    query: &'static str,
    form: &'static [(&'static str, &'static str)],
    expect: [u16; 3],
}

const fn get(route: &'static str, query: &'static str, expect: [u16; 3]) -> Row {
    Row {
        method: "GET",
        route,
        query,
        form: &[],
        expect,
    }
}

const fn post(
    route: &'static str,
    query: &'static str,
    form: &'static [(&'static str, &'static str)],
    expect: [u16; 3],
) -> Row {
    Row {
        method: "POST",
        route,
        query,
        form,
        expect,
    }
}

const B: &str = "/w/{workspace}/b/{bucket}";

//                                                          viewer of     editor of         editor of
//                                                          clients/acme/ .../uploads/ clients/acme-evil/
const PAGE_ROWS: &[Row] = &[
    // the bucket opens at a person's one folder
    get(B, "", [303, 303, 303]),
    get(B, "path=clients/acme/", [200, 200, 403]),
    get(B, "path=clients/acme", [200, 200, 403]),
    get(B, "path=clients/acme/uploads/", [200, 200, 403]),
    get(B, "path=clients/acme-evil/", [403, 403, 200]),
    // above one's folders: only the way to them
    get(B, "path=clients/", [200, 200, 200]),
    // a name that begins like a granted folder's is another folder
    get(B, "path=clients/acme-", [403, 403, 403]),
    // traversal: dot parts, encoded dots and slashes, doubled slashes
    get(B, "path=clients/acme/../acme-evil/", [REFUSED; 3]),
    get(B, "path=clients/acme/%2e%2e/acme-evil/", [REFUSED; 3]),
    get(B, "path=clients%2Facme%2F..%2Facme-evil%2F", [REFUSED; 3]),
    get(B, "path=clients//acme/", [REFUSED; 3]),
    get(
        "/w/{workspace}/b/{bucket}/object",
        "key=clients/acme/report.txt",
        [200, 403, 403],
    ),
    get(
        "/w/{workspace}/b/{bucket}/object",
        "key=clients/acme-evil/secret.txt",
        [403, 403, 200],
    ),
    get(
        "/w/{workspace}/b/{bucket}/object",
        "key=clients/acme/../acme-evil/secret.txt",
        [REFUSED; 3],
    ),
    get(
        "/w/{workspace}/b/{bucket}/object",
        "key=clients/acme/%2e%2e/acme-evil/secret.txt",
        [REFUSED; 3],
    ),
    get(
        "/w/{workspace}/b/{bucket}/download",
        "key=clients/acme/report.txt",
        [303, 403, 403],
    ),
    get(
        "/w/{workspace}/b/{bucket}/download",
        "key=top.txt",
        [403, 403, 403],
    ),
    get(
        "/w/{workspace}/b/{bucket}/download",
        "key=clients/acme/../../top.txt",
        [REFUSED; 3],
    ),
    get(
        "/w/{workspace}/b/{bucket}/details",
        "key=clients/acme/report.txt",
        [200, 403, 403],
    ),
    get(
        "/w/{workspace}/b/{bucket}/thumbnail",
        "key=clients/acme/report.txt",
        [422, 403, 403],
    ),
    get(
        "/w/{workspace}/b/{bucket}/preview",
        "key=clients/acme-evil/secret.txt",
        [403, 403, 400],
    ),
    get(
        "/w/{workspace}/b/{bucket}/zip",
        "keys=clients/acme/report.txt",
        [200, 403, 403],
    ),
    get(
        "/w/{workspace}/b/{bucket}/zip",
        "keys=clients/acme/uploads/",
        [200, 200, 403],
    ),
    get(
        "/w/{workspace}/b/{bucket}/delete",
        "key=clients/acme/uploads/in.txt",
        [403, 200, 403],
    ),
    get(
        "/w/{workspace}/b/{bucket}/rename",
        "key=clients/acme/uploads/in.txt",
        [403, 200, 403],
    ),
    get(
        "/w/{workspace}/b/{bucket}/rename",
        "key=clients/acme-evil/secret.txt",
        [403, 403, 200],
    ),
    get(
        "/w/{workspace}/b/{bucket}/upload-links/new",
        "path=clients/acme/uploads/",
        [403, 200, 403],
    ),
    get("/w/{workspace}/b/{bucket}/uploads", "", [403, 200, 200]),
    get("/w/{workspace}/b/{bucket}/settings", "", [403, 403, 403]),
    get(
        "/w/{workspace}/b/{bucket}/settings/direct-uploads",
        "",
        [403, 403, 403],
    ),
    get(
        "/w/{workspace}/b/{bucket}/links/new",
        "key=clients/acme/report.txt",
        [200, 403, 403],
    ),
    get(
        "/w/{workspace}/b/{bucket}/links/new",
        "folder=clients/acme-evil/",
        [403, 403, 200],
    ),
    // only a bucket's Admins and Owners change who reaches its folders
    post(
        "/w/{workspace}/members/{member}/buckets/{bucket}",
        "",
        &[("folder", "clients/acme/"), ("role", "editor")],
        [403, 403, 403],
    ),
    post(
        "/w/{workspace}/b/{bucket}/links/new",
        "",
        &[("keys", "clients/acme/report.txt")],
        [200, 403, 403],
    ),
    post(
        "/w/{workspace}/b/{bucket}/links",
        "",
        &[("keys", "clients/acme/report.txt")],
        [303, 403, 403],
    ),
    post(
        "/w/{workspace}/b/{bucket}/links",
        "",
        &[("folder", "clients/")],
        [403, 403, 403],
    ),
    post(
        "/w/{workspace}/b/{bucket}/upload-links",
        "",
        &[("folder", "clients/acme/uploads/")],
        [403, 303, 403],
    ),
    post(
        "/w/{workspace}/b/{bucket}/upload-links",
        "",
        &[("folder", "clients/acme/")],
        [403, 403, 403],
    ),
    post(
        "/w/{workspace}/b/{bucket}/share",
        "",
        &[("key", "clients/acme/report.txt")],
        [200, 403, 403],
    ),
    post(
        "/w/{workspace}/b/{bucket}/share/batch",
        "",
        &[("keys", "clients/acme/report.txt"), ("keys", "top.txt")],
        [403, 403, 403],
    ),
    post(
        "/w/{workspace}/b/{bucket}/zip",
        "",
        &[("keys", "clients/acme/report.txt")],
        [200, 403, 403],
    ),
    post(
        "/w/{workspace}/b/{bucket}/folders",
        "",
        &[("path", "clients/acme/uploads/"), ("name", "new")],
        [403, 303, 403],
    ),
    post(
        "/w/{workspace}/b/{bucket}/folders",
        "",
        &[("path", "clients/acme/"), ("name", "new")],
        [403, 403, 403],
    ),
    post(
        "/w/{workspace}/b/{bucket}/rename",
        "",
        &[
            ("key", "clients/acme/uploads/in.txt"),
            ("new_name", "renamed.txt"),
        ],
        [403, 303, 403],
    ),
    // out of the granted folder and back in: both ends must be granted
    post(
        "/w/{workspace}/b/{bucket}/move",
        "",
        &[
            ("keys", "clients/acme/uploads/in.txt"),
            ("folder", "clients/acme-evil/"),
            ("path", "clients/acme/uploads/"),
        ],
        [403, 403, 403],
    ),
    post(
        "/w/{workspace}/b/{bucket}/move",
        "",
        &[
            ("keys", "clients/acme-evil/secret.txt"),
            ("folder", "clients/acme/uploads/"),
            ("path", "clients/acme-evil/"),
        ],
        [403, 403, 403],
    ),
    post(
        "/w/{workspace}/b/{bucket}/delete/confirm",
        "",
        &[("keys", "clients/acme/uploads/in.txt"), ("path", "")],
        [403, 200, 403],
    ),
    post(
        "/w/{workspace}/b/{bucket}/delete",
        "",
        &[("key", "clients/acme/uploads/in.txt")],
        [403, 303, 403],
    ),
    post(
        "/w/{workspace}/b/{bucket}/delete",
        "",
        &[("key", "clients/acme-evil/secret.txt")],
        [403, 403, 303],
    ),
    post(
        "/w/{workspace}/b/{bucket}/upload",
        "key=clients/acme/uploads/up.txt",
        &[],
        [403, 201, 403],
    ),
    post(
        "/w/{workspace}/b/{bucket}/upload",
        "key=clients/acme/up.txt",
        &[],
        [403, 403, 403],
    ),
    post(
        "/w/{workspace}/b/{bucket}/upload",
        "key=clients/acme/uploads/../up.txt",
        &[],
        [REFUSED; 3],
    ),
    post(
        "/w/{workspace}/b/{bucket}/uploads",
        "",
        &[
            ("key", "clients/acme/uploads/big.bin"),
            ("size", "10000000"),
        ],
        [403, 200, 403],
    ),
    post(
        "/w/{workspace}/b/{bucket}/uploads/{upload}/chunks/{number}",
        "",
        &[],
        [403, 404, 404],
    ),
    post(
        "/w/{workspace}/b/{bucket}/uploads/{upload}/chunks/{number}/url",
        "",
        &[],
        [403, 404, 404],
    ),
    post(
        "/w/{workspace}/b/{bucket}/uploads/{upload}/complete",
        "",
        &[],
        [403, 404, 404],
    ),
    post(
        "/w/{workspace}/b/{bucket}/uploads/{upload}/cancel",
        "",
        &[],
        [403, 404, 404],
    ),
    post(
        "/w/{workspace}/b/{bucket}/settings",
        "",
        &[("display_name", "Mine")],
        [403, 403, 403],
    ),
    post(
        "/w/{workspace}/b/{bucket}/settings/direct-uploads",
        "",
        &[("direct_uploads", "off")],
        [403, 403, 403],
    ),
    post(
        "/w/{workspace}/b/{bucket}/settings/direct-uploads/cors",
        "",
        &[],
        [403, 403, 403],
    ),
    post(
        "/w/{workspace}/b/{bucket}/disconnect",
        "",
        &[],
        [403, 403, 403],
    ),
];

const API: &str = "/api/v1/workspaces/{workspace}/buckets/{bucket}";

/// An API row: method, route, query, JSON body, and each persona's status.
struct ApiRow {
    method: &'static str,
    route: &'static str,
    query: &'static str,
    body: &'static str,
    expect: [u16; 3],
}

const fn api(
    method: &'static str,
    route: &'static str,
    query: &'static str,
    body: &'static str,
    expect: [u16; 3],
) -> ApiRow {
    ApiRow {
        method,
        route,
        query,
        body,
        expect,
    }
}

const OBJECTS: &str = "/api/v1/workspaces/{workspace}/buckets/{bucket}/objects";

const API_ROWS: &[ApiRow] = &[
    api("GET", OBJECTS, "", "", [200, 200, 200]),
    api("GET", OBJECTS, "prefix=clients/acme/", "", [200, 200, 403]),
    api(
        "GET",
        OBJECTS,
        "prefix=clients/acme-evil/",
        "",
        [403, 403, 200],
    ),
    api(
        "GET",
        OBJECTS,
        "prefix=clients/acme/../acme-evil/",
        "",
        [REFUSED; 3],
    ),
    api(
        "GET",
        OBJECTS,
        "prefix=clients/acme/%2e%2e/acme-evil/",
        "",
        [REFUSED; 3],
    ),
    api(
        "GET",
        "/api/v1/workspaces/{workspace}/buckets/{bucket}/objects/details",
        "key=clients/acme/report.txt",
        "",
        [200, 403, 403],
    ),
    api(
        "GET",
        "/api/v1/workspaces/{workspace}/buckets/{bucket}/download",
        "key=clients/acme/report.txt",
        "",
        [200, 403, 403],
    ),
    api(
        "GET",
        "/api/v1/workspaces/{workspace}/buckets/{bucket}/download",
        "key=clients/acme%2F..%2Facme-evil%2Fsecret.txt",
        "",
        [REFUSED; 3],
    ),
    api(
        "POST",
        "/api/v1/workspaces/{workspace}/buckets/{bucket}/presign",
        "",
        r#"{"key":"clients/acme/report.txt"}"#,
        [200, 403, 403],
    ),
    api(
        "POST",
        "/api/v1/workspaces/{workspace}/buckets/{bucket}/presign/batch",
        "",
        r#"{"prefix":"clients/acme/"}"#,
        [200, 403, 403],
    ),
    api(
        "POST",
        "/api/v1/workspaces/{workspace}/buckets/{bucket}/presign/batch",
        "",
        r#"{"prefix":""}"#,
        [403, 403, 403],
    ),
    api(
        "POST",
        "/api/v1/workspaces/{workspace}/buckets/{bucket}/folders",
        "",
        r#"{"key":"clients/acme/uploads/new/"}"#,
        [403, 201, 403],
    ),
    api(
        "POST",
        "/api/v1/workspaces/{workspace}/buckets/{bucket}/move",
        "",
        r#"{"from":"clients/acme/uploads/in.txt","to":"clients/acme/uploads/moved.txt"}"#,
        [403, 200, 403],
    ),
    api(
        "POST",
        "/api/v1/workspaces/{workspace}/buckets/{bucket}/move",
        "",
        r#"{"from":"clients/acme/uploads/in.txt","to":"clients/acme-evil/in.txt"}"#,
        [403, 403, 403],
    ),
    api(
        "POST",
        "/api/v1/workspaces/{workspace}/buckets/{bucket}/move",
        "",
        r#"{"from":"clients/acme-evil/secret.txt","to":"clients/acme/uploads/secret.txt"}"#,
        [403, 403, 403],
    ),
    api(
        "DELETE",
        OBJECTS,
        "key=clients/acme/uploads/in.txt",
        "",
        [403, 200, 403],
    ),
    api("DELETE", OBJECTS, "key=top.txt", "", [403, 403, 403]),
    api(
        "PUT",
        "/api/v1/workspaces/{workspace}/buckets/{bucket}/upload",
        "key=clients/acme/uploads/up.txt&overwrite=true",
        "new bytes",
        [403, 201, 403],
    ),
    api(
        "PUT",
        "/api/v1/workspaces/{workspace}/buckets/{bucket}/upload",
        "key=clients/acme-evil/up.txt&overwrite=true",
        "new bytes",
        [403, 403, 201],
    ),
    api(
        "GET",
        "/api/v1/workspaces/{workspace}/buckets/{bucket}/uploads",
        "",
        "",
        [403, 200, 200],
    ),
    api(
        "POST",
        "/api/v1/workspaces/{workspace}/buckets/{bucket}/uploads",
        "",
        r#"{"key":"clients/acme/uploads/big.bin","size":10000000}"#,
        [403, 200, 403],
    ),
    api(
        "PUT",
        "/api/v1/workspaces/{workspace}/buckets/{bucket}/uploads/{upload}/chunks/{number}",
        "",
        "x",
        [403, 404, 404],
    ),
    api(
        "POST",
        "/api/v1/workspaces/{workspace}/buckets/{bucket}/uploads/{upload}/chunks/{number}/url",
        "",
        "",
        [403, 404, 404],
    ),
    api(
        "POST",
        "/api/v1/workspaces/{workspace}/buckets/{bucket}/uploads/{upload}/complete",
        "",
        "",
        [403, 404, 404],
    ),
    api(
        "DELETE",
        "/api/v1/workspaces/{workspace}/buckets/{bucket}/uploads/{upload}",
        "",
        "",
        [403, 404, 404],
    ),
    api(
        "POST",
        "/api/v1/workspaces/{workspace}/buckets/{bucket}/links",
        "",
        r#"{"keys":["clients/acme/report.txt"]}"#,
        [201, 403, 403],
    ),
    api(
        "POST",
        "/api/v1/workspaces/{workspace}/buckets/{bucket}/links",
        "",
        r#"{"folder":"clients/"}"#,
        [403, 403, 403],
    ),
    api(
        "POST",
        "/api/v1/workspaces/{workspace}/buckets/{bucket}/settings",
        "",
        r#"{"display_name":"Mine"}"#,
        [403, 403, 403],
    ),
    api(
        "GET",
        "/api/v1/workspaces/{workspace}/buckets/{bucket}/direct-uploads",
        "",
        "",
        [403, 403, 403],
    ),
    api(
        "POST",
        "/api/v1/workspaces/{workspace}/buckets/{bucket}/direct-uploads/cors",
        "",
        "",
        [403, 403, 403],
    ),
    api(
        "PUT",
        "/api/v1/workspaces/{workspace}/buckets/{bucket}/direct-uploads",
        "",
        r#"{"direct_uploads":false}"#,
        [403, 403, 403],
    ),
    api(
        "PUT",
        "/api/v1/workspaces/{workspace}/members/{member}/buckets/{bucket}",
        "",
        r#"{"role":"editor","folder":"clients/acme/"}"#,
        [403, 403, 403],
    ),
    api(
        "DELETE",
        "/api/v1/workspaces/{workspace}/members/{member}/buckets/{bucket}",
        "folder=clients/acme/",
        "",
        [403, 403, 403],
    ),
    api("DELETE", API, "", "", [403, 403, 403]),
];

fn fill(world: &World, route: &str) -> String {
    route
        .replace("{workspace}", &world.team.workspace)
        .replace("{bucket}", &world.team.photos)
        .replace("{upload}", "00000000-0000-4000-8000-000000000000")
        .replace("{number}", "1")
}

fn matches(want: u16, got: u16) -> bool {
    if want == REFUSED {
        (400..500).contains(&got)
    } else {
        want == got
    }
}

async fn call_page(world: &World, row: &Row, persona: &str) -> u16 {
    reset_files(&world.app);
    let browser = &world.browsers[persona];
    let mut url = fill(world, row.route).replace("{member}", &victor_id(world).await);
    if !row.query.is_empty() {
        url = format!("{url}?{}", row.query);
    }
    if row.method == "GET" {
        browser.get(&url).await.status
    } else {
        browser.post(&url, row.form).await.status
    }
}

async fn call_api(world: &World, row: &ApiRow, persona: &str) -> (u16, String) {
    reset_files(&world.app);
    let mut url = fill(world, row.route).replace("{member}", &victor_id(world).await);
    if !row.query.is_empty() {
        url = format!("{url}?{}", row.query);
    }
    let method = reqwest::Method::from_bytes(row.method.as_bytes()).unwrap();
    let mut request = reqwest::Client::new()
        .request(method, format!("{}{url}", world.app.url))
        .bearer_auth(&world.tokens[persona]);
    if !row.body.is_empty() {
        request = request
            .header("content-type", "application/json")
            .body(row.body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

async fn victor_id(world: &World) -> String {
    crate::team::user_id(&world.app, "victor@example.com").await
}

#[tokio::test]
async fn every_bucket_page_answers_each_folder_persona_as_specified() {
    let world = world().await;
    let mut failures = Vec::new();
    for row in PAGE_ROWS {
        for (persona, want) in PERSONAS.iter().zip(row.expect) {
            let got = call_page(&world, row, persona).await;
            if !matches(want, got) {
                failures.push(format!(
                    "{} {}?{} as {persona}: want {want}, got {got}",
                    row.method, row.route, row.query
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
    // nothing a refused caller asked for happened
    let root = world.app.s3.root.join("photos");
    assert!(!root.join("clients/acme/up.txt").exists());
    assert!(!root.join("clients/acme/new").exists());
    assert!(!root.join("clients/acme-evil/in.txt").exists());
    assert!(!root.join("clients/acme/uploads/secret.txt").exists());
    assert!(!root.join("up.txt").exists());
}

#[tokio::test]
async fn every_bucket_api_route_answers_each_folder_persona_as_specified() {
    let world = world().await;
    let mut failures = Vec::new();
    for row in API_ROWS {
        for (persona, want) in PERSONAS.iter().zip(row.expect) {
            let (got, body) = call_api(&world, row, persona).await;
            if !matches(want, got) {
                failures.push(format!(
                    "{} {}?{} as {persona}: want {want}, got {got}: {body}",
                    row.method, row.route, row.query
                ));
            }
            if got == 403 && want == 403 && row.route.contains("{bucket}/") {
                let error: serde_json::Value = serde_json::from_str(&body).unwrap();
                let code = error["error"]["code"].as_str().unwrap_or_default();
                assert!(
                    ["outside_granted_folders", "role_too_low"].contains(&code),
                    "{} {}: {body}",
                    row.method,
                    row.route
                );
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
    let root = world.app.s3.root.join("photos");
    assert!(!root.join("clients/acme-evil/in.txt").exists());
    assert!(!root.join("clients/acme/uploads/secret.txt").exists());
}

#[test]
fn every_bucket_route_has_a_folder_row() {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut bucket_routes: BTreeSet<(String, String)> =
        routes_in(Vec::new(), vec![src.join("routes")])
            .into_iter()
            .filter(|(_, route)| route.contains("{bucket}"))
            .collect();
    let document = serde_json::to_value(bucketdesk_web::openapi_document()).unwrap();
    for (path, item) in document["paths"].as_object().unwrap() {
        if path.contains("{bucket}") {
            for method in item.as_object().unwrap().keys() {
                bucket_routes.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    assert!(bucket_routes.len() > 30, "{bucket_routes:?}");
    let covered: BTreeSet<(String, String)> = PAGE_ROWS
        .iter()
        .map(|r| (r.method.to_owned(), r.route.to_owned()))
        .chain(
            API_ROWS
                .iter()
                .map(|r| (r.method.to_owned(), r.route.to_owned())),
        )
        .collect();
    let missing: Vec<_> = bucket_routes.difference(&covered).collect();
    assert!(
        missing.is_empty(),
        "bucket routes without a folder row: {missing:#?}"
    );
}

/// Alice invites `email` through the members page with `role` on `folder`
/// of Photos; the invitee accepts in a browser of their own.
async fn invite_to_folder(
    app: &TestApp,
    team: &Team,
    email: &str,
    folder: &str,
    role: &str,
) -> Browser {
    team.alice.get(&team.members_path()).await;
    let role_field = format!("role_{}", team.photos);
    let folder_field = format!("folder_{}", team.photos);
    let sent = team
        .alice
        .post(
            &format!("/w/{}/invites", team.workspace),
            &[
                ("email", email),
                (role_field.as_str(), role),
                (folder_field.as_str(), folder),
            ],
        )
        .await;
    assert_eq!(sent.status, 303, "{}", sent.body);
    let link = invite_link(app, email).await;
    let invitee = app.sign_in_as(email).await;
    let landing = invitee.get(&link).await;
    assert!(landing.body.contains("clients/"), "{}", landing.body);
    let accepted = invitee.post(&format!("{link}/accept"), &[]).await;
    assert_eq!(accepted.status, 303, "{}", accepted.body);
    invitee
}

#[tokio::test]
async fn an_owner_gives_a_client_their_folder_and_a_colleague_its_uploads_and_each_sees_exactly_that()
 {
    let app = TestApp::spawn().await;
    let team = team(&app).await;
    reset_files(&app);
    let client = invite_to_folder(
        &app,
        &team,
        "client@acme.example",
        "/clients/acme",
        "viewer",
    )
    .await;
    let colleague = invite_to_folder(
        &app,
        &team,
        "colleague@example.com",
        "clients/acme/uploads/",
        "editor",
    )
    .await;
    let granted: Vec<(String, String)> =
        sqlx::query_as("select folder, role from folder_grants order by folder")
            .fetch_all(&app.db)
            .await
            .unwrap();
    assert_eq!(
        granted,
        [
            ("clients/acme/".to_owned(), "viewer".to_owned()),
            ("clients/acme/uploads/".to_owned(), "editor".to_owned())
        ]
    );
    let photos = team.bucket_path(&team.photos);

    // the client: the bucket opens at their folder, breadcrumbs start there
    let opened = client.get(&photos).await;
    assert_eq!(
        opened.location(),
        Some(format!("{photos}?path=clients%2Facme%2F").as_str())
    );
    let folder = client.get(opened.location().unwrap()).await;
    assert_eq!(folder.status, 200);
    assert!(folder.body.contains("report.txt"), "{}", folder.body);
    assert!(folder.body.contains("uploads"));
    assert!(!folder.body.contains("acme-evil"));
    assert!(!folder.body.contains("top.txt"));
    assert!(
        folder.body.contains(">clients/acme</a>"),
        "the first breadcrumb is the granted folder"
    );
    assert!(
        !folder.body.contains("Upload files"),
        "a Viewer is offered no upload"
    );
    // above it, only the way to it: never another folder's name
    let above = client.get(&format!("{photos}?path=clients%2F")).await;
    assert_eq!(above.status, 200);
    assert!(above.body.contains("acme"));
    assert!(!above.body.contains("acme-evil"), "{}", above.body);
    let top = client.get(&format!("{photos}?path=&starts=")).await;
    assert!(!top.body.contains("top.txt"));
    // the colleague uploads into their folder, and nowhere else
    let up = colleague
        .post(
            &format!("{photos}/upload?key=clients%2Facme%2Fuploads%2Fbrief.txt"),
            &[],
        )
        .await;
    assert_eq!(up.status, 201, "{}", up.body);
    let elsewhere = colleague
        .post(
            &format!("{photos}/upload?key=clients%2Facme%2Fbrief.txt"),
            &[],
        )
        .await;
    assert_eq!(elsewhere.status, 403);
    assert!(elsewhere.body.contains("limited to some of its folders"));
    let theirs = colleague
        .get(&format!("{photos}?path=clients%2Facme%2Fuploads%2F"))
        .await;
    assert!(theirs.body.contains("brief.txt") && theirs.body.contains("in.txt"));
    assert!(!theirs.body.contains("report.txt"));
    // the client sees the colleague's file arrive, and may not change it
    let seen = client
        .get(&format!("{photos}?path=clients%2Facme%2Fuploads%2F"))
        .await;
    assert!(seen.body.contains("brief.txt"));
    let deleted = client
        .post(
            &format!("{photos}/delete"),
            &[("key", "clients/acme/uploads/brief.txt")],
        )
        .await;
    assert_eq!(deleted.status, 403);
    // the API and the CLI's listing of buckets say where each one reaches
    let token = client.make_access_token("cli", &["read"]).await;
    let all: serde_json::Value = reqwest::Client::new()
        .get(format!("{}/api/v1/workspaces", app.url))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let bucket = &all["workspaces"][0]["buckets"][0];
    assert_eq!(bucket["whole_bucket"], false);
    assert_eq!(bucket["folders"][0]["folder"], "clients/acme/");
    assert_eq!(bucket["role"], "viewer");
    let top: serde_json::Value = reqwest::Client::new()
        .get(format!(
            "{}/api/v1/workspaces/{}/buckets/{}/objects",
            app.url, team.workspace, team.photos
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(top["folders"], serde_json::json!(["clients/"]));
    assert_eq!(top["files"], serde_json::json!([]));
}

#[tokio::test]
async fn the_members_page_shows_folder_grants_and_takes_one_away_in_one_click() {
    let app = TestApp::spawn().await;
    let team = team(&app).await;
    reset_files(&app);
    let client = invite_to_folder(
        &app,
        &team,
        "client@acme.example",
        "clients/acme/",
        "viewer",
    )
    .await;
    let page = team.alice.get(&team.members_path()).await;
    assert!(page.body.contains("client@acme.example"));
    assert!(page.body.contains("clients/acme/"), "{}", page.body);
    assert!(page.body.contains("Only these folders"));
    // an Admin role on a folder is refused in words, nothing given
    team.alice.get(&team.members_path()).await;
    let role_field = format!("role_{}", team.photos);
    let folder_field = format!("folder_{}", team.photos);
    let refused = team
        .alice
        .post(
            &format!("/w/{}/invites", team.workspace),
            &[
                ("email", "client@acme.example"),
                (role_field.as_str(), "admin"),
                (folder_field.as_str(), "clients/beta/"),
            ],
        )
        .await;
    assert_eq!(refused.status, 422);
    assert!(
        refused.body.contains("Viewer or an Editor"),
        "{}",
        refused.body
    );
    // one click takes the folder away; the next request is refused
    let client_id = crate::team::user_id(&app, "client@acme.example").await;
    team.alice.get(&team.members_path()).await;
    let removed = team
        .alice
        .post(
            &format!(
                "/w/{}/members/{client_id}/buckets/{}",
                team.workspace, team.photos
            ),
            &[("folder", "clients/acme/"), ("role", "")],
        )
        .await;
    assert_eq!(removed.status, 303, "{}", removed.body);
    let gone = client
        .get(&format!(
            "{}?path=clients%2Facme%2F",
            team.bucket_path(&team.photos)
        ))
        .await;
    assert_eq!(gone.status, 404);
    let events: Vec<String> = sqlx::query_scalar(
        "select details->>'to' is null and details->>'folder' = 'clients/acme/' from audit_events
         where action = 'folder_role_changed'",
    )
    .fetch_all(&app.db)
    .await
    .unwrap()
    .into_iter()
    .map(|removed: bool| removed.to_string())
    .collect();
    assert_eq!(events, ["true"]);
}

#[tokio::test]
async fn a_link_made_in_a_folder_stops_when_the_folder_grant_goes() {
    let world = world().await;
    reset_files(&world.app);
    let token = &world.tokens["folder_viewer"];
    let made: serde_json::Value = reqwest::Client::new()
        .post(format!(
            "{}/api/v1/workspaces/{}/buckets/{}/links",
            world.app.url, world.team.workspace, world.team.photos
        ))
        .bearer_auth(token)
        .json(&serde_json::json!({ "keys": ["clients/acme/report.txt"] }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let url = made["url"].as_str().expect("a link").to_owned();
    let visitor = world.app.browser();
    assert_eq!(visitor.get_url(&url).await.status, 200);
    sqlx::query("delete from folder_grants where folder = 'clients/acme/'")
        .execute(&world.app.db)
        .await
        .unwrap();
    let after = visitor.get_url(&url).await;
    assert_eq!(after.status, 410, "{}", after.body);
}

#[tokio::test]
async fn a_folder_persons_token_is_held_to_its_scopes_inside_their_folder_too() {
    let world = world().await;
    reset_files(&world.app);
    let reader = world.browsers["folder_editor"]
        .make_access_token("reader", &["read"])
        .await;
    let upload = reqwest::Client::new()
        .put(format!(
            "{}/api/v1/workspaces/{}/buckets/{}/upload?key=clients/acme/uploads/x.txt",
            world.app.url, world.team.workspace, world.team.photos
        ))
        .bearer_auth(&reader)
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(upload.status(), 403);
    let error: serde_json::Value = upload.json().await.unwrap();
    assert_eq!(error["error"]["code"], "scope_missing");
    let listed = reqwest::Client::new()
        .get(format!(
            "{}/api/v1/workspaces/{}/buckets/{}/objects?prefix=clients/acme/uploads/",
            world.app.url, world.team.workspace, world.team.photos
        ))
        .bearer_auth(&reader)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.status(), 200);
    assert!(
        !world
            .app
            .s3
            .root
            .join("photos/clients/acme/uploads/x.txt")
            .exists()
    );
}
