//! Security headers on every response (S11). Share tokens will live in URLs,
//! hence `Referrer-Policy: no-referrer`; no page may be framed.

use crate::AppState;
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; \
media-src 'self' blob:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// The policy of this instance: [`CSP`], and when "Sign in with GitHub" is
/// set up, GitHub's origin as a place forms may lead to (linking GitHub is a
/// form whose answer redirects there, and browsers hold redirects after a
/// form to `form-action` too).
pub fn content_security_policy(settings: &crate::Settings) -> String {
    match &settings.github {
        Some(github) => CSP.replace(
            "form-action 'self'",
            &format!(
                "form-action 'self' {}",
                github.web_url.origin().ascii_serialization()
            ),
        ),
        None => CSP.to_owned(),
    }
}

/// `policy` letting the page's script also talk to `origin` (a bucket its
/// browser sends upload parts to).
pub fn connecting_to(policy: &HeaderValue, origin: &str) -> Option<HeaderValue> {
    let policy = policy.to_str().ok()?;
    HeaderValue::from_str(&format!("{policy}; connect-src 'self' {origin}")).ok()
}

const HEADERS: [(HeaderName, &str); 5] = [
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::REFERRER_POLICY, "no-referrer"),
    (header::X_FRAME_OPTIONS, "DENY"),
    (
        HeaderName::from_static("cross-origin-opener-policy"),
        "same-origin",
    ),
    (
        HeaderName::from_static("permissions-policy"),
        "camera=(), microphone=(), geolocation=()",
    ),
];

pub async fn security_headers(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let secure = state.settings.secure_cookies();
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers
        .entry(header::CONTENT_SECURITY_POLICY)
        .or_insert_with(|| state.csp.clone());
    for (name, value) in HEADERS {
        headers
            .entry(name)
            .or_insert(HeaderValue::from_static(value));
    }
    // pages show personal data: no shared cache may keep them
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if secure {
        let hsts = if state.settings.hsts_include_subdomains {
            "max-age=31536000; includeSubDomains"
        } else {
            "max-age=31536000"
        };
        headers
            .entry(header::STRICT_TRANSPORT_SECURITY)
            .or_insert(HeaderValue::from_static(hsts));
    }
    response
}
