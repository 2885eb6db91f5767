//! Business rules where they live, in the core, checked by their typed
//! outcomes (an error kind, a reason code, the fields that are wrong), not
//! by the words a page shows. Real Postgres; the workspace and bucket are
//! made through the real app, as a person would.

#![allow(clippy::unwrap_used)] // a failed unwrap in a test is a failed test

use bucketdesk_core::access::{self, Owner, Viewer, WorkspaceGrant};
use bucketdesk_core::invitations;
use bucketdesk_core::links::{self, DownloadLink, LinkLimits, LinkOptions};
use bucketdesk_core::members;
use bucketdesk_core::{Actor, CoreError, Denied, Origin, Via};
use bucketdesk_db::users::{self, User};
use bucketdesk_db::{PgPool, members as rows};
use bucketdesk_domain::{BucketId, Email, Role, Scope, Scopes, UserId, WorkspaceId};
use bucketdesk_testkit::TestApp;
use std::time::Duration;

/// Alice owns workspace "Team" with bucket "Photos"; Bob is an Admin of
/// it, Victor a Viewer.
struct World {
    app: TestApp,
    workspace: WorkspaceId,
    bucket: BucketId,
    alice: User,
    bob: User,
    victor: User,
}

async fn user(db: &PgPool, email: &str) -> User {
    users::find_or_create(db, &Email::parse(email).unwrap())
        .await
        .unwrap()
}

async fn world() -> World {
    let app = TestApp::spawn().await;
    app.s3.create_bucket("photos").unwrap();
    let browser = app.sign_in_as("alice@example.com").await;
    let workspace = browser.create_workspace("Team").await;
    let bucket = browser
        .connect_bucket(&workspace, &app.s3, "Photos", "photos")
        .await;
    let workspace = WorkspaceId(workspace.parse().unwrap());
    let bucket = BucketId(bucket.parse().unwrap());
    let alice = user(&app.db, "alice@example.com").await;
    let bob = user(&app.db, "bob@example.com").await;
    let victor = user(&app.db, "victor@example.com").await;
    for (person, role) in [(&bob, Role::Admin), (&victor, Role::Viewer)] {
        rows::join_workspace(&app.db, workspace, person.user_id())
            .await
            .unwrap();
        rows::set_bucket_role(&app.db, bucket, person.user_id(), role)
            .await
            .unwrap();
    }
    World {
        app,
        workspace,
        bucket,
        alice,
        bob,
        victor,
    }
}

fn session(user: &User) -> Actor {
    Actor {
        user: user.clone(),
        via: Via::Session { strong: false },
    }
}

fn token(user: &User, scopes: &[Scope]) -> Actor {
    Actor {
        user: user.clone(),
        via: Via::Token {
            id: uuid::Uuid::new_v4(),
            name: "script".into(),
            scopes: Scopes::parse(scopes.iter().map(|s| s.as_str())).unwrap(),
            strong: false,
        },
    }
}

fn origin() -> Origin {
    Origin::new("127.0.0.1".parse().unwrap(), Some("rules test".into()))
}

const LIMITS: LinkLimits = LinkLimits {
    max_lifetime: Duration::from_secs(90 * 86_400),
    max_file_bytes: 1_000_000,
};

async fn workspace_grant(w: &World, actor: &Actor) -> WorkspaceGrant {
    access::workspace(&w.app.db, actor, w.workspace)
        .await
        .unwrap()
}

fn fields(error: CoreError) -> Vec<(&'static str, &'static str)> {
    match error {
        CoreError::Invalid(problems) => problems.iter().map(|p| (p.field, p.code)).collect(),
        other => panic!("not an invalid input: {other:?}"),
    }
}

mod download_and_upload_links;
mod file_changes;
mod instance_admin;
mod roles_and_invitations;
mod signing_in;
mod token_scopes;
mod workspaces_and_audit;
