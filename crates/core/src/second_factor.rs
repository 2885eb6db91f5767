//! A second factor: an authenticator app (TOTP, RFC 6238: six digits, 30
//! seconds, SHA-1, one step either side for clocks that drift) with ten
//! recovery codes shown once and kept only as hashes. An account that has
//! one is asked for it after an email code or GitHub; single sign-on leaves
//! it to the identity provider. A workspace can ask its members for a
//! second factor or single sign-on ([`set_workspace_rule`]; the check is
//! in [`crate::access`]).

use crate::access::{Can, Owner, WorkspaceGrant};
use crate::{Actor, CoreError, Origin};
use bucketdesk_db::users::User;
use bucketdesk_db::{PgPool, audit, second_factor as db};
use bucketdesk_metrics::{SignInOutcome, metrics};
use bucketdesk_vault::TokenBox;
use rand::Rng;
use serde_json::json;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use totp_rs::{Builder, Totp};

/// Seconds per code.
const STEP_SECS: u64 = 30;
/// Recovery codes made at a time.
pub const RECOVERY_CODES: usize = 10;
/// Wrong codes an account may get in an hour before codes are refused.
pub const MAX_FAILURES_PER_HOUR: i64 = 10;
/// The issuer name authenticator apps show beside the account.
const ISSUER: &str = "bucketdesk";

/// A new authenticator app's secret, before it is proven to work.
pub struct NewAuthenticator {
    /// The secret in base32, for typing into an app by hand.
    pub secret: String,
    /// The `otpauth://` address a QR code carries.
    pub otpauth_url: String,
}

/// A fresh random secret (160 bits, as RFC 4226 recommends) for `email`'s
/// authenticator app.
pub fn new_authenticator(email: &str) -> NewAuthenticator {
    let bytes: [u8; 20] = rand::rngs::OsRng.r#gen();
    let secret = totp_rs::Secret::from(bytes).to_base32();
    NewAuthenticator {
        otpauth_url: new_authenticator_url(email, &secret),
        secret,
    }
}

/// The `otpauth://` address of `email`'s app with `secret` (base32).
pub fn new_authenticator_url(email: &str, secret: &str) -> String {
    let label = format!("{ISSUER}:{email}");
    let label = percent_encoding::utf8_percent_encode(&label, percent_encoding::NON_ALPHANUMERIC);
    format!(
        "otpauth://totp/{label}?secret={secret}&issuer={ISSUER}&algorithm=SHA1&digits=6&period={STEP_SECS}"
    )
}

fn totp(secret: &[u8]) -> Option<Totp> {
    Builder::new()
        .with_secret(secret.to_vec())
        .with_step_duration(STEP_SECS)
        .with_skew(1)
        .build()
        .ok()
}

/// The code an app with `secret` (base32) shows at `at`: for tests, which
/// play the app.
pub fn code_at(secret: &str, at: OffsetDateTime) -> Option<String> {
    let secret = totp_rs::Secret::try_from_base32(secret).ok()?;
    Some(totp(secret.as_ref())?.generate(unix(at)).to_string())
}

fn unix(at: OffsetDateTime) -> u64 {
    at.unix_timestamp().max(0) as u64
}

/// The step of the code `code` for `secret` at `at` (this step or the one
/// either side), if it is one.
fn step_of(secret: &[u8], code: &str, at: OffsetDateTime) -> Option<i64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    totp(secret)?
        .check(&code, unix(at))
        .and_then(|step| i64::try_from(step).ok())
}

/// What the account has, for its page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Status {
    pub authenticator: bool,
    pub recovery_codes_left: i64,
}

pub async fn status(db: &PgPool, actor: &Actor) -> Result<Status, CoreError> {
    let user = actor.user.user_id();
    Ok(Status {
        authenticator: db::totp_of(db, user).await?.is_some(),
        recovery_codes_left: db::recovery_codes_left(db, user).await?,
    })
}

/// The outcome of adding an authenticator app.
#[derive(Debug)]
pub enum Enrolment {
    /// Added: the recovery codes, to show once.
    Added { recovery_codes: Vec<String> },
    /// The code does not match the secret now: the app was set up wrong, or
    /// its clock is off.
    WrongCode,
}

/// Adds an authenticator app with `secret` (base32, as [`new_authenticator`]
/// made it) to the actor's account once `code` shows the app has it; any
/// app the account had is replaced and new recovery codes are made. Only a
/// person in a browser session may do this.
pub async fn add_authenticator(
    db: &PgPool,
    sealer: &TokenBox,
    actor: &Actor,
    origin: &Origin,
    secret: &str,
    code: &str,
    at: OffsetDateTime,
) -> Result<Enrolment, CoreError> {
    actor.require_session()?;
    let secret = totp_rs::Secret::try_from_base32(secret)
        .map_err(|_| CoreError::Internal("a new authenticator's secret is not base32".into()))?;
    let Some(step) = step_of(secret.as_ref(), code, at) else {
        return Ok(Enrolment::WrongCode);
    };
    let user = actor.user.user_id();
    let sealed = sealer.seal(secret.as_ref(), user.0.as_bytes());
    let mut tx = db.begin().await?;
    db::save_totp(&mut tx, user, &sealed, step).await?;
    let codes = replace_recovery_codes(&mut tx, actor).await?;
    audit::record(
        &mut *tx,
        actor.event(
            origin,
            "second_factor_added",
            json!({ "kind": "authenticator" }),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(Enrolment::Added {
        recovery_codes: codes,
    })
}

/// Removes the actor's authenticator app and recovery codes; false when
/// there was none. Only a person in a browser session may do this.
pub async fn remove(db: &PgPool, actor: &Actor, origin: &Origin) -> Result<bool, CoreError> {
    actor.require_session()?;
    let mut tx = db.begin().await?;
    let removed = db::remove(&mut tx, actor.user.user_id()).await?;
    if removed {
        audit::record(
            &mut *tx,
            actor.event(
                origin,
                "second_factor_removed",
                json!({ "kind": "authenticator" }),
            ),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(removed)
}

/// New recovery codes for an account with an authenticator app (the old
/// ones stop working); [`CoreError::NotFound`] without one.
pub async fn renew_recovery_codes(
    db: &PgPool,
    actor: &Actor,
    origin: &Origin,
) -> Result<Vec<String>, CoreError> {
    actor.require_session()?;
    let user = actor.user.user_id();
    let mut tx = db.begin().await?;
    if !db::update_flag(&mut tx, user).await? {
        return Err(CoreError::NotFound);
    }
    let codes = replace_recovery_codes(&mut tx, actor).await?;
    audit::record(
        &mut *tx,
        actor.event(origin, "recovery_codes_renewed", json!({})),
    )
    .await?;
    tx.commit().await?;
    Ok(codes)
}

/// Recovery codes, to show once.
pub type RecoveryCodes = Vec<String>;

/// New recovery codes for the actor's account in place of any it had.
pub(crate) async fn replace_recovery_codes(
    tx: &mut sqlx::PgConnection,
    actor: &Actor,
) -> Result<RecoveryCodes, CoreError> {
    let (codes, hashes) = new_recovery_codes(actor);
    db::replace_recovery_codes(tx, actor.user.user_id(), &hashes).await?;
    Ok(codes)
}

/// Ten codes like `k7qm-2xdp-9hvt` (60 random bits each) and their hashes.
fn new_recovery_codes(actor: &Actor) -> (Vec<String>, Vec<Vec<u8>>) {
    // no 0/o, 1/l/i: codes are read off paper
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut rng = rand::rngs::OsRng;
    let codes: Vec<String> = (0..RECOVERY_CODES)
        .map(|_| {
            let chars: String = (0..12)
                .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
                .collect();
            format!("{}-{}-{}", &chars[..4], &chars[4..8], &chars[8..])
        })
        .collect();
    let hashes = codes
        .iter()
        .map(|code| recovery_code_hash(&actor.user, code))
        .collect();
    (codes, hashes)
}

/// A recovery code as typed, without dashes, spaces or capitals.
fn normalized(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

fn recovery_code_hash(user: &User, code: &str) -> Vec<u8> {
    let mut hash = Sha256::new();
    hash.update(user.id.as_bytes());
    hash.update(normalized(code).as_bytes());
    hash.finalize().to_vec()
}

/// The outcome of a second factor typed at sign-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// The app's code.
    Passed,
    /// A recovery code, now spent; `left` remain.
    PassedWithRecoveryCode { left: i64 },
    /// Not a code of the account now (or one used already).
    Wrong,
    /// Too many wrong codes in the last hour: none is accepted for now.
    Locked,
}

/// Checks `input`, an authenticator app's code or a recovery code, for
/// `user` at `at`, after the first factor `method` (`email_code`,
/// `email_link`, `github`). A code is accepted once; every wrong one is
/// counted and audited; after [`MAX_FAILURES_PER_HOUR`] nothing is
/// accepted for a while. A pass records the sign-in.
#[allow(clippy::too_many_arguments)] // what a sign-in step is: who, how, what they typed, when
pub async fn check(
    db: &PgPool,
    sealer: &TokenBox,
    user: &User,
    origin: &Origin,
    method: &str,
    input: &str,
    at: OffsetDateTime,
) -> Result<Check, CoreError> {
    let id = user.user_id();
    if locked(db, user).await? {
        return Ok(Check::Locked);
    }
    let digits: String = input.chars().filter(|c| !c.is_whitespace()).collect();
    let passed = if digits.len() == 6 && digits.bytes().all(|b| b.is_ascii_digit()) {
        let step = match db::totp_of(db, id).await? {
            Some(factor) => sealer
                .open(&factor.secret_sealed, id.0.as_bytes())
                .and_then(|secret| step_of(&secret, &digits, at)),
            None => None,
        };
        match step {
            Some(step) if db::spend_step(db, id, step).await? => {
                record_sign_in(db, user, origin, method, "authenticator").await?;
                Some(Check::Passed)
            }
            _ => None,
        }
    } else if normalized(input).len() == 12
        && db::spend_recovery_code(db, id, &recovery_code_hash(user, input)).await?
    {
        let left = db::recovery_codes_left(db, id).await?;
        audit::record(
            db,
            user_event(user, origin, "recovery_code_used", json!({ "left": left })),
        )
        .await?;
        record_sign_in(db, user, origin, method, "recovery_code").await?;
        Some(Check::PassedWithRecoveryCode { left })
    } else {
        None
    };
    if let Some(passed) = passed {
        return Ok(passed);
    }
    record_failure(db, user, origin).await?;
    Ok(Check::Wrong)
}

/// Records the sign-in of `user` that passed its second factor `kind`.
pub(crate) async fn record_sign_in(
    db: &PgPool,
    user: &User,
    origin: &Origin,
    method: &str,
    kind: &str,
) -> Result<(), CoreError> {
    let details = json!({ "method": method, "second_factor": kind });
    audit::record(db, user_event(user, origin, "sign_in", details)).await?;
    metrics().sign_in("second_factor", SignInOutcome::SignedIn);
    Ok(())
}

/// Whether the account had too many wrong second factors in the last hour.
pub(crate) async fn locked(db: &PgPool, user: &User) -> Result<bool, CoreError> {
    Ok(db::recent_failures(db, user.user_id()).await? >= MAX_FAILURES_PER_HOUR)
}

/// Counts and audits a wrong second factor of `user`.
pub(crate) async fn record_failure(
    db: &PgPool,
    user: &User,
    origin: &Origin,
) -> Result<(), CoreError> {
    let mut tx = db.begin().await?;
    db::record_failure(&mut tx, user.user_id()).await?;
    audit::record(
        &mut *tx,
        user_event(user, origin, "second_factor_failed", json!({})),
    )
    .await?;
    tx.commit().await?;
    metrics().sign_in("second_factor", SignInOutcome::Refused);
    Ok(())
}

/// An event by `user` (not yet signed in) from `origin`.
fn user_event<'a>(
    user: &'a User,
    origin: &'a Origin,
    action: &'a str,
    details: serde_json::Value,
) -> audit::NewEvent<'a> {
    audit::NewEvent {
        actor_id: Some(user.user_id()),
        actor_email: Some(&user.email),
        ..origin.visitor_event(action, details)
    }
}

/// Turns on or off "members must use a second factor or single sign-on" for
/// the workspace (Owners only). An Owner turning it on must meet it
/// themselves, so nobody locks themselves out by a click.
pub async fn set_workspace_rule(
    db: &PgPool,
    workspace: &Can<'_, Owner, WorkspaceGrant>,
    actor: &Actor,
    origin: &Origin,
    required: bool,
) -> Result<(), CoreError> {
    workspace.may(bucketdesk_domain::Scope::Admin)?;
    if required {
        actor.require_second_factor(true)?;
    }
    let id = workspace.id();
    let mut tx = db.begin().await?;
    if db::set_workspace_rule(&mut *tx, id, required).await? {
        let event = audit::NewEvent {
            workspace_id: Some(id),
            ..actor.event(
                origin,
                "workspace_second_factor_rule_set",
                json!({ "required": required }),
            )
        };
        audit::record(&mut *tx, event).await?;
    }
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";

    fn at(unix: i64) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(unix).unwrap()
    }

    fn bytes() -> Vec<u8> {
        totp_rs::Secret::try_from_base32(SECRET)
            .unwrap()
            .as_ref()
            .to_vec()
    }

    #[test]
    fn codes_of_the_step_before_and_after_are_accepted_and_no_further() {
        let now = at(1_800_000_015);
        let step = 1_800_000_015 / 30;
        for (offset, accepted) in [(-2, false), (-1, true), (0, true), (1, true), (2, false)] {
            let code = code_at(SECRET, at((step + offset) * 30)).unwrap();
            let found = step_of(&bytes(), &code, now);
            assert_eq!(found.is_some(), accepted, "step {offset:+}");
            if accepted {
                assert_eq!(found, Some(step + offset));
            }
        }
    }

    #[test]
    fn codes_are_six_digits_and_spaces_in_them_do_not_matter() {
        let now = at(1_800_000_000);
        let code = code_at(SECRET, now).unwrap();
        assert_eq!(code.len(), 6);
        let spaced = format!("{} {}", &code[..3], &code[3..]);
        assert!(step_of(&bytes(), &spaced, now).is_some());
        assert!(step_of(&bytes(), "12345", now).is_none());
        assert!(step_of(&bytes(), "abcdef", now).is_none());
    }

    #[test]
    fn a_new_authenticator_carries_its_secret_in_the_otpauth_address() {
        let new = new_authenticator("ana@example.com");
        assert_eq!(new.secret.len(), 32);
        assert!(
            new.otpauth_url
                .starts_with("otpauth://totp/bucketdesk%3Aana%40example%2Ecom?secret=")
        );
        assert!(new.otpauth_url.contains(&new.secret));
        assert_ne!(new.secret, new_authenticator("ana@example.com").secret);
    }

    #[test]
    fn recovery_codes_are_read_the_same_with_or_without_dashes_and_capitals() {
        assert_eq!(normalized("K7QM-2XDP 9hvt"), "k7qm2xdp9hvt");
    }
}
