//! A second factor: the account's page for it (`/account/second-factor`),
//! adding an authenticator app (after a fresh proof of identity, S18), its
//! recovery codes, removing it, and the sign-in step that asks for it
//! (`/login/second-factor`) after an email code or GitHub.

use super::account_security::{Change, confirm_first, tell_account_owner, tell_owner};
use crate::extract::{ClientInfo, CsrfToken, CurrentUser, Form};
use crate::{AppError, AppState, Result, session};
use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use bucketdesk_core::Origin;
use bucketdesk_core::second_factor::{self, Check, Enrolment};
use bucketdesk_db::users::{self, User};
use serde::Deserialize;
use time::OffsetDateTime;
use tower_sessions::Session;

/// Where someone who must add a second factor is sent.
pub const REQUIRED_PAGE: &str = "/account/second-factor?required=1";

/// The page that shows recovery codes made with a passkey, once.
pub(super) const NEW_CODES_PAGE: &str = "/account/second-factor/new-codes";

/// The session key of recovery codes waiting to be shown once.
const CODES_TO_SHOW: &str = "recovery_codes_to_show";

/// The words for an account whose second step is locked.
pub(super) const LOCKED: &str = "Too many wrong second factors for this account in the last hour: none is accepted for now. Wait an hour, then sign in again.";

/// The session key of an authenticator app being added: its secret, until
/// a code proves the app has it.
const NEW_AUTHENTICATOR: &str = "new_authenticator";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/account/second-factor", get(show))
        .route(
            "/account/second-factor/authenticator",
            post(add_authenticator),
        )
        .route(
            "/account/second-factor/authenticator/confirm",
            post(confirm_authenticator),
        )
        .route("/account/second-factor/recovery-codes", post(renew_codes))
        .route("/account/second-factor/remove", post(remove))
        .route("/account/second-factor/new-codes", get(show_new_codes))
        .route(
            "/login/second-factor",
            get(show_second_step).post(submit_second_step),
        )
}

/// One of my passkeys, on the page.
struct PasskeyRow {
    id: uuid::Uuid,
    name: String,
    added: String,
    last_used: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "account/second_factor.html")]
struct SecondFactorPage {
    csrf: String,
    authenticator: bool,
    /// Passkeys work on this instance (its address is a domain name).
    passkeys_on: bool,
    passkeys: Vec<PasskeyRow>,
    recovery_codes_left: i64,
    /// Signed in with single sign-on: that counts where a workspace asks.
    single_sign_on: bool,
    /// Came here because a workspace or the instance asks for one.
    required: bool,
    notice: Option<&'static str>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PageQuery {
    required: Option<String>,
    done: String,
}

async fn show(
    State(state): State<AppState>,
    me: CurrentUser,
    CsrfToken(csrf): CsrfToken,
    Query(query): Query<PageQuery>,
) -> Result<SecondFactorPage> {
    let status = second_factor::status(&state.db, &me.actor()).await?;
    let passkeys = bucketdesk_core::passkeys::list(&state.db, &me.actor())
        .await?
        .into_iter()
        .map(|p| PasskeyRow {
            id: p.id,
            name: p.name,
            added: crate::pages::utc_minutes(p.created_at),
            last_used: p
                .last_used_at
                .map_or_else(|| "never".to_owned(), crate::pages::utc_minutes),
        })
        .collect();
    Ok(SecondFactorPage {
        csrf,
        authenticator: status.authenticator,
        passkeys_on: state.passkeys.is_some(),
        passkeys,
        recovery_codes_left: status.recovery_codes_left,
        single_sign_on: me.signed_in.strong && !me.user.second_factor,
        required: query.required.is_some() && !me.actor().strong(),
        notice: match query.done.as_str() {
            "removed" => Some(
                "The authenticator app is removed. Sign-ins ask only for an email code or GitHub now.",
            ),
            "recovery_code_used" => Some(
                "You signed in with a recovery code, which now works no more. Make new codes below if few are left.",
            ),
            "passkey_added" => Some("The passkey is added: sign in with it from the sign-in page."),
            "passkey_renamed" => Some("The passkey is renamed."),
            "passkey_removed" => Some("The passkey is removed: it signs nobody in any more."),
            _ => None,
        },
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "account/authenticator.html")]
struct AuthenticatorPage {
    csrf: String,
    /// The QR code of the `otpauth://` address, as SVG markup.
    qr_svg: String,
    /// The secret in groups of four, for typing by hand.
    secret: String,
    /// The `otpauth://` address, a link for an app on the same phone.
    otpauth_url: String,
    error: Option<String>,
}

impl AuthenticatorPage {
    fn of(csrf: String, new: &second_factor::NewAuthenticator) -> Result<AuthenticatorPage> {
        let qr = qrcode::QrCode::new(new.otpauth_url.as_bytes())
            .map_err(|e| AppError::Internal(format!("QR code: {e}")))?;
        let svg = qr
            .render::<qrcode::render::svg::Color>()
            .min_dimensions(200, 200)
            .dark_color(qrcode::render::svg::Color("#000000"))
            .light_color(qrcode::render::svg::Color("#ffffff"))
            .build();
        // inline in the page: no XML declaration
        let qr_svg = svg
            .find("<svg")
            .map_or(svg.clone(), |at| svg[at..].to_owned());
        let secret = new
            .secret
            .as_bytes()
            .chunks(4)
            .map(|chunk| String::from_utf8_lossy(chunk).into_owned())
            .collect::<Vec<_>>()
            .join(" ");
        Ok(AuthenticatorPage {
            csrf,
            qr_svg,
            secret,
            otpauth_url: new.otpauth_url.clone(),
            error: None,
        })
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "account/recovery_codes.html")]
struct RecoveryCodesPage {
    codes: Vec<String>,
    /// What the codes came with ("app", "passkey"); none when renewed.
    added: Option<&'static str>,
}

/// Keeps recovery codes made with a passkey for [`show_new_codes`].
pub(super) async fn keep_codes_to_show(
    session: &Session,
    codes: Vec<String>,
) -> Result<(), tower_sessions::session::Error> {
    session.insert(CODES_TO_SHOW, codes).await
}

/// The recovery codes made with the account's first passkey, once.
async fn show_new_codes(me: CurrentUser) -> Result<Response> {
    match me.session.remove::<Vec<String>>(CODES_TO_SHOW).await? {
        Some(codes) => Ok(RecoveryCodesPage {
            codes,
            added: Some("passkey"),
        }
        .into_response()),
        None => Ok(Redirect::to("/account/second-factor").into_response()),
    }
}

/// Starts adding an authenticator app: after a fresh proof of identity,
/// the page with the new secret.
async fn add_authenticator(
    State(state): State<AppState>,
    me: CurrentUser,
    client: ClientInfo,
    CsrfToken(csrf): CsrfToken,
) -> Result<Response> {
    if !me.signed_in.freshly_reauthenticated() {
        return confirm_first(&state, &me, &client, csrf, Change::AddAuthenticator).await;
    }
    show_new_authenticator(&me, csrf).await
}

/// The page with a new secret to add to an authenticator app (the person
/// proved it was them just now).
pub(super) async fn show_new_authenticator(me: &CurrentUser, csrf: String) -> Result<Response> {
    let new = second_factor::new_authenticator(&me.user.email);
    me.session
        .insert(NEW_AUTHENTICATOR, new.secret.clone())
        .await?;
    Ok(AuthenticatorPage::of(csrf, &new)?.into_response())
}

#[derive(Deserialize)]
struct CodeForm {
    #[serde(default)]
    code: String,
}

async fn confirm_authenticator(
    State(state): State<AppState>,
    me: CurrentUser,
    client: ClientInfo,
    CsrfToken(csrf): CsrfToken,
    Form(form): Form<CodeForm>,
) -> Result<Response> {
    let Some(secret) = me.session.get::<String>(NEW_AUTHENTICATOR).await? else {
        return Ok(Redirect::to("/account/second-factor").into_response());
    };
    if !me.signed_in.freshly_reauthenticated() {
        me.session.remove::<String>(NEW_AUTHENTICATOR).await?;
        return Err(AppError::BadRequest(
            "Adding the app took longer than the confirmation with your code allows. Start again from your account page."
                .into(),
        ));
    }
    let outcome = second_factor::add_authenticator(
        &state.db,
        &state.second_factors,
        &me.actor(),
        &client.origin(),
        &secret,
        &form.code,
        OffsetDateTime::now_utc(),
    )
    .await?;
    match outcome {
        Enrolment::Added { recovery_codes } => {
            me.session.remove::<String>(NEW_AUTHENTICATOR).await?;
            tell_owner(
                &state,
                &me,
                &client,
                "An authenticator app was added as a second factor".into(),
            );
            Ok(RecoveryCodesPage {
                codes: recovery_codes,
                added: Some("app"),
            }
            .into_response())
        }
        Enrolment::WrongCode => {
            let new = second_factor::NewAuthenticator {
                otpauth_url: second_factor::new_authenticator_url(&me.user.email, &secret),
                secret,
            };
            let mut page = AuthenticatorPage::of(csrf, &new)?;
            page.error = Some(
                "That code does not match. Type the 6 digits the app shows now for bucketdesk; if it keeps failing, check that the phone's clock is set automatically."
                    .into(),
            );
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

async fn renew_codes(
    State(state): State<AppState>,
    me: CurrentUser,
    client: ClientInfo,
    CsrfToken(csrf): CsrfToken,
) -> Result<Response> {
    if !me.user.second_factor {
        // nothing to renew: no code is asked for a click that does nothing
        return Ok(Redirect::to("/account/second-factor").into_response());
    }
    if !me.signed_in.freshly_reauthenticated() {
        return confirm_first(&state, &me, &client, csrf, Change::RenewRecoveryCodes).await;
    }
    renew_codes_now(&state, &me, &client).await
}

/// New recovery codes, shown once (the person proved it was them just now).
pub(super) async fn renew_codes_now(
    state: &AppState,
    me: &CurrentUser,
    client: &ClientInfo,
) -> Result<Response> {
    let codes =
        second_factor::renew_recovery_codes(&state.db, &me.actor(), &client.origin()).await?;
    tell_owner(
        state,
        me,
        client,
        "New recovery codes were made (the old ones no longer work)".into(),
    );
    Ok(RecoveryCodesPage { codes, added: None }.into_response())
}

async fn remove(
    State(state): State<AppState>,
    me: CurrentUser,
    client: ClientInfo,
    CsrfToken(csrf): CsrfToken,
) -> Result<Response> {
    if !me.user.second_factor {
        return Ok(Redirect::to("/account/second-factor").into_response());
    }
    if !me.signed_in.freshly_reauthenticated() {
        return confirm_first(&state, &me, &client, csrf, Change::RemoveSecondFactor).await;
    }
    remove_now(&state, &me, &client).await
}

/// Removes the authenticator app (the person proved it was them just now).
pub(super) async fn remove_now(
    state: &AppState,
    me: &CurrentUser,
    client: &ClientInfo,
) -> Result<Response> {
    if second_factor::remove(&state.db, &me.actor(), &client.origin()).await? {
        tell_owner(
            state,
            me,
            client,
            "The authenticator app (second factor) was removed".into(),
        );
    }
    Ok(Redirect::to("/account/second-factor?done=removed").into_response())
}

/// After the first factor of `user` was passed: signs in, or asks for the
/// second factor first when the account has one.
pub(super) async fn after_first_factor(
    state: &AppState,
    session: &Session,
    user: &User,
    origin: &Origin,
    method: &str,
    next: Option<String>,
) -> Result<Response> {
    if user.second_factor {
        let step = session::SecondStep {
            user_id: user.user_id(),
            method: method.to_owned(),
            next,
            at: session::now(),
        };
        session::start_second_step(session, step).await?;
        return Ok(Redirect::to("/login/second-factor").into_response());
    }
    session::sign_in(&state.db, session, user, origin, method, false).await?;
    Ok(Redirect::to(next.as_deref().unwrap_or("/")).into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "sign_in/second_factor.html")]
struct SecondStepPage {
    csrf: String,
    email: String,
    /// The account has a passkey to use here.
    passkey: bool,
    /// The account has an authenticator app.
    authenticator: bool,
    error: Option<String>,
}

impl SecondStepPage {
    async fn of(state: &AppState, csrf: String, user: &User) -> Result<SecondStepPage> {
        let passkeys = bucketdesk_db::passkeys::of_user(&state.db, user.user_id()).await?;
        let authenticator = bucketdesk_db::second_factor::totp_of(&state.db, user.user_id())
            .await?
            .is_some();
        Ok(SecondStepPage {
            csrf,
            email: user.email.clone(),
            passkey: state.passkeys.is_some() && !passkeys.is_empty(),
            authenticator,
            error: None,
        })
    }
}

/// Mails the owner of `user` that a wrong second factor was tried.
pub(super) fn tell_of_wrong_factor(state: &AppState, user: &User, client: &ClientInfo) {
    tell_account_owner(
        state,
        &user.email,
        client,
        "A wrong second factor was tried after a sign-in passed its first step (an email code or GitHub)"
            .into(),
    );
}

/// The person of the second step waiting in this browser, if any (and
/// their account is still enabled).
pub(super) async fn waiting(
    state: &AppState,
    session: &Session,
) -> Result<Option<(session::SecondStep, User)>> {
    let Some(step) = session::second_step(session).await? else {
        return Ok(None);
    };
    let user = users::find(&state.db, step.user_id)
        .await?
        .filter(|user| !user.is_disabled());
    Ok(user.map(|user| (step, user)))
}

async fn show_second_step(
    State(state): State<AppState>,
    session: Session,
    CsrfToken(csrf): CsrfToken,
) -> Result<Response> {
    match waiting(&state, &session).await? {
        Some((_, user)) => Ok(SecondStepPage::of(&state, csrf, &user)
            .await?
            .into_response()),
        None => Ok(Redirect::to("/login").into_response()),
    }
}

async fn submit_second_step(
    State(state): State<AppState>,
    session: Session,
    client: ClientInfo,
    CsrfToken(csrf): CsrfToken,
    Form(form): Form<CodeForm>,
) -> Result<Response> {
    let Some((step, user)) = waiting(&state, &session).await? else {
        session::clear_second_step(&session).await?;
        return Ok(Redirect::to("/login").into_response());
    };
    let origin = client.origin();
    let mut page = SecondStepPage::of(&state, csrf, &user).await?;
    let again = |status: StatusCode, error: &str| {
        page.error = Some(error.to_owned());
        Ok((status, page).into_response())
    };
    if form.code.trim().is_empty() {
        return again(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Type the 6-digit code your authenticator app shows, or one of your recovery codes.",
        );
    }
    let checked = second_factor::check(
        &state.db,
        &state.second_factors,
        &user,
        &origin,
        &step.method,
        &form.code,
        OffsetDateTime::now_utc(),
    )
    .await?;
    match checked {
        Check::Passed => {
            session::sign_in(&state.db, &session, &user, &origin, &step.method, true).await?;
            Ok(Redirect::to(step.next.as_deref().unwrap_or("/")).into_response())
        }
        Check::PassedWithRecoveryCode { left } => {
            session::sign_in(&state.db, &session, &user, &origin, &step.method, true).await?;
            let what = format!(
                "A recovery code was used to sign in ({left} {} left)",
                if left == 1 { "is" } else { "are" }
            );
            tell_account_owner(&state, &user.email, &client, what);
            Ok(Redirect::to("/account/second-factor?done=recovery_code_used").into_response())
        }
        Check::Wrong => {
            tell_of_wrong_factor(&state, &user, &client);
            again(
                StatusCode::UNPROCESSABLE_ENTITY,
                "That code is not right, or it was used already. Type the code the app shows now, or a recovery code.",
            )
        }
        Check::Locked => {
            session::clear_second_step(&session).await?;
            again(StatusCode::TOO_MANY_REQUESTS, LOCKED)
        }
    }
}
