//! Workspaces: create, list, rename; only members see one.

use bucketdesk_testkit::TestApp;

#[tokio::test]
async fn a_person_creates_a_workspace_owns_it_and_finds_it_on_the_home_page() {
    let app = TestApp::spawn().await;
    let alice = app.sign_in_as("alice@example.com").await;
    let home = alice.get("/").await;
    assert!(home.body.contains("You have no workspaces"));

    let id = alice.create_workspace("Marketing <team>").await;
    let page = alice.get(&format!("/w/{id}")).await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("Marketing &#60;team&#62;"),
        "names are escaped: {}",
        page.body
    );
    assert!(!page.body.contains("<team>"));
    assert!(page.body.contains("Workspace owner"));
    assert!(page.body.contains("Connect a bucket"));

    let home = alice.get("/").await;
    assert!(home.body.contains(&format!("/w/{id}")));
    let role: String = sqlx::query_scalar("select role from workspace_members")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(role, "owner");
}

#[tokio::test]
async fn a_workspace_name_must_be_given_and_short() {
    let app = TestApp::spawn().await;
    let alice = app.sign_in_as("alice@example.com").await;
    alice.get("/workspaces/new").await;
    for (name, message) in [
        ("   ", "Give the workspace a name"),
        (&"x".repeat(101) as &str, "at most 100 characters"),
    ] {
        let page = alice.post("/workspaces", &[("name", name)]).await;
        assert_eq!(page.status, 422);
        assert!(page.body.contains(message), "{}", page.body);
    }
}

#[tokio::test]
async fn the_owner_renames_the_workspace() {
    let app = TestApp::spawn().await;
    let alice = app.sign_in_as("alice@example.com").await;
    let id = alice.create_workspace("Old").await;
    alice.get(&format!("/w/{id}")).await;
    let page = alice
        .post(&format!("/w/{id}/rename"), &[("name", "New name")])
        .await;
    assert_eq!(
        page.location(),
        Some(format!("/w/{id}?done=renamed").as_str())
    );
    assert!(
        alice
            .get(&format!("/w/{id}?done=renamed"))
            .await
            .body
            .contains("New name")
    );
    let bad = alice
        .post(&format!("/w/{id}/rename"), &[("name", "")])
        .await;
    assert_eq!(bad.status, 422);
}

#[tokio::test]
async fn an_outsider_cannot_see_or_rename_a_workspace() {
    let app = TestApp::spawn().await;
    let alice = app.sign_in_as("alice@example.com").await;
    let id = alice.create_workspace("Private").await;
    let mallory = app.sign_in_as("mallory@example.com").await;
    let refused = mallory.get(&format!("/w/{id}")).await;
    assert_eq!(refused.status, 404);
    assert!(
        refused
            .body
            .contains(r#"<nav><a href="/">Account</a></nav>"#)
            && refused.body.contains("data-back"),
        "an error page keeps the signed-in top bar and a way back: {}",
        refused.body
    );
    assert_eq!(
        mallory
            .post(&format!("/w/{id}/rename"), &[("name", "Mine")])
            .await
            .status,
        404
    );
    assert_eq!(mallory.get("/w/not-a-uuid").await.status, 404);
    assert_eq!(
        app.browser().get(&format!("/w/{id}")).await.location(),
        Some(crate::sign_in_then(&format!("/w/{id}")).as_str())
    );
}
