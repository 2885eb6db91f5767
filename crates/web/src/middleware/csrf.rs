//! CSRF protection (S8): every state-changing request must come from one of
//! our own pages, shown by both
//! - the browser's own word: `Sec-Fetch-Site` and `Origin`, when sent, say the
//!   request comes from our origin; and
//! - a token: the session's CSRF token, in the form field `csrf_token` or the
//!   `X-CSRF-Token` header, compared in constant time.
//!
//! GET, HEAD and OPTIONS never change state, so they pass.

use crate::pages::ErrorPage;
use crate::{AppState, session::CSRF};
use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use subtle::ConstantTimeEq;
use tower_sessions::Session;

/// Largest form (URL-encoded body) any page submits. Uploads, which are
/// larger, send the token in the header.
pub const FORM_LIMIT: usize = 64 * 1024;
pub const FIELD: &str = "csrf_token";
pub const HEADER: &str = "x-csrf-token";

pub async fn verify(
    State(state): State<AppState>,
    session: Session,
    request: Request,
    next: Next,
) -> Response {
    if matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    ) {
        return next.run(request).await;
    }
    let headers = request.headers();
    let site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    if site.is_some_and(|s| s != "same-origin" && s != "none") {
        return refuse(
            "This form was sent from another website, so it was refused. Use bucketdesk's own pages.",
        );
    }
    let expected_origin = state.settings.origin();
    // Browsers send `Origin: null` for same-origin form posts from pages with
    // `Referrer-Policy: no-referrer` (which every page here has, S11): that
    // says nothing either way, and the token below decides.
    let origin = headers
        .get(header::ORIGIN)
        .filter(|origin| origin.as_bytes() != b"null");
    if origin.is_some_and(|origin| origin.as_bytes() != expected_origin.as_bytes()) {
        tracing::info!(expected = %expected_origin, "refused a request from another origin");
        return refuse(
            "This form was sent from another address than the one bucketdesk is configured for \
             (BUCKETDESK_PUBLIC_URL), so it was refused. Open bucketdesk at its configured address.",
        );
    }

    let expected: Option<String> = match session.get(CSRF).await {
        Ok(token) => token,
        Err(_) => return ErrorPage::for_status(StatusCode::SERVICE_UNAVAILABLE),
    };
    let header_token = headers
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));

    let (request, sent) = match header_token {
        Some(token) => (request, Some(token)),
        None if is_form => {
            let (parts, body) = request.into_parts();
            let read =
                tokio::time::timeout(state.settings.request_timeout, to_bytes(body, FORM_LIMIT));
            let bytes = match read.await {
                Ok(Ok(bytes)) => bytes,
                Ok(Err(_)) => return ErrorPage::for_status(StatusCode::PAYLOAD_TOO_LARGE),
                Err(_) => return ErrorPage::for_status(StatusCode::REQUEST_TIMEOUT),
            };
            let token = url::form_urlencoded::parse(&bytes)
                .find(|(k, _)| k == FIELD)
                .map(|(_, v)| v.into_owned());
            (Request::from_parts(parts, Body::from(bytes)), token)
        }
        None => (request, None),
    };

    match (expected, sent) {
        (Some(expected), Some(sent)) if bool::from(expected.as_bytes().ct_eq(sent.as_bytes())) => {
            next.run(request).await
        }
        _ => refuse(
            "This form has expired or did not come from bucketdesk. Go back, reload the page and try again.",
        ),
    }
}

fn refuse(message: &str) -> Response {
    ErrorPage::response(StatusCode::FORBIDDEN, "Request refused", message)
}
