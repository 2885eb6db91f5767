//! `ApiUser`: the person a bearer token acts for. The API reads no cookie:
//! a request with a session cookie and no token is refused like any other
//! without a token, so a page elsewhere cannot make a browser call the API
//! (no CSRF surface).

use super::error::ApiError;
use crate::AppState;
use crate::extract::ClientInfo;
use crate::middleware::logging::RequestUser;
use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use bucketdesk_core::tokens::{self, AccessToken};
use bucketdesk_core::{Actor, CoreError, Origin};

pub struct ApiUser {
    pub actor: Actor,
    pub origin: Origin,
    /// The token the request came with.
    pub token: AccessToken,
}

impl FromRequestParts<AppState> for ApiUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let bearer = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| {
                let (scheme, token) = value.trim().split_once(' ')?;
                scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
            })
            .ok_or(CoreError::Unauthenticated)?;
        let client = ClientInfo::of(
            &parts.headers,
            &parts.extensions,
            &state.settings.trusted_proxies,
        );
        let origin = Origin::new(client.ip, client.user_agent);
        let (actor, token) = tokens::authenticate(&state.db, bearer, &origin).await?;
        RequestUser::note(&parts.extensions, actor.user.user_id());
        // the instance asks everyone for a second factor or single sign-on
        actor.require_second_factor(state.settings.require_second_factor)?;
        Ok(ApiUser {
            actor,
            origin,
            token,
        })
    }
}
