//! Sign-in with a one-time code: `/login` asks for the email, `/login/code`
//! for the code.

use crate::extract::{ClientInfo, CsrfToken, Form, MaybeUser};
use crate::sign_in::{self, RequestOutcome, VerifyOutcome};
use crate::{AppError, AppState, Result, session};
use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use bucketdesk_domain::Email;
use bucketdesk_domain::login::LoginCode;
use serde::Deserialize;
use time::OffsetDateTime;
use tower_sessions::Session;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/login", get(show_email_form).post(request_code))
        .route("/login/code", get(show_code_form).post(submit_code))
}

#[derive(Template, WebTemplate)]
#[template(path = "sign_in/email.html")]
struct EmailPage {
    csrf: String,
    github: bool,
    /// Where to go after signing in, carried through the form.
    next: String,
    email: String,
    error: Option<String>,
    notice: Option<&'static str>,
    signed_in: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "sign_in/code.html")]
struct CodePage {
    csrf: String,
    email: String,
    next: String,
    error: Option<String>,
    signed_in: bool,
}

#[derive(Deserialize, Default)]
struct NoticeQuery {
    #[serde(default)]
    signed_out: Option<String>,
    #[serde(default)]
    next: String,
}

/// `next` when it is a path on this site, else nothing.
fn next_path(next: &str) -> String {
    session::local_path(next).unwrap_or_default()
}

async fn show_email_form(
    State(state): State<AppState>,
    user: MaybeUser,
    CsrfToken(csrf): CsrfToken,
    Query(q): Query<NoticeQuery>,
) -> Response {
    let next = next_path(&q.next);
    if user.is_some() {
        return Redirect::to(if next.is_empty() { "/" } else { &next }).into_response();
    }
    let notice = q.signed_out.map(|_| "You are signed out.");
    EmailPage {
        csrf,
        github: state.github.is_some(),
        next,
        email: String::new(),
        error: None,
        notice,
        signed_in: false,
    }
    .into_response()
}

#[derive(Deserialize)]
struct EmailForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    next: String,
}

async fn request_code(
    State(state): State<AppState>,
    session: Session,
    client: ClientInfo,
    CsrfToken(csrf): CsrfToken,
    Form(form): Form<EmailForm>,
) -> Result<Response> {
    let next = next_path(&form.next);
    let again = |error: String, status: StatusCode| {
        let email = form.email.chars().take(300).collect();
        (
            status,
            EmailPage {
                csrf: csrf.clone(),
                github: state.github.is_some(),
                next: next.clone(),
                email,
                error: Some(error),
                notice: None,
                signed_in: false,
            },
        )
            .into_response()
    };
    let email = match Email::parse(&form.email) {
        Ok(email) => email,
        Err(e) => return Ok(again(e.to_string(), StatusCode::UNPROCESSABLE_ENTITY)),
    };
    match sign_in::request_code(&state, &email, &client).await? {
        RequestOutcome::Sent { code_id } => {
            let next = (!next.is_empty()).then(|| next.clone());
            session::set_pending_login(&session, session::PendingLogin { code_id, email: email.to_string(), next }).await?;
            Ok(Redirect::to("/login/code").into_response())
        }
        RequestOutcome::TooManyForEmail => Ok(again(
            "Three codes were sent to this address in the last 15 minutes. Use the newest one, or wait a few minutes and ask again.".into(),
            StatusCode::TOO_MANY_REQUESTS,
        )),
        RequestOutcome::TooManyForIp => Ok(again(
            "Too many codes were asked for from your network in the last hour. Wait a while and try again.".into(),
            StatusCode::TOO_MANY_REQUESTS,
        )),
        RequestOutcome::Locked { until } => Ok(again(locked_message(until), StatusCode::TOO_MANY_REQUESTS)),
    }
}

async fn show_code_form(session: Session, CsrfToken(csrf): CsrfToken) -> Result<Response> {
    match session::pending_login(&session).await? {
        Some(pending) => Ok(CodePage {
            csrf,
            email: pending.email,
            next: pending.next.unwrap_or_default(),
            error: None,
            signed_in: false,
        }
        .into_response()),
        None => Ok(Redirect::to("/login").into_response()),
    }
}

#[derive(Deserialize)]
struct CodeForm {
    #[serde(default)]
    code: String,
}

async fn submit_code(
    State(state): State<AppState>,
    session: Session,
    client: ClientInfo,
    CsrfToken(csrf): CsrfToken,
    Form(form): Form<CodeForm>,
) -> Result<Response> {
    let Some(pending) = session::pending_login(&session).await? else {
        // S4: a code only works in the browser that asked for it
        return Ok((
            StatusCode::BAD_REQUEST,
            EmailPage {
                csrf,
                github: state.github.is_some(),
                next: String::new(),
                email: String::new(),
                error: Some(
                    "This browser did not ask for a sign-in code, or it already used it. Enter your email here to get a code in this browser."
                        .into(),
                ),
                notice: None,
                signed_in: false,
            },
        )
            .into_response());
    };
    let again = |error: String, status: StatusCode| {
        (
            status,
            CodePage {
                csrf: csrf.clone(),
                email: pending.email.clone(),
                next: pending.next.clone().unwrap_or_default(),
                error: Some(error),
                signed_in: false,
            },
        )
            .into_response()
    };
    let code = match LoginCode::parse(&form.code) {
        Ok(code) => code,
        Err(e) => return Ok(again(e.to_string(), StatusCode::UNPROCESSABLE_ENTITY)),
    };
    let email = Email::parse(&pending.email)
        .map_err(|_| AppError::Internal("bad email in session".into()))?;
    let outcome = sign_in::verify_code(&state, pending.code_id, &email, &code, &client).await?;
    let dead = |message: &str| {
        again(
            format!("{message} Ask for a new code below."),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
    };
    Ok(match outcome {
        // the code is spent now; should saving the session fail (database
        // gone in between), the person asks for a new code
        VerifyOutcome::SignedIn(user) => {
            session::sign_in(&session, &user).await?;
            Redirect::to(pending.next.as_deref().unwrap_or("/")).into_response()
        }
        VerifyOutcome::Wrong { tries_left } => again(
            format!(
                "That code is not right. {tries_left} {} left for this code.",
                if tries_left == 1 { "try" } else { "tries" }
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        VerifyOutcome::TooManyTries => {
            dead("That code is not right, and it has been tried too often, so it no longer works.")
        }
        VerifyOutcome::Expired => dead("This code has expired: codes work for 10 minutes."),
        VerifyOutcome::NoLongerValid => {
            dead("This code no longer works: it was already used, or a newer code replaced it.")
        }
        VerifyOutcome::Locked { until } => {
            again(locked_message(until), StatusCode::TOO_MANY_REQUESTS)
        }
    })
}

fn locked_message(until: OffsetDateTime) -> String {
    let minutes = ((until - OffsetDateTime::now_utc()).whole_seconds().max(60) + 59) / 60;
    format!(
        "Sign-in by code is locked for this address for {minutes} more minutes, after too many wrong codes. If that was not you, someone may be guessing: nothing else is needed from you."
    )
}
