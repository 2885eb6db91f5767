//! The authorization matrix (S9): every route, as every kind of caller, with
//! the status each must get, including ids that belong to another workspace.
//! `every_route_has_a_row` fails when a route is added without one.

use crate::team::{grant, invite, invite_link, team, user_id};
use bucketdesk_testkit::{Browser, S3_ACCESS_KEY, S3_SECRET_KEY, TestApp};
use std::collections::{BTreeSet, HashMap};

/// The callers, in the order of each row's expectations.
pub(super) const PERSONAS: [&str; 7] = [
    "anonymous",
    "outsider",
    "viewer",
    "editor",
    "admin",
    "owner",
    "revoked",
];

/// A workspace with a person in every role, and another workspace the
/// outsider owns, for ids that must not be reachable from this one.
pub(super) struct World {
    pub(super) app: TestApp,
    pub(super) browsers: HashMap<&'static str, Browser>,
    pub(super) ids: HashMap<&'static str, String>,
}

pub(super) async fn world() -> World {
    let app = TestApp::spawn().await;
    let t = team(&app).await;
    invite(&t, "carol@example.com", &[(&t.photos, "viewer")]).await;
    let token = invite_link(&app, "carol@example.com")
        .await
        .trim_start_matches("/invites/")
        .to_owned();
    let invite_id: uuid::Uuid = sqlx::query_scalar("select id from invites")
        .fetch_one(&app.db)
        .await
        .unwrap();
    for (email, role) in [
        ("victor@example.com", "viewer"),
        ("edith@example.com", "editor"),
        ("adam@example.com", "admin"),
        ("rita@example.com", "viewer"),
    ] {
        grant(&app, &t, email, &t.photos, role).await;
    }
    let mut browsers = HashMap::new();
    let anonymous = app.browser();
    anonymous.get("/login").await;
    browsers.insert("anonymous", anonymous);
    for (persona, email) in [
        ("outsider", "mallory@example.com"),
        ("viewer", "victor@example.com"),
        ("editor", "edith@example.com"),
        ("admin", "adam@example.com"),
        ("revoked", "rita@example.com"),
    ] {
        let browser = app.sign_in_as(email).await;
        browser.get("/").await;
        browsers.insert(persona, browser);
    }
    // Rita is revoked while signed in
    sqlx::query("delete from bucket_members where user_id = (select id from users where email = 'rita@example.com')")
        .execute(&app.db)
        .await
        .unwrap();
    sqlx::query("delete from workspace_members where user_id = (select id from users where email = 'rita@example.com')")
        .execute(&app.db)
        .await
        .unwrap();

    // Mallory's own workspace, with a bucket, a member and a pending invitation
    let mallory = &browsers["outsider"];
    let elsewhere = mallory.create_workspace("Elsewhere").await;
    let foreign_bucket = mallory
        .connect_bucket(&elsewhere, &app.s3, "Hers", "photos")
        .await;
    mallory.get(&format!("/w/{elsewhere}/members")).await;
    let field = format!("role_{foreign_bucket}");
    mallory
        .post(
            &format!("/w/{elsewhere}/invites"),
            &[("email", "olivia@example.com"), (field.as_str(), "viewer")],
        )
        .await;
    let foreign_invite: uuid::Uuid =
        sqlx::query_scalar("select id from invites where email = 'olivia@example.com'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    let mallory_id = user_id(&app, "mallory@example.com").await;
    let foreign_link = make_link(
        mallory,
        &format!("/w/{elsewhere}/b/{foreign_bucket}/links"),
        &[("keys", "x.txt")],
    )
    .await
    .0;
    let photos = format!("/w/{}/b/{}", t.workspace, t.photos);
    let (link, share_token) = make_link(
        &t.alice,
        &format!("{photos}/links"),
        &[("keys", "hello.txt")],
    )
    .await;
    let upload_token = make_link(
        &t.alice,
        &format!("{photos}/upload-links"),
        &[("folder", "in")],
    )
    .await
    .1;
    for browser in browsers.values() {
        browser.get("/").await; // each holds a current CSRF token
    }
    std::fs::write(app.s3.root.join("photos/hello.txt"), b"hello").unwrap();
    let mut ids = HashMap::new();
    ids.insert("workspace", t.workspace.clone());
    ids.insert("bucket", t.photos.clone());
    ids.insert("invite", invite_id.to_string());
    ids.insert("token", token);
    ids.insert("member", user_id(&app, "victor@example.com").await);
    ids.insert("user", user_id(&app, "victor@example.com").await);
    ids.insert("foreign_bucket", foreign_bucket);
    ids.insert("foreign_workspace", elsewhere.clone());
    ids.insert("foreign_invite", foreign_invite.to_string());
    ids.insert("foreign_member", mallory_id);
    ids.insert("link", link);
    ids.insert("foreign_link", foreign_link);
    ids.insert("share_token", share_token);
    ids.insert("upload_token", upload_token);
    ids.insert("session", uuid::Uuid::new_v4().to_string());
    ids.insert("passkey", uuid::Uuid::new_v4().to_string());
    ids.insert("access_token", uuid::Uuid::new_v4().to_string());
    ids.insert("upload", uuid::Uuid::new_v4().to_string());
    ids.insert("number", "1".to_owned());
    browsers.insert("owner", t.alice);
    World { app, browsers, ids }
}

/// Makes a link through `action` (a link form's target) as `browser`;
/// returns the link's id and its token.
async fn make_link(browser: &Browser, action: &str, fields: &[(&str, &str)]) -> (String, String) {
    let made = browser.post(action, fields).await;
    let page_path = made.location().expect("the link's page").to_owned();
    let id = page_path
        .split('/')
        .nth(4)
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let page = browser.get(&page_path).await;
    let start = page
        .body
        .find("/s/")
        .or_else(|| page.body.find("/u/"))
        .unwrap()
        + 3;
    (id, page.body[start..start + 43].to_owned())
}

/// A row: method, route pattern, which ids fill it ("" = this workspace's,
/// or "foreign_bucket" etc. to use another workspace's), form fields, and the
/// status for each persona in `PERSONAS` order.
struct Row {
    method: &'static str,
    route: &'static str,
    /// A query string to add, e.g. `key=hello.txt`.
    query: &'static str,
    foreign: &'static str,
    form: &'static [(&'static str, &'static str)],
    expect: [u16; 7],
}

const fn row(method: &'static str, route: &'static str, expect: [u16; 7]) -> Row {
    Row {
        method,
        route,
        query: "",
        foreign: "",
        form: &[],
        expect,
    }
}

const fn on_key(
    method: &'static str,
    route: &'static str,
    query: &'static str,
    expect: [u16; 7],
) -> Row {
    Row {
        method,
        route,
        query,
        foreign: "",
        form: &[],
        expect,
    }
}

const fn with_form(
    method: &'static str,
    route: &'static str,
    form: &'static [(&'static str, &'static str)],
    expect: [u16; 7],
) -> Row {
    Row {
        method,
        route,
        query: "",
        foreign: "",
        form,
        expect,
    }
}

const fn foreign(
    method: &'static str,
    route: &'static str,
    which: &'static str,
    form: &'static [(&'static str, &'static str)],
    expect: [u16; 7],
) -> Row {
    Row {
        method,
        route,
        query: "",
        foreign: which,
        form,
        expect,
    }
}

//                            anonymous outsider viewer editor admin owner revoked
const READS: &[Row] = &[
    row("GET", "/healthz", [200, 200, 200, 200, 200, 200, 200]),
    row("GET", "/readyz", [200, 200, 200, 200, 200, 200, 200]),
    row("GET", "/login", [200, 303, 303, 303, 303, 303, 303]),
    row("GET", "/login/code", [303, 303, 303, 303, 303, 303, 303]),
    // (an invitation's token is no sign-in link: gone, for everyone)
    row("GET", "/login/email/{token}", [410; 7]),
    // this world has no GitHub app set up: sign-in with GitHub is not there
    row("GET", "/auth/github", [404; 7]),
    row("GET", "/auth/github/callback", [404; 7]),
    // no single sign-on provider is set up in this world (sso.rs has its own)
    row("GET", "/auth/sso/{provider}", [404; 7]),
    row("GET", "/auth/sso/{provider}/callback", [404; 7]),
    row("GET", "/", [303, 200, 200, 200, 200, 200, 200]),
    row(
        "GET",
        "/account/second-factor",
        [303, 200, 200, 200, 200, 200, 200],
    ),
    // no first factor was passed in these browsers
    row("GET", "/login/second-factor", [303; 7]),
    // this world is reached by IP address: no passkeys (passkeys.mjs has them)
    row(
        "GET",
        "/account/passkeys/new",
        [303, 404, 404, 404, 404, 404, 404],
    ),
    // no recovery codes wait to be shown
    row("GET", "/account/second-factor/new-codes", [303; 7]),
    row(
        "GET",
        "/workspaces/new",
        [303, 200, 200, 200, 200, 200, 200],
    ),
    row("GET", "/w/{workspace}", [303, 404, 200, 200, 200, 200, 404]),
    row(
        "GET",
        "/w/{workspace}/buckets/new",
        [303, 404, 403, 403, 403, 200, 404],
    ),
    row(
        "GET",
        "/w/{workspace}/b/{bucket}",
        [303, 404, 200, 200, 200, 200, 404],
    ),
    row(
        "GET",
        "/w/{workspace}/b/{bucket}/settings",
        [303, 404, 403, 403, 403, 200, 404],
    ),
    row(
        "GET",
        "/w/{workspace}/b/{bucket}/settings/direct-uploads",
        [303, 404, 403, 403, 403, 200, 404],
    ),
    row(
        "GET",
        "/w/{workspace}/members",
        [303, 404, 403, 403, 200, 200, 404],
    ),
    row(
        "GET",
        "/invites/{token}",
        [200, 200, 200, 200, 200, 200, 200],
    ),
    row("GET", "/admin/users", [303, 403, 403, 403, 403, 403, 403]),
    row(
        "GET",
        "/account/tokens",
        [303, 200, 200, 200, 200, 200, 200],
    ),
    row(
        "GET",
        "/admin/users/{user}/delete",
        [303, 403, 403, 403, 403, 403, 403],
    ),
    row(
        "GET",
        "/w/{workspace}/delete",
        [303, 404, 403, 403, 403, 200, 404],
    ),
    row(
        "GET",
        "/static/app.css",
        [200, 200, 200, 200, 200, 200, 200],
    ),
    row("GET", "/static/app.js", [200, 200, 200, 200, 200, 200, 200]),
    row(
        "GET",
        "/static/theme.js",
        [200, 200, 200, 200, 200, 200, 200],
    ),
    row(
        "GET",
        "/static/favicon.svg",
        [200, 200, 200, 200, 200, 200, 200],
    ),
    row("GET", "/favicon.ico", [200, 200, 200, 200, 200, 200, 200]),
    row(
        "GET",
        "/w/{workspace}/audit",
        [303, 404, 403, 403, 200, 200, 404],
    ),
    row(
        "GET",
        "/w/{workspace}/audit.csv",
        [303, 404, 403, 403, 200, 200, 404],
    ),
    on_key(
        "GET",
        "/w/{workspace}/b/{bucket}/object",
        "key=hello.txt",
        [303, 404, 200, 200, 200, 200, 404],
    ),
    on_key(
        "GET",
        "/w/{workspace}/b/{bucket}/download",
        "key=hello.txt",
        [303, 404, 303, 303, 303, 303, 404],
    ),
    on_key(
        "GET",
        "/w/{workspace}/b/{bucket}/delete",
        "key=hello.txt",
        [303, 404, 403, 200, 200, 200, 404],
    ),
    on_key(
        "GET",
        "/w/{workspace}/b/{bucket}/rename",
        "key=hello.txt",
        [303, 404, 403, 200, 200, 200, 404],
    ),
    on_key(
        "GET",
        "/w/{workspace}/b/{bucket}/details",
        "key=hello.txt",
        [303, 404, 200, 200, 200, 200, 404],
    ),
    // a text file has no thumbnail: 422 once the role allows looking
    on_key(
        "GET",
        "/w/{workspace}/b/{bucket}/thumbnail",
        "key=hello.txt",
        [303, 404, 422, 422, 422, 422, 404],
    ),
    row(
        "GET",
        "/w/{workspace}/links",
        [303, 404, 200, 200, 200, 200, 404],
    ),
    row(
        "GET",
        "/w/{workspace}/links/{link}",
        [303, 404, 404, 404, 200, 200, 404],
    ),
    foreign(
        "GET",
        "/w/{workspace}/links/{link}",
        "foreign_link",
        &[],
        [303, 404, 404, 404, 404, 404, 404],
    ),
    on_key(
        "GET",
        "/w/{workspace}/b/{bucket}/links/new",
        "key=hello.txt",
        [303, 404, 200, 200, 200, 200, 404],
    ),
    row(
        "GET",
        "/w/{workspace}/b/{bucket}/upload-links/new",
        [303, 404, 403, 200, 200, 200, 404],
    ),
    row(
        "GET",
        "/w/{workspace}/b/{bucket}/uploads",
        [303, 404, 403, 200, 200, 200, 404],
    ),
    // hello.txt is not shown inline: refused once the role is checked
    on_key(
        "GET",
        "/w/{workspace}/b/{bucket}/preview",
        "key=hello.txt",
        [303, 404, 400, 400, 400, 400, 404],
    ),
    on_key(
        "GET",
        "/w/{workspace}/b/{bucket}/zip",
        "keys=hello.txt",
        [303, 404, 200, 200, 200, 200, 404],
    ),
    foreign("GET", "/s/{token}", "share_token", &[], [200; 7]),
    foreign("GET", "/s/{token}/download", "share_token", &[], [303; 7]),
    foreign("GET", "/s/{token}/zip", "share_token", &[], [200; 7]),
    foreign("GET", "/u/{token}", "upload_token", &[], [200; 7]),
    foreign(
        "GET",
        "/w/{workspace}/b/{bucket}",
        "foreign_bucket",
        &[],
        [303, 404, 404, 404, 404, 404, 404],
    ),
    foreign(
        "GET",
        "/w/{workspace}/b/{bucket}/settings",
        "foreign_bucket",
        &[],
        [303, 404, 404, 404, 404, 404, 404],
    ),
];

const CONNECT: &[(&str, &str)] = &[
    ("display_name", "Third"),
    ("provider", "minio"),
    ("endpoint_url", "ENDPOINT"),
    ("bucket_name", "photos"),
    ("access_key_id", S3_ACCESS_KEY),
    ("secret_access_key", S3_SECRET_KEY),
];

//                            anonymous outsider viewer editor admin owner revoked
const WRITES: &[Row] = &[
    with_form(
        "POST",
        "/login",
        &[("email", "x@example.com")],
        [303, 303, 303, 303, 303, 303, 303],
    ),
    with_form(
        "POST",
        "/login/code",
        &[("code", "123456")],
        [400, 400, 400, 400, 400, 400, 400],
    ),
    with_form(
        "POST",
        "/login/email/{token}",
        &[("code", "123456")],
        [410; 7],
    ),
    row("POST", "/logout", [303, 303, 303, 303, 303, 303, 303]),
    // nothing waits for a code: back to the account page
    with_form("POST", "/account/confirm", &[("code", "123456")], [303; 7]),
    // a session that is not the caller's
    row(
        "POST",
        "/account/sessions/{session}/end",
        [303, 404, 404, 404, 404, 404, 404],
    ),
    row(
        "POST",
        "/account/github/link",
        [303, 404, 404, 404, 404, 404, 404],
    ),
    row("POST", "/account/github/unlink", [303; 7]),
    // no single sign-on provider is set up in this world
    row(
        "POST",
        "/account/sso/{provider}/link",
        [303, 404, 404, 404, 404, 404, 404],
    ),
    // a confirmation code is mailed first (no fresh proof yet)
    row(
        "POST",
        "/account/second-factor/authenticator",
        [303, 200, 200, 200, 200, 200, 200],
    ),
    // no new app waits in the session: back to the page
    with_form(
        "POST",
        "/account/second-factor/authenticator/confirm",
        &[("code", "123456")],
        [303; 7],
    ),
    // nobody here has an app: nothing to renew or remove
    row("POST", "/account/second-factor/recovery-codes", [303; 7]),
    row("POST", "/account/second-factor/remove", [303; 7]),
    // no first factor was passed in these browsers: back to the sign-in page
    with_form(
        "POST",
        "/login/second-factor",
        &[("code", "123456")],
        [303; 7],
    ),
    // this world is reached by IP address: no passkeys; the answers are JSON
    row(
        "POST",
        "/account/passkeys/new",
        [303, 404, 404, 404, 404, 404, 404],
    ),
    row(
        "POST",
        "/account/passkeys/options",
        [303, 404, 404, 404, 404, 404, 404],
    ),
    row(
        "POST",
        "/account/passkeys",
        [303, 415, 415, 415, 415, 415, 415],
    ),
    // a passkey that is nobody's here
    with_form(
        "POST",
        "/account/passkeys/{passkey}/rename",
        &[("name", "Laptop")],
        [303, 404, 404, 404, 404, 404, 404],
    ),
    row(
        "POST",
        "/account/passkeys/{passkey}/remove",
        [303, 404, 404, 404, 404, 404, 404],
    ),
    row("POST", "/login/passkey/options", [404; 7]),
    row("POST", "/login/passkey", [415; 7]),
    row("POST", "/login/second-factor/passkey/options", [404; 7]),
    row("POST", "/login/second-factor/passkey", [415; 7]),
    // turning the rule off (Alice may; turning it on needs her own factor)
    row(
        "POST",
        "/w/{workspace}/second-factor-rule",
        [303, 404, 403, 403, 403, 303, 404],
    ),
    with_form(
        "POST",
        "/account/tokens",
        &[("name", "ci"), ("scopes", "read"), ("days", "30")],
        [303, 200, 200, 200, 200, 200, 200],
    ),
    // a token that is not the caller's
    row(
        "POST",
        "/account/tokens/{access_token}/revoke",
        [303, 404, 404, 404, 404, 404, 404],
    ),
    row(
        "POST",
        "/logout/everywhere",
        [303, 303, 303, 303, 303, 303, 303],
    ),
    with_form(
        "POST",
        "/workspaces",
        &[("name", "New")],
        [303, 303, 303, 303, 303, 303, 303],
    ),
    with_form(
        "POST",
        "/w/{workspace}/rename",
        &[("name", "Renamed")],
        [303, 404, 403, 403, 403, 303, 404],
    ),
    with_form(
        "POST",
        "/w/{workspace}/buckets",
        CONNECT,
        [303, 404, 403, 403, 403, 303, 404],
    ),
    with_form(
        "POST",
        "/w/{workspace}/b/{bucket}/settings",
        &[("display_name", "Renamed")],
        [303, 404, 403, 403, 403, 303, 404],
    ),
    with_form(
        "POST",
        "/w/{workspace}/b/{bucket}/settings/direct-uploads",
        &[("direct_uploads", "off")],
        [303, 404, 403, 403, 403, 303, 404],
    ),
    row(
        "POST",
        "/w/{workspace}/b/{bucket}/settings/direct-uploads/cors",
        [303, 404, 403, 403, 403, 303, 404],
    ),
    row(
        "POST",
        "/w/{workspace}/b/{bucket}/disconnect",
        [303, 404, 403, 403, 403, 303, 404],
    ),
    with_form(
        "POST",
        "/w/{workspace}/b/{bucket}/share",
        &[("key", "hello.txt")],
        [303, 404, 200, 200, 200, 200, 404],
    ),
    with_form(
        "POST",
        "/w/{workspace}/b/{bucket}/share/batch",
        &[("keys", "hello.txt")],
        [303, 404, 200, 200, 200, 200, 404],
    ),
    with_form(
        "POST",
        "/w/{workspace}/b/{bucket}/links/new",
        &[("keys", "hello.txt")],
        [303, 404, 200, 200, 200, 200, 404],
    ),
    with_form(
        "POST",
        "/w/{workspace}/b/{bucket}/links",
        &[("keys", "hello.txt")],
        [303, 404, 303, 303, 303, 303, 404],
    ),
    with_form(
        "POST",
        "/w/{workspace}/b/{bucket}/upload-links",
        &[("folder", "in")],
        [303, 404, 403, 303, 303, 303, 404],
    ),
    row(
        "POST",
        "/w/{workspace}/links/{link}/revoke",
        [303, 404, 404, 404, 303, 303, 404],
    ),
    with_form(
        "POST",
        "/w/{workspace}/links/{link}/extend",
        &[("expires", "3600")],
        [303, 404, 404, 404, 303, 303, 404],
    ),
    foreign(
        "POST",
        "/w/{workspace}/links/{link}/revoke",
        "foreign_link",
        &[],
        [303, 404, 404, 404, 404, 404, 404],
    ),
    foreign(
        "POST",
        "/s/{token}/unlock",
        "share_token",
        &[("password", "x")],
        [303; 7],
    ),
    foreign(
        "POST",
        "/u/{token}/unlock",
        "upload_token",
        &[("password", "x")],
        [303; 7],
    ),
    // the address step answers everyone alike (this address is not one)
    foreign(
        "POST",
        "/s/{token}/recipient",
        "share_token",
        &[("email", "not-an-address")],
        [422; 7],
    ),
    foreign(
        "POST",
        "/s/{token}/recipient/code",
        "share_token",
        &[("code", "123456")],
        [403; 7],
    ),
    // the address step answers everyone alike (this address is not one)
    foreign(
        "POST",
        "/u/{token}/recipient",
        "upload_token",
        &[("email", "not-an-address")],
        [422; 7],
    ),
    foreign(
        "POST",
        "/u/{token}/recipient/code",
        "upload_token",
        &[("code", "123456")],
        [403; 7],
    ),
    Row {
        method: "POST",
        route: "/u/{token}/files",
        query: "name=sent.txt",
        foreign: "upload_token",
        form: &[],
        expect: [201; 7],
    },
    with_form(
        "POST",
        "/w/{workspace}/b/{bucket}/folders",
        &[("path", ""), ("name", "new")],
        [303, 404, 403, 303, 303, 303, 404],
    ),
    with_form(
        "POST",
        "/w/{workspace}/b/{bucket}/rename",
        &[("key", "hello.txt"), ("new_name", "renamed.txt")],
        [303, 404, 403, 303, 303, 303, 404],
    ),
    with_form(
        "POST",
        "/w/{workspace}/b/{bucket}/delete/confirm",
        &[("keys", "hello.txt"), ("path", "")],
        [303, 404, 403, 200, 200, 200, 404],
    ),
    with_form(
        "POST",
        "/w/{workspace}/b/{bucket}/move",
        &[("keys", "hello.txt"), ("folder", "archive/"), ("path", "")],
        [303, 404, 403, 303, 303, 303, 404],
    ),
    with_form(
        "POST",
        "/w/{workspace}/b/{bucket}/delete",
        &[("key", "hello.txt")],
        [303, 404, 403, 303, 303, 303, 404],
    ),
    on_key(
        "POST",
        "/w/{workspace}/b/{bucket}/upload",
        "key=up.txt",
        [303, 404, 403, 201, 201, 201, 404],
    ),
    with_form(
        "POST",
        "/w/{workspace}/b/{bucket}/zip",
        &[("keys", "hello.txt")],
        [303, 404, 200, 200, 200, 200, 404],
    ),
    with_form(
        "POST",
        "/w/{workspace}/b/{bucket}/uploads",
        &[("key", "big.bin"), ("size", "10000000")],
        [303, 404, 403, 200, 200, 200, 404],
    ),
    // an upload id that is none of the caller's is not found
    row(
        "POST",
        "/w/{workspace}/b/{bucket}/uploads/{upload}/chunks/{number}",
        [303, 404, 403, 404, 404, 404, 404],
    ),
    row(
        "POST",
        "/w/{workspace}/b/{bucket}/uploads/{upload}/chunks/{number}/url",
        [303, 404, 403, 404, 404, 404, 404],
    ),
    row(
        "POST",
        "/w/{workspace}/b/{bucket}/uploads/{upload}/complete",
        [303, 404, 403, 404, 404, 404, 404],
    ),
    row(
        "POST",
        "/w/{workspace}/b/{bucket}/uploads/{upload}/cancel",
        [303, 404, 403, 404, 404, 404, 404],
    ),
    with_form(
        "POST",
        "/w/{workspace}/invites",
        &[("email", "dave@example.com"), ("role_BUCKET", "viewer")],
        [303, 404, 403, 403, 303, 303, 404],
    ),
    row(
        "POST",
        "/w/{workspace}/invites/{invite}/resend",
        [303, 404, 403, 403, 303, 303, 404],
    ),
    row(
        "POST",
        "/w/{workspace}/invites/{invite}/cancel",
        [303, 404, 403, 403, 303, 303, 404],
    ),
    with_form(
        "POST",
        "/w/{workspace}/members/{member}/buckets/{bucket}",
        &[("role", "editor")],
        [303, 404, 403, 403, 303, 303, 404],
    ),
    row(
        "POST",
        "/w/{workspace}/members/{member}/remove",
        [303, 404, 403, 403, 403, 303, 404],
    ),
    row(
        "POST",
        "/invites/{token}/accept",
        [303, 403, 403, 403, 403, 403, 403],
    ),
    row(
        "POST",
        "/admin/users/{user}/sign-out-everywhere",
        [303, 403, 403, 403, 403, 403, 403],
    ),
    row(
        "POST",
        "/admin/users/{user}/disable",
        [303, 403, 403, 403, 403, 403, 403],
    ),
    row(
        "POST",
        "/admin/users/{user}/enable",
        [303, 403, 403, 403, 403, 403, 403],
    ),
    with_form(
        "POST",
        "/admin/users/{user}/delete",
        &[("confirm", "victor@example.com")],
        [303, 403, 403, 403, 403, 403, 403],
    ),
    with_form(
        "POST",
        "/w/{workspace}/delete",
        &[("name", "Team")],
        [303, 404, 403, 403, 403, 303, 404],
    ),
    foreign(
        "POST",
        "/w/{workspace}/delete",
        "foreign_workspace",
        &[("name", "Elsewhere")],
        // the outsider owns it; nobody of this workspace reaches it
        [303, 303, 404, 404, 404, 404, 404],
    ),
    foreign(
        "POST",
        "/w/{workspace}/b/{bucket}/disconnect",
        "foreign_bucket",
        &[],
        [303, 404, 404, 404, 404, 404, 404],
    ),
    foreign(
        "POST",
        "/w/{workspace}/invites/{invite}/resend",
        "foreign_invite",
        &[],
        [303, 404, 404, 404, 404, 404, 404],
    ),
    foreign(
        "POST",
        "/w/{workspace}/members/{member}/remove",
        "foreign_member",
        &[],
        [303, 404, 403, 403, 403, 404, 404],
    ),
    foreign(
        "POST",
        "/w/{workspace}/members/{member}/buckets/{bucket}",
        "foreign_bucket",
        &[("role", "editor")],
        [303, 404, 403, 403, 404, 404, 404],
    ),
];

fn path(world: &World, row: &Row) -> String {
    let mut path = row.route.to_owned();
    for name in [
        "workspace",
        "bucket",
        "invite",
        "token",
        "member",
        "user",
        "link",
        "session",
        "passkey",
        "access_token",
        "upload",
        "number",
    ] {
        let key = if !row.foreign.is_empty() && row.foreign.ends_with(name) {
            row.foreign
        } else {
            name
        };
        path = path.replace(&format!("{{{name}}}"), &world.ids[key]);
    }
    path
}

async fn call(world: &World, row: &Row, persona: &str) -> u16 {
    let browser = &world.browsers[persona];
    let mut url = path(world, row);
    if !row.query.is_empty() {
        url = format!("{url}?{}", row.query);
    }
    if row.method == "GET" {
        return browser.get(&url).await.status;
    }
    let endpoint = world.app.s3.endpoint();
    let bucket_field = format!("role_{}", world.ids["bucket"]);
    let form: Vec<(&str, &str)> = row
        .form
        .iter()
        .map(|(k, v)| {
            let k = if *k == "role_BUCKET" {
                bucket_field.as_str()
            } else {
                k
            };
            let v = if *v == "ENDPOINT" {
                endpoint.as_str()
            } else {
                v
            };
            (k, v)
        })
        .collect();
    browser.post(&url, &form).await.status
}

fn check(row: &Row, got: &[u16]) -> Vec<String> {
    PERSONAS
        .iter()
        .zip(row.expect.iter().zip(got))
        .filter(|(_, (want, got))| want != got)
        .map(|(persona, (want, got))| {
            format!(
                "{} {} ({}) as {persona}: want {want}, got {got}",
                row.method, row.route, row.foreign
            )
        })
        .collect()
}

#[tokio::test]
async fn every_read_route_answers_each_kind_of_caller_as_specified() {
    let world = world().await;
    let mut failures = Vec::new();
    for row in READS {
        let mut got = Vec::new();
        for persona in PERSONAS {
            got.push(call(&world, row, persona).await);
        }
        failures.extend(check(row, &got));
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[tokio::test]
async fn every_write_route_answers_each_kind_of_caller_as_specified() {
    // a write may change what the next caller sees: each caller gets a fresh world
    let mut failures = Vec::new();
    for chunk in WRITES.chunks(4) {
        let results = futures::future::join_all(chunk.iter().map(|row| async move {
            // refused callers change nothing and share a world; each caller
            // expected to succeed gets a fresh one
            let shared = world().await;
            let mut got = Vec::new();
            for (persona, want) in PERSONAS.iter().zip(row.expect) {
                let changes_state = want < 400 && *persona != "anonymous";
                let status = if changes_state {
                    call(&world().await, row, persona).await
                } else {
                    call(&shared, row, persona).await
                };
                got.push(status);
            }
            check(row, &got)
        }))
        .await;
        failures.extend(results.into_iter().flatten());
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

/// What a request could leave behind: audit events, sessions, sign-in
/// codes, link downloads and invitations.
async fn footprint(app: &TestApp) -> Vec<i64> {
    let mut counts = Vec::new();
    for sql in [
        "select count(*) from audit_events",
        "select count(*) from tower_sessions.session",
        "select count(*) from login_codes",
        "select coalesce(sum(downloads), 0)::bigint from links",
        "select count(*) from invites where accepted_at is not null or cancelled_at is not null",
    ] {
        counts.push(sqlx::query_scalar(sql).fetch_one(&app.db).await.unwrap());
    }
    counts
}

#[tokio::test]
async fn head_on_any_read_route_changes_nothing() {
    // link checkers and chat previews ask with HEAD: a download, a sign-in
    // step or an audit event must not follow from that
    let world = world().await;
    let before = footprint(&world.app).await;
    for row in READS {
        let mut url = path(&world, row);
        if !row.query.is_empty() {
            url = format!("{url}?{}", row.query);
        }
        for persona in PERSONAS {
            let browser = &world.browsers[persona];
            let response = browser.client.head(browser.url(&url)).send().await.unwrap();
            assert!(
                response.status().as_u16() < 500,
                "HEAD {url} as {persona}: {}",
                response.status()
            );
        }
    }
    assert_eq!(footprint(&world.app).await, before);
}

/// Every `.route("...", get(..).post(..))` in the web crate's pages.
fn routes_in_source() -> BTreeSet<(String, String)> {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    routes_in(vec![src.join("static_files.rs")], vec![src.join("routes")])
}

/// Every `.route("...", get(..).post(..))` in `files` and under `folders`.
pub(super) fn routes_in(
    mut files: Vec<std::path::PathBuf>,
    mut folders: Vec<std::path::PathBuf>,
) -> BTreeSet<(String, String)> {
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                folders.push(path)
            } else {
                files.push(path)
            }
        }
    }
    let mut routes = BTreeSet::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for piece in text.split(".route(").skip(1) {
            let Some(rest) = piece.trim_start().strip_prefix('"') else {
                continue;
            };
            let Some((route, after)) = rest.split_once('"') else {
                continue;
            };
            let methods = after.split("\n}").next().unwrap_or(after);
            for (marker, method) in [
                ("get(", "GET"),
                ("post(", "POST"),
                ("asset!(", "GET"),
                ("put(", "PUT"),
                ("delete(", "DELETE"),
                ("patch(", "PATCH"),
            ] {
                if methods.contains(marker) {
                    routes.insert((method.to_owned(), route.to_owned()));
                }
            }
        }
    }
    routes
}

#[test]
fn every_route_has_a_row() {
    let in_source = routes_in_source();
    assert!(
        in_source.len() > 20,
        "the route scan found too little: {in_source:?}"
    );
    let in_matrix: BTreeSet<(String, String)> = READS
        .iter()
        .chain(WRITES)
        .map(|r| (r.method.to_owned(), r.route.to_owned()))
        .collect();
    let missing: Vec<_> = in_source.difference(&in_matrix).collect();
    assert!(
        missing.is_empty(),
        "routes without a row in the authorization matrix: {missing:#?}"
    );
    let stale: Vec<_> = in_matrix.difference(&in_source).collect();
    assert!(
        stale.is_empty(),
        "rows for routes that no longer exist: {stale:#?}"
    );
}
