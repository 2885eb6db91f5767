//! Single sign-on identities and bucketdesk accounts (issue 17). The
//! OpenID Connect flow itself is the web face's (`bucketdesk_web::oidc`,
//! which checks the ID token); it hands over who the person is, and the
//! rules here decide which account that is.
//!
//! An identity is matched by its provider's (issuer, subject). The first
//! time, only an address the provider says is verified counts. It links to
//! the account of that address when that account was never used (an
//! invitation or an admin made it), or to any account when the provider is
//! trusted for its addresses (`trust_email`, a company directory): an
//! account someone already uses is never taken over by a provider that
//! merely says an address is verified. Without an account, one is made
//! when signup is open or the address is in one of the provider's allowed
//! domains (for Google, its `hd`, the Workspace domain). When the provider
//! grants instance admin by a claim, each sign-in sets it or takes it away,
//! never from the last admin.

use super::SignInRules;
use crate::{Actor, CoreError, Origin, Via};
use bucketdesk_db::users::{self, User};
use bucketdesk_db::{PgPool, audit, sso};
use bucketdesk_domain::{Email, SignupPolicy};
use bucketdesk_metrics::{SignInOutcome, metrics};
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
    /// The domain that vouches for the address, when the provider says it
    /// apart from the address (Google's `hd`); `None`: the address's own.
    pub domain: Option<String>,
    /// The provider's addresses are its people's own: an account that
    /// signed in before may be linked.
    pub trust_email: bool,
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
    /// The account of the address is in use and not linked to this
    /// identity (and the provider is not trusted to link it).
    NotLinked { email: String },
}

impl SsoRefusal {
    fn code(&self) -> &'static str {
        match self {
            SsoRefusal::Disabled => "disabled",
            SsoRefusal::NoEmail => "no_email",
            SsoRefusal::UnverifiedEmail { .. } => "unverified_email",
            SsoRefusal::NoAccount { .. } => "no_account",
            SsoRefusal::NotLinked { .. } => "not_linked",
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
            super::count_refused("sso");
            return Ok(Err(refusal));
        }
    };
    let actor = Actor {
        user,
        via: Via::Session { strong: true },
    };
    let mut tx = db.begin().await?;
    users::record_sign_in(&mut *tx, actor.user.user_id()).await?;
    if linked_now {
        let details = json!({ "provider": identity.provider, "email": identity.email });
        audit::record(&mut *tx, actor.event(origin, "sso_linked", details)).await?;
    }
    let mut admin_now = actor.user.is_admin;
    if let Some(admin) = identity.admin
        && sso::set_admin(&mut *tx, actor.user.user_id(), admin).await?
    {
        admin_now = admin;
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
    metrics().sign_in("sso", SignInOutcome::SignedIn);
    let mut user = actor.user;
    user.is_admin = admin_now;
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
        // an account in use is linked only when the provider is trusted for it
        Some(user) if user.last_sign_in_at.is_some() && !identity.trust_email => {
            return Ok(Err(SsoRefusal::NotLinked {
                email: email.to_string(),
            }));
        }
        Some(user) => user,
        None if signup == SignupPolicy::Open || domain_allowed(identity, &email) => {
            users::find_or_create(db, &email).await?
        }
        None => {
            return Ok(Err(SsoRefusal::NoAccount {
                email: email.to_string(),
            }));
        }
    };
    if sso::link(
        db,
        user.user_id(),
        &identity.provider,
        &identity.issuer,
        &identity.subject,
        email.as_str(),
    )
    .await?
    {
        return Ok(Ok((user, true)));
    }
    // linked a moment ago by a sign-in alongside: whatever it linked decides
    match sso::account_of(db, &identity.issuer, &identity.subject, email.as_str()).await? {
        Some(linked) if linked.id == user.id => Ok(Ok((linked, false))),
        _ => Ok(Err(SsoRefusal::NotLinked {
            email: email.to_string(),
        })),
    }
}

/// Whether the identity's domain is one of the provider's: Google's `hd`
/// when it gives one, else the address's.
fn domain_allowed(identity: &SsoIdentity, email: &Email) -> bool {
    let domain = match &identity.domain {
        Some(vouched) => vouched.clone(),
        None => email
            .as_str()
            .rsplit_once('@')
            .map(|(_, domain)| domain.to_ascii_lowercase())
            .unwrap_or_default(),
    };
    !domain.is_empty()
        && identity
            .allowed_domains
            .iter()
            .any(|allowed| allowed.eq_ignore_ascii_case(&domain))
}

/// Ties the identity to the actor's account, from the account page (the
/// person proved it was them just now, and signed in at the provider).
/// The addresses need not match: the person holds both. Refused when the
/// identity is tied to an account already.
pub async fn link_sso(
    db: &PgPool,
    actor: &Actor,
    identity: &SsoIdentity,
    origin: &Origin,
) -> Result<(), CoreError> {
    actor.require_session()?;
    let email = identity.email.clone().unwrap_or_default();
    let linked = sso::link(
        db,
        actor.user.user_id(),
        &identity.provider,
        &identity.issuer,
        &identity.subject,
        &email,
    )
    .await?;
    if !linked {
        return Err(CoreError::Conflict {
            code: "sso_taken",
            message: "This single sign-on account is linked to a bucketdesk account already (perhaps this one). Sign in with it, or unlink it there first."
                .into(),
        });
    }
    let details = json!({ "provider": identity.provider, "email": email });
    audit::record(db, actor.event(origin, "sso_linked", details)).await?;
    Ok(())
}

/// The SSO identities tied to the actor's account, for the account page.
pub async fn sso_links(db: &PgPool, actor: &Actor) -> Result<Vec<sso::SsoLink>, CoreError> {
    Ok(sso::of_user(db, actor.user.user_id()).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity(domain: Option<&str>) -> SsoIdentity {
        SsoIdentity {
            provider: "p".into(),
            issuer: "https://issuer".into(),
            subject: "s".into(),
            email: None,
            email_verified: Some(true),
            admin: None,
            allowed_domains: vec!["example.com".into()],
            domain: domain.map(str::to_owned),
            trust_email: false,
        }
    }

    #[test]
    fn allowed_domains_match_the_whole_domain_and_google_vouches_with_hd() {
        let email = Email::parse("ana@Example.COM").unwrap();
        assert!(domain_allowed(&identity(None), &email));
        let other = Email::parse("ana@ample.com").unwrap();
        assert!(!domain_allowed(&identity(None), &other));
        // a personal Google account with a verified @example.com address: no `hd`
        assert!(!domain_allowed(&identity(Some("")), &email));
        assert!(domain_allowed(&identity(Some("example.com")), &email));
    }
}
