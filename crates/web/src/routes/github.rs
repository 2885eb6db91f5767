//! Sign in with GitHub, and link or unlink GitHub from one's account
//! (DESIGN.md flows 1 and 5, S5). Shown only when `GITHUB_CLIENT_ID` and
//! `GITHUB_CLIENT_SECRET` are set.
//!
//! Which account a GitHub identity signs in to is the core's rule
//! (`bucketdesk_core::sign_in`); here are the OAuth round trip, the
//! session, and the words for each refusal.

use super::account_security::{Change, confirm_first, tell_owner};
use super::oauth_callback::{Answer, refusal};
use crate::extract::{ClientInfo, CsrfToken, CurrentUser, MaybeUser};
use crate::github_oauth::{Github, GithubError, PendingFlow};
use crate::pages::ErrorPage;
use crate::{AppError, AppState, Result, session};
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use bucketdesk_core::CoreError;
use bucketdesk_core::sign_in::{self, GithubIdentity, GithubRefusal};
use serde::Deserialize;
use tower_sessions::Session;

/// The session key of a sign-in under way.
const PENDING: &str = "github_flow";

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/auth/github",
            get(start_github_sign_in).head(super::head_without_effects),
        )
        .route(
            "/auth/github/callback",
            get(finish_github_sign_in).head(super::head_without_effects),
        )
        .route("/account/github/link", post(start_github_link))
        .route("/account/github/unlink", post(unlink_github))
}

fn github(state: &AppState) -> Result<&Github> {
    state.github.as_ref().ok_or(AppError::NotFound)
}

/// A failed sign-in: its page, no session.
fn failed(status: StatusCode, why: &str) -> Response {
    ErrorPage::response(status, "Sign-in with GitHub did not work", why)
}

async fn begin(
    state: &AppState,
    session: &Session,
    linking: Option<uuid::Uuid>,
    next: Option<String>,
) -> Result<Response> {
    let (url, pending) = github(state)?.begin(linking, next);
    session.insert(PENDING, pending).await?;
    Ok(Redirect::to(url.as_str()).into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct StartQuery {
    next: String,
}

async fn start_github_sign_in(
    State(state): State<AppState>,
    user: MaybeUser,
    session: Session,
    Query(query): Query<StartQuery>,
) -> Result<Response> {
    github(&state)?;
    let next = session::local_path(&query.next);
    if user.is_some() {
        return Ok(Redirect::to(next.as_deref().unwrap_or("/")).into_response());
    }
    begin(&state, &session, None, next).await
}

/// Linking needs a fresh proof of identity (S18): without one, a code is
/// mailed first, and the link starts once it is typed.
async fn start_github_link(
    State(state): State<AppState>,
    me: CurrentUser,
    client: ClientInfo,
    CsrfToken(csrf): CsrfToken,
) -> Result<Response> {
    github(&state)?;
    if !me.signed_in.freshly_reauthenticated() {
        return confirm_first(&state, &me, &client, csrf, Change::LinkGithub).await;
    }
    start_link(&state, &me).await
}

/// Sends the (freshly confirmed) person to GitHub to link their account.
pub(super) async fn start_link(state: &AppState, me: &CurrentUser) -> Result<Response> {
    begin(state, &me.session, Some(me.user.id), None).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CallbackQuery {
    code: String,
    state: String,
    error: String,
}

async fn finish_github_sign_in(
    State(state): State<AppState>,
    user: MaybeUser,
    session: Session,
    client: ClientInfo,
    Query(query): Query<CallbackQuery>,
) -> Result<Response> {
    let github = github(&state)?;
    // used once, whatever happens next
    let Some(pending) = session.remove::<PendingFlow>(PENDING).await? else {
        return Ok(failed(
            StatusCode::BAD_REQUEST,
            "This sign-in was not started in this browser, or it was already used. Start again from the sign-in page.",
        ));
    };
    let answer = Answer {
        state: &query.state,
        error: &query.error,
        code: &query.code,
    };
    let refused = refusal(
        "GitHub",
        "You did not allow bucketdesk to see your GitHub account, so you are not signed in. Sign in with an email code instead, or start again.",
        &pending.state,
        github.expired(pending.started_at),
        &answer,
    );
    if let Some(why) = refused {
        return Ok(failed(StatusCode::BAD_REQUEST, &why));
    }
    let identity = match github.identity(&query.code, &pending.verifier).await {
        Ok(identity) => identity,
        Err(problem @ GithubError::Refused(_)) => {
            // a wrong client secret or callback URL shows up here: worth a line
            tracing::warn!(error = %problem, "GitHub refused a sign-in");
            return Ok(failed(StatusCode::BAD_REQUEST, &problem.to_string()));
        }
        Err(problem @ GithubError::Unreachable(_)) => {
            tracing::warn!(error = %problem, "GitHub sign-in failed");
            return Ok(failed(StatusCode::BAD_GATEWAY, &problem.to_string()));
        }
    };
    match pending.linking {
        Some(linking) => link(&state, user, linking, &identity, &client).await,
        None => {
            sign_in(
                &state,
                &session,
                &identity,
                &client,
                pending.next.as_deref(),
            )
            .await
        }
    }
}

/// The words for a refused GitHub sign-in.
fn refusal_message(refusal: &GithubRefusal) -> String {
    match refusal {
        GithubRefusal::Disabled => "This bucketdesk account is disabled. Ask an admin of this instance if you should have access.".into(),
        GithubRefusal::NoVerifiedEmail => "Your GitHub account has no verified email address, so bucketdesk cannot tell who you are. Verify one on GitHub, or sign in with an email code.".into(),
        GithubRefusal::NotLinked { email } => format!(
            "The bucketdesk account of {email} is not linked to this GitHub account. Sign in with an email code, then link GitHub on your account page."
        ),
        GithubRefusal::NoAccount => "No bucketdesk account uses a verified email address of this GitHub account. Ask to be invited, or sign in with an email code.".into(),
    }
}

async fn sign_in(
    state: &AppState,
    session: &Session,
    identity: &GithubIdentity,
    client: &ClientInfo,
    next: Option<&str>,
) -> Result<Response> {
    let origin = client.origin();
    let user =
        match sign_in::github_sign_in(&state.db, state.sign_in_rules(), identity, &origin).await? {
            Ok(user) => user,
            Err(refusal) => return Ok(failed(StatusCode::FORBIDDEN, &refusal_message(&refusal))),
        };
    let next = next.map(str::to_owned);
    super::second_factor::after_first_factor(state, session, &user, &origin, "github", next).await
}

async fn link(
    state: &AppState,
    user: MaybeUser,
    linking: uuid::Uuid,
    identity: &GithubIdentity,
    client: &ClientInfo,
) -> Result<Response> {
    let Some(me) = user.filter(|me| me.user.id == linking) else {
        return Ok(failed(
            StatusCode::BAD_REQUEST,
            "You are no longer signed in as the account GitHub was to be linked to. Sign in and start again from your account page.",
        ));
    };
    if !me.signed_in.freshly_reauthenticated() {
        return Ok(failed(
            StatusCode::BAD_REQUEST,
            "Linking GitHub took longer than the confirmation with your code allows. Start again from your account page.",
        ));
    }
    match sign_in::link_github(&state.db, &me.actor(), identity, &client.origin()).await {
        Ok(()) => {}
        Err(CoreError::Conflict { message, .. }) => {
            return Ok(failed(StatusCode::CONFLICT, &message));
        }
        Err(other) => return Err(other.into()),
    }
    let what = format!("GitHub account {} was linked", identity.login);
    tell_owner(state, &me, client, what);
    Ok(Redirect::to("/?done=github_linked").into_response())
}

/// Unlinking needs a fresh proof of identity too (S18).
async fn unlink_github(
    State(state): State<AppState>,
    me: CurrentUser,
    client: ClientInfo,
    CsrfToken(csrf): CsrfToken,
) -> Result<Response> {
    if me.user.github_login.is_none() {
        return Ok(Redirect::to("/").into_response());
    }
    if !me.signed_in.freshly_reauthenticated() {
        return confirm_first(&state, &me, &client, csrf, Change::UnlinkGithub).await;
    }
    unlink_now(&state, &me, &client).await
}

/// Unlinks GitHub from the (freshly confirmed) person's account.
pub(super) async fn unlink_now(
    state: &AppState,
    me: &CurrentUser,
    client: &ClientInfo,
) -> Result<Response> {
    if let Some(login) = sign_in::unlink_github(&state.db, &me.actor(), &client.origin()).await? {
        tell_owner(
            state,
            me,
            client,
            format!("GitHub account {login} was unlinked"),
        );
    }
    Ok(Redirect::to("/?done=github_unlinked").into_response())
}
