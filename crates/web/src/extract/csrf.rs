//! The CSRF token a page puts in its forms (checked by `middleware::csrf`):
//! made from the browser's CSRF cookie and the signed-in session, if any.

use crate::middleware::csrf::CsrfCookie;
use crate::{AppError, AppState, session};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use tower_sessions::Session;

pub struct CsrfToken(pub String);

impl FromRequestParts<AppState> for CsrfToken {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let cookie = parts
            .extensions
            .get::<CsrfCookie>()
            .cloned()
            .ok_or_else(|| AppError::Internal("CSRF layer missing".into()))?;
        let session = Session::from_request_parts(parts, state)
            .await
            .map_err(|_| AppError::Internal("session layer missing".into()))?;
        let signed_in = session::signed_in(&session).await?.map(|s| s.id);
        Ok(Self(cookie.token(state.csrf_key.as_ref(), signed_in)))
    }
}
