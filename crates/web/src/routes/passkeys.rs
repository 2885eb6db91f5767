//! Passkeys: adding one on the account page (after a fresh proof of
//! identity), renaming and removing them, signing in with one alone from
//! the sign-in page, and using one as the second step. The page's script
//! (`static/app.js`) talks JSON to the `options` and answer routes; each
//! ceremony's state waits in the session in between.

use super::account_security::{Change, confirm_first, tell_owner};
use crate::extract::{ClientInfo, CsrfToken, CurrentUser, Form};
use crate::{AppError, AppState, Result, session};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use bucketdesk_core::CoreError;
use bucketdesk_core::passkeys::Passkeys;
use bucketdesk_core::second_factor::Check;
use serde::Deserialize;
use serde_json::json;
use tower_sessions::Session;
use uuid::Uuid;
use webauthn_rs::prelude::{
    DiscoverableAuthentication, PasskeyAuthentication, PasskeyRegistration, PublicKeyCredential,
    RegisterPublicKeyCredential,
};

/// Session keys of the ceremonies under way.
const ADDING: &str = "passkey_adding";
const SIGNING_IN: &str = "passkey_sign_in";
const SECOND_STEP: &str = "passkey_second_step";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/account/passkeys/new", get(show_new).post(ask_to_add))
        .route("/account/passkeys/options", post(adding_options))
        .route("/account/passkeys", post(add))
        .route("/account/passkeys/{passkey}/rename", post(rename))
        .route("/account/passkeys/{passkey}/remove", post(remove))
        .route("/login/passkey/options", post(sign_in_options))
        .route("/login/passkey", post(sign_in))
        .route(
            "/login/second-factor/passkey/options",
            post(second_step_options),
        )
        .route("/login/second-factor/passkey", post(second_step))
}

/// A JSON refusal the page's script shows as it is.
fn refused(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}

fn passkeys(state: &AppState) -> Result<&Passkeys> {
    state.passkeys.as_ref().ok_or(AppError::NotFound)
}

#[derive(Template, WebTemplate)]
#[template(path = "account/new_passkey.html")]
struct NewPasskeyPage {
    csrf: String,
}

/// "Add a passkey": after a fresh proof of identity, the page whose button
/// creates one.
async fn ask_to_add(
    State(state): State<AppState>,
    me: CurrentUser,
    client: ClientInfo,
    CsrfToken(csrf): CsrfToken,
) -> Result<Response> {
    passkeys(&state)?;
    if !me.signed_in.freshly_reauthenticated() {
        return confirm_first(&state, &me, &client, csrf, Change::AddPasskey).await;
    }
    Ok(Redirect::to("/account/passkeys/new").into_response())
}

async fn show_new(
    State(state): State<AppState>,
    me: CurrentUser,
    CsrfToken(csrf): CsrfToken,
) -> Result<Response> {
    passkeys(&state)?;
    if !me.signed_in.freshly_reauthenticated() {
        return Ok(Redirect::to("/account/second-factor").into_response());
    }
    Ok(NewPasskeyPage { csrf }.into_response())
}

/// What a confirmed "add a passkey" leads to.
pub(super) fn after_confirmation() -> Response {
    Redirect::to("/account/passkeys/new").into_response()
}

const TOO_SLOW: &str = "Adding a passkey took longer than the confirmation with your code allows. Start again from your account page.";

async fn adding_options(State(state): State<AppState>, me: CurrentUser) -> Result<Response> {
    let passkeys = passkeys(&state)?;
    if !me.signed_in.freshly_reauthenticated() {
        return Ok(refused(StatusCode::FORBIDDEN, TOO_SLOW));
    }
    let (options, ceremony) = passkeys.start_adding(&state.db, &me.actor()).await?;
    me.session.insert(ADDING, ceremony).await?;
    Ok(Json(options).into_response())
}

#[derive(Deserialize)]
struct NewPasskey {
    name: String,
    credential: RegisterPublicKeyCredential,
}

async fn add(
    State(state): State<AppState>,
    me: CurrentUser,
    client: ClientInfo,
    Json(new): Json<NewPasskey>,
) -> Result<Response> {
    let passkeys = passkeys(&state)?;
    if !me.signed_in.freshly_reauthenticated() {
        return Ok(refused(StatusCode::FORBIDDEN, TOO_SLOW));
    }
    let Some(ceremony) = me.session.remove::<PasskeyRegistration>(ADDING).await? else {
        return Ok(refused(
            StatusCode::BAD_REQUEST,
            "This browser did not start adding a passkey. Reload the page and try again.",
        ));
    };
    let added = passkeys
        .finish_adding(
            &state.db,
            &me.actor(),
            &client.origin(),
            &new.name,
            &new.credential,
            &ceremony,
        )
        .await;
    let codes = match added {
        Ok(codes) => codes,
        Err(CoreError::Invalid(problems)) => {
            let message = problems
                .into_iter()
                .map(|p| p.message)
                .collect::<Vec<_>>()
                .join(" ");
            return Ok(refused(StatusCode::UNPROCESSABLE_ENTITY, &message));
        }
        Err(CoreError::Conflict { message, .. }) => {
            return Ok(refused(StatusCode::CONFLICT, &message));
        }
        Err(other) => return Err(other.into()),
    };
    tell_owner(
        &state,
        &me,
        &client,
        format!("A passkey, \"{}\", was added", new.name.trim()),
    );
    let next = match codes {
        Some(codes) => {
            super::second_factor::keep_codes_to_show(&me.session, codes).await?;
            super::second_factor::NEW_CODES_PAGE
        }
        None => "/account/second-factor?done=passkey_added",
    };
    Ok(Json(json!({ "next": next })).into_response())
}

#[derive(Deserialize)]
struct NameForm {
    #[serde(default)]
    name: String,
}

async fn rename(
    State(state): State<AppState>,
    me: CurrentUser,
    Path(id): Path<Uuid>,
    Form(form): Form<NameForm>,
) -> Result<Response> {
    bucketdesk_core::passkeys::rename(&state.db, &me.actor(), id, &form.name).await?;
    Ok(Redirect::to("/account/second-factor?done=passkey_renamed").into_response())
}

async fn remove(
    State(state): State<AppState>,
    me: CurrentUser,
    client: ClientInfo,
    CsrfToken(csrf): CsrfToken,
    Path(id): Path<Uuid>,
) -> Result<Response> {
    let mine = bucketdesk_core::passkeys::list(&state.db, &me.actor()).await?;
    if !mine.iter().any(|passkey| passkey.id == id) {
        // no code is asked for a passkey that is not there
        return Err(AppError::NotFound);
    }
    if !me.signed_in.freshly_reauthenticated() {
        return confirm_first(&state, &me, &client, csrf, Change::RemovePasskey(id)).await;
    }
    remove_now(&state, &me, &client, id).await
}

/// Removes the passkey (the person proved it was them just now).
pub(super) async fn remove_now(
    state: &AppState,
    me: &CurrentUser,
    client: &ClientInfo,
    id: Uuid,
) -> Result<Response> {
    let name =
        bucketdesk_core::passkeys::remove(&state.db, &me.actor(), &client.origin(), id).await?;
    tell_owner(
        state,
        me,
        client,
        format!("The passkey \"{name}\" was removed"),
    );
    Ok(Redirect::to("/account/second-factor?done=passkey_removed").into_response())
}

async fn sign_in_options(State(state): State<AppState>, session: Session) -> Result<Response> {
    let (options, ceremony) = passkeys(&state)?.start_sign_in()?;
    session.insert(SIGNING_IN, ceremony).await?;
    Ok(Json(options).into_response())
}

#[derive(Deserialize)]
struct Answer {
    credential: PublicKeyCredential,
    #[serde(default)]
    next: String,
}

async fn sign_in(
    State(state): State<AppState>,
    session: Session,
    client: ClientInfo,
    Json(answer): Json<Answer>,
) -> Result<Response> {
    let passkeys = passkeys(&state)?;
    let Some(ceremony) = session
        .remove::<DiscoverableAuthentication>(SIGNING_IN)
        .await?
    else {
        return Ok(refused(
            StatusCode::BAD_REQUEST,
            "This browser did not start a passkey sign-in. Reload the page and try again.",
        ));
    };
    let origin = client.origin();
    let Some(user) = passkeys
        .finish_sign_in(&state.db, &origin, &answer.credential, ceremony)
        .await?
    else {
        return Ok(refused(
            StatusCode::UNAUTHORIZED,
            "That passkey does not sign in to any account here (it may have been removed). Sign in with an email code instead.",
        ));
    };
    // user verification on the device: two factors in one
    session::sign_in(&state.db, &session, &user, &origin, "passkey", true).await?;
    let next = session::local_path(&answer.next).unwrap_or_else(|| "/".into());
    Ok(Json(json!({ "next": next })).into_response())
}

async fn second_step_options(State(state): State<AppState>, session: Session) -> Result<Response> {
    let passkeys = passkeys(&state)?;
    let Some((_, user)) = super::second_factor::waiting(&state, &session).await? else {
        return Ok(refused(
            StatusCode::BAD_REQUEST,
            "The sign-in is over. Start again from the sign-in page.",
        ));
    };
    let Some((options, ceremony)) = passkeys.start_second_step(&state.db, &user).await? else {
        return Ok(refused(
            StatusCode::BAD_REQUEST,
            "This account has no passkey: type the code from your authenticator app.",
        ));
    };
    session.insert(SECOND_STEP, ceremony).await?;
    Ok(Json(options).into_response())
}

async fn second_step(
    State(state): State<AppState>,
    session: Session,
    client: ClientInfo,
    Json(answer): Json<Answer>,
) -> Result<Response> {
    let passkeys = passkeys(&state)?;
    let (Some((step, user)), Some(ceremony)) = (
        super::second_factor::waiting(&state, &session).await?,
        session.remove::<PasskeyAuthentication>(SECOND_STEP).await?,
    ) else {
        return Ok(refused(
            StatusCode::BAD_REQUEST,
            "The sign-in is over. Start again from the sign-in page.",
        ));
    };
    let origin = client.origin();
    let checked = passkeys
        .finish_second_step(
            &state.db,
            &user,
            &origin,
            &step.method,
            &answer.credential,
            &ceremony,
        )
        .await?;
    match checked {
        Check::Passed | Check::PassedWithRecoveryCode { .. } => {
            session::sign_in(&state.db, &session, &user, &origin, &step.method, true).await?;
            let next = step.next.unwrap_or_else(|| "/".into());
            Ok(Json(json!({ "next": next })).into_response())
        }
        Check::Wrong => {
            super::second_factor::tell_of_wrong_factor(&state, &user, &client);
            Ok(refused(
                StatusCode::UNPROCESSABLE_ENTITY,
                "That passkey was not accepted. Try again, or type a code.",
            ))
        }
        Check::Locked => {
            session::clear_second_step(&session).await?;
            Ok(refused(
                StatusCode::TOO_MANY_REQUESTS,
                super::second_factor::LOCKED,
            ))
        }
    }
}
