//! The sidebar of the workspace and bucket pages: the person's workspaces,
//! each with the buckets they have a role on, where they are marked. One
//! query (`buckets::sidebar_for_user`) per page.

use crate::extract::{BucketAccess, WorkspaceAccess};
use bucketdesk_db::PgPool;
use bucketdesk_db::buckets::{self, SidebarEntry};
use bucketdesk_domain::UserId;
use uuid::Uuid;

pub struct Sidebar {
    pub workspaces: Vec<SidebarWorkspace>,
}

pub struct SidebarWorkspace {
    pub name: String,
    pub href: String,
    /// The page is one of this workspace's own (members, links, audit).
    pub current: bool,
    pub buckets: Vec<SidebarBucket>,
}

/// Where the page is.
#[derive(Clone, Copy)]
enum Here {
    Workspace(Uuid),
    Bucket(Uuid),
}

pub struct SidebarBucket {
    pub name: String,
    pub href: String,
    /// The bucket this page is in.
    pub current: bool,
}

impl Sidebar {
    /// For a page of the workspace itself.
    pub async fn for_workspace(db: &PgPool, access: &WorkspaceAccess) -> sqlx::Result<Sidebar> {
        let here = Here::Workspace(access.workspace().id);
        Sidebar::load(db, access.me.user.user_id(), here).await
    }

    /// For a page of a bucket (its folders, a file).
    pub async fn for_bucket(db: &PgPool, access: &BucketAccess) -> sqlx::Result<Sidebar> {
        let here = Here::Bucket(access.bucket().id);
        Sidebar::load(db, access.me.user.user_id(), here).await
    }

    async fn load(db: &PgPool, user: UserId, here: Here) -> sqlx::Result<Sidebar> {
        Ok(Sidebar::of(
            buckets::sidebar_for_user(db, user).await?,
            here,
        ))
    }

    fn of(entries: Vec<SidebarEntry>, here: Here) -> Sidebar {
        let mut workspaces: Vec<(Uuid, SidebarWorkspace)> = Vec::new();
        for entry in entries {
            if workspaces
                .last()
                .is_none_or(|(id, _)| *id != entry.workspace_id)
            {
                workspaces.push((
                    entry.workspace_id,
                    SidebarWorkspace {
                        href: format!("/w/{}", entry.workspace_id),
                        current: matches!(here, Here::Workspace(id) if id == entry.workspace_id),
                        name: entry.workspace_name,
                        buckets: Vec::new(),
                    },
                ));
            }
            if let (Some(id), Some(name), Some((_, workspace))) =
                (entry.bucket_id, entry.bucket_name, workspaces.last_mut())
            {
                workspace.buckets.push(SidebarBucket {
                    href: format!("/w/{}/b/{id}", entry.workspace_id),
                    name,
                    current: matches!(here, Here::Bucket(open) if open == id),
                });
            }
        }
        Sidebar {
            workspaces: workspaces.into_iter().map(|(_, w)| w).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(workspace: u128, name: &str, bucket: Option<(u128, &str)>) -> SidebarEntry {
        SidebarEntry {
            workspace_id: Uuid::from_u128(workspace),
            workspace_name: name.into(),
            bucket_id: bucket.map(|(id, _)| Uuid::from_u128(id)),
            bucket_name: bucket.map(|(_, n)| n.into()),
        }
    }

    #[test]
    fn buckets_are_grouped_under_their_workspace_and_the_open_one_is_marked() {
        let sidebar = Sidebar::of(
            vec![
                entry(1, "Acme", Some((10, "Photos"))),
                entry(1, "Acme", Some((11, "Reports"))),
                entry(2, "Empty", None),
            ],
            Here::Bucket(Uuid::from_u128(11)),
        );
        assert_eq!(sidebar.workspaces.len(), 2);
        let names: Vec<(&str, bool)> = sidebar.workspaces[0]
            .buckets
            .iter()
            .map(|b| (b.name.as_str(), b.current))
            .collect();
        assert_eq!(names, [("Photos", false), ("Reports", true)]);
        assert!(sidebar.workspaces[1].buckets.is_empty());
        assert!(
            !sidebar.workspaces[0].current,
            "the bucket is marked, not its workspace"
        );
        assert_eq!(
            sidebar.workspaces[1].href,
            format!("/w/{}", Uuid::from_u128(2))
        );
    }
}
