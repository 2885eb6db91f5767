//! GitHub identities and bucketdesk accounts (DESIGN.md flows 1 and 5, S5).
//! The OAuth flow itself is the web face's (`bucketdesk_web::github_oauth`);
//! it hands over who the person is on GitHub, and the rules here decide
//! which account that is.
//!
//! A GitHub identity is matched by its numeric id. A new one is matched to
//! the account an invitation made for one of its *verified* addresses, if
//! that account was never used (so unlinking GitHub, or an old address,
//! never lets GitHub back in by email); or gets a new account when signup is
//! open. An unverified address never links to or creates anything.

use super::SignInRules;
use crate::{Actor, CoreError, Origin, Via};
use bucketdesk_db::users::{self, User};
use bucketdesk_db::{PgPool, audit, invites};
use bucketdesk_domain::{Email, SignupPolicy};
use serde_json::json;

/// A person as GitHub knows them.
#[derive(Debug, Clone)]
pub struct GithubIdentity {
    pub id: i64,
    pub login: String,
    /// Verified addresses only, the primary one first.
    pub verified_emails: Vec<String>,
}

/// Why a GitHub identity does not sign in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GithubRefusal {
    /// The account it belongs to is disabled.
    Disabled,
    /// GitHub vouches for none of its addresses.
    NoVerifiedEmail,
    /// `email` has an account, not linked to this identity.
    NotLinked { email: String },
    /// No account uses any of its verified addresses, and signup is closed.
    NoAccount,
}

/// Signs the GitHub identity in: its account, found or made as the module
/// says, with `sign_in` (and, when it was linked just now, `github_linked`)
/// recorded. A refusal is recorded too, as `github_sign_in_refused`.
pub async fn github_sign_in(
    db: &PgPool,
    rules: SignInRules<'_>,
    identity: &GithubIdentity,
    origin: &Origin,
) -> Result<Result<User, GithubRefusal>, CoreError> {
    let (user, linked_now) = match account_for(db, rules.signup, identity).await? {
        Ok(found) => found,
        Err(refusal) => {
            let details = json!({ "github_id": identity.id, "github_login": identity.login });
            audit::record(db, origin.visitor_event("github_sign_in_refused", details)).await?;
            super::count_refused("github");
            return Ok(Err(refusal));
        }
    };
    let actor = Actor {
        user,
        via: Via::Session { strong: false },
    };
    let mut tx = db.begin().await?;
    users::record_sign_in(&mut *tx, actor.user.user_id()).await?;
    if linked_now {
        let details = json!({ "github_login": identity.login });
        audit::record(&mut *tx, actor.event(origin, "github_linked", details)).await?;
    }
    let details = json!({ "method": "github", "github_login": identity.login });
    // with a second factor, the sign-in is recorded once that passes
    let action = if actor.user.second_factor {
        "first_factor_passed"
    } else {
        "sign_in"
    };
    audit::record(&mut *tx, actor.event(origin, action, details)).await?;
    tx.commit().await?;
    super::count_first_step("github", &actor.user);
    Ok(Ok(actor.user))
}

/// The account of a GitHub identity, and whether it was linked just now.
async fn account_for(
    db: &PgPool,
    signup: SignupPolicy,
    identity: &GithubIdentity,
) -> Result<Result<(User, bool), GithubRefusal>, CoreError> {
    if let Some(user) = users::find_by_github_id(db, identity.id).await? {
        if user.is_disabled() {
            return Ok(Err(GithubRefusal::Disabled));
        }
        if user.github_login.as_deref() != Some(identity.login.as_str()) {
            users::set_github_login(db, user.user_id(), &identity.login).await?;
        }
        return Ok(Ok((user, false)));
    }
    let verified: Vec<Email> = identity
        .verified_emails
        .iter()
        .filter_map(|email| Email::parse(email).ok())
        .collect();
    if verified.is_empty() {
        return Ok(Err(GithubRefusal::NoVerifiedEmail));
    }
    for email in &verified {
        let Some(user) = users::find_by_email(db, email).await? else {
            continue;
        };
        if user.is_disabled() {
            return Ok(Err(GithubRefusal::Disabled));
        }
        let invited = user.last_sign_in_at.is_none()
            && user.github_id.is_none()
            && invites::is_pending_for_email(db, email).await?;
        if invited && users::link_github(db, user.user_id(), identity.id, &identity.login).await? {
            return Ok(Ok((user, true)));
        }
        return Ok(Err(GithubRefusal::NotLinked {
            email: email.to_string(),
        }));
    }
    if signup == SignupPolicy::Open {
        let user = users::find_or_create(db, &verified[0]).await?;
        if users::link_github(db, user.user_id(), identity.id, &identity.login).await? {
            return Ok(Ok((user, true)));
        }
    }
    Ok(Err(GithubRefusal::NoAccount))
}

/// Links a GitHub identity to the actor's account (a browser session that
/// proved who it is moments ago: the face checks the freshness). A
/// [`CoreError::Conflict`] `github_taken` when either side is linked
/// elsewhere already.
pub async fn link_github(
    db: &PgPool,
    actor: &Actor,
    identity: &GithubIdentity,
    origin: &Origin,
) -> Result<(), CoreError> {
    actor.require_session()?;
    if !users::link_github(db, actor.user.user_id(), identity.id, &identity.login).await? {
        return Err(CoreError::Conflict {
            code: "github_taken",
            message: "This GitHub account is linked to another bucketdesk account, or yours is linked to another GitHub account. Unlink that first.".into(),
        });
    }
    let details = json!({ "github_login": identity.login });
    audit::record(db, actor.event(origin, "github_linked", details)).await?;
    Ok(())
}

/// Unlinks GitHub from the actor's account; the login it had, or `None`
/// when none was linked.
pub async fn unlink_github(
    db: &PgPool,
    actor: &Actor,
    origin: &Origin,
) -> Result<Option<String>, CoreError> {
    actor.require_session()?;
    let Some(login) = &actor.user.github_login else {
        return Ok(None);
    };
    users::unlink_github(db, actor.user.user_id()).await?;
    let details = json!({ "github_login": login });
    audit::record(db, actor.event(origin, "github_unlinked", details)).await?;
    Ok(Some(login.clone()))
}
