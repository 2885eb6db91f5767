//! Authorization in one round trip. A signed-in request needs its user
//! (unless the session was signed out) and, on most pages, that user's role
//! on the workspace or bucket in the path. Each function here asks both in
//! one query: a round trip fewer on every such page (P2, P4).
//!
//! The answer is `None` when the user is gone or disabled, or the session
//! was signed out;
//! `Some((user, None))` when the user is fine but has no role there.

use crate::buckets::{self, BucketWithRole};
use crate::users::{self, User};
use crate::workspaces::{self, Membership};
use bucketdesk_domain::{BucketId, UserId, WorkspaceId};
use sqlx::postgres::PgRow;
use sqlx::{FromRow, PgExecutor, Row};
use uuid::Uuid;

/// The user of a signed-in session and their role on a bucket of a workspace.
pub async fn user_and_bucket(
    db: impl PgExecutor<'_>,
    user: UserId,
    session_id: Uuid,
    workspace: WorkspaceId,
    bucket: BucketId,
) -> sqlx::Result<Option<(User, Option<BucketWithRole>)>> {
    let row = sqlx::query(&format!(
        "select {}, {}, {}, w.name as workspace_name, w.require_second_factor,
                {} as granted
         from users u
         left join (buckets b join workspaces w on w.id = b.workspace_id)
           on b.id = $3 and b.workspace_id = $4
         {}
         where u.id = $1 and u.disabled_at is null
           and not exists (select 1 from ended_sessions where id = $2)",
        users::COLUMNS,
        buckets::COLUMNS,
        buckets::GRANT_COLUMNS,
        buckets::HAS_GRANT,
        buckets::grants_of("u.id")
    ))
    .bind(user.0)
    .bind(session_id)
    .bind(bucket.0)
    .bind(workspace.0)
    .fetch_optional(db)
    .await?;
    row.map(|row| split::<BucketWithRole>(&row, "granted"))
        .transpose()
}

/// The user of a signed-in session and their membership of a workspace.
pub async fn user_and_workspace(
    db: impl PgExecutor<'_>,
    user: UserId,
    session_id: Uuid,
    workspace: WorkspaceId,
) -> sqlx::Result<Option<(User, Option<Membership>)>> {
    let row = sqlx::query(&format!(
        "select {}, {}, m.role is not null as granted
         from users u
         left join (workspace_members m join workspaces w on w.id = m.workspace_id)
           on m.user_id = u.id and m.workspace_id = $3
         where u.id = $1 and u.disabled_at is null
           and not exists (select 1 from ended_sessions where id = $2)",
        users::COLUMNS,
        workspaces::MEMBERSHIP_COLUMNS
    ))
    .bind(user.0)
    .bind(session_id)
    .bind(workspace.0)
    .fetch_optional(db)
    .await?;
    row.map(|row| split::<Membership>(&row, "granted"))
        .transpose()
}

/// The user, and the membership when the row has one (its column `found`
/// is true).
fn split<T: for<'r> FromRow<'r, PgRow>>(
    row: &PgRow,
    found: &str,
) -> sqlx::Result<(User, Option<T>)> {
    let user = User::from_row(row)?;
    let has: Option<bool> = row.try_get(found)?;
    let membership = has.unwrap_or(false).then(|| T::from_row(row)).transpose()?;
    Ok((user, membership))
}
