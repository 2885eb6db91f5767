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
    fn roles_round_trip_through_their_names() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse(), Ok(role));
        }
        assert_eq!(" Owner ".parse(), Ok(Role::Owner));
        assert!("superuser".parse::<Role>().is_err());
    }
}
