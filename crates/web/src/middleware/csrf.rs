//! CSRF protection (S8), without server-side state: every state-changing
//! request must come from one of our own pages, shown by both
//! - the browser's own word: `Sec-Fetch-Site` and `Origin`, when sent, say the
//!   request comes from our origin; and
//! - a token: a signed double-submit cookie. The browser holds a random value
//!   in an HttpOnly cookie; forms carry HMAC(key, that value, the signed-in
//!   session's id) in the field `csrf_token` or the `X-CSRF-Token` header.
//!   Another site can neither read the cookie nor compute the token, and a
//!   token stops working when its session signs in or out.
//!
//! Nothing is written for anonymous page views: the sign-in page, share and
//! upload links and invitations create no session row (the session starts
//! when someone asks for a code). GET, HEAD and OPTIONS never change state,
//! so they pass. Refusals are recorded in the audit trail.

use crate::extract::ClientInfo;
use crate::pages::ErrorPage;
use crate::{AppState, session};
use axum::body::{Body, to_bytes};
use axum::extract::{FromRequestParts, MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bucketdesk_db::audit;
use hmac::{Hmac, Mac};
use rand::RngCore;
use serde_json::json;
use sha2::Sha256;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use subtle::ConstantTimeEq;
use tower_sessions::Session;
use uuid::Uuid;

/// Largest form (URL-encoded body) any page submits. Uploads, which are
/// larger, send the token in the header.
pub const FORM_LIMIT: usize = 64 * 1024;
pub const FIELD: &str = "csrf_token";
pub const HEADER: &str = "x-csrf-token";
/// The cookie's name over plain http, and over https (`__Host-`: Secure,
/// Path=/ and no Domain, so no subdomain can plant it).
pub const COOKIE: &str = "bucketdesk_csrf";
pub const SECURE_COOKIE: &str = "__Host-bucketdesk_csrf";

/// This browser's CSRF cookie, for the request: the value it sent, or a new
/// one that the response sets when a page put a token in a form.
#[derive(Clone)]
pub struct CsrfCookie(Arc<CookieState>);

struct CookieState {
    value: String,
    /// Made for this request: the browser does not have it yet.
    fresh: bool,
    /// A page made a token from it, so the browser needs it.
    used: AtomicBool,
}

impl CsrfCookie {
    /// The token forms send back, for the session signed in as `signed_in`
    /// (none before sign-in). Marks the cookie as needed by the browser.
    pub fn token(&self, key: &[u8], signed_in: Option<Uuid>) -> String {
        self.0.used.store(true, Ordering::Relaxed);
        token_for(key, &self.0.value, signed_in)
    }
}

fn token_for(key: &[u8], cookie: &str, signed_in: Option<Uuid>) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(b"bucketdesk csrf v1\0");
    mac.update(cookie.as_bytes());
    mac.update(b"\0");
    mac.update(
        signed_in
            .map(|id| *id.as_bytes())
            .unwrap_or_default()
            .as_slice(),
    );
    URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
}

fn cookie_name(state: &AppState) -> &'static str {
    if state.settings.secure_cookies() {
        SECURE_COOKIE
    } else {
        COOKIE
    }
}

/// The value of the cookie `name` the browser sent, when it looks like one of ours.
fn sent_cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
        .filter(|v| {
            v.len() == 43
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

fn new_cookie_value() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

pub async fn verify(
    State(state): State<AppState>,
    session: Session,
    mut request: Request,
    next: Next,
) -> Response {
    let name = cookie_name(&state);
    let sent = sent_cookie(request.headers(), name);
    let cookie = CsrfCookie(Arc::new(CookieState {
        fresh: sent.is_none(),
        value: sent.clone().unwrap_or_else(new_cookie_value),
        used: AtomicBool::new(false),
    }));
    request.extensions_mut().insert(cookie.clone());

    let safe = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if !safe {
        request = match check(&state, &session, request, sent.as_deref()).await {
            Ok(request) => request,
            Err(refusal) => return refusal,
        };
    }
    let mut response = next.run(request).await;
    if cookie.0.fresh && cookie.0.used.load(Ordering::Relaxed) {
        let secure = if state.settings.secure_cookies() {
            "; Secure"
        } else {
            ""
        };
        let set = format!(
            "{name}={}; Path=/; HttpOnly; SameSite=Lax{secure}",
            cookie.0.value
        );
        if let Ok(value) = HeaderValue::from_str(&set) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}

/// The request, when it passes both checks; else the refusal page, after
/// recording the refusal.
async fn check(
    state: &AppState,
    session: &Session,
    request: Request,
    cookie: Option<&str>,
) -> Result<Request, Response> {
    let headers = request.headers();
    let site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    if site.is_some_and(|s| s != "same-origin" && s != "none") {
        return Err(refuse(
            state,
            session,
            request,
            "cross_site",
            "This form was sent from another website, so it was refused. Use bucketdesk's own pages.",
        )
        .await);
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
        return Err(refuse(
            state,
            session,
            request,
            "other_origin",
            "This form was sent from another address than the one bucketdesk is configured for \
             (BUCKETDESK_PUBLIC_URL), so it was refused. Open bucketdesk at its configured address.",
        )
        .await);
    }

    let header_token = headers
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
    let from_script = header_token.is_some();
    let (request, sent) = match header_token {
        Some(token) => (request, Some(token)),
        None if is_form => {
            let (parts, body) = request.into_parts();
            let read =
                tokio::time::timeout(state.settings.request_timeout, to_bytes(body, FORM_LIMIT));
            let bytes = match read.await {
                Ok(Ok(bytes)) => bytes,
                Ok(Err(_)) => return Err(ErrorPage::for_status(StatusCode::PAYLOAD_TOO_LARGE)),
                Err(_) => return Err(ErrorPage::for_status(StatusCode::REQUEST_TIMEOUT)),
            };
            let token = url::form_urlencoded::parse(&bytes)
                .find(|(k, _)| k == FIELD)
                .map(|(_, v)| v.into_owned());
            (Request::from_parts(parts, Body::from(bytes)), token)
        }
        None => (request, None),
    };
    let signed_in = match session::signed_in(session).await {
        Ok(signed_in) => signed_in.map(|s| s.id),
        Err(_) => return Err(ErrorPage::for_status(StatusCode::SERVICE_UNAVAILABLE)),
    };
    match (cookie, sent) {
        (Some(cookie), Some(sent))
            if bool::from(
                token_for(state.csrf_key.as_ref(), cookie, signed_in)
                    .as_bytes()
                    .ct_eq(sent.as_bytes()),
            ) =>
        {
            Ok(request)
        }
        // a script of a page whose sign-in has ended since (signed out in
        // another tab, or the session timed out): say so, not "expired form"
        // (a page's script sends its token in a header, which no other site
        // can make a browser send: refusing it this way gives nothing away)
        _ if from_script && signed_in.is_none() => Err(crate::middleware::return_to::signed_out()),
        (cookie, sent) => {
            let reason = match (cookie, sent) {
                (None, _) => "no_cookie",
                (_, None) => "no_token",
                _ => "wrong_token",
            };
            Err(refuse(
                state,
                session,
                request,
                reason,
                "This form has expired or did not come from bucketdesk. Go back, reload the page and try again.",
            )
            .await)
        }
    }
}

/// Records the refusal (who, from where, which route, why; never a token),
/// once a minute per client and route, and answers 403 with `message`.
async fn refuse(
    state: &AppState,
    session: &Session,
    request: Request,
    reason: &str,
    message: &str,
) -> Response {
    let (mut parts, _) = request.into_parts();
    let route = parts
        .extensions
        .get::<MatchedPath>()
        .map_or_else(|| "(no route)".to_owned(), |p| p.as_str().to_owned());
    let Ok(client) = ClientInfo::from_request_parts(&mut parts, state).await;
    let user = session::signed_in(session)
        .await
        .ok()
        .flatten()
        .map(|s| s.user_id);
    // once a minute per client and route: a flood of forged forms is not a
    // flood of rows
    let recorded = audit::recorded_since(
        &state.db,
        "csrf_refused",
        client.ip_str(),
        Some(("route", &route)),
        std::time::Duration::from_secs(60),
    )
    .await;
    if let Ok(false) = recorded {
        let event = audit::NewEvent {
            actor_id: user,
            details: json!({ "method": parts.method.as_str(), "route": route, "reason": reason }),
            ..client.anonymous_event("csrf_refused")
        };
        if let Err(error) = state.audit.record(event).await {
            tracing::warn!(%error, "could not record a refused request");
        }
    }
    ErrorPage::response(StatusCode::FORBIDDEN, "Request refused", message)
}
