//! One-time-code sign-in (DESIGN.md S1-S4): asking for a code and checking
//! one. The routes in `routes::sign_in` turn these outcomes into pages.
//!
//! Addresses with and without an account go through the same steps and the
//! same queries (a code row is stored for both; only the mail is skipped), so
//! neither the answer nor its timing tells whether an account exists (S3).

use crate::extract::ClientInfo;
use crate::{AppState, Result};
use bucketdesk_db::{audit, login, users};
use bucketdesk_domain::login::{self as rules, LoginCode};
use bucketdesk_domain::{Email, SignupPolicy};
use bucketdesk_mail::LoginCodeMail;
use hmac::{Hmac, Mac};
use serde_json::json;
use sha2::Sha256;
use time::OffsetDateTime;
use uuid::Uuid;

pub enum RequestOutcome {
    /// A code was stored (and mailed, when the address may sign in).
    Sent {
        code_id: Uuid,
    },
    TooManyForEmail,
    TooManyForIp,
    Locked {
        until: OffsetDateTime,
    },
}

pub enum VerifyOutcome {
    SignedIn(users::User),
    Wrong {
        tries_left: i32,
    },
    /// The fifth wrong try: the code is dead now.
    TooManyTries,
    Expired,
    /// Used already, or replaced by a newer code.
    NoLongerValid,
    Locked {
        until: OffsetDateTime,
    },
}

fn code_hash(state: &AppState, code_id: Uuid, code: &LoginCode) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(state.code_hash_key.as_ref())
        .expect("HMAC takes any key length");
    mac.update(code_id.as_bytes());
    mac.update(code.expose().as_bytes());
    mac
}

pub async fn request_code(
    state: &AppState,
    email: &Email,
    client: &ClientInfo,
) -> Result<RequestOutcome> {
    let client_key = rules::rate_limit_key(client.ip);
    // Every check and write happens in one transaction holding a lock on the
    // address and one on the client, so parallel requests are counted one
    // after another and cannot all slip under a limit.
    let mut tx = state.db.begin().await?;
    login::lock_address(&mut *tx, email).await?;
    login::lock_client(&mut *tx, &client_key).await?;
    if let Some(until) = login::locked_until(&mut *tx, email).await? {
        return Ok(RequestOutcome::Locked { until });
    }
    if login::codes_sent_to_email_since(&mut *tx, email, rules::EMAIL_WINDOW).await?
        >= rules::MAX_CODES_PER_EMAIL
    {
        return Ok(RequestOutcome::TooManyForEmail);
    }
    if login::codes_requested_by_client_since(&mut *tx, &client_key, rules::IP_WINDOW).await?
        >= rules::MAX_CODES_PER_IP
    {
        return Ok(RequestOutcome::TooManyForIp);
    }
    let may_sign_in = state.settings.signup == SignupPolicy::Open
        || users::find_by_email(&mut *tx, email).await?.is_some();

    let code = LoginCode::generate();
    let code_id = Uuid::new_v4();
    let hash = code_hash(state, code_id, &code).finalize().into_bytes();
    login::kill_live_codes(&mut *tx, email).await?;
    let expires_at = login::insert_code(
        &mut *tx,
        code_id,
        email,
        &hash,
        Some(&client_key),
        rules::CODE_LIFETIME,
    )
    .await?;
    tx.commit().await?;

    if may_sign_in {
        send_code_mail(state, email.clone(), code, expires_at);
    }
    Ok(RequestOutcome::Sent { code_id })
}

/// Renders and sends in the background: the answer must neither wait for the
/// mail nor take longer for an address that gets one (S3).
fn send_code_mail(state: &AppState, email: Email, code: LoginCode, expires_at: OffsetDateTime) {
    let mailer = state.mailer.clone();
    let sign_in_url = state.settings.link("/login/code");
    tokio::spawn(async move {
        let expires = expires_at
            .format(time::macros::format_description!("[hour]:[minute] UTC"))
            .unwrap_or_default();
        let mail = LoginCodeMail {
            code: code.expose(),
            minutes: rules::CODE_LIFETIME.as_secs() / 60,
            sign_in_url: &sign_in_url,
            expires_at: &expires,
        }
        .render(&email);
        let result = match mail {
            Ok(mail) => mailer.send(mail).await.map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        if let Err(error) = result {
            tracing::error!(%error, "could not send a sign-in code mail");
        }
    });
}

pub async fn verify_code(
    state: &AppState,
    code_id: Uuid,
    email: &Email,
    code: &LoginCode,
    client: &ClientInfo,
) -> Result<VerifyOutcome> {
    let mut tx = state.db.begin().await?;
    // one try at a time per address: the failure count and the lockout below
    // then hold under parallel guessing
    login::lock_address(&mut *tx, email).await?;
    if let Some(until) = login::locked_until(&mut *tx, email).await? {
        return Ok(VerifyOutcome::Locked { until });
    }
    let Some(row) = login::lock_code(&mut *tx, code_id).await? else {
        return Ok(VerifyOutcome::NoLongerValid);
    };
    if row.email != email.as_str() || row.dead_at.is_some() {
        return Ok(VerifyOutcome::NoLongerValid);
    }
    if row.expired {
        return Ok(VerifyOutcome::Expired);
    }
    let event = |action, details| audit::NewEvent {
        actor_email: Some(email.as_str()),
        action,
        ip: Some(client.ip_str()),
        user_agent: client.user_agent.as_deref(),
        details,
        ..Default::default()
    };

    if code_hash(state, code_id, code)
        .verify_slice(&row.code_hash)
        .is_err()
    {
        let attempts =
            login::record_wrong_attempt(&mut *tx, code_id, rules::MAX_ATTEMPTS_PER_CODE).await?;
        let failures = login::record_failure(&mut *tx, email, rules::FAILURE_WINDOW).await?;
        let locked = failures >= rules::MAX_FAILURES_PER_WINDOW;
        if locked {
            login::lock_out(&mut *tx, email, rules::LOCKOUT).await?;
        }
        audit::record(
            &mut *tx,
            event(
                "sign_in_failed",
                json!({ "method": "email_code", "attempt": attempts, "locked": locked }),
            ),
        )
        .await?;
        tx.commit().await?;
        if locked {
            let until = login::locked_until(&state.db, email)
                .await?
                .unwrap_or_else(OffsetDateTime::now_utc);
            return Ok(VerifyOutcome::Locked { until });
        }
        return Ok(if attempts >= rules::MAX_ATTEMPTS_PER_CODE {
            VerifyOutcome::TooManyTries
        } else {
            VerifyOutcome::Wrong {
                tries_left: rules::MAX_ATTEMPTS_PER_CODE - attempts,
            }
        });
    }

    login::mark_used(&mut *tx, code_id).await?;
    let user = match users::find_by_email(&mut *tx, email).await? {
        Some(user) => user,
        None if state.settings.signup == SignupPolicy::Open => {
            users::find_or_create(&mut *tx, email).await?
        }
        // no code was mailed to this address, so only a blind guess gets here
        None => {
            tx.commit().await?;
            return Ok(VerifyOutcome::NoLongerValid);
        }
    };
    users::record_sign_in(&mut *tx, user.user_id()).await?;
    audit::record(
        &mut *tx,
        audit::NewEvent {
            actor_id: Some(user.user_id()),
            ..event("sign_in", json!({ "method": "email_code" }))
        },
    )
    .await?;
    tx.commit().await?;
    Ok(VerifyOutcome::SignedIn(user))
}
