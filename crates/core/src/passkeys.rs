//! Passkeys (WebAuthn, with webauthn-rs): added on the account page after a
//! fresh proof of identity, they sign in alone (a discoverable credential,
//! with user verification: two factors in one) or serve as the second
//! factor after an email code or GitHub. The browser's origin and the RP id
//! (the public URL's host) are checked on every ceremony (S22); a ceremony's
//! state waits in the face's session between its two requests.

use crate::second_factor::{self, RecoveryCodes};
use crate::{Actor, CoreError, Origin};
use bucketdesk_db::passkeys::{self as db, PasskeyInfo, StoredPasskey};
use bucketdesk_db::users::User;
use bucketdesk_db::{PgPool, audit};
use bucketdesk_metrics::{SignInOutcome, metrics};
use serde_json::json;
use url::Url;
use uuid::Uuid;
use webauthn_rs::prelude::{
    CreationChallengeResponse, DiscoverableAuthentication, Passkey, PasskeyAuthentication,
    PasskeyRegistration, PublicKeyCredential, RegisterPublicKeyCredential,
    RequestChallengeResponse, Webauthn, WebauthnBuilder,
};
use webauthn_rs_proto::ResidentKeyRequirement;

/// Longest name of a passkey.
pub const MAX_NAME: usize = 60;

/// The relying party: bucketdesk at its public URL.
pub struct Passkeys {
    webauthn: Webauthn,
}

impl Passkeys {
    /// The relying party of `public_url`; `None` when its host cannot be
    /// one (an IP address: browsers accept only domain names, `localhost`
    /// included).
    pub fn new(public_url: &Url) -> Option<Passkeys> {
        let host = public_url.host_str()?;
        if host.parse::<std::net::IpAddr>().is_ok() || host.starts_with('[') {
            return None;
        }
        let webauthn = WebauthnBuilder::new(host, public_url)
            .ok()?
            .rp_name("bucketdesk")
            .build()
            .ok()?;
        Some(Passkeys { webauthn })
    }

    /// Starts adding a passkey to the actor's account: the options for the
    /// browser and the state to keep until [`Self::finish_adding`]. The
    /// credential is asked to be discoverable, so it can sign in alone.
    pub async fn start_adding(
        &self,
        db: &PgPool,
        actor: &Actor,
    ) -> Result<(CreationChallengeResponse, PasskeyRegistration), CoreError> {
        actor.require_session()?;
        let existing = stored(db, actor.user.user_id()).await?;
        let exclude = existing.iter().map(|(_, p)| p.cred_id().clone()).collect();
        let (mut options, state) = self
            .webauthn
            .start_passkey_registration(
                actor.user.id,
                &actor.user.email,
                &actor.user.email,
                Some(exclude),
            )
            .map_err(|e| CoreError::Internal(format!("passkey registration: {e}")))?;
        if let Some(selection) = options.public_key.authenticator_selection.as_mut() {
            selection.resident_key = Some(ResidentKeyRequirement::Required);
            selection.require_resident_key = true;
        }
        Ok((options, state))
    }

    /// Checks the browser's answer against `state` and saves the passkey
    /// as `name`. The first second factor of an account comes with
    /// recovery codes, to show once.
    pub async fn finish_adding(
        &self,
        db: &PgPool,
        actor: &Actor,
        origin: &Origin,
        name: &str,
        answer: &RegisterPublicKeyCredential,
        state: &PasskeyRegistration,
    ) -> Result<Option<RecoveryCodes>, CoreError> {
        actor.require_session()?;
        let name = check_name(name)?;
        let passkey = self
            .webauthn
            .finish_passkey_registration(answer, state)
            .map_err(|e| {
                CoreError::invalid(
                    "credential",
                    "refused",
                    format!("The browser's passkey was not accepted ({e}). Try again."),
                )
            })?;
        let stored = serde_json::to_value(&passkey)
            .map_err(|e| CoreError::Internal(format!("passkey to JSON: {e}")))?;
        let user = actor.user.user_id();
        let mut tx = db.begin().await?;
        let had_factor = bucketdesk_db::second_factor::update_flag(&mut tx, user).await?;
        let added = db::add(
            &mut tx,
            user,
            Uuid::new_v4(),
            passkey.cred_id(),
            name,
            &stored,
        )
        .await?;
        if !added {
            return Err(CoreError::Conflict {
                code: "passkey_taken",
                message: "This passkey is already added to an account.".into(),
            });
        }
        let codes = if had_factor {
            None
        } else {
            Some(second_factor::replace_recovery_codes(&mut tx, actor).await?)
        };
        audit::record(
            &mut *tx,
            actor.event(origin, "passkey_added", json!({ "name": name })),
        )
        .await?;
        tx.commit().await?;
        Ok(codes)
    }

    /// Starts a sign-in with a passkey alone: the browser lets the person
    /// pick one of theirs for this site.
    pub fn start_sign_in(
        &self,
    ) -> Result<(RequestChallengeResponse, DiscoverableAuthentication), CoreError> {
        let (mut options, state) = self
            .webauthn
            .start_discoverable_authentication()
            .map_err(|e| CoreError::Internal(format!("passkey sign-in: {e}")))?;
        // a button starts it, not the address field's suggestions
        options.mediation = None;
        Ok((options, state))
    }

    /// The account the browser's answer proves, when it holds up against
    /// `state`: a passkey of an enabled account, its signature, this site's
    /// origin and RP id, user verification. `None` otherwise.
    pub async fn finish_sign_in(
        &self,
        db: &PgPool,
        origin: &Origin,
        answer: &PublicKeyCredential,
        state: DiscoverableAuthentication,
    ) -> Result<Option<User>, CoreError> {
        let user = self.check_sign_in(db, origin, answer, state).await?;
        let outcome = match user {
            Some(_) => SignInOutcome::SignedIn,
            None => SignInOutcome::Refused,
        };
        metrics().sign_in("passkey", outcome);
        Ok(user)
    }

    async fn check_sign_in(
        &self,
        db: &PgPool,
        origin: &Origin,
        answer: &PublicKeyCredential,
        state: DiscoverableAuthentication,
    ) -> Result<Option<User>, CoreError> {
        let Ok((user_id, credential_id)) =
            self.webauthn.identify_discoverable_authentication(answer)
        else {
            return Ok(None);
        };
        let Some((stored, user)) =
            db::find(db, bucketdesk_domain::UserId(user_id), credential_id).await?
        else {
            return Ok(None);
        };
        let Some(mut passkey) = parse(&stored) else {
            return Ok(None);
        };
        match self
            .webauthn
            .finish_discoverable_authentication_v2(answer, state, &passkey)
        {
            Ok(result) => {
                passkey.update_credential(&result);
                note_use(db, &stored, &passkey).await?;
                let event = audit::NewEvent {
                    actor_id: Some(user.user_id()),
                    actor_email: Some(&user.email),
                    ..origin.visitor_event("sign_in", json!({ "method": "passkey" }))
                };
                audit::record(db, event).await?;
                Ok(Some(user))
            }
            Err(e) => {
                tracing::info!(error = %e, "a passkey sign-in was refused");
                Ok(None)
            }
        }
    }

    /// Starts the second step with one of `user`'s passkeys; `None` when
    /// they have none.
    pub async fn start_second_step(
        &self,
        db: &PgPool,
        user: &User,
    ) -> Result<Option<(RequestChallengeResponse, PasskeyAuthentication)>, CoreError> {
        let passkeys: Vec<Passkey> = stored(db, user.user_id())
            .await?
            .into_iter()
            .map(|(_, passkey)| passkey)
            .collect();
        if passkeys.is_empty() {
            return Ok(None);
        }
        let (options, state) = self
            .webauthn
            .start_passkey_authentication(&passkeys)
            .map_err(|e| CoreError::Internal(format!("passkey second step: {e}")))?;
        Ok(Some((options, state)))
    }

    /// Whether the browser's answer proves one of `user`'s passkeys against
    /// `state`. A refusal counts as a wrong second factor (audited; many in
    /// an hour lock the step, as for codes).
    pub async fn finish_second_step(
        &self,
        db: &PgPool,
        user: &User,
        origin: &Origin,
        method: &str,
        answer: &PublicKeyCredential,
        state: &PasskeyAuthentication,
    ) -> Result<second_factor::Check, CoreError> {
        if second_factor::locked(db, user).await? {
            return Ok(second_factor::Check::Locked);
        }
        let result = self.webauthn.finish_passkey_authentication(answer, state);
        let stored_keys = stored(db, user.user_id()).await?;
        let found = result.ok().and_then(|result| {
            stored_keys
                .into_iter()
                .find(|(_, passkey)| passkey.cred_id() == result.cred_id())
                .map(|(row, mut passkey)| {
                    passkey.update_credential(&result);
                    (row, passkey)
                })
        });
        match found {
            Some((row, passkey)) => {
                note_use(db, &row, &passkey).await?;
                second_factor::record_sign_in(db, user, origin, method, "passkey").await?;
                Ok(second_factor::Check::Passed)
            }
            None => {
                second_factor::record_failure(db, user, origin).await?;
                Ok(second_factor::Check::Wrong)
            }
        }
    }
}

/// The actor's passkeys, oldest first.
pub async fn list(db: &PgPool, actor: &Actor) -> Result<Vec<PasskeyInfo>, CoreError> {
    Ok(db::of_user(db, actor.user.user_id()).await?)
}

/// Renames one of the actor's passkeys.
pub async fn rename(db: &PgPool, actor: &Actor, id: Uuid, name: &str) -> Result<(), CoreError> {
    actor.require_session()?;
    let name = check_name(name)?;
    if db::rename(db, actor.user.user_id(), id, name).await? {
        Ok(())
    } else {
        Err(CoreError::NotFound)
    }
}

/// Removes one of the actor's passkeys (it signs nobody in from then on).
pub async fn remove(
    db: &PgPool,
    actor: &Actor,
    origin: &Origin,
    id: Uuid,
) -> Result<String, CoreError> {
    actor.require_session()?;
    let mut tx = db.begin().await?;
    let name = db::remove(&mut tx, actor.user.user_id(), id)
        .await?
        .ok_or(CoreError::NotFound)?;
    audit::record(
        &mut *tx,
        actor.event(origin, "passkey_removed", json!({ "name": name })),
    )
    .await?;
    tx.commit().await?;
    Ok(name)
}

fn check_name(name: &str) -> Result<&str, CoreError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME || name.chars().any(char::is_control) {
        return Err(CoreError::invalid(
            "name",
            "invalid",
            format!(
                "Name the passkey (at most {MAX_NAME} characters), for example \"Work laptop\"."
            ),
        ));
    }
    Ok(name)
}

fn parse(stored: &StoredPasskey) -> Option<Passkey> {
    serde_json::from_value(stored.passkey.clone()).ok()
}

async fn stored(
    db: &PgPool,
    user: bucketdesk_domain::UserId,
) -> Result<Vec<(StoredPasskey, Passkey)>, CoreError> {
    Ok(db::credentials_of(db, user)
        .await?
        .into_iter()
        .filter_map(|row| parse(&row).map(|passkey| (row, passkey)))
        .collect())
}

async fn note_use(db: &PgPool, row: &StoredPasskey, passkey: &Passkey) -> Result<(), CoreError> {
    let value = serde_json::to_value(passkey)
        .map_err(|e| CoreError::Internal(format!("passkey to JSON: {e}")))?;
    db::used(db, row.id, &value).await?;
    Ok(())
}
