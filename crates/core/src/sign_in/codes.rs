//! One-time-code sign-in (DESIGN.md S1-S4): asking for a code and checking
//! one.
//!
//! Addresses with and without an account go through the same steps and the
//! same queries (a code row is stored for both; only the mail is left out),
//! so neither the answer nor its timing tells whether an account exists (S3).
//!
//! A code is entered either in the browser that asked for it (S4), or, in
//! any browser, through the one-time sign-in link its mail carries. Limits
//! count per client network, and lockouts never reach the mail's link, so a
//! stranger cannot lock the owner of an address out (see
//! `bucketdesk_domain::login`).

use super::SignInRules;
use crate::random_token::{new_token, token_hash};
use crate::{CoreError, Origin};
use bucketdesk_db::login::{EVERY_CLIENT, Lockout, NewCode};
use bucketdesk_db::users::{self, User};
use bucketdesk_db::{PgPool, audit, login};
use bucketdesk_domain::login::{self as rules, LoginCode};
use bucketdesk_domain::{Email, SignupPolicy};
use hmac::{Hmac, Mac};
use serde_json::json;
use sha2::Sha256;
use time::OffsetDateTime;
use uuid::Uuid;

pub enum RequestOutcome {
    /// A code was stored.
    Sent {
        code_id: Uuid,
        /// Codes typed in a browser do not work for the address from this
        /// client now (a lockout): only the mail's sign-in link does.
        link_only: bool,
        /// The mail to send, when the address may sign in. The face sends
        /// it without waiting, so the answer takes as long either way (S3).
        mail: Option<CodeMail>,
    },
    /// This client asked for three codes for the address in 15 minutes.
    TooManyForEmail,
    /// The address was sent many codes in the last hour, from any client.
    TooManyForEmailEverywhere,
    TooManyForIp,
    /// Codes do not sign anyone in here (single sign-on is the only way in).
    CodesOff,
}

/// A code to mail.
pub struct CodeMail {
    pub to: Email,
    pub code: LoginCode,
    /// The one-time sign-in link's token (for [`Purpose::SignIn`]).
    pub link_token: Option<String>,
    pub expires_at: OffsetDateTime,
    pub purpose: Purpose,
}

/// What a code is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Signing in: the mail carries a sign-in link too.
    SignIn,
    /// A signed-in person proving it is them before changing how they sign
    /// in (S18); `what` names the change in the mail. No link: the code is
    /// entered where it was asked for.
    Confirm { what: &'static str },
    /// A link's visitor proving they hold an address the link is for (no
    /// account needed). `listed`: the address is one of the link's; a code
    /// is stored either way, but mailed only then, so the answer never tells
    /// who the link is for.
    Recipient { link: Uuid, listed: bool },
}

#[derive(Debug)]
pub enum VerifyOutcome {
    /// The code was right: it is this person. `method` is `email_code` or
    /// `email_link`, for the session's list.
    Verified {
        user: User,
        method: &'static str,
    },
    Wrong {
        tries_left: i32,
    },
    /// The fifth wrong try: the code is dead now.
    TooManyTries,
    Expired,
    /// Used already, or replaced by a newer code.
    NoLongerValid,
    /// Too many wrong codes: codes typed here do not work for the address
    /// until then (`everywhere`: from any client), but through the mail's link.
    Locked(Lockout),
    /// Codes do not sign anyone in here (single sign-on is the only way in).
    CodesOff,
    /// The code was right for [`Purpose::Recipient`]: the visitor holds this
    /// address (nobody signs in).
    AddressVerified {
        email: Email,
    },
}

/// How a code is entered.
pub enum Entry {
    /// In the browser that asked for it (S4), which holds its id.
    Browser { code_id: Uuid, email: Email },
    /// Through the sign-in link of its mail, in any browser.
    MailLink { token: String },
}

fn code_hash(key: &[u8], code_id: Uuid, code: &LoginCode) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(code_id.as_bytes());
    mac.update(code.expose().as_bytes());
    mac
}

pub async fn request_code(
    db: &PgPool,
    rules: SignInRules<'_>,
    email: &Email,
    origin: &Origin,
    purpose: Purpose,
) -> Result<RequestOutcome, CoreError> {
    if purpose == Purpose::SignIn && !rules.codes_sign_in {
        return Ok(RequestOutcome::CodesOff);
    }
    let client_key = rules::rate_limit_key(origin.ip);
    // Every check and write happens in one transaction holding a lock on the
    // address and one on the client, so parallel requests are counted one
    // after another and cannot all slip under a limit.
    let mut tx = db.begin().await?;
    login::lock_address(&mut *tx, email).await?;
    login::lock_client(&mut *tx, &client_key).await?;
    let sent_from_here =
        login::codes_sent_to_email_since(&mut *tx, email, Some(&client_key), rules::EMAIL_WINDOW)
            .await?;
    if sent_from_here >= rules::MAX_CODES_PER_EMAIL {
        return Ok(RequestOutcome::TooManyForEmail);
    }
    let sent_from_all =
        login::codes_sent_to_email_since(&mut *tx, email, None, rules::EMAIL_CEILING_WINDOW)
            .await?;
    if sent_from_all >= rules::MAX_CODES_PER_EMAIL_CEILING {
        return Ok(RequestOutcome::TooManyForEmailEverywhere);
    }
    if login::codes_requested_by_client_since(&mut *tx, &client_key, rules::IP_WINDOW).await?
        >= rules::MAX_CODES_PER_IP
    {
        return Ok(RequestOutcome::TooManyForIp);
    }
    let link_only = login::lockout(&mut *tx, email, &client_key)
        .await?
        .is_some();
    let may_sign_in = match purpose {
        Purpose::Recipient { listed, .. } => listed,
        _ => match users::find_by_email(&mut *tx, email).await? {
            Some(user) => !user.is_disabled(),
            None => rules.signup == SignupPolicy::Open,
        },
    };

    let code = LoginCode::generate();
    let code_id = Uuid::new_v4();
    let hash = code_hash(rules.code_key, code_id, &code)
        .finalize()
        .into_bytes();
    let link = (purpose == Purpose::SignIn).then(new_token);
    login::kill_live_codes(&mut *tx, email, &client_key).await?;
    let expires_at = login::insert_code(
        &mut *tx,
        &NewCode {
            id: code_id,
            email,
            code_hash: &hash,
            client_key: &client_key,
            link_hash: link.as_ref().map(|(_, hash)| hash.as_slice()),
            lifetime: rules::CODE_LIFETIME,
        },
    )
    .await?;
    tx.commit().await?;

    let mail = may_sign_in.then(|| CodeMail {
        to: email.clone(),
        code,
        link_token: link.map(|(token, _)| token),
        expires_at,
        purpose,
    });
    Ok(RequestOutcome::Sent {
        code_id,
        link_only,
        mail,
    })
}

/// The address a mail link signs in, while its code is still live (for the
/// page that asks for the code).
pub async fn email_of_link(db: &PgPool, token: &str) -> Result<Option<String>, CoreError> {
    Ok(login::find_by_link(db, &token_hash(token))
        .await?
        .filter(|row| row.dead_at.is_none() && !row.expired)
        .map(|row| row.email))
}

pub async fn verify_code(
    db: &PgPool,
    rules: SignInRules<'_>,
    entry: Entry,
    code: &LoginCode,
    origin: &Origin,
    purpose: Purpose,
) -> Result<VerifyOutcome, CoreError> {
    let signing_in = purpose == Purpose::SignIn;
    let outcome = check_code(db, rules, entry, code, origin, purpose).await?;
    if signing_in {
        match &outcome {
            VerifyOutcome::Verified { user, .. } => super::count_first_step("code", user),
            _ => super::count_refused("code"),
        }
    }
    Ok(outcome)
}

async fn check_code(
    db: &PgPool,
    rules: SignInRules<'_>,
    entry: Entry,
    code: &LoginCode,
    origin: &Origin,
    purpose: Purpose,
) -> Result<VerifyOutcome, CoreError> {
    if purpose == Purpose::SignIn && !rules.codes_sign_in {
        return Ok(VerifyOutcome::CodesOff);
    }
    let client_key = rules::rate_limit_key(origin.ip);
    let mut tx = db.begin().await?;
    let (code_id, email, method) = match entry {
        Entry::Browser { code_id, email } => (code_id, email, "email_code"),
        Entry::MailLink { token } => {
            let Some(row) = login::find_by_link(&mut *tx, &token_hash(&token)).await? else {
                return Ok(VerifyOutcome::NoLongerValid);
            };
            let email = Email::parse(&row.email)
                .map_err(|e| CoreError::Internal(format!("stored address: {e}")))?;
            (row.id, email, "email_link")
        }
    };
    // one try at a time per address: the failure counts and the lockouts
    // below then hold under parallel guessing
    login::lock_address(&mut *tx, &email).await?;
    if method == "email_code"
        && let Some(lockout) = login::lockout(&mut *tx, &email, &client_key).await?
    {
        // the mail's link is the owner's way in: no lockout reaches it
        return Ok(VerifyOutcome::Locked(lockout));
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
        ..origin.visitor_event(action, details)
    };

    if code_hash(rules.code_key, code_id, code)
        .verify_slice(&row.code_hash)
        .is_err()
    {
        let attempts =
            login::record_wrong_attempt(&mut *tx, code_id, rules::MAX_ATTEMPTS_PER_CODE).await?;
        let failures =
            login::record_failure(&mut *tx, &email, &client_key, rules::FAILURE_WINDOW).await?;
        let everywhere = failures.from_all >= rules::MAX_FAILURES_PER_EMAIL;
        let here = failures.from_client >= rules::MAX_FAILURES_PER_CLIENT;
        if here {
            login::lock_out(&mut *tx, &email, &client_key, rules::LOCKOUT).await?;
        }
        if everywhere {
            login::lock_out(&mut *tx, &email, EVERY_CLIENT, rules::LOCKOUT).await?;
        }
        audit::record(
            &mut *tx,
            event(
                "sign_in_failed",
                json!({ "method": method, "attempt": attempts, "locked": here || everywhere,
                        "locked_everywhere": everywhere }),
            ),
        )
        .await?;
        tx.commit().await?;
        if method == "email_code"
            && (here || everywhere)
            && let Some(lockout) = login::lockout(db, &email, &client_key).await?
        {
            return Ok(VerifyOutcome::Locked(lockout));
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
    if let Purpose::Recipient { link, listed } = purpose {
        if !listed {
            // no code was mailed to this address, so only a blind guess gets here
            tx.commit().await?;
            return Ok(VerifyOutcome::NoLongerValid);
        }
        audit::record(
            &mut *tx,
            event("link_recipient_verified", json!({ "link": link })),
        )
        .await?;
        tx.commit().await?;
        return Ok(VerifyOutcome::AddressVerified { email });
    }
    let user = match users::find_by_email(&mut *tx, &email).await? {
        Some(user) if user.is_disabled() => {
            // no mail went to a disabled account: only a blind guess gets here
            tx.commit().await?;
            return Ok(VerifyOutcome::NoLongerValid);
        }
        Some(user) => user,
        None if rules.signup == SignupPolicy::Open => {
            users::find_or_create(&mut *tx, &email).await?
        }
        // no code was mailed to this address, so only a blind guess gets here
        None => {
            tx.commit().await?;
            return Ok(VerifyOutcome::NoLongerValid);
        }
    };
    let (action, details) = match purpose {
        Purpose::SignIn => {
            users::record_sign_in(&mut *tx, user.user_id()).await?;
            // with a second factor, the sign-in is recorded once that passes
            let action = if user.second_factor {
                "first_factor_passed"
            } else {
                "sign_in"
            };
            (action, json!({ "method": method }))
        }
        Purpose::Confirm { what } => ("identity_confirmed", json!({ "for": what })),
        Purpose::Recipient { link, .. } => ("link_recipient_verified", json!({ "link": link })),
    };
    audit::record(
        &mut *tx,
        audit::NewEvent {
            actor_id: Some(user.user_id()),
            ..event(action, details)
        },
    )
    .await?;
    tx.commit().await?;
    Ok(VerifyOutcome::Verified { user, method })
}
