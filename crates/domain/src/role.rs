//! Roles on a bucket (DESIGN.md flow 4). The order of the variants matters:
//! each role can do everything the roles before it can.

use serde::{Deserialize, Serialize};
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// List, preview, download, share download links.
    Viewer,
    /// + upload, create folders, rename, move, delete.
    Editor,
    /// + invite people to the bucket, change roles, revoke.
    Admin,
    /// + edit or disconnect the bucket, delete the workspace.
    Owner,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Viewer, Role::Editor, Role::Admin, Role::Owner];

    /// The name stored in the database and used in forms.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Editor => "editor",
            Role::Admin => "admin",
            Role::Owner => "owner",
        }
    }

    /// The name shown to people.
    pub fn label(self) -> &'static str {
        match self {
            Role::Viewer => "Viewer",
            Role::Editor => "Editor",
            Role::Admin => "Admin",
            Role::Owner => "Owner",
        }
    }

    /// Whether someone holding this role on a bucket may give `role` on it
    /// to others: only Admins and Owners do, and never above their own role.
    pub fn may_grant(self, role: Role) -> bool {
        self >= Role::Admin && role <= self
    }

    /// What an invitation for `invited` grants when it is accepted, given
    /// the role its sender holds on the bucket at that moment (S7): never
    /// more than the sender may grant now, and nothing when they may grant
    /// nothing (removed, or demoted below Admin).
    pub fn granted_by_invitation(invited: Role, sender_now: Option<Role>) -> Option<Role> {
        let sender = sender_now.filter(|r| *r >= Role::Admin)?;
        Some(invited.min(sender))
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("There is no role called \"{0}\": choose Viewer, Editor, Admin or Owner.")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| UnknownRole(s.chars().take(40).collect()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_ordered_by_power() {
        assert!(
            Role::Viewer < Role::Editor && Role::Editor < Role::Admin && Role::Admin < Role::Owner
        );
        assert_eq!(Role::ALL.iter().max(), Some(&Role::Owner));
    }

    #[test]
    fn only_admins_and_owners_grant_and_never_above_their_own_role() {
        assert!(Role::Admin.may_grant(Role::Admin));
        assert!(Role::Owner.may_grant(Role::Owner));
        assert!(!Role::Admin.may_grant(Role::Owner));
        assert!(!Role::Editor.may_grant(Role::Viewer));
    }

    #[test]
    fn an_invitation_grants_at_most_what_its_sender_may_grant_when_it_is_accepted() {
        use Role::*;
        assert_eq!(Role::granted_by_invitation(Admin, Some(Owner)), Some(Admin));
        assert_eq!(Role::granted_by_invitation(Owner, Some(Admin)), Some(Admin));
        assert_eq!(
            Role::granted_by_invitation(Viewer, Some(Admin)),
            Some(Viewer)
        );
        assert_eq!(Role::granted_by_invitation(Viewer, Some(Editor)), None);
        assert_eq!(Role::granted_by_invitation(Admin, None), None);
    }

    #[test]
    fn roles_round_trip_through_their_names() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse(), Ok(role));
        }
        assert_eq!(" Owner ".parse(), Ok(Role::Owner));
        assert!("superuser".parse::<Role>().is_err());
    }
}
