//! `CurrentUser`: the signed-in person, re-read from the database on every
//! request, so a removed user or an ended session stops working at once.

use crate::middleware::logging::RequestUser;
use crate::{AppError, AppState, session};
use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::http::request::Parts;
use bucketdesk_db::users::{self, User};
use tower_sessions::Session;

pub struct CurrentUser {
    pub user: User,
    pub session: Session,
    pub signed_in: session::SignedIn,
}

/// `Option<CurrentUser>`, for pages that anyone may see.
pub type MaybeUser = Option<CurrentUser>;

impl CurrentUser {
    /// The person as the core's operations know them: through a browser session.
    pub fn actor(&self) -> bucketdesk_core::Actor {
        bucketdesk_core::Actor::session(self.user.clone(), self.signed_in.strong)
    }

    /// The browser's sign-in, when it has one that is neither past its
    /// absolute lifetime nor idle too long. Reads only the session, so it is
    /// half the check: the user it names is trusted only after [`Self::accept`]
    /// with what the database holds for it.
    pub(crate) async fn session_of(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<(Session, session::SignedIn), AppError> {
        let session = Session::from_request_parts(parts, state)
            .await
            .map_err(|_| AppError::Internal("session layer missing".into()))?;
        let Some(signed_in) = session::signed_in(&session).await? else {
            return Err(AppError::Unauthorized);
        };
        let now = session::now();
        let settings = &state.settings;
        let too_old = now - signed_in.signed_in_at > settings.session_absolute.as_secs() as i64;
        let idle = now - signed_in.seen_at > settings.session_idle.as_secs() as i64;
        if too_old || idle {
            session::discard(&session).await?;
            return Err(AppError::Unauthorized);
        }
        Ok((session, signed_in))
    }

    /// The signed-in person, given what the database holds for the session:
    /// `None` (the account is gone or the session was signed out) or an
    /// account whose sessions were all ended since sign-in ends the session.
    ///
    /// When the instance asks everyone for a second factor or single
    /// sign-on (`BUCKETDESK_REQUIRE_SECOND_FACTOR`), a sign-in without one
    /// reaches only the account page, the pages that add a second factor,
    /// and signing out; elsewhere it is led to add one.
    pub(crate) async fn accept(
        state: &AppState,
        parts: &Parts,
        session: Session,
        signed_in: session::SignedIn,
        user: Option<User>,
    ) -> Result<CurrentUser, AppError> {
        let user = match user {
            Some(user) if user.session_epoch == signed_in.epoch => user,
            _ => {
                session::discard(&session).await?;
                return Err(AppError::Unauthorized);
            }
        };
        session::touch(&state.db, &session, &signed_in).await?;
        let me = CurrentUser {
            user,
            session,
            signed_in,
        };
        if !reachable_without_second_factor(parts.uri.path()) {
            me.actor()
                .require_second_factor(state.settings.require_second_factor)?;
        }
        Ok(me)
    }
}

/// The pages someone who must add a second factor still reaches: their
/// account page, adding one (with its confirmation) and signing out.
fn reachable_without_second_factor(path: &str) -> bool {
    path == "/"
        || path == "/account/confirm"
        || path.starts_with("/account/second-factor")
        || path.starts_with("/logout")
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let (session, signed_in) = CurrentUser::session_of(parts, state).await?;
        let user = users::find_for_session(&state.db, signed_in.user_id, signed_in.id).await?;
        let me = CurrentUser::accept(state, parts, session, signed_in, user).await?;
        RequestUser::note(&parts.extensions, me.user.user_id());
        Ok(me)
    }
}

impl OptionalFromRequestParts<AppState> for CurrentUser {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Option<Self>, Self::Rejection> {
        match <CurrentUser as FromRequestParts<AppState>>::from_request_parts(parts, state).await {
            Ok(user) => Ok(Some(user)),
            Err(AppError::Unauthorized) => Ok(None),
            Err(e) => Err(e),
        }
    }
}
