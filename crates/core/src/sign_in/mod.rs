//! Signing in (DESIGN.md S1-S5, S18): one-time codes mailed to an address
//! ([`request_code`], [`verify_code`]) and GitHub identities matched to
//! accounts ([`github_sign_in`], [`link_github`], [`unlink_github`]), and
//! single sign-on identities ([`sso_sign_in`]). The
//! faces keep what only a browser has (the session cookie, the OAuth
//! redirect) and send the mails; every rule and every audit event is here.

mod codes;
mod github;
mod sso;

pub use codes::{
    CodeMail, Entry, Purpose, RequestOutcome, VerifyOutcome, email_of_link, request_code,
    verify_code,
};
pub use github::{GithubIdentity, GithubRefusal, github_sign_in, link_github, unlink_github};
pub use sso::{SsoIdentity, SsoRefusal, SsoSignedIn, link_sso, sso_links, sso_sign_in};

use bucketdesk_domain::SignupPolicy;
use bucketdesk_metrics::{SignInOutcome, metrics};

/// What sign-in depends on in the instance's configuration.
#[derive(Clone, Copy)]
pub struct SignInRules<'a> {
    /// The secret codes are stored under (an HMAC key; a stolen table of
    /// codes is worthless without it).
    pub code_key: &'a [u8],
    /// Whether an address without an account gets one by signing in.
    pub signup: SignupPolicy,
    /// Whether emailed codes sign people in (off when single sign-on is
    /// the only way in; codes that confirm a change still work).
    pub codes_sign_in: bool,
}

/// Counts a sign-in whose first step held (`bucketdesk_sign_ins_total`):
/// signed in, or asked for the account's second factor.
fn count_first_step(method: &'static str, user: &bucketdesk_db::users::User) {
    let outcome = if user.second_factor {
        SignInOutcome::SecondFactorAsked
    } else {
        SignInOutcome::SignedIn
    };
    metrics().sign_in(method, outcome);
}

/// Counts a refused sign-in (`bucketdesk_sign_ins_total`).
fn count_refused(method: &'static str) {
    metrics().sign_in(method, SignInOutcome::Refused);
}
