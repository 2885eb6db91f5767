//! Single sign-on with OpenID Connect providers (issue 17): one "Sign in
//! with ..." button per configured provider. Which account an identity
//! signs in to is the core's rule (`bucketdesk_core::sign_in::sso_sign_in`);
//! here are the round trip, the session, and the words for each refusal.

use super::account_security::{Change, confirm_first, tell_account_owner, tell_owner};
use super::oauth_callback::{Answer, refusal};
use crate::extract::{ClientInfo, CsrfToken, CurrentUser, MaybeUser};
use crate::oidc::{PendingSso, SsoError, SsoProvider};
use crate::pages::ErrorPage;
use crate::{AppError, AppState, Result, session};
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use bucketdesk_core::CoreError;
use bucketdesk_core::sign_in::{self, SsoRefusal};
use serde::Deserialize;
use tower_sessions::Session;

/// The session key of a sign-in under way.
const PENDING: &str = "sso_flow";
/// The session key of the provider a session signed in with (for signing
/// out of it too).
pub const SIGNED_IN_WITH: &str = "sso_provider";
/// The session key of the sign-in's ID token, the provider's `id_token_hint`
/// when signing out there.
pub const ID_TOKEN: &str = "sso_id_token";
/// The session key, after signing out, of where to sign out of the provider
/// too: (its name, the address).
pub const SIGN_OUT_THERE: &str = "sso_sign_out";

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/auth/sso/{provider}",
            get(start_sso_sign_in).head(super::head_without_effects),
        )
        .route(
            "/auth/sso/{provider}/callback",
            get(finish_sso_sign_in).head(super::head_without_effects),
        )
        .route("/account/sso/{provider}/link", post(link))
}

/// "Link <provider>" on the account page: after a fresh proof of identity,
/// to the provider and back, and its identity is tied to this account
/// (whatever address it has: the person holds both).
async fn link(
    State(state): State<AppState>,
    me: CurrentUser,
    client: ClientInfo,
    CsrfToken(csrf): CsrfToken,
    Path(name): Path<String>,
) -> Result<Response> {
    provider(&state, &name).ok_or(AppError::NotFound)?;
    if !me.signed_in.freshly_reauthenticated() {
        return confirm_first(&state, &me, &client, csrf, Change::LinkSso(name)).await;
    }
    start_link(&state, &me, &name).await
}

/// Sends the (freshly confirmed) person to the provider to link it.
pub(super) async fn start_link(state: &AppState, me: &CurrentUser, name: &str) -> Result<Response> {
    let provider = provider(state, name).ok_or(AppError::NotFound)?;
    match provider.begin(None).await {
        Ok((url, mut pending)) => {
            pending.linking = Some(me.user.id);
            me.session.insert(PENDING, pending).await?;
            Ok(Redirect::to(url.as_str()).into_response())
        }
        Err(problem) => {
            tracing::warn!(provider = %name, error = %problem, "single sign-on could not start");
            Ok(failed(StatusCode::BAD_GATEWAY, &problem.to_string()))
        }
    }
}

/// Ties the identity that came back to the signed-in account that asked.
async fn finish_link(
    state: &AppState,
    user: MaybeUser,
    linking: uuid::Uuid,
    provider: &SsoProvider,
    identity: &sign_in::SsoIdentity,
    client: &ClientInfo,
) -> Result<Response> {
    let Some(me) = user.filter(|me| me.user.id == linking) else {
        return Ok(failed(
            StatusCode::BAD_REQUEST,
            "You are no longer signed in as the account to link. Sign in and start again from your account page.",
        ));
    };
    if !me.signed_in.freshly_reauthenticated() {
        return Ok(failed(
            StatusCode::BAD_REQUEST,
            "Linking took longer than the confirmation with your code allows. Start again from your account page.",
        ));
    }
    match sign_in::link_sso(&state.db, &me.actor(), identity, &client.origin()).await {
        Ok(()) => {}
        Err(CoreError::Conflict { message, .. }) => {
            return Ok(failed(StatusCode::CONFLICT, &message));
        }
        Err(other) => return Err(other.into()),
    }
    let what = format!(
        "Single sign-on with {} was linked",
        provider.settings.display_name
    );
    tell_owner(state, &me, client, what);
    Ok(Redirect::to("/?done=sso_linked").into_response())
}

/// The provider of that name.
pub fn provider<'a>(state: &'a AppState, name: &str) -> Option<&'a SsoProvider> {
    state
        .sso
        .iter()
        .find(|p| p.settings.name == name)
        .map(|p| p.as_ref())
}

/// A failed sign-in: its page, no session.
fn failed(status: StatusCode, why: &str) -> Response {
    ErrorPage::response(status, "Single sign-on did not work", why)
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct StartQuery {
    next: String,
}

async fn start_sso_sign_in(
    State(state): State<AppState>,
    user: MaybeUser,
    session: Session,
    Path(name): Path<String>,
    Query(query): Query<StartQuery>,
) -> Result<Response> {
    let provider = provider(&state, &name).ok_or(AppError::NotFound)?;
    let next = session::local_path(&query.next);
    if user.is_some() {
        return Ok(Redirect::to(next.as_deref().unwrap_or("/")).into_response());
    }
    match provider.begin(next).await {
        Ok((url, pending)) => {
            session.insert(PENDING, pending).await?;
            Ok(Redirect::to(url.as_str()).into_response())
        }
        Err(problem) => {
            tracing::warn!(provider = %name, error = %problem, "single sign-on could not start");
            Ok(failed(StatusCode::BAD_GATEWAY, &problem.to_string()))
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CallbackQuery {
    code: String,
    state: String,
    error: String,
}

async fn finish_sso_sign_in(
    State(state): State<AppState>,
    user: MaybeUser,
    session: Session,
    client: ClientInfo,
    Path(name): Path<String>,
    Query(query): Query<CallbackQuery>,
) -> Result<Response> {
    let provider = provider(&state, &name).ok_or(AppError::NotFound)?;
    // used once, whatever happens next
    let Some(pending) = session.remove::<PendingSso>(PENDING).await? else {
        return Ok(failed(
            StatusCode::BAD_REQUEST,
            "This sign-in was not started in this browser, or it was already used. Start again from the sign-in page.",
        ));
    };
    if pending.provider != name {
        return Ok(failed(
            StatusCode::BAD_REQUEST,
            "The answer from the sign-in service does not belong to the sign-in this browser started, so it was refused. Start again from the sign-in page.",
        ));
    }
    let answer = Answer {
        state: &query.state,
        error: &query.error,
        code: &query.code,
    };
    let refused = refusal(
        "the sign-in service",
        "The sign-in service did not let you in, so you are not signed in. Start again from the sign-in page.",
        &pending.state,
        SsoProvider::expired(pending.started_at),
        &answer,
    );
    if let Some(why) = refused {
        return Ok(failed(StatusCode::BAD_REQUEST, &why));
    }
    let (identity, id_token) = match provider.identity(&query.code, &pending).await {
        Ok(answer) => answer,
        Err(problem @ SsoError::Refused(_)) => {
            tracing::warn!(provider = %name, error = %problem, "a single sign-on was refused");
            return Ok(failed(StatusCode::BAD_REQUEST, &problem.to_string()));
        }
        Err(problem @ SsoError::Unreachable(_)) => {
            tracing::warn!(provider = %name, error = %problem, "single sign-on failed");
            return Ok(failed(StatusCode::BAD_GATEWAY, &problem.to_string()));
        }
    };
    if let Some(linking) = pending.linking {
        return finish_link(&state, user, linking, provider, &identity, &client).await;
    }
    let origin = client.origin();
    let signed_in =
        match sign_in::sso_sign_in(&state.db, state.sign_in_rules(), &identity, &origin).await? {
            Ok(signed_in) => signed_in,
            Err(refusal) => {
                let why = refusal_message(&refusal, &provider.settings.display_name);
                return Ok(failed(StatusCode::FORBIDDEN, &why));
            }
        };
    // the provider asks for its own second factor: the sign-in is strong
    session::sign_in(&state.db, &session, &signed_in.user, &origin, "sso", true).await?;
    session.insert(SIGNED_IN_WITH, name.clone()).await?;
    session.insert(ID_TOKEN, id_token).await?;
    if signed_in.linked_now {
        let what = format!(
            "Single sign-on with {} was linked",
            provider.settings.display_name
        );
        tell_account_owner(&state, &signed_in.user.email, &client, what);
    }
    Ok(Redirect::to(pending.next.as_deref().unwrap_or("/")).into_response())
}

/// The words for a refused single sign-on.
fn refusal_message(refusal: &SsoRefusal, provider: &str) -> String {
    match refusal {
        SsoRefusal::Disabled => "This bucketdesk account is disabled. Ask an admin of this instance if you should have access.".into(),
        SsoRefusal::NoEmail => format!(
            "{provider} did not tell bucketdesk your email address, so it cannot tell who you are. Ask the person who runs bucketdesk to let it read the email scope."
        ),
        SsoRefusal::UnverifiedEmail { email } => format!(
            "{provider} does not vouch that {email} is yours (it is not verified there), so you are not signed in. Verify it with {provider}, then try again."
        ),
        SsoRefusal::NoAccount { email } => format!(
            "No bucketdesk account uses {email}, and this instance does not make one for it. Ask to be invited."
        ),
        SsoRefusal::NotLinked { email } => format!(
            "The bucketdesk account of {email} is already in use and is not linked to {provider}, so {provider} cannot sign in to it. Sign in as before (with an email code); an admin of this instance can let {provider} link existing accounts."
        ),
    }
}
