//! Sign-in with a one-time code: `/login` asks for the email, `/login/code`
//! for the code in the browser that asked; `/login/email/{token}`, the
//! link in the code's mail, for the code in any browser.

use crate::extract::{ClientInfo, CsrfToken, Form, MaybeUser};
use crate::{AppError, AppState, Result, session};
use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use bucketdesk_core::random_token::looks_like_token;
use bucketdesk_core::sign_in::{self, Entry, Purpose, RequestOutcome, VerifyOutcome};
use bucketdesk_db::login::Lockout;
use bucketdesk_domain::Email;
use bucketdesk_domain::login::LoginCode;
use serde::Deserialize;
use time::OffsetDateTime;
use tower_sessions::Session;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/login", get(show_email_form).post(request_code))
        .route("/login/code", get(show_code_form).post(submit_code))
        .route(
            "/login/email/{token}",
            get(show_link_form).post(submit_link_code),
        )
}

#[derive(Template, WebTemplate)]
#[template(path = "sign_in/email.html")]
struct EmailPage {
    csrf: String,
    github: bool,
    /// The single sign-on buttons: (provider's name, words on the button).
    sso: Vec<(String, String)>,
    /// Whether email codes sign in here (not when SSO is the only way in).
    codes: bool,
    /// "Sign in with a passkey" (the public URL is a domain name).
    passkeys: bool,
    /// Where to go after signing in, carried through the form.
    next: String,
    email: String,
    error: Option<String>,
    notice: Option<&'static str>,
    /// After signing out of a single sign-on session: the provider's name
    /// and where to sign out of it too.
    sso_sign_out: Option<(String, String)>,
}

impl EmailPage {
    fn new(state: &AppState, csrf: String, next: String) -> EmailPage {
        EmailPage {
            csrf,
            github: state.github.is_some(),
            sso: state
                .sso
                .iter()
                .map(|p| (p.settings.name.clone(), p.settings.display_name.clone()))
                .collect(),
            codes: state.sign_in_rules().codes_sign_in,
            passkeys: state.passkeys.is_some(),
            next,
            email: String::new(),
            error: None,
            notice: None,
            sso_sign_out: None,
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "sign_in/code.html")]
struct CodePage {
    csrf: String,
    email: String,
    next: String,
    /// Codes typed here do not work for this address now: use the mail's link.
    link_only: bool,
    error: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "sign_in/link.html")]
struct LinkPage {
    csrf: String,
    /// The address this link signs in; none when the link no longer works.
    email: Option<String>,
    action: String,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
struct NoticeQuery {
    #[serde(default)]
    signed_out: Option<String>,
    #[serde(default)]
    next: String,
}

/// Codes do not sign anyone in here (single sign-on is the only way in).
const CODES_OFF: &str =
    "Email codes are off here: sign in with your organization's single sign-on.";

/// The sign-in page saying codes are off.
fn codes_off(state: &AppState, csrf: String) -> Response {
    let mut page = EmailPage::new(state, csrf, String::new());
    page.error = Some(CODES_OFF.into());
    (StatusCode::FORBIDDEN, page).into_response()
}

/// `next` when it is a path on this site, else nothing.
fn next_path(next: &str) -> String {
    session::local_path(next).unwrap_or_default()
}

async fn show_email_form(
    State(state): State<AppState>,
    user: MaybeUser,
    session: Session,
    CsrfToken(csrf): CsrfToken,
    Query(q): Query<NoticeQuery>,
) -> Result<Response> {
    let next = next_path(&q.next);
    if user.is_some() {
        return Ok(Redirect::to(if next.is_empty() { "/" } else { &next }).into_response());
    }
    let mut page = EmailPage::new(&state, csrf, next);
    page.notice = q
        .signed_out
        .as_ref()
        .map(|_| "You are signed out of bucketdesk.");
    if q.signed_out.is_some() {
        page.sso_sign_out = session
            .remove::<(String, String)>(super::sso::SIGN_OUT_THERE)
            .await?;
    }
    Ok(page.into_response())
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
    let again = |error: &str| {
        let mut page = EmailPage::new(&state, csrf.clone(), next.clone());
        page.email = form.email.chars().take(300).collect();
        page.error = Some(error.to_owned());
        page
    };
    let email = match Email::parse(&form.email) {
        Ok(email) => email,
        Err(e) => {
            let page = again(&e.to_string());
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };
    let (rules, origin) = (state.sign_in_rules(), client.origin());
    let outcome = sign_in::request_code(&state.db, rules, &email, &origin, Purpose::SignIn).await?;
    let too_many = match outcome {
        RequestOutcome::Sent {
            code_id,
            link_only,
            mail,
        } => {
            if let Some(mail) = mail {
                crate::code_mail::send(&state, mail);
            }
            let pending = session::PendingLogin {
                code_id,
                email: email.to_string(),
                next: (!next.is_empty()).then(|| next.clone()),
                link_only,
            };
            session::set_pending_login(&session, pending).await?;
            return Ok(Redirect::to("/login/code").into_response());
        }
        RequestOutcome::TooManyForEmail => {
            "Three codes were sent to this address from your network in the last 15 minutes. \
             Use the newest one, or wait a few minutes and ask again."
        }
        RequestOutcome::TooManyForEmailEverywhere => {
            "Many codes were sent to this address in the last hour, so no more go out for now. \
             Use the newest email: its sign-in link works in any browser, with its code."
        }
        RequestOutcome::TooManyForIp => {
            "Too many codes were asked for from your network in the last hour. Wait a while and try again."
        }
        RequestOutcome::CodesOff => return Ok(codes_off(&state, csrf.clone())),
    };
    Ok((StatusCode::TOO_MANY_REQUESTS, again(too_many)).into_response())
}

async fn show_code_form(session: Session, CsrfToken(csrf): CsrfToken) -> Result<Response> {
    match session::pending_login(&session).await? {
        Some(pending) => Ok(CodePage {
            csrf,
            email: pending.email,
            next: pending.next.unwrap_or_default(),
            link_only: pending.link_only,
            error: None,
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

/// The words for an outcome that is not a sign-in (or a proved address).
pub(crate) fn refusal(outcome: &VerifyOutcome) -> (StatusCode, String) {
    let dead = |message: &str| {
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("{message} Ask for a new code."),
        )
    };
    match outcome {
        VerifyOutcome::Verified { .. } | VerifyOutcome::AddressVerified { .. } => {
            (StatusCode::OK, String::new())
        }
        VerifyOutcome::Wrong { tries_left } => (
            StatusCode::UNPROCESSABLE_ENTITY,
            format!(
                "That code is not right. {tries_left} {} left for this code.",
                if *tries_left == 1 { "try" } else { "tries" }
            ),
        ),
        VerifyOutcome::TooManyTries => {
            dead("That code is not right, and it has been tried too often, so it no longer works.")
        }
        VerifyOutcome::Expired => dead("This code has expired: codes work for 10 minutes."),
        VerifyOutcome::NoLongerValid => {
            dead("This code no longer works: it was already used, or a newer code replaced it.")
        }
        VerifyOutcome::Locked(lockout) => (StatusCode::TOO_MANY_REQUESTS, locked_message(lockout)),
        VerifyOutcome::CodesOff => (StatusCode::FORBIDDEN, CODES_OFF.into()),
    }
}

async fn submit_code(
    State(state): State<AppState>,
    session: Session,
    client: ClientInfo,
    CsrfToken(csrf): CsrfToken,
    Form(form): Form<CodeForm>,
) -> Result<Response> {
    // (the core refuses such codes too; this spares the lookups first)
    if !state.sign_in_rules().codes_sign_in {
        return Ok(codes_off(&state, csrf));
    }
    let Some(pending) = session::pending_login(&session).await? else {
        // S4: a code only works in the browser that asked for it
        let mut page = EmailPage::new(&state, csrf, String::new());
        page.error = Some(
            "This browser did not ask for a sign-in code, or it already used it. Enter your email here to get a code in this browser, \
             or open the sign-in link in the code's email."
                .into(),
        );
        return Ok((StatusCode::BAD_REQUEST, page).into_response());
    };
    let again = |(status, error): (StatusCode, String)| {
        (
            status,
            CodePage {
                csrf: csrf.clone(),
                email: pending.email.clone(),
                next: pending.next.clone().unwrap_or_default(),
                link_only: pending.link_only,
                error: Some(error),
            },
        )
            .into_response()
    };
    let code = match LoginCode::parse(&form.code) {
        Ok(code) => code,
        Err(e) => return Ok(again((StatusCode::UNPROCESSABLE_ENTITY, e.to_string()))),
    };
    let email = Email::parse(&pending.email)
        .map_err(|_| AppError::Internal("bad email in session".into()))?;
    let entry = Entry::Browser {
        code_id: pending.code_id,
        email,
    };
    let (rules, origin) = (state.sign_in_rules(), client.origin());
    match sign_in::verify_code(&state.db, rules, entry, &code, &origin, Purpose::SignIn).await? {
        // the code is spent now; should saving the session fail (database
        // gone in between), the person asks for a new code
        VerifyOutcome::Verified { user, method } => {
            super::second_factor::after_first_factor(
                &state,
                &session,
                &user,
                &origin,
                method,
                pending.next,
            )
            .await
        }
        other => Ok(again(refusal(&other))),
    }
}

async fn link_page(state: &AppState, token: &str, csrf: String) -> Result<LinkPage> {
    let email = if looks_like_token(token) {
        sign_in::email_of_link(&state.db, token).await?
    } else {
        None
    };
    Ok(LinkPage {
        csrf,
        email,
        action: format!("/login/email/{token}"),
        error: None,
    })
}

async fn show_link_form(
    State(state): State<AppState>,
    CsrfToken(csrf): CsrfToken,
    Path(token): Path<String>,
) -> Result<Response> {
    let page = link_page(&state, &token, csrf).await?;
    let status = if page.email.is_some() {
        StatusCode::OK
    } else {
        StatusCode::GONE
    };
    Ok((status, page).into_response())
}

/// The code entered on the mail link's page: works in any browser, and no
/// lockout stops it (whoever has the link has the mailbox); the code's own
/// five tries still hold.
async fn submit_link_code(
    State(state): State<AppState>,
    session: Session,
    client: ClientInfo,
    CsrfToken(csrf): CsrfToken,
    Path(token): Path<String>,
    Form(form): Form<CodeForm>,
) -> Result<Response> {
    // (the core refuses such codes too; this spares the lookups first)
    if !state.sign_in_rules().codes_sign_in {
        return Ok(codes_off(&state, csrf));
    }
    let mut page = link_page(&state, &token, csrf).await?;
    if page.email.is_none() {
        return Ok((StatusCode::GONE, page).into_response());
    }
    let code = match LoginCode::parse(&form.code) {
        Ok(code) => code,
        Err(e) => {
            page.error = Some(e.to_string());
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };
    let (rules, origin) = (state.sign_in_rules(), client.origin());
    let entry = Entry::MailLink { token };
    match sign_in::verify_code(&state.db, rules, entry, &code, &origin, Purpose::SignIn).await? {
        VerifyOutcome::Verified { user, method } => {
            super::second_factor::after_first_factor(&state, &session, &user, &origin, method, None)
                .await
        }
        other => {
            let (status, error) = refusal(&other);
            page.error = Some(error);
            Ok((status, page).into_response())
        }
    }
}

fn locked_message(lockout: &Lockout) -> String {
    let minutes = ((lockout.until - OffsetDateTime::now_utc())
        .whole_seconds()
        .max(60)
        + 59)
        / 60;
    let whose = if lockout.everywhere {
        "from anywhere"
    } else {
        "from your network"
    };
    format!(
        "After too many wrong codes {whose}, codes typed here do not work for this address for {minutes} more minutes. \
         If it is your address, open the sign-in link in the code's email (it works in any browser) and enter the code there. \
         If the wrong codes were not yours, someone may be guessing: they cannot get in without your email."
    )
}
