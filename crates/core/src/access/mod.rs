//! Who may do what. A grant is proof that someone holds a role on a
//! workspace or a bucket; it comes only from the access check in this
//! module (one query, with the session's user), never from a row someone
//! happens to hold. A role requirement turns a grant into a capability:
//! `grant.can::<Editor>()?` is a [`Can<Editor, _>`], and an operation that
//! needs an Editor asks for one in its signature, so it cannot run without
//! the check. The S3 client of a bucket is reachable only through a grant
//! ([`HoldsBucket`], see [`crate::s3_clients`]).

use crate::actor::require_scope;
use crate::{Actor, CoreError, Denied};
use bucketdesk_db::buckets::{self, Bucket, BucketWithRole};
use bucketdesk_db::links::Link;
use bucketdesk_db::users::User;
use bucketdesk_db::workspaces::Membership;
use bucketdesk_db::{access, workspaces};
use bucketdesk_domain::grants::Grants;
use bucketdesk_domain::{BucketId, Role, Scope, Scopes, UserId, WorkspaceId};
use sqlx::PgExecutor;
use uuid::Uuid;

mod capability;

pub use capability::{Admin, At, Can, Editor, HoldsBucket, Level, Owner, Viewer};

/// A person's roles on one bucket (the whole of it, folders in it, or
/// both), with the bucket's settings.
#[derive(Debug)]
pub struct BucketGrant {
    bucket: Bucket,
    grants: Grants,
    workspace_name: String,
    /// What the actor's way in allows (all for a browser session).
    scopes: Scopes,
}

/// A person's role in one workspace.
#[derive(Debug)]
pub struct WorkspaceGrant {
    membership: Membership,
    role: Role,
    scopes: Scopes,
}

/// The bucket a revocable link reaches, while its creator still holds the
/// role the link needs there.
#[derive(Debug)]
pub struct LinkGrant {
    bucket: Bucket,
}

/// The server's own housekeeping on a bucket (no person acts). Only the
/// core's clean-up jobs make one.
#[derive(Debug)]
pub(crate) struct SystemGrant {
    pub(crate) bucket: Bucket,
}

/// The signed-in user of a session and, when they hold one, their grant on
/// a bucket of a workspace, in one query. `None` when the account is gone
/// or disabled or the session was signed out.
/// `strong`: the session's sign-in passed a second factor or single sign-on;
/// a workspace that asks for one refuses the grant otherwise
/// ([`Denied::SecondFactor`]).
pub async fn session_bucket(
    db: impl PgExecutor<'_>,
    user: UserId,
    session: Uuid,
    strong: bool,
    workspace: WorkspaceId,
    bucket: BucketId,
) -> Result<Option<(User, Option<BucketGrant>)>, CoreError> {
    let Some((user, found)) = access::user_and_bucket(db, user, session, workspace, bucket).await?
    else {
        return Ok(None);
    };
    if let Some(found) = &found {
        Actor::session(user.clone(), strong).require_second_factor(found.require_second_factor)?;
    }
    let grant = found.map(|found| BucketGrant::of(found, Scopes::all()));
    Ok(Some((user, grant)))
}

/// The signed-in user of a session and, when they are a member, their grant
/// in a workspace, in one query. `None` as for [`session_bucket`].
pub async fn session_workspace(
    db: impl PgExecutor<'_>,
    user: UserId,
    session: Uuid,
    strong: bool,
    workspace: WorkspaceId,
) -> Result<Option<(User, Option<WorkspaceGrant>)>, CoreError> {
    let Some((user, membership)) = access::user_and_workspace(db, user, session, workspace).await?
    else {
        return Ok(None);
    };
    if let Some(membership) = &membership {
        Actor::session(user.clone(), strong)
            .require_second_factor(membership.require_second_factor)?;
    }
    let grant = membership.map(|membership| WorkspaceGrant::of(membership, Scopes::all()));
    Ok(Some((user, grant)))
}

/// The actor's grant on a bucket of a workspace; [`CoreError::NoAccess`]
/// when they hold no role there (or it is in another workspace).
pub async fn bucket(
    db: impl PgExecutor<'_>,
    actor: &Actor,
    workspace: WorkspaceId,
    bucket: BucketId,
) -> Result<BucketGrant, CoreError> {
    let found = buckets::find_for_user(db, workspace, bucket, actor.user.user_id())
        .await?
        .ok_or(CoreError::NoAccess)?;
    actor.require_second_factor(found.require_second_factor)?;
    Ok(BucketGrant::of(found, actor.scopes()))
}

/// The actor's grants in every workspace they belong to and may use now
/// (not those that ask for a second factor the actor lacks), by name.
pub async fn workspaces(
    db: impl PgExecutor<'_>,
    actor: &Actor,
) -> Result<Vec<WorkspaceGrant>, CoreError> {
    let found = workspaces::list_for_user(db, actor.user.user_id()).await?;
    Ok(found
        .into_iter()
        .filter(|membership| {
            actor
                .require_second_factor(membership.require_second_factor)
                .is_ok()
        })
        .map(|membership| WorkspaceGrant::of(membership, actor.scopes()))
        .collect())
}

/// The actor's grant in one workspace; [`CoreError::NoAccess`] when they
/// are not a member.
pub async fn workspace(
    db: impl PgExecutor<'_>,
    actor: &Actor,
    id: WorkspaceId,
) -> Result<WorkspaceGrant, CoreError> {
    let membership = workspaces::list_for_user(db, actor.user.user_id())
        .await?
        .into_iter()
        .find(|membership| membership.id == id.0)
        .ok_or(CoreError::NoAccess)?;
    actor.require_second_factor(membership.require_second_factor)?;
    Ok(WorkspaceGrant::of(membership, actor.scopes()))
}

/// The actor's grants on the buckets of one of their workspaces, by name.
pub async fn buckets(
    db: impl PgExecutor<'_>,
    actor: &Actor,
    workspace: &WorkspaceGrant,
) -> Result<Vec<BucketGrant>, CoreError> {
    let found = buckets::list_for_user(db, workspace.id(), actor.user.user_id()).await?;
    Ok(found
        .into_iter()
        .map(|found| BucketGrant::of(found, actor.scopes()))
        .collect())
}

/// The bucket `link` reaches, while its creator holds the role it needs on
/// it; [`CoreError::LinkOrphaned`] once the creator lost it or the bucket
/// was disconnected.
pub async fn through_link(db: impl PgExecutor<'_>, link: &Link) -> Result<LinkGrant, CoreError> {
    let (Some(bucket), Some(creator)) = (link.bucket(), link.creator()) else {
        return Err(CoreError::LinkOrphaned);
    };
    let found = buckets::find_for_user(db, WorkspaceId(link.workspace_id), bucket, creator)
        .await?
        .ok_or(CoreError::LinkOrphaned)?;
    // the creator's role over what the link reaches (folder grants count)
    if link
        .creator_role()
        .is_none_or(|role| role < link.needed_role())
    {
        return Err(CoreError::LinkOrphaned);
    }
    Ok(LinkGrant {
        bucket: found.bucket,
    })
}

impl BucketGrant {
    fn of(found: BucketWithRole, scopes: Scopes) -> BucketGrant {
        BucketGrant {
            grants: found.grants(),
            bucket: found.bucket,
            workspace_name: found.workspace_name,
            scopes,
        }
    }

    /// `Ok` when the actor's way in (a token's scopes) allows `scope`.
    pub fn may(&self, scope: Scope) -> Result<(), CoreError> {
        require_scope(self.scopes, scope)
    }

    pub fn bucket(&self) -> &Bucket {
        &self.bucket
    }

    /// The highest role the person holds anywhere in the bucket.
    pub fn role(&self) -> Role {
        self.grants.highest().unwrap_or(Role::Viewer)
    }

    /// Where each of the person's roles applies.
    pub fn grants(&self) -> &Grants {
        &self.grants
    }

    pub fn workspace_name(&self) -> &str {
        &self.workspace_name
    }

    /// Whether the role on the whole bucket is at least `role` (for what a
    /// page offers).
    pub fn allows(&self, role: Role) -> bool {
        self.grants.bucket_role().is_some_and(|held| held >= role)
    }

    /// Whether the role at `key` (a file, or a folder ending in `/`) is at
    /// least `role` (for what a page offers there).
    pub fn allows_at(&self, role: Role, key: &str) -> bool {
        self.grants.role_at(key).is_some_and(|held| held >= role)
    }

    /// The capability of level `L` somewhere in this bucket (its keys are
    /// checked with [`Can::at`]), or [`Denied::BucketRole`] when the person
    /// holds no role that high anywhere in it. Admin and Owner are held on
    /// the whole bucket only.
    pub fn can<L: Level>(&self) -> Result<Can<'_, L, Self>, CoreError> {
        if self.grants.highest().is_some_and(|held| held >= L::ROLE) {
            Ok(Can::of(self))
        } else {
            Err(CoreError::Forbidden(Denied::BucketRole { needed: L::ROLE }))
        }
    }

    /// The capability of level `L` at `key` (a file, or a folder ending in
    /// `/`), decided by the most specific grant covering it:
    /// [`Denied::OutsideFolders`] when none does, [`Denied::BucketRole`]
    /// when its role is below `L`.
    pub fn at<L: Level>(&self, key: &str) -> Result<At<'_, L>, CoreError> {
        match self.grants.role_at(key) {
            None => Err(CoreError::Forbidden(Denied::OutsideFolders)),
            Some(held) if held < L::ROLE => {
                Err(CoreError::Forbidden(Denied::BucketRole { needed: L::ROLE }))
            }
            Some(_) => Ok(At::of(self)),
        }
    }

    /// The capability of level `L` at every one of `keys` (none: the top
    /// of the bucket).
    pub fn at_all<'k, L: Level>(
        &self,
        keys: impl IntoIterator<Item = &'k str>,
    ) -> Result<At<'_, L>, CoreError> {
        let mut checked = None;
        for key in keys {
            checked = Some(self.at::<L>(key)?);
        }
        checked.map_or_else(|| self.at::<L>(""), Ok)
    }
}

impl WorkspaceGrant {
    fn of(membership: Membership, scopes: Scopes) -> WorkspaceGrant {
        WorkspaceGrant {
            role: membership.role(),
            membership,
            scopes,
        }
    }

    /// `Ok` when the actor's way in (a token's scopes) allows `scope`.
    pub fn may(&self, scope: Scope) -> Result<(), CoreError> {
        require_scope(self.scopes, scope)
    }

    pub fn id(&self) -> WorkspaceId {
        WorkspaceId(self.membership.id)
    }

    pub fn workspace(&self) -> &Membership {
        &self.membership
    }

    pub fn role(&self) -> Role {
        self.role
    }

    /// Whether the role is at least `role` (for what a page offers).
    pub fn allows(&self, role: Role) -> bool {
        self.role >= role
    }

    /// The capability of level `L` in this workspace, or
    /// [`Denied::WorkspaceRole`] when the role is below it.
    pub fn can<L: Level>(&self) -> Result<Can<'_, L, Self>, CoreError> {
        if self.allows(L::ROLE) {
            Ok(Can::of(self))
        } else {
            Err(CoreError::Forbidden(Denied::WorkspaceRole {
                needed: L::ROLE,
            }))
        }
    }
}

impl LinkGrant {
    pub fn bucket(&self) -> &Bucket {
        &self.bucket
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::OffsetDateTime;

    fn grant(role: Role) -> BucketGrant {
        BucketGrant {
            bucket: Bucket {
                id: Uuid::new_v4(),
                workspace_id: Uuid::new_v4(),
                display_name: "Reports".into(),
                bucket_name: "reports".into(),
                region: "us-east-1".into(),
                endpoint_url: None,
                public_endpoint_url: None,
                proxy_downloads: false,
                direct_uploads: false,
                path_style: false,
                access_key_id: Some("AKIA".into()),
                role_arn: None,
                provider: "aws".into(),
                created_at: OffsetDateTime::UNIX_EPOCH,
                updated_at: OffsetDateTime::UNIX_EPOCH,
            },
            grants: Grants::new(Some(role), []),
            workspace_name: "Team".into(),
            scopes: Scopes::all(),
        }
    }

    #[test]
    fn a_capability_comes_only_with_a_role_at_or_above_its_level() {
        let viewer = grant(Role::Viewer);
        assert!(viewer.can::<Viewer>().is_ok());
        assert!(matches!(
            viewer.can::<Editor>(),
            Err(CoreError::Forbidden(Denied::BucketRole {
                needed: Role::Editor
            }))
        ));
        let editor = grant(Role::Editor);
        assert!(editor.can::<Editor>().is_ok());
        assert!(matches!(
            editor.can::<Admin>(),
            Err(CoreError::Forbidden(Denied::BucketRole {
                needed: Role::Admin
            }))
        ));
        let owner = grant(Role::Owner);
        assert!(owner.can::<Viewer>().is_ok());
        assert!(owner.can::<Editor>().is_ok());
        assert!(owner.can::<Admin>().is_ok());
        assert!(owner.can::<Owner>().is_ok());
    }

    #[test]
    fn a_capability_reaches_the_bucket_of_the_grant_it_came_from() {
        let editor = grant(Role::Editor);
        let can = editor.can::<Editor>().expect("an editor may edit");
        let at = can.at("any/key").expect("a bucket editor edits anywhere");
        assert_eq!(HoldsBucket::bucket(&at).id, editor.bucket().id);
        assert_eq!(can.role(), Role::Editor);
    }

    fn folder_person() -> BucketGrant {
        BucketGrant {
            grants: Grants::new(
                None,
                [
                    ("clients/acme/".to_owned(), Role::Viewer),
                    ("clients/acme/uploads/".to_owned(), Role::Editor),
                ],
            ),
            ..grant(Role::Viewer)
        }
    }

    #[test]
    fn a_folder_person_is_checked_at_each_key() {
        let person = folder_person();
        let can = person.can::<Editor>().expect("an editor somewhere");
        assert!(can.at("clients/acme/uploads/new.txt").is_ok());
        assert!(matches!(
            can.at("clients/acme/report.pdf"),
            Err(CoreError::Forbidden(Denied::BucketRole {
                needed: Role::Editor
            }))
        ));
        assert!(matches!(
            can.at("clients/acme-evil/x"),
            Err(CoreError::Forbidden(Denied::OutsideFolders))
        ));
        assert!(matches!(
            can.at_all(["clients/acme/uploads/a", "elsewhere/b"]),
            Err(CoreError::Forbidden(Denied::OutsideFolders))
        ));
        // an empty selection means the top of the bucket, which they lack
        assert!(person.at_all::<Viewer>([]).is_err());
        assert!(person.can::<Admin>().is_err());
        assert!(!person.allows(Role::Viewer));
        assert!(person.allows_at(Role::Viewer, "clients/acme/"));
    }
}
