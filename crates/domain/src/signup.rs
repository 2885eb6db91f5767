//! Who may create an account by signing in, and who may create workspaces.

use std::str::FromStr;

/// `Invite`: only people an admin added or invited can sign in.
/// `Open`: the first sign-in with a new email creates the account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SignupPolicy {
    #[default]
    Invite,
    Open,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("must be `invite` or `open`, not `{0}`")]
pub struct SignupPolicyError(String);

impl FromStr for SignupPolicy {
    type Err = SignupPolicyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "invite" => Ok(Self::Invite),
            "open" => Ok(Self::Open),
            _ => Err(SignupPolicyError(s.to_owned())),
        }
    }
}

/// `Everyone`: anyone signed in may create a workspace.
/// `Admins`: only instance admins may (`BUCKETDESK_WORKSPACE_CREATORS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WorkspaceCreators {
    #[default]
    Everyone,
    Admins,
}

impl WorkspaceCreators {
    /// Whether someone who is (or is not) an instance admin may create a workspace.
    pub fn allow(self, is_admin: bool) -> bool {
        self == WorkspaceCreators::Everyone || is_admin
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("must be `everyone` or `admins`, not `{0}`")]
pub struct WorkspaceCreatorsError(String);

impl FromStr for WorkspaceCreators {
    type Err = WorkspaceCreatorsError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "everyone" => Ok(Self::Everyone),
            "admins" => Ok(Self::Admins),
            _ => Err(WorkspaceCreatorsError(s.to_owned())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workspace_creators_are_everyone_or_admins() {
        assert_eq!("admins".parse(), Ok(WorkspaceCreators::Admins));
        assert_eq!(" Everyone".parse(), Ok(WorkspaceCreators::Everyone));
        assert!("owners".parse::<WorkspaceCreators>().is_err());
        assert!(WorkspaceCreators::Admins.allow(true));
        assert!(!WorkspaceCreators::Admins.allow(false));
        assert!(WorkspaceCreators::Everyone.allow(false));
    }

    #[test]
    fn parses_both_policies_in_any_case() {
        assert_eq!("invite".parse(), Ok(SignupPolicy::Invite));
        assert_eq!(" Open ".parse(), Ok(SignupPolicy::Open));
    }

    #[test]
    fn refuses_anything_else() {
        assert!("closed".parse::<SignupPolicy>().is_err());
    }
}
