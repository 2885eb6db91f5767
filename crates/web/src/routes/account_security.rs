//! Changing how one signs in needs a fresh proof of identity, and the owner
//! hears of every change (S18, ASVS 7.5.1): a code mailed to the account's
//! address, typed on the page that asked for it, lets this session make
//! such changes for ten minutes. And one's own sessions can be ended one by
//! one (ASVS 7.5.2), listed on the account page.

use crate::extract::{ClientInfo, CsrfToken, CurrentUser, Form};
use crate::{AppError, AppState, Result, session};
use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use bucketdesk_core::sessions;
use bucketdesk_core::sign_in::{self, Entry, Purpose, RequestOutcome, VerifyOutcome};
use bucketdesk_domain::Email;
use bucketdesk_domain::login::LoginCode;
use bucketdesk_mail::AccountChangedMail;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/account/confirm", post(confirm))
        .route("/account/sessions/{session}/end", post(end_session))
}

/// A change to how one signs in, waiting for the proof of identity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Change {
    LinkGithub,
    UnlinkGithub,
    AddAuthenticator,
    RenewRecoveryCodes,
    RemoveSecondFactor,
    AddPasskey,
    RemovePasskey(Uuid),
    /// Linking the single sign-on provider of that name.
    LinkSso(String),
}

impl Change {
    /// For the confirmation mail: "Your code to confirm …".
    fn what(&self) -> &'static str {
        match self {
            Change::LinkGithub => "linking GitHub to your account",
            Change::UnlinkGithub => "unlinking GitHub from your account",
            Change::AddAuthenticator => "adding an authenticator app to your account",
            Change::RenewRecoveryCodes => "making new recovery codes",
            Change::RemoveSecondFactor => "removing your authenticator app",
            Change::AddPasskey => "adding a passkey to your account",
            Change::RemovePasskey(_) => "removing a passkey from your account",
            Change::LinkSso(_) => "linking single sign-on to your account",
        }
    }
}

/// The session key of a change waiting for its code.
const PENDING: &str = "pending_change";

#[derive(Debug, Clone, Serialize, Deserialize)]
struct PendingChange {
    code_id: Uuid,
    change: Change,
}

#[derive(Template, WebTemplate)]
#[template(path = "account/confirm.html")]
struct ConfirmPage {
    csrf: String,
    email: String,
    what: &'static str,
    error: Option<String>,
}

/// Mails a code to the signed-in person and asks for it: the change goes
/// ahead once it is typed (see [`confirm`]).
pub(crate) async fn confirm_first(
    state: &AppState,
    me: &CurrentUser,
    client: &ClientInfo,
    csrf: String,
    change: Change,
) -> Result<Response> {
    let email = Email::parse(&me.user.email)
        .map_err(|e| AppError::Internal(format!("stored address: {e}")))?;
    let purpose = Purpose::Confirm {
        what: change.what(),
    };
    let mut page = ConfirmPage {
        csrf,
        email: me.user.email.clone(),
        what: change.what(),
        error: None,
    };
    let outcome = sign_in::request_code(
        &state.db,
        state.sign_in_rules(),
        &email,
        &client.origin(),
        purpose,
    )
    .await?;
    match outcome {
        RequestOutcome::Sent { code_id, mail, .. } => {
            if let Some(mail) = mail {
                crate::code_mail::send(state, mail);
            }
            me.session
                .insert(PENDING, PendingChange { code_id, change })
                .await?;
            Ok(page.into_response())
        }
        _ => {
            page.error = Some(
                "Too many codes were sent to your address in a short time. Use the newest one, or wait a few minutes and try again."
                    .into(),
            );
            Ok((StatusCode::TOO_MANY_REQUESTS, page).into_response())
        }
    }
}

#[derive(Deserialize)]
struct CodeForm {
    #[serde(default)]
    code: String,
}

async fn confirm(
    State(state): State<AppState>,
    me: CurrentUser,
    client: ClientInfo,
    CsrfToken(csrf): CsrfToken,
    Form(form): Form<CodeForm>,
) -> Result<Response> {
    let Some(pending) = me.session.get::<PendingChange>(PENDING).await? else {
        return Ok(Redirect::to("/").into_response());
    };
    let again = |status: StatusCode, error: String| {
        let page = ConfirmPage {
            csrf: csrf.clone(),
            email: me.user.email.clone(),
            what: pending.change.what(),
            error: Some(error),
        };
        (status, page).into_response()
    };
    let code = match LoginCode::parse(&form.code) {
        Ok(code) => code,
        Err(e) => return Ok(again(StatusCode::UNPROCESSABLE_ENTITY, e.to_string())),
    };
    let email = Email::parse(&me.user.email)
        .map_err(|e| AppError::Internal(format!("stored address: {e}")))?;
    let entry = Entry::Browser {
        code_id: pending.code_id,
        email,
    };
    let purpose = Purpose::Confirm {
        what: pending.change.what(),
    };
    let rules = state.sign_in_rules();
    let origin = client.origin();
    match sign_in::verify_code(&state.db, rules, entry, &code, &origin, purpose).await? {
        VerifyOutcome::Verified { user, .. } if user.id == me.user.id => {}
        VerifyOutcome::Verified { .. } => return Err(AppError::Unauthorized),
        VerifyOutcome::Wrong { tries_left } => {
            let error = format!("That code is not right. {tries_left} tries left for this code.");
            return Ok(again(StatusCode::UNPROCESSABLE_ENTITY, error));
        }
        VerifyOutcome::Locked(_) => {
            let error = "Too many wrong codes: try again in an hour.".to_owned();
            return Ok(again(StatusCode::TOO_MANY_REQUESTS, error));
        }
        _ => {
            let error = "This code no longer works. Start again from your account page.";
            return Ok(again(StatusCode::UNPROCESSABLE_ENTITY, error.to_owned()));
        }
    }
    me.session.remove::<PendingChange>(PENDING).await?;
    session::mark_reauthenticated(&state.db, &me.session, &me.signed_in).await?;
    match pending.change {
        Change::LinkGithub => super::github::start_link(&state, &me).await,
        Change::UnlinkGithub => super::github::unlink_now(&state, &me, &client).await,
        Change::AddAuthenticator => super::second_factor::show_new_authenticator(&me, csrf).await,
        Change::RenewRecoveryCodes => {
            super::second_factor::renew_codes_now(&state, &me, &client).await
        }
        Change::RemoveSecondFactor => super::second_factor::remove_now(&state, &me, &client).await,
        Change::AddPasskey => Ok(super::passkeys::after_confirmation()),
        Change::RemovePasskey(id) => super::passkeys::remove_now(&state, &me, &client, id).await,
        Change::LinkSso(name) => super::sso::start_link(&state, &me, &name).await,
    }
}

/// Mails the owner about a change to how they sign in, in the background.
pub(crate) fn tell_owner(state: &AppState, me: &CurrentUser, client: &ClientInfo, what: String) {
    tell_account_owner(state, &me.user.email, client, what);
}

/// [`tell_owner`] for an account known by its address (one signing in).
pub(crate) fn tell_account_owner(state: &AppState, email: &str, client: &ClientInfo, what: String) {
    let Ok(to) = Email::parse(email) else {
        return;
    };
    let mailer = state.mailer.clone();
    let account_link = state.settings.link("/");
    let email = email.to_owned();
    let ip = client.ip_str().to_owned();
    let user_agent = client
        .user_agent
        .clone()
        .unwrap_or_else(|| "an unknown browser".into());
    tokio::spawn(async move {
        let at = crate::pages::utc_minutes(time::OffsetDateTime::now_utc());
        let mail = AccountChangedMail {
            what: &what,
            email: &email,
            at: &at,
            ip: &ip,
            user_agent: &user_agent,
            account_link: &account_link,
        }
        .render(&to);
        let sent = match mail {
            Ok(mail) => mailer.send(mail).await.map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        if let Err(error) = sent {
            tracing::error!(%error, "could not send an account change mail");
        }
    });
}

/// Ends one of the person's own sessions, on another device or this one.
async fn end_session(
    State(state): State<AppState>,
    me: CurrentUser,
    client: ClientInfo,
    Path(id): Path<Uuid>,
) -> Result<Response> {
    let lifetimes = state.settings.session_lifetimes();
    sessions::end(&state.db, &me.actor(), &client.origin(), id, lifetimes).await?;
    if id == me.signed_in.id {
        session::discard(&me.session).await?;
        return Ok(Redirect::to("/login?signed_out=1").into_response());
    }
    Ok(Redirect::to("/?done=session_ended").into_response())
}
