//! The CSRF token a page puts in its forms (checked by `middleware::csrf`).

use crate::{AppError, AppState, session::CSRF};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use base64::Engine;
use rand::RngCore;
use tower_sessions::Session;

/// This session's CSRF token, created on first use.
pub struct CsrfToken(pub String);

impl FromRequestParts<AppState> for CsrfToken {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let session = Session::from_request_parts(parts, state)
            .await
            .map_err(|_| AppError::Internal("session layer missing".into()))?;
        if let Some(token) = session.get::<String>(CSRF).await? {
            return Ok(Self(token));
        }
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
        session.insert(CSRF, &token).await?;
        Ok(Self(token))
    }
}
