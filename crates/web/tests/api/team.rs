//! A workspace with two buckets and people in every role, for the tests of
//! roles, invitations and revocation.

use bucketdesk_testkit::{Browser, Page, TestApp};

pub struct Team {
    pub alice: Browser,
    pub workspace: String,
    pub photos: String,
    pub reports: String,
}

impl Team {
    /// `/w/{workspace}/b/{bucket}`
    pub fn bucket_path(&self, bucket: &str) -> String {
        format!("/w/{}/b/{bucket}", self.workspace)
    }

    pub fn members_path(&self) -> String {
        format!("/w/{}/members", self.workspace)
    }
}

/// Alice owns a workspace "Team" with buckets Photos and Reports.
pub async fn team(app: &TestApp) -> Team {
    app.s3.create_bucket("photos").unwrap();
    app.s3.create_bucket("reports").unwrap();
    let alice = app.sign_in_as("alice@example.com").await;
    let workspace = alice.create_workspace("Team").await;
    let photos = alice
        .connect_bucket(&workspace, &app.s3, "Photos", "photos")
        .await;
    let reports = alice
        .connect_bucket(&workspace, &app.s3, "Reports", "reports")
        .await;
    Team {
        alice,
        workspace,
        photos,
        reports,
    }
}

/// Alice invites `email` with the given (bucket id, role) pairs.
pub async fn invite(team: &Team, email: &str, roles: &[(&str, &str)]) -> Page {
    team.alice.get(&team.members_path()).await;
    let fields: Vec<(String, String)> = std::iter::once(("email".to_owned(), email.to_owned()))
        .chain(
            roles
                .iter()
                .map(|(bucket, role)| (format!("role_{bucket}"), role.to_string())),
        )
        .collect();
    let form: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    team.alice
        .post(&format!("/w/{}/invites", team.workspace), &form)
        .await
}

/// The invitation link in the newest mail to `email`, as a path.
pub async fn invite_link(app: &TestApp, email: &str) -> String {
    let mail = app.last_email_to(email).await;
    let start = mail.text.find("/invites/").expect("a link in the mail");
    mail.text[start..]
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned()
}

/// Makes `email` a member with `role` on `bucket` directly in the database.
pub async fn grant(app: &TestApp, team: &Team, email: &str, bucket: &str, role: &str) {
    join_workspace(app, team, email).await;
    sqlx::query(
        "insert into bucket_members (bucket_id, user_id, role) select $1::uuid, id, $3 from users where email = $2
         on conflict (bucket_id, user_id) do update set role = excluded.role",
    )
    .bind(bucket)
    .bind(email)
    .bind(role)
    .execute(&app.db)
    .await
    .unwrap();
}

/// Makes `email` (created if needed) a member of the team's workspace
/// directly in the database, with no role on any bucket yet.
pub async fn join_workspace(app: &TestApp, team: &Team, email: &str) {
    app.create_user(email).await;
    sqlx::query(
        "insert into workspace_members (workspace_id, user_id, role)
         select $1::uuid, id, 'viewer' from users where email = $2 on conflict do nothing",
    )
    .bind(&team.workspace)
    .bind(email)
    .execute(&app.db)
    .await
    .unwrap();
}

pub async fn user_id(app: &TestApp, email: &str) -> String {
    let id: uuid::Uuid = sqlx::query_scalar("select id from users where email = $1")
        .bind(email)
        .fetch_one(&app.db)
        .await
        .unwrap();
    id.to_string()
}
