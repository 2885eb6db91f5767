//! Who may create an account by signing in.

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

#[cfg(test)]
mod tests {
    use super::*;

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
