//! Inviting people to a workspace by email (DESIGN.md flow 5, S7, S14, R6),
//! for the members page, the API and the CLI: invite (with the role
//! ceiling: at most one's own role, on buckets one manages), list the
//! pending invitations, resend, cancel, and accept.
//!
//! A token is 256 random bits, handed to the face that mails it and stored
//! only as its SHA-256. Invitations of one address to one workspace are
//! serialised, so the same invitation sent many times at once is one
//! invitation and one mail.

use crate::access::WorkspaceGrant;
use crate::actor::{Actor, Origin};
use crate::members::{
    change_folder_role_in, change_role_in, check_granted_folder, managed_buckets,
};
use crate::random_token::{new_token, token_hash};
use crate::{CoreError, Denied};
use bucketdesk_db::invites::{self as rows, Invite, InviteBucket};
use bucketdesk_db::users;
use bucketdesk_db::{PgPool, audit, members};
use bucketdesk_domain::grants::check_folder_role;
use bucketdesk_domain::{BucketId, Email, Role, WorkspaceId};
use serde_json::json;
use std::time::Duration;
use uuid::Uuid;

/// How long an invitation link works (S14).
pub const LIFETIME: Duration = Duration::from_secs(7 * 24 * 60 * 60);
/// An identical invitation sent again within this time is not mailed again.
const DUPLICATE_WINDOW: time::Duration = time::Duration::minutes(1);

/// What an invitation did.
#[derive(Debug, PartialEq, Eq)]
pub enum Invited {
    /// A new link to mail: the face sends it (`/invites/{token}`).
    Mail { invite: Uuid, token: String },
    /// The same invitation went out moments ago; nothing is sent again.
    AlreadySent,
    /// The person is a member already: their roles were updated instead.
    MemberUpdated,
}

/// A role an invitation gives: on a whole bucket, or on one folder of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offer {
    pub bucket: BucketId,
    /// A folder path ending in `/`; `""` for the whole bucket.
    pub folder: String,
    pub role: Role,
}

impl Offer {
    /// `role` on the whole of `bucket`.
    pub fn bucket(bucket: BucketId, role: Role) -> Offer {
        Offer {
            bucket,
            folder: String::new(),
            role,
        }
    }

    fn sort_key(&self) -> (uuid::Uuid, String) {
        (self.bucket.0, self.folder.clone())
    }
}

/// Invites `email` with a role on each of `roles`' buckets or folders.
/// Each bucket must be one the actor manages, each role at most their own
/// there; a folder is given as Viewer or Editor.
pub async fn invite(
    db: &PgPool,
    grant: &WorkspaceGrant,
    actor: &Actor,
    origin: &Origin,
    email: &Email,
    roles: &[Offer],
) -> Result<Invited, CoreError> {
    let managed = managed_buckets(db, grant, actor).await?;
    if email.as_str() == actor.user.email {
        return Err(CoreError::invalid(
            "email",
            "yourself",
            "You cannot invite yourself.",
        ));
    }
    if roles.is_empty() {
        return Err(CoreError::invalid(
            "roles",
            "required",
            "Choose a role on at least one bucket.",
        ));
    }
    for Offer {
        bucket,
        folder,
        role,
    } in roles
    {
        if !folder.is_empty() {
            check_granted_folder(folder)?;
            check_folder_role(*role)
                .map_err(|m| CoreError::invalid("roles", "not_for_folders", m))?;
        }
        let Some(mine) = managed.iter().find(|b| b.bucket.id == bucket.0) else {
            return Err(CoreError::invalid(
                "roles",
                "not_managed",
                "One of the chosen buckets is not one you manage in this workspace.",
            ));
        };
        if *role > mine.role() {
            return Err(CoreError::invalid(
                "roles",
                "above_own_role",
                format!(
                    "You can give at most your own role on {}, {}.",
                    mine.bucket.display_name,
                    mine.role()
                ),
            ));
        }
    }
    let workspace = grant.id();
    let mut tx = db.begin().await?;
    rows::lock_address(&mut *tx, workspace, email).await?;

    if let Some(user) = users::find_by_email(&mut *tx, email).await?
        && members::find(&mut *tx, workspace, user.user_id())
            .await?
            .is_some()
    {
        for offer in roles {
            if offer.folder.is_empty() {
                change_role_in(
                    &mut tx,
                    workspace,
                    actor,
                    origin,
                    &user,
                    offer.bucket,
                    Some(offer.role),
                )
                .await?;
            } else {
                change_folder_role_in(
                    &mut tx,
                    workspace,
                    actor,
                    origin,
                    &user,
                    offer.bucket,
                    &offer.folder,
                    Some(offer.role),
                )
                .await?;
            }
        }
        tx.commit().await?;
        return Ok(Invited::MemberUpdated);
    }

    let pending = rows::pending_for(&mut *tx, workspace, email).await?;
    if let Some(pending) = &pending {
        let mut granted: Vec<Offer> = rows::buckets_of(&mut *tx, pending.id)
            .await?
            .into_iter()
            .map(|b| Offer {
                bucket: BucketId(b.bucket_id),
                role: b.role(),
                folder: b.folder,
            })
            .collect();
        let mut wanted = roles.to_vec();
        wanted.sort_by_key(Offer::sort_key);
        granted.sort_by_key(Offer::sort_key);
        let fresh = time::OffsetDateTime::now_utc() - pending.sent_at < DUPLICATE_WINDOW;
        if granted == wanted && fresh && !pending.expired {
            return Ok(Invited::AlreadySent);
        }
    }

    // invites create the account, so the invitee can sign in by code
    users::find_or_create(&mut *tx, email).await?;
    let (token, hash) = new_token();
    let me = actor.user.user_id();
    let id = match &pending {
        Some(pending) => {
            rows::replace_token(&mut *tx, pending.id, &hash, LIFETIME, me).await?;
            pending.id
        }
        None => rows::create(&mut *tx, workspace, email, &hash, me, LIFETIME).await?,
    };
    let stored: Vec<(BucketId, &str, Role)> = roles
        .iter()
        .map(|o| (o.bucket, o.folder.as_str(), o.role))
        .collect();
    rows::set_buckets(&mut tx, id, &stored).await?;
    let action = if pending.is_some() {
        "invite_resent"
    } else {
        "invite_sent"
    };
    let roles: Vec<_> = roles.iter().map(offer_json).collect();
    let event = audit::NewEvent {
        workspace_id: Some(workspace),
        ..actor.event(
            origin,
            action,
            json!({ "invite_id": id, "email": email.as_str(), "roles": roles }),
        )
    };
    audit::record(&mut *tx, event).await?;
    tx.commit().await?;
    Ok(Invited::Mail { invite: id, token })
}

/// The workspace's invitations not yet accepted or cancelled (expired
/// ones included), newest first, each with the buckets it grants.
pub async fn pending(
    db: &PgPool,
    grant: &WorkspaceGrant,
    actor: &Actor,
) -> Result<Vec<(Invite, Vec<InviteBucket>)>, CoreError> {
    managed_buckets(db, grant, actor).await?;
    // two queries however many invitations wait
    let mut grants: std::collections::HashMap<Uuid, Vec<InviteBucket>> =
        std::collections::HashMap::new();
    for pending in rows::pending_grants_in_workspace(db, grant.id()).await? {
        grants
            .entry(pending.invite_id)
            .or_default()
            .push(pending.bucket);
    }
    Ok(rows::pending_in_workspace(db, grant.id())
        .await?
        .into_iter()
        .map(|invite| {
            let buckets = grants.remove(&invite.id).unwrap_or_default();
            (invite, buckets)
        })
        .collect())
}

/// The buckets an invitation grants, with their roles (for its mail).
pub async fn buckets_of(db: &PgPool, invite: Uuid) -> Result<Vec<InviteBucket>, CoreError> {
    Ok(rows::buckets_of(db, invite).await?)
}

/// A pending invitation of this workspace that the actor may manage: a
/// workspace owner, or an Admin of every bucket it grants.
async fn managed_invite(
    db: &PgPool,
    grant: &WorkspaceGrant,
    actor: &Actor,
    id: Uuid,
) -> Result<Invite, CoreError> {
    let invite = rows::find_in_workspace(db, grant.id(), id)
        .await?
        .ok_or(CoreError::NotFound)?;
    if invite.accepted_at.is_some() || invite.cancelled_at.is_some() {
        return Err(CoreError::Conflict {
            code: "closed",
            message: "That invitation was already accepted or cancelled.".into(),
        });
    }
    let managed = managed_buckets(db, grant, actor).await?;
    if !grant.allows(Role::Owner) {
        let granted = rows::buckets_of(db, id).await?;
        if !granted
            .iter()
            .all(|g| managed.iter().any(|m| m.bucket.id == g.bucket_id))
        {
            return Err(CoreError::Forbidden(Denied::BucketRole {
                needed: Role::Admin,
            }));
        }
    }
    Ok(invite)
}

/// A new link for a pending invitation (the old one dies), for the face
/// to mail again.
pub async fn resend(
    db: &PgPool,
    grant: &WorkspaceGrant,
    actor: &Actor,
    origin: &Origin,
    id: Uuid,
) -> Result<(Invite, String), CoreError> {
    let invite = managed_invite(db, grant, actor, id).await?;
    let (token, hash) = new_token();
    let mut tx = db.begin().await?;
    rows::replace_token(&mut *tx, invite.id, &hash, LIFETIME, actor.user.user_id()).await?;
    let event = audit::NewEvent {
        workspace_id: Some(WorkspaceId(invite.workspace_id)),
        ..actor.event(
            origin,
            "invite_resent",
            json!({ "invite_id": invite.id, "email": invite.email }),
        )
    };
    audit::record(&mut *tx, event).await?;
    tx.commit().await?;
    Ok((invite, token))
}

/// Cancels a pending invitation: its link stops working.
pub async fn cancel(
    db: &PgPool,
    grant: &WorkspaceGrant,
    actor: &Actor,
    origin: &Origin,
    id: Uuid,
) -> Result<Invite, CoreError> {
    let invite = managed_invite(db, grant, actor, id).await?;
    let mut tx = db.begin().await?;
    rows::cancel(&mut *tx, invite.id).await?;
    let event = audit::NewEvent {
        workspace_id: Some(WorkspaceId(invite.workspace_id)),
        ..actor.event(
            origin,
            "invite_cancelled",
            json!({ "invite_id": invite.id, "email": invite.email }),
        )
    };
    audit::record(&mut *tx, event).await?;
    tx.commit().await?;
    Ok(invite)
}

/// What accepting an invitation did.
#[derive(Debug, PartialEq, Eq)]
pub enum Accepted {
    Joined {
        workspace: Uuid,
    },
    NotFound,
    Expired,
    Used,
    Cancelled,
    /// Its sender may no longer grant anything it offered (removed or
    /// demoted since), so it grants nothing (S7).
    Withdrawn,
    /// Signed in with another address than the invited one.
    OtherEmail {
        invited: String,
    },
}

/// Accepts an invitation for the actor: single use, only for the invited
/// address, only before it expires; per bucket at most what its sender may
/// grant at this moment (S7).
pub async fn accept(
    db: &PgPool,
    actor: &Actor,
    origin: &Origin,
    token: &str,
) -> Result<Accepted, CoreError> {
    let user = &actor.user;
    let mut tx = db.begin().await?;
    let Some(found) = rows::find_by_token_hash(&mut *tx, &token_hash(token)).await? else {
        return Ok(Accepted::NotFound);
    };
    rows::lock(&mut *tx, found.id).await?;
    let workspace = WorkspaceId(found.workspace_id);
    let Some(invite) = rows::find_in_workspace(&mut *tx, workspace, found.id).await? else {
        return Ok(Accepted::NotFound);
    };
    let refused = match () {
        _ if invite.cancelled_at.is_some() => Some(Accepted::Cancelled),
        _ if invite.accepted_at.is_some() => Some(Accepted::Used),
        _ if invite.expired => Some(Accepted::Expired),
        _ if invite.email != user.email => Some(Accepted::OtherEmail {
            invited: invite.email.clone(),
        }),
        _ => None,
    };
    if let Some(refused) = refused {
        return Ok(refused);
    }
    let granted: Vec<Offer> = rows::grants_with_sender_roles(&mut *tx, invite.id)
        .await?
        .into_iter()
        .filter_map(|g| {
            Role::granted_by_invitation(g.role(), g.sender_role()).map(|role| Offer {
                bucket: BucketId(g.bucket_id),
                folder: g.folder,
                role,
            })
        })
        .collect();
    if granted.is_empty() {
        rows::cancel(&mut *tx, invite.id).await?;
        let event = audit::NewEvent {
            workspace_id: Some(workspace),
            ..actor.event(
                origin,
                "invite_cancelled",
                json!({ "invite_id": invite.id, "email": invite.email, "reason": "sender_lost_role" }),
            )
        };
        audit::record(&mut *tx, event).await?;
        tx.commit().await?;
        return Ok(Accepted::Withdrawn);
    }
    members::join_workspace(&mut *tx, workspace, user.user_id()).await?;
    for offer in &granted {
        if offer.folder.is_empty() {
            members::set_bucket_role(&mut *tx, offer.bucket, user.user_id(), offer.role).await?;
        } else {
            members::set_folder_role(
                &mut *tx,
                offer.bucket,
                user.user_id(),
                &offer.folder,
                offer.role,
                None,
            )
            .await?;
        }
    }
    rows::mark_accepted(&mut *tx, invite.id, user.user_id()).await?;
    let roles: Vec<_> = granted.iter().map(offer_json).collect();
    let event = audit::NewEvent {
        workspace_id: Some(workspace),
        ..actor.event(
            origin,
            "invite_accepted",
            json!({ "invite_id": invite.id, "roles": roles }),
        )
    };
    audit::record(&mut *tx, event).await?;
    tx.commit().await?;
    Ok(Accepted::Joined {
        workspace: invite.workspace_id,
    })
}

/// An offer in an audit event: the bucket, the folder when it is one, the role.
fn offer_json(offer: &Offer) -> serde_json::Value {
    if offer.folder.is_empty() {
        json!({ "bucket_id": offer.bucket.0, "role": offer.role.as_str() })
    } else {
        json!({ "bucket_id": offer.bucket.0, "folder": offer.folder, "role": offer.role.as_str() })
    }
}
