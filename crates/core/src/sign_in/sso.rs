//! Single sign-on identities and bucketdesk accounts (issue 17). The
//! OpenID Connect flow itself is the web face's (`bucketdesk_web::oidc`,
//! which checks the ID token); it hands over who the person is, and the
//! rules here decide which account that is.
//!
//! An identity is matched by its provider's (issuer, subject). The first
//! time, only an address the provider says is verified counts: it signs in
//! to the account of that address, or gets a new account when signup is
//! open or the address is in one of the provider's allowed domains. The
//! provider is the instance admin's choice, so its verified addresses are
//! trusted as much as an emailed code. When the provider is set to grant
//! instance admin by a claim, each sign-in sets it (or takes it away).

use super::SignInRules;
use crate::{Actor, CoreError, Origin, Via};
use bucketdesk_db::users::{self, User};
use bucketdesk_db::{PgPool, audit, sso};
use bucketdesk_domain::{Email, SignupPolicy};
use serde_json::json;

/// A person as an identity provider vouches for them.
#[derive(Debug, Clone)]
pub struct SsoIdentity {
    /// The provider's name in bucketdesk's settings.
    pub provider: String,
    pub issuer: String,
    pub subject: String,
    pub email: Option<String>,
    /// `None` when the provider did not say.
    pub email_verified: Option<bool>,
    /// Whether the provider's admin claim holds; `None` when none is set up.
    pub admin: Option<bool>,
    /// Verified addresses in these domains get an account by signing in.
    pub allowed_domains: Vec<String>,
}

/// Why an identity does not sign in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SsoRefusal {
    /// The account it belongs to is disabled.
    Disabled,
    /// The provider gave no usable address.
    NoEmail,
    /// The provider does not vouch for the address.
    UnverifiedEmail { email: String },
    /// No account uses the address, signup is closed and its domain is not
    /// one of the provider's.
    NoAccount { email: String },
}

impl SsoRefusal {
    fn code(&self) -> &'static str {
        match self {
            SsoRefusal::Disabled => "disabled",
            SsoRefusal::NoEmail => "no_email",
            SsoRefusal::UnverifiedEmail { .. } => "unverified_email",
            SsoRefusal::NoAccount { .. } => "no_account",
        }
    }
}

/// A signed-in identity: its account, and whether it was tied to it just now.
#[derive(Debug, Clone)]
pub struct SsoSignedIn {
    pub user: User,
    pub linked_now: bool,
}

/// Signs the identity in: its account, found or made as the module says,
/// with `sign_in` (and, when it was tied just now, `sso_linked`) recorded.
/// A refusal is recorded too, as `sso_sign_in_refused`.
pub async fn sso_sign_in(
    db: &PgPool,
    rules: SignInRules<'_>,
    identity: &SsoIdentity,
    origin: &Origin,
) -> Result<Result<SsoSignedIn, SsoRefusal>, CoreError> {
    let (user, linked_now) = match account_for(db, rules.signup, identity).await? {
        Ok(found) => found,
        Err(refusal) => {
            let details = json!({
                "provider": identity.provider,
                "email": identity.email,
                "reason": refusal.code(),
            });
            audit::record(db, origin.visitor_event("sso_sign_in_refused", details)).await?;
            return Ok(Err(refusal));
        }
    };
    let actor = Actor {
        user,
        via: Via::Session,
    };
    let mut tx = db.begin().await?;
    users::record_sign_in(&mut *tx, actor.user.user_id()).await?;
    if linked_now {
        let details = json!({ "provider": identity.provider, "email": identity.email });
        audit::record(&mut *tx, actor.event(origin, "sso_linked", details)).await?;
    }
    if let Some(admin) = identity.admin
        && sso::set_admin(&mut *tx, actor.user.user_id(), admin).await?
    {
        let action = if admin {
            "admin_granted_by_sso"
        } else {
            "admin_revoked_by_sso"
        };
        let details = json!({ "provider": identity.provider });
        audit::record(&mut *tx, actor.event(origin, action, details)).await?;
    }
    let details = json!({ "method": "sso", "provider": identity.provider });
    audit::record(&mut *tx, actor.event(origin, "sign_in", details)).await?;
    tx.commit().await?;
    let mut user = actor.user;
    if let Some(admin) = identity.admin {
        user.is_admin = admin;
    }
    Ok(Ok(SsoSignedIn { user, linked_now }))
}

/// The account of an identity, and whether it was tied just now.
async fn account_for(
    db: &PgPool,
    signup: SignupPolicy,
    identity: &SsoIdentity,
) -> Result<Result<(User, bool), SsoRefusal>, CoreError> {
    let Some(email) = identity
        .email
        .as_deref()
        .and_then(|email| Email::parse(email).ok())
    else {
        return Ok(Err(SsoRefusal::NoEmail));
    };
    if let Some(user) =
        sso::account_of(db, &identity.issuer, &identity.subject, email.as_str()).await?
    {
        if user.is_disabled() {
            return Ok(Err(SsoRefusal::Disabled));
        }
        return Ok(Ok((user, false)));
    }
    if identity.email_verified != Some(true) {
        return Ok(Err(SsoRefusal::UnverifiedEmail {
            email: email.to_string(),
        }));
    }
    let user = match users::find_by_email(db, &email).await? {
        Some(user) if user.is_disabled() => return Ok(Err(SsoRefusal::Disabled)),
        Some(user) => user,
        None if signup == SignupPolicy::Open
            || domain_allowed(&email, &identity.allowed_domains) =>
        {
            users::find_or_create(db, &email).await?
        }
        None => {
            return Ok(Err(SsoRefusal::NoAccount {
                email: email.to_string(),
            }));
        }
    };
    let linked = sso::link(
        db,
        user.user_id(),
        &identity.provider,
        &identity.issuer,
        &identity.subject,
        email.as_str(),
    )
    .await?;
    Ok(Ok((user, linked)))
}

fn domain_allowed(email: &Email, domains: &[String]) -> bool {
    let domain = email
        .as_str()
        .rsplit_once('@')
        .map(|(_, domain)| domain.to_ascii_lowercase())
        .unwrap_or_default();
    domains
        .iter()
        .any(|allowed| allowed.eq_ignore_ascii_case(&domain))
}

/// The SSO identities tied to the actor's account, for the account page.
pub async fn sso_links(db: &PgPool, actor: &Actor) -> Result<Vec<sso::SsoLink>, CoreError> {
    Ok(sso::of_user(db, actor.user.user_id()).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allowed_domains_match_the_whole_domain_in_any_case() {
        let email = Email::parse("ana@Example.COM").unwrap();
        assert!(domain_allowed(&email, &["example.com".into()]));
        assert!(!domain_allowed(&email, &["ample.com".into()]));
        assert!(!domain_allowed(&email, &[]));
    }
}
